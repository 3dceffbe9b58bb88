"""Multi-head attention with every design choice of the attention questions as a switch.

.. math::
    \\mathrm{head}_h = g_h \\cdot \\mathrm{softmax}\\big(\\mathrm{cap}(\\mathrm{scale}\\cdot s(R_i x W^Q_h,
    R_j y W^K_h)) + b_h(j - i) + M\\big)\\, y W^V_h,
    \\qquad \\mathrm{out} = [\\mathrm{head}_1; \\dots; \\mathrm{head}_H]\\, W^O

with the optional modern switches: rotary positions R (RoPE), a position bias b (ALiBi, T5), a logit
soft-cap, a sliding window and a sink inside M and the softmax, and a sigmoid output gate g. The
projections live here; the kernel that turns (q, k, v) into outputs lives in ``kernels.py`` (the split of
x-transformers' ``Attend``); the positions live in ``rotary.py``, ``alibi.py`` and ``relative_bias.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn

from attnlab.attention.alibi import ALiBi
from attnlab.attention.cache import KVCache
from attnlab.attention.kernels import IMPLS, SOFTCAP_ON_SDPA, attend, check_softcap, resolve_scale
from attnlab.attention.masks import build_mask_spec, check_window
from attnlab.attention.relative_bias import RelativePositionBias, check_buckets
from attnlab.attention.rotary import rotary_cos_sin, rotate
from attnlab.attention.scores import Score, get_score, make_score

__all__ = ["ATTENTION_POSITIONS", "AttentionConfig", "MultiHeadAttention"]

ATTENTION_POSITIONS = (None, "rope", "alibi", "t5")  # position schemes that act inside self-attention
SINKS = (None, "zero", "learned")
GATES = (None, "sigmoid")
_ROTARY_DEFAULTS = {"rotary_base": 10000.0, "rotary_fraction": 1.0}
_RELATIVE_DEFAULTS = {"relative_buckets": 32, "relative_max_distance": 128, "relative_bidirectional": True}


@dataclass(frozen=True)
class AttentionConfig:
    """Switches of :class:`MultiHeadAttention`; validated at construction."""

    d_model: int  # C, the model width (queries come in and outputs go out at this width)
    n_heads: int  # H, query heads; C must be divisible by H (head dim D = C // H)
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

    def __post_init__(self) -> None:
        for name in ("d_model", "n_heads"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{name}: expected a positive int, got {value!r}")
        if self.d_model % self.n_heads:
            raise ValueError(
                f"d_model: expected a multiple of n_heads={self.n_heads}, got {self.d_model} "
                f"(change d_model or n_heads)"
            )
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
        # conflicting scale switches fail here, not at the first forward
        probe = self.score if isinstance(self.score, Score) else score_cls(self.d_model // self.n_heads, 1)
        resolve_scale(probe, self.scale)
        self._check_variants()

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
            hint = " (sinusoidal and learned positions are added to the embeddings: see attnlab.models)"
            raise ValueError(f"positions: expected one of {list(ATTENTION_POSITIONS)}, got {self.positions!r}"
                             + (hint if self.positions in ("sinusoidal", "learned") else ""))
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

    @property
    def head_dim(self) -> int:
        return self.d_model // self.n_heads


class MultiHeadAttention(nn.Module):
    """Multi-head attention, batch-first.

    Args:
        d_model: C, the model width.
        n_heads: H.
        score: a registered score name ("dot", "scaled_dot", "general", "additive", "cosine", ...) or a
            :class:`~attnlab.attention.Score` instance.
        shared_qk: use W_Q for the keys as well (W_Q = W_K).
        scale: None (the score's default), True (1/√D), False (1), a positive float, or "learned".
        n_kv_heads: key/value heads for grouped-query (divides H) or multi-query (1) attention.
        bias: biases in the projections.
        dropout: dropout on the attention weights.
        kdim, vdim: widths of the key and value inputs (default C).
        impl: kernel path, "auto" (default), "reference", "sdpa" or "chunked".
        window: sliding-window attention: causal, query i sees the W keys i - W < j <= i; otherwise
            |i - j| < W (aligned bottom-right like ``is_causal``, so it holds with a KV cache).
        sink: "zero" adds a key with logit 0 and value 0 (softmax off-by-one), "learned" one with a learned
            logit per head (``sink_logits``, init 0): a head can put its weight on nothing.
        softcap: c > 0: logits become c·tanh(x / c) before the position bias and masks (Gemma 2). Runs on the
            reference and chunked paths.
        gate: "sigmoid": each head's output is multiplied by sigmoid(x W_G + b_G), one scalar per head and
            query token computed from the query input (the head-wise gate of Qiu et al. 2025, "Gated
            Attention for LLMs"; their element-wise gate would need D times the parameters).
        positions: position scheme inside self-attention: "rope" (rotary, applied to q and k before the
            kernel), "alibi" (linear bias per head) or "t5" (learned bucketed bias per head); None: none
            here (the models add sinusoidal or learned positions to the embeddings instead). Query i is at
            position i + Tk - Tq (bottom-right, as ``is_causal``): with a cache, after the cached keys.
        rotary_base, rotary_fraction: RoPE's base and the share of each head's dims that turn.
        relative_buckets, relative_max_distance, relative_bidirectional: T5 bias buckets (32, 128; False
            for causal self-attention).

    Shapes:
        query (B, Tq, C); key (B, Tk, kdim); value (B, Tk, vdim); output (B, Tq, C);
        weights (B, H, Tq, Tk), one map per head.

    Attributes:
        q_proj, k_proj, v_proj, out_proj: the ``nn.Linear`` projections (``k_proj`` is None when
            ``shared_qk``). Head h owns rows ``h*D:(h+1)*D`` of q_proj and columns ``h*D:(h+1)*D`` of
            out_proj.
        score: the score module (may hold per-head parameters).
        learned_scale: the learned logit multiplier, when ``scale="learned"`` (or cosine's default).
        sink_logits: (H,) learned sink logits (``sink="learned"``), else None.
        gate_proj: ``nn.Linear(C, H)`` of the output gate (``gate="sigmoid"``), else None.
        position_bias: :class:`~attnlab.attention.alibi.ALiBi` or
            :class:`~attnlab.attention.relative_bias.RelativePositionBias`, else None.
    """

    def __init__(
        self,
        d_model: int,
        n_heads: int,
        *,
        score: str | Score = "scaled_dot",
        shared_qk: bool = False,
        scale: bool | float | str | None = None,
        n_kv_heads: int | None = None,
        bias: bool = True,
        dropout: float = 0.0,
        kdim: int | None = None,
        vdim: int | None = None,
        impl: str = "auto",
        window: int | None = None,
        sink: str | None = None,
        softcap: float | None = None,
        gate: str | None = None,
        positions: str | None = None,
        rotary_base: float = 10000.0,
        rotary_fraction: float = 1.0,
        relative_buckets: int = 32,
        relative_max_distance: int = 128,
        relative_bidirectional: bool = True,
    ) -> None:
        config = AttentionConfig(
            d_model=d_model, n_heads=n_heads, score=score, shared_qk=shared_qk, scale=scale,
            n_kv_heads=n_kv_heads, bias=bias, dropout=dropout, kdim=kdim, vdim=vdim, impl=impl,
            window=window, sink=sink, softcap=softcap, gate=gate, positions=positions, rotary_base=rotary_base,
            rotary_fraction=rotary_fraction, relative_buckets=relative_buckets,
            relative_max_distance=relative_max_distance, relative_bidirectional=relative_bidirectional,
        )
        super().__init__()
        self.config = config
        self.d_model = d_model
        self.n_heads = n_heads
        self.n_kv_heads = n_kv_heads or n_heads
        self.head_dim = d_model // n_heads
        self.kdim = kdim or d_model
        self.vdim = vdim or d_model
        self.dropout = dropout
        self.impl = impl
        self.shared_qk = shared_qk
        d = self.head_dim
        self.q_proj = nn.Linear(d_model, n_heads * d, bias=bias)
        self.k_proj = None if shared_qk else nn.Linear(self.kdim, self.n_kv_heads * d, bias=bias)
        self.v_proj = nn.Linear(self.vdim, self.n_kv_heads * d, bias=bias)
        self.out_proj = nn.Linear(n_heads * d, d_model, bias=bias)
        self.score = make_score(score, d, n_heads)
        if self.score.head_dim != d or self.score.n_heads != n_heads:
            raise ValueError(
                f"score: expected a module built for head_dim={d}, n_heads={n_heads}, "
                f"got head_dim={self.score.head_dim}, n_heads={self.score.n_heads}"
            )
        resolved = resolve_scale(self.score, scale)
        if resolved == "learned":
            init = self.score.learned_scale_init() if scale is None else 1.0 / math.sqrt(d)
            self.learned_scale = nn.Parameter(torch.tensor(float(init)))
            self.fixed_scale = None
        else:
            self.learned_scale = None
            self.fixed_scale = float(resolved)
        self.window = window
        self.softcap = softcap
        self.sink = sink
        self.sink_logits = nn.Parameter(torch.zeros(n_heads)) if sink == "learned" else None
        self.gate_proj = nn.Linear(d_model, n_heads, bias=bias) if gate == "sigmoid" else None
        self.positions = positions
        self.rotary_dim = config.rotary_dim() if positions == "rope" else None
        self.rotary_base = rotary_base
        self.position_bias: nn.Module | None = None
        if positions == "alibi":
            self.position_bias = ALiBi(n_heads)
        elif positions == "t5":
            self.position_bias = RelativePositionBias(
                n_heads, relative_buckets, relative_max_distance, relative_bidirectional
            )
        # original indices of the heads still here (prune_heads removes entries)
        self.head_ids: list[int] = list(range(n_heads))

    @classmethod
    def from_config(cls, config: AttentionConfig) -> MultiHeadAttention:
        return cls(**{f: getattr(config, f) for f in config.__dataclass_fields__})

    def extra_repr(self) -> str:
        text = (
            f"d_model={self.d_model}, n_heads={self.n_heads}, n_kv_heads={self.n_kv_heads}, "
            f"head_dim={self.head_dim}, shared_qk={self.shared_qk}, "
            f"scale={'learned' if self.learned_scale is not None else self.fixed_scale}, impl={self.impl!r}"
        )
        switches = {"positions": self.positions, "window": self.window, "sink": self.sink,
                    "softcap": self.softcap, "gate": self.config.gate}
        return text + "".join(f", {name}={value!r}" for name, value in switches.items() if value is not None)

    # ------------------------------------------------------------------------------------------------
    # forward
    # ------------------------------------------------------------------------------------------------

    def _project_self(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """q, k, v from one input in one matmul (the three weights concatenated). x (B, T, C)."""
        weights = [self.q_proj.weight, self.v_proj.weight] if self.shared_qk else [
            self.q_proj.weight, self.k_proj.weight, self.v_proj.weight
        ]
        biases = None
        if self.q_proj.bias is not None:
            biases = [self.q_proj.bias, self.v_proj.bias] if self.shared_qk else [
                self.q_proj.bias, self.k_proj.bias, self.v_proj.bias
            ]
            biases = torch.cat(biases)
        fused = F.linear(x, torch.cat(weights), biases)  # (B, T, Hq*D + [Hkv*D] + Hkv*D)
        dq, dkv = self.n_heads * self.head_dim, self.n_kv_heads * self.head_dim
        if self.shared_qk:
            q, v = fused.split([dq, dkv], dim=-1)
            return q, q, v
        q, k, v = fused.split([dq, dkv, dkv], dim=-1)
        return q, k, v

    def _check_inputs(self, query: Tensor, key: Tensor | None, value: Tensor | None) -> None:
        if not isinstance(query, Tensor):
            raise TypeError(f"query: expected a tensor (B, Tq, C), got {type(query).__name__}")
        if query.dim() != 3 or query.shape[-1] != self.d_model:
            raise ValueError(f"query: expected shape (B, Tq, {self.d_model}), got {tuple(query.shape)}")
        if not query.is_floating_point():
            raise TypeError(f"query: expected a floating dtype, got {query.dtype}")
        for name, x, width in (("key", key, self.kdim), ("value", value, self.vdim)):
            if x is None:
                continue
            if not isinstance(x, Tensor):
                raise TypeError(f"{name}: expected a tensor (B, Tk, {width}), got {type(x).__name__}")
            if x.dim() != 3 or x.shape[-1] != width or x.shape[0] != query.shape[0]:
                raise ValueError(
                    f"{name}: expected shape ({query.shape[0]}, Tk, {width}), got {tuple(x.shape)}"
                )
            if x.dtype != query.dtype:
                raise TypeError(f"{name}: expected dtype {query.dtype} like query, got {x.dtype}")
        if key is not None and value is None and self.kdim != self.vdim:
            raise ValueError(f"value: expected a tensor (B, Tk, {self.vdim}) since vdim != kdim, got None")
        if key is not None and value is not None and key.shape[1] != value.shape[1]:
            raise ValueError(f"key, value: expected the same length Tk, got {key.shape[1]} and {value.shape[1]}")

    def _check_head_mask(self, head_mask: Tensor, batch: int) -> Tensor:
        if not isinstance(head_mask, Tensor):
            raise TypeError(f"head_mask: expected a tensor of shape (H,) or (B, H), got {type(head_mask).__name__}")
        h = self.n_heads
        if tuple(head_mask.shape) not in ((h,), (batch, h)):
            raise ValueError(f"head_mask: expected shape ({h},) or ({batch}, {h}), got {tuple(head_mask.shape)}")
        if head_mask.dim() == 1:
            return head_mask[None, :, None, None]  # (1, H, 1, 1)
        return head_mask[:, :, None, None]  # (B, H, 1, 1)

    def forward(
        self,
        query: Tensor,
        key: Tensor | None = None,
        value: Tensor | None = None,
        *,
        key_mask: Tensor | None = None,
        attn_mask: Tensor | None = None,
        is_causal: bool = False,
        head_mask: Tensor | None = None,
        need_weights: bool = False,
        cache: KVCache | None = None,
        key_padding_mask: Tensor | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """Attend from ``query`` to ``key``/``value`` (self-attention when ``key`` is None).

        Args:
            query: (B, Tq, C).
            key: (B, Tk, kdim); None for self-attention.
            value: (B, Tk, vdim); None means ``key``.
            key_mask: bool (B, Tk), True for real keys, False for padding. With a self-attention cache,
                Tk counts every cached position.
            attn_mask: bool (True = may attend) or float (added), (Tq, Tk), (B, Tq, Tk) or (B, H, Tq, Tk).
            is_causal: causal mask, aligned bottom-right (correct with a cache).
            head_mask: (H,) or (B, H) multiplier of each head's output, applied before ``out_proj``
                (0 removes the head's contribution, as in Michel et al. 2019).
            need_weights: also return the per-head weights (B, H, Tq, Tk); runs the reference kernel.
            cache: a :class:`KVCache`. Self-attention appends the new keys/values and attends over all
                stored ones; cross-attention projects ``key``/``value`` into an empty cache once and reuses
                them afterwards.
            key_padding_mask: not supported; raises with the conversion to ``key_mask``.

        Returns:
            (out (B, Tq, C), weights (B, H, Tq, Tk) or None).
        """
        if key_padding_mask is not None:
            raise TypeError(
                "key_padding_mask is not accepted: attnlab masks use True = may attend, the opposite of "
                "torch.nn.MultiheadAttention's key_padding_mask. Pass key_mask=~key_padding_mask."
            )
        if cache is not None and not isinstance(cache, KVCache):
            raise TypeError(f"cache: expected an attnlab KVCache, got {type(cache).__name__}")
        self._check_inputs(query, key, value)
        batch, tq, _ = query.shape
        d = self.head_dim
        self_attention = key is None
        if self.positions is not None and not self_attention:
            raise ValueError(
                f"key: positions={self.positions!r} acts in self-attention, so expected key=None (keys from the "
                "query input), got a key tensor; build cross-attention with positions=None"
            )
        if value is None:
            value = query if self_attention else key
        cached_cross = cache is not None and not self_attention and cache.length > 0

        if self_attention and self.kdim == self.vdim == self.d_model:
            q, k, v = self._project_self(query)
        else:
            q = self.q_proj(query)
            if cached_cross:
                k = v = None
            else:
                src = query if self_attention else key
                k = (self.q_proj if self.shared_qk else self.k_proj)(src)
                v = self.v_proj(value)
        q = rearrange(q, "b t (h d) -> b h t d", d=d)  # (B, H, Tq, D)
        if k is not None:
            k = rearrange(k, "b t (h d) -> b h t d", d=d)  # (B, Hkv, Tk, D)
            v = rearrange(v, "b t (h d) -> b h t d", d=d)  # (B, Hkv, Tk, D)
        if self.rotary_dim is not None:
            # the new tokens sit after the cached ones; keys are cached already turned
            start = cache.length if cache is not None else 0
            positions = torch.arange(start, start + tq, device=q.device)
            cos, sin = rotary_cos_sin(positions, self.rotary_dim, self.rotary_base)  # (Tq, r) each
            q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        if cache is not None:
            if self_attention:
                k, v = cache.append(k, v)
            elif cached_cross:
                k, v = cache.get()
            else:
                k, v = cache.set_static(k, v)

        tk = k.shape[2]
        mask = build_mask_spec(
            attn_mask=attn_mask, key_mask=key_mask, is_causal=is_causal,
            batch=batch, heads=self.n_heads, tq=tq, tk=tk, dtype=q.dtype, window=self.window,
        )
        head_scale = self._check_head_mask(head_mask, batch) if head_mask is not None else None
        scale = self.learned_scale if self.learned_scale is not None else self.fixed_scale
        sink = self.sink_logits  # (H,) when learned, else None
        if self.sink == "zero":
            sink = q.new_zeros(self.n_heads)  # softmax off-by-one: logit 0 for every head
        out, weights = attend(
            q, k, v,
            score=self.score,
            scale=scale,
            mask=mask,
            dropout_p=self.dropout if self.training else 0.0,
            need_weights=need_weights,
            impl=self.impl,
            bias=self.position_bias,
            softcap=self.softcap,
            sink=sink,
        )  # out (B, H, Tq, D)
        if self.gate_proj is not None:
            gate = torch.sigmoid(self.gate_proj(query))  # (B, Tq, H): one scalar per head and query token
            out = out * rearrange(gate, "b t h -> b h t 1")
        if head_scale is not None:
            out = out * head_scale.to(out.dtype)
        out = rearrange(out, "b h t d -> b t (h d)")  # (B, Tq, H*D)
        return self.out_proj(out), weights

    # ------------------------------------------------------------------------------------------------
    # heads: inspection and pruning
    # ------------------------------------------------------------------------------------------------

    def head_weights(self, h: int) -> dict[str, Tensor | None]:
        """Head ``h``'s projection matrices, as views in the math convention ``x @ W``.

        Returns:
            dict with W_Q (C, D), W_K (kdim, D), W_V (vdim, D), W_O (D, C) and the biases b_Q, b_K, b_V
            (D,) or None.
        """
        if not 0 <= h < self.n_heads:
            raise ValueError(f"h: expected a head index in [0, {self.n_heads}), got {h}")
        d = self.head_dim
        g = h // (self.n_heads // self.n_kv_heads)  # the key/value head this query head reads
        rows_q, rows_kv = slice(h * d, (h + 1) * d), slice(g * d, (g + 1) * d)
        k_lin = self.q_proj if self.shared_qk else self.k_proj
        k_rows = rows_q if self.shared_qk else rows_kv

        def bias(lin: nn.Linear, rows: slice) -> Tensor | None:
            return None if lin.bias is None else lin.bias[rows]

        return {
            "W_Q": self.q_proj.weight[rows_q].T,
            "W_K": k_lin.weight[k_rows].T,
            "W_V": self.v_proj.weight[rows_kv].T,
            "W_O": self.out_proj.weight[:, rows_q].T,
            "b_Q": bias(self.q_proj, rows_q),
            "b_K": bias(k_lin, k_rows),
            "b_V": bias(self.v_proj, rows_kv),
        }

    @torch.no_grad()
    def prune_heads(self, heads) -> None:
        """Remove heads for real: their rows of the Q/K/V projections, their columns of W_O, their score
        parameters, and their sink logit, gate row, ALiBi slope or T5 bias column. The output equals running
        with ``head_mask`` zero on those heads.

        Args:
            heads: indices of current heads (0 <= h < n_heads) to remove.

        Raises:
            ValueError: for an index out of range, removing every head, or (grouped-query attention) a set
                that is not a union of whole key/value groups.
        """
        heads = sorted({int(h) for h in heads})
        if not heads:
            return
        if heads[0] < 0 or heads[-1] >= self.n_heads:
            raise ValueError(f"heads: expected indices in [0, {self.n_heads}), got {heads}")
        if len(heads) == self.n_heads:
            raise ValueError(f"heads: cannot remove all {self.n_heads} heads")
        group = self.n_heads // self.n_kv_heads
        if group > 1:
            groups = {h // group for h in heads}
            whole = sorted(h for g in groups for h in range(g * group, (g + 1) * group))
            if whole != heads:
                raise ValueError(
                    f"heads: with n_kv_heads={self.n_kv_heads}, heads share keys/values in groups of {group}; "
                    f"prune whole groups, e.g. {whole}, got {heads}"
                )
            drop_kv = sorted(groups)
        else:
            drop_kv = heads
        d = self.head_dim
        keep_q = [h for h in range(self.n_heads) if h not in set(heads)]
        keep_kv = [g for g in range(self.n_kv_heads) if g not in set(drop_kv)]

        def rows(keep: list[int]) -> Tensor:
            return torch.tensor([i * d + j for i in keep for j in range(d)], dtype=torch.long)

        def slice_linear(lin: nn.Linear, index: Tensor, dim: int) -> nn.Linear:
            w = lin.weight.index_select(dim, index.to(lin.weight.device))
            new = nn.Linear(w.shape[1], w.shape[0], bias=lin.bias is not None, device=w.device, dtype=w.dtype)
            new.weight.copy_(w)
            if lin.bias is not None:
                new.bias.copy_(lin.bias if dim == 1 else lin.bias.index_select(0, index.to(lin.bias.device)))
            return new

        self.q_proj = slice_linear(self.q_proj, rows(keep_q), 0)
        if self.k_proj is not None:
            self.k_proj = slice_linear(self.k_proj, rows(keep_kv), 0)
        self.v_proj = slice_linear(self.v_proj, rows(keep_kv), 0)
        self.out_proj = slice_linear(self.out_proj, rows(keep_q), 1)
        keep = torch.tensor(keep_q, dtype=torch.long)
        self.score.prune_heads(keep)
        if self.gate_proj is not None:
            self.gate_proj = slice_linear(self.gate_proj, keep, 0)  # one row per head
        if self.sink_logits is not None:
            self.sink_logits = nn.Parameter(self.sink_logits.detach().index_select(0, keep.to(self.sink_logits.device)))
        if self.position_bias is not None:
            self.position_bias.prune_heads(keep)
        self.head_ids = [self.head_ids[h] for h in keep_q]
        self.n_heads = len(keep_q)
        self.n_kv_heads = len(keep_kv)

    # ------------------------------------------------------------------------------------------------
    # interop
    # ------------------------------------------------------------------------------------------------

    @classmethod
    def from_torch(cls, m: nn.MultiheadAttention) -> MultiHeadAttention:
        """An equivalent module from ``torch.nn.MultiheadAttention`` (same weights, same outputs).

        The result is batch-first: if ``m.batch_first`` is False, transpose your inputs. Masks change
        convention: ``key_padding_mask`` becomes ``key_mask=~key_padding_mask`` and a boolean
        ``attn_mask`` (True = blocked in torch) becomes ``~attn_mask``; float masks carry over unchanged.

        Raises:
            ValueError: for ``add_bias_kv`` or ``add_zero_attn``, which have no equivalent here.
        """
        if not isinstance(m, nn.MultiheadAttention):
            raise TypeError(f"m: expected torch.nn.MultiheadAttention, got {type(m).__name__}")
        if m.bias_k is not None or m.add_zero_attn:
            raise ValueError("m: add_bias_kv and add_zero_attn are not supported by attnlab.MultiHeadAttention")
        e = m.embed_dim
        has_bias = m.in_proj_bias is not None
        new = cls(
            e, m.num_heads, bias=has_bias, dropout=m.dropout,
            kdim=None if m.kdim == e else m.kdim, vdim=None if m.vdim == e else m.vdim,
        )
        new = new.to(device=m.out_proj.weight.device, dtype=m.out_proj.weight.dtype)
        with torch.no_grad():
            if m._qkv_same_embed_dim:
                wq, wk, wv = m.in_proj_weight.chunk(3, dim=0)
            else:
                wq, wk, wv = m.q_proj_weight, m.k_proj_weight, m.v_proj_weight
            new.q_proj.weight.copy_(wq)
            new.k_proj.weight.copy_(wk)
            new.v_proj.weight.copy_(wv)
            new.out_proj.weight.copy_(m.out_proj.weight)
            if has_bias:
                bq, bk, bv = m.in_proj_bias.chunk(3)
                new.q_proj.bias.copy_(bq)
                new.k_proj.bias.copy_(bk)
                new.v_proj.bias.copy_(bv)
                new.out_proj.bias.copy_(m.out_proj.bias)
        return new
