"""Argument checks shared by configs, tasks, loaders and the benchmark: one message naming the argument,
expected vs got.

One exception type per kind of error:

- ``TypeError``: the value has the wrong type (a float or a str where an int is expected; a bool is never
  taken for a number);
- ``ValueError``: the type is right but the value is outside the allowed range or set of choices.

Both are user errors: the CLI prints either as one line, without a traceback.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

__all__ = ["check_choice", "check_float", "check_int"]


def check_int(name: str, value: Any, low: int | None = 1, *, high: int | None = None,
              optional: bool = False) -> None:
    """``value`` must be an int in ``[low, high]`` (``None`` bounds: unbounded; ``None`` allowed when
    ``optional``).

    Raises:
        TypeError: not an int (bools are refused).
        ValueError: an int outside the range.
    """
    if optional and value is None:
        return
    span = _int_span(low, high)
    if isinstance(value, bool) or not isinstance(value, int):
        what = f"an int{span}" + (" or None" if optional else "")
        raise TypeError(f"{name}: expected {what}, got {type(value).__name__} {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"{name}: expected an int{span}, got {value!r}")


def _int_span(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f" in [{low}, {high}]"
    if low is not None:
        return f" >= {low}"
    if high is not None:
        return f" <= {high}"
    return ""


def check_float(name: str, value: Any, low: float | None = None, high: float | None = None, *,
                low_open: bool = False, high_open: bool = False, optional: bool = False) -> None:
    """``value`` must be a real number (int or float) in the given range (``low_open``/``high_open``: strict).

    Raises:
        TypeError: not an int or a float (bools are refused).
        ValueError: a number outside the range.
    """
    if optional and value is None:
        return
    lo = "" if low is None else ("(" if low_open else "[") + f"{low:g}"
    hi = "" if high is None else f"{high:g}" + (")" if high_open else "]")
    span = f" in {lo or '(-inf'}, {hi or 'inf)'}" if (low is not None or high is not None) else ""
    what = f"a number{span}{' or None' if optional else ''}"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name}: expected {what}, got {type(value).__name__} {value!r}")
    ok = True
    if low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        raise ValueError(f"{name}: expected {what}, got {value!r}")


def check_choice(name: str, value: Any, choices: Collection[Any]) -> None:
    """``value`` must be one of ``choices``.

    Raises:
        ValueError: any other value (whatever its type: a choice is a value, not a type).
    """
    if value not in choices:
        raise ValueError(f"{name}: expected one of {tuple(choices)}, got {value!r}")
