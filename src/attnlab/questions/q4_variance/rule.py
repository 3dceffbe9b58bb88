"""q4's rule: the evidence as verdicts, numbers only (the sentences are in ``words.py``).

- ``variance_grows_as_dk`` (a derivation): confirmed, standing on the Monte Carlo check (slopes 1 and 0).
- ``scale_independent_of_dk``: per arm (d_model fixed; one head with d_model = d_k), the log-log slope of the
  trained scaled logits' std against d_k: confirmed inside ±FLAT, qualified inside ±WEAK, refuted beyond
  ±WEAK, else inconclusive; two arms that agree keep their verdict, two that differ give qualified.
- ``unit_scale``: every trained std (ours and MiniLM's layers) inside UNIT_BAND: confirmed; inside ORDER_BAND:
  qualified; else refuted.
- Overall: inconclusive if a gate failed or the d_k comparison is; refuted if it is refuted; confirmed if it
  and ``unit_scale`` are confirmed; qualified otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence

from attnlab.lab import rules
from attnlab.lab.rules import Flip, Gate, Ruling, Rulings
from attnlab.lab.spec import EvidenceSet
from attnlab.questions.q4_variance.evidence import (
    MINILM_PER_LAYER,
    MINILM_RATIO,
    mc_slope,
    one_head_dks,
    scaled_std,
    slope,
    steps,
    steps_one_head,
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

__all__ = ["DERIVATION", "SCALE", "UNIT", "VARIANCE", "arm_verdict", "combine", "decide", "learned",
           "learned_one_head", "unit_verdict"]

VARIANCE, SCALE, UNIT = "variance_grows_as_dk", "scale_independent_of_dk", "unit_scale"  # the sub-claims
DERIVATION = "derivation_check"  # the Monte Carlo check (gate kind "derivation")
# cases of an arm's slope: inside ±FLAT, inside ±WEAK, beyond ±WEAK, straddling
ARM_CASES = {"confirmed": "flat", "qualified": "weak", "refuted": "steep", "inconclusive": "unclear"}


def learned(dk: int) -> str:
    return f"learned_dk{dk}"


def learned_one_head(dk: int) -> str:
    return f"learned_one_head_dk{dk}"


def arm_verdict(e: Evidence) -> str:
    """One arm's slope: confirmed inside ±FLAT, qualified inside ±WEAK, refuted beyond ±WEAK, else inconclusive."""
    lo, hi = rules.interval(e)
    if lo > -FLAT and hi < FLAT:
        return "confirmed"
    if lo > -WEAK and hi < WEAK:
        return "qualified"
    if lo > WEAK or hi < -WEAK:
        return "refuted"
    return "inconclusive"


def combine(a: str, b: str | None) -> str:
    """Two arms' verdicts on one sub-claim: agreement stands, disagreement is qualified, doubt is doubt."""
    if b is None:
        return a
    if "inconclusive" in (a, b):
        return "inconclusive"
    return a if a == b else "qualified"


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
    """This arm's slope just either side of ±FLAT and of ±WEAK (on its own side of 0), nearest first."""
    sign = -1.0 if e.number < 0 else 1.0
    xs = [round(sign * x, 6) for x in (FLAT - FLIP_STEP, FLAT + FLIP_STEP, WEAK - FLIP_STEP, WEAK + FLIP_STEP)]
    return [(e.name, x) for x in sorted(xs, key=lambda x: abs(x - e.number))]


def _scale_claim(ev: EvidenceSet, gates: list[Gate]) -> Ruling:
    main = ev[slope("trained")]
    ones = one_head_dks(ev)
    one = ev[slope("trained", one_head=True)] if ones else None
    names = [main.name, slope("init"), *(scaled_std("trained", dk) for dk in trained_dks(ev)),
             *([one.name] if one is not None else [])]

    def verdict_of(e: dict[str, Evidence]) -> str:
        return combine(arm_verdict(e[main.name]), arm_verdict(e[one.name]) if one is not None else None)

    def rule():
        a = arm_verdict(main)
        b = arm_verdict(one) if one is not None else None
        verdict = combine(a, b)
        if b is None:
            case = ARM_CASES[a]
        else:
            case = "arm_unclear" if "inconclusive" in (a, b) else "arms_agree" if a == b else "arms_differ"
        candidates = _slope_candidates(main) + (_slope_candidates(one) if one is not None else [])
        flips = _first_per_verdict(rules.rerun_flips(ev, candidates, verdict_of, verdict))
        return verdict, case, {"arm": a, "one_head_arm": b, "trend": _trend(main)}, flips

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


def decide(evidence: Sequence[Evidence]) -> Rulings:
    ev = EvidenceSet(evidence)
    g, sc = ev[mc_slope("gaussian")], ev[mc_slope("scaled")]
    derivation_ok = Gate(DERIVATION, abs(g.number - 1) < DERIVATION_TOL and abs(sc.number) < DERIVATION_TOL,
                         "derivation", {"gaussian": g.number, "scaled": sc.number})
    learned_main = [rules.reached_gate(learned(dk), ev[steps(dk)], min_fraction=MIN_REACHED) for dk in trained_dks(ev)]
    learned_one = [rules.reached_gate(learned_one_head(dk), ev[steps_one_head(dk)], min_fraction=MIN_REACHED)
                   for dk in one_head_dks(ev)]
    c0 = rules.sub_claim(VARIANCE, [derivation_ok], [mc_slope("gaussian"), mc_slope("scaled"), mc_slope("rademacher")],
                         lambda: ("confirmed", "derivation", {"gaussian": g.number, "scaled": sc.number}, ()),
                         basis="derivation")
    c1 = _scale_claim(ev, [*learned_main, *learned_one])
    c2 = _unit_claim(ev, learned_main)
    gates = (derivation_ok, *learned_main, *learned_one)
    if any(not x.passed for x in gates):
        verdict, case = "inconclusive", rules.GATE_FAILED
    elif c1.verdict == "inconclusive":
        verdict, case = "inconclusive", "scale_unclear"
    elif c1.verdict == "refuted":
        verdict, case = "refuted", "scale_refuted"
    elif c1.verdict == "confirmed" and c2.verdict == "confirmed":
        verdict, case = "confirmed", "both_confirmed"
    else:
        verdict, case = "qualified", "otherwise"
    return Rulings(verdict, (c0, c1, c2), gates, case)
