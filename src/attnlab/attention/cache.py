"""Key/value cache for incremental decoding.

A decoder that generates one token at a time would otherwise recompute the keys and values of the whole
prefix at every step (O(T²) projections for T tokens). The cache keeps them: each step projects only the
new token and attends over what is stored.

Storage is pre-allocated once, (B, Hkv, max_len, D), and written in place; ``append`` returns views of the
filled part, so a step costs no ``torch.cat`` and no reallocation. The cache is an explicit object that
the caller creates and passes in (one per attention layer): modules keep no hidden state.
"""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["KVCache"]


class KVCache:
    """Pre-allocated key/value store for one attention layer.

    Args:
        max_len: the most positions it will hold (prompt plus new tokens).

    Attributes:
        length: positions filled so far.
        static: True once it holds cross-attention keys/values (computed once from the encoder output and
            reused at every step).
    """

    def __init__(self, max_len: int) -> None:
        if not isinstance(max_len, int) or max_len <= 0:
            raise ValueError(f"max_len: expected a positive int, got {max_len!r}")
        self.max_len = max_len
        self.length = 0
        self.static = False
        self._k: Tensor | None = None
        self._v: Tensor | None = None

    def __repr__(self) -> str:
        shape = None if self._k is None else tuple(self._k.shape)
        return f"KVCache(max_len={self.max_len}, length={self.length}, static={self.static}, storage={shape})"

    def _check(self, k: Tensor, v: Tensor) -> None:
        if k.dim() != 4 or v.dim() != 4:
            raise ValueError(f"KVCache: expected k, v of shape (B, H, T, D), got {tuple(k.shape)}, {tuple(v.shape)}")
        if self._k is not None:
            b, h, _, d = self._k.shape
            if (k.shape[0], k.shape[1], k.shape[3]) != (b, h, d) or (v.shape[0], v.shape[1]) != (b, h):
                raise ValueError(
                    f"KVCache: expected k of shape ({b}, {h}, T, {d}) like the stored keys, got {tuple(k.shape)}"
                )

    def append(self, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Store new keys and values at the end. k (B, H, T, D), v (B, H, T, Dv).

        Returns:
            all keys (B, H, length, D) and values (B, H, length, Dv) stored so far (views).

        Raises:
            ValueError: if the cache is static, or would overflow ``max_len``.
        """
        if self.static:
            raise ValueError("KVCache: this cache holds cross-attention keys and cannot be appended to")
        self._check(k, v)
        t = k.shape[2]
        if self.length + t > self.max_len:
            raise ValueError(
                f"KVCache: expected at most max_len={self.max_len} positions, got {self.length} + {t}; "
                "create the cache with a larger max_len"
            )
        if torch.is_grad_enabled() and (k.requires_grad or v.requires_grad):
            # In-place writes would break autograd; when gradients are wanted, grow functionally.
            self._k = k if self._k is None else torch.cat([self._k[:, :, : self.length], k], dim=2)
            self._v = v if self._v is None else torch.cat([self._v[:, :, : self.length], v], dim=2)
            self.length += t
            return self._k, self._v
        if self._k is None or self._k.shape[2] < self.max_len:
            old_k, old_v = self._k, self._v
            self._k = k.new_empty(k.shape[0], k.shape[1], self.max_len, k.shape[3])
            self._v = v.new_empty(v.shape[0], v.shape[1], self.max_len, v.shape[3])
            if old_k is not None and self.length:
                self._k[:, :, : self.length] = old_k[:, :, : self.length]
                self._v[:, :, : self.length] = old_v[:, :, : self.length]
        self._k[:, :, self.length : self.length + t] = k
        self._v[:, :, self.length : self.length + t] = v
        self.length += t
        return self._k[:, :, : self.length], self._v[:, :, : self.length]

    def write_one(self, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """:meth:`append` for one position per row, written in place: k (B, H, 1, D), v (B, H, 1, Dv).

        The per-token write of the decode fast path, which builds k and v with the shapes the prompt's
        :meth:`append` checked: once the storage exists only the slot is written, with no checks.
        """
        n = self.length
        if self._k is None or self._k.shape[2] <= n or self.static or torch.is_grad_enabled():
            return self.append(k, v)
        self._k[:, :, n : n + 1] = k
        self._v[:, :, n : n + 1] = v
        self.length = n + 1
        return self._k[:, :, : n + 1], self._v[:, :, : n + 1]

    def set_static(self, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Hold cross-attention keys and values (computed once from the encoder output)."""
        self._check(k, v)
        self._k, self._v = k, v
        self.length = k.shape[2]
        self.static = True
        return k, v

    def get(self) -> tuple[Tensor, Tensor]:
        """The keys and values stored so far."""
        if self._k is None:
            raise ValueError("KVCache: the cache is empty")
        return self._k[:, :, : self.length], self._v[:, :, : self.length]

    def reorder(self, index: Tensor) -> None:
        """Select batch rows (beam search): row i becomes the old row ``index[i]``."""
        if self._k is None:
            return
        if index.dtype != torch.long or index.dim() != 1:
            raise ValueError(f"index: expected a 1-D LongTensor, got dtype {index.dtype}, shape {tuple(index.shape)}")
        index = index.to(self._k.device)
        n = self.length
        if self.static or torch.is_grad_enabled() or 2 * n >= self._k.shape[2] or index.numel() != self._k.shape[0]:
            self._k = self._k.index_select(0, index)
            self._v = self._v.index_select(0, index)
            return
        # Early in a beam search most of the preallocated storage is still empty: move the filled part only
        # (read once, written back once) instead of copying all max_len positions every step.
        self._k[:, :, :n] = self._k[:, :, :n].index_select(0, index)
        self._v[:, :, :n] = self._v[:, :, :n].index_select(0, index)

    def reset(self) -> None:
        """Forget everything stored (keeps nothing allocated)."""
        self.length = 0
        self.static = False
        self._k = self._v = None
