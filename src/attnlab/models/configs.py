"""Frozen, validated configuration dataclasses for every model in :mod:`attnlab.models`.

Every config is ``dataclasses.asdict``-able (plain ints, floats, strings, bools, ``None``), so a trainer
can store it as JSON beside the weights and rebuild the model with ``Model.from_config(json_dict)``.
Validation happens in ``__post_init__``; a bad value raises ``ValueError`` (or ``TypeError`` for a wrong
type) whose message names the field and says what was expected and what was given.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

ACTIVATIONS = ("gelu", "relu", "gelu_tanh")
POSITIONS = ("sinusoidal", "learned", "rope", "alibi", "t5", "none")
EMBEDDING_POSITIONS = ("sinusoidal", "learned")  # added to the token embeddings; the others act in attention
ATTN_IMPLS = ("auto", "reference", "sdpa", "chunked")
SEQ_POOLINGS = ("first", "mean", "max", "attention")
RNN_POOLINGS = ("last", "mean", "max", "attention")
CELLS = ("lstm", "gru")
SEQ2SEQ_STYLES = ("luong", "bahdanau")


def _set(obj: Any, name: str, value: Any) -> None:
    """Assign a resolved default on a frozen dataclass (used only inside ``__post_init__``)."""
    object.__setattr__(obj, name, value)


def _check_int(name: str, value: Any, *, minimum: int = 1, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name}: expected an int, got {type(value).__name__} ({value!r})")
    if value < minimum:
        raise ValueError(f"{name}: expected an int >= {minimum}, got {value}")


def _check_choice(name: str, value: Any, choices: tuple[str, ...] | list[str]) -> None:
    if value not in choices:
        raise ValueError(f"{name}: expected one of {sorted(choices)}, got {value!r}")


def _check_prob(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.0 <= value < 1.0:
        raise ValueError(f"{name}: expected a float in [0, 1), got {value!r}")


def _check_score(name: str, value: Any) -> None:
    from attnlab.attention import list_scores

    if not isinstance(value, str):
        raise TypeError(f"{name}: expected a registered score name (str), got {type(value).__name__}")
    _check_choice(name, value, list(list_scores()))


def _check_scale(value: Any) -> None:
    ok = value is None or isinstance(value, (bool, float, int)) or value == "learned"
    if not ok:
        raise ValueError(f"scale: expected None, True, False, a float or 'learned', got {value!r}")


class _ConfigMixin:
    """Helpers shared by all configs: ``to_dict`` and ``from_dict``."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[arg-type]

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown field(s) {unknown}; expected a subset of {sorted(names)}")
        return cls(**data)


