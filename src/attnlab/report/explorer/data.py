"""The explorer's data: input validation, the compact weight encoding, and reading it back.

Weights are stored quantised to 3 decimals (``q = round(1000 * w)``, an integer in [0, 1000], so the
error is at most 0.0005) and packed as a byte stream: ``q < 128`` takes one byte, larger values two
(``0x80 | q >> 7``, then ``q & 0x7F``), so a byte >= 0x80 always starts a pair and the stream can be
split without a sequential scan. Attention is mostly small weights, so this is close to one byte a
weight. Large payloads are also zlib-compressed (the page inflates them with the browser's
``DecompressionStream``); small ones are not, so they open in any browser. The bytes are base64 text
inside a ``<script type="application/json">`` block.

Shapes: L layers, H heads, T tokens; weights (L, H, T, T), rows are queries, columns keys.
"""

from __future__ import annotations

import base64
import json
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["SCALE", "ExplorerData", "decode_weights", "encode_weights", "read_explorer", "validate_inputs"]

SCALE = 1000  # weights are stored as round(SCALE * w): 3 decimals
COMPRESS_ABOVE = 64 * 1024  # bytes of packed weights above which ``compress=None`` compresses
FORMAT = "attnlab-explorer"
VERSION = 1


def _as_array(x: Any, name: str) -> np.ndarray:
    """A float64 numpy copy of a tensor / array / nested list, or a TypeError naming ``name``."""
    if hasattr(x, "detach"):  # torch.Tensor, without importing torch
        x = x.detach().to("cpu")
        if x.dtype.is_complex or str(x.dtype) == "torch.bool":
            raise TypeError(f"{name}: expected real floating-point weights, got a tensor of dtype {x.dtype}")
        x = x.double().numpy()
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged nested lists
        raise TypeError(f"{name}: expected an array of weights, got {type(x).__name__} ({exc})") from None
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"{name}: expected real floating-point weights, got dtype {arr.dtype}")
    return arr.astype(np.float64)


def _stack_layers(attentions: Any) -> np.ndarray:
    """(L, H, T, T) from an (L, H, T, T) array or a sequence of L arrays (H, T, T) or (1, H, T, T)."""
    if isinstance(attentions, (list, tuple)):
        if not attentions:
            raise ValueError("attentions: expected at least one layer, got an empty sequence")
        layers = []
        for l, layer in enumerate(attentions):
            arr = _as_array(layer, f"attentions[{l}]")
            if arr.ndim == 4 and arr.shape[0] == 1:  # a batch of one, as Hugging Face models return
                arr = arr[0]
            if arr.ndim != 3:
                hint = " (a batch of several sequences: pass one, e.g. [a[i] for a in attentions])" if (
                    arr.ndim == 4) else ""
                raise ValueError(f"attentions[{l}]: expected shape (H, T, T) or (1, H, T, T), got "
                                 f"{tuple(arr.shape)}{hint}")
            if layers and arr.shape != layers[0].shape:
                raise ValueError(f"attentions[{l}]: expected shape {tuple(layers[0].shape)} like attentions[0], "
                                 f"got {tuple(arr.shape)}")
            layers.append(arr)
        return np.stack(layers)
    arr = _as_array(attentions, "attentions")
    if arr.ndim != 4:
        raise ValueError(f"attentions: expected an (L, H, T, T) array or a list of L (H, T, T) arrays, got shape "
                         f"{tuple(arr.shape)}")
    return arr


def _where(bad: np.ndarray) -> str:
    """Where the first True in ``bad`` (L, H, T[, T]) is, numbered from 1 as the explorer shows layers, heads
    and tokens, then as the array's 0-based index: 'layer 1 head 2 query 3 key 4 (index [0, 1, 2, 3])'."""
    pos = [int(v) for v in np.argwhere(bad)[0]]
    names = ("layer", "head", "query", "key")[:len(pos)]
    return " ".join(f"{n} {v + 1}" for n, v in zip(names, pos, strict=True)) + f" (index [{', '.join(map(str, pos))}])"


