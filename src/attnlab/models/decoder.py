"""The Transformer decoder: causal self-attention and cross-attention to a memory, with an output projection.

Shape legend: B batch, H heads, T sequence length (S source length), C model dim, V vocabulary.
Mask convention: boolean ``True`` = may attend; ``key_mask`` (B, T) is True on real tokens.
"""

from __future__ import annotations

from typing import Any

import torch

from attnlab.attention import KVCache
from attnlab.models.base import BlockStack, check_ids
from attnlab.models.blocks import DecoderBlock, check_key_mask
from attnlab.models.configs import DecoderConfig
from attnlab.models.head_pruning import HeadMask, check_head_mask
from attnlab.models.mixers import layer_cache
from attnlab.models.outputs import DecoderOutput

__all__ = ["TransformerDecoder"]


class TransformerDecoder(BlockStack):
    """Stack of :class:`DecoderBlock` (causal self-attention + cross-attention) with an output projection.

    Keyword construction: the fields of :class:`DecoderConfig`.

    forward(input_ids (B, T), memory (B, S, C), *, memory_key_mask (B, S) | None, key_mask (B, T) | None,
    head_mask (n_layers, H) | None, need_weights=False, caches, cross_caches) -> DecoderOutput

    ``prune_heads({block: heads})`` removes self-attention heads (the cross-attention keeps its own);
    ``head_mask`` then takes the heads left (``config.heads_per_layer``).

    ``caches`` / ``cross_caches``: one :class:`~attnlab.attention.KVCache` per layer (see
    :meth:`make_caches`); positions then start at ``caches[0].length``.
    """

    config_class = DecoderConfig

    block_class = DecoderBlock

    def __init__(self, config: DecoderConfig | dict | None = None, /, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)

    def make_caches(self, batch_size: int, max_len: int | None = None) -> tuple[list[KVCache], list[KVCache]]:
        """Self-attention and cross-attention caches, one per layer (``max_len`` default: config.max_len).

        The cross-attention caches are filled from the memory on first use and reused afterwards.
        """
        n = max_len or self.config.max_len
        return [layer_cache(layer.attn, n) for layer in self.layers], [KVCache(n) for _ in self.layers]

    def hidden_states(self, input_ids: torch.Tensor, memory: torch.Tensor, *,
                      memory_key_mask: torch.Tensor | None = None, key_mask: torch.Tensor | None = None,
                      head_mask: HeadMask | None = None, need_weights: bool = False,
                      caches: list[KVCache] | None = None, cross_caches: list[KVCache] | None = None,
                      ) -> tuple[torch.Tensor, list | None, list | None]:
        """Final hidden states (after the final norm) and per-layer weights; no output projection."""
        offset = caches[0].length if caches is not None else 0
        x = self.embed(input_ids, offset=offset)  # (B, T, C)
        selfs = [] if need_weights else None
        crosses = [] if need_weights else None
        causal = input_ids.shape[1] > 1  # a single new query may see every key (no mask needed)
        for i, layer in enumerate(self.layers):
            x, ws, wc = layer(x, memory, memory_key_mask=memory_key_mask, key_mask=key_mask, is_causal=causal,
                              head_mask=None if head_mask is None else head_mask[i], need_weights=need_weights,
                              cache=None if caches is None else caches[i],
                              cross_cache=None if cross_caches is None else cross_caches[i])
            if need_weights:
                selfs.append(ws)
                crosses.append(wc)
        if self.norm is not None:
            x = self.norm(x)
        return x, selfs, crosses

    def forward(self, input_ids: torch.Tensor, memory: torch.Tensor, *,
                memory_key_mask: torch.Tensor | None = None, key_mask: torch.Tensor | None = None,
                head_mask: HeadMask | None = None, need_weights: bool = False,
                caches: list[KVCache] | None = None, cross_caches: list[KVCache] | None = None,
                ) -> DecoderOutput:
        check_ids(input_ids, "input_ids")
        if memory.dim() != 3 or memory.shape[0] != input_ids.shape[0] or memory.shape[2] != self.config.d_model:
            raise ValueError(f"memory: expected shape ({input_ids.shape[0]}, S, {self.config.d_model}), "
                             f"got {tuple(memory.shape)}")
        check_key_mask(memory_key_mask, memory.shape[0], memory.shape[1], "memory_key_mask")
        check_key_mask(key_mask, input_ids.shape[0], input_ids.shape[1])
        check_head_mask(head_mask, self.config.heads_per_layer)
        x, selfs, crosses = self.hidden_states(input_ids, memory, memory_key_mask=memory_key_mask,
                                               key_mask=key_mask, head_mask=head_mask,
                                               need_weights=need_weights, caches=caches,
                                               cross_caches=cross_caches)
        return DecoderOutput(x, self.lm_head(x), selfs, crosses)
