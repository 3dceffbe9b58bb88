"""The self-contained HTML report.

:func:`write_report` reads ``OUT/<qid>/result.json`` for every question and writes ``OUT/index.html``:
one file, CSS inline, figures inlined as base64 ``data:`` images, no external resources (it works
offline). The template is rendered by Jinja2 with autoescaping on, so every string that came from a
result (summary, rule, evidence names, anchors, config...) is HTML-escaped.
"""

from __future__ import annotations

import base64
import datetime as _dt
import math
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attnlab.experiments.base import (
    ExperimentError,
    ExperimentInfo,
    Result,
    atomic_write_text,
    get_info,
    list_experiments,
    read_result,
)
from attnlab.report.plots import VERDICT_COLORS

__all__ = ["format_value", "render_report", "reproduce_command", "write_report"]

_TEMPLATES = Path(__file__).parent / "templates"
_MIME = {".png": "image/png", ".svg": "image/svg+xml", ".jpg": "image/jpeg", ".jpeg": "image/jpeg"}


def _num(x: float) -> str:
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    if x.is_integer() and abs(x) < 1e12:  # counts (parameters, FLOPs) stored as floats
        return str(int(x))
    ax = abs(x)
    if ax != 0 and (ax >= 1e5 or ax < 1e-3):
        return f"{x:.3g}"
    return f"{x:.4g}"


def format_value(value: Any, ci: tuple[float, float] | list[float] | None = None, *, max_items: int = 10) -> str:
    """Human-readable evidence value: ``"0.912 [0.901, 0.923]"``, a short list, or the text itself."""
    if isinstance(value, list):
        items = [format_value(v, max_items=max_items) for v in value[:max_items]]
        more = f", … ({len(value)} items)" if len(value) > max_items else ""
        return "[" + ", ".join(items) + more + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {format_value(v)}" for k, v in list(value.items())[:max_items]) + "}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        s = _num(value)
        if ci is not None:
            s += f" [{_num(ci[0])}, {_num(ci[1])}]"
        return s
    return str(value)


def reproduce_command(result: Result, out_dir: str | Path | None = None) -> str:
    """The exact command that reproduces ``result``."""
    parts = ["attnlab", "run", result.qid, "--profile", result.profile or "quick"]
    seeds = list(result.seeds)
    if seeds == list(range(len(seeds))) and seeds:
        parts += ["--seeds", str(len(seeds))]
    if out_dir is not None:
        parts += ["--out", str(out_dir)]
    return shlex.join(parts)


@dataclass
class _Figure:
    name: str
    src: str  # data: URI


@dataclass
class _Section:
    qid: str
    title: str
    question_en: str
    question_zh: str
    claim: str
    claim_zh: str
    status: str  # verdict, "not run" or "failed"
    result: Result | None = None
    error: str = ""
    figures: list[_Figure] = field(default_factory=list)
    rows: list[dict[str, str]] = field(default_factory=list)
    command: str = ""
    config: str = ""


def _data_uri(path: Path) -> str | None:
    mime = _MIME.get(path.suffix.lower())
    if mime is None or not path.is_file():
        return None
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _figures(result: Result, qdir: Path) -> list[_Figure]:
    """One image per figure stem, preferring PNG over SVG (both are saved by ``save_figure``)."""
    by_stem: dict[str, list[str]] = {}
    for rel in result.figures:
        by_stem.setdefault(str(Path(rel).with_suffix("")), []).append(rel)
    out = []
    for stem, rels in by_stem.items():
        rels = sorted(rels, key=lambda r: (Path(r).suffix.lower() != ".png", r))
        for rel in rels:
            # never read outside the question's folder
            path = (qdir / rel).resolve()
            if qdir.resolve() not in path.parents:
                continue
            uri = _data_uri(path)
            if uri is not None:
                out.append(_Figure(name=Path(stem).name, src=uri))
                break
    return out


