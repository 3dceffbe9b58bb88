"""The results schema: what an experiment measured, what it concluded, and how to draw it.

A run of one question writes ``OUT/<qid>/result.json`` (:func:`write_result`, atomic); everything above
the experiments (the report, the figures, the benchmarks, the CLI's ``ask``) reads it back with
:func:`read_result`. This module imports nothing else from attnlab, so every layer can depend on it.

Schema (``SCHEMA_VERSION`` 3)::

    {"schema", "qid", "title", "question", "question_zh", "claim", "claim_zh",
     "verdict", "rule", "summary", "answer": {"en", "zh"},
     "checks":   [{"name", "passed", "detail"}],                 # preconditions of the verdict
     "claims":   [{"name", "statement", "verdict", "rule", "checks", "evidence", "basis"}],  # sub-claims
     "evidence": [{"name", "label", "value", "ci", "ci_method", "n", "unit", "bounds", "anchor",
                   "per_seed", "timing", "label_zh", "ci_kind"}],
     "literature": [{"source", "url", "finding", "regime", "stance"}],
     "plots": [...], "figures": [...], "config", "seeds", "profile", "versions", "seconds",
     "trials": {"total", "run", "reused"}}

Schema 2 files (no ``ci_kind``) are read and upgraded: an interval whose method starts "range over" is a
spread, any other a confidence interval. Files written before the schema had a version (attnlab 0.1, "schema 1") are read and upgraded: their
evidence gains empty labels and no intervals' methods, and their anchors (plain text) become
:class:`Anchor` objects whose ``value`` holds the text.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "SCHEMA_VERSION",
    "VERDICTS",
    "Anchor",
    "AttentionMap",
    "Check",
    "Claim",
    "Evidence",
    "Heatmap",
    "Panel",
    "Plot",
    "RefLine",
    "Reference",
    "Result",
    "ResultError",
    "Series",
    "atomic_write_bytes",
    "atomic_write_text",
    "jsonable",
    "read_result",
    "result_path",
    "write_result",
]

SCHEMA_VERSION = 3
VERDICTS: tuple[str, ...] = ("confirmed", "qualified", "refuted", "inconclusive")
"""The claim holds / holds only under named conditions / does not hold / the evidence cannot decide."""


class ResultError(ValueError):
    """A result file could not be read or does not follow the schema (the message says which and why)."""


# ----------------------------------------------------------------------------------------------------
# Evidence, checks, claims
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """A published figure set beside one of our measurements (only where the regimes are comparable).

    Args:
        source: paper and place, e.g. ``"Vaswani et al. 2017, Table 3 (A)"``.
        value: the published figure, as the paper gives it, e.g. ``"h=1: 24.9 BLEU"``.
        regime: model, data and metric it was measured in, e.g. ``"Transformer-base, WMT14 EN-DE dev"``.
        url: a link to the source (arXiv or DOI), or ``""``.
    """

    source: str
    value: str = ""
    regime: str = ""
    url: str = ""

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)

    @classmethod
    def from_any(cls, data: Any) -> Anchor | None:
        if data is None or isinstance(data, Anchor):
            return data
        if isinstance(data, str):  # schema 1: free text
            return cls(source="", value=data)
        if isinstance(data, dict):
            return cls(**{k: str(data.get(k, "")) for k in ("source", "value", "regime", "url")})
        raise ResultError(f"anchor: expected None, a str or a dict, got {type(data).__name__}")


@dataclass(frozen=True)
class Reference:
    """A published finding that bears on the question (supporting or counter-literature).

    Args:
        source: paper and place.
        finding: what it found, in one sentence.
        regime: where (model, data, metric), so a reader can judge whether it transfers.
        stance: ``"supports"``, ``"contradicts"`` or ``"context"`` with respect to the seed's claim.
        url: arXiv or DOI link.
    """

    source: str
    finding: str
    regime: str = ""
    stance: str = "context"
    url: str = ""

    def __post_init__(self) -> None:
        if self.stance not in ("supports", "contradicts", "context"):
            raise ValueError(f"Reference.stance: expected 'supports', 'contradicts' or 'context', got {self.stance!r}")

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


CI_KINDS: tuple[str, ...] = ("confidence", "spread")


def _ci_kind_of_schema2(d: dict[str, Any]) -> str:
    """Schema 2 had no ``ci_kind``: its spreads said so in the method's text (read once, when upgrading)."""
    return "spread" if str(d.get("ci_method", "")).startswith("range over") else "confidence"


