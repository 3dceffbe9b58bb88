"""Write ``docs/benchmarks.md`` from a benchmark run (the page is produced, never typed in)."""

from __future__ import annotations

from pathlib import Path

from attnlab.bench.cases import CASES
from attnlab.bench.figures import FIGURES_DIR, draw_figures
from attnlab.bench.output import COLUMNS, table_rows
from attnlab.bench.spec import CaseResult
from attnlab.results import atomic_write_text

REGENERATE = "python -m attnlab.bench --docs docs/benchmarks.md"


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(payload: dict, figures: list[tuple[str, str]] = ()) -> str:
    """The Markdown page for one run's payload (as written to JSON by :func:`attnlab.bench.run_bench`);
    ``figures`` are (caption, file name) in the figures folder next to the page."""
    quick = bool(payload.get("quick"))
    results = [CaseResult(**r) for r in payload["results"]]
    older = sorted({r.measured_utc or "undated" for r in results if r.details.get("kept")})
    m = payload["machine"]
    lines = [
        "# Benchmarks",
        "",
        f"Produced by `{payload.get('command') or REGENERATE}` on {payload['started_utc']} "
        f"in {payload['seconds'] / 60:.1f} min; do not edit by hand. Regenerate with:",
        "",
        "```",
        REGENERATE,
        "```",
        "",
        "Every ratio is attnlab / peer measured in the same run: the median of several timed calls after "
        "warm-up, attnlab and the peer alternated. Times: lower is better; tokens/s and FLOP/s: higher is "
        "better. Peak memory is the resident high-water mark read from the OS in a fresh process per "
        "workload, minus that process's baseline after imports and inputs (on CUDA: "
        "`torch.cuda.max_memory_allocated`).",
        "",
    ]
    if older:
        lines += [f"Rows marked † were measured in an earlier run ({', '.join(older)}) and kept (`--merge`): their "
                  "cases were not run again. Each ratio is still within one run; the machine below is this run's, "
                  "and the case list names the CPU of each kept row.", ""]
    if quick:
        lines += ["**Quick run** (tiny shapes, a smoke test): the targets are not evaluated.", ""]
    lines += [
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        f"| CPU | {_md_escape(m.get('cpu'))} |",
        f"| cores / torch threads | {m.get('cores')} / {m.get('torch_threads')} |",
        f"| memory | {m.get('memory_gib')} GiB |",
        f"| device | {m.get('device')}{' (' + m['gpu'] + ')' if m.get('gpu') else ''} |",
        f"| torch / transformers / Python | {m.get('torch')} / {m.get('transformers')} / {m.get('python')} |",
        f"| platform | {_md_escape(m.get('platform'))} |",
        f"| load average at start / end | {m.get('load_average')} / {m.get('load_average_end')} |",
        "",
        "## Results",
        "",
        "| " + " | ".join(COLUMNS) + " |",
        "|" + "|".join(["---"] + ["---:"] * 3 + ["---", "---"]) + "|",
    ]
    for r, row in zip(results, table_rows(results, quick), strict=True):
        if r.details.get("kept"):
            row = [row[0] + " †", *row[1:]]
        lines.append("| " + " | ".join(_md_escape(c) for c in row) + " |")
    if figures:
        lines += ["", "## Figures", ""]
        for caption, file in figures:
            lines += [f"![{caption}]({FIGURES_DIR}/{file})", "", f"*{caption}.*", ""]
    lines += ["", "## Cases", ""]
    for r in results:
        desc = CASES[r.name].title if r.name in CASES else r.title
        lines.append(f"- **{r.name}** — {_md_escape(desc)}. Peer: {_md_escape(r.peer_name)}.")
        if r.notes:
            lines.append(f"  {_md_escape(r.notes)}.")
        if r.error:
            lines.append(f"  Failed: `{_md_escape(r.error)}`.")
        on = r.details.get("measured_on")
        when = f" Measured {r.measured_utc}{' on ' + on if on else ''}." if r.details.get("kept") else ""
        lines.append(f"  Took {r.seconds:.1f} s.{when}")
    lines.append("")
    return "\n".join(lines)


def write_docs(payload: dict, path: Path) -> None:
    """Draw the figures into ``FIGURES_DIR`` next to ``path``, render ``payload`` and write it atomically."""
    results = [CaseResult(**r) for r in payload["results"]]
    figures = draw_figures(results, Path(path).parent / FIGURES_DIR)
    atomic_write_text(path, render_markdown(payload, figures))
