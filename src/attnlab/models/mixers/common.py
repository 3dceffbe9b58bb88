"""What every token mixer other than softmax attention shares: its config, the forward's argument checks,
the per-head output multiplier, hook points, and the cache it decodes with.

A mixer is a drop-in for :class:`~attnlab.attention.MultiHeadAttention` as a block's ``attn``: the same
constructor (one :class:`~attnlab.attention.AttentionConfig`), the same ``forward(query, *, key_mask,
attn_mask, is_causal, head_mask, need_weights, cache) -> (out, weights or None)``, self-attention only.
"""

from __future__ import annotations

from typing import Any

import torch
from einops import rearrange
from torch import Tensor, nn

from attnlab.attention import AttentionConfig, KVCache
from attnlab.attention.hooks import HookedModel, HookPoints
from attnlab.attention.inputs import check_inputs, head_multiplier
from attnlab.attention.masks import check_key_mask
from attnlab.attention.rotary import rotary_cos_sin

__all__ = ["MIXER_POINTS", "Mixer", "check_mask_free", "new_key_mask"]

# the hook points of a mixer (a subset of MultiHeadAttention's: a mixer without a softmax map has no
# scores or pattern)
MIXER_POINTS = ("q", "k", "v", "z", "out")


class Mixer(HookPoints, HookedModel, nn.Module):
    """Base of the mixers: holds ``config`` and checks what every forward takes.

    Args:
        config: an :class:`AttentionConfig` (or a dict of its fields) whose ``mixer`` is this class's.
        layer_index: the block's depth from 0 (differential attention's λ_init depends on it).
    """

    mixer: str = ""
    hook_points = MIXER_POINTS

    def __init__(self, config: AttentionConfig | dict[str, Any], *, layer_index: int = 0) -> None:
        if isinstance(config, dict):
            config = AttentionConfig.from_dict(config)
        elif isinstance(config, AttentionConfig):
            config.validate()  # as MultiHeadAttention does: the same draws from the RNG either way
        else:
            raise TypeError(f"config: expected an AttentionConfig or a dict of its fields, got {type(config).__name__}")
        if config.mixer != self.mixer:
            raise ValueError(f"config.mixer: expected {self.mixer!r} for {type(self).__name__}, got {config.mixer!r}")
        if isinstance(layer_index, bool) or not isinstance(layer_index, int) or layer_index < 0:
            raise ValueError(f"layer_index: expected an int >= 0 (the block's depth from 0), got {layer_index!r}")
        super().__init__()
        self.config = config
        self.layer_index = layer_index
        self.head_ids: list[int] = list(range(config.n_heads))

    d_model = property(lambda self: self.config.d_model, doc="C, the model width.")
    n_heads = property(lambda self: self.config.n_heads, doc="H, the heads.")
    n_kv_heads = property(lambda self: self.config.n_kv_heads, doc="Hkv, the key/value heads.")
    head_dim = property(lambda self: self.config.head_dim, doc="D, the width of each head.")
    kdim = property(lambda self: self.config.d_model, doc="Width of the key input (the query's).")
    vdim = property(lambda self: self.config.d_model, doc="Width of the value input (the query's).")

    def _hook_modules(self) -> dict[str, HookPoints]:
        return {"": self}

    def extra_repr(self) -> str:
        c = self.config
        return f"d_model={c.d_model}, n_heads={c.n_heads}, head_dim={c.head_dim}, mixer={c.mixer!r}"

    def make_cache(self, max_len: int) -> Any:
        """An empty cache for decoding up to ``max_len`` positions (a :class:`KVCache`; recurrent mixers
        return their state)."""
        return KVCache(max_len)

    def cache_elements_per_token(self) -> int:
        """Numbers the cache stores per token (per batch row); 0 for a mixer whose state does not grow."""
        raise NotImplementedError

    def prune_heads(self, heads: Any) -> None:
        raise ValueError(f"heads: mixer={self.config.mixer!r} cannot prune heads; use head_mask to switch heads off")

    def check_forward(self, query: Tensor, key: Tensor | None, value: Tensor | None, cache: Any,
                      cache_type: type = KVCache) -> None:
        """Raise unless the forward's arguments fit: self-attention (``key`` and ``value`` None), ``query``
        (B, T, C) floating, ``cache`` None or a ``cache_type``."""
        if key is not None or value is not None:
            raise ValueError(f"key: mixer={self.config.mixer!r} is self-attention only, so expected key=None and "
                             f"value=None, got a tensor; use mixer='softmax' for cross-attention")
        check_inputs(self, query, None, None)
        if cache is not None and not isinstance(cache, cache_type):
            raise TypeError(f"cache: expected an attnlab {cache_type.__name__} (from make_cache), "
                            f"got {type(cache).__name__}")

    def head_scale(self, head_mask: Tensor | None, batch: int) -> Tensor | None:
        """``head_mask`` (H,) or (B, H) as a (1|B, H, 1, 1) multiplier, or None."""
        return None if head_mask is None else head_multiplier(self, head_mask, batch)

    def project_out(self, out: Tensor, head_mask: Tensor | None, hooked: bool) -> Tensor:
        """The heads' outputs (B, H, T, D) to the mixer's output (B, T, C): times ``head_mask``, the ``z``
        hook, ``out_proj``, the ``out`` hook."""
        scale = self.head_scale(head_mask, out.shape[0])
        if scale is not None:
            out = out * scale.to(out.dtype)
        if hooked:
            out = self.run_hook("z", out)
        out = self.out_proj(rearrange(out, "b h t d -> b t (h d)"))
        return self.run_hook("out", out) if hooked else out

    def rotary(self, start: int, length: int, dim: int, device: torch.device) -> tuple[Tensor, Tensor]:
        """cos, sin (T, dim) of positions ``start .. start + length - 1`` with this config's RoPE base and
        scaling."""
        positions = torch.arange(start, start + length, device=device)
        return rotary_cos_sin(positions, dim, self.config.rotary_base, self.config.rope_scaling())


def check_mask_free(mixer: str, attn_mask: Tensor | None, need_weights: bool, weights_ok: bool = False) -> None:
    """Refuse what a mixer without a softmax map cannot honour: an arbitrary ``attn_mask``, and
    ``need_weights`` unless it forms weights (``weights_ok``)."""
    if attn_mask is not None:
        raise ValueError(f"attn_mask: mixer={mixer!r} takes no attention mask (it has no pairwise map to mask); "
                         f"use key_mask for padding and is_causal for causality")
    if need_weights and not weights_ok:
        raise ValueError(f"need_weights: mixer={mixer!r} forms no attention weights; pass need_weights=False")


def new_key_mask(key_mask: Tensor | None, batch: int, tokens: int, cache: Any) -> Tensor | None:
    """A recurrent mixer's key mask over its ``tokens`` new tokens, (B, T) bool, or None.

    With a cache it may also span the tokens seen before (as a KV cache's mask does); those columns are
    dropped, since the state already holds (or left out) those tokens."""
    if key_mask is None:
        return None
    if cache is not None and isinstance(key_mask, Tensor) and key_mask.dim() == 2 and \
            key_mask.shape[-1] == cache.length + tokens:
        key_mask = key_mask[:, key_mask.shape[-1] - tokens:]
    check_key_mask(key_mask, batch, tokens)
    return key_mask