@dataclass
class Evidence:
    """One measured quantity a verdict or a reader can rest on.

    Args:
        name: stable identifier in snake case (rules and tests look it up), e.g. ``"acc_separate"``.
        value: the measurement: a number, a short text, or a list (a curve, a matrix).
        ci: ``(lo, hi)`` interval for the value, or ``None`` when it is exact, a single run, or all seeds
            agree (``ci_method`` then says so).
        unit: unit of the value (``"accuracy"``, ``"s"``, ``"steps"``).
        anchor: the published figure beside it (:class:`Anchor`), only when the regime is comparable.
        label: a human name (``"accuracy, separate W_Q and W_K"``).
        ci_method: how ``ci`` was computed, e.g. ``"t over 5 seeds, clipped to [0, 1]"``.
        n: the number of seeds (or samples) behind the value.
        bounds: ``(lo, hi)`` of the quantity where it has them (an accuracy lies in ``[0, 1]``); ``None``
            for an open end.
        per_seed: the value of each seed, in the order of ``Result.seeds`` (for the details).
        timing: a wall-clock measurement, which varies from run to run (excluded when runs are compared).
        label_zh: the human name in Chinese (the report shows it when the reader picks 中文).
        ci_kind: what ``ci`` is: ``"confidence"`` (an interval for the value over samples: seeds, sentences,
            repeats) or ``"spread"`` (the range over the parts of one model, e.g. its heads: not a sample).
    """

    name: str
    value: float | str | list
    ci: tuple[float, float] | None = None
    unit: str = ""
    anchor: Anchor | None = None
    label: str = ""
    ci_method: str = ""
    n: int | None = None
    bounds: tuple[float | None, float | None] | None = None
    per_seed: list | None = None
    timing: bool = False
    label_zh: str = ""
    ci_kind: str = "confidence"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Evidence.name: expected a non-empty str, got {self.name!r}")
        if self.ci_kind not in CI_KINDS:
            raise ValueError(f"Evidence.ci_kind: expected one of {CI_KINDS}, got {self.ci_kind!r}")
        if self.ci is not None:
            if len(self.ci) != 2:
                raise ValueError(f"Evidence.ci: expected (lo, hi) or None, got {self.ci!r}")
            self.ci = (float(self.ci[0]), float(self.ci[1]))
        if isinstance(self.value, tuple):
            self.value = list(self.value)
        elif not isinstance(self.value, (str, list)):
            self.value = float(self.value)
        if self.bounds is not None:
            if len(self.bounds) != 2:
                raise ValueError(f"Evidence.bounds: expected (lo, hi) or None, got {self.bounds!r}")
            self.bounds = tuple(None if b is None else float(b) for b in self.bounds)  # type: ignore[assignment]
        self.anchor = Anchor.from_any(self.anchor)
        if self.n is not None:
            self.n = int(self.n)

    @property
    def number(self) -> float:
        """The value as a float (``TypeError`` if it is text or a list)."""
        if isinstance(self.value, (str, list)):
            raise TypeError(f"evidence {self.name!r}: expected a number, got {type(self.value).__name__}")
        return float(self.value)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "value": self.value,
            "ci": list(self.ci) if self.ci is not None else None,
            "ci_method": self.ci_method,
            "n": self.n,
            "unit": self.unit,
            "bounds": list(self.bounds) if self.bounds is not None else None,
            "anchor": self.anchor.to_dict() if self.anchor is not None else None,
            "per_seed": self.per_seed,
            "timing": self.timing,
            "label_zh": self.label_zh,
            "ci_kind": self.ci_kind,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Evidence:
        ci, bounds = d.get("ci"), d.get("bounds")
        return cls(
            name=d["name"],
            value=d["value"],
            ci=tuple(ci) if ci is not None else None,
            unit=d.get("unit", ""),
            anchor=d.get("anchor"),
            label=d.get("label", ""),
            ci_method=d.get("ci_method", ""),
            n=d.get("n"),
            bounds=tuple(bounds) if bounds is not None else None,
            per_seed=d.get("per_seed"),
            timing=bool(d.get("timing", False)),
            label_zh=d.get("label_zh", ""),
            ci_kind=d.get("ci_kind") or _ci_kind_of_schema2(d),
        )


@dataclass(frozen=True)
class Check:
    """A precondition of a verdict, e.g. "every condition reached 0.9 accuracy", and whether it held."""

    name: str
    passed: bool
    detail: str = ""
    detail_zh: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": bool(self.passed), "detail": self.detail, "detail_zh": self.detail_zh}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Check:
        return cls(name=d["name"], passed=bool(d["passed"]), detail=d.get("detail", ""),
                   detail_zh=d.get("detail_zh", ""))


