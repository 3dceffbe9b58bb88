"""Attention kernels: three paths that compute the same function.

.. math::
    \\mathrm{out}_i = \\sum_j \\frac{e^{\\ell_{ij}}}{e^{\\sigma} + \\sum_{j'} e^{\\ell_{ij'}}}\\, v_j,\\qquad
    \\ell_{ij} = \\mathrm{cap}\\big(\\mathrm{scale} \\cdot s(q_i, k_j)\\big) + b(j - p_i) + M_{ij}

where ``s`` is a score function (see ``scores.py``), ``cap(x) = c·tanh(x / c)`` the optional logit
soft-cap (Gemma 2; identity when off), ``b`` an optional position bias of the relative position (ALiBi,
T5; zero when off), ``M`` the masks (0 or -inf, plus any float mask; a sliding window is one of them) and
``σ`` the optional sink logit per head (an extra key with value 0; without a sink the ``e^σ`` term is
absent). In words: scale, cap, add the position bias, mask, softmax (with the sink), average the values.

* ``reference``: the plain materialised math. Returns the weights; every fast path is tested against it.
* ``sdpa``: one fused ``F.scaled_dot_product_attention`` call. Works for every bilinear score, whose
  per-token transform is folded into q and k first (W for "general", the norms for "cosine"). A position
  bias becomes a float mask; a sink becomes one extra key; a window gathers each block of 64 queries with
  the keys of its window and runs all blocks as one batched call, in time and memory O(T·W). It cannot
  soft-cap (the tanh acts on every logit inside the kernel).
* ``chunked``: exact online softmax (Milakov & Gimelshein 2018; the FlashAttention recurrence) over blocks
  of queries and keys, for additive and user scores and for soft-capping. Memory is linear in the sequence
  length in the forward *and* backward pass: a custom autograd function keeps only q, k, v, the output and
  the per-row log-sum-exp, and recomputes each block's scores in backward. Key blocks that the causal
  mask or the window close to a whole query block are skipped.

``impl="auto"`` picks ``reference`` when weights are asked for, ``sdpa`` for bilinear scores without a
soft-cap and ``chunked`` otherwise.

Shapes: q (B, H, Tq, D), k (B, Hkv, Tk, D), v (B, Hkv, Tk, Dv) with H a multiple of Hkv (grouped-query
attention); output (B, H, Tq, Dv); weights (B, H, Tq, Tk); sink (H,); a position bias maps relative
positions (any shape) to (H, ...).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn

from attnlab.attention.masks import MaskSpec, allowed, build_mask_spec, relative_positions
from attnlab.attention.scores import Score, get_score, make_score

__all__ = ["IMPLS", "attend", "attention", "chunked_attention", "reference_attention", "sdpa_attention"]

IMPLS = ("auto", "reference", "sdpa", "chunked")
ScaleLike = float | Tensor


def _expand_kv(x: Tensor, n_heads: int) -> Tensor:
    """(B, Hkv, T, D) -> (B, H, T, D) by repeating each key/value head for its group of query heads."""
    groups = n_heads // x.shape[1]
    return x if groups == 1 else x.repeat_interleave(groups, dim=1)


def _apply_scale(x: Tensor, scale: ScaleLike) -> Tensor:
    return x * scale if isinstance(scale, Tensor) or scale != 1.0 else x


def _soft_cap(x: Tensor, softcap: float | None) -> Tensor:
    """``c · tanh(x / c)``: logits squashed smoothly into (-c, c) (Gemma 2); identity for None."""
    return x if softcap is None else torch.tanh(x / softcap) * softcap


def _full_bias(bias: nn.Module, mask: MaskSpec, device: torch.device, dtype: torch.dtype) -> Tensor:
    """The position bias of every (query, key) pair, (H, Tq, Tk)."""
    return bias(relative_positions(mask.tq, mask.tk, 0, mask.tq, 0, mask.tk, device)).to(dtype)


# --------------------------------------------------------------------------------------------------
# reference: the materialised math
# --------------------------------------------------------------------------------------------------


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
) -> tuple[Tensor, Tensor]:
    """Materialised attention. Returns (out (B, H, Tq, Dv), weights (B, H, Tq, Tk)).

    The weights are the softmax before dropout; the output uses the dropped-out weights. With a sink the
    weights of a row sum to 1 minus the sink's share.
    """
    n_heads = q.shape[1]
    k, v = _expand_kv(k, n_heads), _expand_kv(v, n_heads)
    qp, kp = score.prepare(q, k)
    if score.bilinear:
        # scale the (B, H, Tq, D) queries rather than the (B, H, Tq, Tk) logits: D/Tk as much work, and the
        # multiply also makes the strided head view contiguous for the matmul
        qp, scale = _apply_scale(qp, scale), 1.0
    logits = score.pairwise(qp, kp)  # (B, H, Tq, Tk)
    m = mask.materialize(q.device)
    plain = bias is None and softcap is None and sink is None
    # a buffer of our own (a built-in score just made it, nothing else holds it): safe to work in place
    own_buffer = type(score).__module__ == Score.__module__ and logits._base is None and logits.is_contiguous()
    if plain and own_buffer and not logits.requires_grad:
        return _reference_inplace(logits, v, scale, m, dropout_p)
    logits = _soft_cap(_apply_scale(logits, scale), softcap)
    if bias is not None:
        logits = logits + _full_bias(bias, mask, q.device, logits.dtype)  # (H, Tq, Tk) broadcast over B
    if sink is not None:
        if m is not None:
            logits = logits + m.to(logits.dtype) if m.dtype != torch.bool else logits.masked_fill(~m, float("-inf"))
        # the sink is one more key, with logit σ_h and value 0: softmax over [σ, logits], then drop its column
        sink_col = sink.to(logits.dtype)[None, :, None, None].expand(*logits.shape[:3], 1)  # (B, H, Tq, 1)
        weights = torch.softmax(torch.cat((sink_col, logits), dim=-1), dim=-1)[..., 1:]
    elif m is None:
        weights = torch.softmax(logits, dim=-1)
    else:
        ok = allowed(m)
        if m.dtype != torch.bool:
            logits = logits + m.to(logits.dtype)
        # A row with no allowed key would be softmax of all -inf = NaN: give it finite logits, then zero it,
        # so that both its output and every gradient through it are zero.
        empty = ~ok.any(dim=-1, keepdim=True)
        logits = logits.masked_fill(~ok, float("-inf")).masked_fill(empty, 0.0)
        weights = torch.softmax(logits, dim=-1).masked_fill(empty, 0.0)
    dropped = F.dropout(weights, p=dropout_p) if dropout_p > 0 else weights
    return dropped @ v, weights


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


# --------------------------------------------------------------------------------------------------
# sdpa: one fused call for bilinear scores
# --------------------------------------------------------------------------------------------------


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
    as a batch of query blocks, each with the keys of its window (:func:`_banded_sdpa`)."""
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
    gqa = qp.shape[1] != kp.shape[1]
    if mask.window is not None:
        layout = _band_layout(mask)
        if layout is not None:
            return _banded_sdpa(qp, kp, v, mask, layout, bias, sink, dropout_p, sdpa_scale)
    only_causal = mask.explicit is None and mask.window is None  # (or nothing at all)
    if bias is None and sink is not None and only_causal:
        if not mask.causal or mask.tq == 1:  # nothing masked (one causal decoding step sees every key)
            qs, ks, vs = _with_sink_key(qp, kp, v, sink, sdpa_scale)
            return F.scaled_dot_product_attention(qs, ks, vs, dropout_p=dropout_p, scale=sdpa_scale, enable_gqa=gqa)
        if mask.tq == mask.tk:
            # SDPA's causal mask is aligned top-left. With the sink key in front and one dummy query in front,
            # query i + 1 sees keys 0..i + 1 = the sink and real keys 0..i: still the fused causal kernel.
            qs, ks, vs = _with_sink_key(F.pad(qp, (0, 0, 1, 0)), kp, v, sink, sdpa_scale)
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
            m = mask.materialize(q.device)
            return F.scaled_dot_product_attention(
                qp, kp, v, attn_mask=m, dropout_p=dropout_p, scale=sdpa_scale, enable_gqa=gqa
            )
    m = mask.materialize(q.device)
    if bias is not None:
        b = _full_bias(bias, mask, q.device, qp.dtype)[None]  # (1, H, Tq, Tk)
        if m is None:
            m = b
        elif m.dtype == torch.bool:
            m = b.masked_fill(~m, float("-inf"))
        else:
            m = b + m.to(qp.dtype)
    return _sdpa_masked(qp, kp, v, m, sink, dropout_p, sdpa_scale)


