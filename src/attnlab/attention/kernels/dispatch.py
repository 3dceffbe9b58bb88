"""Choosing the kernel path (``impl``), and the checks of the switches every path shares (scale, soft-cap)."""

from __future__ import annotations

import math
from collections.abc import Callable

from torch import Tensor, nn

from attnlab.attention.kernels.chunked import chunked_attention
from attnlab.attention.kernels.common import ScaleLike
from attnlab.attention.kernels.reference import reference_attention
from attnlab.attention.kernels.sdpa import sdpa_attention
from attnlab.attention.masks import MaskSpec
from attnlab.attention.scores import Score

__all__ = ["IMPLS", "SOFTCAP_ON_SDPA", "attend", "check_softcap", "resolve_scale"]

IMPLS = ("auto", "reference", "sdpa", "chunked")

SOFTCAP_ON_SDPA = (
    "softcap cannot run on the fused SDPA path (the tanh acts on every logit inside the kernel); "
    "use impl='chunked' (attn_impl in model configs), 'reference' or 'auto'"
)


def attend(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    *,
    score: Score,
    scale: ScaleLike,
    mask: MaskSpec,
    dropout_p: float = 0.0,
    need_weights: bool = False,
    impl: str = "auto",
    bias: nn.Module | None = None,
    softcap: float | None = None,
    sink: Tensor | None = None,
    edit: Callable[[str, Tensor], Tensor] | None = None,
) -> tuple[Tensor, Tensor | None]:
    """Run validated inputs on the chosen path. Returns (out, weights or None).

    ``bias`` maps relative positions ``j - p`` (any shape, long) to a float bias (H, ...); ``softcap`` is a
    positive float or None; ``sink`` the sink logit per query head (H,) or None. ``edit`` (the scores and
    pattern hooks) runs on the reference path, whatever ``impl`` says: only that path forms the weights.
    """
    batch, n_heads, tq, _ = q.shape
    tk = k.shape[2]
    if tk == 0 or tq == 0:  # nothing to attend to (or nobody asking): zeros, never NaN
        out = q.new_zeros(batch, n_heads, tq, v.shape[-1])
        return out, (q.new_zeros(batch, n_heads, tq, tk) if need_weights else None)
    if edit is not None:
        impl = "reference"
    elif impl == "auto":
        impl = "reference" if need_weights else ("sdpa" if score.bilinear and softcap is None else "chunked")
    if need_weights and impl != "reference":
        raise ValueError(
            f"impl: the weights (B, H, Tq, Tk) are only materialised by impl='reference' or 'auto', got {impl!r}"
        )
    if impl == "sdpa" and softcap is not None:
        raise ValueError(SOFTCAP_ON_SDPA)
    extras = dict(bias=bias, sink=sink)
    if impl == "reference":
        return reference_attention(q, k, v, score, scale, mask, dropout_p, softcap=softcap, edit=edit, **extras)
    if impl == "sdpa":
        return sdpa_attention(q, k, v, score, scale, mask, dropout_p, **extras), None
    return chunked_attention(q, k, v, score, scale, mask, dropout_p, softcap=softcap, **extras), None


def check_softcap(softcap: float | None) -> None:
    """Raise unless ``softcap`` is None or a positive finite float."""
    ok = softcap is None or (
        isinstance(softcap, (int, float)) and not isinstance(softcap, bool) and math.isfinite(softcap) and softcap > 0
    )
    if not ok:
        raise ValueError(f"softcap: expected None or a positive float (logits become c·tanh(x / c)), got {softcap!r}")


def resolve_scale(score: Score, scale: bool | float | str | None) -> float | str:
    """The logit multiplier for ``score`` given the user's ``scale`` switch: a float or ``"learned"``.

    None means the score's own default; True 1/√D; False 1; a float that float; "learned" a learnable
    scalar. Conflicting combinations (``score="dot"`` with ``scale=True``, ``"scaled_dot"`` with
    ``scale=False``) raise ValueError rather than silently picking one.
    """
    if scale is None:
        return score.default_scale()
    if isinstance(scale, bool):
        if scale and score.name == "dot":
            raise ValueError("scale=True conflicts with score='dot' (unscaled by definition); use score='scaled_dot'")
        if not scale and score.name == "scaled_dot":
            raise ValueError("scale=False conflicts with score='scaled_dot'; use score='dot' for unscaled logits")
        return 1.0 / math.sqrt(score.head_dim) if scale else 1.0
    if isinstance(scale, str):
        if scale != "learned":
            raise ValueError(f"scale: expected None, True, False, a positive float or 'learned', got {scale!r}")
        return scale
    if isinstance(scale, (int, float)) and math.isfinite(scale) and scale > 0:
        return float(scale)
    raise ValueError(f"scale: expected None, True, False, a positive float or 'learned', got {scale!r}")
