"""Activation patching (Vig et al. 2020; Meng et al. 2022; Wang et al. 2023's IOI circuit): run a corrupted
input with one activation taken from the clean run, and measure how much of the clean behaviour returns.

.. math::  \\mathrm{recovered} = \\frac{m(\\text{patched}) - m(\\text{corrupt})}{m(\\text{clean}) - m(\\text{corrupt})}

with ``metric`` m a number per example, typically a logit difference (correct minus wrong answer), averaged
over the batch before the ratio. 1: that activation alone restores the clean behaviour; 0: it carries none.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from attnlab.analysis.attribution.points import check_model, layer_names

__all__ = ["logit_difference", "patch_heads", "patch_positions"]

Metric = Callable[[Any], Tensor]


def logit_difference(correct: int, wrong: int, position: int = -1) -> Metric:
    """The metric ``logits[:, position, correct] - logits[:, position, wrong]`` of a model's output."""
    return lambda out: out.logits[:, position, correct] - out.logits[:, position, wrong]


def _check_pair(clean: Tensor, corrupt: Tensor) -> None:
    for name, x in (("clean", clean), ("corrupt", corrupt)):
        if not isinstance(x, Tensor) or x.dim() != 2:
            raise ValueError(f"{name}: expected token ids (B, T), got {x!r:.60}")
    if clean.shape != corrupt.shape:
        raise ValueError(f"corrupt: expected the clean input's shape {tuple(clean.shape)}, got {tuple(corrupt.shape)}")


@torch.no_grad()
def _patched(model: Any, clean: Tensor, corrupt: Tensor, metric: Metric, names: list[str],
             edits: Callable[[Tensor, Tensor], list[Tensor]], **kw: Any) -> tuple[list[list[float]], float, float]:
    """Recovered fraction for each point in ``names`` and each patch ``edits(clean_act, corrupt_act)``
    returns; also m(clean) and m(corrupt)."""
    check_model(model)
    _check_pair(clean, corrupt)
    if not callable(metric):
        raise TypeError(f"metric: expected a callable output -> (B,) tensor, got {type(metric).__name__}")
    out, clean_cache = model.run_with_cache(clean, names=names, **kw)
    m_clean = float(metric(out).mean())
    out, corrupt_cache = model.run_with_cache(corrupt, names=names, **kw)
    m_corrupt = float(metric(out).mean())
    gap = m_clean - m_corrupt
    if gap == 0.0:
        raise ValueError("metric: expected the clean and corrupted inputs to differ in the metric, got equal values")
    table = []
    for name in names:
        row = []
        for patched in edits(clean_cache[name], corrupt_cache[name]):
            with model.hooks({name: lambda t, n, p=patched: p}):
                row.append((float(metric(model(corrupt, **kw)).mean()) - m_corrupt) / gap)
        table.append(row)
    return table, m_clean, m_corrupt


def _one_slice_each(clean: Tensor, corrupt: Tensor) -> list[Tensor]:
    """For each index k of dim 1 (a head of z (B, H, T, D), a position of the stream (B, T, C)): the
    corrupted activation with slice k clean."""
    patches = []
    for k in range(corrupt.shape[1]):
        p = corrupt.clone()
        p[:, k] = clean[:, k]
        patches.append(p)
    return patches


def patch_heads(model: Any, clean: Tensor, corrupt: Tensor, metric: Metric, **kw: Any) -> Tensor:
    """Recovered fraction when head h of layer l takes its clean output ``z``: (L, H)."""
    table, _, _ = _patched(model, clean, corrupt, metric, layer_names(model, "z"), _one_slice_each, **kw)
    return torch.tensor(table)


def patch_positions(model: Any, clean: Tensor, corrupt: Tensor, metric: Metric, *, point: str = "resid_pre",
                    **kw: Any) -> Tensor:
    """Recovered fraction when position t of ``blocks.{l}.{point}`` (a residual stream point, (B, T, C))
    takes its clean value: (L, T)."""
    check_model(model)
    if point not in ("resid_pre", "resid_mid", "resid_post"):
        raise ValueError(f"point: expected 'resid_pre', 'resid_mid' or 'resid_post', got {point!r}")
    names = sorted((n for n in model.hook_names() if n.startswith("blocks.") and n.endswith(f".{point}")),
                   key=lambda n: int(n.split(".")[1]))
    table, _, _ = _patched(model, clean, corrupt, metric, names, _one_slice_each, **kw)
    return torch.tensor(table)