def _sdpa_masked(
    qp: Tensor, kp: Tensor, v: Tensor, m: Tensor | None, sink: Tensor | None, dropout_p: float, scale: float
) -> Tensor:
    """One SDPA call with a materialised mask ``m`` (bool or float, broadcastable to (B, H, Tq, Tk)) or
    None, and an optional sink. A row that can attend to nothing gives zeros."""
    gqa = qp.shape[1] != kp.shape[1]
    if sink is not None:  # the sink key is always open, so no row is ever empty
        qp, kp, v = _with_sink_key(qp, kp, v, sink, scale)
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


def _with_sink_key(qp: Tensor, kp: Tensor, v: Tensor, sink: Tensor, scale: float) -> tuple[Tensor, Tensor, Tensor]:
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


# The window on the fused path: queries in blocks of _BAND_BLOCK. Block n needs the keys from W - 1 before its
# first query to its last (plus W - 1 after, without causality); the blocks become a batch of small problems
# of width bq + W - 1, so the cost is O(T·W) in time and memory, all in one SDPA call. Measured on CPU
# (B=1, H=8, T=8192, D=64, W=256, fwd+bwd): blocks of 64 0.48 s, 128 0.53 s, 256 0.61 s; 32 separate calls of
# 256 queries 0.91 s; full causal 4.1 s.
_BAND_BLOCK = 64


