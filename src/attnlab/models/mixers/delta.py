"""DeltaNet and Gated DeltaNet as token mixers (``mixer="delta"``, ``"gated_delta"``).

Multi-head, as in Yang et al. 2024 ("Parallelizing Linear Transformers with the Delta Rule over Sequence
Length", section 4: SiLU then L2 norm on queries and keys, a sigmoid writing rate, a per-head RMSNorm on
the output), with the memory update of :mod:`attnlab.attention.delta_rule`:

.. math::
    q_t = \\frac{1}{\\sqrt{D}}\\frac{\\mathrm{silu}(W^Q x_t)}{\\|\\mathrm{silu}(W^Q x_t)\\|},\\quad
    k_t = \\frac{\\mathrm{silu}(W^K x_t)}{\\|\\mathrm{silu}(W^K x_t)\\|},\\quad
    v_t = W^V x_t,\\quad \\beta_t = \\sigma(W^\\beta x_t)

    S_t = \\alpha_t (I - \\beta_t k_t k_t^\\top) S_{t-1} + \\beta_t k_t v_t^\\top,\\qquad
    \\mathrm{out}_t = W^O [\\mathrm{RMSNorm}(S_{t,h}^\\top q_{t,h})]_h

per head h. DeltaNet has α_t = 1; the gated rule (Yang, Kautz & Hatamizadeh 2024, "Gated Delta Networks")
learns :math:`\\log \\alpha_t = -\\mathrm{softplus}(W^\\alpha x_t + b)` per head (the Mamba-2 style decay,
without its separate scale A). The short convolutions of the published models are left out.

Training runs the chunked form (``delta_chunk`` tokens a chunk); decoding carries S per head in a
:class:`~attnlab.attention.RecurrentState`. The rule is a recurrence, so it is causal only: a
non-causal call (an encoder without ``is_causal=True``) is refused. There are no attention weights for
``dropout`` to act on: it acts on the model's residual branches only.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn

from attnlab.attention.delta_rule import delta_rule_chunked
from attnlab.attention.recurrent_state import RecurrentState
from attnlab.models.mixers.common import Mixer, check_mask_free, new_key_mask

__all__ = ["DeltaNet", "GatedDeltaNet"]


class DeltaNet(Mixer):
    """The delta rule (``mixer="delta"``); :class:`GatedDeltaNet` adds the decay gate.

    Attributes:
        q_proj, k_proj, v_proj: C -> H D; beta_proj: C -> H; decay_proj: C -> H (gated only, else None);
        norm: RMSNorm(D) on each head's output; out_proj: H D -> C.

    Hook points: ``q``, ``k`` (B, H, T, D) after their norms, ``v``, ``z`` (each head after the norm),
    ``out``.
    """

    mixer = "delta"

    def __init__(self, config, *, layer_index: int = 0) -> None:
        super().__init__(config, layer_index=layer_index)
        c = self.config
        h, width = c.n_heads, c.n_heads * c.head_dim
        self.q_proj = nn.Linear(c.d_model, width, bias=c.bias)
        self.k_proj = nn.Linear(c.d_model, width, bias=c.bias)
        self.v_proj = nn.Linear(c.d_model, width, bias=c.bias)
        self.beta_proj = nn.Linear(c.d_model, h, bias=c.bias)
        self.decay_proj = nn.Linear(c.d_model, h) if self.mixer == "gated_delta" else None
        self.norm = nn.RMSNorm(c.head_dim, eps=1e-5)
        self.out_proj = nn.Linear(width, c.d_model, bias=c.bias)

    def make_cache(self, max_len: int) -> RecurrentState:
        return RecurrentState()

    def cache_elements_per_token(self) -> int:
        return 0  # the memory (H D·D numbers) does not grow with the tokens

    def forward(self, query: Tensor, key: Tensor | None = None, value: Tensor | None = None, *,
                key_mask: Tensor | None = None, attn_mask: Tensor | None = None, is_causal: bool = False,
                head_mask: Tensor | None = None, need_weights: bool = False,
                cache: RecurrentState | None = None) -> tuple[Tensor, None]:
        """query (B, T, C) -> (out (B, T, C), None). Causal only (``is_causal=True`` or a ``cache``);
        ``key_mask`` (B, T): padding writes nothing and decays nothing."""
        self.check_forward(query, key, value, cache, RecurrentState)
        check_mask_free(self.mixer, attn_mask, need_weights)
        batch, t, _ = query.shape
        if not is_causal and cache is None and t > 1:
            raise ValueError(f"is_causal: mixer={self.mixer!r} is a recurrence and reads left to right only, "
                             f"so expected is_causal=True (or a cache), got False")
        key_mask = new_key_mask(key_mask, batch, t, cache)
        d = self.head_dim

        def heads(x: Tensor) -> Tensor:
            return rearrange(x, "b t (h d) -> b h t d", d=d)

        q = F.normalize(F.silu(heads(self.q_proj(query))), dim=-1) / math.sqrt(d)
        k = F.normalize(F.silu(heads(self.k_proj(query))), dim=-1)
        v = heads(self.v_proj(query))
        beta = rearrange(torch.sigmoid(self.beta_proj(query)), "b t h -> b h t")
        log_decay = None
        if self.decay_proj is not None:
            log_decay = rearrange(-F.softplus(self.decay_proj(query)), "b t h -> b h t")
        if key_mask is not None:
            keep = key_mask[:, None, :].to(beta.dtype)  # (B, 1, T)
            beta = beta * keep
            log_decay = None if log_decay is None else log_decay * keep
        hooked = self._hook_fns is not None
        if hooked:
            q, k, v = self.run_hook("q", q), self.run_hook("k", k), self.run_hook("v", v)
        state = cache.tensors[0] if cache is not None and cache.tensors is not None else None
        out, s = delta_rule_chunked(q, k, v, beta, log_decay, state, chunk_size=self.config.delta_chunk)
        if cache is not None:
            cache.update((s,), t)
        return self.project_out(self.norm(out), head_mask, hooked), None


class GatedDeltaNet(DeltaNet):
    """The gated delta rule (``mixer="gated_delta"``): :class:`DeltaNet` with ``decay_proj``."""

    mixer = "gated_delta"
