"""The SDPA kernel: one fused ``F.scaled_dot_product_attention`` call for every bilinear score, whose
per-token transform is folded into q and k first (see :mod:`attnlab.attention.kernels` for the formula)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from attnlab.attention.kernels.banded import band_layout, banded_sdpa
from attnlab.attention.kernels.common import ScaleLike, block_bias, expand_kv, full_bias
from attnlab.attention.kernels.fused_call import sdpa_masked, with_sink_key
from attnlab.attention.masks import MaskSpec, relative_positions
from attnlab.attention.scores import Score

__all__ = ["sdpa_attention"]


def sdpa_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    score: Score,
    scale: ScaleLike,
    mask: MaskSpec,
    dropout_p: float = 0.0,
    *,
    bias: nn.Module | None = None,
    sink: Tensor | None = None,
) -> Tensor:
    """Fused attention for a bilinear score: fold the score's per-token transform into q and k, then call
    ``F.scaled_dot_product_attention`` once. Returns out (B, H, Tq, Dv).

    A position bias is handed to the kernel as a float mask (H, Tq, Tk); a sink as one extra key; a window
    as a batch of query blocks, each with the keys of its window (:func:`banded_sdpa`)."""
    if not score.bilinear:
        raise ValueError(
            f"impl: 'sdpa' needs a bilinear score (dot, scaled_dot, general, cosine), got {score.name!r}; "
            "use impl='chunked' or 'auto'"
        )
    qp, kp = score.prepare(q, k)
    if isinstance(scale, Tensor):  # a learned scale is a tensor: fold it into q so autograd sees it
        qp, sdpa_scale = qp * scale, 1.0
    else:
        sdpa_scale = float(scale)
    width, dv = qp.shape[-1], v.shape[-1]
    # SDPA's fused kernels take one head width; with two (MLA: D + d_R for q and k, D for v) it falls back
    # to its math path (27x slower for a causal prompt of 512 on CPU). Zero features change no score and no
    # output, so the narrower side is padded and v's padding dropped from the output.
    if dv < width:
        return _fused(qp, kp, F.pad(v, (0, width - dv)), mask, dropout_p, bias, sink, sdpa_scale)[..., :dv]
    if dv > width:
        qp, kp = F.pad(qp, (0, dv - width)), F.pad(kp, (0, dv - width))
    return _fused(qp, kp, v, mask, dropout_p, bias, sink, sdpa_scale)


def _fused(qp: Tensor, kp: Tensor, v: Tensor, mask: MaskSpec, dropout_p: float, bias: nn.Module | None,
           sink: Tensor | None, sdpa_scale: float) -> Tensor:
    """:func:`sdpa_attention` once q and k are prepared and the scale is a number."""
    gqa = qp.shape[1] != kp.shape[1]
    if mask.window is not None:
        layout = band_layout(mask)
        if layout is not None:
            return banded_sdpa(qp, kp, v, mask, layout, bias, sink, dropout_p, sdpa_scale)
    only_causal = mask.explicit is None and mask.window is None  # (or nothing at all)
    if bias is None and sink is not None and only_causal:
        if not mask.causal or mask.tq == 1:  # nothing masked (one causal decoding step sees every key)
            qs, ks, vs = with_sink_key(qp, kp, v, sink, sdpa_scale)
            return F.scaled_dot_product_attention(qs, ks, vs, dropout_p=dropout_p, scale=sdpa_scale, enable_gqa=gqa)
        if mask.tq == mask.tk:
            # SDPA's causal mask is aligned top-left. With the sink key in front and one dummy query in front,
            # query i + 1 sees keys 0..i + 1 = the sink and real keys 0..i: still the fused causal kernel.
            qs, ks, vs = with_sink_key(F.pad(qp, (0, 0, 1, 0)), kp, v, sink, sdpa_scale)
            out = F.scaled_dot_product_attention(
                qs, ks, vs, dropout_p=dropout_p, is_causal=True, scale=sdpa_scale, enable_gqa=gqa
            )
            return out[:, :, 1:]  # drop the dummy query
    if bias is None and sink is None:
        if mask.is_empty:
            return F.scaled_dot_product_attention(qp, kp, v, dropout_p=dropout_p, scale=sdpa_scale, enable_gqa=gqa)
        if only_causal and mask.tq == mask.tk:
            return F.scaled_dot_product_attention(
                qp, kp, v, dropout_p=dropout_p, is_causal=True, scale=sdpa_scale, enable_gqa=gqa
            )
        if only_causal and mask.tq == 1:  # one decoding step: bottom-right causal masks nothing
            return F.scaled_dot_product_attention(qp, kp, v, dropout_p=dropout_p, scale=sdpa_scale, enable_gqa=gqa)
        if only_causal and mask.tq <= mask.tk:  # bottom-right causal alone leaves no row empty
            m = mask.materialize(qp.device)
            return F.scaled_dot_product_attention(
                qp, kp, v, attn_mask=m, dropout_p=dropout_p, scale=sdpa_scale, enable_gqa=gqa
            )
    if (bias is not None and sink is None and dropout_p == 0.0 and only_causal and mask.tq <= mask.tk
            and any(p.requires_grad for p in bias.parameters()) and torch.is_grad_enabled()):
        return _learned_bias_attention(qp, kp, v, bias, mask, sdpa_scale)
    m = mask.materialize(qp.device)
    if bias is not None:
        b = full_bias(bias, mask, qp.device, qp.dtype)[None]  # (1, H, Tq, Tk)
        if m is None:
            m = b
        elif m.dtype == torch.bool:
            m = b.masked_fill(~m, float("-inf"))
        else:
            m = b + m.to(qp.dtype)
    return sdpa_masked(qp, kp, v, m, sink, dropout_p, sdpa_scale)


#: query rows per block of :func:`_learned_bias_attention` (causal: a block reads only the keys it can see)
BIAS_BLOCK_ROWS = 128


def _learned_bias_attention(qp: Tensor, kp: Tensor, v: Tensor, bias: nn.Module, mask: MaskSpec,
                            scale: float) -> Tensor:
    """Attention with a position bias that needs its gradient (T5's learned buckets), causal or unmasked.

    SDPA takes such a bias only on its math path, which also guards every row against having no allowed key
    (``isneginf``, ``all``, ``where`` over the (B, H, Tq, Tk) logits: ~10% of the step at T = 512). A
    bottom-right causal mask with Tq <= Tk, or none, leaves every row a key, so the plain math is exact:
    ``softmax(scale · q kᵀ + (bias + mask)) v``, the masked bias added in place into each logits buffer.

    Causal, the queries go in blocks of :data:`BIAS_BLOCK_ROWS`, each against the keys up to its last
    row's position only: at T = 512 four blocks form 10/16 of the (B, H, T, T) logits (the rest would be
    masked), in buffers a quarter the size. Heads are made contiguous once, so no block copies them.
    """
    n_heads, tq, tk = qp.shape[1], mask.tq, mask.tk
    q = (qp * scale).contiguous()
    k, v = expand_kv(kp, n_heads).contiguous(), expand_kv(v, n_heads).contiguous()
    rows = BIAS_BLOCK_ROWS if mask.causal else tq
    outs = []
    for q0 in range(0, tq, rows):
        q1 = min(q0 + rows, tq)
        k1 = q1 + tk - tq if mask.causal else tk  # keys up to the block's last query position
        b = block_bias(bias, mask, q0, q1, 0, k1, qp.device, qp.dtype)  # (H, nq, k1)
        if mask.causal:  # on the (H, nq, k1) bias, not on the B times larger logits
            b = b.masked_fill(relative_positions(tq, tk, q0, q1, 0, k1, qp.device) > 0, float("-inf"))
        logits = q[:, :, q0:q1] @ k[:, :, :k1].transpose(-1, -2)  # (B, H, nq, k1)
        outs.append(torch.softmax(logits.add_(b), dim=-1) @ v[:, :, :k1])
    return outs[0] if len(outs) == 1 else torch.cat(outs, dim=2)