@dataclass(frozen=True)
class Claim:
    """One sub-claim of the seed's answer, with its own verdict.

    Args:
        name: short identifier, e.g. ``"fewer_parameters"``.
        statement: the sub-claim in words.
        verdict: one of :data:`VERDICTS`; ``"inconclusive"`` whenever one of ``checks`` failed.
        rule: the rule applied, with its numbers.
        checks: the preconditions this verdict stands on.
        evidence: names of the evidence it rests on.
        basis: ``"measured"`` (the rule could give another answer on other data) or ``"derivation"``
            (the answer follows from counting or algebra, e.g. parameters as a function of d and k; shown as
            such, and an overall verdict should not rest on it alone).
        statement_zh: the sub-claim in Chinese.
        because, because_zh: one plain sentence with the deciding numbers (English, Chinese).
        would_change, would_change_zh: what measurement would change this verdict.
    """

    name: str
    statement: str
    verdict: str
    rule: str
    checks: tuple[Check, ...] = ()
    evidence: tuple[str, ...] = ()
    basis: str = "measured"
    statement_zh: str = ""
    because: str = ""
    because_zh: str = ""
    would_change: str = ""
    would_change_zh: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"Claim.verdict: expected one of {VERDICTS}, got {self.verdict!r}")
        if self.basis not in ("measured", "derivation"):
            raise ValueError(f"Claim.basis: expected 'measured' or 'derivation', got {self.basis!r}")
        object.__setattr__(self, "checks", tuple(self.checks))
        object.__setattr__(self, "evidence", tuple(self.evidence))
        failed = [c.name for c in self.checks if not c.passed]
        if failed and self.verdict != "inconclusive":
            raise ValueError(
                f"Claim {self.name!r}: verdict {self.verdict!r} stands on failed checks {failed}; "
                "expected 'inconclusive'"
            )

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["checks"] = [c.to_dict() for c in self.checks]
        d["evidence"] = list(self.evidence)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Claim:
        texts = {k: d.get(k, "") for k in ("statement", "rule", "statement_zh", "because", "because_zh",
                                           "would_change", "would_change_zh")}
        return cls(name=d["name"], verdict=d["verdict"], checks=tuple(Check.from_dict(c) for c in d.get("checks", [])),
                   evidence=tuple(d.get("evidence", [])), basis=d.get("basis", "measured"), **texts)


