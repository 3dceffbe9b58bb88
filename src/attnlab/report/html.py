"""The self-contained HTML report: the answer first, in English and Chinese.

:func:`write_report` reads ``OUT/<qid>/result.json`` for every question and writes ``OUT/index.html``:
one file, CSS and script inline, figures inlined as base64 ``data:`` images, the attention explorer
inlined, no request to anywhere (a Content-Security-Policy forbids it). Every question's section shows
its short answer (``.answer[lang=en]`` and ``.answer[lang=zh-CN]``), its headline figure
(``figure.headline``), the verdict of each sub-claim with its deciding numbers, the checks it stood on
and what would change it, the evidence grouped by sub-claim, the published findings, and how to rerun
it. A language switch (set from the browser's language the first time) shows one language; print CSS
lays the page out for paper or PDF. The template is rendered by Jinja2 with autoescaping, so every
string from a result is HTML-escaped.

The report reads results only (:mod:`attnlab.results`); the metadata of questions without a result is
passed in by the caller (the command line takes it from the experiments' registry).
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import math
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attnlab.lab import words
from attnlab.lab.spec import Question
from attnlab.report.i18n import BASIS_WORDS, STANCE_WORDS, UI, VERDICT_WORDS, unit_zh
from attnlab.results import Evidence, Result, ResultError, atomic_write_text, read_result

__all__ = ["QuestionMeta", "VERDICT_COLORS", "format_number", "format_value", "render_report",
           "reproduce_command", "write_report"]

_TEMPLATES = Path(__file__).parent / "templates"
_MIME = {".png": "image/png", ".svg": "image/svg+xml"}

VERDICT_COLORS = {
    "confirmed": "#1a7f37",
    "qualified": "#9a5b00",
    "refuted": "#c62828",
    "inconclusive": "#57606a",
    "not run": "#8c959f",
    "failed": "#6f42c1",
}


# What the report needs to know of a question that has no result yet: the metadata lab declares with each
# question. Any object with these attributes will do (the report reads them with getattr and defaults).
QuestionMeta = Question


def format_number(x: Any) -> str:
    """A number for people: integers as such, 3-4 significant digits otherwise, ``n/a`` for missing."""
    if isinstance(x, int):  # bools are ints
        return str(x)
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    if not isinstance(x, float):
        return str(x)
    if x.is_integer() and abs(x) < 1e12:  # counts (parameters, steps) stored as floats
        return str(int(x))
    ax = abs(x)
    if ax != 0 and (ax >= 1e5 or ax < 1e-3):
        return f"{x:.3g}"
    return f"{x:.3f}" if ax < 10 else f"{x:.4g}"


def format_value(value: Any, ci: Sequence[float] | None = None, *, max_items: int = 8) -> str:
    """``"0.912 [0.901, 0.923]"``, a short list, or the text itself."""
    if isinstance(value, list):
        items = [format_value(v, max_items=max_items) for v in value[:max_items]]
        more = f", … ({len(value)} items)" if len(value) > max_items else ""
        return "[" + ", ".join(items) + more + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {format_value(v)}" for k, v in list(value.items())[:max_items]) + "}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        s = format_number(float(value) if isinstance(value, int) else value)
        if ci is not None:
            s += f" [{format_number(ci[0])}, {format_number(ci[1])}]"
        return s
    return "n/a" if value is None else str(value)


def reproduce_command(result: Result, out_dir: str | Path | None = None) -> str:
    """The command that reproduces ``result``."""
    parts = ["attnlab", "run", result.qid, "--profile", result.profile or "quick"]
    seeds = list(result.seeds)
    if seeds and seeds == list(range(len(seeds))):
        parts += ["--seeds", str(len(seeds))]
    if out_dir is not None:
        parts += ["--out", str(out_dir)]
    return shlex.join(parts)


# ----------------------------------------------------------------------------------------------------
# The view: what the template shows
# ----------------------------------------------------------------------------------------------------


@dataclass
class _Figure:
    name: str
    title: str
    title_zh: str
    caption: str
    caption_zh: str
    src: str  # data: URI
    headline: bool


@dataclass
class _Row:
    label: str
    label_zh: str
    name: str
    value: str
    value_zh: str
    method: str
    unit: str
    unit_zh: str
    anchor: Any
    details: str


@dataclass
class _Section:
    qid: str
    group: str
    title: str
    question: str
    question_zh: str
    claim: str
    claim_zh: str
    status: str  # verdict, "not run" or "failed"
    result: Result | None = None
    error: str = ""
    headline: _Figure | None = None
    figures: list[_Figure] = field(default_factory=list)
    claim_rows: dict[str, list[_Row]] = field(default_factory=dict)  # each sub-claim's deciding evidence
    other_rows: list[_Row] = field(default_factory=list)
    explorers: list[str] = field(default_factory=list)  # HTML fragments (trusted: built by attnlab)
    command: str = ""
    config: str = ""


def _data_uri(path: Path) -> str | None:
    mime = _MIME.get(path.suffix.lower())
    if mime is None or not path.is_file():
        return None
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _figures(result: Result, qdir: Path) -> list[_Figure]:
    """One image per plot (PNG preferred, SVG otherwise); never read outside the question's folder."""
    out = []
    for plot in result.plots:
        for rel in (f"{plot.name}.png", f"{plot.name}.svg"):
            path = (qdir / rel).resolve()
            if qdir.resolve() not in path.parents:
                continue
            uri = _data_uri(path)
            if uri is not None:
                out.append(_Figure(plot.name, plot.title, plot.title_zh, plot.caption, plot.caption_zh, uri,
                                   plot.headline))
                break
    return out


