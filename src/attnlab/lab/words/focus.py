"""The view of an attention map that answers its caption, and that answer as one line, en and zh.

A question that shows a model's attention (:class:`~attnlab.results.AttentionMap`) picks the layer, head and
query token the explorer opens on from the weights themselves, read as the explorer shows them (3 decimals),
and states what that view shows with these words. Layers and heads are numbered from 1, as the figures and
the explorer number them; a token that occurs more than once carries its position (``'the#6'``), as the
explorer's readout names it. Chinese quotes a token in “”, the only English a Chinese answer holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from attnlab.lab.words.numerals import _lang

__all__ = ["find", "head", "shown", "strongest", "token"]


def shown(weights: Any) -> np.ndarray:
    """(L, H, T, T) weights as the result stores them and the explorer shows them: 3 decimals."""
    from attnlab.results import AttentionMap

    return np.asarray(AttentionMap("", [], weights).to_dict()["weights"], dtype=float)


def strongest(score: np.ndarray) -> tuple[int, int]:
    """(layer, head), 0-based, of the largest value of an (L, H) score (the first one on a tie)."""
    l, h = np.unravel_index(int(np.argmax(score)), np.shape(score))
    return int(l), int(h)


def find(tokens: Sequence[str], word: str) -> int | None:
    """The index of the first token equal to ``word`` (ignoring case), or None."""
    return next((i for i, t in enumerate(tokens) if t.lower() == word.lower()), None)


def head(layer: int, h: int, lang: str) -> str:
    """``"Layer 3, head 7"`` / ``"第 3 层第 7 个头"`` for the 0-based ``(2, 6)``."""
    return f"Layer {layer + 1}, head {h + 1}" if _lang(lang) == "en" else f"第 {layer + 1} 层第 {h + 1} 个头"


def token(tokens: Sequence[str], i: int, lang: str) -> str:
    """Token ``i`` as the explorer names it, quoted: ``'it'`` / ``“it”``, ``'the#6'`` when ``"the"`` occurs
    twice; a special token such as ``[CLS]`` stands as it is."""
    t = tokens[i]
    name = f"{t}#{i + 1}" if list(tokens).count(t) > 1 else t
    if t.startswith("[") and t.endswith("]"):
        return name
    return f"'{name}'" if _lang(lang) == "en" else f"“{name}”"
