"""Configs of the Transformer models: the shared :class:`TransformerConfig` and one subclass per model."""

from __future__ import annotations

from typing import Any, ClassVar

from attnlab.attention.config import AttentionConfig
from attnlab.attention.mixer_config import CAUSAL_ONLY_MIXERS
from attnlab.attention.position_schemes import position_scheme
from attnlab.models.configs.attention_keywords import (
    ATTENTION_KEYWORDS,
    nest_attention_keywords,
    switch_readers,
    transformer_config,
)
from attnlab.models.configs.base import (
    ACTIVATIONS,
    ATTN_IMPLS,
    NORMS,
    POSITIONS,
    SEQ_POOLINGS,
    ConfigMixin,
    check_choice,
    check_int,
    check_prob,
    check_scale,
    check_score,
    set_resolved,
)

__all__ = ["ClassifierConfig", "DecoderConfig", "EncoderConfig", "EncoderDecoderConfig", "LMConfig",
           "TransformerConfig"]


@switch_readers
@transformer_config
class TransformerConfig(ConfigMixin):
    """Hyperparameters shared by the Transformer stacks (blocks and their self-attention).

    ``attention`` takes an :class:`~attnlab.attention.AttentionConfig`, a dict of its fields or None (the
    defaults); the switches in it are the model's own (score, shared_qk, scale, n_kv_heads, impl, window,
    sink, softcap, gate, rotary_* (with the RoPE scalings), relative_buckets, relative_max_distance, and mixer with
    its sizes: kv_latent_dim, rope_head_dim, latent_absorb, delta_chunk), while its d_model, n_heads,
    bias, dropout, positions (the scheme when it acts inside attention, else None) and
    relative_bidirectional (False when the model's self-attention is causal) follow from the fields here.
    After construction it is always an AttentionConfig.
    """

    causal_self_attention: ClassVar[bool] = False  # the model's self-attention is causal (T5 buckets one-sided)

    d_model: int  # model width C
    n_heads: int  # attention heads H (d_model must be divisible by it unless head_dim is given)
    n_layers: int  # number of blocks
    max_len: int = 512  # longest sequence (positions table size, KV cache size)
    d_ff: int | None = None  # feed-forward hidden width; None -> 4 * d_model
    mlp: bool = True  # False: attention-only blocks, no feed-forward sublayer (Elhage et al. 2021's toy models)
    dropout: float = 0.0  # dropout on embeddings, attention weights and residual branches
    activation: str = "gelu"  # feed-forward non-linearity: gelu, relu, gelu_tanh (GPT-2) or swiglu (gated, Llama)
    norm_first: bool = True  # True: pre-LN blocks; False: post-LN blocks (original Transformer, BERT)
    norm_eps: float = 1e-5  # LayerNorm epsilon
    norm: str = "layer"  # every norm of the stack: layer (LayerNorm) or rms (RMSNorm, no bias; Llama)
    bias: bool = True  # biases in attention projections, feed-forward layers and LayerNorms
    positions: str = "sinusoidal"  # sinusoidal or learned (embeddings), rope, alibi or t5 (self-attention), none
    scale_embeddings: bool | None = None  # multiply token embeddings by sqrt(d_model); None -> sinusoidal
    final_norm: bool | None = None  # LayerNorm after the last block; None -> norm_first
    init_std: float = 0.02  # std of the normal init of token (unscaled) and learned position embeddings
    attention: AttentionConfig | dict | None = None  # the blocks' self-attention (see above)
    pruned_heads: tuple[tuple[int, ...], ...] = ()  # per block, the original heads prune_heads removed; () none
    head_dim: int | None = None  # D, one head's width; None -> d_model // n_heads (set it to vary D at fixed H)

    def __post_init__(self) -> None:
        check_int("d_model", self.d_model)
        check_int("n_heads", self.n_heads)
        check_int("n_layers", self.n_layers)
        check_int("max_len", self.max_len)
        check_int("head_dim", self.head_dim, optional=True)
        if self.head_dim is None and self.d_model % self.n_heads:
            raise ValueError(
                f"d_model: expected a multiple of n_heads={self.n_heads} (or set head_dim), got {self.d_model}"
            )
        check_int("d_ff", self.d_ff, optional=True)
        if self.d_ff is None:
            set_resolved(self, "d_ff", 4 * self.d_model)
        if not isinstance(self.mlp, bool):
            raise TypeError(f"mlp: expected a bool (False: attention-only blocks), got {type(self.mlp).__name__} "
                            f"({self.mlp!r})")
        check_prob("dropout", self.dropout)
        check_choice("activation", self.activation, ACTIVATIONS)
        check_choice("norm", self.norm, NORMS)
        if not isinstance(self.norm_eps, (int, float)) or self.norm_eps <= 0:
            raise ValueError(f"norm_eps: expected a positive float, got {self.norm_eps!r}")
        check_choice("positions", self.positions, POSITIONS)
        if self.scale_embeddings is None:
            set_resolved(self, "scale_embeddings", self.positions == "sinusoidal")
        if self.final_norm is None:
            set_resolved(self, "final_norm", bool(self.norm_first))
        if not isinstance(self.init_std, (int, float)) or self.init_std <= 0:
            raise ValueError(f"init_std: expected a positive float, got {self.init_std!r}")
        self._resolve_attention()
        self._check_pruned_heads()

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        return super().from_dict(nest_attention_keywords(dict(data)))

    def _derived_attention(self) -> dict[str, Any]:
        """The AttentionConfig fields that follow from this config's own fields."""
        inside = position_scheme(self.positions).in_attention
        return dict(d_model=self.d_model, n_heads=self.n_heads, bias=self.bias, dropout=self.dropout,
                    positions=self.positions if inside else None,
                    relative_bidirectional=not (self.positions == "t5" and self.causal_self_attention),
                    kdim=self.d_model, vdim=self.d_model,
                    head_dim=self.head_dim or self.d_model // self.n_heads)

    def _resolve_attention(self) -> None:
        derived = self._derived_attention()
        given = self.attention if self.attention is not None else {}
        if isinstance(given, AttentionConfig):
            fields = given.to_dict()
        elif isinstance(given, dict):
            fields = dict(given)
        else:
            raise TypeError(f"attention: expected an AttentionConfig, a dict of its fields or None, "
                            f"got {type(given).__name__}")
        for name, want in derived.items():
            got = fields.get(name, want)
            resolvable = got is None and name in ("kdim", "vdim", "head_dim")  # None: resolved to the same
            if got != want and not resolvable:
                raise ValueError(f"attention.{name}: expected {want!r}, as the model's fields give it, got "
                                 f"{got!r}; set it through the model's own fields")
        check_score("score", fields.get("score", "scaled_dot"))
        check_scale(fields.get("scale"))
        check_choice("attn_impl", fields.get("impl", "auto"), ATTN_IMPLS)
        if not isinstance(given, AttentionConfig):
            # checked once here, where MultiHeadAttention checks it
            set_resolved(self, "attention", AttentionConfig.from_dict({**fields, **derived}))

    def _check_pruned_heads(self) -> None:
        value = self.pruned_heads
        if value and self.attention.mixer != "softmax":
            raise ValueError(f"pruned_heads: mixer={self.attention.mixer!r} cannot prune heads, got {value!r}; "
                             f"leave pruned_heads=() (head_mask switches heads off)")
        layers = value if isinstance(value, (tuple, list)) else None
        if layers is not None and not all(isinstance(p, (tuple, list)) for p in layers):
            layers = None
        if layers is None or (layers and len(layers) != self.n_layers):
            raise ValueError(f"pruned_heads: expected () or one sequence of head indices per block "
                             f"({self.n_layers}), got {value!r}")
        pruned = tuple(tuple(sorted({int(h) for h in p})) for p in layers)
        for i, heads in enumerate(pruned):
            if heads and (heads[0] < 0 or heads[-1] >= self.n_heads or len(heads) == self.n_heads):
                raise ValueError(f"pruned_heads[{i}]: expected some of the heads 0..{self.n_heads - 1}, not all, "
                                 f"got {list(heads)}")
        set_resolved(self, "pruned_heads", pruned if any(pruned) else ())

    @property
    def embedding_positions(self) -> str:
        """The position encoding added to the token embeddings: sinusoidal, learned or none."""
        return self.positions if position_scheme(self.positions).embedding else "none"

    @property
    def heads_per_layer(self) -> tuple[int, ...]:
        """The attention heads of each block, after ``prune_heads``."""
        if not self.pruned_heads:
            return (self.n_heads,) * self.n_layers
        return tuple(self.n_heads - len(p) for p in self.pruned_heads)

    def attention_switches(self) -> dict[str, Any]:
        """The attention fields this config passes through (not derived from its own fields), by field name."""
        return {name: getattr(self.attention, name) for name in ATTENTION_KEYWORDS.values()}

    def block_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :class:`EncoderBlock` / :class:`DecoderBlock` (after d_model, n_heads, d_ff)."""
        return dict(dropout=self.dropout, activation=self.activation, norm_first=self.norm_first,
                    norm_eps=self.norm_eps, norm=self.norm, bias=self.bias, attention=self.attention, mlp=self.mlp)


def check_bidirectional_mixer(config: TransformerConfig, model: str) -> None:
    """Refuse a causal-only mixer (the delta rule) in a model whose encoder reads both directions."""
    if config.attention.mixer in CAUSAL_ONLY_MIXERS:
        raise ValueError(f"mixer: {model}'s encoder reads both directions, and mixer={config.attention.mixer!r} is a "
                         f"left-to-right recurrence; use mixer='linear', 'softmax' or another bidirectional mixer")


@transformer_config
class EncoderConfig(TransformerConfig):
    """:class:`TransformerEncoder`: token (or embedding) input, optional per-token output head."""

    vocab_size: int | None = None  # input vocabulary; None -> the model takes inputs_embeds only
    n_outputs: int | None = None  # classes of the per-token linear head; None -> no head

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int("vocab_size", self.vocab_size, optional=True)
        check_int("n_outputs", self.n_outputs, optional=True)


@transformer_config
class DecoderConfig(TransformerConfig):
    """:class:`TransformerDecoder`: causal self-attention plus cross-attention to a memory."""

    causal_self_attention: ClassVar[bool] = True

    vocab_size: int  # target vocabulary (input and output)
    tie_embeddings: bool = True  # output projection shares the input embedding matrix

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int("vocab_size", self.vocab_size)


@transformer_config
class LMConfig(TransformerConfig):
    """:class:`TransformerLM`: decoder-only causal language model."""

    causal_self_attention: ClassVar[bool] = True

    vocab_size: int  # vocabulary size V
    positions: str = "learned"  # sinusoidal or learned (embeddings), rope, alibi or t5 (self-attention), none
    tie_embeddings: bool = True  # lm_head shares the token embedding matrix

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int("vocab_size", self.vocab_size)


@transformer_config
class EncoderDecoderConfig(TransformerConfig):
    """:class:`EncoderDecoder`: Transformer encoder + decoder (Vaswani et al. 2017)."""

    causal_self_attention: ClassVar[bool] = True

    src_vocab_size: int  # source vocabulary
    tgt_vocab_size: int  # target vocabulary
    n_decoder_layers: int | None = None  # decoder depth; None -> n_layers
    tie_embeddings: bool = True  # decoder output projection shares the target embedding

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int("src_vocab_size", self.src_vocab_size)
        check_int("tgt_vocab_size", self.tgt_vocab_size)
        check_int("n_decoder_layers", self.n_decoder_layers, optional=True)
        if self.pruned_heads:
            raise ValueError(f"pruned_heads: expected () for an EncoderDecoder (prune model.encoder or "
                             f"model.decoder), got {self.pruned_heads!r}")
        if self.n_decoder_layers is None:
            set_resolved(self, "n_decoder_layers", self.n_layers)
        check_bidirectional_mixer(self, "EncoderDecoder")


@transformer_config
class ClassifierConfig(TransformerConfig):
    """:class:`SequenceClassifier`: encoder + pooling + linear classifier."""

    vocab_size: int  # input vocabulary
    n_classes: int  # output classes
    pooling: str = "first"  # first (token 0, CLS-style), mean, max or attention
    pool_score: str = "additive"  # registered score of the attention pooling

    def __post_init__(self) -> None:
        super().__post_init__()
        check_int("vocab_size", self.vocab_size)
        check_int("n_classes", self.n_classes)
        check_choice("pooling", self.pooling, SEQ_POOLINGS)
        check_bidirectional_mixer(self, "SequenceClassifier")
        check_score("pool_score", self.pool_score)
