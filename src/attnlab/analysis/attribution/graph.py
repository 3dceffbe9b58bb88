"""Attention read as a graph over layers: raw attention, attention rollout and attention flow
(Abnar & Zuidema 2020, "Quantifying Attention Flow in Transformers").

Every function takes ``patterns``: per layer, first layer first, the attention weights (B, H, T, T) of a
self-attention (e.g. ``run_with_cache`` names ``blocks.{i}.attn.pattern``, or ``need_weights=True``).
Row i of a result is query token i's attribution over the input tokens j: (B, T, T).

With ``residual=True`` each layer's head-averaged weights A become Ã = 0.5·A + 0.5·I (the residual
connection carries the token itself), rows renormalised, as in the paper.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from scipy.sparse import csr_array
from scipy.sparse.csgraph import maximum_flow
from torch import Tensor

__all__ = ["FLOW_MAX_TOKENS", "flow", "layer_graph", "raw_attention", "rollout"]

# Flow solves T² max-flow problems on a graph of (L + 1)·T nodes per example: beyond this many tokens it
# is refused (at 64 tokens and 6 layers one example takes seconds).
FLOW_MAX_TOKENS = 64
# max-flow runs on integer capacities: weights are scaled so that the largest possible flow (T) fits in
# int32; the flows are then exact to about T / 2**30 (< 1e-7 at 64 tokens).
_INT_RANGE = 2**30


def check_patterns(patterns: Sequence[Tensor]) -> list[Tensor]:
    """The per-layer patterns as a list of (B, H, T, T) tensors of one shape, or a clear error."""
    if isinstance(patterns, Tensor):
        patterns = list(patterns.unbind(0)) if patterns.dim() == 5 else [patterns]
    if not isinstance(patterns, Sequence) or not patterns:
        raise ValueError(f"patterns: expected a non-empty list of per-layer (B, H, T, T) tensors, got {patterns!r:.60}")
    first = patterns[0]
    for i, p in enumerate(patterns):
        if not isinstance(p, Tensor):
            raise TypeError(f"patterns[{i}]: expected a tensor (B, H, T, T), got {type(p).__name__}")
        if p.dim() != 4 or p.shape[-1] != p.shape[-2] or p.shape != first.shape:
            raise ValueError(f"patterns[{i}]: expected shape (B, H, T, T) like patterns[0] "
                             f"{tuple(first.shape)}, got {tuple(p.shape)}")
    return list(patterns)


def layer_graph(pattern: Tensor, residual: bool = True) -> Tensor:
    """One layer's edge weights (B, T, T): the mean over heads, with the residual when ``residual``:
    ``Ã = 0.5·A + 0.5·I``, each row renormalised to sum to 1."""
    a = pattern.mean(1)  # (B, T, T)
    if not residual:
        return a
    a = 0.5 * a + 0.5 * torch.eye(a.shape[-1], dtype=a.dtype, device=a.device)
    return a / a.sum(-1, keepdim=True).clamp_min(torch.finfo(a.dtype).tiny)


def raw_attention(patterns: Sequence[Tensor], *, layer: int = -1) -> Tensor:
    """Raw attention: layer ``layer``'s weights averaged over heads, (B, T, T).

    The baseline that rollout and flow improve on (Abnar & Zuidema 2020, section 2; Jain & Wallace 2019
    and Wiegreffe & Pinter 2019 debate whether it explains anything).
    """
    patterns = check_patterns(patterns)
    if not -len(patterns) <= layer < len(patterns):
        raise ValueError(f"layer: expected an index into {len(patterns)} layers, got {layer}")
    return patterns[layer].mean(1)


def rollout(patterns: Sequence[Tensor], *, residual: bool = True) -> Tensor:
    r"""Attention rollout (Abnar & Zuidema 2020, eq. 1): how much of each input token reaches each token of
    the last layer if attention mixes linearly through the stack.

    .. math::  \tilde A^{(l)} = \tfrac12 \bar A^{(l)} + \tfrac12 I,\qquad
               R = \tilde A^{(L)} \tilde A^{(L-1)} \cdots \tilde A^{(1)}

    (:math:`\bar A` the mean over heads; without ``residual``, :math:`\tilde A = \bar A`).

    Args:
        patterns: per layer (B, H, T, T), first layer first.
        residual: add the identity for the residual connection (the paper's choice).

    Returns:
        (B, T, T): row i, token i of the last layer over the input tokens; rows sum to 1.
    """
    patterns = check_patterns(patterns)
    joint = layer_graph(patterns[0], residual)
    for p in patterns[1:]:
        joint = layer_graph(p, residual) @ joint  # later layers act on the left
    return joint


def flow(patterns: Sequence[Tensor], *, residual: bool = True, normalize: bool = True) -> Tensor:
    r"""Attention flow (Abnar & Zuidema 2020, section 3): the maximum flow from each top-layer token to each
    input token through the attention graph.

    The graph has a node per token and layer (inputs are layer 0); node i of layer l links to node j of
    layer l - 1 with capacity :math:`\tilde A^{(l)}_{ij}` (as in rollout). ``flow[b, i, j]`` is the value
    of the max flow from node i of layer L to node j of layer 0. Unlike rollout (a product of paths), flow
    is limited by the narrowest cut, so one weak layer bounds it.

    Input length is bounded: T <= :data:`FLOW_MAX_TOKENS` (64), since each example solves T² max-flow
    problems. Capacities are scaled to integers for scipy's Dinic solver, exact to about T / 2**30.

    Args:
        patterns: per layer (B, H, T, T), first layer first.
        residual: add the identity for the residual connection.
        normalize: divide each row by its sum (as the paper's code does), so rows sum to 1.

    Returns:
        (B, T, T) float64.

    Raises:
        ValueError: T > FLOW_MAX_TOKENS.
    """
    patterns = check_patterns(patterns)
    batch, _, t, _ = patterns[0].shape
    if t > FLOW_MAX_TOKENS:
        raise ValueError(f"patterns: flow takes at most {FLOW_MAX_TOKENS} tokens (T² max-flow problems per "
                         f"example), got T={t}; use rollout for longer inputs")
    layers = [layer_graph(p.double(), residual).cpu().numpy() for p in patterns]  # L x (B, T, T)
    n_layers = len(layers)
    scale = _INT_RANGE / max(t, 1)
    out = np.zeros((batch, t, t))
    for b in range(batch):
        cap = np.zeros(((n_layers + 1) * t, (n_layers + 1) * t), dtype=np.int64)
        for l, a in enumerate(layers, start=1):  # layer l's nodes link down to layer l - 1's
            cap[l * t:(l + 1) * t, (l - 1) * t:l * t] = np.rint(a[b] * scale)
        graph = csr_array(cap.astype(np.int32))
        top = n_layers * t
        for i in range(t):
            for j in range(t):
                out[b, i, j] = maximum_flow(graph, top + i, j).flow_value / scale
    result = torch.from_numpy(out)
    if normalize:
        result = result / result.sum(-1, keepdim=True).clamp_min(1e-300)
    return result
