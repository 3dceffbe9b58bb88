"""Interop with ``torch.nn.MultiheadAttention``: an equivalent attnlab module with the same weights."""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["from_torch_multihead"]


def from_torch_multihead(cls: type, m: nn.MultiheadAttention) -> nn.Module:
    """An equivalent ``cls`` (a :class:`~attnlab.attention.MultiHeadAttention`) from
    ``torch.nn.MultiheadAttention``: same weights, same outputs; see ``MultiHeadAttention.from_torch``."""
    if not isinstance(m, nn.MultiheadAttention):
        raise TypeError(f"m: expected torch.nn.MultiheadAttention, got {type(m).__name__}")
    if m.bias_k is not None or m.add_zero_attn:
        raise ValueError("m: add_bias_kv and add_zero_attn are not supported by attnlab.MultiHeadAttention")
    e = m.embed_dim
    has_bias = m.in_proj_bias is not None
    new = cls(
        e, m.num_heads, bias=has_bias, dropout=m.dropout,
        kdim=None if m.kdim == e else m.kdim, vdim=None if m.vdim == e else m.vdim,
    )
    new = new.to(device=m.out_proj.weight.device, dtype=m.out_proj.weight.dtype)
    with torch.no_grad():
        if m._qkv_same_embed_dim:
            wq, wk, wv = m.in_proj_weight.chunk(3, dim=0)
        else:
            wq, wk, wv = m.q_proj_weight, m.k_proj_weight, m.v_proj_weight
        new.q_proj.weight.copy_(wq)
        new.k_proj.weight.copy_(wk)
        new.v_proj.weight.copy_(wv)
        new.out_proj.weight.copy_(m.out_proj.weight)
        if has_bias:
            bq, bk, bv = m.in_proj_bias.chunk(3)
            new.q_proj.bias.copy_(bq)
            new.k_proj.bias.copy_(bk)
            new.v_proj.bias.copy_(bv)
            new.out_proj.bias.copy_(m.out_proj.bias)
    return new
