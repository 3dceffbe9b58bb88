"""Drawing a result's plot data (:class:`attnlab.results.Plot`) as a matplotlib figure.

Figures are built with ``matplotlib.figure.Figure`` directly: no pyplot, no global backend switch, so
drawing never changes a notebook user's backend. One style for every figure: the same palette in the
same order, intervals as shaded bands (lines) or error bars (bars), reference lines (trivial baselines,
published figures) dashed in grey with their label in the legend.
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.ticker import NullFormatter, ScalarFormatter

from attnlab.results import Panel, Plot, Series

__all__ = ["PALETTE", "draw_plot"]

PALETTE = ("#1f63c6", "#d1495b", "#2a9d5c", "#e09f1f", "#7a4fbf", "#00798c", "#8c564b", "#5f6b7a")
_STYLES = {"solid": "-", "dashed": "--", "dotted": ":", "points": "none"}
_REF_STYLES = ("--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)))
LEGEND_INSIDE_MAX = 4  # a line panel's legend with more entries goes below the axes, where it hides no data
_RC = {"font.size": 10, "axes.titlesize": 11, "axes.labelsize": 10, "legend.fontsize": 8.5,
       "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
       "figure.titlesize": 12.5, "figure.titleweight": "bold"}


def _finite(values: list | None) -> list[float] | None:
    if values is None:
        return None
    return [math.nan if v is None else float(v) for v in values]


def _line(ax: Any, s: Series, color: str) -> None:
    y = _finite(s.y)
    style = _STYLES.get(s.style, "-")
    marker = "o" if len(s.x) <= 24 else None
    ax.plot(s.x, y, linestyle=style, marker=marker, markersize=4, color=color, label=s.label)
    if s.lo is not None and s.hi is not None:
        ax.fill_between(s.x, _finite(s.lo), _finite(s.hi), color=color, alpha=0.18, linewidth=0)
    _notes(ax, s.x, y, s.notes, color)


def _notes(ax: Any, xs: list, ys: list[float], notes: list | None, color: str) -> None:
    for x, y, note in zip(xs, ys, notes or [], strict=False):
        if note and not math.isnan(y):
            ax.annotate(str(note), (x, y), textcoords="offset points", xytext=(0, 4), ha="center", va="bottom",
                        fontsize=7.5, color=color)


def _bars(ax: Any, panel: Panel) -> None:
    categories: list = []
    for s in panel.series:
        categories += [x for x in s.x if x not in categories]
    n = max(1, len(panel.series))
    width = 0.8 / n
    for i, s in enumerate(panel.series):
        pos = [categories.index(x) - 0.4 + width * (i + 0.5) for x in s.x]
        y = _finite(s.y)
        err = None
        if s.lo is not None and s.hi is not None:
            lo, hi = _finite(s.lo), _finite(s.hi)
            err = [[max(0.0, v - a) for v, a in zip(y, lo, strict=True)],
                   [max(0.0, b - v) for v, b in zip(y, hi, strict=True)]]
        ax.bar(pos, y, width=width * 0.92, color=PALETTE[i % len(PALETTE)], label=s.label, yerr=err,
               capsize=3, error_kw={"elinewidth": 1, "ecolor": "#333"})
        tops = [v + up for v, up in zip(y, err[1], strict=True)] if err is not None else y  # above the error bar
        _notes(ax, pos, tops, s.notes, "#333")
    ax.set_xticks(range(len(categories)))
    ax.set_xticklabels([str(c) for c in categories], rotation=0 if len(categories) <= 6 else 30,
                       ha="center" if len(categories) <= 6 else "right")
    ax.grid(axis="x", visible=False)


def _heatmap(fig: Figure, ax: Any, panel: Panel) -> None:
    h = panel.heatmap
    assert h is not None
    values = [[math.nan if v is None else float(v) for v in row] for row in h.values]
    im = ax.imshow(values, aspect="auto", cmap=h.cmap, vmin=h.vmin, vmax=h.vmax, interpolation="nearest")
    ax.grid(False)
    for labels, set_ticks, set_labels, n in ((h.col_labels, ax.set_xticks, ax.set_xticklabels, len(values[0])),
                                             (h.row_labels, ax.set_yticks, ax.set_yticklabels, len(values))):
        if labels is not None and len(labels) <= 64:
            set_ticks(range(n))
            rot = {"rotation": 90} if set_ticks == ax.set_xticks and max(len(str(t)) for t in labels) > 3 else {}
            set_labels([str(t) for t in labels], fontsize=max(5.0, min(9.0, 300.0 / max(n, 1))), **rot)
        else:
            set_ticks([])
    if h.colorbar:
        fig.colorbar(im, ax=ax, shrink=0.85)


def _scale(axis: Any, set_scale: Any, scale: str) -> None:
    if scale in ("log2", "log"):
        set_scale("log", base=2 if scale == "log2" else 10)
        axis.set_major_formatter(ScalarFormatter())  # 16, not 2^4
        axis.set_minor_formatter(NullFormatter())


def _panel(fig: Figure, ax: Any, panel: Panel) -> None:
    if panel.kind == "heatmap":
        _heatmap(fig, ax, panel)
    elif panel.kind == "bar":
        _bars(ax, panel)
    else:
        for i, s in enumerate(panel.series):
            _line(ax, s, PALETTE[i % len(PALETTE)])
        _scale(ax.xaxis, ax.set_xscale, panel.xscale)
    _scale(ax.yaxis, ax.set_yscale, panel.yscale)
    for i, ref in enumerate(panel.lines):
        draw = ax.axhline if ref.axis == "y" else ax.axvline
        # grey, and a different dash for each, so that two reference lines can be told apart
        draw(ref.value, color="#6e7781", linestyle=_REF_STYLES[i % len(_REF_STYLES)], linewidth=1.1, label=ref.label)
    if panel.ylim is not None:
        ax.set_ylim(*panel.ylim)
    ax.set_title(panel.title)
    ax.set_xlabel(panel.xlabel)
    ax.set_ylabel(panel.ylabel)
    n = len(panel.series) + len(panel.lines)
    if (panel.kind == "bar" and n) or (panel.kind == "line" and n > LEGEND_INSIDE_MAX):
        # below the axes: inside, a legend would cover the bars, or a long one the lines
        ax.legend(frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=min(n, 3))
    elif panel.kind != "heatmap" and (panel.series or panel.lines):
        ax.legend(frameon=True, framealpha=0.85, edgecolor="none", loc="best")


def draw_plot(plot: Plot) -> Figure:
    """A ``matplotlib.figure.Figure`` with one axes per panel of ``plot`` (``ncols`` per row).

    Headline figures are drawn larger. The figure is not registered with pyplot (no global state).
    """
    n = len(plot.panels)
    ncols = min(n, plot.ncols or n)
    nrows = math.ceil(n / ncols)
    width, height = (6.4, 4.4) if plot.headline and n == 1 else (4.6, 3.5)
    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width * ncols, height * nrows + (0.5 if plot.title else 0.0)), layout="constrained")
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
        for ax, panel in zip(axes, plot.panels, strict=False):
            _panel(fig, ax, panel)
        for ax in axes[n:]:
            ax.set_visible(False)
        if plot.title:
            fig.suptitle(plot.title)
    return fig
