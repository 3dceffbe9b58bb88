"""Drawing a panel's series: lines with shaded intervals, bars with error bars, heatmaps, and their notes.

One colour per condition across the report (:mod:`attnlab.report.figures.colors`), the same in every
panel; each series' key goes into the figure's :class:`Keys` unless its line is labelled directly.
"""

from __future__ import annotations

import math
from typing import Any

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from attnlab.report.figures.colors import known_color
from attnlab.report.figures.style import RC, fit_text, text_inches
from attnlab.results import Panel, Series

__all__ = ["Keys", "draw_bars", "draw_heatmap", "draw_line", "finite", "numbers"]

_LINE_STYLES = {"solid": "-", "dashed": "--", "dotted": ":", "points": "none"}


def finite(values: list | None) -> list[float] | None:
    if values is None:
        return None
    return [math.nan if v is None else float(v) for v in values]


def numbers(values: list) -> list[float]:
    out = []
    for v in values:
        try:
            out.append(float(v))
        except (TypeError, ValueError):
            continue
    return [v for v in out if math.isfinite(v)]


class Keys:
    """The figure's legend entries, each label once (a label has one colour and style in the whole figure)."""

    def __init__(self) -> None:
        self.handles: list[Any] = []
        self.labels: list[str] = []

    def add(self, handle: Any, label: str) -> None:
        if label and label not in self.labels:
            self.handles.append(handle)
            self.labels.append(label)


def draw_line(ax: Any, s: Series, color: str) -> Line2D:
    y = finite(s.y)
    style = _LINE_STYLES.get(s.style, "-")
    marker = "o" if len(s.x) <= 24 or s.style == "points" else None
    (line,) = ax.plot(s.x, y, linestyle=style, marker=marker, markersize=4.5 if s.style == "points" else 4,
                      color=color, label=s.label, linewidth=1.8)
    if s.lo is not None and s.hi is not None:
        ax.fill_between(s.x, finite(s.lo), finite(s.hi), color=color, alpha=0.16, linewidth=0)
    _notes(ax, s.x, y, s.notes, color)
    return line


def _fit_note(note: str, room: float | None) -> tuple[str, float]:
    """``note`` and a font size that fit ``room`` inches (a bar's width; None: any width): as it is at 8 pt,
    else on two lines, else on two lines at 6.5 pt, so that the notes of neighbouring bars do not overlap."""
    if room is None or text_inches(note, 8) <= room or " " not in note:
        return note, 8.0
    two = note.replace(" ", "\n", 1)
    widest = max(text_inches(line, 8) for line in two.split("\n"))
    return two, 8.0 if widest <= room else 6.5


def _notes(ax: Any, xs: list, ys: list[float], notes: list | None, color: str, room: float | None = None) -> None:
    for x, y, note in zip(xs, ys, notes or [], strict=False):
        if note and not math.isnan(y):
            text, size = _fit_note(str(note), room)
            ax.annotate(text, (x, y), textcoords="offset points", xytext=(0, 4), ha="center", va="bottom",
                        fontsize=size, color=color, linespacing=1.0)


def _wrap_categories(categories: list[str], slot_inches: float) -> tuple[list[str], float]:
    """Category labels that fit their slot: as they are, else on two lines, else rotated (labels, rotation)."""
    size = RC["xtick.labelsize"]
    room = slot_inches * 0.85
    fitted = [fit_text(c, room, size, max_lines=2) for c in categories]
    if all(max(text_inches(line, size) for line in f.split("\n")) <= room for f in fitted):
        return fitted, 0.0
    return categories, 30.0


def draw_bars(ax: Any, panel: Panel, colors: dict[str, str], keys: Keys, slot_width: float,
              names: dict[str, str] | None = None) -> None:
    """Grouped bars, one group per category (the series' x), written under the bars as ``names`` gives them
    (a category missing there keeps its own name; colours follow the categories themselves)."""
    names = names or {}
    categories: list = []
    for s in panel.series:
        categories += [x for x in s.x if x not in categories]
    n = max(1, len(panel.series))
    width = 0.8 / n
    # one series over conditions (dot, additive, ...): each bar in its condition's colour
    by_category = n == 1 and all(known_color(str(c)) for c in categories) and len(categories) > 1
    for i, s in enumerate(panel.series):
        pos = [categories.index(x) - 0.4 + width * (i + 0.5) for x in s.x]
        y = finite(s.y)
        err = None
        if s.lo is not None and s.hi is not None:
            lo, hi = finite(s.lo), finite(s.hi)
            err = [[max(0.0, v - a) for v, a in zip(y, lo, strict=True)],
                   [max(0.0, b - v) for v, b in zip(y, hi, strict=True)]]
        color = [known_color(str(x)) for x in s.x] if by_category else colors[s.label]
        ax.bar(pos, y, width=width * 0.92, color=color, label=s.label, yerr=err,
               capsize=3, error_kw={"elinewidth": 1, "ecolor": "#333"})
        keys.add(Patch(facecolor="#b8bfc7" if by_category else colors[s.label]), s.label)
        tops = [v + up for v, up in zip(y, err[1], strict=True)] if err is not None else y  # above the error bar
        _notes(ax, pos, tops, s.notes, "#333", slot_width / max(1, len(categories)) * width * 1.05)
    labels, rotation = _wrap_categories([names.get(str(c), str(c)) for c in categories],
                                        slot_width / max(1, len(categories)))
    ax.set_xticks(range(len(categories)))
    ax.set_xticklabels(labels, rotation=rotation, ha="right" if rotation else "center",
                       rotation_mode="anchor" if rotation else "default")
    ax.grid(axis="x", visible=False)


def draw_heatmap(fig: Figure, ax: Any, panel: Panel) -> None:
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
            set_labels([str(t) for t in labels], fontsize=max(5.0, min(9.5, 300.0 / max(n, 1))), **rot)
        else:
            set_ticks([])
    if h.colorbar:
        fig.colorbar(im, ax=ax, shrink=0.85)
