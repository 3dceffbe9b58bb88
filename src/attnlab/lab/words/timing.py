"""Where timings were taken, in words: the quiet-machine precondition and the load of other processes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attnlab.lab.words.numerals import num
from attnlab.results import Evidence

__all__ = ["load_clause", "load_sentence", "quiet_text"]


def quiet_text(v: Mapping[str, Any], lang: str) -> str:
    """The ``"quiet"`` gate of :func:`attnlab.lab.timings.quiet_gate` (its values ``v``)."""
    zh = lang == "zh"
    if not v.get("measured"):
        return ("其他进程的负载无法测量（没有 /proc/stat）；计时结果照原样采用" if zh
                else "load of other processes not measured (no /proc/stat); timings taken as they came")
    load, allowed, cpus, threads = num(v["load"], 2), num(v["allowed"], 2), num(v["cpus"], 0), v["threads"]
    return (f"计时期间其他进程平均占用 {load} 个核（允许 {allowed} 个；机器共 {cpus} 个 CPU，"
            f"计时用 {threads} 个）" if zh
            else f"other processes kept {load} cores busy on average while timing (allowed {allowed} of {cpus} "
                 f"CPUs, {threads} used by the timings)")


def load_sentence(ev: Mapping[str, Evidence], lang: str) -> str:
    """One sentence on how busy the rest of the machine was while timing."""
    load, zh = ev["others_cores"], lang == "zh"
    if isinstance(load.value, str):
        return "其他进程的负载没有测量。" if zh else "The load of other processes was not measured."
    cpus = num(ev["machine_cpus"].number, 0)
    return (f"计时期间，其他进程平均占用本机 {cpus} 个 CPU 中的 {num(load.number, 2)} 个。" if zh
            else f"While timing, other processes kept {num(load.number, 2)} of the machine's {cpus} CPUs busy on "
                 "average.")


def load_clause(ev: Mapping[str, Evidence], lang: str) -> str:
    """Where the timings were taken, for a short answer: "on this 2-CPU machine while other processes kept
    0.02 cores busy on average" / "在这台有 2 个 CPU 的机器上测得，其间其他进程平均占用 0.02 个核"."""
    load, zh = ev["others_cores"], lang == "zh"
    if isinstance(load.value, str):
        return ("在本机上测得（其他进程的负载未测量）" if zh
                else "on this machine (the load of other processes was not measured)")
    cpus = num(ev["machine_cpus"].number, 0)
    return (f"在这台有 {cpus} 个 CPU 的机器上测得，其间其他进程平均占用 {num(load.number, 2)} 个核" if zh
            else f"on this {cpus}-CPU machine while other processes kept {num(load.number, 2)} cores busy on average")
