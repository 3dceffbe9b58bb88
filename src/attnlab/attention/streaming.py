"""A streaming KV cache: the first k tokens (attention sinks) and a recent window, the rest evicted
(Xiao et al. 2023, "Efficient Streaming Language Models with Attention Sinks", StreamingLLM).

The query at position p sees the keys at positions

.. math::
    \\{ j \\le p : j < k \\} \\cup \\{ j \\le p : p - W < j \\}

(k = ``sink_tokens``, W = ``window``, the query itself included), so the cache never holds more than
k + W - 1 old keys. Keys keep the positions they were written at (RoPE turned them there; learned and
sinusoidal positions keep counting), so decoding with this cache gives the same outputs as the full
computation under :func:`streaming_visibility` (StreamingLLM instead renumbers the positions inside the
cache: a different model, not tested here). ``sink_tokens=0`` is the plain window, the arm where sinks are
evicted.

The cache's ``length`` counts every token seen (the next position); ``positions`` holds those kept.
"""

from __future__ import annotations

import torch
from torch import Tensor

from attnlab.attention.cache import KVCache

__all__ = ["StreamingKVCache", "streaming_mask", "streaming_visibility"]


def streaming_visibility(tq: int, tk: int, sink_tokens: int, window: int, device=None) -> Tensor:
    """The (Tq, Tk) boolean mask of the full computation (queries are the last Tq of Tk positions):
    True where query i may attend key j, causal, sinks and window as in the module docstring."""
    pos_q = torch.arange(tk - tq, tk, device=device)[:, None]
    pos_k = torch.arange(tk, device=device)[None, :]
    return (pos_k <= pos_q) & ((pos_k < sink_tokens) | (pos_k > pos_q - window))


class StreamingKVCache(KVCache):
    """A :class:`KVCache` that keeps the first ``sink_tokens`` positions and the last ``window`` (with the
    query's own), for as many tokens as the model's positions allow.

    Args:
        sink_tokens: k >= 0, the first positions kept forever.
        window: W >= 1, the recent positions each query sees, itself included.
    """

    def __init__(self, sink_tokens: int, window: int) -> None:
        for name, value, low in (("sink_tokens", sink_tokens, 0), ("window", window, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name}: expected an int >= {low}, got {value!r}")
        super().__init__(sink_tokens + window)
        self.sink_tokens = sink_tokens
        self.window = window
        self.positions: Tensor | None = None  # (Tk,) long: the positions of the keys held

    def __repr__(self) -> str:
        held = 0 if self.positions is None else len(self.positions)
        return (f"StreamingKVCache(sink_tokens={self.sink_tokens}, window={self.window}, length={self.length}, "
                f"held={held})")

    def append(self, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Evict what no query from here on can see, then store k (B, H, T, D), v (B, H, T, Dv).

        Returns:
            the keys and values held, in position order (the new ones last).
        """
        self._check(k, v)
        t = k.shape[2]
        new = torch.arange(self.length, self.length + t, device=k.device)
        if self._k is None:
            self._k, self._v, self.positions = k, v, new
        else:
            keep = (self.positions < self.sink_tokens) | (self.positions > self.length - self.window)
            self._k = torch.cat((self._k[:, :, keep], k), dim=2)
            self._v = torch.cat((self._v[:, :, keep], v), dim=2)
            self.positions = torch.cat((self.positions[keep], new))
        self.length += t
        return self._k, self._v

    def set_static(self, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        raise ValueError("StreamingKVCache: a streaming cache is for self-attention; use a KVCache for cross-attention")

    def get(self) -> tuple[Tensor, Tensor]:
        if self._k is None:
            raise ValueError("StreamingKVCache: the cache is empty")
        return self._k, self._v

    def visibility(self, tq: int) -> Tensor:
        """(Tq, Tk) boolean: which held keys each of the last ``tq`` queries may attend."""
        pos_q = torch.arange(self.length - tq, self.length, device=self.positions.device)[:, None]
        pos_k = self.positions[None, :]
        return (pos_k <= pos_q) & ((pos_k < self.sink_tokens) | (pos_k > pos_q - self.window))

    def reset(self) -> None:
        super().reset()
        self.positions = None


def streaming_mask(cache: KVCache | None, attn_mask: Tensor | None, key_mask: Tensor | None, tq: int,
                   window: int | None) -> Tensor | None:
    """``attn_mask`` unless ``cache`` is a :class:`StreamingKVCache`; then its visibility (Tq, Tk), after
    refusing what cannot be aligned with evicted positions (an attention mask, a key mask, a window
    switch: the cache's own window replaces it)."""
    if not isinstance(cache, StreamingKVCache):
        return attn_mask
    for name, value in (("attn_mask", attn_mask), ("key_mask", key_mask), ("window", window)):
        if value is not None:
            raise ValueError(f"{name}: not supported with a StreamingKVCache (its positions are evicted); "
                             f"got {name}, expected None (the cache's window and sinks set what each query sees)")
    return cache.visibility(tq)
