"""QK geometry: how symmetric is each head's bilinear score form?

A head scores query token x_i against key token x_j with (biases aside)

    s_ij = (x_i W_Q)(x_j W_K)ᵀ = x_i M x_jᵀ,   M = W_Q W_Kᵀ  (C × C, rank ≤ D).

Split M = S + A into its symmetric part S = (M + Mᵀ)/2 and antisymmetric part A = (M - Mᵀ)/2.
They are orthogonal in the Frobenius inner product, so ||M||² = ||S||² + ||A||² and

    symmetric share = ||S||² / ||M||² = 1/2 + tr(M M) / (2 ||M||²)  ∈ [0, 1].

A shared projection (W_Q = W_K) gives a positive semi-definite M and share 1: the score can then
only say "i and j are similar", never "i looks for j but j does not look for i". Independent random
W_Q, W_K give share ≈ 1/2 (tr(M M) ≈ 0).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

__all__ = ["find_attention_modules", "model_qk_symmetry", "qk_symmetric_share", "random_qk_share"]


def qk_symmetric_share(W_Q: torch.Tensor, W_K: torch.Tensor) -> float:
    """||S||² / ||M||² for M = W_Q W_Kᵀ.

    Args:
        W_Q: (C, D) query projection of one head (q = x W_Q).
        W_K: (C, D) key projection of the same head.
    """
    if W_Q.dim() != 2 or W_Q.shape != W_K.shape:
        raise ValueError(f"W_Q, W_K: expected two (C, D) matrices of the same shape, got "
                         f"{tuple(W_Q.shape)} and {tuple(W_K.shape)}")
    M = W_Q.double() @ W_K.double().T  # (C, C)
    total = (M * M).sum()
    if total == 0:
        raise ValueError("W_Q, W_K: the score form M = W_Q W_Kᵀ is zero, its symmetric share is undefined")
    S = (M + M.T) / 2
    return float((S * S).sum() / total)


def find_attention_modules(model: nn.Module) -> list[nn.Module]:
    """All attnlab ``MultiHeadAttention`` modules of ``model`` in registration (layer) order."""
    from attnlab.attention import MultiHeadAttention

    return [m for m in model.modules() if isinstance(m, MultiHeadAttention)]


def model_qk_symmetry(model: nn.Module) -> torch.Tensor:
    """Symmetric share of W_Q W_Kᵀ for every head of every attention module.

    Returns:
        (L, H) tensor, L = number of ``MultiHeadAttention`` modules (in layer order). Modules with
        different head counts are not supported (ValueError).
    """
    from attnlab.pretrained.bert import head_projection_weights

    modules = find_attention_modules(model)
    if not modules:
        raise ValueError("model: expected at least one attnlab MultiHeadAttention module, found none")
    heads = {m.n_heads for m in modules}
    if len(heads) != 1:
        raise ValueError(f"model: expected the same number of heads in every layer, got {sorted(heads)}")
    rows = []
    with torch.no_grad():
        for m in modules:
            row = []
            for h in range(m.n_heads):
                w = head_projection_weights(m, h)
                if w["W_Q"].shape != w["W_K"].shape:
                    raise ValueError("model: cross-attention with kdim != d_model has no square score form")
                row.append(qk_symmetric_share(w["W_Q"], w["W_K"]))
            rows.append(row)
    return torch.tensor(rows)


def random_qk_share(d_model: int, head_dim: int, *, n: int = 64, seed: int = 0) -> tuple[float, float]:
    """Mean and std of the symmetric share for independent Gaussian W_Q, W_K (the chance baseline)."""
    g = torch.Generator().manual_seed(seed)
    values = [
        qk_symmetric_share(torch.randn(d_model, head_dim, generator=g), torch.randn(d_model, head_dim, generator=g))
        for _ in range(n)
    ]
    t = torch.tensor(values)
    return float(t.mean()), float(t.std()) if n > 1 else math.nan


def describe(shares: torch.Tensor) -> dict[str, Any]:
    """Per-layer mean, overall mean, min and max of an (L, H) share matrix."""
    return {
        "per_layer_mean": shares.mean(1).tolist(),
        "mean": float(shares.mean()),
        "min": float(shares.min()),
        "max": float(shares.max()),
    }
