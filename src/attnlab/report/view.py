"""The view of a question's section: what the report's template shows, built from a result.

:func:`section_view` gathers one question's figures (inlined as ``data:`` URIs, read only from the
question's folder), the rows of its evidence (each sub-claim's deciding numbers, then every other
measurement), its attention explorers and the command that reproduces it. A question without a result
gets the metadata its caller passes in.
"""

from __future__ import annotations

import base64
import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attnlab.lab import words
from attnlab.report.formatting import evidence_bounds, format_value, ratio_method
from attnlab.report.i18n import ci_method_zh, unit_zh
from attnlab.results import Evidence, Result

__all__ = ["FIGURE_FORMATS", "FigureView", "RowView", "SectionView", "explorer_fragments", "reproduce_command",
           "section_view"]

_MIME = {".png": "image/png", ".svg": "image/svg+xml"}
SOFTMAX_QUESTIONS = ("q3", "q4")  # why scale, and why √d_k: the seed's softmax([1, 2, 10]) with a scale to move
FIGURE_FORMATS = (".svg", ".png")  # the SVG first: sharp at any size and when zoomed, and smaller


def reproduce_command(result: Result, out_dir: str | Path | None = None) -> str:
    """The command that reproduces ``result``."""
    parts = ["attnlab", "run", result.qid, "--profile", result.profile or "quick"]
    seeds = list(result.seeds)
    if seeds and seeds == list(range(len(seeds))):
        parts += ["--seeds", str(len(seeds))]
    if out_dir is not None:
        parts += ["--out", str(out_dir)]
    return shlex.join(parts)


@dataclass
class FigureView:
    name: str
    title: str
    title_zh: str
    caption: str
    caption_zh: str
    src: str  # data: URI
    headline: bool
    src_zh: str = ""  # the figure drawn with its text in Chinese (data: URI), "" where there is none


@dataclass
class RowView:
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
    kind: str = ""  # a ratio's kind: "paired: geometric mean of the per-seed ratios", "ratio of medians"
    kind_zh: str = ""
    method_zh: str = ""  # ``method`` in Chinese, "" where it has no known translation (the English shows)


@dataclass
class SectionView:
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
    headline: FigureView | None = None
    figures: list[FigureView] = field(default_factory=list)
    claim_rows: dict[str, list[RowView]] = field(default_factory=dict)  # each sub-claim's deciding evidence
    claim_ratios: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # how its ratios were computed
    other_rows: list[RowView] = field(default_factory=list)
    explorers: list[str] = field(default_factory=list)  # HTML fragments (trusted: built by attnlab)
    softmax: str = ""  # q3 and q4: the softmax panel (trusted HTML)
    standard_verdict: str = ""  # a quick result's verdict in the standard run attnlab ships ("" if none)
    command: str = ""
    config: str = ""


def _data_uri(path: Path) -> str | None:
    mime = _MIME.get(path.suffix.lower())
    if mime is None or not path.is_file():
        return None
    return f"data:{mime};base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def _inside(qdir: Path, rel: str) -> str | None:
    """The data URI of ``qdir/rel``, or None where it is missing or lies outside ``qdir``."""
    path = (qdir / rel).resolve()
    return _data_uri(path) if qdir.resolve() in path.parents else None


def _figures(result: Result, qdir: Path) -> list[FigureView]:
    """One image per plot (SVG preferred, PNG otherwise), and its Chinese SVG where the plot has Chinese text
    and it was drawn; never read outside the question's folder."""
    out = []
    for plot in result.plots:
        uri = next((u for ext in FIGURE_FORMATS if (u := _inside(qdir, f"{plot.name}{ext}")) is not None), None)
        if uri is None:
            continue
        uri_zh = _inside(qdir, f"{plot.name}.zh.svg") if plot.has_zh_text() else None
        out.append(FigureView(plot.name, plot.title, plot.title_zh, plot.caption, plot.caption_zh, uri,
                              plot.headline, src_zh=uri_zh or ""))
    return out


