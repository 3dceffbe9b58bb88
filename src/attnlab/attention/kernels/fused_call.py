"""One call of the fused kernel (``F.scaled_dot_product_attention``) with a materialised mask and an optional
sink key; shared by the SDPA path and its banded (sliding-window) form."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from attnlab.attention.masks import allowed

__all__ = ["sdpa_masked", "with_sink_key"]


def sdpa_masked(
    qp: Tensor, kp: Tensor, v: Tensor, m: Tensor | None, sink: Tensor | None, dropout_p: float, scale: float
) -> Tensor:
    """One SDPA call with a materialised mask ``m`` (bool or float, broadcastable to (B, H, Tq, Tk)) or
    None, and an optional sink. A row that can attend to nothing gives zeros."""
    gqa = qp.shape[1] != kp.shape[1]
    if sink is not None:  # the sink key is always open, so no row is ever empty
        qp, kp, v = with_sink_key(qp, kp, v, sink, scale)
        if m is not None:  # the sink's column is open
            m = F.pad(m, (1, 0), value=True) if m.dtype == torch.bool else F.pad(m.to(qp.dtype), (1, 0), value=0.0)
        return F.scaled_dot_product_attention(qp, kp, v, attn_mask=m, dropout_p=dropout_p, scale=scale, enable_gqa=gqa)
    if m is None:
        return F.scaled_dot_product_attention(qp, kp, v, dropout_p=dropout_p, scale=scale, enable_gqa=gqa)
    ok = allowed(m)
    empty = ~ok.any(dim=-1, keepdim=True)  # (B|1, H|1, Tq, 1): rows with nothing to attend to
    has_empty = bool(empty.any())
    if has_empty:  # open those rows so the kernel stays finite, then zero their output
        m = m | empty if m.dtype == torch.bool else m.masked_fill(empty, 0.0)
    if m.dtype != torch.bool:
        m = m.to(qp.dtype)
    out = F.scaled_dot_product_attention(qp, kp, v, attn_mask=m, dropout_p=dropout_p, scale=scale, enable_gqa=gqa)
    return out.masked_fill(empty, 0.0) if has_empty else out


def with_sink_key(qp: Tensor, kp: Tensor, v: Tensor, sink: Tensor, scale: float) -> tuple[Tensor, Tensor, Tensor]:
    """Put the sink in front of the keys as key 0, with value 0 and logit σ_h for every query of head h.

    A zero key gives logit 0 (softmax off-by-one). For other logits one feature is appended: σ_h / scale on
    every query of head h, 1 on the sink key and 0 on the real keys, so that scale · q·k_sink = σ_h while
    the real logits are unchanged (the sink lives on the query side because keys may have fewer heads).
    Returns q (B, H, Tq, D[+1]), k (B, Hkv, Tk + 1, D[+1]), v (B, Hkv, Tk + 1, Dv).
    """
    v = F.pad(v, (0, 0, 1, 0))  # (B, Hkv, Tk + 1, Dv): the sink's value is 0
    if not sink.requires_grad and not bool(sink.ne(0).any()):
        return qp, F.pad(kp, (0, 0, 1, 0)), v
    feature = (sink.to(qp.dtype) / scale)[None, :, None, None].expand(*qp.shape[:3], 1)  # (B, H, Tq, 1)
    qp = torch.cat((qp, feature), dim=-1)  # (B, H, Tq, D + 1)
    sink_key = kp.new_zeros(kp.shape[0], kp.shape[1], 1, kp.shape[3] + 1)
    sink_key[..., -1] = 1.0  # (B, Hkv, 1, D + 1)
    return qp, torch.cat((sink_key, F.pad(kp, (0, 1))), dim=2), v  # k (B, Hkv, Tk + 1, D + 1)
