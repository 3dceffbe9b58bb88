"""Outputs of the models: dataclasses of tensors, shapes in the attribute docs.

Shape legend: B batch, H heads, T sequence length (S source length), C model dim, V vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["ClassifierOutput", "DecoderOutput", "EncoderOutput", "LMOutput"]


@dataclass
class EncoderOutput:
    """Output of the encoders (Transformer, RNN, CNN).

    Attributes:
        hidden: (B, T, C) final hidden states.
        logits: (B, T, n_outputs) per-token head output, or None without a head.
        attentions: per layer (B, H, T, T) when ``need_weights``, else None.
    """

    hidden: torch.Tensor
    logits: torch.Tensor | None = None
    attentions: list[torch.Tensor] | None = None


@dataclass
class DecoderOutput:
    """Output of :class:`TransformerDecoder`.

    Attributes:
        hidden: (B, T, C) final hidden states.
        logits: (B, T, V).
        attentions: per layer self-attention weights (B, H, T, Tk) when ``need_weights``.
        cross_attentions: per layer cross-attention weights (B, H, T, S) when ``need_weights``.
    """

    hidden: torch.Tensor
    logits: torch.Tensor
    attentions: list[torch.Tensor] | None = None
    cross_attentions: list[torch.Tensor] | None = None


@dataclass
class LMOutput:
    """Output of :class:`TransformerLM`.

    Attributes:
        logits: (B, T, V).
        attentions: per layer (B, H, T, Tk) when ``need_weights``, else None.
    """

    logits: torch.Tensor
    attentions: list[torch.Tensor] | None = None


@dataclass
class ClassifierOutput:
    """Output of the sequence classifiers (:class:`SequenceClassifier`, ``RNNClassifier``).

    Attributes:
        logits: (B, n_classes).
        pool_weights: (B, T) attention-pooling weights (pooling="attention"), else None.
        attentions: per layer (B, H, T, T) self-attention weights when ``need_weights``, else None.
    """

    logits: torch.Tensor
    pool_weights: torch.Tensor | None = None
    attentions: list[torch.Tensor] | None = None