def _row(e: Evidence) -> _Row:
    if e.per_seed is not None:
        details = format_value(e.per_seed, max_items=20)
    elif isinstance(e.value, list):
        details = json.dumps(e.value, ensure_ascii=False)[:4000]
    else:
        details = ""
    if isinstance(e.value, list):
        value = value_zh = f"{len(e.value)} values"
    elif isinstance(e.value, str) or (e.unit == "steps" and e.per_seed is not None):
        value, value_zh = words.fmt(e, "en"), words.fmt(e, "zh")  # "not reached", censored counts, undefined ratios
    else:
        value = value_zh = format_value(e.value, e.ci)
    return _Row(label=e.label or e.name, label_zh=e.label_zh, name=e.name, value=value, value_zh=value_zh,
                method=e.ci_method,
                unit=e.unit, unit_zh=unit_zh(e.unit), anchor=e.anchor, details=details)


def _evidence_rows(result: Result) -> tuple[dict[str, list[_Row]], list[_Row]]:
    """Each sub-claim's deciding evidence, and every other measurement."""
    by_name = {e.name: e for e in result.evidence}
    claim_rows = {c.name: [_row(by_name[n]) for n in c.evidence if n in by_name] for c in result.claims}
    used = {n for c in result.claims for n in c.evidence}
    return claim_rows, [_row(e) for e in result.evidence if e.name not in used]


def _explorers(result: Result, qid: str) -> list[str]:
    if not result.attention_maps:
        return []
    from attnlab.report.explorer import explorer_fragment

    # the report writes each map's title above it, in both languages
    return [explorer_fragment(m.tokens, m.weights, title=None, element_id=f"{qid}-explorer-{i}",
                              include_assets=False) for i, m in enumerate(result.attention_maps)]


def _section(meta: Any, result: Result | None, error: str, out_dir: Path, command_out: str | None) -> _Section:
    src = result if result is not None else meta
    qid = src.qid
    sec = _Section(qid=qid, group=getattr(src, "group", "seed") or "seed", title=getattr(src, "title", "") or qid,
                   question=getattr(src, "question", ""), question_zh=getattr(src, "question_zh", ""),
                   claim=getattr(src, "claim", ""), claim_zh=getattr(src, "claim_zh", ""),
                   status="failed" if error else "not run", error=error)
    if result is None:
        sec.command = shlex.join(["attnlab", "run", qid, "--profile", "quick"]
                                 + (["--out", command_out] if command_out else []))
        return sec
    sec.status = result.verdict
    sec.result = result
    figures = _figures(result, out_dir / qid)
    sec.headline = next((f for f in figures if f.headline), figures[0] if figures else None)
    sec.figures = [f for f in figures if f is not sec.headline]
    sec.claim_rows, sec.other_rows = _evidence_rows(result)
    sec.explorers = _explorers(result, qid)
    sec.command = reproduce_command(result, command_out)
    sec.config = json.dumps(result.config, ensure_ascii=False, sort_keys=True, indent=1)
    return sec


