"""The experiment runner as a user meets it: the quick report with ``--jobs 2`` against ``--jobs 1``, and the
compute time a finished quick report recorded."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from attnlab.bench.spec import Case, CaseContext, CaseResult, Target

__all__ = ["REPORT_DIRS_ENV", "SUITE", "read_report_seconds"]


def _runner_jobs(ctx: CaseContext) -> CaseResult:
    """The command as a user runs it, in a fresh process and a fresh folder each time (nothing cached).

    The wall time covers everything the user waits for: start-up, every trial (those that time
    themselves run alone in both), the figures and the HTML page.
    """
    from attnlab.results import read_result

    profile = "tiny" if ctx.quick else "quick"
    walls, evidence, qids = {}, {}, []
    with tempfile.TemporaryDirectory() as tmp:
        for jobs in (1, 2):
            out = Path(tmp) / f"jobs{jobs}"
            cmd = [sys.executable, "-m", "attnlab", "report", "--profile", profile, "--jobs", str(jobs),
                   "--out", str(out), "--no-progress"]
            start = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            walls[jobs] = time.perf_counter() - start
            qids = sorted(p.parent.name for p in out.glob("*/result.json"))
            evidence[jobs] = {q: [e.to_dict() for e in read_result(out, q).evidence if not e.timing] for q in qids}
    same = evidence[1] == evidence[2]
    return CaseResult(
        name="runner.jobs",
        title=f"`attnlab report --profile {profile}` ({len(qids)} questions): --jobs 2 vs --jobs 1",
        peer_name="the serial runner (--jobs 1)",
        unit="s",
        attnlab=walls[2],
        peer=walls[1],
        ratio=walls[2] / walls[1],
        notes=f"{len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()} usable "
              f"cores; the same evidence (timings aside) with both: {'yes' if same else 'NO'}",
        details={"profile": profile, "questions": qids, "same_evidence": same, "walls_s": walls},
    )


REPORT_DIRS_ENV = "ATTNLAB_REPORT_DIR"


def _report_dirs() -> list[Path]:
    dirs = []
    if os.environ.get(REPORT_DIRS_ENV):
        dirs.append(Path(os.environ[REPORT_DIRS_ENV]))
    cwd = Path.cwd()
    dirs += [cwd / "attnlab-report", cwd / "docs" / "report-quick"]
    return dirs


def read_report_seconds(dirs: list[Path] | None = None) -> tuple[float, list[str], Path] | None:
    """Summed trial seconds of the quick-profile results in the first directory that has any.

    Only results whose ``profile`` is "quick" count (a full or tiny run beside them is skipped). Returns
    (total seconds, qids, directory) or None when no quick result is found.
    """
    from attnlab.results import ResultError, read_result

    for d in dirs if dirs is not None else _report_dirs():
        total, qids = 0.0, []
        for path in sorted(d.glob("*/result.json")) if d.is_dir() else []:
            try:
                result = read_result(d, path.parent.name)
            except ResultError:
                continue
            if result is None or result.profile != "quick":
                continue
            total += result.seconds
            qids.append(result.qid)
        if qids:
            return total, qids, d
    return None


def _report_quick_compute(ctx: CaseContext) -> CaseResult:
    found = read_report_seconds()
    title = "attnlab report --profile quick, sum of trial seconds over the results"
    if found is None:
        return CaseResult(name="report.quick_compute", title=title, peer_name="-", unit="s",
                          notes="no quick-profile result found (looked in "
                          + ", ".join(str(d) for d in _report_dirs()) + f"; set {REPORT_DIRS_ENV})")
    total, qids, d = found
    return CaseResult(name="report.quick_compute", title=title, peer_name="-", unit="s", attnlab=total,
                      notes=f"{len(qids)} questions ({', '.join(qids)}) from {d}",
                      details={"qids": qids, "dir": str(d)})


SUITE = [
    Case("runner.jobs", "`attnlab report --profile quick`: wall time with --jobs 2 vs --jobs 1 (serial)",
         _runner_jobs, Target("<=", 0.6)),
    Case("report.quick_compute", "`attnlab report --profile quick`: trial compute time (recorded)",
         _report_quick_compute),
]
