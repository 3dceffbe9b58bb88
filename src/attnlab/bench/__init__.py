"""The performance suite behind ``attnlab bench``.

Every case measures attnlab against a peer in the same run (median of several runs after warm-up, the two
sides alternated) and reports the ratio beside its target. Peak memory is read from the OS in a fresh
process per workload.

- :mod:`attnlab.bench.cases`: the table of cases (by topic: ``mha``, ``kernels``, ``gpt2``, ``suite``);
- :mod:`attnlab.bench.spec`: what an entry is (:class:`TimedCase`, :class:`MemoryCase`, :class:`Case`) and a row
  (:class:`CaseResult`);
- :mod:`attnlab.bench.runner`: the one generic runner; timing itself is :mod:`attnlab.timing`;
- :mod:`attnlab.bench.memory` (peak memory in a fresh process, :mod:`attnlab.bench.workload`),
  :mod:`attnlab.bench.machine` (the machine description);
- :mod:`attnlab.bench.output` (table, JSON) and :mod:`attnlab.bench.docs` (``docs/benchmarks.md``, written by
  ``python -m attnlab.bench --docs docs/benchmarks.md``).
"""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from attnlab.bench.cases import CASES, select_cases
from attnlab.bench.docs import write_docs
from attnlab.bench.machine import machine_info
from attnlab.bench.output import COLUMNS, format_ratio, format_value, print_table, table_rows, write_json
from attnlab.bench.runner import run_case
from attnlab.bench.spec import CaseContext, CaseResult, Target
from attnlab.validation import check_choice

__all__ = [
    "CASES",
    "COLUMNS",
    "CaseResult",
    "Target",
    "format_value",
    "print_table",
    "run_bench",
    "table_rows",
    "write_json",
]

DEVICES = ("cpu", "cuda")


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
    merge: Path | None = None,
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
        merge: a previous run's JSON: the rows of the cases this run leaves out are taken from it, each
            keeping the date of the run that measured it (so one slow case need not run again to refresh
            the others). Ratios are always within one run.

    Returns:
        One :class:`CaseResult` per case, in order. A failing case yields a row with ``error`` set.
    """
    check_choice("device", device, DEVICES)
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
        r.measured_utc = started.isoformat(timespec="seconds")
        r.details["measured_on"] = machine.get("cpu")
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
    if merge is not None:
        results = merge_rows(results, json.loads(Path(merge).read_text()), quick)
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
        write_docs(payload, Path(docs_path))
    return results


def merge_rows(results: list[CaseResult], previous: dict, quick: bool) -> list[CaseResult]:
    """This run's rows and, for every case of the table it did not run, the row of ``previous`` (a run's
    JSON payload of the same kind, quick or not), in the table's order."""
    if bool(previous.get("quick")) != quick:
        raise ValueError(f"merge: expected a {'quick' if quick else 'full'} run's JSON, got the other kind")
    fresh = {r.name: r for r in results}
    fields = set(CaseResult.__dataclass_fields__)
    kept = {}
    for row in previous.get("results", []):
        old = CaseResult(**{k: v for k, v in row.items() if k in fields})
        old.details["kept"] = True  # not measured by this run
        if old.measured_utc is None:  # a row of the previous run itself, from before rows were dated
            old.measured_utc = previous.get("started_utc")
            old.details.setdefault("measured_on", previous.get("machine", {}).get("cpu"))
        kept[old.name] = old
    ordered = [fresh.get(name) or kept.get(name) for name in CASES]
    return [r for r in ordered if r is not None]
