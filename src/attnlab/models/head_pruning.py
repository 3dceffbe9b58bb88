"""Heads of a Transformer stack: pruning them for real, and the ``head_mask`` that fits what is left.

A model's ``config.pruned_heads`` lists, per block, the original indices of the self-attention heads that
``prune_heads`` removed, so the config rebuilds the pruned model (a checkpoint reloads), and
``config.heads_per_layer`` gives the heads each block has now. ``head_mask`` follows those counts: after
pruning, running with a mask over the heads left equals running the unpruned model with the same mask
on those heads and 0 on the removed ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

import torch
from torch import nn

from attnlab.attention.heads import check_prunable

__all__ = ["PrunableHeads", "check_head_mask"]

HeadMask = torch.Tensor | Sequence[torch.Tensor]


def check_head_mask(head_mask: HeadMask | None, heads_per_layer: tuple[int, ...]) -> None:
    """Raise unless ``head_mask`` fits blocks with ``heads_per_layer`` heads.

    A tensor (L, H) or (L, B, H) when every block has H heads; otherwise (or always) a sequence of L
    tensors, block l's of shape (H_l,) or (B, H_l).
    """
    if head_mask is None:
        return
    n, counts = len(heads_per_layer), sorted(set(heads_per_layer))
    if isinstance(head_mask, torch.Tensor):
        if len(counts) > 1:
            raise ValueError(f"head_mask: the blocks have {list(heads_per_layer)} heads after prune_heads; expected a "
                             f"list of {n} tensors (H_l,) or (B, H_l), got a tensor of shape {tuple(head_mask.shape)}")
        h = counts[0]
        if head_mask.dim() not in (2, 3) or head_mask.shape[0] != n or head_mask.shape[-1] != h:
            raise ValueError(f"head_mask: expected shape ({n}, {h}) or ({n}, B, {h}), got {tuple(head_mask.shape)}")
        return
    if not isinstance(head_mask, Sequence) or len(head_mask) != n:
        got = len(head_mask) if isinstance(head_mask, Sequence) else type(head_mask).__name__
        raise ValueError(f"head_mask: expected a tensor or a list of {n} per-block tensors, got {got}")
    for i, (m, h) in enumerate(zip(head_mask, heads_per_layer, strict=True)):
        if not isinstance(m, torch.Tensor) or m.dim() not in (1, 2) or m.shape[-1] != h:
            got = tuple(m.shape) if isinstance(m, torch.Tensor) else type(m).__name__
            raise ValueError(f"head_mask[{i}]: expected shape ({h},) or (B, {h}), got {got}")


class PrunableHeads:
    """``prune_heads`` for a Transformer stack whose blocks are ``self.layers``, each with ``attn``."""

    layers: nn.ModuleList

    def prune_heads(self, heads: Mapping[int, Iterable[int]]) -> None:
        """Remove self-attention heads for real (see :meth:`MultiHeadAttention.prune_heads`).

        Args:
            heads: {block index: indices of that block's current heads to remove}.

        Every block's ``attn.config`` then holds the heads it has left, this model's
        ``config.pruned_heads`` the original indices removed and ``config.heads_per_layer`` the counts
        that ``head_mask`` takes. Nothing changes unless every block's set is valid.

        Raises:
            ValueError: for a block index out of range, or a set its attention cannot remove.
        """
        if not isinstance(heads, Mapping):
            raise TypeError(f"heads: expected a dict {{block index: head indices}}, got {type(heads).__name__}")
        n = len(self.layers)
        plan = {}
        for layer, chosen in heads.items():
            if isinstance(layer, bool) or not isinstance(layer, int) or not 0 <= layer < n:
                raise ValueError(f"heads: expected block indices in [0, {n}), got {layer!r}")
            attn = self.layers[layer].attn
            plan[layer] = check_prunable(chosen, attn.n_heads, attn.n_kv_heads)[0]
        removed = [set(p) for p in self.config.pruned_heads] or [set() for _ in range(n)]
        for layer, drop in plan.items():
            attn = self.layers[layer].attn
            removed[layer].update(attn.head_ids[h] for h in drop)
            attn.prune_heads(drop)
        self.config = dataclasses.replace(self.config, pruned_heads=tuple(tuple(sorted(r)) for r in removed))

    def _prune_as_configured(self) -> None:
        """Remove the heads that ``config.pruned_heads`` lists (a model rebuilt from a pruned config)."""
        for layer, heads in enumerate(self.config.pruned_heads):
            if heads:
                self.layers[layer].attn.prune_heads(heads)
