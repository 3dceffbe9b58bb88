"""The performance suite behind ``attnlab bench``.

Every case measures attnlab against a peer in the same run (median of several runs after warm-up, the two
sides alternated) and reports the ratio beside its target. Peak memory is read from the OS in a fresh
process per workload. The cases live in :mod:`attnlab.bench.cases`; timing, memory and the machine
description in :mod:`attnlab.bench.harness`; ``docs/benchmarks.md`` is written by
:mod:`attnlab.bench.docs` (``python -m attnlab.bench --docs docs/benchmarks.md``).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from attnlab.bench.cases import CASES, CaseContext, CaseResult, Target, run_case, select_cases
from attnlab.bench.harness import machine_info

__all__ = ["CASES", "CaseResult", "Target", "format_value", "print_table", "run_bench", "write_json"]

DEVICES = ("cpu", "cuda")


def format_value(x: float | None, unit: str) -> str:
    """A table cell: ``x`` with 3-4 significant digits and its unit, or "-"."""
    if x is None:
        return "-"
    if unit == "tokens":
        return f"{x:.0f}"
    ax = abs(x)
    text = f"{x:,.0f}" if ax >= 100 else f"{x:.3g}" if ax >= 0.01 or ax == 0 else f"{x:.2e}"
    return f"{text} {unit}"


def format_ratio(r: float | None) -> str:
    if r is None:
        return "-"
    return f"{r:.3f}" if abs(r) >= 0.01 or r == 0 else f"{r:.1e}"


def format_met(result: CaseResult, quick: bool) -> str:
    if result.error:
        return "error"
    if result.target is None:
        return "-"
    if quick:
        return "n/a (quick)"
    return {True: "yes", False: "no", None: "-"}[result.met]


def table_rows(results: list[CaseResult], quick: bool) -> list[list[str]]:
    """Rows of (case, attnlab, peer, ratio, target, met?) as strings."""
    rows = []
    for r in results:
        rows.append([
            r.title,
            "error" if r.error else format_value(r.attnlab, r.unit),
            format_value(r.peer, r.unit),
            format_ratio(r.ratio),
            r.target or "-",
            format_met(r, quick),
        ])
    return rows


COLUMNS = ["case", "attnlab", "peer", "ratio", "target", "met?"]


def print_table(results: list[CaseResult], quick: bool = False, console=None) -> None:
    """Print the results as a rich table, peers and errors underneath."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title="attnlab bench" + (" (quick: smoke run, targets not evaluated)" if quick else ""))
    for col in COLUMNS:
        table.add_column(col, justify="left" if col in ("case", "target") else "right")
    for row in table_rows(results, quick):
        table.add_row(*row)
    console.print(table)
    for r in results:
        if r.error:
            console.print(f"[red]{r.name}[/red]: {r.error}")
        elif r.notes:
            console.print(f"[dim]{r.name}: peer = {r.peer_name}; {r.notes}[/dim]")


def write_json(payload: dict, path: Path) -> None:
    """Write ``payload`` as JSON atomically (temporary file in the same directory, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(payload, f, indent=2, default=str)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_bench(
    quick: bool,
    json_path: Path | None,
    device: str = "cpu",
    *,
    cases: list[str] | None = None,
    docs_path: Path | None = None,
    progress: bool = True,
    console=None,
    command: str | None = None,
) -> list[CaseResult]:
    """Run the benchmark suite, print its table, and optionally write JSON and the docs page.

    Args:
        quick: tiny shapes, a smoke run of a minute or two; targets are shown but not evaluated.
        json_path: where to write the results as JSON (None: do not write).
        device: "cpu" or "cuda" (every case runs there; memory on CUDA is torch's allocator peak).
        cases: case names or prefixes to run (e.g. ["mha", "scores.general"]); default all.
        docs_path: where to write the Markdown page (``docs/benchmarks.md``); None: do not write.
        progress: print one line per case as it finishes.
        command: the command line to record in the JSON and docs (default: this process's argv).

    Returns:
        One :class:`CaseResult` per case, in order. A failing case yields a row with ``error`` set.
    """
    if device not in DEVICES:
        raise ValueError(f"device: expected one of {DEVICES}, got {device!r}")
    if device == "cuda":
        import torch

        if not torch.cuda.is_available():
            raise ValueError("device: 'cuda' was asked for but torch.cuda.is_available() is False")
    from rich.console import Console

    console = console or Console(width=None if sys.stdout.isatty() else 160)
    chosen = select_cases(quick, cases)
    started = datetime.now(timezone.utc)
    machine = machine_info(device)
    ctx = CaseContext(quick=quick, device=device)
    t0 = time.perf_counter()
    results = []
    for c in chosen:
        r = run_case(c, ctx)
        results.append(r)
        if progress:
            status = f"error: {r.error}" if r.error else f"ratio {format_ratio(r.ratio)}"
            console.print(f"[dim]{c.name}: {r.seconds:.1f} s, {status}[/dim]")
            console.file.flush()
    total = time.perf_counter() - t0
    machine["load_average_end"] = machine_info(device)["load_average"]
    print_table(results, quick=quick, console=console)
    if command is None:
        command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
    payload = {
        "suite": "attnlab bench",
        "quick": quick,
        "device": device,
        "started_utc": started.isoformat(timespec="seconds"),
        "seconds": total,
        "command": command,
        "machine": machine,
        "results": [r.to_dict() for r in results],
    }
    if json_path is not None:
        write_json(payload, Path(json_path))
    if docs_path is not None:
        from attnlab.bench.docs import write_docs

        write_docs(payload, Path(docs_path))
    return results
