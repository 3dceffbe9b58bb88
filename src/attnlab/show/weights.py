"""Attention weights from any source, as the explorer reads them: tokens and an (L, H, T, T) array.

Accepted ``weights`` (L layers, B batch, H heads, T tokens; rows are queries, columns keys):

- a list or tuple of L per-layer tensors / arrays (B, H, T, T) or (H, T, T): attnlab's
  ``MultiHeadAttention(..., need_weights=True)`` weights per layer, Hugging Face's ``output_attentions``
  tuple, or anything a user made;
- one tensor / array (L, B, H, T, T); (B, H, T, T) or (H, T, T) is a single layer, (T, T) a single head;
- a model output with an ``attentions`` attribute (Hugging Face ``ModelOutput``, attnlab's outputs);
- the cache of ``model.run_with_cache(..., names=...)``: its ``blocks.{i}.attn.pattern`` entries.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from attnlab.report.explorer import validate_inputs

__all__ = ["as_layers", "check_tokens"]

_PATTERN = re.compile(r"^blocks\.(\d+)\.attn\.pattern$")


def _array(x: Any, name: str) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch.Tensor
        if x.dtype.is_complex or str(x.dtype) == "torch.bool":
            raise TypeError(f"{name}: expected real floating-point weights, got a tensor of dtype {x.dtype}")
        return x.detach().to("cpu").double().numpy()
    if isinstance(x, np.ndarray):
        return x.astype(np.float64)
    raise TypeError(f"{name}: expected a tensor or an array of attention weights, got {type(x).__name__}")


def _pick(arr: np.ndarray, batch: int, name: str) -> np.ndarray:
    """(H, T, T) from one layer's (B, H, T, T) or (H, T, T)."""
    if arr.ndim == 4:
        if not 0 <= batch < arr.shape[0]:
            raise ValueError(f"batch: expected an int in [0, {arr.shape[0] - 1}] for {name} of shape "
                             f"{tuple(arr.shape)}, got {batch}")
        return arr[batch]
    if arr.ndim == 3:
        return arr
    raise ValueError(f"{name}: expected one layer's weights of shape (B, H, T, T) or (H, T, T), got shape "
                     f"{tuple(arr.shape)}")


def _from_cache(cache: Mapping[str, Any]) -> list[Any]:
    found = sorted((int(m.group(1)), v) for k, v in cache.items() if (m := _PATTERN.match(str(k))))
    if not found:
        raise ValueError("weights: a mapping must hold 'blocks.{i}.attn.pattern' entries (from "
                         "model.run_with_cache(..., names=lambda n: n.endswith('attn.pattern'))), got keys "
                         f"{sorted(map(str, cache))[:6]}")
    return [v for _, v in found]


def as_layers(weights: Any, *, batch: int = 0) -> np.ndarray:
    """The weights of sequence ``batch`` as a float64 array (L, H, T, T) (see the module's list of sources).

    Raises:
        TypeError / ValueError: an unsupported type or shape, naming ``weights`` (or ``weights[l]``)
            and ``batch``, expected vs got.
    """
    if isinstance(batch, bool) or not isinstance(batch, int):
        raise TypeError(f"batch: expected an int, got {type(batch).__name__}")
    if not hasattr(weights, "detach") and not isinstance(weights, (np.ndarray, Mapping, Sequence)):
        if getattr(weights, "attentions", None) is None:
            raise TypeError(f"weights: expected per-layer (B, H, T, T) weights (a list of tensors, a tensor, "
                            f"an output with .attentions), got {type(weights).__name__}")
        weights = weights.attentions
    if isinstance(weights, Mapping):
        weights = _from_cache(weights)
    if isinstance(weights, (list, tuple)):
        if not weights:
            raise ValueError("weights: expected at least one layer, got an empty sequence")
        layers = [_pick(_array(w, f"weights[{l}]"), batch, f"weights[{l}]") for l, w in enumerate(weights)]
        for l, w in enumerate(layers):
            if w.shape != layers[0].shape:
                raise ValueError(f"weights[{l}]: expected (H, T, T) = {tuple(layers[0].shape)} like weights[0], "
                                 f"got {tuple(w.shape)}")
        return np.stack(layers)
    if isinstance(weights, (str, bytes)):
        raise TypeError("weights: expected per-layer (B, H, T, T) weights, got a string")
    arr = _array(weights, "weights")
    if arr.ndim == 5:
        return np.stack([_pick(a, batch, f"weights[{l}]") for l, a in enumerate(arr)])
    if arr.ndim == 2:
        return arr[None, None]
    if arr.ndim in (3, 4):
        return _pick(arr, batch, "weights")[None]
    raise ValueError(f"weights: expected a list of per-layer (B, H, T, T) tensors, or one tensor (L, B, H, T, T), "
                     f"(B, H, T, T), (H, T, T) or (T, T), got shape {tuple(arr.shape)}")


def check_tokens(tokens: Any, weights: Any, *, batch: int = 0) -> tuple[list[str], np.ndarray]:
    """Validated ``(tokens, weights (L, H, T, T))``; ``tokens=None`` names the positions 1..T."""
    w = as_layers(weights, batch=batch)
    if tokens is None:
        tokens = [str(i + 1) for i in range(w.shape[-1])]
    elif isinstance(tokens, Sequence) and not isinstance(tokens, (str, bytes)) and len(tokens) != w.shape[-1]:
        raise ValueError(f"tokens: expected {w.shape[-1]} tokens for weights of shape (L, H, T, T) = "
                         f"{tuple(w.shape)}, got {len(tokens)}")
    return validate_inputs(tokens, w, name="weights")
