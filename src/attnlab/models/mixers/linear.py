"""Linear attention as a token mixer (Katharopoulos et al. 2020; ``mixer="linear"``).

Multi-head, with the elu + 1 feature map of :mod:`attnlab.attention.linear_attention`:

.. math::
    o_{t,h} = \\frac{\\phi(q_{t,h})^\\top \\sum_{j \\le t} \\phi(k_{j,h}) v_{j,h}^\\top}
                   {\\phi(q_{t,h})^\\top \\sum_{j \\le t} \\phi(k_{j,h})},\\qquad
    \\mathrm{out}_t = [o_{t,1}; \\dots; o_{t,H}]\\, W^O

Training runs the parallel form; decoding carries the state (S, z) per head in a
:class:`~attnlab.attention.RecurrentState`, a constant size whatever the length. Not causal (an encoder),
each token reads every token. Attention-weight dropout has nothing to act on: ``dropout`` acts on the
model's residual branches only.
"""

from __future__ import annotations

from einops import rearrange
from torch import Tensor, nn

from attnlab.attention.linear_attention import linear_attention
from attnlab.attention.recurrent_state import RecurrentState
from attnlab.models.mixers.common import Mixer, check_mask_free, new_key_mask

__all__ = ["LinearAttention"]


class LinearAttention(Mixer):
    """Linear attention (``mixer="linear"``): q_proj, k_proj, v_proj (C -> H D), out_proj (H D -> C).

    ``need_weights`` returns the normalised weights :math:`\\phi(q)^\\top\\phi(k) / \\phi(q)^\\top z`
    (without a cache). Hook points: ``q``, ``k``, ``v`` (B, H, T, D) before the feature map, ``z``, ``out``.
    """

    mixer = "linear"

    def __init__(self, config, *, layer_index: int = 0) -> None:
        super().__init__(config, layer_index=layer_index)
        c = self.config
        width = c.n_heads * c.head_dim
        self.q_proj = nn.Linear(c.d_model, width, bias=c.bias)
        self.k_proj = nn.Linear(c.d_model, width, bias=c.bias)
        self.v_proj = nn.Linear(c.d_model, width, bias=c.bias)
        self.out_proj = nn.Linear(width, c.d_model, bias=c.bias)

    def make_cache(self, max_len: int) -> RecurrentState:
        return RecurrentState()

    def cache_elements_per_token(self) -> int:
        return 0  # the state (H (D·D + D) numbers) does not grow with the tokens

    def forward(self, query: Tensor, key: Tensor | None = None, value: Tensor | None = None, *,
                key_mask: Tensor | None = None, attn_mask: Tensor | None = None, is_causal: bool = False,
                head_mask: Tensor | None = None, need_weights: bool = False,
                cache: RecurrentState | None = None) -> tuple[Tensor, Tensor | None]:
        """query (B, T, C) -> (out (B, T, C), weights (B, H, T, T) or None). ``key_mask`` (B, T) leaves
        padding out; ``cache`` carries the state (causal only)."""
        self.check_forward(query, key, value, cache, RecurrentState)
        check_mask_free(self.config.mixer, attn_mask, need_weights, weights_ok=cache is None)
        causal = is_causal or cache is not None
        key_mask = new_key_mask(key_mask, query.shape[0], query.shape[1], cache)
        q, k, v = (rearrange(p(query), "b t (h d) -> b h t d", h=self.n_heads) for p in (self.q_proj, self.k_proj,
                                                                                           self.v_proj))
        hooked = self._hook_fns is not None
        if hooked:
            q, k, v = self.run_hook("q", q), self.run_hook("k", k), self.run_hook("v", v)
        state = cache.tensors if cache is not None else None
        out, new_state, weights = linear_attention(q, k, v, causal=causal, key_mask=key_mask, state=state,
                                                   need_weights=need_weights)
        if cache is not None:
            cache.update(new_state, query.shape[1])
        return self.project_out(out, head_mask, hooked), weights
