"""One head of a pretrained encoder, step by step, for one query token: x → q, k, v → q·k → ÷√d_k → mask →
softmax → ·v.

:func:`head_steps` reads the head's queries, keys and values at the model's hook points
(``model.run_with_cache`` with ``blocks.{layer}.attn.q``, ``.k`` and ``.v``) and recomputes the rest as the
attention does: the raw scores s_j = q·k_j, the scale 1/√d_k (the attention's own ``scale`` where it has
one), the keys the mask hides set to -inf, the weights a = softmax(scale · s) and the head's output
z = Σ_j a_j v_j. :func:`focus_steps` does it for the view an explorer opens on (its ``focus_layer``,
``focus_head`` and ``focus_token``), as a JSON-ready dict for a trial's measurements.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from attnlab.results import HeadSteps

__all__ = ["MAX_VALUES", "focus_steps", "head_steps"]

MAX_VALUES = 2048  # the value rows are kept when T × D is at most this (64 tokens of a 32-wide head)


@torch.no_grad()
def head_steps(model: Any, text: str, layer: int, head: int, token: int, *,
               max_values: int = MAX_VALUES) -> HeadSteps:
    """Head ``head`` of layer ``layer`` (0-based) of ``model`` (an encoder with ``encode`` and
    ``run_with_cache``, e.g. :class:`~attnlab.pretrained.bert.BertEncoder`) on ``text``, for the query
    token ``token`` (an index into the model's tokens, special tokens included).

    Returns the :class:`~attnlab.results.HeadSteps`, full precision (rounded only when stored), with the
    value rows when T × D <= ``max_values``.
    """
    batch = model.encode(text)
    T = batch.input_ids.shape[1]
    if not (0 <= layer < model.n_layers and 0 <= head < model.n_heads and 0 <= token < T):
        raise ValueError(f"head_steps: expected layer < {model.n_layers}, head < {model.n_heads} and token < {T}, "
                         f"got layer {layer}, head {head}, token {token}")
    device = next(model.parameters()).device
    names = [f"blocks.{layer}.attn.{p}" for p in ("q", "k", "v")]
    _, cache = model.run_with_cache(batch.input_ids.to(device), key_mask=batch.key_mask.to(device), names=names)
    q, k, v = (cache[n][0].double().cpu() for n in names)  # (H, T, D), keys and values (Hkv, T, D)
    kv = head // (q.shape[0] // k.shape[0])  # the key-value head this query head reads (grouped queries)
    qi, kh, vh = q[head, token], k[kv], v[kv]
    scale = getattr(model.blocks[layer].attn, "scale", None) or 1.0 / math.sqrt(q.shape[-1])
    scores = kh @ qi  # (T,)
    visible = batch.key_mask[0].cpu()
    weights = torch.softmax((scale * scores).masked_fill(~visible, float("-inf")), dim=-1)
    z = weights @ vh
    keep_v = vh.numel() <= max_values
    return HeadSteps(layer=layer, head=head, token=token, q=qi.tolist(), scores=scores.tolist(), scale=float(scale),
                     mask=visible.tolist(), weights=weights.tolist(), z=z.tolist(),
                     v=vh.tolist() if keep_v else None)


def focus_steps(model: Any, text: str, focus: Mapping[str, Any]) -> dict[str, Any] | None:
    """:func:`head_steps` at an explorer's opening view (``focus["focus_layer"]``, ``["focus_head"]`` and
    ``["focus_token"]``, as :class:`~attnlab.results.AttentionMap` names them), stored as a dict; None when
    ``focus`` names no layer, head or token."""
    where = [focus.get(f"focus_{k}") for k in ("layer", "head", "token")]
    if any(w is None for w in where):
        return None
    return head_steps(model, text, *where).to_dict()
