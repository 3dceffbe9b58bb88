"""The reference kernel: the plain materialised math, which returns the weights; every fast path is tested
against it (see :mod:`attnlab.attention.kernels` for the formula)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from attnlab.attention.kernels.common import ScaleLike, apply_scale, expand_kv, full_bias, soft_cap
from attnlab.attention.masks import MaskSpec, allowed
from attnlab.attention.scores import Score

__all__ = ["reference_attention"]


def reference_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    score: Score,
    scale: ScaleLike,
    mask: MaskSpec,
    dropout_p: float = 0.0,
    *,
    bias: nn.Module | None = None,
    softcap: float | None = None,
    sink: Tensor | None = None,
    edit: Callable[[str, Tensor], Tensor] | None = None,
) -> tuple[Tensor, Tensor]:
    """Materialised attention. Returns (out (B, H, Tq, Dv), weights (B, H, Tq, Tk)).

    The weights are the softmax before dropout; the output uses the dropped-out weights. With a sink the
    weights of a row sum to 1 minus the sink's share. ``edit(point, x)``, when given, sees (and may
    replace) the logits just before the softmax as ``"scores"`` and the weights as ``"pattern"`` (the hook
    points of :mod:`attnlab.attention.hooks`).
    """
    edit = edit or _keep
    n_heads = q.shape[1]
    k, v = expand_kv(k, n_heads), expand_kv(v, n_heads)
    qp, kp = score.prepare(q, k)
    if score.bilinear:
        # scale the (B, H, Tq, D) queries rather than the (B, H, Tq, Tk) logits: D/Tk as much work, and the
        # multiply also makes the strided head view contiguous for the matmul
        qp, scale = apply_scale(qp, scale), 1.0
    logits = score.pairwise(qp, kp)  # (B, H, Tq, Tk)
    m = mask.materialize(q.device)
    plain = bias is None and softcap is None and sink is None
    # a buffer of our own (a built-in score just made it, nothing else holds it): safe to work in place
    own_buffer = type(score).__module__ == Score.__module__ and logits._base is None and logits.is_contiguous()
    # the in-place path overwrites the logits with the weights: not when a hook may keep the logits
    if plain and own_buffer and not logits.requires_grad and edit is _keep:
        return _reference_inplace(logits, v, scale, m, dropout_p)
    logits = soft_cap(apply_scale(logits, scale), softcap)
    if bias is not None:
        logits = logits + full_bias(bias, mask, q.device, logits.dtype)  # (H, Tq, Tk) broadcast over B
    if sink is not None:
        if m is not None:
            logits = logits + m.to(logits.dtype) if m.dtype != torch.bool else logits.masked_fill(~m, float("-inf"))
        # the sink is one more key, with logit σ_h and value 0: softmax over [σ, logits], then drop its column
        logits = edit("scores", logits)
        sink_col = sink.to(logits.dtype)[None, :, None, None].expand(*logits.shape[:3], 1)  # (B, H, Tq, 1)
        weights = torch.softmax(torch.cat((sink_col, logits), dim=-1), dim=-1)[..., 1:]
    elif m is None:
        weights = torch.softmax(edit("scores", logits), dim=-1)
    else:
        ok = allowed(m)
        if m.dtype != torch.bool:
            logits = logits + m.to(logits.dtype)
        # A row with no allowed key would be softmax of all -inf = NaN: give it finite logits, then zero it,
        # so that both its output and every gradient through it are zero.
        empty = ~ok.any(dim=-1, keepdim=True)
        logits = edit("scores", logits.masked_fill(~ok, float("-inf")).masked_fill(empty, 0.0))
        weights = torch.softmax(logits, dim=-1).masked_fill(empty, 0.0)
    weights = edit("pattern", weights)
    dropped = F.dropout(weights, p=dropout_p) if dropout_p > 0 else weights
    return dropped @ v, weights


def _keep(point: str, x: Tensor) -> Tensor:
    """The ``edit`` that edits nothing."""
    return x


def _reference_inplace(
    logits: Tensor, v: Tensor, scale: ScaleLike, m: Tensor | None, dropout_p: float
) -> tuple[Tensor, Tensor]:
    """:func:`reference_attention` after the scores, when no gradient is needed: the same math, done in
    place on the one (B, H, Tq, Tk) buffer. On CPU every fresh buffer of that size costs page faults
    (about as much as the softmax itself), so this halves the time of ``need_weights`` inference."""
    if isinstance(scale, Tensor) or scale != 1.0:
        logits.mul_(scale)
    empty = None
    if m is not None:
        ok = allowed(m)
        if m.dtype != torch.bool:
            logits.add_(m.to(logits.dtype))
        empty = ~ok.any(dim=-1, keepdim=True)  # rows with nothing to attend to: finite logits, zeroed after
        logits.masked_fill_(~ok, float("-inf")).masked_fill_(empty, 0.0)
    weights = torch.ops.aten._softmax.out(logits, -1, False, out=logits)  # in place (as torch's native MHA)
    if empty is not None:
        weights.masked_fill_(empty, 0.0)
    dropped = F.dropout(weights, p=dropout_p) if dropout_p > 0 else weights
    return dropped @ v, weights
