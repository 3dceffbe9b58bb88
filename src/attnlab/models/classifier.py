"""The sequence classifier: a Transformer encoder, a pooling step and a linear classifier.

Shape legend: B batch, H heads, T sequence length (S source length), C model dim, V vocabulary.
Mask convention: boolean ``True`` = may attend; ``key_mask`` (B, T) is True on real tokens.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

import torch
from torch import nn

from attnlab.attention.hooks import HookedModel, HookPoints, block_hook_modules
from attnlab.models.base import ConfiguredModel, sub_config
from attnlab.models.blocks import AttentionPooling, masked_max, masked_mean
from attnlab.models.configs import ClassifierConfig, EncoderConfig
from attnlab.models.encoder import TransformerEncoder
from attnlab.models.head_pruning import HeadMask
from attnlab.models.outputs import ClassifierOutput

__all__ = ["SequenceClassifier"]


class SequenceClassifier(HookedModel, ConfiguredModel):
    """Transformer encoder, a pooling step and a linear classifier.

    Pooling (``config.pooling``): "first" (the first token's state, BERT's [CLS] convention), "mean" /
    "max" over real tokens, or "attention" (:class:`AttentionPooling` with ``config.pool_score``).

    forward(input_ids (B, T), *, key_mask (B, T) | None, head_mask | None, need_weights=False) ->
    :class:`ClassifierOutput` (``logits`` (B, n_classes), the pooling weights (B, T) with attention pooling,
    and the per-layer self-attention maps when ``need_weights``). ``prune_heads`` prunes the encoder.
    Hook points: the encoder's, ``blocks.{i}.attn.q`` ... (:mod:`attnlab.attention.hooks`).
    """

    config_class = ClassifierConfig

    def __init__(self, config: ClassifierConfig | dict | None = None, /, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        c = self.config
        self.encoder = TransformerEncoder(sub_config(EncoderConfig, c, vocab_size=c.vocab_size))
        self.pool = AttentionPooling(c.d_model, c.pool_score) if c.pooling == "attention" else None
        self.dropout = nn.Dropout(c.dropout)
        self.classifier = nn.Linear(c.d_model, c.n_classes)

    def _hook_modules(self) -> dict[str, HookPoints]:
        return block_hook_modules(self.encoder.layers)

    def prune_heads(self, heads: Mapping[int, Iterable[int]]) -> None:
        """Remove heads of the encoder's self-attention, {block: current head indices}
        (:meth:`TransformerEncoder.prune_heads`); ``config.pruned_heads`` follows."""
        self.encoder.prune_heads(heads)
        self.config = dataclasses.replace(self.config, pruned_heads=self.encoder.config.pruned_heads)

    def forward(self, input_ids: torch.Tensor, *, key_mask: torch.Tensor | None = None,
                head_mask: HeadMask | None = None, need_weights: bool = False) -> ClassifierOutput:
        enc = self.encoder(input_ids, key_mask=key_mask, head_mask=head_mask, need_weights=need_weights)
        h = enc.hidden  # (B, T, C)
        pool_w = None
        kind = self.config.pooling
        if kind == "first":
            pooled = h[:, 0]
        elif kind == "mean":
            pooled = masked_mean(h, key_mask)
        elif kind == "max":
            pooled = masked_max(h, key_mask)
        else:
            pooled, pool_w = self.pool(h, key_mask)
        logits = self.classifier(self.dropout(pooled))  # (B, n_classes)
        return ClassifierOutput(logits, pool_w, enc.attentions)
