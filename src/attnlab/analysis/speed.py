"""Wall time of several functions under several torch thread counts, measured in alternation.

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
import time
from collections.abc import Callable, Iterator, Mapping, Sequence

import torch

from attnlab.timing import synchronize

__all__ = ["others_load", "thread_timings"]


def _timed(fn: Callable[[], object], calls: int, device: str) -> float:
    synchronize(device)
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    synchronize(device)
    return (time.perf_counter() - start) / calls


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
    if repeats < 1 or warmup < 1:
        raise ValueError(f"repeats, warmup: expected ints >= 1, got {repeats}, {warmup}")
    if not threads or any(isinstance(t, bool) or not isinstance(t, int) or t < 1 for t in threads):
        raise ValueError(f"threads: expected thread counts >= 1, got {threads!r}")
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
                        calls[name] = max(1, math.ceil(min_seconds / max(_timed(fns[name], 1, device), 1e-9)))
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
                    out[name][t].append(_timed(fns[name], calls[name], device))
    finally:
        torch.set_num_threads(old)
    return out


def _busy_seconds() -> tuple[float, int] | None:
    """(CPU-seconds all processes have been busy since boot, number of CPUs) from Linux's /proc/stat."""
    import os

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
