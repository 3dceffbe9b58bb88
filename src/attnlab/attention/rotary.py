"""Rotary position embedding (RoPE; Su et al. 2021, "RoFormer").

Each pair of query/key features is rotated by an angle proportional to the token's position, so that the
dot product of a query at position m and a key at position n depends on m - n only:

.. math::
    \\theta_i = \\mathrm{base}^{-2i/d},\\qquad
    \\mathrm{rope}(x)_m = x_m \\cos(m\\theta) + \\mathrm{rotate\\_half}(x_m) \\sin(m\\theta)

with the "rotate-half" layout of GPT-NeoX and Llama: feature ``i`` is paired with feature ``i + d/2``
(not with its neighbour ``i + 1`` as in the RoFormer paper), which is what Hugging Face's
``apply_rotary_pos_emb`` computes. With ``rotary_dim < D`` only the first ``rotary_dim`` features turn and
the rest pass through (partial rotary, GPT-NeoX's ``rotary_pct``).

Shapes: x (B, H, T, D); positions (T,) or (B, T).
"""

from __future__ import annotations

import torch
from torch import Tensor

from attnlab.attention.rope_scaling import RopeScaling, rotary_inv_freq

__all__ = ["apply_rotary", "rotary_cos_sin", "rotate", "rotate_half"]


def rotate_half(x: Tensor) -> Tensor:
    """(x1, x2) -> (-x2, x1) on the two halves of the last dim: a quarter turn of every feature pair."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def rotary_cos_sin(positions: Tensor, dim: int, base: float = 10000.0,
                   scaling: RopeScaling | None = None) -> tuple[Tensor, Tensor]:
    """cos and sin of the rotation angles, each (..., T, dim) float32 for positions (..., T).

    Computed in float32 whatever the input dtype, like Hugging Face's rotary embedding, so that both give
    the same angles. ``scaling`` (:mod:`attnlab.attention.rope_scaling`) changes the frequencies and, for
    YaRN, multiplies cos and sin by its attention factor.
    """
    if scaling is None:
        inv_freq = rotary_inv_freq(dim, base, positions.device)
    else:
        inv_freq = scaling.inv_freq(dim, base, positions.device)
    angles = positions[..., None].float() * inv_freq  # (..., T, dim/2)
    angles = torch.cat((angles, angles), dim=-1)  # (..., T, dim): feature i and i + dim/2 share an angle
    if scaling is not None and scaling.attention_factor != 1.0:
        return angles.cos() * scaling.attention_factor, angles.sin() * scaling.attention_factor
    return angles.cos(), angles.sin()


def _check_rotary(x: Tensor, positions: Tensor, base: float, rotary_dim: int) -> None:
    if not isinstance(x, Tensor) or x.dim() != 4 or not x.is_floating_point():
        got = f"shape {tuple(x.shape)}, dtype {x.dtype}" if isinstance(x, Tensor) else type(x).__name__
        raise ValueError(f"x: expected a float tensor (B, H, T, D), got {got}")
    batch, _, t, d = x.shape
    if not isinstance(positions, Tensor) or positions.is_floating_point() or positions.is_complex():
        got = positions.dtype if isinstance(positions, Tensor) else type(positions).__name__
        raise TypeError(f"positions: expected an integer tensor (T,) or (B, T), got {got}")
    if tuple(positions.shape) not in ((t,), (batch, t)):
        raise ValueError(f"positions: expected shape ({t},) or ({batch}, {t}), got {tuple(positions.shape)}")
    if not isinstance(base, (int, float)) or isinstance(base, bool) or base <= 1:
        raise ValueError(f"base: expected a float > 1, got {base!r}")
    if isinstance(rotary_dim, bool) or not isinstance(rotary_dim, int) or not (2 <= rotary_dim <= d):
        raise ValueError(f"rotary_dim: expected an int in [2, D={d}], got {rotary_dim!r}")
    if rotary_dim % 2:
        raise ValueError(f"rotary_dim: expected an even number (features turn in pairs), got {rotary_dim}")


def apply_rotary(x: Tensor, positions: Tensor, *, base: float = 10000.0, rotary_dim: int | None = None) -> Tensor:
    r"""Rotate queries or keys by their positions (RoPE, rotate-half convention).

    .. math::
        y = x \odot \cos(p\,\theta) + \mathrm{rotate\_half}(x) \odot \sin(p\,\theta),\qquad
        \theta_i = \mathrm{base}^{-2i/d}

    Equal to Hugging Face's ``apply_rotary_pos_emb(q, k, cos, sin)`` with the cos/sin of
    ``LlamaRotaryEmbedding`` on the same positions.

    Args:
        x: queries or keys (B, H, T, D).
        positions: integer positions (T,) or (B, T) (during decoding: the cache length plus ``arange(T)``).
        base: the base of the geometric sequence of frequencies (10000 in RoFormer and Llama 2).
        rotary_dim: rotate only the first ``rotary_dim`` features (even, <= D); the rest pass unchanged.
            None rotates all D.

    Returns:
        Tensor of the same shape and dtype as ``x``.

    Raises:
        ValueError / TypeError: naming the argument, for a wrong shape, dtype, base or rotary_dim.
    """
    d = x.shape[-1] if isinstance(x, Tensor) else 0
    rotary_dim = d if rotary_dim is None else rotary_dim
    _check_rotary(x, positions, base, rotary_dim)
    cos, sin = rotary_cos_sin(positions, rotary_dim, base)  # (T, r) or (B, T, r)
    if cos.dim() == 3:
        cos, sin = cos[:, None], sin[:, None]  # (B, 1, T, r): broadcast over heads
    return rotate(x, cos, sin)


def rotate(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """The rotation itself, for cos/sin from :func:`rotary_cos_sin` (computed once for q and k).

    x (B, H, T, D); cos, sin (T, r) or (B, 1, T, r) with r <= D: the first r features turn.
    Equals ``x * cos + rotate_half(x) * sin`` on those features.
    """
    cos, sin = cos.to(x.dtype), sin.to(x.dtype)
    r = cos.shape[-1]
    half = r // 2
    cos, sin = cos[..., :half], sin[..., :half]  # both halves of a pair share their angle
    if r == x.shape[-1]:
        return _Rotate.apply(x, cos, sin)
    return torch.cat((_Rotate.apply(x[..., :r], cos, sin), x[..., r:]), dim=-1)


def _turn(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """(x1, x2) -> (x1 cos - x2 sin, x2 cos + x1 sin) on the halves of the last dim, into one new tensor.

    The same as ``x * cos + rotate_half(x) * sin`` with both halves of cos/sin equal, in four fused passes
    over half of x and no intermediate (``rotate_half`` alone would copy x twice)."""
    out = torch.empty(x.shape, dtype=x.dtype, device=x.device)  # contiguous, for the kernel that follows
    x1, x2 = x.chunk(2, dim=-1)
    y1, y2 = out.chunk(2, dim=-1)
    torch.mul(x1, cos, out=y1)
    y1.addcmul_(x2, sin, value=-1.0)
    torch.mul(x2, cos, out=y2)
    y2.addcmul_(x1, sin)
    return out


class _Rotate(torch.autograd.Function):
    """The rotation with its backward written out: the transpose of a rotation by θ is the rotation by -θ,
    so the gradient is the incoming gradient turned back (and nothing but cos/sin is saved)."""

    @staticmethod
    def forward(ctx, x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
        ctx.save_for_backward(cos, sin)
        return _turn(x, cos, sin)

    @staticmethod
    def backward(ctx, grad: Tensor):
        cos, sin = ctx.saved_tensors
        return _turn(grad, cos, -sin), None, None
