"""Differential attention (Ye et al. 2025, "Differential Transformer", ICLR; section 2.1, eq. 1-3).

Each head computes two softmax maps from two halves of its queries and keys and subtracts one, scaled by a
learned λ, from the other, so that attention noise common to both cancels:

.. math::
    [Q_1; Q_2] = X W^Q,\\quad [K_1; K_2] = X W^K,\\quad V = X W^V

    \\mathrm{DiffAttn}(X) = \\Big(\\mathrm{softmax}\\Big(\\frac{Q_1 K_1^\\top}{\\sqrt{d}}\\Big)
        - \\lambda\\, \\mathrm{softmax}\\Big(\\frac{Q_2 K_2^\\top}{\\sqrt{d}}\\Big)\\Big) V

    \\lambda = \\exp(\\lambda_{q_1} \\cdot \\lambda_{k_1}) - \\exp(\\lambda_{q_2} \\cdot \\lambda_{k_2})
        + \\lambda_{\\mathrm{init}},\\qquad \\lambda_{\\mathrm{init}} = 0.8 - 0.6 \\exp(-0.3 (l - 1))

    \\overline{\\mathrm{head}}_i = (1 - \\lambda_{\\mathrm{init}})\\, \\mathrm{RMSNorm}(\\mathrm{head}_i),\\qquad
    \\mathrm{out} = [\\overline{\\mathrm{head}}_1; \\dots; \\overline{\\mathrm{head}}_H]\\, W^O

with l the layer's depth from 1, d = D/2 the width of each half, V of width D per head, the λ vectors
(d,) shared by the heads of a layer and drawn from N(0, 0.1²), and RMSNorm over each head's D features
(the paper's GroupNorm, with one learned scale shared by the heads, as in the authors' code). With
H heads of width D the parameters equal those of :class:`~attnlab.attention.MultiHeadAttention`.

Since the output is linear in the map, each softmax map runs on the fast kernel and the outputs are
subtracted: ``(A_1 - λ A_2) V = A_1 V - λ A_2 V``. Grouped keys/values (``n_kv_heads``), RoPE (on each
half), ALiBi, T5 biases and windows act on both maps; dropout (training) drops each map's weights
independently.
"""

from __future__ import annotations

import math

import torch
from einops import rearrange
from torch import Tensor, nn

from attnlab.attention import KVCache, make_score
from attnlab.attention.kernels import attend
from attnlab.attention.masks import build_mask_spec
from attnlab.attention.multihead import position_bias_module
from attnlab.attention.rotary import rotate
from attnlab.attention.streaming import streaming_mask
from attnlab.models.mixers.common import Mixer

__all__ = ["DifferentialAttention", "lambda_init"]


def lambda_init(layer_index: int) -> float:
    """The paper's :math:`\\lambda_{\\mathrm{init}} = 0.8 - 0.6 \\exp(-0.3 (l - 1))` with l = layer_index + 1."""
    return 0.8 - 0.6 * math.exp(-0.3 * layer_index)


