"""Plot data: what a figure shows, drawn by :mod:`attnlab.report.figures`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

# ----------------------------------------------------------------------------------------------------
# Plot data: what a figure shows, drawn by attnlab.report.figures
# ----------------------------------------------------------------------------------------------------
from attnlab.results.io import jsonable


@dataclass
class Series:
    """One line (or set of bars) of a panel: ``y`` against ``x``, with an optional interval ``lo``-``hi``."""

    label: str
    x: list
    y: list
    lo: list | None = None
    hi: list | None = None
    style: str = "solid"  # "solid", "dashed", "dotted" or "points"
    notes: list | None = None  # a short text per point, written beside it (e.g. "0/5 reached"), or None


@dataclass
class RefLine:
    """A horizontal (``axis="y"``) or vertical (``axis="x"``) reference line, e.g. a trivial baseline."""

    value: float
    label: str
    axis: str = "y"


@dataclass
class Heatmap:
    """A matrix drawn as an image (attention weights, per-head statistics)."""

    values: list
    row_labels: list | None = None
    col_labels: list | None = None
    vmin: float | None = None
    vmax: float | None = None
    cmap: str = "viridis"
    colorbar: bool = True


@dataclass
class Panel:
    """One set of axes: ``kind`` is ``"line"``, ``"bar"`` (series as grouped bars) or ``"heatmap"``."""

    kind: str = "line"
    title: str = ""
    xlabel: str = ""
    ylabel: str = ""
    xscale: str = "linear"  # "linear", "log" (base 10) or "log2"
    yscale: str = "linear"
    ylim: tuple[float, float] | None = None
    series: list[Series] = field(default_factory=list)
    lines: list[RefLine] = field(default_factory=list)
    heatmap: Heatmap | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("line", "bar", "heatmap"):
            raise ValueError(f"Panel.kind: expected 'line', 'bar' or 'heatmap', got {self.kind!r}")
        if self.kind == "heatmap" and self.heatmap is None:
            raise ValueError("Panel.heatmap: expected a Heatmap for kind='heatmap', got None")


@dataclass
class Plot:
    """The data of one figure (one or more panels), saved as ``name.png`` and ``name.svg``.

    Args:
        name: file stem, e.g. ``"accuracy_vs_heads"``.
        title: the figure's title.
        panels: its panels, drawn left to right and wrapped after ``ncols``.
        caption: one or two sentences saying what to look at.
        headline: the question's headline figure (one per question).
        ncols: panels per row (default: all in one row).
        title_zh, caption_zh: the title and caption in Chinese (the figure's own text stays English).
    """

    name: str
    title: str
    panels: list[Panel]
    caption: str = ""
    headline: bool = False
    ncols: int | None = None
    title_zh: str = ""
    caption_zh: str = ""

    def __post_init__(self) -> None:
        if not self.name or "/" in self.name or "\\" in self.name or self.name.startswith("."):
            raise ValueError(f"Plot.name: expected a plain file stem like 'curve', got {self.name!r}")
        if not self.panels:
            raise ValueError(f"Plot {self.name!r}: expected at least one panel, got none")

    def files(self) -> list[str]:
        return [f"{self.name}.png", f"{self.name}.svg"]

    def to_dict(self) -> dict[str, Any]:
        return jsonable(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Plot:
        panels = []
        for p in d["panels"]:
            p = dict(p)
            p["series"] = [Series(**s) for s in p.get("series", [])]
            p["lines"] = [RefLine(**r) for r in p.get("lines", [])]
            p["heatmap"] = Heatmap(**p["heatmap"]) if p.get("heatmap") else None
            if p.get("ylim") is not None:
                p["ylim"] = tuple(p["ylim"])
            panels.append(Panel(**p))
        return cls(name=d["name"], title=d.get("title", ""), panels=panels, caption=d.get("caption", ""),
                   headline=bool(d.get("headline", False)), ncols=d.get("ncols"), title_zh=d.get("title_zh", ""),
                   caption_zh=d.get("caption_zh", ""))


@dataclass
class AttentionMap:
    """A model's attention on one input, for the report's interactive explorer.

    Args:
        title: what it shows, e.g. ``"all-MiniLM-L6-v2 on 'I hate this movie.'"``; ``title_zh`` in Chinese.
        tokens: the T tokens.
        weights: (L, H, T, T) nested lists, each row summing to 1 (rounded to 3 decimals when stored).
        focus_layer, focus_head: the layer and head the explorer opens on, the one that answers the title
            (0-based here; the explorer numbers them from 1). None: layer 1, every head.
        focus_token: the query token pinned when the explorer opens (an index into ``tokens``), or None.
        answer, answer_zh: one line saying what that view shows, e.g. "Layer 3, head 7: 'it' puts 0.412
            of its weight on 'dog'." (its numbers as the explorer shows them, to 3 decimals).
    """

    title: str
    tokens: list[str]
    weights: list
    title_zh: str = ""
    focus_layer: int | None = None
    focus_head: int | None = None
    focus_token: int | None = None
    answer: str = ""
    answer_zh: str = ""

    def to_dict(self) -> dict[str, Any]:
        rounded = jsonable(self.weights)
        return {"title": self.title, "title_zh": self.title_zh, "tokens": list(self.tokens),
                "weights": _round(rounded, 3), "focus_layer": self.focus_layer, "focus_head": self.focus_head,
                "focus_token": self.focus_token, "answer": self.answer, "answer_zh": self.answer_zh}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AttentionMap:
        """From :meth:`to_dict`'s output; results written before the focus fields existed load with none."""
        return cls(title=d["title"], tokens=list(d["tokens"]), weights=d["weights"], title_zh=d.get("title_zh", ""),
                   focus_layer=d.get("focus_layer"), focus_head=d.get("focus_head"),
                   focus_token=d.get("focus_token"), answer=d.get("answer", ""), answer_zh=d.get("answer_zh", ""))


def _round(x: Any, digits: int) -> Any:
    if isinstance(x, list):
        return [_round(v, digits) for v in x]
    return round(x, digits) if isinstance(x, float) else x
