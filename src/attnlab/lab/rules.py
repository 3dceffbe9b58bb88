"""Building blocks of a question's ``rule.py``: numbers and verdicts, never a sentence.

A rule turns evidence into a :class:`Rulings`: the overall verdict and, per sub-claim, a :class:`Ruling`
that says which branch of the rule decided (``case``), the numbers it decided on (``values``), the
preconditions it stands on (:class:`Gate`) and what would change it (:class:`Flip`: "if this evidence
were this value, the verdict would be that"). The question's ``words.py`` turns these into sentences in
English and Chinese (:mod:`attnlab.lab.words`), so "what would change it" is always read off the rule, and
the tests apply every flip to the evidence and check the verdict changes as stated.

A sub-claim whose gates did not all pass is ``"inconclusive"`` with ``case="gate_failed"``, so a verdict
never stands on a failed precondition.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from attnlab.results import VERDICTS, Evidence, check_not_on_failed

__all__ = ["COMBINATION", "GATE_FAILED", "Flip", "combine", "Gate", "Ruling", "Rulings",
           "interval", "ratio_side", "reached_count",
           "reached_gate", "rerun_flips", "sub_claim", "with_value", "worst_verdict"]

GATE_FAILED = "gate_failed"
"""The ``case`` of a sub-claim that is inconclusive because one of its gates failed."""


def _check_verdict(where: str, verdict: str) -> None:
    if verdict not in VERDICTS:
        raise ValueError(f"{where}: expected a verdict in {VERDICTS}, got {verdict!r}")


@dataclass(frozen=True)
class Gate:
    """A precondition the rule measured, e.g. "4 of 5 seeds reached the threshold".

    Args:
        name: stable identifier (shown as the check's name), e.g. ``"learned_dk64_sqrt"``.
        passed: whether it held.
        kind: which sentence the words give it: a generic kind the words engine knows (``"reached"``,
            ``"budget"``, ``"at_least"``) or one of the question's own.
        values: the numbers it was decided on (JSON-able), e.g. ``{"evidence": "steps_x", "k": 4, "n": 5}``.
    """

    name: str
    passed: bool
    kind: str
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Flip:
    """What would change a sub-claim's verdict: if evidence ``evidence`` were ``value`` (its interval collapsed
    to that value; for steps-to-threshold, every seed reaching it in ``value`` steps, ``math.inf`` = none
    did), the rule would give ``verdict``."""

    evidence: str
    value: float
    verdict: str

    def __post_init__(self) -> None:
        _check_verdict("Flip.verdict", self.verdict)


@dataclass(frozen=True)
class Ruling:
    """A sub-claim as its rule decided it.

    Args:
        name: the sub-claim's identifier, e.g. ``"saturation"``.
        verdict: one of :data:`~attnlab.results.VERDICTS`.
        case: which branch of the rule decided (the words choose their sentence by it).
        values: the deciding numbers (JSON-able), named for the words.
        evidence: names of the evidence it rests on.
        gates: the preconditions it stands on.
        flips: what would change the verdict (empty only when nothing measured could).
        basis: ``"measured"`` or ``"derivation"`` (see :class:`~attnlab.results.Claim`).
        counted: whether :func:`combine` counts it: False for a sub-claim beyond the seed's claim (shown, not
            counted); derivations are never counted.
    """

    name: str
    verdict: str
    case: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)
    evidence: tuple[str, ...] = ()
    gates: tuple[Gate, ...] = ()
    flips: tuple[Flip, ...] = ()
    basis: str = "measured"
    counted: bool = True

    def __post_init__(self) -> None:
        _check_verdict(f"Ruling {self.name!r}", self.verdict)
        check_not_on_failed(f"Ruling {self.name!r}", self.verdict, self.gates, "gates")


@dataclass(frozen=True)
class Rulings:
    """What a question's ``rule.decide(evidence)`` returns: the overall verdict, how it was combined
    (``case``, ``values``), every gate and every sub-claim."""

    verdict: str
    claims: tuple[Ruling, ...]
    gates: tuple[Gate, ...] = ()
    case: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_verdict("Rulings.verdict", self.verdict)
        check_not_on_failed("Rulings", self.verdict, self.gates, "gates")

    def claim(self, name: str) -> Ruling:
        """The sub-claim called ``name``."""
        for c in self.claims:
            if c.name == name:
                return c
        raise KeyError(f"sub-claim {name!r} missing; have {[c.name for c in self.claims]}")

    @property
    def verdicts(self) -> dict[str, str]:
        return {c.name: c.verdict for c in self.claims}


def sub_claim(
    name: str,
    gates: Sequence[Gate],
    evidence: Sequence[str],
    rule: Callable[[], tuple[str, str, Mapping[str, Any], Sequence[Flip]]],
    *,
    basis: str = "measured",
    counted: bool = True,
) -> Ruling:
    """A sub-claim: ``rule() -> (verdict, case, values, flips)`` runs only when every gate passed; otherwise the
    sub-claim is ``"inconclusive"`` with case :data:`GATE_FAILED` (and what would change it is the gates)."""
    if any(not g.passed for g in gates):
        return Ruling(name, "inconclusive", GATE_FAILED, {}, tuple(evidence), tuple(gates), (), basis, counted)
    verdict, case, values, flips = rule()
    return Ruling(name, verdict, case, dict(values), tuple(evidence), tuple(gates), tuple(flips), basis, counted)


def interval(e: Evidence) -> tuple[float, float]:
    """The evidence's interval, or ``(value, value)`` when it has none (all seeds equal, or exact)."""
    return e.ci if e.ci is not None else (e.number, e.number)