class DifferentialAttention(Mixer):
    """Differential attention (``mixer="differential"``); formulas in the module docstring.

    Attributes:
        q_proj: C -> H D; k_proj, v_proj: C -> Hkv D; out_proj: H D -> C; lambda_q1, lambda_k1,
        lambda_q2, lambda_k2: (D/2,); lambda_init: float; norm: RMSNorm(D).

    Hook points: ``q`` (B, H, T, D) and ``k`` (B, Hkv, T, D) holding [first half; second half] after
    RoPE, ``v``, ``z`` (each head after the norm and the (1 - λ_init) factor), ``out``.
    ``need_weights`` returns the differential map :math:`A_1 - \\lambda A_2`.
    """

    mixer = "differential"

    def __init__(self, config, *, layer_index: int = 0) -> None:
        super().__init__(config, layer_index=layer_index)
        c = self.config
        h, hkv, d = c.n_heads, c.n_kv_heads, c.head_dim
        self.q_proj = nn.Linear(c.d_model, h * d, bias=c.bias)
        self.k_proj = nn.Linear(c.d_model, hkv * d, bias=c.bias)
        self.v_proj = nn.Linear(c.d_model, hkv * d, bias=c.bias)
        self.out_proj = nn.Linear(h * d, c.d_model, bias=c.bias)
        half = d // 2
        self.lambda_init = lambda_init(layer_index)
        self.lambda_q1, self.lambda_k1, self.lambda_q2, self.lambda_k2 = (
            nn.Parameter(torch.randn(half) * 0.1) for _ in range(4))
        self.norm = nn.RMSNorm(d, eps=1e-5)
        self.score = make_score("scaled_dot", half, h)
        self.scale = 1.0 / math.sqrt(half)
        self.position_bias = position_bias_module(c)

    def cache_elements_per_token(self) -> int:
        return 2 * self.config.n_kv_heads * self.config.head_dim

    def lambda_full(self) -> Tensor:
        """λ, a scalar tensor (the re-parameterisation of the module docstring)."""
        first = torch.exp(torch.dot(self.lambda_q1, self.lambda_k1))
        return first - torch.exp(torch.dot(self.lambda_q2, self.lambda_k2)) + self.lambda_init

    def forward(self, query: Tensor, key: Tensor | None = None, value: Tensor | None = None, *,
                key_mask: Tensor | None = None, attn_mask: Tensor | None = None, is_causal: bool = False,
                head_mask: Tensor | None = None, need_weights: bool = False,
                cache: KVCache | None = None) -> tuple[Tensor, Tensor | None]:
        """query (B, T, C) -> (out (B, T, C), differential map (B, H, T, Tk) or None); arguments as
        :meth:`MultiHeadAttention.forward`, self-attention only."""
        self.check_forward(query, key, value, cache)
        c = self.config
        batch, t, _ = query.shape
        h, d = c.n_heads, c.head_dim
        half = d // 2
        q = rearrange(self.q_proj(query), "b t (h d) -> b h t d", d=d)  # (B, H, T, D)
        k = rearrange(self.k_proj(query), "b t (h d) -> b h t d", d=d)  # (B, Hkv, T, D)
        v = rearrange(self.v_proj(query), "b t (h d) -> b h t d", d=d)  # (B, Hkv, T, D)
        if c.positions == "rope":
            cos, sin = self.rotary(cache.length if cache is not None else 0, t, half, query.device)
            q = torch.cat([rotate(x, cos, sin) for x in q.split(half, dim=-1)], dim=-1)
            k = torch.cat([rotate(x, cos, sin) for x in k.split(half, dim=-1)], dim=-1)
        hooked = self._hook_fns is not None
        if hooked:
            q, k, v = self.run_hook("q", q), self.run_hook("k", k), self.run_hook("v", v)
        if cache is not None:
            k, v = cache.append(k, v)
        mask = build_mask_spec(attn_mask=streaming_mask(cache, attn_mask, key_mask, t, c.window), key_mask=key_mask,
                               is_causal=is_causal, batch=batch, heads=h, tq=t, tk=k.shape[2], dtype=q.dtype,
                               window=c.window)
        kw = dict(score=self.score, scale=self.scale, mask=mask, dropout_p=c.dropout if self.training else 0.0,
                  need_weights=need_weights, impl=c.impl, bias=self.position_bias)
        (q1, q2), (k1, k2) = q.split(half, dim=-1), k.split(half, dim=-1)
        out1, w1 = attend(q1, k1, v, **kw)  # (B, H, T, D)
        out2, w2 = attend(q2, k2, v, **kw)
        lam = self.lambda_full()
        out = self.norm(out1 - lam * out2) * (1.0 - self.lambda_init)
        weights = w1 - lam * w2 if need_weights else None
        return self.project_out(out, head_mask, hooked), weights
