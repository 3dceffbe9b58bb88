"""The switches of :class:`~attnlab.attention.MultiHeadAttention`, in one frozen dataclass.

Every switch is written once, here: the module's keyword constructor takes these fields, builds the
config and reads every switch from it; the models keep one of these for their self-attention.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import dataclass
from typing import Any

import torch

from attnlab.attention.kernels import IMPLS, SOFTCAP_ON_SDPA, check_softcap, resolve_scale
from attnlab.attention.masks import check_window
from attnlab.attention.mixer_config import MIXER_FIELDS, MIXERS, check_mixer
from attnlab.attention.position_schemes import ATTENTION_POSITIONS, POSITION_SCHEMES
from attnlab.attention.relative_bias import check_buckets
from attnlab.attention.rope_scaling import RopeScaling
from attnlab.attention.scores import Score, get_score

__all__ = ["GATES", "MIXERS", "SELF_ATTENTION_ONLY", "SINKS", "AttentionConfig"]

SINKS = (None, "zero", "learned")
GATES = (None, "sigmoid")
# switches that only mean something when queries and keys come from one sequence
SELF_ATTENTION_ONLY = ("shared_qk", "window", "positions", "rotary_base", "rotary_fraction", "relative_buckets",
                       "relative_max_distance", "relative_bidirectional", "rotary_scaling", "rotary_factor",
                       "rotary_original_len", *MIXER_FIELDS)
_ROTARY_DEFAULTS = {"rotary_base": 10000.0, "rotary_fraction": 1.0, "rotary_scaling": None, "rotary_factor": 1.0,
                    "rotary_original_len": None}
_RELATIVE_DEFAULTS = {"relative_buckets": 32, "relative_max_distance": 128, "relative_bidirectional": True}


@dataclass(frozen=True)
class AttentionConfig:
    """Switches of :class:`MultiHeadAttention`; validated at construction (:meth:`validate`).

    ``n_kv_heads``, ``kdim``, ``vdim`` and ``head_dim`` given as None are resolved at construction
    (to H, C, C and C // H), so a built config always holds the sizes of its module.
    """

    d_model: int  # C, the model width (queries come in and outputs go out at this width)
    n_heads: int  # H, query heads; C must be divisible by H unless head_dim is given
    score: str | Score = "scaled_dot"  # a registered score name (attnlab.attention.list_scores()) or a module
    shared_qk: bool = False  # W_Q = W_K: one projection for queries and keys (symmetric scores)
    scale: bool | float | str | None = None  # None: the score's default; True 1/sqrt(D); False 1; float; "learned"
    n_kv_heads: int | None = None  # key/value heads (grouped-query: divides H; 1 = multi-query); None = H
    bias: bool = True  # biases in the four projections
    dropout: float = 0.0  # dropout on the attention weights (training only)
    kdim: int | None = None  # width of the key input (cross-attention); None = d_model
    vdim: int | None = None  # width of the value input; None = d_model
    impl: str = "auto"  # kernel: "auto", "reference", "sdpa" (bilinear scores, no softcap) or "chunked"
    window: int | None = None  # sliding window W: each query sees W keys (itself included when causal)
    sink: str | None = None  # None, "zero" (softmax off-by-one) or "learned" (a learned sink logit per head)
    softcap: float | None = None  # c: logits c·tanh(x / c) before the masks (Gemma 2); None = off
    gate: str | None = None  # None or "sigmoid": a head-wise gate sigmoid(x W_G) on each head's output
    positions: str | None = None  # inside self-attention: None, "rope", "alibi" or "t5"
    rotary_base: float = 10000.0  # RoPE: base of the frequencies (positions="rope")
    rotary_fraction: float = 1.0  # RoPE: share of each head's dims that turn, the rest pass (partial rotary)
    relative_buckets: int = 32  # T5 bias: relative-position buckets (positions="t5")
    relative_max_distance: int = 128  # T5 bias: distances from here on share the last bucket
    relative_bidirectional: bool = True  # T5 bias: False for causal self-attention (decoders)
    head_dim: int | None = None  # D, the width of one head; None = d_model // n_heads (prune_heads keeps D)
    rotary_scaling: str | None = None  # RoPE beyond the trained length: None, "linear" (interpolation), "ntk", "yarn"
    rotary_factor: float = 1.0  # RoPE scaling: s, the factor by which the context is extended
    rotary_original_len: int | None = None  # YaRN: L, the context length the model was trained on
    mixer: str = "softmax"  # token mixer: softmax (MultiHeadAttention), mla, differential, linear, delta, gated_delta
    kv_latent_dim: int | None = None  # mla: d_c, width of the shared key/value latent; None -> 4 * D (DeepSeek-V2)
    rope_head_dim: int | None = None  # mla: d_R, decoupled rotary width of q and k; None -> D / 2 with rope, else 0
    latent_absorb: bool = False  # mla: W_UK and W_UV folded into the query and output projections when cached
    delta_chunk: int = 16  # delta, gated_delta: chunk length of the chunked (WY) form used in training

    def __post_init__(self) -> None:
        self.validate()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AttentionConfig:
        """A config from a dict of its fields (e.g. read from JSON); unknown keys raise ValueError."""
        names = [f.name for f in dataclasses.fields(cls)]
        unknown = sorted(set(data) - set(names))
        if unknown:
            raise ValueError(f"AttentionConfig: unknown field(s) {unknown}; expected a subset of {names}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        """The fields as a dict (``score`` stays the name or the module it was given as)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    @classmethod
    def keyword_signature(cls, first: str, last: str) -> inspect.Signature:
        """``(first, d_model, n_heads, *, <the other fields>, last=None)``: the signature of a constructor
        that takes the fields as arguments (``MultiHeadAttention``'s, with ``self`` and ``config``)."""
        kind = inspect.Parameter
        params = [kind(first, kind.POSITIONAL_OR_KEYWORD)]
        for f in dataclasses.fields(cls):
            default = kind.empty if f.default is dataclasses.MISSING else f.default
            how = kind.POSITIONAL_OR_KEYWORD if f.name in ("d_model", "n_heads") else kind.KEYWORD_ONLY
            params.append(kind(f.name, how, default=default, annotation=f.type))
        params.append(kind(last, kind.KEYWORD_ONLY, default=None, annotation="AttentionConfig | dict | None"))
        return inspect.Signature(params, return_annotation=None)

    def validate(self) -> None:
        """Check every field and resolve the sizes given as None (idempotent; runs at construction).

        Raises:
            ValueError: (or TypeError) naming the field, with what was expected and what was given.
        """
        for name in ("d_model", "n_heads"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name}: expected a positive int, got {value!r}")
        if self.head_dim is None:
            if self.d_model % self.n_heads:
                raise ValueError(
                    f"d_model: expected a multiple of n_heads={self.n_heads}, got {self.d_model} "
                    f"(change d_model or n_heads)"
                )
            object.__setattr__(self, "head_dim", self.d_model // self.n_heads)
        elif not isinstance(self.head_dim, int) or isinstance(self.head_dim, bool) or self.head_dim <= 0:
            raise ValueError(f"head_dim: expected a positive int or None, got {self.head_dim!r}")
        if self.n_kv_heads is not None:
            if not isinstance(self.n_kv_heads, int) or self.n_kv_heads <= 0:
                raise ValueError(f"n_kv_heads: expected a positive int or None, got {self.n_kv_heads!r}")
            if self.n_heads % self.n_kv_heads:
                raise ValueError(
                    f"n_kv_heads: expected a divisor of n_heads={self.n_heads}, got {self.n_kv_heads}"
                )
        for name in ("kdim", "vdim"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value <= 0):
                raise ValueError(f"{name}: expected a positive int or None, got {value!r}")
        if not isinstance(self.dropout, (int, float)) or not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout: expected a float in [0, 1), got {self.dropout!r}")
        if self.impl not in IMPLS:
            raise ValueError(f"impl: expected one of {IMPLS}, got {self.impl!r}")
        if not isinstance(self.score, (str, Score)):
            raise TypeError(f"score: expected a registered name or a Score instance, got {type(self.score).__name__}")
        score_cls = get_score(self.score) if isinstance(self.score, str) else type(self.score)
        if self.impl == "sdpa" and not score_cls.bilinear:
            raise ValueError(
                f"impl='sdpa' needs a bilinear score, got score={self.score!r}; use impl='chunked' or 'auto'"
            )
        if self.shared_qk:
            if self.kdim not in (None, self.d_model):
                raise ValueError(
                    f"shared_qk=True applies W_Q to the keys too, so kdim must equal d_model={self.d_model}, "
                    f"got kdim={self.kdim}; set shared_qk=False or kdim=None"
                )
            if self.n_kv_heads not in (None, self.n_heads):
                raise ValueError(
                    f"shared_qk=True gives keys as many heads as queries, so n_kv_heads must be None or "
                    f"{self.n_heads}, got {self.n_kv_heads}"
                )
        # Conflicting scale switches fail here, not at the first forward. The probe is a real score module:
        # for a score with parameters its construction draws from the global RNG, once per validation.
        probe = self.score if isinstance(self.score, Score) else score_cls(self.head_dim, 1)
        resolve_scale(probe, self.scale)
        self._check_variants()
        check_mixer(self)
        for name, default in (("n_kv_heads", self.n_heads), ("kdim", self.d_model), ("vdim", self.d_model)):
            if getattr(self, name) is None:
                object.__setattr__(self, name, default)

    def _check_variants(self) -> None:
        check_window(self.window)
        check_softcap(self.softcap)
        if self.softcap is not None and self.impl == "sdpa":
            raise ValueError(SOFTCAP_ON_SDPA)
        if self.sink not in SINKS:
            raise ValueError(f"sink: expected one of {list(SINKS)}, got {self.sink!r}")
        if self.gate not in GATES:
            raise ValueError(f"gate: expected one of {list(GATES)}, got {self.gate!r}")
        if self.positions not in ATTENTION_POSITIONS:
            scheme = POSITION_SCHEMES.get(self.positions) if isinstance(self.positions, str) else None
            hint = " (sinusoidal and learned positions are added to the embeddings: see attnlab.models)"
            raise ValueError(f"positions: expected one of {list(ATTENTION_POSITIONS)}, got {self.positions!r}"
                             + (hint if scheme is not None and scheme.embedding else ""))
        cross = self.kdim not in (None, self.d_model) or self.vdim not in (None, self.d_model)
        if self.positions is not None and cross:
            raise ValueError(
                f"positions={self.positions!r} acts in self-attention, where keys and values come from the query "
                f"input; got kdim={self.kdim}, vdim={self.vdim}: set positions=None for cross-attention"
            )
        for defaults, kind in ((_ROTARY_DEFAULTS, "rope"), (_RELATIVE_DEFAULTS, "t5")):
            for name, default in defaults.items():
                if getattr(self, name) != default and self.positions != kind:
                    raise ValueError(f"{name}: applies to positions={kind!r} only, got {name}={getattr(self, name)!r}; "
                                     f"set positions={kind!r} or leave {name} at its default {default!r}")
        if self.positions == "rope":
            self.rotary_dim()  # raises on a bad base or fraction
            self.rope_scaling()  # raises on a bad scaling, factor or original length
        if self.positions == "t5":
            check_buckets(self.relative_buckets, self.relative_max_distance, self.relative_bidirectional)

    def rotary_dim(self) -> int:
        """Features of each head that RoPE turns: ``rotary_fraction · D``, even (validates both RoPE fields)."""
        base, fraction, d = self.rotary_base, self.rotary_fraction, self.head_dim
        if isinstance(base, bool) or not isinstance(base, (int, float)) or not base > 1:
            raise ValueError(f"rotary_base: expected a float > 1, got {base!r}")
        if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or not 0 < fraction <= 1:
            raise ValueError(f"rotary_fraction: expected a float in (0, 1], got {fraction!r}")
        dim = int(fraction * d)  # as GPT-NeoX's rotary_pct
        if dim < 2 or dim % 2:
            raise ValueError(
                f"rotary_fraction: expected rotary_fraction * head_dim to be an even number >= 2 (features turn "
                f"in pairs), got {fraction} * {d} = {fraction * d:g}"
            )
        return dim

    def rope_scaling(self) -> RopeScaling | None:
        """The RoPE scaling of the ``rotary_scaling`` fields (validated), or None when there is none."""
        if self.rotary_scaling is None:
            if self.rotary_factor != 1.0 or self.rotary_original_len is not None:
                raise ValueError(f"rotary_factor, rotary_original_len: apply with rotary_scaling only, got "
                                 f"rotary_factor={self.rotary_factor!r}, "
                                 f"rotary_original_len={self.rotary_original_len!r}; "
                                 f"set rotary_scaling='linear', 'ntk' or 'yarn'")
            return None
        return RopeScaling(self.rotary_scaling, self.rotary_factor, self.rotary_original_len)

    def cross_attention_fields(self) -> dict[str, Any]:
        """The fields of the cross-attention that goes with this self-attention: the same switches except
        those that need queries and keys from one sequence (:data:`SELF_ATTENTION_ONLY`), which stay at
        their defaults. Build it with ``MultiHeadAttention.from_config(fields)``."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in SELF_ATTENTION_ONLY}

    def pruned(self, n_heads: int, n_kv_heads: int) -> AttentionConfig:
        """This config with ``n_heads`` query and ``n_kv_heads`` key/value heads left, each still D wide (the
        config of a module after ``prune_heads``). Checking it leaves the global RNG where it was."""
        with torch.random.fork_rng(devices=[]):
            return dataclasses.replace(self, n_heads=n_heads, n_kv_heads=n_kv_heads, head_dim=self.head_dim)
