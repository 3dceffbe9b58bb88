"""Wall-clock timing, the one home of attnlab's timing primitives.

- :func:`synchronize`, :func:`time_call`: one call, device work included (CUDA is synchronised around it);
- :func:`measure`: warm-up calls, then the median of repeated calls of one function;
- :func:`compare`: several functions timed in alternation (median of repeats each), for a ratio;
- :func:`thread_timings`: several functions under several torch thread counts, paired per repeat;
- :func:`others_load`: how many cores other processes kept busy while a block ran.

Used by the benchmarks (``attnlab bench``) and by the questions that measure speed (q5, q6, q8).

A speed-up of 2 threads over 1 is a ratio of two timings; on a shared machine the load drifts, so the two
must be taken close together and many times. :func:`thread_timings` takes one measurement of every
(function, thread count) per *repeat*, in an order that rotates, so the i-th repeat of every pair was
measured within moments of each other: ratios are then formed per repeat (paired) and summarised over the
repeats with an interval. :func:`others_load` says how busy the rest of the machine was meanwhile (a
speed-up measured while other processes compete for the cores is a measurement of that competition).
"""

from __future__ import annotations

import contextlib
import math
import os
import statistics
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import torch

from attnlab.validation import check_int

__all__ = ["Timing", "compare", "measure", "others_load", "synchronize", "thread_timings", "time_call"]


@dataclass(frozen=True)
class Timing:
    """Wall-clock timings of one function, in seconds."""

    median: float  # median over the timed calls
    minimum: float  # fastest timed call
    times: tuple[float, ...]  # every timed call, in order

    def to_dict(self) -> dict:
        return {"median_s": self.median, "min_s": self.minimum, "times_s": list(self.times)}


def synchronize(device: str) -> None:
    """Wait for queued work on ``device`` (a no-op on CPU)."""
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def time_call(fn: Callable[[], object], device: str = "cpu", calls: int = 1) -> float:
    """Seconds per call of ``fn`` over ``calls`` back-to-back calls, device work included."""
    synchronize(device)
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    synchronize(device)
    return (time.perf_counter() - start) / calls


def measure(fn: Callable[[], object], *, warmup: int = 1, repeats: int = 5, device: str = "cpu") -> Timing:
    """``warmup`` untimed calls of ``fn``, then ``repeats`` timed calls; their median, minimum and all times."""
    return compare({"fn": fn}, warmup=warmup, repeats=repeats, device=device)["fn"]


def compare(
    fns: Mapping[str, Callable[[], object]],
    *,
    warmup: int = 2,
    repeats: int = 5,
    device: str = "cpu",
) -> dict[str, Timing]:
    """Time several functions in alternation and return the median of each.

    Alternating (a, b, a, b, ..., the order rotated each round) keeps a slow phase of a shared machine from
    landing on one side of a ratio only.

    Args:
        fns: name -> zero-argument callable doing one unit of work.
        warmup: untimed calls of each function first (allocator, caches, lazy init).
        repeats: timed calls of each function.
        device: ``"cpu"`` or ``"cuda..."``; CUDA work is synchronised around each call.
    """
    check_int("warmup", warmup, 0)
    check_int("repeats", repeats, 1)
    names = list(fns)
    for _ in range(warmup):
        for name in names:
            fns[name]()
    synchronize(device)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        order = names[r % len(names) :] + names[: r % len(names)]  # rotate so no function always goes first
        for name in order:
            times[name].append(time_call(fns[name], device))
    return {
        name: Timing(statistics.median(ts), min(ts), tuple(ts)) for name, ts in times.items()
    }


