r"""Parameters and FLOPs of one sequence layer as functions of length n, width d and kernel k.

Four layers map (n, d) to (n, d):

============================  =======================  ==============================
layer                         parameters               forward FLOPs (matrix products)
============================  =======================  ==============================
``self_attention``            :math:`4d^2 + 4d`        :math:`8nd^2 + 4n^2d`
``transformer_block``         :math:`12d^2 + 13d`      :math:`24nd^2 + 4n^2d`
``lstm``                      :math:`8d^2 + 8d`        :math:`16nd^2`
``conv``                      :math:`kd^2 + d`         :math:`2knd^2`
============================  =======================  ==============================

Self-attention: W_Q, W_K, W_V, W_O with biases; the four projections cost 2·n·d·d each (a multiply-add
counts 2), QKᵀ and AV 2·n²·d each. The pre-LN Transformer block adds a feed-forward layer of width 4d
(8d² + 5d parameters, 16nd² FLOPs) and two LayerNorms (4d). The LSTM (as ``torch.nn.LSTM``, two bias
vectors) has four gates, each with an input and a recurrent d x d matrix. The convolution maps d to d
channels with a kernel of k and a bias. Elementwise work (softmax, gates, norms) is left out of the FLOPs:
it is O(nd) or O(n²) beside the O(nd²) and O(n²d) terms. Vaswani et al. 2017, Table 1, keeps only the
leading terms: O(n²d) for self-attention, O(nd²) recurrent, O(knd²) convolutional.

:func:`count_params` and :func:`count_flops` count the same quantities on the real modules (FLOPs with
``torch.utils.flop_counter`` on meta tensors, so nothing is computed), which checks the formulas.
"""

from __future__ import annotations

import math

import torch
from torch import nn

__all__ = [
    "LAYERS",
    "attention_conv_flops_crossover",
    "attention_conv_params_crossover",
    "attention_lstm_flops_crossover",
    "build_layer",
    "count_flops",
    "count_params",
    "layer_flops",
    "layer_params",
]

LAYERS: tuple[str, ...] = ("self_attention", "transformer_block", "lstm", "conv")


