"""Plot data: what a figure shows, drawn by :mod:`attnlab.report.figures`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

# ----------------------------------------------------------------------------------------------------
# Plot data: what a figure shows, drawn by attnlab.report.figures
# ----------------------------------------------------------------------------------------------------
from attnlab.results.io import jsonable

# the Chinese text inside a figure, by part
_PART_ZH = ("title_zh", "xlabel_zh", "ylabel_zh", "label_zh", "notes_zh", "categories_zh")


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
    label_zh: str = ""  # ``label`` in Chinese, for the figure's Chinese drawing ("": the English shows there)
    notes_zh: list | None = None  # ``notes`` in Chinese (None: the English notes show there)


@dataclass
class RefLine:
    """A horizontal (``axis="y"``) or vertical (``axis="x"``) reference line, e.g. a trivial baseline."""

    value: float
    label: str
    axis: str = "y"
    label_zh: str = ""


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
    title_zh: str = ""  # the panel's text in Chinese, for the figure's Chinese drawing ("": the English shows)
    xlabel_zh: str = ""
    ylabel_zh: str = ""
    # a bar panel's category names (its series' x) as the Chinese drawing writes them under the bars; a category
    # missing here keeps its name (the bars keep their colours, which follow the English names)
    categories_zh: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in ("line", "bar", "heatmap"):
            raise ValueError(f"Panel.kind: expected 'line', 'bar' or 'heatmap', got {self.kind!r}")
        if self.kind == "heatmap" and self.heatmap is None:
            raise ValueError("Panel.heatmap: expected a Heatmap for kind='heatmap', got None")


@dataclass
class Plot:
    """The data of one figure (one or more panels), saved as ``name.png`` and ``name.svg``, and as
    ``name.zh.svg`` (its text in Chinese) where a panel, series or reference line has Chinese text.

    Args:
        name: file stem, e.g. ``"accuracy_vs_heads"``.
        title: the figure's title.
        panels: its panels, drawn left to right and wrapped after ``ncols``.
        caption: one or two sentences saying what to look at.
        headline: the question's headline figure (one per question).
        ncols: panels per row (default: all in one row).
        title_zh, caption_zh: the title and caption in Chinese. The text inside the figure is in Chinese where
            its panels, series and reference lines give it (``title_zh``, ``xlabel_zh``, ``ylabel_zh``,
            ``categories_zh``, ``label_zh``, ``notes_zh``); text without a Chinese version stays English in the
            Chinese drawing.
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

    def has_zh_text(self) -> bool:
        """Whether any text inside the figure has a Chinese version (then it is drawn a second time, in Chinese)."""
        return any(p.title_zh or p.xlabel_zh or p.ylabel_zh or p.categories_zh
                   or any(s.label_zh or s.notes_zh for s in p.series)
                   or any(r.label_zh for r in p.lines) for p in self.panels)

    def in_zh(self) -> Plot:
        """A copy whose text is the Chinese one, the English where there is none."""
        def panel(p: Panel) -> Panel:
            return dataclasses.replace(
                p, title=p.title_zh or p.title, xlabel=p.xlabel_zh or p.xlabel, ylabel=p.ylabel_zh or p.ylabel,
                series=[dataclasses.replace(s, label=s.label_zh or s.label, notes=s.notes_zh or s.notes)
                        for s in p.series],
                lines=[dataclasses.replace(r, label=r.label_zh or r.label) for r in p.lines])

        return dataclasses.replace(self, title=self.title_zh or self.title, caption=self.caption_zh or self.caption,
                                   panels=[panel(p) for p in self.panels])

    def files(self) -> list[str]:
        return [f"{self.name}.png", f"{self.name}.svg"] + ([f"{self.name}.zh.svg"] if self.has_zh_text() else [])

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; a panel's, series' or reference line's empty Chinese fields are left out (so plots without
        them are stored as before)."""
        d = jsonable(dataclasses.asdict(self))
        for p in d["panels"]:
            for item in [p, *p["series"], *p["lines"]]:
                for k in _PART_ZH:
                    if k in item and not item[k]:
                        del item[k]
        return d

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


def _sig(x: float, digits: int) -> float:
    """``x`` rounded to ``digits`` significant digits."""
    return float(f"{float(x):.{digits}g}")


@dataclass
class HeadSteps:
    """One head's attention for one query token, step by step: what the explorer's step-through shows.

    For the query token ``token`` of head ``head`` in layer ``layer`` (0-based): ``q`` its query (D numbers),
    ``scores`` each key's raw score q·k_j (T), ``scale`` the factor 1/√d_k, ``mask`` which keys it may attend
    to (T; a hidden key's scaled score becomes -inf), ``weights`` the softmax over the visible keys of
    ``scale · scores`` (T), ``z`` the head's output Σ_j weights_j v_j (D), and ``v`` the value rows (T × D),
    or None. Stored rounded: ``q``, ``z`` and ``v`` to 4 significant digits, ``scores`` to 6 (so that the
    softmax of the stored scores gives the weights to 1e-5), ``weights`` to 10 decimals (so that a weight
    next to 0 or 1 keeps its distance from it).
    """

    layer: int
    head: int
    token: int
    q: list
    scores: list
    scale: float
    mask: list
    weights: list
    z: list
    v: list | None = None

    def __post_init__(self) -> None:
        def floats(xs: Any) -> list[float]:
            return [float(x) for x in jsonable(xs)]

        self.q, self.z = floats(self.q), floats(self.z)
        self.scores, self.weights = floats(self.scores), floats(self.weights)
        self.mask, self.scale = [bool(x) for x in jsonable(self.mask)], float(self.scale)
        self.layer, self.head, self.token = int(self.layer), int(self.head), int(self.token)
        T, D = len(self.scores), len(self.q)
        if not D or len(self.z) != D:
            raise ValueError(f"HeadSteps: expected q and z of the same length D > 0, got {D} and {len(self.z)}")
        if not T or len(self.mask) != T or len(self.weights) != T or not 0 <= self.token < T:
            raise ValueError(f"HeadSteps: expected scores, mask and weights of one length T > token, got "
                             f"{T}, {len(self.mask)}, {len(self.weights)} (token {self.token})")
        if self.v is not None:
            self.v = [[float(x) for x in row] for row in jsonable(self.v)]
            if len(self.v) != T or any(len(row) != D for row in self.v):
                raise ValueError(f"HeadSteps.v: expected {T} rows of {D} numbers, got {len(self.v)} rows")

    def to_dict(self) -> dict[str, Any]:
        return {"layer": self.layer, "head": self.head, "token": self.token, "q": [_sig(x, 4) for x in self.q],
                "scores": [_sig(x, 6) for x in self.scores], "scale": _sig(self.scale, 10), "mask": list(self.mask),
                "weights": [round(x, 10) for x in self.weights], "z": [_sig(x, 4) for x in self.z],
                "v": None if self.v is None else [[_sig(x, 4) for x in row] for row in self.v]}

    @classmethod
    def from_any(cls, data: Any) -> HeadSteps | None:
        """None, a :class:`HeadSteps`, or :meth:`to_dict`'s output."""
        if data is None or isinstance(data, HeadSteps):
            return data
        if isinstance(data, dict):
            return cls(**{k: data.get(k) for k in ("layer", "head", "token", "q", "scores", "scale", "mask",
                                                   "weights", "z", "v")})
        raise TypeError(f"steps: expected None, a HeadSteps or a dict, got {type(data).__name__}")


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
        steps: that head's computation for the focus token, q to the head's output (:class:`HeadSteps`, or
            its dict), for the explorer's step-through; None: no step-through. Its layer, head and token are
            the focus ones.
        attribution: the sentence's token scores by each attribution method beside erasure, with each method's
            agreement with erasure (:func:`attnlab.analysis.attribution.sentence_attributions`), for the
            explorer's attribution view; None: no such view.
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
    steps: HeadSteps | None = None
    attribution: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.steps = HeadSteps.from_any(self.steps)
        a = self.attribution
        if a is not None and (not isinstance(a, dict) or len(a.get("erasure", ())) != len(self.tokens)):
            raise ValueError(f"AttentionMap.attribution: expected a dict with an erasure score for each of the "
                             f"{len(self.tokens)} tokens, got {type(a).__name__}")
        s = self.steps
        if s is not None and ((s.layer, s.head, s.token) != (self.focus_layer, self.focus_head, self.focus_token)
                              or len(s.scores) != len(self.tokens)):
            raise ValueError(f"AttentionMap.steps: expected the focus layer, head and token "
                             f"{(self.focus_layer, self.focus_head, self.focus_token)} over {len(self.tokens)} "
                             f"tokens, got {(s.layer, s.head, s.token)} over {len(s.scores)}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``"steps"`` and ``"attribution"`` only where there are some, so maps without them read as
        before)."""
        rounded = jsonable(self.weights)
        d = {"title": self.title, "title_zh": self.title_zh, "tokens": list(self.tokens),
             "weights": _round(rounded, 3), "focus_layer": self.focus_layer, "focus_head": self.focus_head,
             "focus_token": self.focus_token, "answer": self.answer, "answer_zh": self.answer_zh}
        if self.steps is not None:
            d["steps"] = self.steps.to_dict()
        if self.attribution is not None:
            d["attribution"] = jsonable(self.attribution)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> AttentionMap:
        """From :meth:`to_dict`'s output; results written before the focus fields or the steps existed load with
        none."""
        return cls(title=d["title"], tokens=list(d["tokens"]), weights=d["weights"], title_zh=d.get("title_zh", ""),
                   focus_layer=d.get("focus_layer"), focus_head=d.get("focus_head"),
                   focus_token=d.get("focus_token"), answer=d.get("answer", ""), answer_zh=d.get("answer_zh", ""),
                   steps=d.get("steps"), attribution=d.get("attribution"))


def _round(x: Any, digits: int) -> Any:
    if isinstance(x, list):
        return [_round(v, digits) for v in x]
    return round(x, digits) if isinstance(x, float) else x
