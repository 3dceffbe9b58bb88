"""Score functions: how a query and a key become an attention logit.

Every score is a small ``nn.Module`` that maps queries ``q`` (B, H, Tq, D) and keys ``k`` (B, H, Tk, D)
to raw logits (B, H, Tq, Tk); the attention kernels then multiply by the scale, add the mask and take the
softmax. A score is split in two steps so that kernels can run it efficiently:

* ``prepare(q, k) -> (qp, kp)``: per-token work, linear in the sequence length (a projection, a norm);
* ``pairwise(qp, kp) -> logits``: the work done for every (query, key) pair.

A score whose ``pairwise`` is a plain dot product (``bilinear = True``) folds into a single fused
``scaled_dot_product_attention`` call on the prepared q and k. Any other score (additive, or one a user
registers) runs on the chunked online-softmax kernel, which calls ``pairwise`` one block at a time.

Register your own with :func:`register_score`::

    @register_score("neg_l2")
    class NegL2(Score):
        def pairwise(self, qp, kp):
            return -torch.cdist(qp, kp).pow(2)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = [
    "restore_scores",
    "snapshot_scores",
    "AdditiveScore",
    "CosineScore",
    "DotScore",
    "GeneralScore",
    "ScaledDotScore",
    "Score",
    "get_score",
    "list_scores",
    "make_score",
    "register_score",
]

_REGISTRY: dict[str, type[Score]] = {}


class Score(nn.Module):
    """Base class of score functions.

    Subclasses implement :meth:`pairwise` and, when they do per-token work, :meth:`prepare`.

    Class attributes:
        name: the registry name.
        bilinear: True when ``pairwise`` is ``qp @ kp.transpose(-2, -1)``, so the score folds into one
            fused SDPA call.
        has_params: True when the score holds learnable parameters (then the functional API needs an
            instance rather than a name).
        pair_width: how many floats ``pairwise`` materialises per (query, key) pair; the chunked kernel
            sizes its blocks with it.

    Args:
        head_dim: D, the size of each head's queries and keys.
        n_heads: H, the number of query heads (per-head parameters have a leading H dimension).
    """

    name: ClassVar[str] = "score"
    bilinear: ClassVar[bool] = False
    has_params: ClassVar[bool] = False

    def __init__(self, head_dim: int, n_heads: int = 1) -> None:
        super().__init__()
        if not isinstance(head_dim, int) or head_dim <= 0:
            raise ValueError(f"head_dim: expected a positive int, got {head_dim!r}")
        if not isinstance(n_heads, int) or n_heads <= 0:
            raise ValueError(f"n_heads: expected a positive int, got {n_heads!r}")
        self.head_dim = head_dim
        self.n_heads = n_heads

    @property
    def pair_width(self) -> int:
        return 1

    def default_scale(self) -> float | str:
        """The logit multiplier this score uses when the caller gives none: a float or ``"learned"``."""
        return 1.0

    def learned_scale_init(self) -> float:
        """Initial value of a learned scale (``scale="learned"``)."""
        return 1.0 / math.sqrt(self.head_dim)

    def prepare(self, q: Tensor, k: Tensor) -> tuple[Tensor, Tensor]:
        """Per-token transform. q (B, H, Tq, D), k (B, H, Tk, D) -> (qp, kp)."""
        return q, k

    def pairwise(self, qp: Tensor, kp: Tensor) -> Tensor:
        """Logits for every pair. qp (B, H, Tq, *), kp (B, H, Tk, *) -> (B, H, Tq, Tk)."""
        raise NotImplementedError(f"{type(self).__name__} must implement pairwise(qp, kp)")

    def forward(self, q: Tensor, k: Tensor) -> Tensor:
        """Raw (unscaled) logits: ``pairwise(*prepare(q, k))``. q (B, H, Tq, D), k (B, H, Tk, D)."""
        return self.pairwise(*self.prepare(q, k))

    def prune_heads(self, keep: Tensor) -> None:
        """Keep only the heads in ``keep`` (LongTensor of head indices). No-op for parameter-free scores."""
        self.n_heads = int(keep.numel())

    def extra_repr(self) -> str:
        return f"head_dim={self.head_dim}, n_heads={self.n_heads}"


def register_score(name: str) -> Callable[[type[Score]], type[Score]]:
    """Class decorator that registers a :class:`Score` subclass under ``name``.

    Raises:
        ValueError: if ``name`` is already taken.
        TypeError: if the decorated object is not a Score subclass.
    """

    def decorator(cls: type[Score]) -> type[Score]:
        if not (isinstance(cls, type) and issubclass(cls, Score)):
            raise TypeError(f"register_score: expected a subclass of attnlab.attention.Score, got {cls!r}")
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"register_score: the name {name!r} is already registered to {_REGISTRY[name]}")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return decorator


def snapshot_scores() -> dict[str, type[Score]]:
    """A copy of the score registry (tests put it back with :func:`restore_scores`)."""
    return dict(_REGISTRY)


def restore_scores(saved: dict[str, type[Score]]) -> None:
    """Put back a registry saved by :func:`snapshot_scores` (scores registered since are forgotten)."""
    _REGISTRY.clear()
    _REGISTRY.update(saved)


def list_scores() -> list[str]:
    """Names of all registered scores, in registration order."""
    return list(_REGISTRY)


def get_score(name: str) -> type[Score]:
    """The Score class registered under ``name``.

    Raises:
        ValueError: naming the known scores, if ``name`` is unknown.
    """
    if not isinstance(name, str):
        raise TypeError(f"score: expected a registered name (str) or a Score instance, got {type(name).__name__}")
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"score: unknown score {name!r}; expected one of {list_scores()}") from None


def make_score(score: str | Score, head_dim: int, n_heads: int = 1, **kwargs) -> Score:
    """Build a score module from a registered name, or check and return a given instance."""
    if isinstance(score, Score):
        return score
    return get_score(score)(head_dim, n_heads, **kwargs)


@register_score("dot")
class DotScore(Score):
    r"""Dot product, unscaled: :math:`s(q, k) = q^\top k` (Luong et al. 2015, "dot").

    Its variance grows linearly with D for unit-variance components, which is what q3/q4 examine.
    """

    bilinear = True

    def pairwise(self, qp: Tensor, kp: Tensor) -> Tensor:
        return qp @ kp.transpose(-2, -1)


@register_score("scaled_dot")
class ScaledDotScore(DotScore):
    r"""Scaled dot product: :math:`s(q, k) = q^\top k / \sqrt{D}` (Vaswani et al. 2017, eq. 1).

    The 1/√D is the default scale; the pairwise function is the plain dot product.
    """

    def default_scale(self) -> float | str:
        return 1.0 / math.sqrt(self.head_dim)


@register_score("general")
class GeneralScore(Score):
    r"""General (bilinear) score: :math:`s(q, k) = q^\top W_h k` with one D×D matrix per head
    (Luong et al. 2015, "general").

    Folds into SDPA as ``(q W_h) · k``. Unscaled by default, as in the paper.
    """

    bilinear = True
    has_params = True

    def __init__(self, head_dim: int, n_heads: int = 1) -> None:
        super().__init__(head_dim, n_heads)
        # Identity plus noise: starts close to the dot product so the ablation compares like with like.
        eye = torch.eye(head_dim).expand(n_heads, head_dim, head_dim)
        self.weight = nn.Parameter(eye + torch.randn(n_heads, head_dim, head_dim) / math.sqrt(head_dim) * 0.1)

    def prepare(self, q: Tensor, k: Tensor) -> tuple[Tensor, Tensor]:
        # (B, H, Tq, D) @ (H, D, D) -> (B, H, Tq, D)
        return torch.matmul(q, self.weight), k

    def pairwise(self, qp: Tensor, kp: Tensor) -> Tensor:
        return qp @ kp.transpose(-2, -1)

    def prune_heads(self, keep: Tensor) -> None:
        self.weight = nn.Parameter(self.weight.data.index_select(0, keep.to(self.weight.device)).clone())
        super().prune_heads(keep)


@register_score("cosine")
class CosineScore(Score):
    r"""Cosine similarity with a temperature: :math:`s(q, k) = \tau \cdot \frac{q^\top k}{\|q\|\|k\|}`.

    The temperature is the attention scale; by default it is learned and starts at √D, which gives the
    logits the same spread at initialisation as the scaled dot product of unit-variance vectors (the cosine
    of two random D-vectors has standard deviation 1/√D). Query-key normalisation as in Henry et al. 2020
    and Swin Transformer v2 (Liu et al. 2022). Folds into SDPA on normalised q and k.
    """

    bilinear = True

    def default_scale(self) -> float | str:
        return "learned"

    def learned_scale_init(self) -> float:
        return math.sqrt(self.head_dim)

    def prepare(self, q: Tensor, k: Tensor) -> tuple[Tensor, Tensor]:
        return l2_normalize(q), l2_normalize(k)

    def pairwise(self, qp: Tensor, kp: Tensor) -> Tensor:
        return qp @ kp.transpose(-2, -1)


class _L2Normalize(torch.autograd.Function):
    """``F.normalize(x, dim=-1, eps)`` with a hand-written backward of four passes over x instead of the
    eight or so (two full-size divisions among them) that autograd records for the composite."""

    @staticmethod
    def forward(ctx, x: Tensor, eps: float) -> Tensor:
        norm = torch.linalg.vector_norm(x, dim=-1, keepdim=True)  # (..., 1)
        clamped = norm < eps  # F.normalize divides by max(norm, eps): constant where clamped
        inv = norm.clamp_min(eps).reciprocal_()
        y = x * inv
        ctx.save_for_backward(y, inv, clamped)
        return y

    @staticmethod
    def backward(ctx, g: Tensor):
        y, inv, clamped = ctx.saved_tensors
        # d(x/|x|) = (g - y <g, y>) / |x|; where the norm was clamped to eps the map is x/eps: g/eps
        dot = (g * y).sum(dim=-1, keepdim=True).masked_fill_(clamped, 0.0)  # (..., 1)
        return torch.addcmul(g, y, dot, value=-1.0).mul_(inv), None


def l2_normalize(x: Tensor, eps: float = 1e-6) -> Tensor:
    """Unit-norm rows along the last dim, ``x / max(||x||, eps)`` (equal to ``F.normalize``)."""
    if torch.is_grad_enabled() and x.requires_grad:
        return _L2Normalize.apply(x, eps)
    return F.normalize(x, dim=-1, eps=eps)


@register_score("additive")
class AdditiveScore(Score):
    r"""Additive (concat) score: :math:`s(q, k) = v_h^\top \tanh(W_{1,h} q + W_{2,h} k + b_h)`
    (Bahdanau et al. 2015; "concat" in Luong et al. 2015).

    Not bilinear: the tanh acts on every pair, so the materialised form needs B·H·Tq·Tk·A floats. The
    chunked kernel computes it block by block in memory linear in T.

    Args:
        head_dim: D.
        n_heads: H.
        attn_dim: A, the width of the hidden layer (default D).
    """

    has_params = True

    def __init__(self, head_dim: int, n_heads: int = 1, attn_dim: int | None = None) -> None:
        super().__init__(head_dim, n_heads)
        attn_dim = head_dim if attn_dim is None else attn_dim
        if not isinstance(attn_dim, int) or attn_dim <= 0:
            raise ValueError(f"attn_dim: expected a positive int, got {attn_dim!r}")
        self.attn_dim = attn_dim
        bound = 1.0 / math.sqrt(head_dim)
        self.w_q = nn.Parameter(torch.empty(n_heads, head_dim, attn_dim).uniform_(-bound, bound))
        self.w_k = nn.Parameter(torch.empty(n_heads, head_dim, attn_dim).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.zeros(n_heads, 1, attn_dim))
        v_bound = 1.0 / math.sqrt(attn_dim)
        self.v = nn.Parameter(torch.empty(n_heads, attn_dim).uniform_(-v_bound, v_bound))

    @property
    def pair_width(self) -> int:
        return self.attn_dim

    def prepare(self, q: Tensor, k: Tensor) -> tuple[Tensor, Tensor]:
        # (B, H, T, D) @ (H, D, A) -> (B, H, T, A); the bias rides on the query side. Both sides are
        # doubled here, on T rows, for the tanh(z) = 2·sigmoid(2z) - 1 form used in pairwise.
        return 2 * (torch.matmul(q, self.w_q) + self.bias), 2 * torch.matmul(k, self.w_k)

    def pairwise(self, qp: Tensor, kp: Tensor) -> Tensor:
        # v·tanh(z) = 2 v·sigmoid(2z) - sum(v): the same value, but torch's CPU sigmoid is several times
        # faster than its tanh, and this is the one op applied to all B·H·Tq·Tk·A elements.
        # (B, H, Tq, 1, A) + (B, H, 1, Tk, A) -> (B, H, Tq, Tk, A) -> (B, H, Tq, Tk)
        hidden = torch.sigmoid(qp.unsqueeze(-2) + kp.unsqueeze(-3))
        return torch.einsum("bhqka,ha->bhqk", hidden, 2 * self.v) - self.v.sum(-1)[:, None, None]

    def prune_heads(self, keep: Tensor) -> None:
        for name in ("w_q", "w_k", "bias", "v"):
            p = getattr(self, name)
            setattr(self, name, nn.Parameter(p.data.index_select(0, keep.to(p.device)).clone()))
        super().prune_heads(keep)

    def extra_repr(self) -> str:
        return f"head_dim={self.head_dim}, n_heads={self.n_heads}, attn_dim={self.attn_dim}"
