"""Peak memory of one workload, read from the OS in a fresh Python process.

:func:`measure_memory` runs one memory workload (a :class:`~attnlab.bench.spec.Workload` of the table in
:mod:`attnlab.bench.cases`) in a fresh Python process (:mod:`attnlab.bench.workload`). The child builds its
inputs, then resets the kernel's resident high-water mark (``/proc/self/clear_refs``), reads its resident
size as the baseline, runs the workload once, and reads the high-water mark again (``VmHWM``). The number
reported is peak minus baseline. Where the mark cannot be reset, the child falls back to
``resource.getrusage(...).ru_maxrss``, an upper bound. On CUDA it uses ``torch.cuda.max_memory_allocated``
minus ``torch.cuda.memory_allocated`` before the workload.
"""

from __future__ import annotations

import gc
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch

__all__ = ["GIB", "MIB", "MemoryResult", "measure_memory", "run_workload"]

GIB = 1024**3
MIB = 1024**2
MEMORY_MARK = "ATTNLAB_BENCH_MEMORY "  # the child's result line starts with this


def proc_line(path: str, prefix: str) -> str | None:
    """The first line of a /proc file that starts with ``prefix`` (None: no such line or no such file)."""
    try:
        with open(path) as f:
            return next((line for line in f if line.startswith(prefix)), None)
    except OSError:
        return None


def _status_kib(key: str) -> int | None:
    line = proc_line("/proc/self/status", key + ":")
    return None if line is None else int(line.split()[1])


def _ru_maxrss_bytes() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024  # bytes on macOS, KiB on Linux


def _reset_peak_rss() -> bool:
    """Reset the resident high-water mark (Linux >= 4.0); False where that is not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return False
    return _status_kib("VmHWM") is not None


@dataclass
class MemoryResult:
    """Peak memory of one workload run in a fresh process, in bytes."""

    name: str
    device: str
    peak_bytes: int  # peak minus baseline: what the workload itself added
    baseline_bytes: int  # resident (or allocated) size after imports and inputs
    method: str  # how the peak was read
    seconds: float  # the workload's own run time
    extra: dict = field(default_factory=dict)

    @property
    def peak_gib(self) -> float:
        return self.peak_bytes / GIB

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "device": self.device,
            "peak_bytes": self.peak_bytes,
            "peak_gib": self.peak_gib,
            "baseline_bytes": self.baseline_bytes,
            "method": self.method,
            "seconds": self.seconds,
            **({"extra": self.extra} if self.extra else {}),
        }

    @classmethod
    def from_dict(cls, d: dict) -> MemoryResult:
        """The inverse of :meth:`to_dict`."""
        return cls(name=d["name"], device=d["device"], peak_bytes=int(d["peak_bytes"]),
                   baseline_bytes=int(d["baseline_bytes"]), method=d["method"], seconds=float(d["seconds"]),
                   extra=d.get("extra", {}))


def run_workload(name: str, op: Callable[[], dict | None], device: str = "cpu") -> MemoryResult:
    """Run ``op`` once in this process and measure its peak memory over the baseline before it.

    Meant for a fresh process (:mod:`attnlab.bench.workload`): the peak is the process's, so anything
    allocated earlier and freed would not count, and anything still held counts in the baseline.
    """
    gc.collect()
    cuda = device.startswith("cuda")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        baseline = torch.cuda.memory_allocated()
        method = "torch.cuda.max_memory_allocated - memory_allocated before"
    elif _reset_peak_rss():
        baseline = (_status_kib("VmRSS") or 0) * 1024
        method = "VmHWM (reset via /proc/self/clear_refs) - VmRSS before"
    else:
        baseline = (_status_kib("VmRSS") or 0) * 1024 if _status_kib("VmRSS") else _ru_maxrss_bytes()
        method = "ru_maxrss - RSS before (upper bound: high-water mark not resettable)"
    start = time.perf_counter()
    extra = op()
    if cuda:
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated()
    elif "VmHWM" in method:
        peak = (_status_kib("VmHWM") or 0) * 1024
    else:
        peak = _ru_maxrss_bytes()
    seconds = time.perf_counter() - start
    return MemoryResult(
        name=name,
        device=device,
        peak_bytes=max(0, peak - baseline),
        baseline_bytes=baseline,
        method=method,
        seconds=seconds,
        extra=extra if isinstance(extra, dict) else {},
    )


def measure_memory(name: str, *, device: str = "cpu", quick: bool = False, timeout: float = 1800) -> MemoryResult:
    """Run memory workload ``name`` in a fresh Python process and return its peak over baseline.

    Raises:
        RuntimeError: when the child fails (its stderr tail is in the message).
    """
    src_root = str(Path(__file__).resolve().parents[2])  # the directory that holds the attnlab package
    env = dict(os.environ)
    env["PYTHONPATH"] = src_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    code = "import sys; from attnlab.bench.workload import main; sys.exit(main(sys.argv[1:]))"
    cmd = [sys.executable, "-c", code, name, "--device", device] + (["--quick"] if quick else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    for line in proc.stdout.splitlines()[::-1]:
        if line.startswith(MEMORY_MARK):
            return MemoryResult.from_dict(json.loads(line[len(MEMORY_MARK) :]))
    tail = (proc.stderr or proc.stdout)[-2000:]
    raise RuntimeError(f"memory workload {name!r} failed (exit {proc.returncode}): {tail}")
