"""Multi-head latent attention's decode step in the decode plan: the absorbed form, one query per row.

:class:`~attnlab.models.mixers.MultiHeadLatentAttention` with ``latent_absorb=True`` attends in the latent
space (see its module docstring): for query head i at position p over the cached latents c_j and rotary
keys k^R_j,

.. math::
    s_{ij} = \\mathrm{scale}\\,\\big((W^{UK\\top}_i q^C_i)^\\top c_j + (q^R_i)^\\top k^R_j\\big),\\qquad
    u = \\sum_i (W^O_i W^{UV}_i) \\sum_j \\mathrm{softmax}_j(s_{ij})\\, c_j

Per token the plan does, for B rows (H heads, D head width, d_c latent, d_R rotary width)::

    [q^C | q^R | k^R | c | gate] = h W + b        one matmul (the copy's rows reordered, scale folded in)
    [q^R; k^R] = rope([q^R; k^R], p)              the H + 1 rotary rows in one matmul
    c = RMSNorm(c); cache[p] = c, k^R
    q_lat = q^C W^UK per head                     (H, B, D) @ (H, D, d_c): one batched matmul
    s = q_lat C^T + q^R K_R^T                     (B, H, T): one bmm, one baddbmm
    a = softmax(s) C                              (B, H, d_c)
    x = x + a W^OV                                (B, H·d_c) @ (H·d_c, C), into the residual

so a step reads the (T, d_c + d_R) cache once and never up-projects it. The folded output matrix
:math:`W^{OV}` holds H·d_c x C numbers (H·D x C for W^O): MLA's decode trades cache bytes for weight bytes.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from attnlab.attention import KVCache
from attnlab.models.decode_kernels import RowLinear, bias_table, rotary_table, score_weights, sink_logits

__all__ = ["LatentStep", "LatentWeights"]


class LatentWeights:
    """MLA's matrices in the plan's layout.

    * ``project``: q_proj and kv_down (and the gate) as one matrix whose output is
      ``[q^C (H·D) | q^R (H·d_R) | k^R (d_R) | c (d_c) | gate (H)]``, the logit scale folded into the query
      rows, so q^R and k^R are adjacent for one rotation matmul;
    * ``w_uk`` (H, D, d_c): W^UK per head, the query's map into the latent space;
    * ``out``: W^OV = W^O_i W^UV_i of every head stacked, (H·d_c) -> C, with out_proj's bias.
    """

    def __init__(self, attn, transpose: bool) -> None:
        c = attn.config
        h, d, dc, dr = c.n_heads, c.head_dim, c.kv_latent_dim, c.rope_head_dim
        heads = torch.arange(h)
        # q_proj's rows are per head [content D | rotary dR]; the copy takes every head's content first
        per_head = torch.arange(d + dr)
        content = (heads[:, None] * (d + dr) + per_head[None, :d]).reshape(-1)
        rotary = (heads[:, None] * (d + dr) + per_head[None, d:]).reshape(-1)
        q_rows = torch.cat((content, rotary))
        kv_rows = torch.cat((torch.arange(dc, dc + dr), torch.arange(dc)))  # kv_down is [c | k^R]: k^R first here
        scale = float(attn.scale)
        weights = [attn.q_proj.weight[q_rows] * scale, attn.kv_down.weight[kv_rows]]
        biases = [None if attn.q_proj.bias is None else attn.q_proj.bias[q_rows] * scale,
                  None if attn.kv_down.bias is None else attn.kv_down.bias[kv_rows]]
        if attn.gate_proj is not None:
            weights.append(attn.gate_proj.weight)
            biases.append(attn.gate_proj.bias)
        bias = None if biases[0] is None else torch.cat(biases)
        self.project = RowLinear(torch.cat(weights).detach(), bias, transpose)
        w_uk, w_ov = attn.absorbed_weights()  # (H, D, dC), (H, C, dC)
        self.w_uk = w_uk.detach().contiguous()
        # (C, H·dC): column h·dC + k is head h's latent feature k
        self.out = RowLinear(w_ov.detach().permute(1, 0, 2).reshape(c.d_model, h * dc), attn.out_proj.bias,
                             transpose)


class LatentStep:
    """MLA (absorbed) for one query per row at position p, its switches resolved once (module docstring)."""

    def __init__(self, attn, weights: LatentWeights, max_len: int, rotaries: dict) -> None:
        c = attn.config
        self.h, self.d, self.dc, self.dr = c.n_heads, c.head_dim, c.kv_latent_dim, c.rope_head_dim
        self.window, self.softcap = c.window, c.softcap
        self.project, self.w_uk = weights.project, weights.w_uk
        self.norm = attn.kv_norm
        self.gated = attn.gate_proj is not None
        sink = sink_logits(attn)
        self.sink = None if sink is None else sink.view(1, self.h, 1)
        self.rotary = rotary_table(attn, self.dr, self.dr, max_len, rotaries) if self.dr else None
        self.bias = bias_table(attn, max_len)  # (H, L)
        self.max_len = max_len

    def __call__(self, x: Tensor, p: int, cache: KVCache) -> Tensor:
        """The heads' weighted latents for one query per row at position ``p``: x (B, C) -> (B, H·d_c)."""
        b, h, d, dc, dr = x.shape[0], self.h, self.d, self.dc, self.dr
        fused = self.project(x)
        q_c = fused[:, : h * d].view(b, h, d)
        end = h * d + (h + 1) * dr
        rot = fused[:, h * d : end]  # [q^R of every head | k^R]
        if self.rotary is not None:
            rot = (rot.reshape(-1, dr) @ self.rotary.matrix(p)).view(b, h + 1, dr)
        else:
            rot = rot.view(b, h + 1, dr)
        latent = F.rms_norm(fused[:, end : end + dc], (dc,), self.norm.weight, self.norm.eps)  # (B, dC)
        latents, k_rot = cache.write_one(latent.view(b, 1, 1, dc), rot[:, h:].reshape(b, 1, 1, dr))
        lo = 0 if self.window is None else max(0, p + 1 - self.window)
        latents, k_rot = latents[:, 0, lo:], k_rot[:, 0, lo:]  # (B, T, dC), (B, T, dR)
        q_lat = torch.bmm(q_c.transpose(0, 1), self.w_uk).transpose(0, 1)  # (B, H, dC)
        s = torch.bmm(q_lat, latents.transpose(1, 2))  # (B, H, T)
        if dr:
            s = torch.baddbmm(s, rot[:, :h], k_rot.transpose(1, 2))
        bias = None if self.bias is None else self.bias[:, self.max_len - 1 - p + lo :]
        a = torch.bmm(score_weights(s, 1.0, self.softcap, bias, self.sink), latents)  # (B, H, dC)
        if self.gated:
            a = a * torch.sigmoid(fused[:, end + dc :]).view(b, h, 1)
        return a.reshape(b, h * dc)
