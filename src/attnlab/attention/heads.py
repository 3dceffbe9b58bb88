"""Heads of :class:`~attnlab.attention.MultiHeadAttention`: each head's matrices, and removing heads for real.

Head h owns rows ``h*D:(h+1)*D`` of ``q_proj`` and columns ``h*D:(h+1)*D`` of ``out_proj``; with
grouped-query attention (Hkv key/value heads) query head h reads key/value head ``h // (H / Hkv)``.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import Tensor, nn

__all__ = ["HeadsMixin", "check_prunable"]


def check_prunable(heads: Iterable[int], n_heads: int, n_kv_heads: int) -> tuple[list[int], list[int]]:
    """The sorted query heads to remove and the key/value heads that go with them.

    Raises:
        ValueError: for an index out of range, removing every head, or (grouped-query attention) a set
            that is not a union of whole key/value groups.
    """
    heads = sorted({int(h) for h in heads})
    if not heads:
        return [], []
    if heads[0] < 0 or heads[-1] >= n_heads:
        raise ValueError(f"heads: expected indices in [0, {n_heads}), got {heads}")
    if len(heads) == n_heads:
        raise ValueError(f"heads: cannot remove all {n_heads} heads")
    group = n_heads // n_kv_heads
    if group == 1:
        return heads, heads
    groups = {h // group for h in heads}
    whole = sorted(h for g in groups for h in range(g * group, (g + 1) * group))
    if whole != heads:
        raise ValueError(
            f"heads: with n_kv_heads={n_kv_heads}, heads share keys/values in groups of {group}; "
            f"prune whole groups, e.g. {whole}, got {heads}"
        )
    return heads, sorted(groups)


def _slice_linear(lin: nn.Linear, index: Tensor, dim: int) -> nn.Linear:
    """A new ``nn.Linear`` holding the rows (dim 0) or the input columns (dim 1) ``index`` of ``lin``."""
    w = lin.weight.index_select(dim, index.to(lin.weight.device))
    new = nn.Linear(w.shape[1], w.shape[0], bias=lin.bias is not None, device=w.device, dtype=w.dtype)
    new.weight.copy_(w)
    if lin.bias is not None:
        new.bias.copy_(lin.bias if dim == 1 else lin.bias.index_select(0, index.to(lin.bias.device)))
    return new


class HeadsMixin:
    """Head inspection and pruning for :class:`~attnlab.attention.MultiHeadAttention`."""

    def head_weights(self, h: int) -> dict[str, Tensor | None]:
        """Head ``h``'s projection matrices, as views in the math convention ``x @ W``.

        Returns:
            dict with W_Q (C, D), W_K (kdim, D), W_V (vdim, D), W_O (D, C) and the biases b_Q, b_K, b_V
            (D,) or None.
        """
        if not 0 <= h < self.n_heads:
            raise ValueError(f"h: expected a head index in [0, {self.n_heads}), got {h}")
        d = self.head_dim
        g = h // (self.n_heads // self.n_kv_heads)  # the key/value head this query head reads
        rows_q, rows_kv = slice(h * d, (h + 1) * d), slice(g * d, (g + 1) * d)
        k_lin = self.q_proj if self.shared_qk else self.k_proj
        k_rows = rows_q if self.shared_qk else rows_kv

        def bias(lin: nn.Linear, rows: slice) -> Tensor | None:
            return None if lin.bias is None else lin.bias[rows]

        return {
            "W_Q": self.q_proj.weight[rows_q].T,
            "W_K": k_lin.weight[k_rows].T,
            "W_V": self.v_proj.weight[rows_kv].T,
            "W_O": self.out_proj.weight[:, rows_q].T,
            "b_Q": bias(self.q_proj, rows_q),
            "b_K": bias(k_lin, k_rows),
            "b_V": bias(self.v_proj, rows_kv),
        }

    @torch.no_grad()
    def prune_heads(self, heads: Iterable[int]) -> None:
        """Remove heads for real: their rows of the Q/K/V projections, their columns of W_O, their score
        parameters, and their sink logit, gate row, ALiBi slope or T5 bias column. The output equals running
        with ``head_mask`` zero on those heads; ``config`` then holds the heads left (each still D wide) and
        ``head_ids`` their original indices. A module built from that config has the pruned sizes, but ALiBi
        slopes of its own head count: a model rebuilt from its config (``config.pruned_heads``) prunes instead.

        Args:
            heads: indices of current heads (0 <= h < n_heads) to remove.

        Raises:
            ValueError: for an index out of range, removing every head, or (grouped-query attention) a set
                that is not a union of whole key/value groups.
        """
        heads, drop_kv = check_prunable(heads, self.n_heads, self.n_kv_heads)
        if not heads:
            return
        d = self.head_dim
        keep_q = [h for h in range(self.n_heads) if h not in set(heads)]
        keep_kv = [g for g in range(self.n_kv_heads) if g not in set(drop_kv)]

        def rows(keep: list[int]) -> Tensor:
            return torch.tensor([i * d + j for i in keep for j in range(d)], dtype=torch.long)

        self.q_proj = _slice_linear(self.q_proj, rows(keep_q), 0)
        if self.k_proj is not None:
            self.k_proj = _slice_linear(self.k_proj, rows(keep_kv), 0)
        self.v_proj = _slice_linear(self.v_proj, rows(keep_kv), 0)
        self.out_proj = _slice_linear(self.out_proj, rows(keep_q), 1)
        keep = torch.tensor(keep_q, dtype=torch.long)
        self.score.prune_heads(keep)
        if self.gate_proj is not None:
            self.gate_proj = _slice_linear(self.gate_proj, keep, 0)  # one row per head
        if self.sink_logits is not None:
            self.sink_logits = nn.Parameter(self.sink_logits.detach().index_select(0, keep.to(self.sink_logits.device)))
        if self.position_bias is not None:
            self.position_bias.prune_heads(keep)
        self.head_ids = [self.head_ids[h] for h in keep_q]
        self.config = self.config.pruned(len(keep_q), len(keep_kv))