def ratio_side(e: Evidence, margin: float) -> str:
    """Where a ratio's interval lies against a margin ``m > 1``.

    ``"above"``: lower end over ``m``; ``"below"``: upper end under ``1 / m``; ``"within"``: the interval
    lies under ``m`` (no difference that matters in that direction); ``"unclear"``: it straddles ``m``.
    """
    lo, hi = interval(e)
    if lo > margin:
        return "above"
    if hi < 1 / margin:
        return "below"
    return "within" if hi < margin else "unclear"


def reached_count(steps: Evidence) -> tuple[int, int]:
    """(seeds that reached the threshold, seeds) of a steps-to-threshold evidence."""
    per_seed = steps.per_seed or []
    return sum(s is not None for s in per_seed), len(per_seed)


def reached_gate(name: str, steps: Evidence, *, min_fraction: float = 0.8) -> Gate:
    """Passes when at least ``min_fraction`` of the seeds reached the threshold (e.g. 4 of 5)."""
    k, n = reached_count(steps)
    need = math.ceil(min_fraction * n - 1e-9)
    return Gate(name, n > 0 and k >= need, "reached", {"evidence": steps.name, "k": k, "n": n, "need": need})


_ORDER = {"refuted": 0, "inconclusive": 1, "qualified": 2, "confirmed": 3}


def worst_verdict(verdicts: Sequence[str]) -> str:
    """The least favourable of ``verdicts`` (refuted < inconclusive < qualified < confirmed)."""
    if not verdicts:
        raise ValueError("verdicts: expected at least one verdict, got none")
    return min(verdicts, key=lambda v: _ORDER[v])


def with_value(e: Evidence, value: float) -> Evidence:
    """``e`` as if it had measured exactly ``value`` (how a :class:`Flip` is applied).

    The interval collapses to the value. For steps-to-threshold (unit ``"steps"`` with per-seed values)
    every seed reaches it in ``value`` steps, or none does when ``value`` is infinite.
    """
    if e.unit == "steps" and e.per_seed is not None:
        n = len(e.per_seed)
        if math.isinf(value):
            return dataclasses.replace(e, value=str(e.value) if isinstance(e.value, str) else "> budget",
                                       ci=None, per_seed=[None] * n)
        return dataclasses.replace(e, value=float(value), ci=None, per_seed=[int(value)] * n)
    per_seed = [float(value)] * len(e.per_seed) if e.per_seed else e.per_seed
    return dataclasses.replace(e, value=float(value), ci=(float(value), float(value)), per_seed=per_seed)


def rerun_flips(evidence: Mapping[str, Evidence], candidates: Sequence[tuple[str, float]],
                verdict_of: Callable[[Mapping[str, Evidence]], str], current: str, *,
                first_per_verdict: bool = False) -> list[Flip]:
    """The flips among ``candidates`` (evidence name, value) that change ``current``: each is applied with
    :func:`with_value` and ``verdict_of`` (the sub-claim's rule) re-run, so every flip returned is true by
    construction. Use it where a verdict depends on several numbers at once. With ``first_per_verdict``, only
    the first flip toward each other decided verdict is kept (none toward "inconclusive")."""
    flips: list[Flip] = []
    for name, value in candidates:
        changed = {k: with_value(e, value) if k == name else e for k, e in evidence.items()}
        v = verdict_of(changed)
        if v == current:
            continue
        if first_per_verdict and (v == "inconclusive" or any(f.verdict == v for f in flips)):
            continue
        flips.append(Flip(name, value, v))
    return flips


COMBINATION = ("over the measured sub-claims of the seed's claim (derivations and sub-claims beyond the seed are "
               "shown, not counted): inconclusive if a check failed or fewer than half of them are decided; confirmed "
               "if every one is confirmed; refuted if every decided one is refuted; qualified otherwise")
"""The one rule that combines sub-claims into a question's verdict, the same in every question (:func:`combine`)."""


def combine(claims: Sequence[Ruling], gates: Sequence[Gate] = (), values: Mapping[str, Any] | None = None) -> Rulings:
    """The question's verdict from its sub-claims, by :data:`COMBINATION`:

    - ``"inconclusive"`` if one of ``gates`` failed (case :data:`GATE_FAILED`) or fewer than half of the
      sub-claims are decided (case ``"too_few_decided"``);
    - ``"confirmed"`` if every sub-claim is confirmed (``"all_confirmed"``);
    - ``"refuted"`` if every decided sub-claim is refuted (``"decided_refuted"``);
    - ``"qualified"`` otherwise (``"mixed"``: some parts hold, others do not or are open).

    ``values`` (the question's own numbers for its words) are kept, with the verdict counts added.
    """
    counted = [c for c in claims if c.counted and c.basis == "measured"]
    if not counted:
        raise ValueError("claims: expected at least one measured sub-claim of the seed's claim, got none")
    counts = {v: sum(c.verdict == v for c in counted) for v in VERDICTS}
    decided = len(counted) - counts["inconclusive"]
    if any(not g.passed for g in gates):
        verdict, case = "inconclusive", GATE_FAILED
    elif 2 * decided < len(counted):
        verdict, case = "inconclusive", "too_few_decided"
    elif counts["confirmed"] == len(counted):
        verdict, case = "confirmed", "all_confirmed"
    elif counts["refuted"] == decided:
        verdict, case = "refuted", "decided_refuted"
    else:
        verdict, case = "qualified", "mixed"
    return Rulings(verdict, tuple(claims), tuple(gates), case, {**(values or {}), "counts": counts})
