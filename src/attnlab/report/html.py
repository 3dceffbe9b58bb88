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
passed in by the caller (the command line takes it from the experiments' registry). What each section
shows is built by :mod:`attnlab.report.view`; numbers and checks are written by
:mod:`attnlab.report.formatting` (both re-exported here).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from pathlib import Path

from attnlab.lab.spec import Question
from attnlab.report.figures.fonts import font_note
from attnlab.report.formatting import check_mark, evidence_bounds, format_number, format_value, ratio_method
from attnlab.report.i18n import BASIS_WORDS, STANCE_WORDS, UI, VERDICT_WORDS
from attnlab.report.view import FIGURE_FORMATS, reproduce_command, section_view
from attnlab.results import Result, ResultError, atomic_write_text, read_result

__all__ = ["FIGURE_FORMATS", "QuestionMeta", "VERDICT_COLORS", "check_mark", "evidence_bounds", "format_number",
           "format_value", "ratio_method", "render_report", "reproduce_command", "write_report"]

_TEMPLATES = Path(__file__).parent / "templates"

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
    from attnlab.report.softmax import softmax_assets

    out_dir = Path(out_dir)
    errors = errors or {}
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES)), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    metas = {q.qid: q for q in questions}
    qids = [q.qid for q in questions] + [q for q in results if q not in metas]
    sections = [section_view(metas.get(q), results.get(q), errors.get(q, ""), out_dir, command_out) for q in qids]
    done = [s.result for s in sections if s.result is not None]
    versions = done[0].versions if done else {}
    return env.get_template("report.html").render(
        seed_sections=[s for s in sections if s.group == "seed"],
        # beyond the seed: a section for each question run (or failed) here, one line for each of the others
        beyond_sections=[s for s in sections if s.group != "seed" and (s.result is not None or s.error)],
        beyond_not_run=[s for s in sections if s.group != "seed" and s.result is None and not s.error],
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
        softmax_assets=Markup(softmax_assets()) if any(s.softmax for s in sections) else "",
        check_mark=check_mark,
        figure_font=font_note(),
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
