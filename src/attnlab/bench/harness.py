"""Memory and machine description for the benchmark suite (timing lives in :mod:`attnlab.timing`).

Timing: :func:`attnlab.timing.compare` runs the functions it is given in alternation (attnlab, peer,
attnlab, peer, ..., with the order rotated each round) after warm-up calls, and keeps the median of each.
Alternating keeps a slow phase of a shared machine from landing on one side of a ratio only.

Memory: :func:`measure_memory` runs one memory workload (registered in :mod:`attnlab.bench.cases`) in a
fresh Python process. The child builds its inputs, then resets the kernel's resident high-water mark
(``/proc/self/clear_refs``), reads its resident size as the baseline, runs the workload once, and reads
the high-water mark again (``VmHWM``). The number reported is peak minus baseline. Where the mark cannot
be reset, the child falls back to ``resource.getrusage(...).ru_maxrss``, an upper bound. On CUDA it uses
``torch.cuda.max_memory_allocated`` minus ``torch.cuda.memory_allocated`` before the workload.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

GIB = 1024**3
MIB = 1024**2
_MEMORY_MARK = "ATTNLAB_BENCH_MEMORY "


# ----------------------------------------------------------------------------------------------------
# machine description


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _mem_total_gib() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024 / GIB
    except OSError:
        pass
    return None


def load_average() -> list[float] | None:
    """1, 5 and 15 minute load averages, where the OS gives them."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def machine_info(device: str = "cpu") -> dict:
    """Describe the machine and software the numbers were taken on."""
    info: dict = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "memory_gib": None if _mem_total_gib() is None else round(_mem_total_gib(), 1),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "device": device,
        "load_average": load_average(),
    }
    try:
        import transformers

        info["transformers"] = transformers.__version__
    except ImportError:
        info["transformers"] = None
    if device.startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
        info["cuda"] = torch.version.cuda
    return info


# ----------------------------------------------------------------------------------------------------
# peak memory in a fresh process


def _status_kib(key: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


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


def memory_child(argv: list[str]) -> int:
    """Entry point of the memory subprocess: ``NAME --device DEV [--quick]``; prints one JSON line."""
    import argparse

    from attnlab.bench.cases import MEMORY_WORKLOADS, CaseContext

    parser = argparse.ArgumentParser(prog="attnlab-bench-memory")
    parser.add_argument("name", choices=sorted(MEMORY_WORKLOADS))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)

    ctx = CaseContext(quick=args.quick, device=args.device)
    torch.manual_seed(0)
    op = MEMORY_WORKLOADS[args.name](ctx)  # imports and input allocation happen here
    gc.collect()
    cuda = args.device.startswith("cuda")
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
    result = MemoryResult(
        name=args.name,
        device=args.device,
        peak_bytes=max(0, peak - baseline),
        baseline_bytes=baseline,
        method=method,
        seconds=seconds,
        extra=extra if isinstance(extra, dict) else {},
    )
    print(_MEMORY_MARK + json.dumps(result.to_dict()), flush=True)
    return 0


def measure_memory(name: str, *, device: str = "cpu", quick: bool = False, timeout: float = 1800) -> MemoryResult:
    """Run memory workload ``name`` in a fresh Python process and return its peak over baseline.

    Raises:
        RuntimeError: when the child fails (its stderr tail is in the message).
    """
    src_root = str(Path(__file__).resolve().parents[2])  # the directory that holds the attnlab package
    env = dict(os.environ)
    env["PYTHONPATH"] = src_root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    code = "import sys; from attnlab.bench.harness import memory_child; sys.exit(memory_child(sys.argv[1:]))"
    cmd = [sys.executable, "-c", code, name, "--device", device] + (["--quick"] if quick else [])
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    for line in proc.stdout.splitlines()[::-1]:
        if line.startswith(_MEMORY_MARK):
            d = json.loads(line[len(_MEMORY_MARK) :])
            return MemoryResult(
                name=d["name"],
                device=d["device"],
                peak_bytes=int(d["peak_bytes"]),
                baseline_bytes=int(d["baseline_bytes"]),
                method=d["method"],
                seconds=float(d["seconds"]),
                extra=d.get("extra", {}),
            )
    tail = (proc.stderr or proc.stdout)[-2000:]
    raise RuntimeError(f"memory workload {name!r} failed (exit {proc.returncode}): {tail}")
