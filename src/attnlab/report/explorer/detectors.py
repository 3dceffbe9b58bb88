"""The head detectors the explorer's model view marks on its heads, computed from the weights it shows.

Each detector of :mod:`attnlab.analysis.circuits` gives every head the attention mass it puts where a known
role would send it, averaged over the queries that have such a key: previous-token (the key just before),
duplicate-token (earlier copies of the query's own token) and induction (the token after an earlier copy;
Olsson et al. 2022). The token ids the last two compare are the token strings themselves: a tokenizer maps
equal strings to equal ids. A sentence without a repeated token has no duplicate or induction score (None).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from attnlab.analysis.circuits.detectors import DETECTORS, role_scores
from attnlab.report.explorer.data import validate_inputs

__all__ = ["DETECTOR_NAMES", "head_detectors"]

# the detectors in the explorer's words, English and Chinese
DETECTOR_NAMES = {"previous_token": ("previous-token", "前一词元"), "duplicate_token": ("duplicate-token", "重复词元"),
                  "induction": ("induction", "归纳")}


def head_detectors(tokens: Any, attentions: Any) -> dict[str, list[list[float]] | None]:
    """Every detector's score per head, ``{kind: L lists of H floats}`` (None where the sentence gives that
    detector no query to score), from T tokens and (L, H, T, T) weights (or a list of L (H, T, T))."""
    tokens, w = validate_inputs(tokens, attentions)
    codes: dict[str, int] = {}
    ids = torch.tensor([[codes.setdefault(t, len(codes)) for t in tokens]])  # (1, T): equal strings, equal ids
    patterns = [torch.from_numpy(np.ascontiguousarray(layer))[None] for layer in w]  # per layer (1, H, T, T)
    out: dict[str, list[list[float]] | None] = {}
    for kind in DETECTORS:
        try:
            scores = role_scores(patterns, kind, ids)
        except ValueError:  # no repeated token: nothing for duplicate-token or induction heads to find
            out[kind] = None
            continue
        out[kind] = scores.double().tolist()
    return out
