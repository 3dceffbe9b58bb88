"""The decoding state of a recurrent mixer (linear attention, the delta rule): a fixed-size summary of every
token seen, in place of a key/value cache that grows with the sequence.

Like :class:`~attnlab.attention.KVCache` it is an explicit object the caller creates (one per layer, from
the mixer's ``make_cache``) and passes in; ``length`` counts the tokens seen (the next position) and
``reorder`` selects batch rows for beam search.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["RecurrentState"]


class RecurrentState:
    """A recurrent mixer's state for one layer: a tuple of tensors, batch first, or None before the first
    token.

    Attributes:
        length: tokens seen so far.
        tensors: the state (e.g. the (B, H, Dk, Dv) memory), or None.
    """

    def __init__(self) -> None:
        self.length = 0
        self.tensors: tuple[Tensor, ...] | None = None

    def __repr__(self) -> str:
        shapes = None if self.tensors is None else [tuple(t.shape) for t in self.tensors]
        return f"RecurrentState(length={self.length}, shapes={shapes})"

    def update(self, tensors: tuple[Tensor, ...], tokens: int) -> None:
        """Hold ``tensors``, the state after ``tokens`` more tokens."""
        self.tensors = tuple(tensors)
        self.length += tokens

    def reorder(self, index: Tensor) -> None:
        """Select batch rows (beam search): row i becomes the old row ``index[i]``."""
        if self.tensors is None:
            return
        if index.dtype != torch.long or index.dim() != 1:
            raise ValueError(f"index: expected a 1-D LongTensor, got dtype {index.dtype}, shape {tuple(index.shape)}")
        self.tensors = tuple(t.index_select(0, index.to(t.device)) for t in self.tensors)

    def reset(self) -> None:
        """Forget every token seen."""
        self.length = 0
        self.tensors = None
