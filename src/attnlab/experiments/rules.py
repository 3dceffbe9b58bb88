"""Building blocks of ``decide``: checks on the evidence, sub-claims that fall back to "inconclusive".

A sub-claim's rule runs only when all of its checks passed; otherwise its verdict is ``"inconclusive"``
and its rule names the checks that failed, so a verdict never stands on a failed check.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from attnlab.results import Check, Claim, Evidence

__all__ = ["claim", "fmt", "interval", "reached_check", "reached_count", "worst_verdict"]


def interval(e: Evidence) -> tuple[float, float]:
    """The evidence's interval, or ``(value, value)`` when it has none (all seeds equal, or exact)."""
    return e.ci if e.ci is not None else (e.number, e.number)


def fmt(e: Evidence, digits: int = 3) -> str:
    """``"0.912 [0.901, 0.923]"`` or ``"1.000 (all 5 seeds equal)"``; text values as they are."""
    if e.unit == "steps" and e.per_seed is not None:  # a censored median: say how many seeds reached it
        k, n = reached_count(e)
        value = e.value if isinstance(e.value, str) else f"{e.number:.0f}"
        return f"{value} ({k}/{n} seeds reached it)"
    if isinstance(e.value, str):
        return e.value
    if e.ci is None:
        note = f" ({e.ci_method})" if e.ci_method else ""
        return f"{e.number:.{digits}f}{note}"
    return f"{e.number:.{digits}f} [{e.ci[0]:.{digits}f}, {e.ci[1]:.{digits}f}]"


def reached_count(steps: Evidence) -> tuple[int, int]:
    """(seeds that reached the threshold, seeds) of a steps-to-threshold evidence."""
    per_seed = steps.per_seed or []
    return sum(s is not None for s in per_seed), len(per_seed)


def reached_check(name: str, steps: Evidence, *, what: str, min_fraction: float = 0.8) -> Check:
    """Passes when at least ``min_fraction`` of the seeds reached the threshold (e.g. 4 of 5)."""
    k, n = reached_count(steps)
    need = math.ceil(min_fraction * n - 1e-9)
    return Check(name, n > 0 and k >= need, f"{what}: {k} of {n} seeds reached the threshold (need {need})")


def claim(
    name: str,
    statement: str,
    checks: Sequence[Check],
    evidence: Sequence[str],
    rule: Callable[[], tuple[str, str]],
    *,
    basis: str = "measured",
) -> Claim:
    """A sub-claim: ``rule()`` gives ``(verdict, rule text)`` when every check passed; else inconclusive."""
    failed = [c for c in checks if not c.passed]
    if failed:
        text = "inconclusive: " + "; ".join(f"{c.name} failed ({c.detail})" for c in failed)
        return Claim(name, statement, "inconclusive", text, tuple(checks), tuple(evidence), basis)
    verdict, text = rule()
    return Claim(name, statement, verdict, text, tuple(checks), tuple(evidence), basis)


_ORDER = {"refuted": 0, "inconclusive": 1, "qualified": 2, "confirmed": 3}


def worst_verdict(verdicts: Sequence[str]) -> str:
    """The least favourable of ``verdicts`` (refuted < inconclusive < qualified < confirmed)."""
    if not verdicts:
        raise ValueError("verdicts: expected at least one verdict, got none")
    return min(verdicts, key=lambda v: _ORDER[v])
