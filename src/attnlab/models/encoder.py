"""The Transformer encoder: a stack of :class:`~attnlab.models.EncoderBlock` over token embeddings.

Shape legend: B batch, H heads, T sequence length (S source length), C model dim, V vocabulary.
Mask convention: boolean ``True`` = may attend; ``key_mask`` (B, T) is True on real tokens.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from attnlab.models.base import BlockStack, check_ids
from attnlab.models.blocks import check_key_mask
from attnlab.models.configs import EncoderConfig
from attnlab.models.head_pruning import HeadMask, check_head_mask
from attnlab.models.outputs import EncoderOutput

__all__ = ["TransformerEncoder"]


class TransformerEncoder(BlockStack):
    """Stack of :class:`EncoderBlock` over token (or given) embeddings, optional per-token head.

    Keyword construction: the fields of :class:`EncoderConfig` (``vocab_size``, ``d_model``, ``n_heads``,
    ``n_layers``, ``max_len``, ``d_ff``, ``positions``, ``norm_first``, ``n_outputs``, attention switches...).

    forward(input_ids (B, T) long | None, *, inputs_embeds (B, T, C) | None, key_mask (B, T) bool | None,
    attn_mask | None, is_causal=False, head_mask (n_layers, H) | None, need_weights=False) -> EncoderOutput

    ``prune_heads({block: heads})`` removes self-attention heads; ``head_mask`` then takes the heads left
    (per block: ``config.heads_per_layer``; a list of (H_l,) tensors when the blocks differ).
    """

    config_class = EncoderConfig

    def __init__(self, config: EncoderConfig | dict | None = None, /, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)

    def _add_output_head(self) -> None:
        c = self.config
        self.head = nn.Linear(c.d_model, c.n_outputs) if c.n_outputs else None

    def forward(self, input_ids: torch.Tensor | None = None, *, inputs_embeds: torch.Tensor | None = None,
                key_mask: torch.Tensor | None = None, attn_mask: torch.Tensor | None = None,
                is_causal: bool = False, head_mask: HeadMask | None = None,
                need_weights: bool = False) -> EncoderOutput:
        if input_ids is not None:
            check_ids(input_ids, "input_ids")
        x = self.embed(input_ids, inputs_embeds)  # (B, T, C)
        check_key_mask(key_mask, x.shape[0], x.shape[1])
        check_head_mask(head_mask, self.config.heads_per_layer)
        attentions = [] if need_weights else None
        for i, layer in enumerate(self.layers):
            x, w = layer(x, key_mask=key_mask, attn_mask=attn_mask, is_causal=is_causal,
                         head_mask=None if head_mask is None else head_mask[i], need_weights=need_weights)
            if attentions is not None:
                attentions.append(w)
        if self.norm is not None:
            x = self.norm(x)
        logits = self.head(x) if self.head is not None else None
        return EncoderOutput(x, logits, attentions)
