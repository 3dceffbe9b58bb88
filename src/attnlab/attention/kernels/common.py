"""Helpers shared by the attention kernels: grouped-query expansion, the scale, the soft-cap, the position bias.

Shapes: x (B, Hkv, T, D) expands to (B, H, T, D); a position bias maps relative positions (any shape, long)
to (H, ...).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from attnlab.attention.masks import MaskSpec, relative_positions

ScaleLike = float | Tensor


def expand_kv(x: Tensor, n_heads: int) -> Tensor:
    """(B, Hkv, T, D) -> (B, H, T, D) by repeating each key/value head for its group of query heads."""
    groups = n_heads // x.shape[1]
    return x if groups == 1 else x.repeat_interleave(groups, dim=1)


def apply_scale(x: Tensor, scale: ScaleLike) -> Tensor:
    return x * scale if isinstance(scale, Tensor) or scale != 1.0 else x


def soft_cap(x: Tensor, softcap: float | None) -> Tensor:
    """``c · tanh(x / c)``: logits squashed smoothly into (-c, c) (Gemma 2); identity for None."""
    return x if softcap is None else torch.tanh(x / softcap) * softcap


def full_bias(bias: nn.Module, mask: MaskSpec, device: torch.device, dtype: torch.dtype) -> Tensor:
    """The position bias of every (query, key) pair, (H, Tq, Tk)."""
    return block_bias(bias, mask, 0, mask.tq, 0, mask.tk, device, dtype)


def block_bias(
    bias: nn.Module, mask: MaskSpec, q0: int, q1: int, k0: int, k1: int, device: torch.device, dtype: torch.dtype
) -> Tensor:
    """The position bias of queries [q0, q1) and keys [k0, k1), (H, q1 - q0, k1 - k0).

    A position bias depends on the distance ``j - p`` alone, so the block is a Toeplitz matrix per head:
    the bias is looked up once per distance, (H, nq + nk - 1), and row i is the window of nk distances
    that starts nq - 1 - i places in. For T = 512 that is 1,023 lookups (T5: buckets with a log) instead of
    262,144, and the table's gradient sums the diagonals (``unfold``'s backward) instead of scattering
    every pair into its bucket.
    """
    nq, nk = q1 - q0, k1 - k0
    if nq == 0 or nk == 0:
        return bias(relative_positions(mask.tq, mask.tk, q0, q1, k0, k1, device)).to(dtype)
    first = relative_positions(mask.tq, mask.tk, q1 - 1, q1, k0, k0 + 1, device)[0, 0]  # the last row's first key
    per_distance = bias(first + torch.arange(nq + nk - 1, device=device)).to(dtype)  # (H, nq + nk - 1)
    return per_distance.unfold(-1, nk, 1).flip(-2)  # (H, nq, nk): row i holds distances first + (nq-1-i) + j