def _section(qid: str, result: Result | None, error: str, out_dir: Path, command_out: str | None) -> _Section:
    try:
        info = get_info(qid)
    except ValueError:  # a result for a question this version does not know
        info = ExperimentInfo(qid, "", qid, "", "", "", "")
    if result is None:
        return _Section(
            qid=qid, title=info.title, question_en=info.question_en, question_zh=info.question_zh,
            claim=info.claim, claim_zh=info.claim_zh, status="failed" if error else "not run", error=error,
            command=shlex.join(["attnlab", "run", qid, "--profile", "quick"]
                               + (["--out", command_out] if command_out else [])),
        )
    import json

    rows = [
        {
            "name": e.name,
            "value": format_value(e.value, e.ci),
            "unit": e.unit,
            "anchor": e.anchor or "",
        }
        for e in result.evidence
    ]
    return _Section(
        qid=qid,
        title=result.title or info.title,
        question_en=result.question or info.question_en,
        question_zh=result.question_zh or info.question_zh,
        claim=result.claim or info.claim,
        claim_zh=info.claim_zh,
        status=result.verdict,
        result=result,
        figures=_figures(result, out_dir / qid),
        rows=rows,
        command=reproduce_command(result, command_out),
        config=json.dumps(result.config, ensure_ascii=False, sort_keys=True),
    )


def render_report(
    results: dict[str, Result | None],
    out_dir: str | Path,
    *,
    errors: dict[str, str] | None = None,
    command_out: str | None = None,
    qids: list[str] | None = None,
) -> str:
    """Render the report HTML for ``results`` (qid -> Result, or None for "not run").

    Args:
        results: results by question id; every known question gets a section, missing ones "not run".
        out_dir: the output root (figures are read from ``out_dir/<qid>/``).
        errors: qid -> error message for questions whose run failed.
        command_out: the ``--out`` value to show in the reproduce commands (omitted when ``None``).
        qids: the questions to show, in order (default: every known question, then any extra in
            ``results``).
    """
    import jinja2

    out_dir = Path(out_dir)
    errors = errors or {}
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    if qids is None:
        qids = [i.qid for i in list_experiments()]
        qids += [q for q in results if q not in qids]
    sections = [_section(q, results.get(q), errors.get(q, ""), out_dir, command_out) for q in qids]
    total = sum(s.result.seconds for s in sections if s.result is not None)
    profiles = sorted({s.result.profile for s in sections if s.result is not None and s.result.profile})
    versions = next((s.result.versions for s in sections if s.result is not None), {})
    return env.get_template("report.html").render(
        sections=sections,
        colors=VERDICT_COLORS,
        total_seconds=total,
        profiles=", ".join(profiles) or "none",
        versions=versions,
        generated=_dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        fmt_seconds=lambda s: f"{s:.1f}",
    )


def write_report(
    out_dir: str | Path,
    *,
    only: list[str] | None = None,
    errors: dict[str, str] | None = None,
    command_out: str | None = None,
) -> Path:
    """Write ``out_dir/index.html`` from the results found in ``out_dir`` (atomically).

    Args:
        out_dir: output root holding ``<qid>/result.json``.
        only: restrict the report to these question ids (others are left out entirely).
        errors: qid -> error message, shown for questions whose run failed.
        command_out: the ``--out`` value to print in the reproduce commands.

    Returns:
        The path of ``index.html``.
    """
    out_dir = Path(out_dir)
    results: dict[str, Result | None] = {}
    errors = dict(errors or {})
    for info in list_experiments():
        if only is not None and info.qid not in only:
            continue
        try:
            results[info.qid] = read_result(out_dir, info.qid)
        except ExperimentError as exc:
            results[info.qid] = None
            errors.setdefault(info.qid, str(exc))
    html = render_report(results, out_dir, errors=errors, command_out=command_out, qids=list(results))
    return atomic_write_text(out_dir / "index.html", html)