# ----------------------------------------------------------------------------------------------------
# Plot data: what a figure shows, drawn by attnlab.report.figures
# ----------------------------------------------------------------------------------------------------


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
    """

    title: str
    tokens: list[str]
    weights: list
    title_zh: str = ""

    def to_dict(self) -> dict[str, Any]:
        rounded = jsonable(self.weights)
        return {"title": self.title, "title_zh": self.title_zh, "tokens": list(self.tokens),
                "weights": _round(rounded, 3)}


def _round(x: Any, digits: int) -> Any:
    if isinstance(x, list):
        return [_round(v, digits) for v in x]
    return round(x, digits) if isinstance(x, float) else x


# ----------------------------------------------------------------------------------------------------
# The result of one question
# ----------------------------------------------------------------------------------------------------


@dataclass
class Result:
    """The outcome of one question's run, serialised as ``OUT/<qid>/result.json``.

    Args:
        qid: question id (``"q1"`` ...).
        question: the question in English; ``question_zh`` as the seed asks it.
        claim: the seed's answer in short (English); ``claim_zh`` its words.
        verdict: one of :data:`VERDICTS`, from the experiment's ``decide`` applied to ``evidence``.
        rule: the overall rule with its numbers.
        summary: a paragraph saying what was measured and what it shows.
        answer: the short answer, ``{"en": ..., "zh": ...}``.
        checks: preconditions of the verdict; a failed one makes the verdict ``"inconclusive"``.
        claims: the sub-claims, each with its verdict.
        evidence: the measured quantities.
        literature: published findings beside ours (including counter-literature).
        plots: the data each figure is drawn from; ``figures`` the files drawn (relative to ``OUT/<qid>``).
        config: the settings of the run; ``seeds``, ``profile``, ``versions`` as run.
        seconds: wall time of the question's trials (summed over trials run now and reused).
        trials: ``{"total", "run", "reused"}`` counts.
        attention_maps: attention of a real model on a few inputs, explored interactively in the report.
        group: ``"seed"`` (the seed's questions) or ``"beyond"``.
    """

    qid: str
    question: str
    claim: str
    verdict: str
    rule: str
    summary: str
    evidence: list[Evidence] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    answer: dict[str, str] = field(default_factory=dict)
    literature: list[Reference] = field(default_factory=list)
    plots: list[Plot] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    seeds: list[int] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    profile: str = ""
    question_zh: str = ""
    claim_zh: str = ""
    title: str = ""
    trials: dict[str, int] = field(default_factory=dict)
    attention_maps: list[AttentionMap] = field(default_factory=list)
    group: str = "seed"
    schema: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"Result.verdict: expected one of {VERDICTS}, got {self.verdict!r}")
        self.evidence = [e if isinstance(e, Evidence) else Evidence.from_dict(e) for e in self.evidence]
        self.checks = [c if isinstance(c, Check) else Check.from_dict(c) for c in self.checks]
        self.claims = [c if isinstance(c, Claim) else Claim.from_dict(c) for c in self.claims]
        self.literature = [r if isinstance(r, Reference) else Reference(**r) for r in self.literature]
        self.plots = [p if isinstance(p, Plot) else Plot.from_dict(p) for p in self.plots]
        self.attention_maps = [m if isinstance(m, AttentionMap) else AttentionMap(**m) for m in self.attention_maps]
        failed = [c.name for c in self.checks if not c.passed]
        if failed and self.verdict != "inconclusive":
            raise ValueError(f"Result {self.qid}: verdict {self.verdict!r} stands on failed checks {failed}; "
                             "expected 'inconclusive'")

    def get(self, name: str) -> Evidence:
        """The evidence called ``name`` (``KeyError`` naming the ones there are if absent)."""
        for e in self.evidence:
            if e.name == name:
                return e
        raise KeyError(f"no evidence named {name!r} in {self.qid}; have {[e.name for e in self.evidence]}")

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["evidence"] = [e.to_dict() for e in self.evidence]
        d["checks"] = [c.to_dict() for c in self.checks]
        d["claims"] = [c.to_dict() for c in self.claims]
        d["literature"] = [r.to_dict() for r in self.literature]
        d["plots"] = [p.to_dict() for p in self.plots]
        d["attention_maps"] = [m.to_dict() for m in self.attention_maps]
        return jsonable(d)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Result:
        if not isinstance(d, dict):
            raise ResultError(f"expected a JSON object, got {type(d).__name__}")
        schema = d.get("schema", 1)
        if not isinstance(schema, int) or schema > SCHEMA_VERSION:
            raise ResultError(f"schema: expected a version <= {SCHEMA_VERSION} (this attnlab), got {schema!r}; "
                              "upgrade attnlab to read it")
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        kw["evidence"] = [Evidence.from_dict(e) for e in d.get("evidence", [])]
        kw["schema"] = SCHEMA_VERSION  # upgraded in memory; written back in the current schema
        return cls(**kw)

    @classmethod
    def from_json(cls, text: str) -> Result:
        return cls.from_dict(json.loads(text))


def jsonable(x: Any) -> Any:
    """Tensors, numpy values, tuples, paths and dataclasses as strict JSON values (non-finite floats: None)."""
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    if isinstance(x, bool) or x is None or isinstance(x, (str, int)):
        return x
    if isinstance(x, float):
        return x if math.isfinite(x) else None
    if isinstance(x, Path):
        return str(x)
    if hasattr(x, "tolist"):  # torch.Tensor, numpy array or scalar
        return jsonable(x.tolist())
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return jsonable(dataclasses.asdict(x))
    return str(x)


# ----------------------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------------------

_UMASK = os.umask(0)
os.umask(_UMASK)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically: a temporary file in the same folder, fsync, ``os.replace``.

    A reader sees the old file or the new one, never a part; a crash leaves at most a stray ``.tmp``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp creates 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def result_path(out_dir: str | Path, qid: str) -> Path:
    """``OUT/<qid>/result.json``."""
    return Path(out_dir) / qid / "result.json"


def write_result(result: Result, out_dir: str | Path) -> Path:
    """Write ``result`` to ``out_dir/<qid>/result.json`` atomically; returns the path."""
    return atomic_write_text(result_path(out_dir, result.qid), result.to_json() + "\n")


def read_result(out_dir: str | Path, qid: str) -> Result | None:
    """Read ``out_dir/<qid>/result.json``; ``None`` if there is none.

    Raises:
        ResultError: the file exists but is not a valid result (truncated, not JSON, a newer schema).
    """
    path = result_path(out_dir, qid)
    if not path.is_file():
        return None
    try:
        return Result.from_json(path.read_text(encoding="utf-8"))
    except ResultError as exc:
        raise ResultError(f"{path}: {exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ResultError(f"{path}: not a valid result.json ({type(exc).__name__}: {exc})") from None
