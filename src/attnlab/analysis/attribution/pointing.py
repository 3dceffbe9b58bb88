"""The pointing game: does an attribution put its largest score on the token known to decide the output?

Zhang et al. 2016 ("Top-down Neural Attention by Excitation Backprop") score a saliency map by whether its
maximum falls on the annotated object; here the "object" is a token whose role is known by construction (the
polar word of a synthetic sentiment task, say), and every method of :data:`~.agreement.METHODS` and the
leave-one-out :func:`~.erasure.erasure` itself are scored the same way. Importance is read as magnitude, as in
:func:`~.agreement.attribution_agreement`.

A pointer that picks one of the T compared positions uniformly at random hits with probability exactly 1 / T:
the chance rate every hit rate stands beside.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from attnlab.analysis.attribution.agreement import METHODS, token_scores
from attnlab.analysis.attribution.erasure import erasure
from attnlab.analysis.attribution.points import Target, check_model

__all__ = ["REFERENCE", "pointing_game"]

REFERENCE = "erasure"  # the key of leave-one-out erasure's own hits in the result


def pointing_game(model: Any, inputs: Tensor, positions: Tensor, *, target: Target,
                  methods: Sequence[str] = METHODS, row: int | None = None) -> dict[str, list[bool]]:
    """Per method, for each example whether its largest-magnitude token score sits at ``positions``.

    Args:
        model: an attnlab model with hook points.
        inputs: (N, T) long token ids, one example per row (scored one at a time, so lengths need not match
            what a batch would pad to).
        positions: (N,) long, the position of each example's deciding token.
        target: output -> (B,) the number to explain (e.g. a logit difference).
        methods: a subset of :data:`~.agreement.METHODS`; erasure's hits are added under :data:`REFERENCE`.
        row: the query row the maps are read at (None: the mean over rows, as for mean pooling).

    Returns:
        ``{method: [hit of example 0, hit of example 1, ...]}``, methods first, then ``"erasure"``.
    """
    check_model(model)
    if not isinstance(inputs, Tensor) or inputs.dim() != 2 or inputs.dtype != torch.long:
        got = f"{tuple(inputs.shape)} {inputs.dtype}" if isinstance(inputs, Tensor) else type(inputs).__name__
        raise ValueError(f"inputs: expected an (N, T) long tensor, got {got}")
    if not isinstance(positions, Tensor) or positions.shape != (inputs.shape[0],):
        got = tuple(positions.shape) if isinstance(positions, Tensor) else type(positions).__name__
        raise ValueError(f"positions: expected a ({inputs.shape[0]},) tensor of positions, got {got}")
    if bool(((positions < 0) | (positions >= inputs.shape[1])).any()):
        raise ValueError(f"positions: expected values in [0, {inputs.shape[1]}), got {positions.tolist()}")
    hits: dict[str, list[bool]] = {m: [] for m in (*methods, REFERENCE)}
    for i in range(inputs.shape[0]):
        ids = inputs[i:i + 1]
        scores = token_scores(model, ids, target=target, methods=methods, row=row)
        scores[REFERENCE] = erasure(model, ids, target=target)[0].double().cpu()
        for m, s in scores.items():
            hits[m].append(int(s.abs().argmax()) == int(positions[i]))
    return hits
