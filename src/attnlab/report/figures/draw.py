"""Drawing a result's plot data (:class:`attnlab.results.Plot`) as a matplotlib figure.

Figures are built with ``matplotlib.figure.Figure`` directly: no pyplot, no global backend switch, so
drawing never changes a notebook user's backend. One style for every figure, made to be read where the
report shows it, one figure per row at full width:

- every figure is :data:`FIG_WIDTH` inches wide, so text has the same size in every figure on the page;
- one colour per condition across the report (:mod:`attnlab.report.figures.colors`), the same in every panel;
- lines that all reach the right edge are labelled directly there, in their colour (labels pushed apart
  where lines end close together); every other key goes into one legend below the panels, where it
  covers no data and squeezes no panel;
- log axes carry at least three readable tick labels (16, 0.001, 10k, 3×10⁻⁵), never an offset or a
  ``1e6`` multiplier;
- intervals are shaded bands (lines) or error bars (bars); reference lines (trivial baselines, published
  figures) are grey, each with its own dash.

The parts live apart: the style and text measure in :mod:`~attnlab.report.figures.style`, the series in
:mod:`~attnlab.report.figures.series`, direct labels and legend columns in
:mod:`~attnlab.report.figures.labels`, ticks in :mod:`~attnlab.report.figures.ticks`; this module lays
out the panels and puts them together.
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from attnlab.report.figures.colors import PALETTE, REFERENCE, figure_colors
from attnlab.report.figures.fonts import font_rc
from attnlab.report.figures.labels import label_directly, labels_fit_at_end, last_point, legend_columns
from attnlab.report.figures.series import Keys, draw_bars, draw_heatmap, draw_line, numbers
from attnlab.report.figures.style import FIG_WIDTH, RC, fit_text
from attnlab.report.figures.ticks import scale_base, set_linear, set_log, tick_text
from attnlab.results import Panel, Plot, Series

__all__ = ["FIG_WIDTH", "PALETTE", "draw_plot", "tick_text"]

_REF_STYLES = ("--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)))


def _panel(fig: Figure, ax: Any, panel: Panel, colors: dict[str, str], ref_styles: dict[str, Any], keys: Keys,
           panel_width: float, axes_height: float, lang: str = "en") -> None:
    lines: list[tuple[Series, Line2D]] = []
    if panel.kind == "heatmap":
        draw_heatmap(fig, ax, panel)
    elif panel.kind == "bar":  # less the y axis' labels; the categories named in the figure's language
        draw_bars(ax, panel, colors, keys, panel_width - 0.8, panel.categories_zh if lang == "zh" else None)
    else:
        for s in panel.series:
            lines.append((s, draw_line(ax, s, colors[s.label])))
    refs = []
    for r in panel.lines:
        draw = ax.axhline if r.axis == "y" else ax.axvline
        # grey, and a different dash for each, so that two reference lines can be told apart
        refs.append((r, draw(r.value, color=REFERENCE, linestyle=ref_styles[r.label], linewidth=1.2, label=r.label)))
    if panel.kind != "heatmap":
        scales = (("x", panel.xscale if panel.kind == "line" else "linear"), ("y", panel.yscale))
        for which, scale in scales:
            base = scale_base(scale)
            if base is not None:
                (ax.set_xscale if which == "x" else ax.set_yscale)("log", base=base)
        if panel.ylim is not None:
            ax.set_ylim(*panel.ylim)
        for which, scale in scales:  # ticks last: they depend on the final limits
            base = scale_base(scale)
            if base is not None:
                set_log(ax, which, base)
            elif not (which == "x" and panel.kind == "bar"):
                set_linear(ax, which, [v for s in panel.series for v in numbers(s.x if which == "x" else s.y)])
    ax.set_title(fit_text(panel.title, panel_width * 0.9, RC["axes.titlesize"]))
    ax.set_xlabel(fit_text(panel.xlabel, panel_width * 0.8, RC["axes.labelsize"]))
    ax.set_ylabel(fit_text(panel.ylabel, axes_height * 1.05, RC["axes.labelsize"], max_lines=2))
    if panel.kind != "line":
        for r, handle in refs:
            keys.add(handle, r.label)
        return
    if labels_fit_at_end(panel, panel_width):
        items = []
        for s, _ in lines:
            end = last_point(s)
            assert end is not None
            items.append((s.label, colors[s.label], end[0], end[1]))
        right = max(v for s in panel.series for v in numbers(s.x))
        items += [(r.label, REFERENCE, right, float(r.value)) for r in panel.lines]
        label_directly(ax, items, axes_height)
    else:
        for s, handle in lines:
            keys.add(handle, s.label)
        for r, handle in refs:
            keys.add(handle, r.label)


def _layout(plot: Plot) -> tuple[int, int, float]:
    """Columns, rows and the height of one row (inches) for ``plot`` drawn :data:`FIG_WIDTH` wide."""
    n = len(plot.panels)
    ncols = min(n, plot.ncols or (n if n <= 3 else 2))
    nrows = math.ceil(n / ncols)
    panel_width = FIG_WIDTH / ncols
    row = {1: 4.6, 2: 3.9 if nrows == 1 else 3.4, 3: 3.6}.get(ncols, 3.3) if not (plot.headline and n == 1) else 5.0
    return ncols, nrows, min(row, max(3.0, panel_width * 0.95))


def draw_plot(plot: Plot, lang: str = "en") -> Figure:
    """A ``matplotlib.figure.Figure`` :data:`FIG_WIDTH` inches wide, one axes per panel of ``plot``.

    Panels are laid out ``plot.ncols`` per row (default: up to three in a row, four as two by two); one
    legend holds every key not written beside its line, in an empty cell of the grid or else below. The
    figure is not registered with pyplot (no global state). ``lang="zh"``: the figure's text in Chinese where
    the plot gives it (:meth:`~attnlab.results.Plot.in_zh`), each line in the colour it has in English.
    """
    if lang not in ("en", "zh"):
        raise ValueError(f"lang: expected 'en' or 'zh', got {lang!r}")
    n = len(plot.panels)
    ncols, nrows, row_height = _layout(plot)
    colors = figure_colors([[(s.label, s.style if p.kind == "line" else "bar") for s in p.series]
                            for p in plot.panels])
    if lang == "zh":  # colours follow the conditions, named in English
        zh = {s.label: s.label_zh or s.label for p in plot.panels for s in p.series}
        colors = {zh.get(label, label): c for label, c in colors.items()}
        plot = plot.in_zh()
    ref_styles: dict[str, Any] = {}
    for p in plot.panels:
        for r in p.lines:
            ref_styles.setdefault(r.label, _REF_STYLES[len(ref_styles) % len(_REF_STYLES)])
    keys = Keys()
    with matplotlib.rc_context({**RC, **font_rc()}):
        height = row_height * nrows + (0.45 if plot.title else 0.0)
        fig = Figure(figsize=(FIG_WIDTH, height), layout="constrained")
        fig.get_layout_engine().set(w_pad=0.06, h_pad=0.06, wspace=0.06, hspace=0.08)
        axes = fig.subplots(nrows, ncols, squeeze=False).ravel().tolist()
        for ax, panel in zip(axes, plot.panels, strict=False):
            _panel(fig, ax, panel, colors, ref_styles, keys, FIG_WIDTH / ncols, row_height * 0.68, lang)
        for ax in axes[n:]:
            ax.set_visible(False)
        if plot.title:
            fig.suptitle(fit_text(plot.title, FIG_WIDTH * 0.95, RC["figure.titlesize"], max_lines=2))
        if keys.labels and n < len(axes):  # an empty cell in the grid: the legend goes there
            cell = axes[n]
            cell.set_visible(True)
            cell.axis("off")
            cell.legend(keys.handles, keys.labels, loc="center", frameon=False, handlelength=2.2,
                        ncol=legend_columns(keys.labels, FIG_WIDTH / ncols))
        elif keys.labels:
            ncol = legend_columns(keys.labels, FIG_WIDTH)
            fig.set_figheight(height + 0.28 * math.ceil(len(keys.labels) / ncol) + 0.15)
            fig.legend(keys.handles, keys.labels, loc="outside lower center", ncol=ncol, frameon=False,
                       handlelength=2.2, columnspacing=1.6)
    return fig
