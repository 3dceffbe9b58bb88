"""q4's rule: the evidence as verdicts, numbers only (the sentences are in ``words.py``).

- ``variance_grows_as_dk`` (a derivation): confirmed, standing on the Monte Carlo check (slopes 1 and 0).
- ``scale_independent_of_dk``: with d_model and the head count fixed (only d_k moves), the log-log slope of the
  trained scaled logits' std against d_k, read at the same step for every d_k: confirmed inside ±FLAT,
  qualified inside ±WEAK, refuted beyond ±WEAK, else inconclusive.
- ``unit_scale``: every trained std (ours and MiniLM's layers) inside UNIT_BAND: confirmed; inside ORDER_BAND:
  qualified; else refuted.
- Overall: the one combination rule (:func:`attnlab.lab.rules.combine`) under the standard checks and the
  question's own (the Monte Carlo, each d_k learned). The derivation is one of the sub-claims and holds by
  algebra, so the question can be qualified at worst, never refuted, while the algebra is right.
"""

from __future__ import annotations

from collections.abc import Sequence

from attnlab.lab import protocol, rules
from attnlab.lab.rules import Flip, Gate, Ruling, Rulings
from attnlab.lab.spec import EvidenceSet
from attnlab.questions.q4_variance.evidence import (
    BASELINE_NO_LOOKUP,
    EVAL_EVERY,
    MINILM_PER_LAYER,
    MINILM_RATIO,
    STEPS_READ,
    acc,
    lr,
    mc_slope,
    scaled_std,
    slope,
    steps,
    trained_dks,
    trained_ratio,
)
from attnlab.questions.q4_variance.settings import (
    DERIVATION_TOL,
    FLAT,
    FLIP_FACTOR,
    FLIP_STEP,
    MIN_REACHED,
    ORDER_BAND,
    UNIT_BAND,
    WEAK,
)
from attnlab.results import Evidence

__all__ = ["DERIVATION", "SCALE", "UNIT", "VARIANCE", "arm_verdict", "decide", "learned", "standard_gates",
           "unit_verdict"]

VARIANCE, SCALE, UNIT = "variance_grows_as_dk", "scale_independent_of_dk", "unit_scale"  # the sub-claims
DERIVATION = "derivation_check"  # the Monte Carlo check (gate kind "derivation")
# cases of the slope: inside ±FLAT, inside ±WEAK, beyond ±WEAK, straddling
ARM_CASES = {"confirmed": "flat", "qualified": "weak", "refuted": "steep", "inconclusive": "unclear"}


def learned(dk: int) -> str:
    return f"learned_dk{dk}"


def arm_verdict(e: Evidence) -> str:
    """The slope: confirmed inside ±FLAT, qualified inside ±WEAK, refuted beyond ±WEAK, else inconclusive."""
    lo, hi = rules.interval(e)
    if lo > -FLAT and hi < FLAT:
        return "confirmed"
    if lo > -WEAK and hi < WEAK:
        return "qualified"
    if lo > WEAK or hi < -WEAK:
        return "refuted"
    return "inconclusive"


def unit_verdict(values: Sequence[float]) -> str:
    """Trained stds all inside UNIT_BAND: confirmed; inside ORDER_BAND: qualified; else refuted."""
    lo, hi = min(values), max(values)
    if UNIT_BAND[0] <= lo and hi <= UNIT_BAND[1]:
        return "confirmed"
    if ORDER_BAND[0] <= lo and hi <= ORDER_BAND[1]:
        return "qualified"
    return "refuted"


def _trend(e: Evidence) -> str:
    lo, hi = rules.interval(e)
    return "grows" if lo > 0 else "shrinks" if hi < 0 else "flat"


def _first_per_verdict(flips: list[Flip]) -> list[Flip]:
    """One flip per (evidence, verdict): the first, i.e. the one nearest the threshold crossed."""
    seen: set[tuple[str, str]] = set()
    out = []
    for f in flips:
        if (f.evidence, f.verdict) not in seen:
            seen.add((f.evidence, f.verdict))
            out.append(f)
    return out


def _slope_candidates(e: Evidence) -> list[tuple[str, float]]:
    """The slope just either side of ±FLAT and of ±WEAK (on its own side of 0), nearest first."""
    sign = -1.0 if e.number < 0 else 1.0
    xs = [round(sign * x, 6) for x in (FLAT - FLIP_STEP, FLAT + FLIP_STEP, WEAK - FLIP_STEP, WEAK + FLIP_STEP)]
    return [(e.name, x) for x in sorted(xs, key=lambda x: abs(x - e.number))]


