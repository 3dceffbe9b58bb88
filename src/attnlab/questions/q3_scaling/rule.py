"""q3's rule: evidence -> a verdict per sub-claim and overall (numbers and verdicts only)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from attnlab.lab import protocol, rules
from attnlab.lab.rules import Flip, Gate
from attnlab.lab.spec import EvidenceSet
from attnlab.questions.q3_scaling import evidence as names
from attnlab.questions.q3_scaling.settings import (
    BUDGET_FACTOR,
    MAX_GRAD_RATIO,
    MIN_RATIO,
    MIN_REACHED,
    MIN_SATURATION_GAIN,
    REFERENCE,
    SIMILAR,
    TEMPERATURES,
)
from attnlab.results import Evidence

EPS = 0.01  # how far across a threshold a flip moves a number


def dks(ev: EvidenceSet) -> list[int]:
    """The head widths compared, smallest first."""
    return [int(d) for d in ev[names.D_KS].value]


def _gates(ev: EvidenceSet) -> list[Gate]:
    budget = int(ev[names.BUDGET].number)
    gates = []
    for dk in dks(ev):
        ref = ev[names.steps(dk, REFERENCE)]
        gates.append(rules.reached_gate(f"learned_dk{dk}_sqrt", ref, min_fraction=MIN_REACHED))
        med = ref.value if not isinstance(ref.value, str) else math.inf
        gates.append(Gate(f"budget_dk{dk}", med * BUDGET_FACTOR <= budget, "budget",
                          {"budget": budget, "median": ref.value, "factor": BUDGET_FACTOR, "evidence": ref.name}))
    return gates


def standard_gates(ev: EvidenceSet) -> tuple[Gate, ...]:
    """The four standard checks. ``learned`` asks every condition to beat the no-lookup baseline except the
    unscaled model at the largest d_k, whose failure to learn is what the claim predicts (it is measured, not
    required)."""
    large = dks(ev)[-1]
    conds = [(dk, t) for dk in dks(ev) for t in TEMPERATURES]
    subject = (large, "1")
    learned = protocol.learned(ev, [(names.acc(dk, t), ev[names.BASELINE_NO_LOOKUP].number)
                                    for dk, t in conds if (dk, t) != subject], exempt=[names.acc(*subject)])
    lr_names = [names.lr(dk, t) for dk, t in conds]
    tuned = protocol.lr_tuned(ev, lr_names) if all(n in ev for n in lr_names) else protocol.not_tuned(lr_names)
    first_eval = float(ev[names.EVAL_EVERY].number)
    return protocol.standard_gates(
        learned, tuned, protocol.equal_budget(ev, names.STEPS_READ),
        protocol.below_ceiling(ev, [names.steps(dk, t) for dk, t in conds], first_eval, higher_is_better=False,
                               margin=0.0))


def _saturates(ev: EvidenceSet, large: int):
    gain = names.sat_wrong_gain(large, "1")
    lo, hi = rules.interval(ev[gain])
    verdict = ("confirmed" if lo > MIN_SATURATION_GAIN else "refuted" if hi < MIN_SATURATION_GAIN
               else "inconclusive")
    flips = [Flip(gain, MIN_SATURATION_GAIN - EPS, "refuted"), Flip(gain, MIN_SATURATION_GAIN + EPS, "confirmed")]
    return verdict, "interval", {"d_k": large}, [f for f in flips if f.verdict != verdict]


def _vanishes(ev: EvidenceSet, large: int):
    ratio, wq = names.grad_ratio(large, "1"), names.grad_wq_ratio(large, "1")
    if isinstance(ev[ratio].value, str) or wq not in ev or isinstance(ev[wq].value, str):
        return "inconclusive", "undefined", {"d_k": large}, []
    lo, hi = rules.interval(ev[ratio])
    wlo, whi = rules.interval(ev[wq])
    softmax_small, params_small = hi < MAX_GRAD_RATIO, whi < MAX_GRAD_RATIO
    if softmax_small and params_small:
        verdict, case = "confirmed", "both_small"
    elif lo > 1.0:
        verdict, case = "refuted", "softmax_larger"
    elif softmax_small and wlo > 1.0:
        verdict, case = "qualified", "softmax_small_params_larger"
    else:
        verdict, case = "inconclusive", "unclear"
    flips = []
    if verdict != "refuted":
        flips.append(Flip(ratio, 1.0 + EPS, "refuted"))
    if verdict == "qualified":
        flips.append(Flip(wq, MAX_GRAD_RATIO - EPS, "confirmed"))
    return verdict, case, {"d_k": large}, flips


def _hard(ev: EvidenceSet, dk: int):
    steps, ratio = names.steps(dk, "1"), names.steps_ratio(dk, "1")
    k, n = rules.reached_count(ev[steps])
    values = {"d_k": dk, "reached": k, "seeds": n, "budget": int(ev[names.BUDGET].number)}
    if k < n / 2:  # if every seed reached it, the step ratio would decide
        ref_median = ev[names.steps(dk, REFERENCE)].value
        candidates = [(steps, float(ref_median))] if not isinstance(ref_median, str) else []
        return "confirmed", "few_reached", values, rules.rerun_flips(
            ev, candidates, lambda alt: _hard(EvidenceSet(list(alt.values())), dk)[0], "confirmed")
    if isinstance(ev[ratio].value, str):
        return "inconclusive", "undefined", values, [Flip(steps, math.inf, "confirmed")]
    lo, hi = rules.interval(ev[ratio])
    verdict = ("confirmed" if lo > MIN_RATIO else "refuted" if SIMILAR[0] < lo and hi < SIMILAR[1]
               else "inconclusive")
    flips = [Flip(ratio, MIN_RATIO + EPS, "confirmed"), Flip(ratio, 1.0, "refuted"),
             Flip(steps, math.inf, "confirmed")]
    return verdict, "ratio", values, [f for f in flips if f.verdict != verdict]


def decide(evidence: Sequence[Evidence]) -> rules.Rulings:
    ev = EvidenceSet(evidence)
    small, large = dks(ev)[0], dks(ev)[-1]
    standard = standard_gates(ev)
    gates = [*standard, *_gates(ev)]
    c_sat = rules.sub_claim("saturation", list(standard), [names.sat_wrong_gain(large, "1"),
                                               names.sat_wrong(large, "1"),
                                               names.init_max_weight(large, "1"), names.SOFTMAX_EXAMPLE],
                            lambda: _saturates(ev, large))
    c_grad = rules.sub_claim("gradients_vanish", list(standard), [names.grad_ratio(large, "1"),
                                                      names.grad_wq_ratio(large, "1"),
                                                      names.grad(large, "1")], lambda: _vanishes(ev, large))
    c_large = rules.sub_claim("training_hard_large_dk", gates, [names.steps(large, "1"),
                                                                names.steps_ratio(large, "1"), names.acc(large, "1")],
                              lambda: _hard(ev, large))
    c_small = rules.sub_claim("training_hard_small_dk", gates, [names.steps(small, "1"),
                                                                names.steps_ratio(small, "1")],
                              lambda: _hard(ev, small))
    return rules.combine((c_sat, c_grad, c_large, c_small), gates, {"small": small, "large": large})
