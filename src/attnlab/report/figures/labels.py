"""Keys written beside the lines they name, or counted into legend columns.

Lines that all reach the right edge are labelled directly there, in their colour (labels pushed apart
where lines end close together); every other key goes into one legend, whose columns
:func:`legend_columns` counts.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from attnlab.report.figures.series import finite, numbers
from attnlab.report.figures.style import LABEL_SIZE, text_inches
from attnlab.results import Panel, Series

__all__ = ["DIRECT_MAX_SERIES", "DIRECT_MAX_SHARE", "label_directly", "labels_fit_at_end", "last_point",
           "legend_columns"]

DIRECT_MAX_SERIES = 6  # more lines than this get a legend
DIRECT_MAX_SHARE = 0.36  # wider labels get a legend: in the margin they would squeeze the panel


def last_point(s: Series) -> tuple[float, float] | None:
    pairs = [(float(x), y) for x, y in zip(s.x, finite(s.y) or [], strict=False)
             if isinstance(x, (int, float)) and not math.isnan(y)]
    return pairs[-1] if pairs else None


def labels_fit_at_end(panel: Panel, panel_width: float) -> bool:
    """Label the lines at the right edge: all end there, there are few, and their labels are short enough
    not to squeeze the panel (at most :data:`DIRECT_MAX_SHARE` of its width)."""
    if panel.kind != "line" or not panel.series or len(panel.series) > DIRECT_MAX_SERIES:
        return False
    if any(r.axis != "y" for r in panel.lines):
        return False
    labels = [s.label for s in panel.series] + [r.label for r in panel.lines]
    if any(text_inches(label) > DIRECT_MAX_SHARE * panel_width for label in labels):
        return False
    ends = [last_point(s) for s in panel.series]
    if any(e is None for e in ends):
        return False
    xs = [x for s in panel.series for x in numbers(s.x)]
    right = max(xs)
    return all(abs(e[0] - right) <= 1e-9 * max(1.0, abs(right)) for e in ends if e is not None)


def _spread(ys: list[float], gap: float, lo: float = -0.02, hi: float = 1.02) -> list[float]:
    """Positions (axes fraction) as close to ``ys`` as possible, at least ``gap`` apart, within [lo, hi]."""
    order = sorted(range(len(ys)), key=lambda i: -ys[i])
    pos = [min(hi, max(lo, ys[i])) for i in order]
    for k in range(1, len(pos)):
        pos[k] = min(pos[k], pos[k - 1] - gap)
    if pos and pos[-1] < lo:
        pos[-1] = lo
        for k in range(len(pos) - 2, -1, -1):
            pos[k] = max(pos[k], pos[k + 1] + gap)
    out = [0.0] * len(ys)
    for k, i in enumerate(order):
        out[i] = pos[k]
    return out


def label_directly(ax: Any, items: list[tuple[str, str, float, float]], axes_height: float) -> None:
    """Write each (label, colour, x, y of its line's end) in the right margin, pushed apart where they crowd."""
    to_frac = ax.transScale + ax.transLimits  # data -> axes fraction, independent of the axes' place
    with np.errstate(all="ignore"):  # a reference line at 0 on a log axis has no place: it is left out
        items = [i for i in items if math.isfinite(float(to_frac.transform((i[2], i[3]))[1]))]
        fracs = [float(to_frac.transform((x, y))[1]) for _, _, x, y in items]
    gap = LABEL_SIZE * 1.3 / 72 / max(axes_height, 0.5)
    placed = _spread(fracs, gap)
    for (label, color, x, y), frac, want in zip(items, placed, fracs, strict=True):
        moved = abs(frac - min(1.02, max(-0.02, want))) > gap * 0.4
        ax.annotate(label, xy=(x, y), xytext=(1.02 if moved else 1.015, frac), textcoords="axes fraction",
                    va="center", ha="left",
                    fontsize=LABEL_SIZE, color=color, annotation_clip=False,
                    arrowprops={"arrowstyle": "-", "color": color, "lw": 0.7, "shrinkA": 1, "shrinkB": 3,
                                "alpha": 0.8} if moved else None)



def legend_columns(labels: list[str], width: float) -> int:
    # each entry: its text, the handle (2.2 em), the pad (0.8 em) and the column spacing (1.6 em)
    entry = max((text_inches(t) for t in labels), default=0.5) + 4.6 * LABEL_SIZE / 72
    return max(1, min(len(labels), int(width * 0.97 // entry)))
