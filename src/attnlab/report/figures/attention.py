"""Attention maps drawn for ``attnlab inspect``: every head tiled in one image, and the mean over heads.

Built on ``matplotlib.figure.Figure`` (no pyplot, no backend switch) and saved with
:func:`attnlab.report.figures.save_figure`. Token labels stay legible up to the model's 256 tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
import torch
from matplotlib.figure import Figure

from attnlab.report.figures.save import save_figure

__all__ = ["attention_heatmap", "draw_attention_grid", "draw_attention_mean"]


def attention_heatmap(ax: Any, weights: torch.Tensor, tokens: Sequence[str] | None = None, *,
                      title: str = "", label_limit: int = 48, fontsize: float | None = None) -> None:
    """Draw one (Tq, Tk) attention map; token labels are shown when T <= ``label_limit``."""
    w = weights.detach().float().cpu().numpy()
    ax.imshow(w, cmap="viridis", vmin=0.0, vmax=max(float(w.max()), 1e-6), aspect="equal", interpolation="nearest")
    t = w.shape[-1]
    if tokens is not None and label_limit >= t:
        size = fontsize if fontsize is not None else max(4.0, min(9.0, 260.0 / max(t, 1)))
        ax.set_xticks(range(t))
        ax.set_yticks(range(t))
        ax.set_xticklabels(tokens, rotation=90, fontsize=size)
        ax.set_yticklabels(tokens, fontsize=size)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=8)


def _mosaic(weights: torch.Tensor, heads: list[tuple[int, int]], n_tokens: int,
            max_cell: int = 64) -> tuple[torch.Tensor, int, int]:
    """All selected heads tiled into one image (rows: layers, columns: heads), NaN gaps between.

    Maps longer than ``max_cell`` tokens are average-pooled to ``max_cell`` x ``max_cell`` (an overview;
    the per-token view is the mean map and the explorer). Returns (image, cell, gap).
    """
    layers = sorted({l for l, _ in heads})
    cols = sorted({h for _, h in heads})
    cell = min(n_tokens, max_cell)
    gap = max(1, cell // 8)
    img = torch.full((len(layers) * (cell + gap) - gap, len(cols) * (cell + gap) - gap), float("nan"))
    for r, l in enumerate(layers):
        for c, h in enumerate(cols):
            w = weights[l, h]  # (T, T)
            if cell < n_tokens:
                w = torch.nn.functional.adaptive_avg_pool2d(w[None, None], cell)[0, 0]  # (cell, cell)
            img[r * (cell + gap): r * (cell + gap) + cell, c * (cell + gap): c * (cell + gap) + cell] = (
                w / w.max().clamp_min(1e-9))
    return img, cell, gap


def _label_size(t: int) -> float:
    return max(3.5, min(9.0, 260.0 / max(t, 1)))


def _big_axes(tokens: list[str]) -> tuple[Figure, Any]:
    """A square heatmap axes sized for T token labels, with margins computed from the longest label
    (no tight-bbox pass: laying out hundreds of labels twice is slow)."""
    t = len(tokens)
    side = min(3.0 + 0.11 * t, 30.0)
    margin = 0.4 + max((len(x) for x in tokens), default=1) * _label_size(t) * 0.62 / 72  # inches
    fig = Figure(figsize=(side + margin + 0.3, side + margin + 0.6))
    w, h = fig.get_size_inches()
    ax = fig.add_axes((margin / w, margin / h, side / w, side / h))
    return fig, ax


def draw_attention_grid(weights: torch.Tensor, tokens: list[str], heads: list[tuple[int, int]],
                        out_dir: str | Path) -> list[str]:
    """``attention_grid.png/.svg``: one map per selected (layer, head) of ``weights`` (L, H, T, T)."""
    t = len(tokens)
    if len(heads) == 1:
        l, h = heads[0]
        fig, ax = _big_axes(tokens)
        attention_heatmap(ax, weights[l, h], tokens, title=f"layer {l} head {h}", label_limit=256,
                          fontsize=_label_size(t))
        return save_figure(fig, out_dir, "attention_grid", tight=False)
    img, cell, gap = _mosaic(weights, heads, t)
    layers = sorted({l for l, _ in heads})
    cols = sorted({h for _, h in heads})
    width = min(1.1 * len(cols) + 1.0, 20.0)
    height = max(width * img.shape[0] / img.shape[1], 1.5)
    fig = Figure(figsize=(width, height + 0.6))
    ax = fig.add_subplot()
    cmap = matplotlib.colormaps["viridis"].with_extremes(bad="white")
    ax.imshow(img.numpy(), cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest", aspect="equal")
    ax.set_xticks([c * (cell + gap) + (cell - 1) / 2 for c in range(len(cols))])
    ax.set_xticklabels([f"H{h}" for h in cols], fontsize=8)
    ax.set_yticks([r * (cell + gap) + (cell - 1) / 2 for r in range(len(layers))])
    ax.set_yticklabels([f"L{l}" for l in layers], fontsize=8)
    pooled = f", pooled to {cell}x{cell}" if cell < t else ""
    ax.set_title(f"attention per head ({t} tokens{pooled}; rows: queries, columns: keys; each head scaled to "
                 "its max)", fontsize=9)
    return save_figure(fig, out_dir, "attention_grid")


def draw_attention_mean(weights: torch.Tensor, tokens: list[str], heads: list[tuple[int, int]],
                        out_dir: str | Path) -> list[str]:
    """``attention_mean.png/.svg``: the mean map over the selected heads, with token labels."""
    t = len(tokens)
    idx_l = torch.tensor([l for l, _ in heads])
    idx_h = torch.tensor([h for _, h in heads])
    mean = weights[idx_l, idx_h].mean(0)  # (T, T)
    fig, ax = _big_axes(tokens)
    attention_heatmap(ax, mean, tokens, label_limit=256, fontsize=_label_size(t))
    what = "all heads" if len(heads) > 1 else f"layer {heads[0][0]} head {heads[0][1]}"
    ax.set_title(f"mean attention, {what}", fontsize=10)
    return save_figure(fig, out_dir, "attention_mean", tight=False)
