"""Evidence from wall-clock timings: ratios over repeats, and how busy the rest of the machine was.

A timing trial (``Trial(..., exclusive=True)``) runs alone, but other processes on the machine can still
take the cores it measures. Timing trials record the load of other processes (``others_cores``, from
:func:`attnlab.timing.others_load`); :func:`quiet_gate` turns it into a precondition, so a verdict
taken on a busy machine is inconclusive instead of wrong.
"""

from __future__ import annotations

import math
from typing import Any

from attnlab.lab.rules import Gate
from attnlab.lab.spec import EvidenceSet
from attnlab.lab.stats import estimate
from attnlab.results import Evidence

__all__ = ["MAX_OTHERS", "cacheable", "load_evidence", "quiet_gate", "ratio_evidence"]

MAX_OTHERS = 0.25  # CPU cores other processes may keep busy while timing (on a 2-core machine)


def cacheable(load: dict[str, Any]) -> bool:
    """Whether a timing taken under ``load`` (from :func:`attnlab.timing.others_load`) is worth keeping:
    other processes left the cores free (or the load could not be measured). A busy machine's timing is used
    for this run's verdict (which its quiet check then makes inconclusive) but measured again next run."""
    others = load.get("others_cores")
    return others is None or others <= MAX_OTHERS


def ratio_evidence(name: str, ratios: list[float], *, label: str, unit: str = "x", label_zh: str = "") -> Evidence:
    """Geometric mean of per-repeat ratios with a 95% t interval on the log scale (over repeats)."""
    logs = [math.log(r) for r in ratios]
    est = estimate(logs)
    ci = None if est.ci is None else (math.exp(est.ci[0]), math.exp(est.ci[1]))
    method = est.method.replace("seeds", "repeats")
    return Evidence(name, math.exp(est.mean), ci, unit, label=label, n=est.n, bounds=(0, None),
                    ci_method=f"geometric mean, {method} on the log scale", per_seed=[float(r) for r in ratios],
                    timing=True, label_zh=label_zh)


def load_evidence(runs: list[Any], *, label_zh: str = "") -> list[Evidence]:
    """``others_cores``: the most CPU cores other processes kept busy, on average, during any of the timing
    ``runs`` (outcomes whose measurements hold ``others_cores`` and ``cpus``), and ``machine_cpus``; text where
    it could not be measured (not Linux). ``label_zh`` replaces the Chinese label of ``others_cores``."""
    vals = [o.measurements.get("others_cores") for o in runs]
    cpus = [o.measurements.get("cpus") for o in runs]
    label = "average CPU cores kept busy by other processes while timing (the most over the timing trials)"
    label_zh = label_zh or "计时期间其他进程平均占用的 CPU 核数（取各计时试验中的最大值）"
    if not vals or any(v is None for v in vals):
        return [Evidence("others_cores", "not measured (no /proc/stat)", unit="cores", label=label, timing=True,
                         label_zh=label_zh)]
    return [Evidence("others_cores", max(vals), None, "cores", label=label, n=len(vals), bounds=(0, None),
                     ci_method=f"the most over {len(vals)} timing trials", per_seed=[float(v) for v in vals],
                     timing=True, label_zh=label_zh),
            Evidence("machine_cpus", max(cpus), unit="CPUs", label="CPUs of the machine that timed",
                     label_zh="计时所用机器的 CPU 数")]


def quiet_gate(ev: EvidenceSet, *, threads: int = 2) -> Gate:
    """Passes when other processes left the timings the cores they needed: on average at most ``MAX_OTHERS``
    cores busy, or no more than the machine has beyond ``threads``; passes (``measured`` False) where the load
    could not be measured. Worded by :class:`attnlab.lab.words.Words` (kind ``"quiet"``)."""
    load = ev["others_cores"]
    if isinstance(load.value, str):
        return Gate("quiet_machine", True, "quiet", {"measured": False})
    cpus = ev["machine_cpus"].number
    allowed = max(MAX_OTHERS, cpus - threads - MAX_OTHERS)
    return Gate("quiet_machine", load.number <= allowed, "quiet",
                {"measured": True, "load": load.number, "allowed": allowed, "cpus": cpus, "threads": threads})
