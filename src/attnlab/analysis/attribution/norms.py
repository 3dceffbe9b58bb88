"""Norm-based attention analysis (Kobayashi et al. 2020, "Attention is Not Only a Weight: Analyzing
Transformers with Vector Norms").

A head's output at token i is :math:`\\sum_j \\alpha_{ij} f(x_j)` with :math:`f(x) = (x W_V + b_V) W_O`
(the value vector carried to the model width by the head's slice of the output projection). The weight
α says how much of f(x_j) is taken; the norm :math:`\\lVert \\alpha_{ij} f(x_j) \\rVert` says how much
actually arrives. The layer-level measure sums the heads' vectors before the norm:
:math:`\\lVert \\sum_h \\alpha^h_{ij} f^h(x_j) \\rVert`.
"""

from __future__ import annotations

from typing import Any

import torch
from einops import rearrange
from torch import Tensor

from attnlab.analysis.attribution.points import check_model, layer_names

__all__ = ["head_vectors", "norm_based"]


def head_vectors(v: Tensor, out_weight: Tensor) -> Tensor:
    """f^h(x_j) for every head and token: v (B, Hkv, T, D) and the output projection's weight (C, H·D)
    -> (B, H, T, C). Grouped-query heads share their key/value head's v."""
    n_heads = out_weight.shape[1] // v.shape[-1]
    v = v.repeat_interleave(n_heads // v.shape[1], dim=1)  # (B, H, T, D)
    w_o = rearrange(out_weight, "c (h d) -> h d c", h=n_heads)  # W_O^h (D, C) per head
    return torch.einsum("bhtd,hdc->bhtc", v, w_o.to(v.dtype))


@torch.no_grad()
def norm_based(model: Any, *inputs: Any, per_head: bool = False, **kw: Any) -> list[Tensor]:
    """Norm-based attention maps of every layer (Kobayashi et al. 2020).

    Args:
        model: an attnlab model with hook points; ``inputs`` and ``kw`` go to its forward.
        per_head: return :math:`\\lVert \\alpha^h_{ij} f^h(x_j) \\rVert` per head (B, H, T, T) instead of
            the layer's :math:`\\lVert \\sum_h \\alpha^h_{ij} f^h(x_j) \\rVert` (B, T, T).

    Returns:
        per layer, first layer first: (B, T, T), or (B, H, T, T) with ``per_head``.
    """
    check_model(model)
    patterns, values = layer_names(model, "pattern"), layer_names(model, "v")
    _, cache = model.run_with_cache(*inputs, names=patterns + values, **kw)
    maps = []
    for p_name, v_name in zip(patterns, values, strict=True):
        attn = model.hook_module(p_name)
        f = head_vectors(cache[v_name], attn.out_proj.weight)  # (B, H, Tk, C)
        alpha = cache[p_name]  # (B, H, Tq, Tk)
        if per_head:
            maps.append(alpha * f.norm(dim=-1)[:, :, None, :])  # α ≥ 0, so ‖α f‖ = α ‖f‖
        else:
            maps.append(torch.einsum("bhij,bhjc->bijc", alpha, f).norm(dim=-1))
    return maps
