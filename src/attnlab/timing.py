"""Wall-clock timing: one call, or several functions timed in alternation (median of repeats).

Used by the benchmarks (``attnlab bench``) and by the experiments that measure speed (q5, q6). CUDA work
is synchronised around each call, so a timing includes the device's work, not only its launch.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch

__all__ = ["Timing", "compare", "synchronize", "time_call"]


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


def time_call(fn: Callable[[], object], device: str = "cpu") -> float:
    """Seconds taken by one call of ``fn``, device work included."""
    synchronize(device)
    start = time.perf_counter()
    fn()
    synchronize(device)
    return time.perf_counter() - start


def compare(
    fns: dict[str, Callable[[], object]],
    *,
    warmup: int = 2,
    repeats: int = 5,
    device: str = "cpu",
) -> dict[str, Timing]:
    """Time several functions in alternation and return the median of each.

    Args:
        fns: name -> zero-argument callable doing one unit of work.
        warmup: untimed calls of each function first (allocator, caches, lazy init).
        repeats: timed calls of each function.
        device: ``"cpu"`` or ``"cuda..."``; CUDA work is synchronised around each call.
    """
    if repeats < 1:
        raise ValueError(f"repeats: expected >= 1, got {repeats}")
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
