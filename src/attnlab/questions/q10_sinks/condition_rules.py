"""q10's rules on one condition against softmax (its cost, whether all sit at the ceiling) and the rules of the
two arms (differential attention, the streaming cache), with the streaming arm's same-weights gate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from attnlab.lab import rules
from attnlab.lab.rules import Gate
from attnlab.questions.q10_sinks import arm_evidence as arms
from attnlab.questions.q10_sinks import evidence as names
from attnlab.questions.q10_sinks.settings import (
    ACC_MARGIN,
    CEILING,
    DIFFERENTIAL,
    KEEP,
    LOSS_MARGIN,
    PARK_FACTOR,
    SAME_WEIGHTS_TOL,
    STEP_MARGIN,
)
from attnlab.results import Evidence

Ev = Mapping[str, Evidence]
Outcome = tuple[str, str, dict[str, Any]]
SAME_WEIGHTS_GATE = "stream_same_weights"  # kind "same_weights": values gap, tol (only the visibility changed)

__all__ = ["at_ceiling", "cost_of", "diff_cost", "diff_removes", "eviction", "lower", "same_weights_gate", "upper",
           "with_sinks"]


def lower(ev: Ev, name: str) -> float:
    """The lower bound of evidence ``name``'s interval."""
    return rules.interval(ev[name])[0]


def upper(ev: Ev, name: str) -> float:
    """The upper bound of evidence ``name``'s interval."""
    return rules.interval(ev[name])[1]


def with_sinks(ev: Ev) -> list[str]:
    """softmax and the sink variants: the conditions of the sink sub-claims."""
    return ["softmax", *names.sink_variants(ev)]


def at_ceiling(ev: Ev, conds: Sequence[str] | None = None) -> bool:
    """Every condition's (of ``conds``; default softmax and the sinks) mean accuracy on the predictable tokens is at
    least :data:`CEILING`: then no paired accuracy difference can lie beyond -ACC_MARGIN, and the accuracy half of
    "no cost" cannot fail."""
    return all(ev[names.acc(c)].number >= CEILING for c in (with_sinks(ev) if conds is None else conds))


def cost_of(ev: Ev, c: str) -> str:
    """``"worse"`` (accuracy interval below -ACC_MARGIN or step ratio's above STEP_MARGIN), ``"fine"`` (both within)
    or ``"unclear"``: condition ``c`` against softmax, paired."""
    lo, hi = rules.interval(ev[names.acc_diff(c)])
    s = ev[names.steps_ratio(c)]
    s_lo, s_hi = rules.interval(s) if not isinstance(s.value, str) else (1.0, 1.0)
    if hi < -ACC_MARGIN or s_lo > STEP_MARGIN:
        return "worse"
    return "fine" if lo > -ACC_MARGIN and s_hi < STEP_MARGIN else "unclear"


def same_weights_gate(ev: Ev) -> Gate:
    gap = ev[arms.STREAM_SAME_WEIGHTS].value if arms.STREAM_SAME_WEIGHTS in ev else "missing"
    ok = not isinstance(gap, str) and gap <= SAME_WEIGHTS_TOL
    return Gate(SAME_WEIGHTS_GATE, ok, "same_weights", {"gap": gap, "tol": SAME_WEIGHTS_TOL})


def diff_removes(ev: Ev) -> Outcome:
    lo, hi = rules.interval(ev[names.first_max_ratio(DIFFERENTIAL)])
    if hi < PARK_FACTOR:
        return "confirmed", "gone", {}
    if lower(ev, names.first_max_drop(DIFFERENTIAL)) > 0:
        return "qualified", "reduced", {}
    return ("refuted", "stays", {}) if lo > PARK_FACTOR else ("inconclusive", "unclear", {})


def diff_cost(ev: Ev) -> Outcome:
    how, ceiling = cost_of(ev, DIFFERENTIAL), at_ceiling(ev, ["softmax", DIFFERENTIAL])
    values = {"ceiling": ceiling}
    if how == "fine":
        return ("qualified", "ceiling", values) if ceiling else ("confirmed", "fine", values)
    return ("refuted", "worse", values) if how == "worse" else ("inconclusive", "unclear", values)


def eviction(ev: Ev) -> Outcome:
    """Xiao et al.: evicting the first tokens raises a softmax LM's loss (the interval of evicted - kept lies above
    LOSS_MARGIN), keeping KEEP of them restores it (kept - full below LOSS_MARGIN), and LMs trained with a sink
    need none kept (their evicted - kept below LOSS_MARGIN)."""
    lo, hi = rules.interval(ev[arms.evict_cost("softmax", KEEP)])
    restores = upper(ev, arms.keep_gap("softmax", KEEP)) < LOSS_MARGIN
    sinks = [c for c in arms.stream_conditions(ev) if c in names.sink_variants(ev)]
    free = [c for c in sinks if upper(ev, arms.evict_cost(c, KEEP)) < LOSS_MARGIN]
    values = {"restores": restores, "sinks": sinks, "free": free}
    if lo > LOSS_MARGIN:
        if restores and len(free) == len(sinks):
            return "confirmed", "breaks_restored_sinks_free", values
        return "qualified", "breaks_partly", values
    return ("refuted", "harmless", values) if hi < LOSS_MARGIN else ("inconclusive", "unclear", values)
