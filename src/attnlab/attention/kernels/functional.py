"""``attnlab.attention``: the functional attention with a choice of score, on validated inputs."""

from __future__ import annotations

from torch import Tensor

from attnlab.attention.kernels.dispatch import IMPLS, attend, check_softcap, resolve_scale
from attnlab.attention.masks import build_mask_spec
from attnlab.attention.scores import Score, get_score, make_score

__all__ = ["attention"]


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