def _scale_claim(ev: EvidenceSet, gates: list[Gate]) -> Ruling:
    main = ev[slope("trained")]
    names = [main.name, slope("init"), *(scaled_std("trained", dk) for dk in trained_dks(ev))]

    def verdict_of(e: dict[str, Evidence]) -> str:
        return arm_verdict(e[main.name])

    def rule():
        verdict = arm_verdict(main)
        flips = _first_per_verdict(rules.rerun_flips(ev, _slope_candidates(main), verdict_of, verdict))
        return verdict, ARM_CASES[verdict], {"arm": verdict, "trend": _trend(main)}, flips

    return rules.sub_claim(SCALE, gates, names, rule)


def _unit_stds(ev: EvidenceSet | dict[str, Evidence]) -> list[tuple[tuple[str, int], float]]:
    """Every trained std the rule reads, with where it comes from: ("dk", d_k) or ("layer", MiniLM layer)."""
    out = [(("dk", dk), ev[scaled_std("trained", dk)].number) for dk in trained_dks(ev)]
    if MINILM_PER_LAYER in ev:
        out += [(("layer", i + 1), float(x)) for i, x in enumerate(ev[MINILM_PER_LAYER].value)]
    return out


def _unit_claim(ev: EvidenceSet, gates: list[Gate]) -> Ruling:
    names = [MINILM_PER_LAYER, MINILM_RATIO, *(trained_ratio(dk) for dk in trained_dks(ev))]

    def verdict_of(e: dict[str, Evidence]) -> str:
        return unit_verdict([v for _, v in _unit_stds(e)])

    def rule():
        stds = _unit_stds(ev)
        values = [v for _, v in stds]
        verdict = unit_verdict(values)
        lo, hi = min(values), max(values)
        at = {"lo_at": list(stds[values.index(lo)][0]), "hi_at": list(stds[values.index(hi)][0])}
        # one of our trained stds set to 1, or just across a band's upper end: the farthest from 1 first
        order = sorted(trained_dks(ev), key=lambda dk: abs(ev[scaled_std("trained", dk)].number - 1), reverse=True)
        candidates = [(scaled_std("trained", dk), round(x, 6)) for dk in order
                      for x in (1.0, UNIT_BAND[1] * FLIP_FACTOR, ORDER_BAND[1] * FLIP_FACTOR)]
        flips = rules.rerun_flips(ev, candidates, verdict_of, verdict)
        flips = [f for i, f in enumerate(flips) if f.verdict not in {g.verdict for g in flips[:i]}]
        case = {"confirmed": "unit", "qualified": "order", "refuted": "beyond"}[verdict]
        return verdict, case, {"lo": lo, "hi": hi, **at}, flips

    return rules.sub_claim(UNIT, gates, names, rule)


def standard_gates(ev: EvidenceSet) -> tuple[Gate, ...]:
    """The four standard checks: every d_k beats the no-lookup baseline, no chosen rate at the edge of its sweep,
    every model read at one step, and (steps to the threshold) at least one d_k slower than the first evaluation."""
    dks = trained_dks(ev)
    base = ev[BASELINE_NO_LOOKUP].number
    learned_ = protocol.learned(ev, [(acc(dk), base) for dk in dks])
    lr_names = [lr(dk) for dk in dks]
    tuned = protocol.lr_tuned(ev, lr_names) if all(n in ev for n in lr_names) else protocol.not_tuned(lr_names)
    return protocol.standard_gates(
        learned_, tuned, protocol.equal_budget(ev, STEPS_READ),
        protocol.below_ceiling(ev, [steps(dk) for dk in dks], float(ev[EVAL_EVERY].number), higher_is_better=False,
                               margin=0.0))


def decide(evidence: Sequence[Evidence]) -> Rulings:
    ev = EvidenceSet(evidence)
    g, sc = ev[mc_slope("gaussian")], ev[mc_slope("scaled")]
    derivation_ok = Gate(DERIVATION, abs(g.number - 1) < DERIVATION_TOL and abs(sc.number) < DERIVATION_TOL,
                         "derivation", {"gaussian": g.number, "scaled": sc.number})
    standard = standard_gates(ev)
    reached = [rules.reached_gate(learned(dk), ev[steps(dk)], min_fraction=MIN_REACHED) for dk in trained_dks(ev)]
    trained_gates = [*standard, *reached]
    c0 = rules.sub_claim(VARIANCE, [derivation_ok], [mc_slope("gaussian"), mc_slope("scaled"), mc_slope("rademacher")],
                         lambda: ("confirmed", "derivation", {"gaussian": g.number, "scaled": sc.number}, ()),
                         basis="derivation")
    c1 = _scale_claim(ev, trained_gates)
    c2 = _unit_claim(ev, trained_gates)
    return rules.combine((c0, c1, c2), (derivation_ok, *trained_gates))
