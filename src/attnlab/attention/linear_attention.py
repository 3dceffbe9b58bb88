"""Linear attention (Katharopoulos et al. 2020, "Transformers are RNNs", eq. 4-6 and 16-20).

Softmax similarity is replaced by a kernel :math:`\\phi(q)^\\top \\phi(k)` with the feature map
:math:`\\phi(x) = \\mathrm{elu}(x) + 1` (positive, so every weight is):

.. math::
    o_i = \\frac{\\phi(q_i)^\\top \\sum_{j \\le i} \\phi(k_j) v_j^\\top}{\\phi(q_i)^\\top \\sum_{j \\le i} \\phi(k_j)}
        = \\frac{\\phi(q_i)^\\top S_i}{\\phi(q_i)^\\top z_i},\\qquad
    S_i = S_{i-1} + \\phi(k_i) v_i^\\top,\\quad z_i = z_{i-1} + \\phi(k_i)

The *parallel* form computes the (T, T) matrix :math:`\\phi(Q)\\phi(K)^\\top` (masked lower-triangular when
causal) as attention does; the *recurrent* form carries (S, z), of constant size, from token to token (an
RNN: O(1) per decoded token). The two are equal; both start from a given state (S_0, z_0).

Shapes: q, k (B, H, T, D); v (B, H, T, Dv); S (B, H, D, Dv); z (B, H, D).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["elu_feature_map", "linear_attention", "linear_attention_recurrent"]

EPS = 1e-6  # added to the normaliser, as in the authors' code


def elu_feature_map(x: Tensor) -> Tensor:
    """:math:`\\phi(x) = \\mathrm{elu}(x) + 1` (> 0 everywhere)."""
    return F.elu(x) + 1.0


def _features(q: Tensor, k: Tensor, key_mask: Tensor | None) -> tuple[Tensor, Tensor]:
    fq, fk = elu_feature_map(q), elu_feature_map(k)
    if key_mask is not None:  # a padding key adds nothing to S or z
        fk = fk * key_mask[:, None, :, None].to(fk.dtype)
    return fq, fk


def linear_attention(q: Tensor, k: Tensor, v: Tensor, *, causal: bool = True, key_mask: Tensor | None = None,
                     state: tuple[Tensor, Tensor] | None = None, need_weights: bool = False,
                     ) -> tuple[Tensor, tuple[Tensor, Tensor], Tensor | None]:
    """The parallel form.

    Args:
        q, k: (B, H, T, D), before the feature map; v: (B, H, T, Dv).
        causal: token i reads tokens j <= i (else every token).
        key_mask: (B, T) bool, False on padding (those keys are left out).
        state: (S_0, z_0) from earlier tokens (causal only), or None for zeros.
        need_weights: also return the normalised weights :math:`\\phi(q_i)^\\top\\phi(k_j) / \\phi(q_i)^\\top z_i`
            (B, H, T, T) (no state).

    Returns:
        (out (B, H, T, Dv), the state (S, z) after the last token, weights or None).
    """
    if state is not None and not causal:
        raise ValueError("state: a carried state is causal, so expected causal=True with a state, got causal=False")
    fq, fk = _features(q, k, key_mask)
    a = fq @ fk.transpose(-2, -1)  # (B, H, T, T)
    if causal:
        a = a.tril()
    num, den = a @ v, a.sum(-1)  # (B, H, T, Dv), (B, H, T)
    s, z = fk.transpose(-2, -1) @ v, fk.sum(-2)  # this chunk's contribution to S and z
    if state is not None:
        s0, z0 = state
        num = num + fq @ s0
        den = den + (fq * z0[:, :, None]).sum(-1)
        s, z = s0 + s, z0 + z
    out = num / (den[..., None] + EPS)
    weights = a / (den[..., None] + EPS) if need_weights else None
    return out, (s, z), weights


def linear_attention_recurrent(q: Tensor, k: Tensor, v: Tensor, *, key_mask: Tensor | None = None,
                               state: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, tuple[Tensor, Tensor]]:
    """The recurrent form, one token at a time (the reference of the causal parallel form).

    Returns:
        (out (B, H, T, Dv), the state (S, z) after the last token).
    """
    fq, fk = _features(q, k, key_mask)
    b, h, t, d = q.shape
    s = q.new_zeros(b, h, d, v.shape[-1]) if state is None else state[0]
    z = q.new_zeros(b, h, d) if state is None else state[1]
    outs = []
    for i in range(t):
        s = s + fk[:, :, i, :, None] * v[:, :, i, None, :]  # + φ(k_i) v_iᵀ
        z = z + fk[:, :, i]
        num = torch.einsum("bhd,bhde->bhe", fq[:, :, i], s)
        den = (fq[:, :, i] * z).sum(-1, keepdim=True)
        outs.append(num / (den + EPS))
    return torch.stack(outs, dim=2), (s, z)
