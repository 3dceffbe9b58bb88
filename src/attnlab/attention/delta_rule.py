"""The delta rule: a fast-weight memory that corrects what it recalls (DeltaNet; Schlag, Irie & Schmidhuber
2021, "Linear Transformers Are Secretly Fast Weight Programmers", eq. 23-26), and its gated variant
(Yang, Kautz & Hatamizadeh 2024, "Gated Delta Networks", eq. 10).

The memory S (Dk, Dv) replaces the value it holds for key k_t by v_t, at rate β_t ∈ (0, 1); the gated
rule first decays the whole memory by α_t ∈ (0, 1]:

.. math::
    S_t = \\alpha_t (I - \\beta_t k_t k_t^\\top) S_{t-1} + \\beta_t k_t v_t^\\top,\\qquad o_t = S_t^\\top q_t

(α_t = 1: DeltaNet). :func:`delta_rule_recurrent` runs it token by token (the reference);
:func:`delta_rule_chunked` is the chunkwise-parallel form of Yang et al. 2024 ("Parallelizing Linear
Transformers with the Delta Rule over Sequence Length", section 3.2, the WY representation), extended to
the decay. Within a chunk of C tokens, with :math:`\\Gamma_i = \\prod_{j \\le i} \\alpha_j` from the chunk's
start and :math:`D_{ij} = \\Gamma_i / \\Gamma_j`, the pseudo-values U solve one unit lower-triangular system

.. math::
    (I + \\mathrm{tril}_{-1}(\\mathrm{diag}(\\beta)(K K^\\top \\odot D)))\\, U
        = \\mathrm{diag}(\\beta) V - \\mathrm{diag}(\\beta \\Gamma) K S_0

and then :math:`O = \\mathrm{diag}(\\Gamma) Q S_0 + \\mathrm{tril}_0(Q K^\\top \\odot D)\\, U`,
:math:`S_C = \\Gamma_C S_0 + (K \\odot \\Gamma_C / \\Gamma)^\\top U`: matrix products instead of T steps.

Shapes: q, k (B, H, T, Dk); v (B, H, T, Dv); beta, log_decay (B, H, T) (log α ≤ 0); S (B, H, Dk, Dv).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["delta_rule_chunked", "delta_rule_recurrent"]


def delta_rule_recurrent(q: Tensor, k: Tensor, v: Tensor, beta: Tensor, log_decay: Tensor | None = None,
                         state: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """The delta rule one token at a time. Returns (out (B, H, T, Dv), S after the last token)."""
    b, h, t, dk = k.shape
    s = q.new_zeros(b, h, dk, v.shape[-1]) if state is None else state
    outs = []
    for i in range(t):
        if log_decay is not None:
            s = s * log_decay[:, :, i, None, None].exp()
        k_i = k[:, :, i]  # (B, H, Dk)
        recalled = torch.einsum("bhk,bhkv->bhv", k_i, s)  # what the memory holds for k_i
        s = s + beta[:, :, i, None, None] * k_i[..., None] * (v[:, :, i] - recalled)[:, :, None, :]
        outs.append(torch.einsum("bhk,bhkv->bhv", q[:, :, i], s))
    return torch.stack(outs, dim=2), s


def delta_rule_chunked(q: Tensor, k: Tensor, v: Tensor, beta: Tensor, log_decay: Tensor | None = None,
                       state: Tensor | None = None, chunk_size: int = 16) -> tuple[Tensor, Tensor]:
    """The delta rule in chunks of ``chunk_size`` tokens (equal to :func:`delta_rule_recurrent`).

    Returns:
        (out (B, H, T, Dv), S after the last token (B, H, Dk, Dv)).
    """
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size < 1:
        raise ValueError(f"chunk_size: expected a positive int, got {chunk_size!r}")
    b, h, t, dk = k.shape
    dv = v.shape[-1]
    c = min(chunk_size, t)
    pad = (-t) % c  # padded tokens have k = 0, β = 0, log α = 0: they change nothing
    g = q.new_zeros(b, h, t) if log_decay is None else log_decay
    q, k, v = (F.pad(x, (0, 0, 0, pad)) for x in (q, k, v))
    beta, g = F.pad(beta, (0, pad)), F.pad(g, (0, pad))
    n = (t + pad) // c
    q, k, v = (x.reshape(b, h, n, c, x.shape[-1]) for x in (q, k, v))  # (B, H, N, C, ·)
    beta, g = beta.reshape(b, h, n, c), g.reshape(b, h, n, c).cumsum(-1)  # g: log Γ within each chunk
    lower = torch.ones(c, c, dtype=torch.bool, device=q.device).tril()
    decay = (g[..., :, None] - g[..., None, :]).masked_fill(~lower, float("-inf")).exp()  # D (B, H, N, C, C)
    gamma = g.exp()[..., None]  # (B, H, N, C, 1)
    eye = torch.eye(c, dtype=q.dtype, device=q.device)
    a = eye + (beta[..., None] * (k @ k.transpose(-2, -1)) * decay).tril(-1)  # unit lower triangular
    u_base = torch.linalg.solve_triangular(a, beta[..., None] * v, upper=False, unitriangular=True)
    w = torch.linalg.solve_triangular(a, beta[..., None] * gamma * k, upper=False, unitriangular=True)
    qk = (q @ k.transpose(-2, -1)) * decay  # (B, H, N, C, C), zero above the diagonal
    s = q.new_zeros(b, h, dk, dv) if state is None else state
    outs = []
    for i in range(n):
        u = u_base[:, :, i] - w[:, :, i] @ s  # (B, H, C, Dv)
        outs.append((gamma[:, :, i] * q[:, :, i]) @ s + qk[:, :, i] @ u)
        last = g[:, :, i, -1]  # (B, H): log Γ_C
        s = last.exp()[..., None, None] * s + (k[:, :, i] * (last[..., None] - g[:, :, i]).exp()[..., None]
                                                ).transpose(-2, -1) @ u
    out = torch.stack(outs, dim=2).reshape(b, h, n * c, dv)[:, :, :t]
    return out, s
