"""Attention maps drawn for ``attnlab inspect``: every head tiled in one image, and the mean over heads.

Built on ``matplotlib.figure.Figure`` (no pyplot, no backend switch) and saved with
:func:`attnlab.report.figures.save_figure`. Token labels stay legible up to the model's 256 tokens.

Colours are the attention explorer's (:mod:`attnlab.report.explorer`): its white-to-dark-blue ramp
indexed by √weight, on absolute weights from 0 to 1, so a PNG and the explorer show a weight in the
same colour; every map has a colour bar. Token labels in Chinese, Japanese or Korean are drawn with a
CJK font when one is installed (:mod:`attnlab.report.figures.fonts`: Debian's fonts-wqy-microhei or Noto
CJK), through matplotlib's font fallback.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import matplotlib
import torch
from matplotlib.colors import LinearSegmentedColormap, PowerNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from attnlab.report.figures.fonts import font_rc
from attnlab.report.figures.save import save_figure

__all__ = ["EXPLORER_RAMP", "attention_heatmap", "draw_attention_grid", "draw_attention_mean", "explorer_cmap",
           "explorer_norm", "has_cjk", "draw_token_attention"]

# The explorer's ramp (``RAMP`` in report/explorer/explorer.js; tests/report/test_inspect.py checks they are
# equal): evenly spaced stops from white to dark blue, indexed by sqrt(weight).
EXPLORER_RAMP = ((255, 255, 255), (222, 235, 247), (158, 202, 225), (66, 146, 198), (8, 81, 156), (8, 38, 84))
_GAP = "#d1d9e0"  # the gaps between tiled heads (white is a zero weight), the explorer's border grey
_TICKS = (0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0)


def explorer_cmap() -> LinearSegmentedColormap:
    """The explorer's colour ramp as a matplotlib colormap (use it with :func:`explorer_norm`)."""
    cmap = LinearSegmentedColormap.from_list("attnlab_explorer", [tuple(c / 255 for c in rgb) for rgb in EXPLORER_RAMP])
    return cmap.with_extremes(bad=_GAP)


def explorer_norm() -> PowerNorm:
    """Weight -> position on the ramp as in the explorer: sqrt(weight), weights 0..1."""
    return PowerNorm(gamma=0.5, vmin=0.0, vmax=1.0, clip=True)


def has_cjk(text: str) -> bool:
    """Whether ``text`` holds a CJK ideograph, kana, hangul or full-width form."""
    return any("\u2e80" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" or "\uf900" <= ch <= "\ufaff"
               or "\uff00" <= ch <= "\uffef" for ch in text)


@contextlib.contextmanager
def _fonts() -> Iterator[None]:
    """Draw and save with DejaVu Sans falling back to the CJK font; without one, CJK glyphs draw as boxes
    (the caller says so once, instead of matplotlib's warning per glyph)."""
    with matplotlib.rc_context(font_rc()), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph .* missing from", category=UserWarning)
        yield


def _colorbar(fig: Figure, image: Any, label: str, *, cax: Any = None, ax: Any = None) -> None:
    """A colour bar in ``cax``, or beside ``ax``, with readable ticks on the √weight scale."""
    bar = fig.colorbar(image, cax=cax) if cax is not None else fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_ticks(list(_TICKS))
    bar.set_ticklabels([f"{t:g}" for t in _TICKS])
    bar.ax.tick_params(labelsize=8)
    bar.set_label(label, fontsize=8)


def attention_heatmap(ax: Any, weights: torch.Tensor, tokens: Sequence[str] | None = None, *,
                      title: str = "", label_limit: int = 48, fontsize: float | None = None) -> Any:
    """Draw one (Tq, Tk) attention map in the explorer's colours; token labels are shown when
    T <= ``label_limit``. Returns the image (for a colour bar)."""
    w = weights.detach().float().cpu().numpy()
    image = ax.imshow(w, cmap=explorer_cmap(), norm=explorer_norm(), aspect="equal", interpolation="nearest")
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
    return image