def _band_layout(mask: MaskSpec) -> tuple[int, int, int, int] | None:
    """(bq, nb, wk, first): query block size, number of blocks, keys per block and the key index of block
    0's first key (negative: padding in front). None when the band is no cheaper than the full mask."""
    window, tq, tk = mask.window, mask.tq, mask.tk
    ahead = 0 if mask.causal else window - 1  # keys after the query that the window admits
    bq = min(_BAND_BLOCK, tq)
    nb = -(-tq // bq)
    wk = bq + window - 1 + ahead
    if nb * bq * wk >= tq * tk:
        return None
    return bq, nb, wk, mask.offset - (window - 1)


def _band_keys(x: Tensor, nb: int, bq: int, wk: int, first: int) -> Tensor:
    """(B, H, T, D) -> (B * nb, H, wk, D): block n holds the rows first + n·bq .. + wk - 1, zero outside."""
    t = x.shape[2]
    front, back = max(0, -first), max(0, first + (nb - 1) * bq + wk - t)
    x = F.pad(x, (0, 0, front, back))
    start = first + front
    x = x[:, :, start : start + (nb - 1) * bq + wk].unfold(2, wk, bq)  # (B, H, nb, D, wk), a view
    return rearrange(x, "b h n d w -> (b n) h w d")  # (B * nb, H, wk, D)


def _band_mask(m: Tensor, nb: int, bq: int, wk: int, first: int, tq: int, batch: int) -> Tensor:
    """An explicit mask (B|1, H|1, Tq|1, Tk) in band layout, (B * nb, H|1, bq|1, wk); closed outside."""
    fill = False if m.dtype == torch.bool else float("-inf")
    b, h, rows, tk = m.shape
    front, back = max(0, -first), max(0, first + (nb - 1) * bq + wk - tk)
    m = F.pad(m, (front, back), value=fill)
    start = first + front
    if rows == 1:  # one row for every query (a key mask): block n reads columns start + n·bq ..
        m = m[..., start : start + (nb - 1) * bq + wk].unfold(-1, wk, bq)  # (b, h, 1, nb, wk)
        m = rearrange(m, "b h r n w -> b n h r w")
    else:  # block n reads rows n·bq .. and columns start + n·bq ..: a strided view of the padded mask
        m = F.pad(m, (0, 0, 0, nb * bq - tq), value=fill).contiguous()
        s_b, s_h, s_r, s_c = m.stride()
        m = m.as_strided((b, h, nb, bq, wk), (s_b, s_h, bq * (s_r + s_c), s_r, s_c), m.storage_offset() + start * s_c)
        m = rearrange(m, "b h n r w -> b n h r w")
    m = m.expand(batch, *m.shape[1:])
    return m.reshape(batch * nb, *m.shape[2:])  # (B * nb, H|1, bq|1, wk)


def _banded_sdpa(
    qp: Tensor, kp: Tensor, v: Tensor, mask: MaskSpec, layout: tuple[int, int, int, int],
    bias: nn.Module | None, sink: Tensor | None, dropout_p: float, scale: float,
) -> Tensor:
    """Sliding-window attention on the fused kernel, in O(T·W): every block of bq queries attends to the
    wk = bq + W - 1 (+ W - 1 without causality) keys around it, all blocks in one batched SDPA call."""
    bq, nb, wk, first = layout
    batch, _, tq, _ = qp.shape
    q_blocks = rearrange(F.pad(qp, (0, 0, 0, nb * bq - tq)), "b h (n r) d -> (b n) h r d", r=bq)
    k_blocks = _band_keys(kp, nb, bq, wk, first)  # (B * nb, Hkv, wk, D)
    v_blocks = _band_keys(v, nb, bq, wk, first)  # (B * nb, Hkv, wk, Dv)
    # local key c of local query r: rel = j - p = c - r - (W - 1), the same in every block
    r = torch.arange(bq, device=qp.device)[:, None]
    c = torch.arange(wk, device=qp.device)[None, :]
    rel = c - r - (mask.window - 1)  # (bq, wk)
    ok = (rel > -mask.window) & ((rel <= 0) if mask.causal else (rel < mask.window))
    key_index = first + bq * torch.arange(nb, device=qp.device)[:, None, None] + c  # (nb, 1, wk)
    ok = ok & (key_index >= 0) & (key_index < mask.tk)  # (nb, bq, wk): padding keys closed
    ok = ok[:, None].expand(nb, 1, bq, wk).repeat(batch, 1, 1, 1)  # (B * nb, 1, bq, wk)
    m: Tensor = ok
    if mask.explicit is not None:
        e = _band_mask(mask.explicit, nb, bq, wk, first, tq, batch)
        m = ok & e if e.dtype == torch.bool else e.to(qp.dtype).masked_fill(~ok, float("-inf"))
    if bias is not None:
        b = bias(rel).to(qp.dtype)[None]  # (1, H, bq, wk)
        m = b.masked_fill(~m, float("-inf")) if m.dtype == torch.bool else b + m
    out = _sdpa_masked(q_blocks, k_blocks, v_blocks, m, sink, dropout_p, scale)  # (B * nb, H, bq, Dv)
    return rearrange(out, "(b n) h r d -> b h (n r) d", b=batch)[:, :, :tq]


# --------------------------------------------------------------------------------------------------
# chunked: exact online softmax in linear memory, forward and backward
# --------------------------------------------------------------------------------------------------

_BLOCK_BYTES = 4 * 2**20  # target size of one block's pairwise intermediate


def _block_sizes(batch: int, heads: int, tq: int, tk: int, pair_width: int, itemsize: int) -> tuple[int, int]:
    """Query and key block sizes such that one block's (B, H, bq, bk, pair_width) intermediate stays near
    ``_BLOCK_BYTES``: large enough to amortise Python overhead, small enough to stay in cache.

    Measured on CPU (additive, B=1, H=8, T=512, A=64, fwd+bwd, one thread): 16 MiB blocks 1.13 s, 4 MiB
    0.80 s. Besides cache reuse, blocks under glibc's 32 MiB mmap threshold are recycled by malloc instead
    of being mapped afresh, and fresh pages cost a fault each (about as much as the arithmetic).
    """
    bk = min(tk, 512 if pair_width == 1 else 128)
    while bk > 32 and batch * heads * 4 * bk * pair_width * itemsize > _BLOCK_BYTES:
        bk //= 2
    per_query = max(1, batch * heads * bk * pair_width * itemsize)
    bq = max(4, min(tq, _BLOCK_BYTES // per_query))
    return bq, bk


def _dropout_keep(seed: int, i: int, j: int, shape: tuple[int, ...], p: float, device: torch.device) -> Tensor:
    """The dropout keep-mask of block (i, j), regenerated identically in forward and backward."""
    gen = torch.Generator(device=device)
    gen.manual_seed(seed + 1_000_003 * i + j)
    return torch.rand(shape, generator=gen, device=device) >= p


class _ChunkedAttention(torch.autograd.Function):
    """The chunked kernel's forward and hand-written backward.

    Logits of one block: ``cap(scale · pairwise(q, k)) + bias(rel) + mask``. The sink enters as the initial
    state of each row's online softmax (running max σ_h, running sum 1, accumulator 0), so the stored
    log-sum-exp includes it and the backward needs no other change: a sink's gradient is
    ``-Σ_i P(sink)_i · D_i``, since its value is 0.
    """

    @staticmethod
    def forward(ctx, qp, kp, v, scale, sink, score, bias, softcap, mask, dropout_p, seed, n_score_params, *params):
        batch, heads, tq, _ = qp.shape
        tk = kp.shape[2]
        bq, bk = _block_sizes(batch, heads, tq, tk, score.pair_width, qp.element_size())
        if mask.window is not None:  # blocks near the window's width: each query block then reads ~2W keys
            bq, bk = min(bq, max(32, mask.window)), min(bk, max(32, mask.window))
        acc_dtype = torch.promote_types(qp.dtype, torch.float32)  # half inputs accumulate in float32
        out = torch.empty(*qp.shape[:3], v.shape[-1], dtype=v.dtype, device=v.device)
        lse = torch.empty(batch, heads, tq, 1, dtype=acc_dtype, device=qp.device)
        for qi, q0 in enumerate(range(0, tq, bq)):
            q1 = min(q0 + bq, tq)
            qc = qp[:, :, q0:q1]
            if sink is None:
                row_max = torch.full((batch, heads, q1 - q0, 1), float("-inf"), dtype=acc_dtype, device=qp.device)
                row_sum = torch.zeros_like(row_max)
            else:  # the sink key, already seen: running max σ_h, running sum e^0 = 1
                row_max = sink.to(acc_dtype)[None, :, None, None].expand(batch, heads, q1 - q0, 1).clone()
                row_sum = torch.ones_like(row_max)
            acc = torch.zeros(batch, heads, q1 - q0, v.shape[-1], dtype=acc_dtype, device=v.device)
            lo, hi = mask.key_range(q0, q1)  # key blocks outside it are closed to every query here: skipped
            for kj, k0 in enumerate(range(lo, hi, bk)):
                k1 = min(k0 + bk, hi)
                s = _soft_cap(_apply_scale(score.pairwise(qc, kp[:, :, k0:k1]), scale).to(acc_dtype), softcap)
                if bias is not None:
                    s = s + _block_bias(bias, mask, q0, q1, k0, k1, qp.device, acc_dtype)
                mask_bias = mask.block(q0, q1, k0, k1, qp.device, acc_dtype)
                if mask_bias is not None:
                    s = s + mask_bias
                new_max = torch.maximum(row_max, s.amax(dim=-1, keepdim=True))
                safe_max = new_max.masked_fill(torch.isneginf(new_max), 0.0)
                p = torch.exp(s - safe_max)
                correction = torch.exp(row_max - safe_max)
                row_sum = row_sum * correction + p.sum(dim=-1, keepdim=True)
                if dropout_p > 0:
                    p = p * _dropout_keep(seed, qi, kj, p.shape, dropout_p, p.device) / (1 - dropout_p)
                acc = acc * correction + (p.to(v.dtype) @ v[:, :, k0:k1]).to(acc_dtype)
                row_max = new_max
            safe_max = row_max.masked_fill(torch.isneginf(row_max), 0.0)
            empty = row_sum == 0
            out[:, :, q0:q1] = (acc / row_sum.masked_fill(empty, 1.0)).to(v.dtype)
            # +inf log-sum-exp makes exp(s - lse) = 0 in backward for rows with nothing to attend to
            lse[:, :, q0:q1] = (safe_max + torch.log(row_sum)).masked_fill(empty, float("inf"))
        ctx.save_for_backward(qp, kp, v, out, lse, scale if isinstance(scale, Tensor) else None, sink)
        ctx.score, ctx.bias, ctx.softcap, ctx.mask = score, bias, softcap, mask
        ctx.dropout_p, ctx.seed, ctx.n_score_params = dropout_p, seed, n_score_params
        ctx.const_scale = None if isinstance(scale, Tensor) else scale
        ctx.blocks = (bq, bk)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        qp, kp, v, out, lse, scale_t, sink = ctx.saved_tensors
        score, bias, softcap, mask = ctx.score, ctx.bias, ctx.softcap, ctx.mask
        dropout_p, seed = ctx.dropout_p, ctx.seed
        scale = scale_t if scale_t is not None else ctx.const_scale
        score_params = [p for p in score.parameters() if p.requires_grad]
        bias_params = [p for p in bias.parameters() if p.requires_grad] if bias is not None else []
        bq, bk = ctx.blocks
        tq = qp.shape[2]
        grad_out = grad_out.contiguous()
        # D_i = rowsum(dO_i * O_i): the softmax-backward correction, computed once per row
        acc_dtype = lse.dtype
        delta = (grad_out.to(acc_dtype) * out.to(acc_dtype)).sum(dim=-1, keepdim=True)
        grad_q = torch.zeros_like(qp)
        grad_k = torch.zeros_like(kp)
        grad_v = torch.zeros_like(v)
        grad_scale = torch.zeros((), dtype=acc_dtype, device=qp.device) if scale_t is not None else None
        grad_params = [torch.zeros_like(p) for p in score_params + bias_params]
        for qi, q0 in enumerate(range(0, tq, bq)):
            q1 = min(q0 + bq, tq)
            d_out = grad_out[:, :, q0:q1]
            lo, hi = mask.key_range(q0, q1)
            for kj, k0 in enumerate(range(lo, hi, bk)):
                k1 = min(k0 + bk, hi)
                with torch.enable_grad():
                    qc = qp[:, :, q0:q1].detach().requires_grad_(True)
                    kc = kp[:, :, k0:k1].detach().requires_grad_(True)
                    raw = score.pairwise(qc, kc)  # (B, H, bq, bk), recomputed instead of stored
                    block_bias = (
                        None if bias is None else _block_bias(bias, mask, q0, q1, k0, k1, qp.device, acc_dtype)
                    )
                scale_val = scale.detach() if isinstance(scale, Tensor) else scale
                z = _apply_scale(raw.detach(), scale_val).to(acc_dtype)
                capped = None if softcap is None else torch.tanh(z / softcap)
                s = z if capped is None else capped * softcap
                if block_bias is not None:
                    s = s + block_bias.detach()
                mask_bias = mask.block(q0, q1, k0, k1, qp.device, acc_dtype)
                if mask_bias is not None:
                    s = s + mask_bias
                p = torch.exp(s - lse[:, :, q0:q1])
                vc = v[:, :, k0:k1]
                d_p = d_out @ vc.transpose(-2, -1)  # (B, H, bq, bk)
                if dropout_p > 0:
                    keep = _dropout_keep(seed, qi, kj, p.shape, dropout_p, p.device) / (1 - dropout_p)
                    grad_v[:, :, k0:k1] += (p * keep).to(v.dtype).transpose(-2, -1) @ d_out
                    d_p = d_p * keep
                else:
                    grad_v[:, :, k0:k1] += p.to(v.dtype).transpose(-2, -1) @ d_out
                d_s = p * (d_p.to(acc_dtype) - delta[:, :, q0:q1])  # gradient w.r.t. the final logits
                d_z = d_s if capped is None else d_s * (1 - capped * capped)  # through c·tanh(z / c)
                if grad_scale is not None:
                    grad_scale += (d_z * raw.detach().to(acc_dtype)).sum()
                outputs, grads_in = [raw], [_apply_scale(d_z, scale_val).to(raw.dtype)]
                if bias_params:
                    outputs.append(block_bias)
                    grads_in.append(d_s.sum(0))  # the bias (H, bq, bk) is shared by the batch
                grads = torch.autograd.grad(outputs, [qc, kc, *score_params, *bias_params], grads_in,
                                            allow_unused=True)
                grad_q[:, :, q0:q1] += grads[0]
                grad_k[:, :, k0:k1] += grads[1]
                for acc, g in zip(grad_params, grads[2:], strict=True):
                    if g is not None:
                        acc += g
        if grad_scale is not None:
            grad_scale = grad_scale.to(scale_t.dtype).reshape(scale_t.shape)
        grad_sink = None
        if sink is not None and ctx.needs_input_grad[4]:
            p_sink = torch.exp(sink.to(acc_dtype)[None, :, None, None] - lse)  # (B, H, Tq, 1)
            grad_sink = -(p_sink * delta).sum(dim=(0, 2, 3)).to(sink.dtype)
        n = ctx.n_score_params
        # the parameters reached apply() as *params, score's then the bias's, in this same order
        return (grad_q, grad_k, grad_v, grad_scale, grad_sink, None, None, None, None, None, None, None,
                *grad_params[:n], *grad_params[n:])


def _block_bias(
    bias: nn.Module, mask: MaskSpec, q0: int, q1: int, k0: int, k1: int, device: torch.device, dtype: torch.dtype
) -> Tensor:
    """The position bias of queries [q0, q1) and keys [k0, k1), (H, q1 - q0, k1 - k0)."""
    return bias(relative_positions(mask.tq, mask.tk, q0, q1, k0, k1, device)).to(dtype)


def chunked_attention(
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
) -> Tensor:
    """Exact attention by blocks with an online softmax, in memory linear in Tq and Tk.

    Works for any score. The score's per-token ``prepare`` runs once on the whole sequence (outside the
    custom autograd function, so autograd handles it); its ``pairwise`` runs per block and is recomputed in
    backward. Returns out (B, H, Tq, Dv).
    """
    n_heads = q.shape[1]
    k, v = _expand_kv(k, n_heads), _expand_kv(v, n_heads)
    qp, kp = score.prepare(q, k)
    seed = int(torch.randint(0, 2**31 - 1, (1,)).item()) if dropout_p > 0 else 0
    score_params = [p for p in score.parameters() if p.requires_grad]
    bias_params = [p for p in bias.parameters() if p.requires_grad] if bias is not None else []
    return _ChunkedAttention.apply(qp, kp, v, scale, sink, score, bias, softcap, mask, dropout_p, seed,
                                   len(score_params), *score_params, *bias_params)


# --------------------------------------------------------------------------------------------------
# dispatch
# --------------------------------------------------------------------------------------------------


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
) -> tuple[Tensor, Tensor | None]:
    """Run validated inputs on the chosen path. Returns (out, weights or None).

    ``bias`` maps relative positions ``j - p`` (any shape, long) to a float bias (H, ...); ``softcap`` is a
    positive float or None; ``sink`` the sink logit per query head (H,) or None.
    """
    batch, n_heads, tq, _ = q.shape
    tk = k.shape[2]
    if tk == 0 or tq == 0:  # nothing to attend to (or nobody asking): zeros, never NaN
        out = q.new_zeros(batch, n_heads, tq, v.shape[-1])
        return out, (q.new_zeros(batch, n_heads, tq, tk) if need_weights else None)
    if impl == "auto":
        impl = "reference" if need_weights else ("sdpa" if score.bilinear and softcap is None else "chunked")
    if need_weights and impl != "reference":
        raise ValueError(
            f"impl: the weights (B, H, Tq, Tk) are only materialised by impl='reference' or 'auto', got {impl!r}"
        )
    if impl == "sdpa" and softcap is not None:
        raise ValueError(SOFTCAP_ON_SDPA)
    extras = dict(bias=bias, sink=sink)
    if impl == "reference":
        return reference_attention(q, k, v, score, scale, mask, dropout_p, softcap=softcap, **extras)
    if impl == "sdpa":
        return sdpa_attention(q, k, v, score, scale, mask, dropout_p, **extras), None
    return chunked_attention(q, k, v, score, scale, mask, dropout_p, softcap=softcap, **extras), None


SOFTCAP_ON_SDPA = (
    "softcap cannot run on the fused SDPA path (the tanh acts on every logit inside the kernel); "
    "use impl='chunked' (attn_impl in model configs), 'reference' or 'auto'"
)


def _check_qkv(q: Tensor, k: Tensor, v: Tensor) -> None:
    for name, x in (("q", q), ("k", k), ("v", v)):
        if not isinstance(x, Tensor):
            raise TypeError(f"{name}: expected a tensor, got {type(x).__name__}")
        if x.dim() != 4:
            raise ValueError(f"{name}: expected 4 dims (B, H, T, D), got shape {tuple(x.shape)}")
        if not x.is_floating_point():
            raise TypeError(f"{name}: expected a floating dtype, got {x.dtype}")
    if not (q.dtype == k.dtype == v.dtype):
        raise TypeError(f"q, k, v: expected one dtype, got {q.dtype}, {k.dtype}, {v.dtype}")
    if not (q.device == k.device == v.device):
        raise ValueError(f"q, k, v: expected one device, got {q.device}, {k.device}, {v.device}")
    if not (q.shape[0] == k.shape[0] == v.shape[0]):
        raise ValueError(f"q, k, v: expected the same batch size B, got {q.shape[0]}, {k.shape[0]}, {v.shape[0]}")
    if k.shape[1] != v.shape[1]:
        raise ValueError(f"k, v: expected the same number of heads, got {k.shape[1]} and {v.shape[1]}")
    if k.shape[1] == 0 or q.shape[1] % k.shape[1] != 0:
        raise ValueError(
            f"k: expected a number of heads that divides q's {q.shape[1]} (grouped-query attention), got {k.shape[1]}"
        )
    if k.shape[2] != v.shape[2]:
        raise ValueError(f"k, v: expected the same sequence length Tk, got {k.shape[2]} and {v.shape[2]}")
    if q.shape[3] != k.shape[3]:
        raise ValueError(f"q, k: expected the same head dim D, got {q.shape[3]} and {k.shape[3]}")


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


def attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    *,
    score: str | Score = "scaled_dot",
    attn_mask: Tensor | None = None,
    is_causal: bool = False,
    scale: bool | float | None = None,
    dropout_p: float = 0.0,
    return_weights: bool = False,
    impl: str = "auto",
    window: int | None = None,
    softcap: float | None = None,
    sink: Tensor | None = None,
) -> Tensor | tuple[Tensor, Tensor]:
    r"""Attention with a choice of score function.

    .. math::
        \mathrm{out} = \mathrm{softmax}\big(\mathrm{cap}(\mathrm{scale} \cdot s(q, k)) + M\big)\, v

    Args:
        q: queries (B, H, Tq, D).
        k: keys (B, Hkv, Tk, D); H must be a multiple of Hkv (grouped-query / multi-query attention).
        v: values (B, Hkv, Tk, Dv).
        score: a registered score name ("dot", "scaled_dot", "general", "additive", "cosine", or one you
            registered) or a :class:`Score` instance. Scores with parameters need an instance.
        attn_mask: bool (True = may attend) or float (added to the scores); (Tq, Tk), (B, Tq, Tk) or
            (B, H, Tq, Tk).
        is_causal: causal mask aligned bottom-right (query i sees keys j <= i + Tk - Tq).
        scale: None for the score's default (1/√D for scaled_dot, 1 for dot, √D for cosine), True for 1/√D,
            False for 1, or a positive float.
        dropout_p: dropout on the attention weights.
        return_weights: also return the weights (B, H, Tq, Tk) (forces the reference path).
        impl: "auto", "reference", "sdpa" (bilinear scores, no softcap) or "chunked".
        window: sliding window W: query i (at position p = i + Tk - Tq) sees keys p - W < j <= p when
            causal, |p - j| < W otherwise; ANDed with the other masks. None: no window.
        softcap: c > 0 to squash the scaled logits to c·tanh(x / c) before the masks (Gemma 2); not on
            impl="sdpa".
        sink: (H,) sink logit per query head: one more key with that logit and value 0, so a head can attend
            to nothing (zeros: softmax off-by-one). None: no sink.

    Returns:
        out (B, H, Tq, Dv), or (out, weights) when ``return_weights``. A query row with nothing to attend to
        gives zeros (and zero weights). With a sink the weights of a row sum to less than 1.
    """
    _check_qkv(q, k, v)
    if impl not in IMPLS:
        raise ValueError(f"impl: expected one of {IMPLS}, got {impl!r}")
    if not isinstance(dropout_p, (int, float)) or not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"dropout_p: expected a float in [0, 1), got {dropout_p!r}")
    check_softcap(softcap)
    bad_sink = not isinstance(sink, Tensor) or not sink.is_floating_point() or tuple(sink.shape) != (q.shape[1],)
    if sink is not None and bad_sink:
        got = f"shape {tuple(sink.shape)}, dtype {sink.dtype}" if isinstance(sink, Tensor) else type(sink).__name__
        raise ValueError(f"sink: expected a float tensor of shape (H,) = ({q.shape[1]},), got {got}")
    if isinstance(score, str):
        cls = get_score(score)
        if cls.has_params:
            raise ValueError(
                f"score: {score!r} has learnable parameters; pass an instance, e.g. "
                f"attnlab.attention.make_score({score!r}, head_dim={q.shape[-1]}, n_heads={q.shape[1]})"
            )
    score_mod = make_score(score, q.shape[-1], q.shape[1])
    if score_mod.head_dim != q.shape[-1]:
        raise ValueError(f"score: built for head_dim {score_mod.head_dim}, got q with D={q.shape[-1]}")
    if scale == "learned":
        raise ValueError("scale: 'learned' needs a parameter to learn; use attnlab.MultiHeadAttention(scale='learned')")
    scale_value = resolve_scale(score_mod, scale)
    if scale_value == "learned":  # the score's default is learned (cosine): use its initial value, fixed
        scale_value = score_mod.learned_scale_init()
    mask = build_mask_spec(
        attn_mask=attn_mask,
        key_mask=None,
        is_causal=is_causal,
        batch=q.shape[0],
        heads=q.shape[1],
        tq=q.shape[2],
        tk=k.shape[2],
        dtype=q.dtype,
        window=window,
    )
    out, weights = attend(
        q, k, v, score=score_mod, scale=scale_value, mask=mask, dropout_p=dropout_p,
        need_weights=return_weights, impl=impl, softcap=softcap, sink=sink,
    )
    return (out, weights) if return_weights else out


