"""Configs of the baselines: RNN and CNN encoders, the RNN classifier and the RNN encoder-decoder."""

from __future__ import annotations

from dataclasses import dataclass

from attnlab.models.configs.base import (
    CELLS,
    RNN_POOLINGS,
    SEQ2SEQ_STYLES,
    ConfigMixin,
    check_choice,
    check_int,
    check_prob,
    check_score,
)

__all__ = ["CNNEncoderConfig", "RNNClassifierConfig", "RNNEncoderConfig", "RNNSeq2SeqConfig"]


@dataclass(frozen=True, kw_only=True)
class RNNEncoderConfig(ConfigMixin):
    """:class:`RNNEncoder`: embedding + stacked LSTM/GRU."""

    vocab_size: int | None  # input vocabulary; None -> the model takes inputs_embeds only
    d_model: int  # output width C (each direction has C/2 units when bidirectional)
    n_layers: int = 1  # stacked recurrent layers
    cell: str = "lstm"  # lstm or gru
    bidirectional: bool = False  # run a backward RNN too and concatenate
    dropout: float = 0.0  # dropout on embeddings and between layers
    n_outputs: int | None = None  # classes of the per-token linear head; None -> no head

    def __post_init__(self) -> None:
        check_int("vocab_size", self.vocab_size, optional=True)
        check_int("d_model", self.d_model)
        check_int("n_layers", self.n_layers)
        check_choice("cell", self.cell, CELLS)
        if self.bidirectional and self.d_model % 2:
            raise ValueError(f"d_model: expected an even width when bidirectional=True, got {self.d_model}")
        check_prob("dropout", self.dropout)
        check_int("n_outputs", self.n_outputs, optional=True)


@dataclass(frozen=True, kw_only=True)
class CNNEncoderConfig(ConfigMixin):
    """:class:`CNNEncoder`: embedding + residual stack of same-padded 1-D convolutions."""

    vocab_size: int | None  # input vocabulary; None -> the model takes inputs_embeds only
    d_model: int  # channels C
    n_layers: int = 2  # convolution blocks
    kernel_size: int = 3  # odd kernel width (same padding)
    dilation_base: int = 1  # layer l uses dilation dilation_base**l (1 -> plain stack)
    dropout: float = 0.0  # dropout on embeddings and residual branches
    n_outputs: int | None = None  # classes of the per-token linear head; None -> no head

    def __post_init__(self) -> None:
        check_int("vocab_size", self.vocab_size, optional=True)
        check_int("d_model", self.d_model)
        check_int("n_layers", self.n_layers)
        check_int("kernel_size", self.kernel_size)
        if self.kernel_size % 2 == 0:
            raise ValueError(f"kernel_size: expected an odd int (same padding), got {self.kernel_size}")
        check_int("dilation_base", self.dilation_base)
        check_prob("dropout", self.dropout)
        check_int("n_outputs", self.n_outputs, optional=True)


@dataclass(frozen=True, kw_only=True)
class RNNClassifierConfig(ConfigMixin):
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
        check_int("vocab_size", self.vocab_size)
        check_int("n_classes", self.n_classes)
        check_int("d_model", self.d_model)
        check_int("n_layers", self.n_layers)
        check_choice("cell", self.cell, CELLS)
        if self.bidirectional and self.d_model % 2:
            raise ValueError(f"d_model: expected an even width when bidirectional=True, got {self.d_model}")
        check_choice("pooling", self.pooling, RNN_POOLINGS)
        check_score("score", self.score)
        check_prob("dropout", self.dropout)


@dataclass(frozen=True, kw_only=True)
class RNNSeq2SeqConfig(ConfigMixin):
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
        check_int("src_vocab_size", self.src_vocab_size)
        check_int("tgt_vocab_size", self.tgt_vocab_size)
        check_int("d_model", self.d_model)
        check_int("n_layers", self.n_layers)
        check_choice("cell", self.cell, CELLS)
        if self.bidirectional and self.d_model % 2:
            raise ValueError(f"d_model: expected an even width when bidirectional=True, got {self.d_model}")
        check_score("score", self.score)
        check_choice("style", self.style, SEQ2SEQ_STYLES)
        check_prob("dropout", self.dropout)
