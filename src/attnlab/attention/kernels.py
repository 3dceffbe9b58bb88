"""Attention kernels: three paths that compute the same function.

``softmax(scale · s(q, k) + mask) @ v``, where ``s`` is a score function (see ``scores.py``):

* ``reference``: the plain materialised math. Returns the weights; every fast path is tested against it.
* ``sdpa``: one fused ``F.scaled_dot_product_attention`` call. Works for every bilinear score, whose
  per-token transform is folded into q and k first (W for "general", the norms for "cosine").
* ``chunked``: exact online softmax (Milakov & Gimelshein 2018; the FlashAttention recurrence) over blocks
  of queries and keys, for additive and user scores. Memory is linear in the sequence length in the
  forward *and* backward pass: a custom autograd function keeps only q, k, v, the output and the
  per-row log-sum-exp, and recomputes each block's scores in backward.

``impl="auto"`` picks ``reference`` when weights are asked for, ``sdpa`` for bilinear scores and
``chunked`` otherwise.

Shapes: q (B, H, Tq, D), k (B, Hkv, Tk, D), v (B, Hkv, Tk, Dv) with H a multiple of Hkv (grouped-query
attention); output (B, H, Tq, Dv); weights (B, H, Tq, Tk).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor

from attnlab.attention.masks import MaskSpec, allowed, build_mask_spec
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
) -> tuple[Tensor, Tensor]:
    """Materialised attention. Returns (out (B, H, Tq, Dv), weights (B, H, Tq, Tk)).

    The weights are the softmax before dropout; the output uses the dropped-out weights.
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
    # a buffer of our own (a built-in score just made it, nothing else holds it): safe to work in place
    own_buffer = type(score).__module__ == Score.__module__ and logits._base is None and logits.is_contiguous()
    if own_buffer and not logits.requires_grad:
        return _reference_inplace(logits, v, scale, m, dropout_p)
    logits = _apply_scale(logits, scale)
    if m is None:
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
) -> Tensor:
    """Fused attention for a bilinear score: fold the score's per-token transform into q and k, then call
    ``F.scaled_dot_product_attention`` once. Returns out (B, H, Tq, Dv)."""
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
    if mask.is_empty:
        return F.scaled_dot_product_attention(qp, kp, v, dropout_p=dropout_p, scale=sdpa_scale, enable_gqa=gqa)
    if mask.explicit is None and mask.tq == mask.tk:
        return F.scaled_dot_product_attention(
            qp, kp, v, dropout_p=dropout_p, is_causal=True, scale=sdpa_scale, enable_gqa=gqa
        )
    if mask.explicit is None and mask.tq == 1:  # one decoding step: bottom-right causal masks nothing
        return F.scaled_dot_product_attention(qp, kp, v, dropout_p=dropout_p, scale=sdpa_scale, enable_gqa=gqa)
    m = mask.materialize(q.device)
    if mask.explicit is None and mask.tq <= mask.tk:  # bottom-right causal alone leaves no row empty
        return F.scaled_dot_product_attention(
            qp, kp, v, attn_mask=m, dropout_p=dropout_p, scale=sdpa_scale, enable_gqa=gqa
        )
    ok = allowed(m)
    empty = ~ok.any(dim=-1, keepdim=True)  # (B|1, H|1, Tq, 1): rows with nothing to attend to
    has_empty = bool(empty.any())
    if has_empty:  # open those rows so the kernel stays finite, then zero their output
        m = m | empty if m.dtype == torch.bool else m.masked_fill(empty, 0.0)
    if m.dtype != torch.bool:
        m = m.to(qp.dtype)
    out = F.scaled_dot_product_attention(qp, kp, v, attn_mask=m, dropout_p=dropout_p, scale=sdpa_scale, enable_gqa=gqa)
    return out.masked_fill(empty, 0.0) if has_empty else out


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
    @staticmethod
    def forward(ctx, qp, kp, v, scale, score, mask, dropout_p, seed, *params):
        batch, heads, tq, _ = qp.shape
        tk = kp.shape[2]
        bq, bk = _block_sizes(batch, heads, tq, tk, score.pair_width, qp.element_size())
        acc_dtype = torch.promote_types(qp.dtype, torch.float32)  # half inputs accumulate in float32
        out = torch.empty(*qp.shape[:3], v.shape[-1], dtype=v.dtype, device=v.device)
        lse = torch.empty(batch, heads, tq, 1, dtype=acc_dtype, device=qp.device)
        for qi, q0 in enumerate(range(0, tq, bq)):
            q1 = min(q0 + bq, tq)
            qc = qp[:, :, q0:q1]
            row_max = torch.full((batch, heads, q1 - q0, 1), float("-inf"), dtype=acc_dtype, device=qp.device)
            row_sum = torch.zeros_like(row_max)
            acc = torch.zeros(batch, heads, q1 - q0, v.shape[-1], dtype=acc_dtype, device=v.device)
            for kj, k0 in enumerate(range(0, tk, bk)):
                k1 = min(k0 + bk, tk)
                s = _apply_scale(score.pairwise(qc, kp[:, :, k0:k1]), scale).to(acc_dtype)
                bias = mask.block(q0, q1, k0, k1, qp.device, acc_dtype)
                if bias is not None:
                    s = s + bias
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
        ctx.save_for_backward(qp, kp, v, out, lse, scale if isinstance(scale, Tensor) else None)
        ctx.score, ctx.mask, ctx.dropout_p, ctx.seed = score, mask, dropout_p, seed
        ctx.const_scale = None if isinstance(scale, Tensor) else scale
        ctx.blocks = (bq, bk)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        qp, kp, v, out, lse, scale_t = ctx.saved_tensors
        score, mask, dropout_p, seed = ctx.score, ctx.mask, ctx.dropout_p, ctx.seed
        scale = scale_t if scale_t is not None else ctx.const_scale
        params = [p for p in score.parameters() if p.requires_grad]
        bq, bk = ctx.blocks
        tq, tk = qp.shape[2], kp.shape[2]
        grad_out = grad_out.contiguous()
        # D_i = rowsum(dO_i * O_i): the softmax-backward correction, computed once per row
        acc_dtype = lse.dtype
        delta = (grad_out.to(acc_dtype) * out.to(acc_dtype)).sum(dim=-1, keepdim=True)
        grad_q = torch.zeros_like(qp)
        grad_k = torch.zeros_like(kp)
        grad_v = torch.zeros_like(v)
        grad_scale = torch.zeros((), dtype=acc_dtype, device=qp.device) if scale_t is not None else None
        grad_params = [torch.zeros_like(p) for p in params]
        for qi, q0 in enumerate(range(0, tq, bq)):
            q1 = min(q0 + bq, tq)
            d_out = grad_out[:, :, q0:q1]
            for kj, k0 in enumerate(range(0, tk, bk)):
                k1 = min(k0 + bk, tk)
                with torch.enable_grad():
                    qc = qp[:, :, q0:q1].detach().requires_grad_(True)
                    kc = kp[:, :, k0:k1].detach().requires_grad_(True)
                    raw = score.pairwise(qc, kc)  # (B, H, bq, bk), recomputed instead of stored
                scale_val = scale.detach() if isinstance(scale, Tensor) else scale
                s = _apply_scale(raw.detach(), scale_val).to(acc_dtype)
                bias = mask.block(q0, q1, k0, k1, qp.device, acc_dtype)
                if bias is not None:
                    s = s + bias
                p = torch.exp(s - lse[:, :, q0:q1])
                vc = v[:, :, k0:k1]
                d_p = d_out @ vc.transpose(-2, -1)  # (B, H, bq, bk)
                if dropout_p > 0:
                    keep = _dropout_keep(seed, qi, kj, p.shape, dropout_p, p.device) / (1 - dropout_p)
                    grad_v[:, :, k0:k1] += (p * keep).to(v.dtype).transpose(-2, -1) @ d_out
                    d_p = d_p * keep
                else:
                    grad_v[:, :, k0:k1] += p.to(v.dtype).transpose(-2, -1) @ d_out
                d_s = p * (d_p.to(acc_dtype) - delta[:, :, q0:q1])  # gradient w.r.t. the scaled logits
                if grad_scale is not None:
                    grad_scale += (d_s * raw.detach().to(acc_dtype)).sum()
                d_raw = _apply_scale(d_s, scale_val).to(raw.dtype)
                grads = torch.autograd.grad(raw, [qc, kc, *params], d_raw, allow_unused=True)
                grad_q[:, :, q0:q1] += grads[0]
                grad_k[:, :, k0:k1] += grads[1]
                for acc, g in zip(grad_params, grads[2:], strict=True):
                    if g is not None:
                        acc += g
        if grad_scale is not None:
            grad_scale = grad_scale.to(scale_t.dtype).reshape(scale_t.shape)
        # the parameters reached apply() as *params, in this same order
        return (grad_q, grad_k, grad_v, grad_scale, None, None, None, None, *grad_params)


