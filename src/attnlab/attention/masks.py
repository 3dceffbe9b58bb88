"""Masks, with one convention everywhere: boolean ``True`` means "may attend".

This is the convention of ``F.scaled_dot_product_attention`` and of Hugging Face attention masks, and the
opposite of ``nn.MultiheadAttention``'s ``key_padding_mask``. A float mask is added to the scores
(``-inf`` forbids a pair). A query row left with no key to attend to yields zeros, never NaN.

Accepted shapes:

* ``attn_mask``: (Tq, Tk), (B, Tq, Tk) or (B, H, Tq, Tk); size-1 B or H broadcast.
* ``key_mask``: (B, Tk), boolean, True for real keys and False for padding.
* ``is_causal``: query i may attend key j iff ``j <= i + (Tk - Tq)`` (aligned bottom-right, so that the
  last query sees every key: what decoding with a KV cache needs; for Tq == Tk it is the usual lower
  triangle).
* ``window`` W (sliding-window attention, Beltagy et al. 2020; Mistral): with the same alignment, query i
  sits at position ``p = i + (Tk - Tq)``; causal, it sees the W keys ``p - W < j <= p`` (itself included);
  not causal, the keys ``|p - j| < W``. It is combined with the other masks by AND.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = [
    "MaskSpec",
    "build_mask_spec",
    "causal_mask",
    "check_key_mask",
    "check_window",
    "relative_positions",
    "window_mask",
]


def causal_mask(tq: int, tk: int, device: torch.device | str | None = None) -> Tensor:
    """Boolean (Tq, Tk) causal mask, True on allowed pairs, aligned bottom-right."""
    return torch.ones(tq, tk, dtype=torch.bool, device=device).tril(diagonal=tk - tq)


def window_mask(
    tq: int, tk: int, window: int, causal: bool, device: torch.device | str | None = None
) -> Tensor:
    """Boolean (Tq, Tk) sliding-window mask, True on allowed pairs, aligned bottom-right.

    Causal: ``p - W < j <= p``; otherwise ``|p - j| < W``, with ``p = i + Tk - Tq``.
    """
    rel = relative_positions(tq, tk, 0, tq, 0, tk, device)  # (Tq, Tk): j - p
    ok = rel > -window
    return ok & (rel <= 0) if causal else ok & (rel < window)


def relative_positions(
    tq: int, tk: int, q0: int, q1: int, k0: int, k1: int, device: torch.device | str | None = None
) -> Tensor:
    """``j - p`` for queries [q0, q1) and keys [k0, k1), with query i at position ``p = i + Tk - Tq``
    (the bottom-right alignment of the causal mask: with a KV cache, the new queries come after the
    cached keys). Returns a (q1 - q0, k1 - k0) long tensor."""
    rows = torch.arange(q0, q1, device=device)[:, None] + (tk - tq)
    cols = torch.arange(k0, k1, device=device)[None, :]
    return cols - rows


def check_key_mask(key_mask: Tensor, batch: int, tk: int) -> Tensor:
    """Validate a key mask and return it as (B, 1, 1, Tk) bool."""
    if not isinstance(key_mask, Tensor):
        raise TypeError(f"key_mask: expected a bool tensor of shape (B, Tk), got {type(key_mask).__name__}")
    if key_mask.dtype != torch.bool:
        raise TypeError(
            f"key_mask: expected dtype torch.bool (True = real key, False = padding), got {key_mask.dtype}; "
            "for a 0/1 mask use key_mask.bool()"
        )
    if key_mask.dim() != 2 or tuple(key_mask.shape) != (batch, tk):
        raise ValueError(f"key_mask: expected shape (B, Tk) = ({batch}, {tk}), got {tuple(key_mask.shape)}")
    return key_mask[:, None, None, :]


def _check_attn_mask(attn_mask: Tensor, batch: int, heads: int, tq: int, tk: int) -> Tensor:
    """Validate an attention mask and return it 4-D, (B|1, H|1, Tq, Tk)."""
    if not isinstance(attn_mask, Tensor):
        raise TypeError(f"attn_mask: expected a bool or float tensor, got {type(attn_mask).__name__}")
    if attn_mask.dtype != torch.bool and not attn_mask.is_floating_point():
        raise TypeError(
            f"attn_mask: expected dtype torch.bool (True = may attend) or a float dtype (added to the scores), "
            f"got {attn_mask.dtype}"
        )
    shape = tuple(attn_mask.shape)
    expected = "(Tq, Tk), (B, Tq, Tk) or (B, H, Tq, Tk)"
    if attn_mask.dim() == 2:
        mask4 = attn_mask[None, None]
    elif attn_mask.dim() == 3:
        mask4 = attn_mask[:, None]
    elif attn_mask.dim() == 4:
        mask4 = attn_mask
    else:
        raise ValueError(f"attn_mask: expected {expected} = Tq {tq}, Tk {tk}, got shape {shape}")
    b, h, q, k = mask4.shape
    if (q, k) != (tq, tk) or b not in (1, batch) or h not in (1, heads):
        raise ValueError(
            f"attn_mask: expected {expected} with B={batch}, H={heads}, Tq={tq}, Tk={tk} "
            f"(B and H may be 1), got shape {shape}"
        )
    return mask4


@dataclass(frozen=True)
class MaskSpec:
    """A validated mask, kept structured so that kernels can materialise only what they need.

    Attributes:
        explicit: the attention mask and key mask combined, (B|1, H|1, Tq|1, Tk), bool (True = may attend)
            or float (added to the scores); None when neither was given.
        causal: whether the causal constraint applies on top of ``explicit``.
        tq, tk: the query and key lengths.
        window: the sliding window W, on top of the rest; None when there is none or when it cannot
            exclude any key at these lengths (so that the kernels keep their unwindowed fast paths).
    """

    explicit: Tensor | None
    causal: bool
    tq: int
    tk: int
    window: int | None = None

    @property
    def is_empty(self) -> bool:
        return self.explicit is None and not self.causal and self.window is None

    @property
    def offset(self) -> int:
        """Tk - Tq: the position of query 0 (the number of cached keys before the new queries)."""
        return self.tk - self.tq

    def key_range(self, q0: int, q1: int) -> tuple[int, int]:
        """Keys [lo, hi) that the causal and window constraints leave open to any of the queries [q0, q1);
        the kernels skip every key outside it (how a window makes the cost O(T·W) instead of O(T²))."""
        lo, hi = 0, self.tk
        if self.causal:
            hi = min(hi, q1 + self.offset)
        if self.window is not None:
            lo = max(lo, q0 + self.offset - self.window + 1)
            if not self.causal:
                hi = min(hi, q1 - 1 + self.offset + self.window)
        return lo, max(lo, hi)

    def block(
        self, q0: int, q1: int, k0: int, k1: int, device: torch.device, dtype: torch.dtype = torch.float32
    ) -> Tensor | None:
        """The mask for queries [q0, q1) and keys [k0, k1) as a float bias (0 or -inf, plus any float mask),
        broadcastable to (B, H, q1 - q0, k1 - k0); None when nothing is masked there."""
        bias = None
        if self.explicit is not None:
            e = self.explicit
            e = e[..., q0:q1, k0:k1] if e.shape[-2] != 1 else e[..., k0:k1]
            bias = _to_bias(e, dtype)
        offset = self.offset
        # rel = j - p ranges over [k0 - (q1 - 1 + offset), k1 - 1 - (q0 + offset)] in this block
        rel_min, rel_max = k0 - (q1 - 1 + offset), k1 - 1 - (q0 + offset)
        needs_causal = self.causal and rel_max > 0
        needs_window = self.window is not None and (
            rel_min <= -self.window or (not self.causal and rel_max >= self.window)
        )
        if needs_causal or needs_window:  # otherwise the whole block is open
            rel = relative_positions(self.tq, self.tk, q0, q1, k0, k1, device)
            ok = torch.ones(rel.shape, dtype=torch.bool, device=device)
            if self.causal:
                ok &= rel <= 0
            if self.window is not None:
                ok &= rel > -self.window
                if not self.causal:
                    ok &= rel < self.window
            cbias = torch.zeros(ok.shape, dtype=dtype, device=device).masked_fill(~ok, float("-inf"))
            bias = cbias if bias is None else bias + cbias
        return bias

    def materialize(self, device: torch.device) -> Tensor | None:
        """The full mask, bool when no float mask was given, else float; None when nothing is masked."""
        if self.is_empty:
            return None
        mask = self.explicit
        if self.causal or self.window is not None:
            if self.window is not None:
                c = window_mask(self.tq, self.tk, self.window, self.causal, device)
            else:
                c = causal_mask(self.tq, self.tk, device)
            if mask is None:
                mask = c
            elif mask.dtype == torch.bool:
                mask = mask & c
            else:
                mask = mask.masked_fill(~c, float("-inf"))
        return mask


def _to_bias(mask: Tensor, dtype: torch.dtype = torch.float32) -> Tensor:
    if mask.dtype == torch.bool:
        return torch.zeros(mask.shape, dtype=dtype, device=mask.device).masked_fill(~mask, float("-inf"))
    return mask.to(dtype)


def allowed(mask: Tensor) -> Tensor:
    """Boolean view of a bool-or-float mask: True where attending is allowed."""
    return mask if mask.dtype == torch.bool else ~torch.isneginf(mask)


def build_mask_spec(
    *,
    attn_mask: Tensor | None,
    key_mask: Tensor | None,
    is_causal: bool,
    batch: int,
    heads: int,
    tq: int,
    tk: int,
    dtype: torch.dtype,
    window: int | None = None,
) -> MaskSpec:
    """Validate and combine the masks a caller gave.

    Args:
        attn_mask: bool (True = may attend) or float (added), (Tq, Tk), (B, Tq, Tk) or (B, H, Tq, Tk).
        key_mask: bool (B, Tk), True for real keys.
        is_causal: apply the bottom-right-aligned causal mask.
        batch, heads, tq, tk: the sizes the masks must match.
        dtype: the dtype of the scores, to which a float mask is cast.
        window: sliding window W (a positive int), or None.
    """
    if not isinstance(is_causal, bool):
        raise TypeError(f"is_causal: expected a bool, got {type(is_causal).__name__}")
    check_window(window)
    # a window wider than every distance at these lengths excludes nothing: drop it
    longest = tk - 1 if is_causal else max(tk, tq) - 1
    if window is not None and window > longest:
        window = None
    explicit = None
    if attn_mask is not None:
        explicit = _check_attn_mask(attn_mask, batch, heads, tq, tk)
        if explicit.is_floating_point():
            explicit = explicit.to(dtype)
    if key_mask is not None:
        km = check_key_mask(key_mask, batch, tk)
        if explicit is None:
            explicit = km
        elif explicit.dtype == torch.bool:
            explicit = explicit & km
        else:
            explicit = explicit.masked_fill(~km, float("-inf"))
    return MaskSpec(explicit=explicit, causal=is_causal, tq=tq, tk=tk, window=window)


def check_window(window: int | None) -> None:
    """Raise unless ``window`` is None or a positive int."""
    if window is not None and (isinstance(window, bool) or not isinstance(window, int) or window < 1):
        raise ValueError(f"window: expected None or a positive int (keys each query sees), got {window!r}")
