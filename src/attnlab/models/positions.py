"""Position encodings: fixed sinusoids (Vaswani et al. 2017, section 3.5) and a learned table (GPT-2, BERT).

Both modules map ``(seq_len, offset)`` to a ``(T, C)`` table of the positions ``offset .. offset + T - 1``;
``offset`` is the number of tokens already in a KV cache during generation.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from attnlab.attention.position_schemes import EMBEDDING_POSITIONS


def sinusoidal_table(max_len: int, d_model: int) -> torch.Tensor:
    r"""The fixed table :math:`PE_{p, 2i} = \sin(p / 10000^{2i/C})`, :math:`PE_{p, 2i+1} = \cos(\cdot)`.

    Returns:
        Tensor of shape (max_len, d_model), float32.
    """
    pos = torch.arange(max_len, dtype=torch.float64)[:, None]  # (T, 1)
    inv_freq = torch.exp(-math.log(10000.0) * torch.arange(0, d_model, 2, dtype=torch.float64) / d_model)
    angles = pos * inv_freq  # (T, ceil(C/2))
    table = torch.zeros(max_len, d_model, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angles)
    table[:, 1::2] = torch.cos(angles[:, : d_model // 2])
    return table.float()


class _Positions(nn.Module):
    max_len: int

    def _check(self, seq_len: int, offset: int) -> None:
        if offset + seq_len > self.max_len:
            raise ValueError(
                f"sequence length: expected offset + T <= max_len={self.max_len}, got {offset} + {seq_len}"
            )


class SinusoidalPositions(_Positions):
    """Fixed sinusoidal position encodings (no parameters; a non-persistent buffer).

    Args:
        max_len: longest position + 1.
        d_model: width C.

    Shape:
        forward(seq_len, offset=0) -> (T, C)
    """

    def __init__(self, max_len: int, d_model: int) -> None:
        super().__init__()
        self.max_len = max_len
        self.register_buffer("table", sinusoidal_table(max_len, d_model), persistent=False)

    def forward(self, seq_len: int, offset: int = 0) -> torch.Tensor:
        self._check(seq_len, offset)
        return self.table[offset : offset + seq_len]


class LearnedPositions(_Positions):
    """A learned table of position embeddings, ``weight`` of shape (max_len, C) as in GPT-2's ``wpe``.

    Args:
        max_len: number of positions.
        d_model: width C.
        init_std: std of the normal initialisation.

    Shape:
        forward(seq_len, offset=0) -> (T, C)
    """

    def __init__(self, max_len: int, d_model: int, init_std: float = 0.02) -> None:
        super().__init__()
        self.max_len = max_len
        self.weight = nn.Parameter(torch.randn(max_len, d_model) * init_std)

    def forward(self, seq_len: int, offset: int = 0) -> torch.Tensor:
        self._check(seq_len, offset)
        return self.weight[offset : offset + seq_len]


def make_positions(kind: str, max_len: int, d_model: int, init_std: float = 0.02) -> _Positions | None:
    """Build the position module named ``kind`` ("sinusoidal", "learned" or "none" -> None)."""
    if kind == "sinusoidal":
        return SinusoidalPositions(max_len, d_model)
    if kind == "learned":
        return LearnedPositions(max_len, d_model, init_std)
    if kind == "none":
        return None
    raise ValueError(f"positions: expected one of {sorted((*EMBEDDING_POSITIONS, 'none'))}, got {kind!r}")
