"""ALiBi: attention with linear biases (Press et al. 2021, "Train Short, Test Long").

No position embedding at all: each head adds a penalty proportional to the distance between query and
key to its logits,

.. math::  s_{h}(i, j) \\mathrel{+}= -m_h \\, |i - j|

with a fixed slope :math:`m_h` per head, a geometric sequence that starts at :math:`2^{-8/H}` and has that
same ratio. In a causal model only ``j <= i`` is ever attended, where ``|i - j| = i - j`` as in the paper;
for bidirectional attention the same penalty applies on both sides (a common extension).

The bias is a function of the relative position ``rel = j - i`` alone, which is how every attention path
asks for it (a full (H, Tq, Tk) table for the fused SDPA call, one block at a time in the chunked kernel).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["ALiBi", "alibi_slopes"]


def _slopes_power_of_2(n: int) -> list[float]:
    start = 2.0 ** (-(2.0 ** -(math.log2(n) - 3)))  # = 2^(-8/n)
    return [start * start**i for i in range(n)]


def _slopes(n: int) -> list[float]:
    if math.log2(n).is_integer():
        return _slopes_power_of_2(n)
    # Other head counts: the slopes of the closest smaller power of two, then every other slope of the next
    # power of two (which fall between the first ones), as in the paper's reference get_slopes.
    closest = 2 ** math.floor(math.log2(n))
    return _slopes_power_of_2(closest) + _slopes(2 * closest)[0::2][: n - closest]


def alibi_slopes(n_heads: int) -> Tensor:
    r"""The per-head ALiBi slopes of Press et al. 2021, as their reference ``get_slopes``.

    For :math:`H` a power of two, :math:`m_h = 2^{-8h/H}`, :math:`h = 1..H` (8 heads: 1/2, 1/4, ..., 1/256).
    Otherwise the :math:`2^{\lfloor \log_2 H \rfloor}` slopes of that power of two come first, followed by
    the odd-indexed slopes :math:`2^{-4(2h-1)/2^{\lfloor \log_2 H \rfloor}}` of the next one.

    Args:
        n_heads: H >= 1.

    Returns:
        (H,) float32 tensor, largest slope first.
    """
    if isinstance(n_heads, bool) or not isinstance(n_heads, int) or n_heads < 1:
        raise ValueError(f"n_heads: expected a positive int, got {n_heads!r}")
    return torch.tensor(_slopes(n_heads), dtype=torch.float32)


class ALiBi(nn.Module):
    """The ALiBi logit bias of every head as a function of relative position.

    Args:
        n_heads: H; the slopes are :func:`alibi_slopes` (H). A non-persistent buffer: they are fixed.

    Shape:
        forward(rel) with rel = j - i, an integer tensor of any shape (...) -> bias (H, ...), float.
    """

    def __init__(self, n_heads: int) -> None:
        super().__init__()
        self.register_buffer("slopes", alibi_slopes(n_heads), persistent=False)

    def forward(self, rel: Tensor) -> Tensor:
        slopes = self.slopes.view(-1, *([1] * rel.dim()))  # (H, 1, ..., 1)
        return -slopes * rel.abs().to(slopes.dtype)  # (H, ...)

    def prune_heads(self, keep: Tensor) -> None:
        """Keep the slopes of the heads in ``keep``: a pruned head's neighbours keep their own slopes."""
        self.slopes = self.slopes.index_select(0, keep.to(self.slopes.device))

    def extra_repr(self) -> str:
        return f"n_heads={self.slopes.numel()}"
