"""q12's rule: evidence -> a verdict per sub-claim and overall (numbers and verdicts only)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from attnlab.lab import protocol, rules
from attnlab.lab.rules import Flip, Gate
from attnlab.lab.spec import EvidenceSet
from attnlab.questions.q12_induction import evidence as names
from attnlab.questions.q12_induction.settings import (
    ABRUPT,
    DETECT,
    GAP,
    INDUCTION_MARK,
    MIN_REACHED,
    MOST,
    NEAR,
    NUDGE,
    SOME,
    TOGETHER,
)
from attnlab.results import Evidence

PHASE = "phase_change"
TOGETHER_CLAIM = "loss_and_heads_together"
CONTROL = "one_layer_cannot"
PATCHING = "patching_confirms_heads"
HEADS_GATE = "induction_heads_found"  # kind "heads_found": values evidence, bound

Ev = Mapping[str, Evidence]
Outcome = tuple[str, str, dict[str, Any]]
TWO, ONE = "two_layer", "one_layer"


def _lo(ev: Ev, name: str) -> float:
    return rules.interval(ev[name])[0]


def _hi(ev: Ev, name: str) -> float:
    return rules.interval(ev[name])[1]


def _known(ev: Ev, name: str) -> bool:
    return name in ev and not isinstance(ev[name].value, str)


def standard_gates(ev: Ev) -> tuple[Gate, ...]:
    """The four standard checks: the 2-layer model's accuracy on the repeat above the order-free baseline (the
    1-layer control is exempt: its failure is what the claim predicts); no chosen rate at its sweep's edge;
    every model read at one step; and not every model at the accuracy ceiling."""
    conds = names.conditions(ev)
    learned = protocol.learned(ev, [(names.acc(TWO), ev[names.baseline("order_free")].number)],
                               exempt=[names.acc(c) for c in conds if c != TWO])
    lr_names = [names.lr(c) for c in conds]
    tuned = protocol.lr_tuned(ev, lr_names) if all(n in ev for n in lr_names) else protocol.not_tuned(lr_names)
    return protocol.standard_gates(learned, tuned, protocol.equal_budget(ev, names.READ_AT),
                                   protocol.below_ceiling(ev, [names.acc(c) for c in conds], 1.0))


def reached_gate(ev: Ev, name: str) -> Gate:
    return rules.reached_gate(f"reached_{name}", ev[name], min_fraction=MIN_REACHED)


def heads_gate(ev: Ev) -> Gate:
    """The 2-layer models have heads for the detector to find (largest induction score at least DETECT)."""
    e = names.induction(TWO)
    return Gate(HEADS_GATE, ev[e].number >= DETECT, "heads_found", {"evidence": e, "bound": DETECT})


# ---- the sub-claims: (verdict, case, values) from the evidence ----
def _phase(ev: Ev) -> Outcome:
    mark = ev[names.LOSS_MARK_NATS].number
    loss_fell = _hi(ev, names.loss(TWO)) < mark
    loss_stayed = _lo(ev, names.loss(TWO)) > mark
    heads = _lo(ev, names.induction(TWO)) > INDUCTION_MARK
    no_heads = _hi(ev, names.induction(TWO)) < INDUCTION_MARK
    abrupt = _known(ev, names.WIDTH) and _hi(ev, names.WIDTH) < ABRUPT
    values = {"loss_fell": loss_fell, "heads": heads, "abrupt": abrupt}
    if loss_fell and heads and abrupt:
        return "confirmed", "abrupt_and_heads", values
    if loss_stayed and no_heads:
        return "refuted", "no_drop_no_heads", values
    if loss_fell or heads:
        return "qualified", "partly", values
    return "inconclusive", "unclear", values


def _together(ev: Ev) -> Outcome:
    if not _known(ev, names.LAG):
        return "inconclusive", "undefined", {}
    lo, hi = rules.interval(ev[names.LAG])
    m = 1.0 + TOGETHER
    if 1 / m < lo and hi < m:
        return "confirmed", "within", {}
    if lo > m:
        return "refuted", "heads_later", {}
    if hi < 1 / m:
        return "refuted", "heads_earlier", {}
    return "inconclusive", "unclear", {}


def _control(ev: Ev) -> Outcome:
    near = _lo(ev, names.CONTROL_RATIO) > 1.0 - NEAR
    no_heads = _hi(ev, names.induction(ONE)) < INDUCTION_MARK
    far = _lo(ev, names.GAP) > GAP
    values = {"near": near, "no_heads": no_heads, "far": far}
    if near and no_heads and far:
        return "confirmed", "near_baseline", values
    if _hi(ev, names.GAP) < GAP:
        return "refuted", "as_good", values
    if far:
        return "qualified", "below_baseline_far_above", values
    return "inconclusive", "unclear", values


def _patching(ev: Ev) -> Outcome:
    """Patching the detected heads' clean output into the corrupted run recovers most of the repeat's loss gap and
    mean-ablating them removes most of the gain, while patching every other head recovers little. (Ablating the
    other heads is reported, not ruled on: in a model without MLPs every head writes the residual stream the
    induction heads read, so removing any of them can hurt without carrying the repeat.)"""
    recovered = _lo(ev, names.RECOVERED) > MOST
    removed = _lo(ev, names.REMOVED_FOUND) > MOST
    others = not _known(ev, names.RECOVERED_OTHERS) or _hi(ev, names.RECOVERED_OTHERS) < SOME
    values = {"recovered": recovered, "removed": removed, "others_little": others}
    if recovered and removed and others:
        return "confirmed", "all", values
    if _hi(ev, names.RECOVERED) < SOME and _hi(ev, names.REMOVED_FOUND) < SOME:
        return "refuted", "neither", values
    if recovered or removed:
        return "qualified", "partly", values
    return "inconclusive", "unclear", values


_RULES: dict[str, Callable[[Ev], Outcome]] = {PHASE: _phase, TOGETHER_CLAIM: _together, CONTROL: _control,
                                              PATCHING: _patching}
CLAIMS = tuple(_RULES)


def _gates(name: str, ev: Ev) -> list[Gate]:
    standard = list(standard_gates(ev))
    if name == TOGETHER_CLAIM:
        return [*standard, reached_gate(ev, names.steps_loss(TWO)), reached_gate(ev, names.steps_induction(TWO))]
    if name == PATCHING:
        return [*standard, heads_gate(ev)]
    return standard


def _evidence(name: str, ev: Ev) -> list[str]:
    if name == PHASE:
        return [names.loss(TWO), names.LOSS_MARK_NATS, names.induction(TWO), names.WIDTH, names.steps_loss(TWO),
                names.loss_baseline("order_free")]
    if name == TOGETHER_CLAIM:
        return [names.LAG, names.steps_loss(TWO), names.steps_induction(TWO)]
    if name == CONTROL:
        return [names.CONTROL_RATIO, names.GAP, names.loss(ONE), names.induction(ONE),
                names.loss_baseline("order_free")]
    return [names.RECOVERED, names.REMOVED_FOUND, names.RECOVERED_OTHERS, names.REMOVED_OTHERS,
            names.RECOVERED_PREVIOUS, names.REMOVED_PREVIOUS, names.FOUND_HEADS]


def _around(x: float, nudge: float) -> tuple[float, float]:
    return x - nudge, x + nudge


def _candidates(name: str, ev: Ev) -> list[tuple[str, float]]:
    """Values just across each threshold, for each number the sub-claim reads."""
    s, r = NUDGE["share"], NUDGE["ratio"]
    if name == PHASE:
        mark = ev[names.LOSS_MARK_NATS].number
        return ([(names.loss(TWO), x) for x in _around(mark, s * mark)]
                + [(names.induction(TWO), x) for x in _around(INDUCTION_MARK, NUDGE["score"])]
                + [(names.WIDTH, x) for x in _around(ABRUPT, r)])
    if name == TOGETHER_CLAIM:
        m = 1.0 + TOGETHER
        return [(names.LAG, x) for x in (1.0, m + r, 1 / m - r)]
    if name == CONTROL:
        return ([(names.CONTROL_RATIO, x) for x in _around(1.0 - NEAR, s)]
                + [(names.GAP, x) for x in _around(GAP, s)]
                + [(names.induction(ONE), x) for x in _around(INDUCTION_MARK, NUDGE["score"])])
    return ([(names.RECOVERED, x) for x in (*_around(MOST, s), SOME - s)]
            + [(names.REMOVED_FOUND, x) for x in (*_around(MOST, s), SOME - s)]
            + [(names.RECOVERED_OTHERS, x) for x in _around(SOME, s) if _known(ev, names.RECOVERED_OTHERS)])


def claim(name: str, ev: Ev, *, flips: bool = True) -> rules.Ruling:
    """Sub-claim ``name`` as its rule decides it on ``ev``; its flips are the first true one toward each other
    decided verdict."""

    def run() -> tuple[str, str, dict[str, Any], list[Flip]]:
        verdict, case, values = _RULES[name](ev)
        found = rules.rerun_flips(ev, _candidates(name, ev), lambda alt: claim(name, alt, flips=False).verdict,
                                  verdict, first_per_verdict=True) if flips else []
        return verdict, case, values, found

    return rules.sub_claim(name, _gates(name, ev), _evidence(name, ev), run)


def decide(evidence: Sequence[Evidence]) -> rules.Rulings:
    ev = EvidenceSet(evidence)
    claims = tuple(claim(name, ev) for name in CLAIMS)
    return rules.combine(claims, standard_gates(ev))