def _check(kind: str, n: int, d: int, k: int) -> None:
    if kind not in LAYERS:
        raise ValueError(f"kind: expected one of {LAYERS}, got {kind!r}")
    for name, v in (("n", n), ("d", d), ("k", k)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{name}: expected an int >= 1, got {v!r}")


def layer_params(kind: str, d: int, k: int = 3) -> int:
    """Parameters of one ``kind`` layer of width ``d`` (kernel ``k`` for ``"conv"``), by formula."""
    _check(kind, 1, d, k)
    return {"self_attention": 4 * d * d + 4 * d, "transformer_block": 12 * d * d + 13 * d,
            "lstm": 8 * d * d + 8 * d, "conv": k * d * d + d}[kind]


def layer_flops(kind: str, n: int, d: int, k: int = 3) -> int:
    """Forward FLOPs of the matrix products of one ``kind`` layer over ``n`` positions (batch 1), by formula."""
    _check(kind, n, d, k)
    return {"self_attention": 8 * n * d * d + 4 * n * n * d, "transformer_block": 24 * n * d * d + 4 * n * n * d,
            "lstm": 16 * n * d * d, "conv": 2 * k * n * d * d}[kind]


class _UnrolledLSTM(nn.Module):
    """An LSTM layer as an ``nn.LSTMCell`` stepped over T: the arithmetic of ``nn.LSTM`` made visible to the
    FLOP counter (whose fused kernel it cannot see). Parameters: the same count as ``nn.LSTM(d, d)``."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.cell = nn.LSTMCell(d, d)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x (B, T, C) -> h (B, T, C)
        h = c = x.new_zeros(x.shape[0], self.cell.hidden_size)
        out = []
        for t in range(x.shape[1]):
            h, c = self.cell(x[:, t], (h, c))
            out.append(h)
        return torch.stack(out, dim=1)


class _LSTM(nn.Module):
    """``nn.LSTM(d, d)`` on (B, T, C), returning the hidden states only."""

    def __init__(self, d: int) -> None:
        super().__init__()
        self.rnn = nn.LSTM(d, d, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]


class _Conv(nn.Module):
    """A same-padded ``Conv1d`` from d to d channels on (B, T, C) inputs."""

    def __init__(self, d: int, k: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(d, d, k, padding=k // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x.transpose(1, 2)).transpose(1, 2)  # (B, C, T) for Conv1d, back to (B, T, C)


class _SelfAttention(nn.Module):
    """Multi-head self-attention on (B, T, C), returning the output only."""

    def __init__(self, d: int, n_heads: int, impl: str) -> None:
        super().__init__()
        from attnlab.attention import MultiHeadAttention

        self.attn = MultiHeadAttention(d, n_heads, impl=impl)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attn(x)[0]


class _Block(nn.Module):
    """A pre-LN Transformer block (feed-forward width 4d) on (B, T, C), returning the output only."""

    def __init__(self, d: int, n_heads: int, impl: str) -> None:
        super().__init__()
        from attnlab.models.blocks import EncoderBlock

        self.block = EncoderBlock(d, n_heads, 4 * d, attn_impl=impl)

    def forward(self, x: torch.Tensor, is_causal: bool = False) -> torch.Tensor:
        return self.block(x, is_causal=is_causal)[0]


def build_layer(kind: str, d: int, *, k: int = 3, n_heads: int = 4, impl: str = "auto",
                unrolled: bool = False) -> nn.Module:
    """One ``kind`` layer of width ``d`` as a module mapping x (B, T, C) to (B, T, C).

    Args:
        kind: one of :data:`LAYERS`.
        k: kernel size of ``"conv"``.
        n_heads: heads of ``"self_attention"`` and ``"transformer_block"`` (must divide ``d``).
        impl: attention kernel (``"reference"`` materialises QKᵀ, which the FLOP counter needs).
        unrolled: an LSTM as a stepped ``LSTMCell`` (for counting) instead of ``nn.LSTM`` (for timing).
    """
    _check(kind, 1, d, k)
    if kind == "self_attention":
        return _SelfAttention(d, n_heads, impl)
    if kind == "transformer_block":
        return _Block(d, n_heads, impl)
    if kind == "conv":
        return _Conv(d, k)
    if unrolled:
        return _UnrolledLSTM(d)
    return _LSTM(d)


def count_params(kind: str, d: int, k: int = 3, n_heads: int = 4) -> int:
    """Parameters of the real module for ``kind`` at width ``d`` (built on the meta device)."""
    heads = n_heads if d % n_heads == 0 else 1
    with torch.device("meta"):
        module = build_layer(kind, d, k=k, n_heads=heads)
    return sum(p.numel() for p in module.parameters())


def count_flops(kind: str, n: int, d: int, k: int = 3, n_heads: int = 4) -> int:
    """Forward FLOPs of the real module for ``kind`` over ``n`` positions (batch 1), counted by
    ``torch.utils.flop_counter.FlopCounterMode`` on meta tensors (nothing is computed)."""
    from torch.utils.flop_counter import FlopCounterMode

    _check(kind, n, d, k)
    heads = n_heads if d % n_heads == 0 else 1
    with torch.device("meta"):
        module = build_layer(kind, d, k=k, n_heads=heads, impl="reference", unrolled=True)
        x = torch.empty(1, n, d)  # (B, T, C)
    with FlopCounterMode(display=False) as counter:
        module(x)
    return int(counter.get_total_flops())


def attention_lstm_flops_crossover(d: int) -> float:
    """The n above which self-attention costs more FLOPs than an LSTM layer: 8nd² + 4n²d > 16nd² iff n > 2d."""
    return 2.0 * d


def attention_conv_flops_crossover(d: int, k: int) -> float:
    """The n below which self-attention costs fewer FLOPs than a conv of kernel k: 8nd² + 4n²d < 2knd² iff
    n < (k - 4)d / 2; 0 (never cheaper) for k <= 4."""
    return max(0.0, (k - 4) * d / 2.0)


def attention_conv_params_crossover(d: int) -> int:
    """The smallest kernel k for which self-attention has fewer parameters than a conv layer of width d:
    4d² + 4d < kd² + d iff k > 4 + 3/d (k >= 5 for every d >= 4)."""
    if isinstance(d, bool) or not isinstance(d, int) or d < 1:
        raise ValueError(f"d: expected an int >= 1, got {d!r}")
    return math.floor(4 + 3 / d) + 1
