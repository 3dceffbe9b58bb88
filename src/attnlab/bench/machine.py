"""The machine and software the benchmark numbers were taken on."""

from __future__ import annotations

import os
import platform

import torch

from attnlab.bench.memory import GIB, proc_line

__all__ = ["load_average", "machine_info"]


def _cpu_model() -> str:
    line = proc_line("/proc/cpuinfo", "model name")
    return line.split(":", 1)[1].strip() if line else platform.processor() or platform.machine()


def _mem_total_gib() -> float | None:
    line = proc_line("/proc/meminfo", "MemTotal:")
    return None if line is None else int(line.split()[1]) * 1024 / GIB


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