def thread_timings(
    fns: Mapping[str, Callable[[], object]],
    *,
    threads: Sequence[int] = (1, 2),
    repeats: int = 7,
    warmup: int = 2,
    min_seconds: float = 0.005,
    max_seconds: float | None = None,
    device: str = "cpu",
) -> dict[str, dict[int, list[float]]]:
    """Seconds per call of each function under each thread count, ``repeats`` paired measurements each.

    Args:
        fns: name -> zero-argument callable doing one unit of work.
        threads: torch thread counts to compare (``torch.set_num_threads``); restored afterwards.
        repeats: timed measurements of every (function, thread count).
        warmup: untimed rounds over every (function, thread count) first (allocator, thread pools, caches);
            at least 1: the last round also fixes each function's loop count.
        min_seconds: a measurement loops a short function until it lasts about this long (the loop count is
            fixed per function in the warm-up, so every repeat does the same work).
        max_seconds: stop after the repeat during which the timed repeats passed this many seconds (a busy
            machine then yields fewer repeats, which the caller sees, instead of an unbounded run).
        device: ``"cpu"`` or ``"cuda..."`` (device work is synchronised around each measurement).

    Returns:
        ``{name: {threads: [seconds per call, one per repeat]}}``.

    With several thread counts, each measurement follows one untimed call under the new count (the first
    call after a switch pays for waking the thread pool). Repeat ``r`` visits the functions in an order
    rotated by ``r`` and the thread counts forwards on even and backwards on odd repeats, so no condition
    always runs first.
    """
    check_int("repeats", repeats, 1)
    check_int("warmup", warmup, 1)
    if not threads:
        raise ValueError(f"threads: expected at least one thread count, got {threads!r}")
    for i, t in enumerate(threads):
        check_int(f"threads[{i}]", t, 1)
    names = list(fns)
    old = torch.get_num_threads()
    calls: dict[str, int] = {}
    out: dict[str, dict[int, list[float]]] = {name: {t: [] for t in threads} for name in names}
    try:
        torch.set_num_threads(threads[0])
        for w in range(warmup):
            for name in names:
                for t in threads:
                    torch.set_num_threads(t)
                    fns[name]()
                    if w == warmup - 1 and t == min(threads):  # the slowest setting sets the loop count
                        calls[name] = max(1, math.ceil(min_seconds / max(time_call(fns[name], device), 1e-9)))
        start = time.perf_counter()
        for r in range(repeats):
            if max_seconds is not None and r > 0 and time.perf_counter() - start > max_seconds:
                break
            order = names[r % len(names):] + names[: r % len(names)]
            for name in order:
                for t in (threads if r % 2 == 0 else list(reversed(threads))):
                    if len(threads) > 1:
                        torch.set_num_threads(t)
                        fns[name]()  # untimed: the first call after a switch wakes the thread pool
                    out[name][t].append(time_call(fns[name], device, calls[name]))
    finally:
        torch.set_num_threads(old)
    return out


def _busy_seconds() -> tuple[float, int] | None:
    """(CPU-seconds all processes have been busy since boot, number of CPUs) from Linux's /proc/stat."""
    try:
        with open("/proc/stat", encoding="ascii") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    fields = [int(x) for x in lines[0].split()[1:]]  # user nice system idle iowait irq softirq steal ...
    cpus = sum(1 for line in lines if line.startswith("cpu") and line[3:4].isdigit())
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK"), cpus


@contextlib.contextmanager
def others_load() -> Iterator[dict[str, float | None]]:
    """Measure how many CPU cores other processes kept busy, on average, while the block ran.

    Yields a dict filled in on exit: ``others_cores`` (busy CPU-seconds of the whole machine minus this
    process's, divided by the wall time) and ``cpus``; both ``None`` where /proc/stat is missing (not Linux).
    """
    out: dict[str, float | None] = {"others_cores": None, "cpus": None}
    start, wall, own = _busy_seconds(), time.perf_counter(), time.process_time()
    try:
        yield out
    finally:
        end = _busy_seconds()
        wall, own = time.perf_counter() - wall, time.process_time() - own
        if start is not None and end is not None and wall > 0:
            out["others_cores"] = max(0.0, (end[0] - start[0] - own) / wall)
            out["cpus"] = float(end[1])