def validate_inputs(tokens: Any, attentions: Any, *, atol: float = 1e-2,
                    name: str = "attentions") -> tuple[list[str], np.ndarray]:
    """Check tokens and attention weights and return them as ``(list[str], float64 array (L, H, T, T))``.

    Args:
        tokens: a sequence of T strings (the tokens as the model saw them, special tokens included).
        attentions: the weights, either one (L, H, T, T) tensor / array or a sequence of L tensors /
            arrays (H, T, T); a leading batch dimension of size 1 per layer, (1, H, T, T), as Hugging
            Face models return with ``output_attentions=True``, is accepted too. Rows are queries and
            columns keys (self-attention: both are ``tokens``).
        atol: how far each row's sum may be from 1 (half-precision weights over long inputs need ~1e-2).
        name: what the errors call ``attentions`` (the caller's argument name).

    Returns:
        ``(tokens, weights)`` with weights a float64 numpy array (L, H, T, T).

    Raises:
        TypeError: ``tokens`` is not a sequence of str, or the weights are not real numbers.
        ValueError: a bad shape (expected vs got), T ≠ len(tokens), a NaN or infinite weight, a
            negative weight, or a row that does not sum to 1 within ``atol`` (the message says where).
    """
    if not atol >= 0:
        raise ValueError(f"atol: expected a tolerance >= 0, got {atol}")
    if isinstance(tokens, (str, bytes)) or not isinstance(tokens, Sequence):
        raise TypeError(f"tokens: expected a sequence of str, got {type(tokens).__name__}")
    bad = [i for i, t in enumerate(tokens) if not isinstance(t, str)]
    if bad:
        raise TypeError(f"tokens[{bad[0]}]: expected str, got {type(tokens[bad[0]]).__name__}")
    if not tokens:
        raise ValueError("tokens: expected at least one token, got none")
    w = _stack_layers(attentions) if name == "attentions" else _as_array(attentions, name)
    if w.ndim != 4:
        raise ValueError(f"{name}: expected an (L, H, T, T) array, got shape {tuple(w.shape)}")
    T = len(tokens)
    if w.shape[-1] != w.shape[-2]:
        raise ValueError(f"{name}: expected square (T, T) maps of self-attention, got shape {tuple(w.shape)}")
    if w.shape[-1] != T:
        raise ValueError(f"{name}: expected maps of size ({T}, {T}) for len(tokens) = {T}, got shape "
                         f"{tuple(w.shape)}")
    if 0 in w.shape:
        raise ValueError(f"{name}: expected at least one layer and head, got shape {tuple(w.shape)}")
    finite = np.isfinite(w)
    if not finite.all():
        pos = np.argwhere(~finite)[0]
        raise ValueError(f"{name}: expected finite weights, got {w[tuple(pos)]} at {_where(~finite)}")
    if (w < -atol).any():
        neg = w < -atol
        pos = np.argwhere(neg)[0]
        raise ValueError(f"{name}: expected weights >= 0 (softmax probabilities), got {w[tuple(pos)]:.4g} at "
                         f"{_where(neg)}")
    sums = w.sum(-1)  # (L, H, T)
    off = np.abs(sums - 1.0) > atol
    if off.any():
        pos = tuple(np.argwhere(off)[0])
        raise ValueError(f"{name}: expected every row (query) to sum to 1 within {atol:g}, got {sums[pos]:.4g} "
                         f"at {_where(off)} (pass softmax probabilities, not scores, with padding removed)")
    return list(tokens), w


def quantise(weights: np.ndarray) -> np.ndarray:
    """``round(SCALE * w)`` clipped to [0, SCALE], as uint16 (the values the page shows, / SCALE)."""
    return np.clip(np.rint(weights * SCALE), 0, SCALE).astype(np.uint16)


def encode_weights(weights: np.ndarray, *, compress: bool | None = None) -> tuple[str, str]:
    """Pack (L, H, T, T) weights in [0, 1]; returns ``(codec, base64 text)``.

    ``codec`` is ``"q1000"`` or ``"q1000+zlib"``; ``compress=None`` compresses payloads larger than
    64 KiB.
    """
    q = quantise(weights).ravel()
    one = q < 128
    width = np.where(one, 1, 2)
    start = np.concatenate([[0], np.cumsum(width)[:-1]])
    out = np.zeros(int(width.sum()), dtype=np.uint8)
    out[start[one]] = q[one]
    two = ~one
    out[start[two]] = 0x80 | (q[two] >> 7)
    out[start[two] + 1] = q[two] & 0x7F
    packed = out.tobytes()
    if compress is None:
        compress = len(packed) > COMPRESS_ABOVE
    if compress:
        return "q1000+zlib", base64.b64encode(zlib.compress(packed, 6)).decode("ascii")
    return "q1000", base64.b64encode(packed).decode("ascii")


def decode_weights(codec: str, text: str, shape: Sequence[int]) -> np.ndarray:
    """Inverse of :func:`encode_weights`: float64 weights of ``shape`` (L, H, T, T), multiples of 1/1000."""
    if codec not in ("q1000", "q1000+zlib"):
        raise ValueError(f"codec: expected 'q1000' or 'q1000+zlib', got {codec!r}")
    raw = base64.b64decode(text)
    if codec.endswith("+zlib"):
        raw = zlib.decompress(raw)
    b = np.frombuffer(raw, dtype=np.uint8).astype(np.uint16)
    high = b >= 0x80  # the first byte of a pair
    second = np.zeros(len(b), dtype=bool)
    second[1:] = high[:-1]
    first = b[~second]
    low = np.zeros_like(first)
    pair = first >= 0x80
    if high.any():
        if high[-1]:
            raise ValueError("weights: the byte stream ends in the middle of a value")
        low[pair] = b[np.flatnonzero(high) + 1]
    q = np.where(pair, ((first & 0x7F) << 7) | low, first)
    n_expected = int(np.prod(shape))
    if q.size != n_expected:
        raise ValueError(f"weights: expected {n_expected} values for shape {tuple(shape)}, got {q.size}")
    return q.reshape(tuple(shape)).astype(np.float64) / SCALE


@dataclass
class ExplorerData:
    """One explorer read back from a page: what it shows.

    Attributes:
        element_id: the id of its root element.
        title: its title (None if none).
        tokens: the T tokens.
        weights: (L, H, T, T) float64, quantised to 3 decimals.
        roles: (L, H) head-role labels ("" where none).
        raw: the embedded JSON object.
    """

    element_id: str
    title: str | None
    tokens: list[str]
    weights: np.ndarray
    roles: list[list[str]]
    raw: dict[str, Any]


_BLOCK = re.compile(r'<script type="application/json" class="ax-data" data-for="([^"]*)">(.*?)</script>', re.S)


def read_explorer(html_or_path: str | Path) -> list[ExplorerData]:
    """Every explorer embedded in a page (a path or the HTML text), decoded, in page order."""
    text = Path(html_or_path).read_text(encoding="utf-8") if isinstance(html_or_path, Path) else html_or_path
    found = []
    for element_id, body in _BLOCK.findall(text):
        raw = json.loads(body)
        if raw.get("format") != FORMAT:
            continue
        L, H, T = raw["shape"]
        weights = decode_weights(raw["codec"], raw["weights"], (L, H, T, T))
        found.append(ExplorerData(element_id, raw.get("title"), raw["tokens"], weights, raw["roles"], raw))
    return found
