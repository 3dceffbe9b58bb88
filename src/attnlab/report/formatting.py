"""Numbers, intervals and checks as the report writes them for people.

:func:`format_number` and :func:`format_value` write a measurement (with its interval, and the digits that
tell it from the ends of its range); :func:`check_mark` tells a check passed with margin from one passed
without; :func:`ratio_method` says how a ratio was computed. The command line uses the same formatting.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from attnlab.results import Evidence

__all__ = ["check_mark", "evidence_bounds", "format_number", "format_value", "ratio_method"]


def format_number(x: Any, bounds: Sequence[float | None] | None = None) -> str:
    """A number for people: integers as such, 3-4 significant digits otherwise, ``n/a`` for missing.

    Near one of ``bounds`` (the ends of the quantity's range, e.g. 0 and 1 for an accuracy) a value gets
    the digits that tell it from the bound: when it lies within 0.001 of it, or would round to it, the gap
    shows two significant digits (softmax([1, 2, 10]) is 0.99954, not 1.000).
    """
    if isinstance(x, int):  # bools are ints
        return str(x)
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "n/a"
    if not isinstance(x, float):
        return str(x)
    if x.is_integer() and abs(x) < 1e12:  # counts (parameters, steps) stored as floats
        return str(int(x))
    ax = abs(x)
    if ax != 0 and (ax >= 1e5 or ax < 1e-3):
        text = f"{x:.3g}"
    else:
        text = f"{x:.3f}" if ax < 10 else f"{x:.4g}"
    return _apart_from_bounds(x, text, bounds)


def _apart_from_bounds(x: float, text: str, bounds: Sequence[float | None] | None) -> str:
    """``text`` (``x`` as shown), with more decimals where it would not tell ``x`` from a bound."""
    if not bounds or "e" in text:
        return text
    decimals = len(text.split(".")[1]) if "." in text else 0
    for b in bounds:
        if b is None or x == b:
            continue
        gap = abs(x - b)
        if gap <= 1e-3 or float(text) == b:
            need = 1 - math.floor(math.log10(gap))  # two significant digits of the gap
            if need > decimals:
                text, decimals = f"{x:.{need}f}", need
    return text


# Quantities whose range is [0, 1] by their unit, where a result does not state bounds.
_UNIT_BOUNDS: dict[str, tuple[float, float]] = {u: (0.0, 1.0) for u in ("accuracy", "fraction", "share", "weight")}


def evidence_bounds(e: Evidence) -> tuple[float | None, float | None] | None:
    """The range of ``e``'s quantity: its own ``bounds``, else the one its unit implies (an accuracy lies in
    [0, 1]), else ``None``."""
    return e.bounds if e.bounds is not None else _UNIT_BOUNDS.get(e.unit)


def format_value(value: Any, ci: Sequence[float] | None = None, *, max_items: int = 8,
                 bounds: Sequence[float | None] | None = None) -> str:
    """``"0.912 [0.901, 0.923]"``, a short list, or the text itself; ``bounds`` as in :func:`format_number`."""
    if isinstance(value, list):
        items = [format_value(v, max_items=max_items, bounds=bounds) for v in value[:max_items]]
        more = f", … ({len(value)} items)" if len(value) > max_items else ""
        return "[" + ", ".join(items) + more + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {format_value(v)}" for k, v in list(value.items())[:max_items]) + "}"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        s = format_number(float(value) if isinstance(value, int) else value, bounds)
        if ci is not None:
            s += f" [{format_number(ci[0], bounds)}, {format_number(ci[1], bounds)}]"
        return s
    return "n/a" if value is None else str(value)


# ----------------------------------------------------------------------------------------------------
# Trust: checks without margin, and how each ratio was computed
# ----------------------------------------------------------------------------------------------------

_NUMBER = r"(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"
# "7 (need 7", "5 of 5 seeds reached the threshold (need 5)", "0.25 cores busy ... (allowed 0.25"
_AT_THRESHOLD = re.compile(_NUMBER + r"(?: of \d+)?[^()\d]*\((?:need|allowed|tolerance) " + _NUMBER)
_NO_MARGIN = ("(no margin)", "(unclear)")


def check_mark(check: Any) -> str:
    """How a check is marked: ``"pass"`` (✓), ``"fail"`` (✗), or ``"edge"``: it passed with no margin
    (its detail says "(no margin)" or "(unclear)", or the measured number equals its threshold), which earns
    no tick."""
    if not check.passed:
        return "fail"
    detail = check.detail or ""
    if any(word in detail for word in _NO_MARGIN):
        return "edge"
    for m in _AT_THRESHOLD.finditer(detail):
        if float(m.group(1)) == float(m.group(2)):
            return "edge"
    return "pass"


def _is_ratio(e: Evidence) -> bool:
    return e.unit in ("x", "ratio") or e.unit.startswith("x ")


def ratio_method(e: Evidence) -> tuple[str, str]:
    """For a ratio, whether it is a paired mean or a ratio of medians (English, Chinese); ``("", "")`` for
    anything else or a method that says neither."""
    if not _is_ratio(e) or isinstance(e.value, (str, list)):
        return "", ""
    method = e.ci_method.lower()
    over = "repeat" if "repeat" in method else "sentence" if "sentence" in method else "seed"
    over_zh = {"repeat": "每次重复", "sentence": "每个句子", "seed": "每个种子"}[over]
    if "geometric mean" in method:
        return (f"paired: geometric mean of the per-{over} ratios", f"配对：{over_zh}各自之比的几何平均")
    if "median" in method and "ratio" in method:
        return "ratio of medians", "中位数之比"
    if "interval over" in method:
        return f"mean of the per-{over} ratios", f"{over_zh}之比的平均"
    if not method and e.ci is None:
        return "exact (no interval)", "精确值（无区间）"
    return "", ""