def render_report(
    results: dict[str, Result | None],
    out_dir: str | Path,
    *,
    questions: Sequence[QuestionMeta] = (),
    errors: dict[str, str] | None = None,
    command_out: str | None = None,
    wall_seconds: float | None = None,
) -> str:
    """Render the report HTML.

    Args:
        results: qid -> Result, or None for a question not run; sections follow ``questions``' order,
            then any other result.
        out_dir: the output root (figures are read from ``out_dir/<qid>/``).
        questions: metadata of the questions to show (for sections without a result).
        errors: qid -> error message for questions whose run failed.
        command_out: the ``--out`` value to show in the reproduce commands (omitted when ``None``).
        wall_seconds: the wall time of the run that produced the results, if known.
    """
    import jinja2
    from markupsafe import Markup

    from attnlab.report.explorer import explorer_assets

    out_dir = Path(out_dir)
    errors = errors or {}
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    metas = {q.qid: q for q in questions}
    qids = [q.qid for q in questions] + [q for q in results if q not in metas]
    sections = [_section(metas.get(q), results.get(q), errors.get(q, ""), out_dir, command_out) for q in qids]
    done = [s.result for s in sections if s.result is not None]
    versions = done[0].versions if done else {}
    return env.get_template("report.html").render(
        seed_sections=[s for s in sections if s.group == "seed"],
        beyond_sections=[s for s in sections if s.group != "seed"],
        colors=VERDICT_COLORS,
        ui=UI,
        verdict_words=VERDICT_WORDS,
        stance_words=STANCE_WORDS,
        basis_words=BASIS_WORDS,
        compute_seconds=sum(r.seconds for r in done),
        wall_seconds=wall_seconds,
        trials=sum(r.trials.get("total", 0) for r in done),
        reused=sum(r.trials.get("reused", 0) for r in done),
        profiles=", ".join(sorted({r.profile for r in done if r.profile})) or "none",
        versions=versions,
        generated=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        explorer_assets=Markup(explorer_assets()) if any(s.explorers for s in sections) else "",
        trusted=Markup,
        fmt_seconds=lambda s: f"{s:.0f}" if s >= 10 else f"{s:.1f}",
    )


def write_report(
    out_dir: str | Path,
    *,
    questions: Sequence[QuestionMeta] = (),
    only: Sequence[str] | None = None,
    errors: dict[str, str] | None = None,
    command_out: str | None = None,
    wall_seconds: float | None = None,
) -> Path:
    """Write ``out_dir/index.html`` from the results found in ``out_dir`` (atomically).

    Args:
        out_dir: output root holding ``<qid>/result.json``.
        questions: the questions to show, in order (default: every result found in ``out_dir``).
        only: restrict the report to these question ids.
        errors: qid -> error message, shown for questions whose run failed.
        command_out: the ``--out`` value to print in the reproduce commands.
        wall_seconds: the wall time of the run, shown in the header.

    Returns:
        The path of ``index.html``.
    """
    out_dir = Path(out_dir)
    errors = dict(errors or {})
    qids = [q.qid for q in questions] or sorted((p.parent.name for p in out_dir.glob("*/result.json")),
                                                key=lambda q: (len(q), q))  # q2 before q10
    if only is not None:
        qids = [q for q in qids if q in only]
        questions = [q for q in questions if q.qid in only]
    results: dict[str, Result | None] = {}
    for qid in qids:
        try:
            results[qid] = read_result(out_dir, qid)
        except ResultError as exc:
            results[qid] = None
            errors.setdefault(qid, str(exc))
    html = render_report(results, out_dir, questions=questions, errors=errors, command_out=command_out,
                         wall_seconds=wall_seconds)
    return atomic_write_text(out_dir / "index.html", html)