@dataclass(frozen=True, kw_only=True)
class TransformerConfig(_ConfigMixin):
    """Hyperparameters shared by the Transformer stacks (blocks and attention switches)."""

    causal_self_attention: ClassVar[bool] = False  # the model's self-attention is causal (T5 buckets one-sided)

    d_model: int  # model width C
    n_heads: int  # attention heads H (d_model must be divisible by it)
    n_layers: int  # number of blocks
    max_len: int = 512  # longest sequence (positions table size, KV cache size)
    d_ff: int | None = None  # feed-forward hidden width; None -> 4 * d_model
    dropout: float = 0.0  # dropout on embeddings, attention weights and residual branches
    activation: str = "gelu"  # feed-forward non-linearity: gelu, relu or gelu_tanh (GPT-2)
    norm_first: bool = True  # True: pre-LN blocks; False: post-LN blocks (original Transformer, BERT)
    norm_eps: float = 1e-5  # LayerNorm epsilon
    bias: bool = True  # biases in attention projections, feed-forward layers and LayerNorms
    positions: str = "sinusoidal"  # sinusoidal or learned (embeddings), rope, alibi or t5 (self-attention), none
    scale_embeddings: bool | None = None  # multiply token embeddings by sqrt(d_model); None -> sinusoidal
    final_norm: bool | None = None  # LayerNorm after the last block; None -> norm_first
    init_std: float = 0.02  # std of the normal init of token (unscaled) and learned position embeddings
    score: str = "scaled_dot"  # registered attention score name
    shared_qk: bool = False  # W_Q = W_K in self-attention
    scale: bool | float | str | None = None  # score scale: None (score default), True, False, float, "learned"
    n_kv_heads: int | None = None  # key/value heads for grouped-/multi-query attention; None -> n_heads
    attn_impl: str = "auto"  # attention kernel: auto, reference, sdpa or chunked
    window: int | None = None  # sliding-window self-attention: each query sees W keys; None = all
    sink: str | None = None  # attention sink: None, "zero" (softmax off-by-one) or "learned" (a logit per head)
    softcap: float | None = None  # attention logits c·tanh(x / c) (Gemma 2); None = off
    gate: str | None = None  # None or "sigmoid": head-wise sigmoid gate on each attention head's output
    rotary_base: float = 10000.0  # RoPE base (positions="rope")
    rotary_fraction: float = 1.0  # share of each head's dims that RoPE turns (positions="rope")
    relative_buckets: int = 32  # T5 relative-position buckets (positions="t5")
    relative_max_distance: int = 128  # T5: distances from here on share the last bucket (positions="t5")

    def __post_init__(self) -> None:
        _check_int("d_model", self.d_model)
        _check_int("n_heads", self.n_heads)
        _check_int("n_layers", self.n_layers)
        _check_int("max_len", self.max_len)
        if self.d_model % self.n_heads:
            raise ValueError(
                f"d_model: expected a multiple of n_heads={self.n_heads}, got {self.d_model}"
            )
        _check_int("d_ff", self.d_ff, optional=True)
        if self.d_ff is None:
            _set(self, "d_ff", 4 * self.d_model)
        _check_prob("dropout", self.dropout)
        _check_choice("activation", self.activation, ACTIVATIONS)
        if not isinstance(self.norm_eps, (int, float)) or self.norm_eps <= 0:
            raise ValueError(f"norm_eps: expected a positive float, got {self.norm_eps!r}")
        _check_choice("positions", self.positions, POSITIONS)
        if self.scale_embeddings is None:
            _set(self, "scale_embeddings", self.positions == "sinusoidal")
        if self.final_norm is None:
            _set(self, "final_norm", bool(self.norm_first))
        if not isinstance(self.init_std, (int, float)) or self.init_std <= 0:
            raise ValueError(f"init_std: expected a positive float, got {self.init_std!r}")
        _check_score("score", self.score)
        _check_scale(self.scale)
        _check_int("n_kv_heads", self.n_kv_heads, optional=True)
        if self.n_kv_heads is not None and self.n_heads % self.n_kv_heads:
            raise ValueError(
                f"n_kv_heads: expected a divisor of n_heads={self.n_heads}, got {self.n_kv_heads}"
            )
        if self.shared_qk and self.n_kv_heads not in (None, self.n_heads):
            raise ValueError(
                f"n_kv_heads: expected None or n_heads={self.n_heads} with shared_qk=True (keys then use W_Q), "
                f"got {self.n_kv_heads}"
            )
        _check_choice("attn_impl", self.attn_impl, ATTN_IMPLS)
        from attnlab.attention.multihead import AttentionConfig

        # the attention switches and their combinations, checked where MultiHeadAttention checks them
        AttentionConfig(d_model=self.d_model, n_heads=self.n_heads, score=self.score, shared_qk=self.shared_qk,
                        scale=self.scale, n_kv_heads=self.n_kv_heads, dropout=self.dropout, impl=self.attn_impl,
                        **self.attention_switches())

    @property
    def embedding_positions(self) -> str:
        """The position encoding added to the token embeddings: sinusoidal, learned or none."""
        return self.positions if self.positions in EMBEDDING_POSITIONS else "none"

    def attention_switches(self) -> dict[str, Any]:
        """The modern switches of :class:`~attnlab.attention.MultiHeadAttention`, with ``positions`` the
        scheme that acts inside self-attention (rope, alibi, t5) or None; T5 buckets are one-sided when the
        model's self-attention is causal."""
        inside = self.positions if self.positions in ("rope", "alibi", "t5") else None
        switches = dict(window=self.window, sink=self.sink, softcap=self.softcap, gate=self.gate, positions=inside,
                        rotary_base=self.rotary_base, rotary_fraction=self.rotary_fraction,
                        relative_buckets=self.relative_buckets, relative_max_distance=self.relative_max_distance)
        if inside == "t5":
            switches["relative_bidirectional"] = not self.causal_self_attention
        return switches

    def block_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :class:`EncoderBlock` / :class:`DecoderBlock` (after d_model, n_heads, d_ff)."""
        return dict(dropout=self.dropout, activation=self.activation, norm_first=self.norm_first,
                    norm_eps=self.norm_eps, bias=self.bias, score=self.score, shared_qk=self.shared_qk,
                    scale=self.scale, n_kv_heads=self.n_kv_heads, attn_impl=self.attn_impl,
                    **self.attention_switches())


@dataclass(frozen=True, kw_only=True)
class EncoderConfig(TransformerConfig):
    """:class:`TransformerEncoder`: token (or embedding) input, optional per-token output head."""

    vocab_size: int | None = None  # input vocabulary; None -> the model takes inputs_embeds only
    n_outputs: int | None = None  # classes of the per-token linear head; None -> no head

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_int("vocab_size", self.vocab_size, optional=True)
        _check_int("n_outputs", self.n_outputs, optional=True)


@dataclass(frozen=True, kw_only=True)
class DecoderConfig(TransformerConfig):
    """:class:`TransformerDecoder`: causal self-attention plus cross-attention to a memory."""

    causal_self_attention: ClassVar[bool] = True

    vocab_size: int  # target vocabulary (input and output)
    tie_embeddings: bool = True  # output projection shares the input embedding matrix

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_int("vocab_size", self.vocab_size)


@dataclass(frozen=True, kw_only=True)
class LMConfig(TransformerConfig):
    """:class:`TransformerLM`: decoder-only causal language model."""

    causal_self_attention: ClassVar[bool] = True

    vocab_size: int  # vocabulary size V
    positions: str = "learned"  # sinusoidal or learned (embeddings), rope, alibi or t5 (self-attention), none
    tie_embeddings: bool = True  # lm_head shares the token embedding matrix

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_int("vocab_size", self.vocab_size)


@dataclass(frozen=True, kw_only=True)
class EncoderDecoderConfig(TransformerConfig):
    """:class:`EncoderDecoder`: Transformer encoder + decoder (Vaswani et al. 2017)."""

    causal_self_attention: ClassVar[bool] = True

    src_vocab_size: int  # source vocabulary
    tgt_vocab_size: int  # target vocabulary
    n_decoder_layers: int | None = None  # decoder depth; None -> n_layers
    tie_embeddings: bool = True  # decoder output projection shares the target embedding

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_int("src_vocab_size", self.src_vocab_size)
        _check_int("tgt_vocab_size", self.tgt_vocab_size)
        _check_int("n_decoder_layers", self.n_decoder_layers, optional=True)
        if self.n_decoder_layers is None:
            _set(self, "n_decoder_layers", self.n_layers)


@dataclass(frozen=True, kw_only=True)
class ClassifierConfig(TransformerConfig):
    """:class:`SequenceClassifier`: encoder + pooling + linear classifier."""

    vocab_size: int  # input vocabulary
    n_classes: int  # output classes
    pooling: str = "first"  # first (token 0, CLS-style), mean, max or attention
    pool_score: str = "additive"  # registered score of the attention pooling

    def __post_init__(self) -> None:
        super().__post_init__()
        _check_int("vocab_size", self.vocab_size)
        _check_int("n_classes", self.n_classes)
        _check_choice("pooling", self.pooling, SEQ_POOLINGS)
        _check_score("pool_score", self.pool_score)


@dataclass(frozen=True, kw_only=True)
class RNNEncoderConfig(_ConfigMixin):
    """:class:`RNNEncoder`: embedding + stacked LSTM/GRU."""

    vocab_size: int | None  # input vocabulary; None -> the model takes inputs_embeds only
    d_model: int  # output width C (each direction has C/2 units when bidirectional)
    n_layers: int = 1  # stacked recurrent layers
    cell: str = "lstm"  # lstm or gru
    bidirectional: bool = False  # run a backward RNN too and concatenate
    dropout: float = 0.0  # dropout on embeddings and between layers
    n_outputs: int | None = None  # classes of the per-token linear head; None -> no head

    def __post_init__(self) -> None:
        _check_int("vocab_size", self.vocab_size, optional=True)
        _check_int("d_model", self.d_model)
        _check_int("n_layers", self.n_layers)
        _check_choice("cell", self.cell, CELLS)
        if self.bidirectional and self.d_model % 2:
            raise ValueError(f"d_model: expected an even width when bidirectional=True, got {self.d_model}")
        _check_prob("dropout", self.dropout)
        _check_int("n_outputs", self.n_outputs, optional=True)


@dataclass(frozen=True, kw_only=True)
class CNNEncoderConfig(_ConfigMixin):
    """:class:`CNNEncoder`: embedding + residual stack of same-padded 1-D convolutions."""

    vocab_size: int | None  # input vocabulary; None -> the model takes inputs_embeds only
    d_model: int  # channels C
    n_layers: int = 2  # convolution blocks
    kernel_size: int = 3  # odd kernel width (same padding)
    dilation_base: int = 1  # layer l uses dilation dilation_base**l (1 -> plain stack)
    dropout: float = 0.0  # dropout on embeddings and residual branches
    n_outputs: int | None = None  # classes of the per-token linear head; None -> no head

    def __post_init__(self) -> None:
        _check_int("vocab_size", self.vocab_size, optional=True)
        _check_int("d_model", self.d_model)
        _check_int("n_layers", self.n_layers)
        _check_int("kernel_size", self.kernel_size)
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size: expected an odd int (same padding), got {self.kernel_size}")
        _check_int("dilation_base", self.dilation_base)
        _check_prob("dropout", self.dropout)
        _check_int("n_outputs", self.n_outputs, optional=True)


@dataclass(frozen=True, kw_only=True)
class RNNClassifierConfig(_ConfigMixin):
    """:class:`RNNClassifier`: RNN encoder + pooling + linear classifier."""

    vocab_size: int  # input vocabulary
    n_classes: int  # output classes
    d_model: int = 128  # RNN output width (C/2 per direction when bidirectional)
    n_layers: int = 1  # stacked recurrent layers
    cell: str = "lstm"  # lstm or gru
    bidirectional: bool = False  # bidirectional encoder
    pooling: str = "last"  # last, mean, max or attention
    score: str = "additive"  # registered score of the attention pooling
    dropout: float = 0.0  # dropout on embeddings, between layers and before the classifier

    def __post_init__(self) -> None:
        _check_int("vocab_size", self.vocab_size)
        _check_int("n_classes", self.n_classes)
        _check_int("d_model", self.d_model)
        _check_int("n_layers", self.n_layers)
        _check_choice("cell", self.cell, CELLS)
        if self.bidirectional and self.d_model % 2:
            raise ValueError(f"d_model: expected an even width when bidirectional=True, got {self.d_model}")
        _check_choice("pooling", self.pooling, RNN_POOLINGS)
        _check_score("score", self.score)
        _check_prob("dropout", self.dropout)


@dataclass(frozen=True, kw_only=True)
class RNNSeq2SeqConfig(_ConfigMixin):
    """:class:`RNNSeq2Seq`: RNN encoder-decoder with attention (Bahdanau 2015 / Luong 2015)."""

    src_vocab_size: int  # source vocabulary
    tgt_vocab_size: int  # target vocabulary
    d_model: int = 128  # embedding and hidden width
    n_layers: int = 1  # stacked recurrent layers (encoder and decoder)
    cell: str = "lstm"  # lstm or gru
    bidirectional: bool = False  # bidirectional encoder (C/2 units per direction)
    score: str = "general"  # registered score used by the decoder's attention
    style: str = "luong"  # luong: attend after the RNN step; bahdanau: attend with the previous state
    dropout: float = 0.0  # dropout on embeddings and between layers

    def __post_init__(self) -> None:
        _check_int("src_vocab_size", self.src_vocab_size)
        _check_int("tgt_vocab_size", self.tgt_vocab_size)
        _check_int("d_model", self.d_model)
        _check_int("n_layers", self.n_layers)
        _check_choice("cell", self.cell, CELLS)
        if self.bidirectional and self.d_model % 2:
            raise ValueError(f"d_model: expected an even width when bidirectional=True, got {self.d_model}")
        _check_score("score", self.score)
        _check_choice("style", self.style, SEQ2SEQ_STYLES)
        _check_prob("dropout", self.dropout)