def _mosaic(weights: torch.Tensor, heads: list[tuple[int, int]], n_tokens: int,
            max_cell: int = 64) -> tuple[torch.Tensor, int, int]:
    """All selected heads tiled into one image (rows: layers, columns: heads), NaN gaps between.

    Maps longer than ``max_cell`` tokens are average-pooled to ``max_cell`` x ``max_cell`` (an overview;
    the per-token view is the mean map and the explorer). Weights stay absolute, as in the explorer.
    Returns (image, cell, gap).
    """
    layers = sorted({l for l, _ in heads})
    cols = sorted({h for _, h in heads})
    cell = min(n_tokens, max_cell)
    gap = max(1, cell // 8)
    img = torch.full((len(layers) * (cell + gap) - gap, len(cols) * (cell + gap) - gap), float("nan"))
    for r, l in enumerate(layers):
        for c, h in enumerate(cols):
            w = weights[l, h].float()  # (T, T)
            if cell < n_tokens:
                w = torch.nn.functional.adaptive_avg_pool2d(w[None, None], cell)[0, 0]  # (cell, cell)
            img[r * (cell + gap): r * (cell + gap) + cell, c * (cell + gap): c * (cell + gap) + cell] = w
    return img, cell, gap


def _label_size(t: int) -> float:
    return max(3.5, min(9.0, 260.0 / max(t, 1)))


_BAR = 1.3  # inches right of a map for its colour bar and the bar's labels


def _big_axes(tokens: list[str]) -> tuple[Figure, Any, Any]:
    """A square heatmap axes sized for T token labels, with margins computed from the longest label
    (no tight-bbox pass: laying out hundreds of labels twice is slow), and a colour bar axes to its right."""
    t = len(tokens)
    side = min(3.0 + 0.11 * t, 30.0)
    margin = 0.4 + max((len(x) for x in tokens), default=1) * _label_size(t) * 0.62 / 72  # inches
    fig = Figure(figsize=(side + margin + _BAR, side + margin + 0.6))
    w, h = fig.get_size_inches()
    ax = fig.add_axes((margin / w, margin / h, side / w, side / h))
    bar_h = min(side, 4.0)
    cax = fig.add_axes(((margin + side + 0.2) / w, (margin + side - bar_h) / h, 0.15 / w, bar_h / h))
    return fig, ax, cax


def draw_attention_grid(weights: torch.Tensor, tokens: list[str], heads: list[tuple[int, int]],
                        out_dir: str | Path) -> list[str]:
    """``attention_grid.png/.svg``: one map per selected (layer, head) of ``weights`` (L, H, T, T)."""
    t = len(tokens)
    with _fonts():
        if len(heads) == 1:
            l, h = heads[0]
            fig, ax, cax = _big_axes(tokens)
            image = attention_heatmap(ax, weights[l, h], tokens, title=f"layer {l + 1} head {h + 1}", label_limit=256,
                                      fontsize=_label_size(t))
            _colorbar(fig, image, "attention weight (colour: √weight, as in the explorer)", cax=cax)
            return save_figure(fig, out_dir, "attention_grid", tight=False)
        img, cell, gap = _mosaic(weights, heads, t)
        layers = sorted({l for l, _ in heads})
        cols = sorted({h for _, h in heads})
        width = min(1.1 * len(cols) + 1.0, 20.0)
        height = max(width * img.shape[0] / img.shape[1], 1.5)
        fig = Figure(figsize=(width + _BAR, height + 0.6))
        ax = fig.add_subplot()
        image = ax.imshow(img.numpy(), cmap=explorer_cmap(), norm=explorer_norm(), interpolation="nearest",
                          aspect="equal")
        ax.set_xticks([c * (cell + gap) + (cell - 1) / 2 for c in range(len(cols))])
        ax.set_xticklabels([f"H{h + 1}" for h in cols], fontsize=8)
        ax.set_yticks([r * (cell + gap) + (cell - 1) / 2 for r in range(len(layers))])
        ax.set_yticklabels([f"L{l + 1}" for l in layers], fontsize=8)
        pooled = f", pooled to {cell}x{cell}" if cell < t else ""
        ax.set_title(f"attention per head ({t} tokens{pooled}; rows: queries, columns: keys)", fontsize=9)
        what = "mean weight in a pooled cell" if cell < t else "attention weight"
        _colorbar(fig, image, f"{what} (colour: √weight)", ax=ax)
        return save_figure(fig, out_dir, "attention_grid")


def draw_attention_mean(weights: torch.Tensor, tokens: list[str], heads: list[tuple[int, int]],
                        out_dir: str | Path) -> list[str]:
    """``attention_mean.png/.svg``: the mean map over the selected heads, with token labels and a colour bar."""
    t = len(tokens)
    idx_l = torch.tensor([l for l, _ in heads])
    idx_h = torch.tensor([h for _, h in heads])
    mean = weights[idx_l, idx_h].mean(0)  # (T, T)
    with _fonts():
        fig, ax, cax = _big_axes(tokens)
        image = attention_heatmap(ax, mean, tokens, label_limit=256, fontsize=_label_size(t))
        what = "all heads" if len(heads) > 1 else f"layer {heads[0][0] + 1} head {heads[0][1] + 1}"
        ax.set_title(f"mean attention, {what} (rows: queries, columns: keys)", fontsize=10)
        _colorbar(fig, image, "attention weight (colour: √weight, as in the explorer)", cax=cax)
        return save_figure(fig, out_dir, "attention_mean", tight=False)


def draw_token_attention(weights: torch.Tensor, tokens: list[str], layer: int, heads: list[int], query: int,
                         out_dir: str | Path) -> list[str]:
    """``token_attention.png/.svg``: the tokens of ``weights`` (L, H, T, T) shaded by the attention that token
    ``query`` gives them in ``layer``, averaged over ``heads`` (the explorer's coloured tokens), in rows."""
    row = weights[layer, heads, query].mean(0)  # (T,)
    cmap, norm = explorer_cmap(), explorer_norm()
    per_line = 12
    lines = (len(tokens) + per_line - 1) // per_line
    with _fonts():
        fig = Figure(figsize=(9.0, 0.9 + 0.42 * lines))
        ax = fig.add_axes((0.01, 0.02, 0.98, 0.96 - 0.55 / fig.get_figheight()))
        ax.set_xlim(0, per_line)
        ax.set_ylim(lines, 0)
        ax.axis("off")
        for i, (tok, w) in enumerate(zip(tokens, row.tolist(), strict=True)):
            y, x = divmod(i, per_line)
            ax.add_patch(Rectangle((x + 0.03, y + 0.1), 0.94, 0.8, color=cmap(norm(w))))
            ink = "white" if w > 0.3 else "#1f2328"
            weight = "bold" if i == query else "normal"
            ax.text(x + 0.5, y + 0.5, tok if len(tok) <= 10 else tok[:9] + "…", ha="center", va="center",
                    fontsize=8, color=ink, fontweight=weight)
        heads_text = "all heads" if len(heads) == weights.shape[1] else "heads " + ", ".join(str(h + 1) for h in heads)
        fig.suptitle(f"where token {query + 1} ({tokens[query]!r}) attends: layer {layer + 1}, mean of {heads_text} "
                     "(colour: √weight)", fontsize=9, y=0.99)
        return save_figure(fig, out_dir, "token_attention", tight=False)