def _row(e: Evidence) -> RowView:
    bounds = evidence_bounds(e)
    if e.per_seed is not None:
        details = format_value(e.per_seed, max_items=20, bounds=bounds)
    elif isinstance(e.value, list):
        details = json.dumps(e.value, ensure_ascii=False)[:4000]
    else:
        details = ""
    if isinstance(e.value, list):
        value, value_zh = f"{len(e.value)} values", f"{len(e.value)} 个值"
    elif isinstance(e.value, str) or (e.unit == "steps" and e.per_seed is not None):
        value, value_zh = words.fmt(e, "en"), words.fmt(e, "zh")  # "not reached", censored counts, undefined ratios
        value_zh = {"yes": "是", "no": "否"}.get(value_zh, value_zh)
    else:
        value = value_zh = format_value(e.value, e.ci, bounds=bounds)
    kind, kind_zh = ratio_method(e)
    return RowView(label=e.label or e.name, label_zh=e.label_zh, name=e.name, value=value, value_zh=value_zh,
                method=e.ci_method, unit=e.unit, unit_zh=unit_zh(e.unit), anchor=e.anchor, details=details,
                kind=kind, kind_zh=kind_zh, method_zh=ci_method_zh(e.ci_method))


def _evidence_rows(result: Result) -> tuple[dict[str, list[RowView]], list[RowView]]:
    """Each sub-claim's deciding evidence, and every other measurement."""
    by_name = {e.name: e for e in result.evidence}
    claim_rows = {c.name: [_row(by_name[n]) for n in c.evidence if n in by_name] for c in result.claims}
    used = {n for c in result.claims for n in c.evidence}
    return claim_rows, [_row(e) for e in result.evidence if e.name not in used]


def explorer_fragments(result: Result, qid: str, *, id_prefix: str | None = None) -> list[str]:
    """The explorer fragment of each of ``result``'s attention maps (ids ``<id_prefix or qid>-explorer-<i>``;
    no assets: add :func:`~attnlab.report.explorer.explorer_assets` once)."""
    if not result.attention_maps:
        return []
    from attnlab.report.explorer import explorer_fragment

    # the report writes each map's title above it, in both languages; the explorer opens on the view that
    # answers it (layer, head and pinned token), with its answer line, and titles its exports with it
    out = []
    for i, m in enumerate(result.attention_maps):
        focus: dict = {}
        if m.focus_layer is not None:
            focus["layer"] = m.focus_layer
        if m.focus_head is not None:
            focus["heads"] = [m.focus_head]
        if m.focus_token is not None:
            focus["token"] = m.focus_token
        out.append(explorer_fragment(m.tokens, m.weights, title=None, element_id=f"{id_prefix or qid}-explorer-{i}",
                                     include_assets=False, answer=m.answer or None, answer_zh=m.answer_zh or None,
                                     export_title=m.title, steps=m.steps, attribution=m.attribution, **focus))
    return out


def standard_verdict(result: Result) -> str:
    """The verdict of the standard run attnlab ships for a quick ``result``'s question ("" if it ships none, or
    ``result`` is not a quick run)."""
    if result.profile != "quick":
        return ""
    from attnlab.shipped import read_shipped

    try:
        shipped = read_shipped(result.qid)
    except Exception:  # noqa: BLE001 - a broken installation must not stop the report
        return ""
    return shipped.verdict if shipped is not None and shipped.profile == "standard" else ""


_explorers = explorer_fragments  # the name it had before it was public


def section_view(meta: Any, result: Result | None, error: str, out_dir: Path,
                 command_out: str | None) -> SectionView:
    src = result if result is not None else meta
    qid = src.qid
    sec = SectionView(qid=qid, group=getattr(src, "group", "seed") or "seed",
                      title=getattr(src, "title", "") or qid,
                      question=getattr(src, "question", ""), question_zh=getattr(src, "question_zh", ""),
                      claim=getattr(src, "claim", ""), claim_zh=getattr(src, "claim_zh", ""),
                      status="failed" if error else "not run", error=error)
    if result is None:
        sec.command = shlex.join(["attnlab", "run", qid, "--profile", "quick"]
                                 + (["--out", command_out] if command_out else []))
        return sec
    sec.status = result.verdict
    sec.result = result
    sec.standard_verdict = standard_verdict(result)
    figures = _figures(result, out_dir / qid)
    sec.headline = next((f for f in figures if f.headline), figures[0] if figures else None)
    sec.figures = [f for f in figures if f is not sec.headline]
    sec.claim_rows, sec.other_rows = _evidence_rows(result)
    sec.claim_ratios = {name: list(dict.fromkeys((r.kind, r.kind_zh) for r in rows if r.kind))
                        for name, rows in sec.claim_rows.items()}
    sec.explorers = explorer_fragments(result, qid)
    if qid in SOFTMAX_QUESTIONS:
        from attnlab.report.softmax import softmax_panel

        sec.softmax = softmax_panel(element_id=f"{qid}-softmax")
    sec.command = reproduce_command(result, command_out)
    sec.config = json.dumps(result.config, ensure_ascii=False, sort_keys=True, indent=1)
    return sec
