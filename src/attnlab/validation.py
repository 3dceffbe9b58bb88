"""Argument checks shared by configs and tasks: one clear message naming the argument, expected vs got."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

__all__ = ["check_choice", "check_float", "check_int"]


def check_int(name: str, value: Any, low: int = 1, *, optional: bool = False) -> None:
    """``value`` must be an int >= ``low`` (``None`` allowed when ``optional``); bools are refused."""
    if optional and value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        what = f"an int >= {low}" + (" or None" if optional else "")
        raise ValueError(f"{name}: expected {what}, got {value!r}")


def check_float(name: str, value: Any, low: float | None = None, high: float | None = None, *,
                low_open: bool = False, high_open: bool = False, optional: bool = False) -> None:
    """``value`` must be a real number in the given range (``low_open``/``high_open``: strict)."""
    if optional and value is None:
        return
    ok = not isinstance(value, bool) and isinstance(value, (int, float))
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        lo = "" if low is None else ("(" if low_open else "[") + f"{low:g}"
        hi = "" if high is None else f"{high:g}" + (")" if high_open else "]")
        span = f" in {lo or '(-inf'}, {hi or 'inf)'}" if (low is not None or high is not None) else ""
        raise ValueError(f"{name}: expected a number{span}{' or None' if optional else ''}, got {value!r}")


def check_choice(name: str, value: Any, choices: Collection[Any]) -> None:
    """``value`` must be one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name}: expected one of {tuple(choices)}, got {value!r}")
