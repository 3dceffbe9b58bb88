"""Attention kernels: three paths that compute the same function.

.. math::
    \\mathrm{out}_i = \\sum_j \\frac{e^{\\ell_{ij}}}{e^{\\sigma} + \\sum_{j'} e^{\\ell_{ij'}}}\\, v_j,\\qquad
    \\ell_{ij} = \\mathrm{cap}\\big(\\mathrm{scale} \\cdot s(q_i, k_j)\\big) + b(j - p_i) + M_{ij}

where ``s`` is a score function (see :mod:`attnlab.attention.scores`), ``cap(x) = c·tanh(x / c)`` the optional logit
soft-cap (Gemma 2; identity when off), ``b`` an optional position bias of the relative position (ALiBi,
T5; zero when off), ``M`` the masks (0 or -inf, plus any float mask; a sliding window is one of them) and
``σ`` the optional sink logit per head (an extra key with value 0; without a sink the ``e^σ`` term is
absent). In words: scale, cap, add the position bias, mask, softmax (with the sink), average the values.

* ``reference`` (:mod:`.reference`): the plain materialised math. Returns the weights; every fast path is
  tested against it.
* ``sdpa`` (:mod:`.sdpa`; the window in :mod:`.banded`): one fused ``F.scaled_dot_product_attention`` call.
  Works for every bilinear score, whose per-token transform is folded into q and k first (W for
  "general", the norms for "cosine"). A position bias becomes a float mask; a sink becomes one extra key;
  a window gathers each block of 64 queries with the keys of its window and runs all blocks as one
  batched call, in time and memory O(T·W). It cannot soft-cap (the tanh acts on every logit inside the
  kernel).
* ``chunked`` (:mod:`.chunked`): exact online softmax (Milakov & Gimelshein 2018; the FlashAttention
  recurrence) over blocks of queries and keys, for additive and user scores and for soft-capping. Memory
  is linear in the sequence length in the forward *and* backward pass: a custom autograd function keeps
  only q, k, v, the output and the per-row log-sum-exp, and recomputes each block's scores in backward.
  Key blocks that the causal mask or the window close to a whole query block are skipped.

``impl="auto"`` (:func:`attend`, :mod:`.dispatch`) picks ``reference`` when weights are asked for, ``sdpa``
for bilinear scores without a soft-cap and ``chunked`` otherwise. :func:`attention` (:mod:`.functional`)
is the checked public entry point.

Shapes: q (B, H, Tq, D), k (B, Hkv, Tk, D), v (B, Hkv, Tk, Dv) with H a multiple of Hkv (grouped-query
attention); output (B, H, Tq, Dv); weights (B, H, Tq, Tk); sink (H,); a position bias maps relative
positions (any shape) to (H, ...).
"""

from attnlab.attention.kernels.chunked import chunked_attention
from attnlab.attention.kernels.dispatch import IMPLS, SOFTCAP_ON_SDPA, attend, check_softcap, resolve_scale
from attnlab.attention.kernels.functional import attention
from attnlab.attention.kernels.reference import reference_attention
from attnlab.attention.kernels.sdpa import sdpa_attention

__all__ = [
    "IMPLS",
    "SOFTCAP_ON_SDPA",
    "attend",
    "attention",
    "check_softcap",
    "chunked_attention",
    "reference_attention",
    "resolve_scale",
    "sdpa_attention",
]
