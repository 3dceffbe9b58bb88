"""The standard checks every trained question runs, with the same names everywhere.

The evidence standard asks four things of a comparison between trained conditions before it may decide
anything (``docs/evidence.md``):

- ``learned``: each compared condition beats its exact trivial baseline (the lower end of its interval lies
  above the baseline), so no verdict rests on a model that learned nothing;
- ``lr_tuned``: no condition's chosen learning rate sits at the edge of what its sweep tried
  (:mod:`attnlab.lab.tuning`), so no loser was only mistuned;
- ``equal_budget``: every compared condition trained for the same number of steps and every probe was
  read at the same step, so a difference is not a difference in training length;
- ``below_ceiling``: at least one condition is more than :data:`CEILING_MARGIN` from the metric's best
  value, so the comparison could show a difference at all.

Each builder returns a :class:`~attnlab.lab.rules.Gate` of the same kind as its name, worded by
:class:`~attnlab.lab.words.Words`. A rule passes them to its trained sub-claims and to
:func:`~attnlab.lab.rules.combine`, so no verdict but "inconclusive" stands on a failed one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from attnlab.lab.rules import Gate, interval
from attnlab.lab.spec import Outcomes
from attnlab.results import Evidence

__all__ = ["CEILING_MARGIN", "STANDARD_CHECKS", "below_ceiling", "budget_evidence", "equal_budget", "learned",
           "lr_tuned", "not_tuned", "standard_gates"]

STANDARD_CHECKS = ("learned", "lr_tuned", "equal_budget", "below_ceiling")
CEILING_MARGIN = 0.01  # within this of the metric's best value counts as "at the ceiling"


def learned(ev: Mapping[str, Evidence], items: Sequence[tuple[str, float]], *, exempt: Sequence[str] = ()) -> Gate:
    """Passes when every ``(evidence name, trivial baseline)`` has its interval's lower end above the baseline.

    ``exempt`` names conditions not required to learn because failing to learn is what the claim predicts of
    them (e.g. unscaled logits at large d_k); the check's words name them.
    """
    rows = []
    for name, baseline in items:
        lo = interval(ev[name])[0]
        rows.append({"evidence": name, "baseline": float(baseline), "lo": lo, "ok": lo > baseline})
    return Gate("learned", bool(rows) and all(r["ok"] for r in rows), "learned",
                {"items": rows, "failed": [r["evidence"] for r in rows if not r["ok"]], "exempt": list(exempt)})


def lr_tuned(ev: Mapping[str, Evidence], names: Sequence[str]) -> Gate:
    """Passes when every chosen rate (evidence from :func:`attnlab.lab.tuning.sweep_evidence`) lies strictly
    inside the rates its sweep tried."""
    edge = []
    for name in names:
        e = ev[name]
        lo, hi = e.bounds or (None, None)
        if lo is None or hi is None or not lo < float(e.number) < hi:
            edge.append(name)
    return Gate("lr_tuned", bool(names) and not edge, "lr_tuned", {"edge": edge, "n": len(names)})


def not_tuned(names: Sequence[str]) -> Gate:
    """The ``lr_tuned`` check of a run without a sweep (e.g. results written before sweeps existed): failed."""
    return Gate("lr_tuned", False, "lr_tuned", {"edge": [], "n": len(names), "missing": True})


def budget_evidence(name: str, outcomes: Outcomes | Sequence[Any], *, label: str, label_zh: str,
                    key: str = "steps") -> Evidence:
    """The distinct step counts at which the compared trials were read (one value when the budget was equal)."""
    steps = sorted({int(o.measurements[key]) for o in outcomes if key in o.measurements})
    return Evidence(name, steps, None, "steps", label=label, label_zh=label_zh, n=len(outcomes),
                    ci_method=f"the step counts of {len(outcomes)} trials, every condition and seed")


def equal_budget(ev: Mapping[str, Evidence], name: str) -> Gate:
    """Passes when every compared trial was read at one step count (:func:`budget_evidence`)."""
    steps = list(ev[name].value)
    return Gate("equal_budget", len(steps) == 1, "equal_budget", {"evidence": name, "steps": steps})


def below_ceiling(ev: Mapping[str, Evidence], names: Sequence[str], best: float, *, higher_is_better: bool = True,
                  margin: float = CEILING_MARGIN) -> Gate:
    """Passes when at least one compared value is more than ``margin`` from the metric's ``best`` (the
    maximum accuracy, or the fewest steps it can take when ``higher_is_better`` is False). A censored steps
    value ("> budget": the threshold was never reached) is off the ceiling by definition."""
    def is_off(e: Evidence) -> bool:
        if isinstance(e.value, str):
            return not higher_is_better
        v = float(e.number)
        return (best - v if higher_is_better else v - best) > margin

    off = [n for n in names if is_off(ev[n])]
    return Gate("below_ceiling", bool(off), "below_ceiling",
                {"evidence": list(names), "best": best, "margin": margin, "below": off,
                 "higher_is_better": higher_is_better})


def standard_gates(*gates: Gate) -> tuple[Gate, ...]:
    """The four standard gates in their standard order (each exactly once)."""
    by_name = {g.name: g for g in gates}
    missing = [n for n in STANDARD_CHECKS if n not in by_name]
    if missing or len(by_name) != len(gates):
        raise ValueError(f"standard_gates: expected one gate each of {STANDARD_CHECKS}, got {[g.name for g in gates]}")
    return tuple(by_name[n] for n in STANDARD_CHECKS)
