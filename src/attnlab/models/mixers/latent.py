"""Multi-head latent attention (MLA; DeepSeek-AI 2024, "DeepSeek-V2", section 2.1).

Keys and values come from one low-rank latent shared by every head; only the latent (and a small rotary
key) is cached:

.. math::
    c_t = \\mathrm{RMSNorm}(W^{DKV} h_t) \\in \\mathbb{R}^{d_c},\\quad
    k^C_{t,i} = W^{UK}_i c_t,\\quad v_{t,i} = W^{UV}_i c_t,\\quad
    k^R_t = \\mathrm{RoPE}(W^{KR} h_t) \\in \\mathbb{R}^{d_R}

    q_{t,i} = [q^C_{t,i}; \\mathrm{RoPE}(q^R_{t,i})] = W^Q_i h_t,\\quad k_{t,i} = [k^C_{t,i}; k^R_t],\\quad
    o_{t,i} = \\sum_j \\mathrm{softmax}_j\\Big(\\frac{q_{t,i}^\\top k_{j,i}}{\\sqrt{D + d_R}}\\Big) v_{j,i},\\quad
    u_t = W^O [o_{t,1}; \\dots; o_{t,H}]

The rotary part is decoupled because RoPE between :math:`W^{UK}` and the query would stop the
up-projection from being folded away. Folding (the *absorbed* path, ``latent_absorb=True``, used when a
cache is given and fewer than D new tokens come: decoding, not a prompt) attends in the latent space, with
one key/value "head" for all query heads:

.. math::
    q_{t,i}^\\top k^C_{j,i} = (W^{UK\\top}_i q^C_{t,i})^\\top c_j,\\qquad
    W^O_i v\\text{-sum} = (W^O_i W^{UV}_i) \\sum_j p_{tj} c_j

so each step reads the (T, d_c + d_R) cache once instead of up-projecting it to (H, T, 2D).

The query is projected directly (DeepSeek-V2-Lite; the query's own low-rank compression is left out).
The up-projections have no bias (as in DeepSeek-V2, which has none), so that folding them is exact.
Without ``positions="rope"`` there is no rotary part (``rope_head_dim=0``); ALiBi and T5 biases, windows,
sinks, soft-caps and the output gate act as in :class:`~attnlab.attention.MultiHeadAttention`.

Cache per token: :math:`d_c + d_R` numbers (MHA: :math:`2 H D`).

Shapes: query (B, T, C); latent cache (B, 1, T, d_c) as the keys and the rotary key (B, 1, T, d_R) as the
values of a :class:`~attnlab.attention.KVCache`.
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

__all__ = ["MultiHeadLatentAttention"]


class MultiHeadLatentAttention(Mixer):
    """Multi-head latent attention (``mixer="mla"``); see the module docstring for the formulas.

    Args:
        config: :class:`~attnlab.attention.AttentionConfig` with ``mixer="mla"``: ``kv_latent_dim`` d_c
            (default 4 D), ``rope_head_dim`` d_R (default D/2 with ``positions="rope"``, else 0),
            ``latent_absorb`` (decode with the up-projections folded in).

    Attributes:
        q_proj: C -> H (D + d_R); kv_down: C -> d_c + d_R (W^DKV and W^KR); kv_norm: RMSNorm(d_c);
        k_up, v_up: d_c -> H D (W^UK, W^UV, no bias); out_proj: H D -> C.

    Hook points: ``q`` (B, H, T, D + d_R), ``k`` (B, H, Tk, D + d_R) and ``v`` (B, H, Tk, D) up-projected
    over every position attended, ``z`` (B, H, T, D), ``out``. A hook on q, k, v or z runs the naive path
    (the absorbed one never forms them).
    """

    mixer = "mla"

    def __init__(self, config, *, layer_index: int = 0) -> None:
        super().__init__(config, layer_index=layer_index)
        c = self.config
        h, d, dc, dr = c.n_heads, c.head_dim, c.kv_latent_dim, c.rope_head_dim
        self.q_proj = nn.Linear(c.d_model, h * (d + dr), bias=c.bias)
        self.kv_down = nn.Linear(c.d_model, dc + dr, bias=c.bias)
        self.kv_norm = nn.RMSNorm(dc, eps=1e-6)
        self.k_up = nn.Linear(dc, h * d, bias=False)
        self.v_up = nn.Linear(dc, h * d, bias=False)
        self.out_proj = nn.Linear(h * d, c.d_model, bias=c.bias)
        self.score = make_score("scaled_dot", d + dr, h)
        self.scale = 1.0 / math.sqrt(d + dr)
        self.sink_logits = nn.Parameter(torch.zeros(h)) if c.sink == "learned" else None
        self.gate_proj = nn.Linear(c.d_model, h, bias=c.bias) if c.gate == "sigmoid" else None
        self.position_bias = position_bias_module(c)

    def cache_elements_per_token(self) -> int:
        return self.config.kv_latent_dim + self.config.rope_head_dim

    def absorbed_weights(self) -> tuple[Tensor, Tensor]:
        """(W^UK per head (H, D, d_c), W^O_i W^UV_i per head (H, C, d_c)): the folded matrices."""
        c = self.config
        h, d, dc = c.n_heads, c.head_dim, c.kv_latent_dim
        w_uk = self.k_up.weight.view(h, d, dc)
        w_o = self.out_proj.weight.view(c.d_model, h, d)
        return w_uk, torch.einsum("mhd,hdc->hmc", w_o, self.v_up.weight.view(h, d, dc))

    def forward(self, query: Tensor, key: Tensor | None = None, value: Tensor | None = None, *,
                key_mask: Tensor | None = None, attn_mask: Tensor | None = None, is_causal: bool = False,
                head_mask: Tensor | None = None, need_weights: bool = False,
                cache: KVCache | None = None) -> tuple[Tensor, Tensor | None]:
        """query (B, T, C) -> (out (B, T, C), weights (B, H, T, Tk) or None); arguments as
        :meth:`MultiHeadAttention.forward`, self-attention only. ``cache`` stores the latent."""
        self.check_forward(query, key, value, cache)
        c = self.config
        batch, t, _ = query.shape
        h, d, dc, dr = c.n_heads, c.head_dim, c.kv_latent_dim, c.rope_head_dim
        q = rearrange(self.q_proj(query), "b t (h d) -> b h t d", h=h)  # (B, H, T, D + dR)
        latent, k_rot = self.kv_down(query).split([dc, dr], dim=-1)
        latent, k_rot = self.kv_norm(latent)[:, None], k_rot[:, None]  # (B, 1, T, dC), (B, 1, T, dR)
        if dr:
            cos, sin = self.rotary(cache.length if cache is not None else 0, t, dr, query.device)
            q = torch.cat((q[..., :d], rotate(q[..., d:], cos, sin)), dim=-1)
            k_rot = rotate(k_rot, cos, sin)
        if cache is not None:
            latent, k_rot = cache.append(latent, k_rot)  # every position attended: (B, 1, Tk, ·)
        tk = latent.shape[2]
        mask = build_mask_spec(attn_mask=streaming_mask(cache, attn_mask, key_mask, t, c.window), key_mask=key_mask,
                               is_causal=is_causal, batch=batch, heads=h, tq=t, tk=tk, dtype=q.dtype,
                               window=c.window)
        hooked = self._hook_fns is not None
        # absorbed only for a few new queries (decoding): per query it costs ~2 d_c numbers per cached
        # token against the naive path's up-projection of every cached latent (2 H D d_c per token, shared by
        # the queries), so from D queries on (a prompt) up-projecting once is cheaper, as DeepSeek-V2 serves it
        absorbed = c.latent_absorb and cache is not None and t < d and not self.hooks_on("q", "k", "v", "z")
        sink = self.sink_logits if c.sink != "zero" else q.new_zeros(h)
        kw = dict(score=self.score, scale=self.scale, mask=mask, dropout_p=c.dropout if self.training else 0.0,
                  need_weights=need_weights, impl=c.impl, bias=self.position_bias, softcap=c.softcap, sink=sink,
                  edit=self.run_hook if hooked and self.hooks_on("scores", "pattern") else None)
        gate = None if self.gate_proj is None else rearrange(torch.sigmoid(self.gate_proj(query)), "b t h -> b h t 1")
        if not absorbed:
            k = rearrange(self.k_up(latent[:, 0]), "b t (h d) -> b h t d", h=h)
            k = torch.cat((k, k_rot.expand(-1, h, -1, -1)), dim=-1)  # (B, H, Tk, D + dR)
            v = rearrange(self.v_up(latent[:, 0]), "b t (h d) -> b h t d", h=h)  # (B, H, Tk, D)
            if hooked:
                q, k, v = self.run_hook("q", q), self.run_hook("k", k), self.run_hook("v", v)
            out, weights = attend(q, k, v, **kw)  # (B, H, T, D)
            return self.project_out(out if gate is None else out * gate, head_mask, hooked), weights
        w_uk, w_ov = self.absorbed_weights()
        q_lat = torch.einsum("bhtd,hdc->bhtc", q[..., :d], w_uk)  # (B, H, T, dC)
        out, weights = attend(torch.cat((q_lat, q[..., d:]), dim=-1), torch.cat((latent, k_rot), dim=-1),
                              latent, **kw)  # (B, H, T, dC): the weighted sum of latents, per head
        # the gate and the head mask are scalars per head: they commute with the folded output projection
        scale = self.head_scale(head_mask, batch)
        for factor in (gate, None if scale is None else scale.to(out.dtype)):
            if factor is not None:
                out = out * factor
        out = torch.einsum("bhtc,hmc->btm", out, w_ov)
        if self.out_proj.bias is not None:
            out = out + self.out_proj.bias
        return (self.run_hook("out", out) if hooked else out), weights
