"""Checks of :class:`~attnlab.attention.MultiHeadAttention`'s forward arguments (one message naming the
argument, expected vs got)."""

from __future__ import annotations

from typing import Any

from torch import Tensor

__all__ = ["check_inputs", "head_multiplier"]


def check_inputs(attn: Any, query: Tensor, key: Tensor | None, value: Tensor | None) -> None:
    """Raise unless query/key/value fit ``attn`` (a MultiHeadAttention): types, shapes, dtypes, lengths."""
    if not isinstance(query, Tensor):
        raise TypeError(f"query: expected a tensor (B, Tq, C), got {type(query).__name__}")
    if query.dim() != 3 or query.shape[-1] != attn.d_model:
        raise ValueError(f"query: expected shape (B, Tq, {attn.d_model}), got {tuple(query.shape)}")
    if not query.is_floating_point():
        raise TypeError(f"query: expected a floating dtype, got {query.dtype}")
    for name, x, width in (("key", key, attn.kdim), ("value", value, attn.vdim)):
        if x is None:
            continue
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: expected a tensor (B, Tk, {width}), got {type(x).__name__}")
        if x.dim() != 3 or x.shape[-1] != width or x.shape[0] != query.shape[0]:
            raise ValueError(
                f"{name}: expected shape ({query.shape[0]}, Tk, {width}), got {tuple(x.shape)}"
            )
        if x.dtype != query.dtype:
            raise TypeError(f"{name}: expected dtype {query.dtype} like query, got {x.dtype}")
    if key is not None and value is None and attn.kdim != attn.vdim:
        raise ValueError(f"value: expected a tensor (B, Tk, {attn.vdim}) since vdim != kdim, got None")
    if key is not None and value is not None and key.shape[1] != value.shape[1]:
        raise ValueError(f"key, value: expected the same length Tk, got {key.shape[1]} and {value.shape[1]}")


def head_multiplier(attn: Any, head_mask: Tensor, batch: int) -> Tensor:
    """``head_mask`` (H,) or (B, H), checked, as a multiplier (1 or B, H, 1, 1) of the per-head outputs."""
    if not isinstance(head_mask, Tensor):
        raise TypeError(f"head_mask: expected a tensor of shape (H,) or (B, H), got {type(head_mask).__name__}")
    h = attn.n_heads
    if tuple(head_mask.shape) not in ((h,), (batch, h)):
        raise ValueError(f"head_mask: expected shape ({h},) or ({batch}, {h}), got {tuple(head_mask.shape)}")
    if head_mask.dim() == 1:
        return head_mask[None, :, None, None]  # (1, H, 1, 1)
    return head_mask[:, :, None, None]  # (B, H, 1, 1)