def chunked_attention(
    q: Tensor,
    k: Tensor,
    v: Tensor,
    score: Score,
    scale: ScaleLike,
    mask: MaskSpec,
    dropout_p: float = 0.0,
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
    params = [p for p in score.parameters() if p.requires_grad]
    return _ChunkedAttention.apply(qp, kp, v, scale, score, mask, dropout_p, seed, *params)


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
) -> tuple[Tensor, Tensor | None]:
    """Run validated inputs on the chosen path. Returns (out, weights or None)."""
    batch, n_heads, tq, _ = q.shape
    tk = k.shape[2]
    if tk == 0 or tq == 0:  # nothing to attend to (or nobody asking): zeros, never NaN
        out = q.new_zeros(batch, n_heads, tq, v.shape[-1])
        return out, (q.new_zeros(batch, n_heads, tq, tk) if need_weights else None)
    if impl == "auto":
        impl = "reference" if need_weights else ("sdpa" if score.bilinear else "chunked")
    if need_weights and impl != "reference":
        raise ValueError(
            f"impl: the weights (B, H, Tq, Tk) are only materialised by impl='reference' or 'auto', got {impl!r}"
        )
    if impl == "reference":
        return reference_attention(q, k, v, score, scale, mask, dropout_p)
    if impl == "sdpa":
        return sdpa_attention(q, k, v, score, scale, mask, dropout_p), None
    return chunked_attention(q, k, v, score, scale, mask, dropout_p), None


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
) -> Tensor | tuple[Tensor, Tensor]:
    r"""Attention with a choice of score function.

    .. math::
        \mathrm{out} = \mathrm{softmax}\big(\mathrm{scale} \cdot s(q, k) + M\big)\, v

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
        impl: "auto", "reference", "sdpa" (bilinear scores) or "chunked".

    Returns:
        out (B, H, Tq, Dv), or (out, weights) when ``return_weights``. A query row with nothing to attend to
        gives zeros (and zero weights).
    """
    _check_qkv(q, k, v)
    if impl not in IMPLS:
        raise ValueError(f"impl: expected one of {IMPLS}, got {impl!r}")
    if not isinstance(dropout_p, (int, float)) or not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"dropout_p: expected a float in [0, 1), got {dropout_p!r}")
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
    )
    out, weights = attend(
        q, k, v, score=score_mod, scale=scale_value, mask=mask, dropout_p=dropout_p,
        need_weights=return_weights, impl=impl,
    )
    return (out, weights) if return_weights else out


