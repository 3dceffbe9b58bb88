"""One generic runner for every entry of the benchmark table.

:func:`run_case` runs one entry and never raises: a failure becomes a row with ``error`` set, so a broken
case does not hide the others. For a :class:`~attnlab.bench.spec.TimedCase` it builds the callables, puts
the modules in train (grad cases) or eval mode, runs the check and the timing with autograd on or off,
times attnlab and the peer in alternation (:func:`attnlab.timing.compare`: warm-up, then the median of the
repeats) and builds the row; for a :class:`~attnlab.bench.spec.MemoryCase` it measures both workloads in
fresh processes; a plain :class:`~attnlab.bench.spec.Case` runs its own function.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

import torch

from attnlab.bench.memory import MIB, measure_memory
from attnlab.bench.spec import AnyCase, Case, CaseContext, CaseResult, MemoryCase, TimedCase
from attnlab.timing import Timing, compare

__all__ = ["memory_result", "run_case", "run_memory", "run_timed", "select_cases", "timing_details"]


def timing_details(timings: dict[str, Timing]) -> dict:
    """The raw timings of a row's ``details``: ``{name: {"median_s", "min_s", "times_s"}}``."""
    return {name: t.to_dict() for name, t in timings.items()}


def run_timed(case: TimedCase, ctx: CaseContext) -> CaseResult:
    """Build, set the mode, check, time in alternation, and turn the medians into a row."""
    built = case.build(ctx)
    for module in built.modules:
        module.train(case.grad)
    warmup = ctx.warmup if case.warmup is None else case.warmup
    repeats = ctx.repeats if case.repeats is None else ctx.pick(*case.repeats)
    fns = {"attnlab": built.attnlab, "peer": built.peer, **built.others}
    with torch.set_grad_enabled(case.grad):
        details = {**built.details, **(built.check() if built.check is not None else {})}
        timings = compare(fns, warmup=warmup, repeats=repeats, device=ctx.device)
    ta, tp = timings["attnlab"].median, timings["peer"].median
    if built.work is None:
        attnlab, peer = ta * 1e3, tp * 1e3
    else:
        attnlab, peer = built.work[0] / ta, built.work[1] / tp
    notes = case.notes
    if built.after is not None:
        more = built.after(timings)
        notes = more.get("notes", notes)
        details.update(more.get("details", {}))
    return CaseResult(name=case.name, title=built.title, peer_name=case.peer_name, unit=case.unit,
                      attnlab=attnlab, peer=peer, ratio=attnlab / peer, notes=notes,
                      details={**details, "timings": timing_details(timings)})


def memory_result(name: str, title: str, peer_name: str, ours, peer, details: dict) -> CaseResult:
    """A row comparing two :class:`~attnlab.bench.memory.MemoryResult` s, in MiB."""
    return CaseResult(
        name=name, title=title, peer_name=peer_name, unit="MiB",
        attnlab=ours.peak_bytes / MIB, peer=peer.peak_bytes / MIB,
        ratio=ours.peak_bytes / peer.peak_bytes if peer.peak_bytes else None,
        notes="peak over baseline, each in a fresh process",
        details={**details, "attnlab": ours.to_dict(), "peer": peer.to_dict()},
    )


def run_memory(case: MemoryCase, ctx: CaseContext) -> CaseResult:
    """Measure both workloads, each in a fresh process; the results stay in ``ctx.store["memory.NAME"]``."""
    row = case.describe(ctx)
    measured = []
    for workload in (case.attnlab, case.peer):
        result = measure_memory(workload.name, device=ctx.device, quick=ctx.quick)
        ctx.store[f"memory.{workload.name}"] = result
        measured.append(result)
    return memory_result(case.name, row["title"], row.get("peer_name", case.peer_name), measured[0], measured[1],
                         row.get("details", {}))


def _run(c: AnyCase, ctx: CaseContext) -> CaseResult:
    if isinstance(c, TimedCase):
        return run_timed(c, ctx)
    if isinstance(c, MemoryCase):
        return run_memory(c, ctx)
    if isinstance(c, Case):
        return c.fn(ctx)
    raise TypeError(f"case: expected a Case, TimedCase or MemoryCase, got {type(c).__name__}")


def run_case(c: AnyCase, ctx: CaseContext) -> CaseResult:
    """Run one case; a failure becomes a row with ``error`` set instead of stopping the suite."""
    start = time.perf_counter()
    try:
        result = _run(c, ctx)
    except Exception as exc:  # a broken case must not hide the others
        result = CaseResult(name=c.name, title=c.title, peer_name="-", unit="-",
                            error=f"{type(exc).__name__}: {exc}"[:500])
    result.seconds = time.perf_counter() - start
    if c.target is not None:
        result.target = c.target.describe()
        result.met = None if (ctx.quick or result.error) else c.target.check(result)
    ctx.results[c.name] = result
    return result


def select_cases(table: Iterable[AnyCase], quick: bool, names: list[str] | None = None) -> list[AnyCase]:
    """Cases of ``table`` to run: the ``names`` given (exact or prefix, e.g. "mha"), else all (quick: the
    quick ones)."""
    table = list(table)
    if names:
        chosen: list[AnyCase] = []
        for n in names:
            hits = [c for c in table if c.name == n or c.name.startswith(n.rstrip(".") + ".")]
            if not hits:
                raise ValueError(f"cases: expected names or prefixes of {sorted(c.name for c in table)}, got {n!r}")
            chosen += [c for c in hits if c not in chosen]
        return chosen
    return [c for c in table if c.quick or not quick]
