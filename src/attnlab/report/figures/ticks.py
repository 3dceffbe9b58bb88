"""Axes and their ticks: tick labels people read at a glance, and at least three of them on a log axis.

Log axes carry at least three readable tick labels (16, 0.001, 10k, 3×10⁻⁵), never an offset or a ``1e6``
multiplier; axes of whole numbers (layers, distances) get whole-number ticks.
"""

from __future__ import annotations

import math
from typing import Any

from matplotlib.ticker import (
    FixedLocator,
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullFormatter,
    ScalarFormatter,
)

__all__ = ["log_locator", "scale_base", "set_linear", "set_log", "tick_text"]


def tick_text(v: float, _pos: Any = None) -> str:
    """A tick label people read at a glance: ``16``, ``0.25``, ``0.001``, ``1024``, ``10k``, ``3.2M``, ``3×10⁻⁵``.

    Never an offset or a multiplier written apart from the number.
    """
    if v == 0 or not math.isfinite(v):
        return "0" if v == 0 else ""
    a = abs(v)
    if a >= 1e3:
        for div, suffix in ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")):
            if a >= div:
                short = f"{v / div:.3g}"
                if a >= 1e5 or float(short) * div == v:  # 10k, 2.5M; but 1024 and 16384 stay as they are
                    return short + suffix
                break
    if a >= 1e-3:
        if float(v).is_integer():
            return str(int(v))
        return f"{v:.4g}"
    mantissa, exponent = f"{v:.1e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    power = f"10^{{{int(exponent)}}}"
    return f"${power}$" if mantissa == "1" else f"${mantissa}\\times{power}$"


def log_locator(lo: float, hi: float, base: float) -> Any:
    """A major locator with at least three ticks inside [lo, hi] where the range allows."""
    dense = [(1.0,), (1.0, 2.0, 5.0), (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0)] if base == 10 else [
        (1.0,), (1.0, 1.5)]
    for subs in dense:
        loc = LogLocator(base=base, subs=subs, numticks=15)
        ticks = [t for t in loc.tick_values(lo, hi) if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]
        if len(ticks) >= 3:
            return loc
    # a narrow range: evenly spaced round numbers read better than a single decade
    ticks = [t for t in MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi) if lo <= t <= hi and t > 0]
    return FixedLocator(ticks)


def set_log(ax: Any, which: str, base: float) -> None:
    axis = ax.xaxis if which == "x" else ax.yaxis
    lo, hi = ax.get_xlim() if which == "x" else ax.get_ylim()
    lo, hi = min(lo, hi), max(lo, hi)
    if not (lo > 0 and math.isfinite(hi)):
        return
    axis.set_major_locator(log_locator(lo, hi, base))
    axis.set_major_formatter(FuncFormatter(tick_text))
    axis.set_minor_locator(LogLocator(base=base, subs="auto", numticks=15) if base == 10 else LogLocator(
        base=base, subs=(1.0, 1.5), numticks=15))
    axis.set_minor_formatter(NullFormatter())


def set_linear(ax: Any, which: str, values: list[float]) -> None:
    axis = ax.xaxis if which == "x" else ax.yaxis
    finite = [abs(v) for v in values if math.isfinite(v)]
    if finite and max(finite) >= 1e5:
        axis.set_major_formatter(FuncFormatter(tick_text))  # 200k, 3M: no "1e6" above the axis
    else:
        fmt = ScalarFormatter(useOffset=False)
        fmt.set_powerlimits((-4, 5))
        axis.set_major_formatter(fmt)
    lo, hi = ax.get_xlim() if which == "x" else ax.get_ylim()
    if values and all(float(v).is_integer() for v in values if math.isfinite(v)) and abs(hi - lo) >= 3:
        # layers 1..6, not 2.5 and 5.0; distances 4, 8, 16 rather than 3, 6, 9 (an accuracy axis whose values
        # are all 1.0 keeps its fractional ticks)
        steps = [1, 2, 4, 5, 10] if which == "x" else [1, 2, 2.5, 5, 10]
        axis.set_major_locator(MaxNLocator(nbins="auto", integer=True, steps=steps))


def scale_base(scale: str) -> float | None:
    return {"log": 10.0, "log2": 2.0}.get(scale)
