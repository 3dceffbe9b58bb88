"""q2's rule: evidence -> a verdict per sub-claim and overall (numbers and verdicts only)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from attnlab.lab import rules
from attnlab.lab.rules import GATE_FAILED, Flip, Gate
from attnlab.lab.spec import EvidenceSet
from attnlab.questions.q2_qk import evidence as names
from attnlab.questions.q2_qk.settings import (
    MIN_GAIN,
    MIN_REACHED,
    MIN_SPEEDUP,
    READOUTS,
    TASKS,
    TEXT_LEARNED,
    TEXT_MARGIN,
    TEXT_VARIANTS,
)
from attnlab.results import Evidence

EPS = 0.01  # how far across a threshold a flip moves a number
TEXT_LEARNED_KIND = "text_learned"  # the gate kind of "the text LM learned" (worded in words.py)


def _learned(ev: EvidenceSet) -> tuple[list[Gate], list[Gate]]:
    """(separate learned each task with each readout, shared learned the symmetric control with each readout)."""
    separate = [rules.reached_gate(f"learned_{r}_{t}_separate", ev[names.steps(r, t, "separate")],
                                   min_fraction=MIN_REACHED) for r in READOUTS for t in TASKS]
    controls = [rules.reached_gate(f"learned_{r}_symmetric_shared", ev[names.steps(r, "symmetric", "shared")],
                                   min_fraction=MIN_REACHED) for r in READOUTS]
    return separate, controls


def _text_learned(ev: EvidenceSet) -> list[Gate]:
    if names.TEXT_UNIGRAM not in ev:
        return []
    unigram = ev[names.TEXT_UNIGRAM].number
    return [Gate(f"learned_text_{v}", ev[names.text_loss(v)].number < TEXT_LEARNED * unigram, TEXT_LEARNED_KIND,
                 {"variant": v, "evidence": names.text_loss(v), "loss": ev[names.text_loss(v)].number,
                  "unigram": unigram, "factor": TEXT_LEARNED}) for v in TEXT_VARIANTS]


def _above_margin(e: Evidence, margin: float) -> tuple[str, str]:
    """confirmed if the interval lies above ``margin``, refuted if below, else inconclusive."""
    lo, hi = rules.interval(e)
    if lo > margin:
        return "confirmed", "above"
    return ("refuted", "below") if hi < margin else ("inconclusive", "straddles")


def _expressive(ev: EvidenceSet):
    g = names.gain("attention", "asymmetric", "shared")
    verdict, case = _above_margin(ev[g], MIN_GAIN)
    flips = [Flip(g, MIN_GAIN + EPS, "confirmed"), Flip(g, MIN_GAIN - EPS, "refuted")]
    return verdict, case, {"margin": MIN_GAIN}, [f for f in flips if f.verdict != verdict]


def practice_verdict(ev: Mapping[str, Evidence]) -> tuple[str, str]:
    """A full block: (verdict, case) from the accuracy gain of separate over shared and the steps ratio."""
    g, s = ev[names.gain("block", "asymmetric", "shared")], ev[names.speedup("block", "asymmetric", "shared")]
    lo, hi = rules.interval(g)
    s_lo, s_hi = rules.interval(s) if not isinstance(s.value, str) else (math.nan, math.nan)
    if lo > MIN_GAIN or s_lo > MIN_SPEEDUP:
        return "confirmed", "separate_better"
    if hi < -MIN_GAIN or s_hi < 1 / MIN_SPEEDUP:
        return "refuted", "shared_better"
    if lo > -MIN_GAIN and hi < MIN_GAIN and s_lo > 1 / MIN_SPEEDUP and s_hi < MIN_SPEEDUP:
        return "qualified", "compensated"
    return "inconclusive", "unclear"


def _in_practice(ev: EvidenceSet):
    verdict, case = practice_verdict(ev)
    g, s = names.gain("block", "asymmetric", "shared"), names.speedup("block", "asymmetric", "shared")
    candidates = [(g, MIN_GAIN + EPS), (g, 0.0), (g, -MIN_GAIN - EPS),
                  (s, MIN_SPEEDUP + EPS), (s, 1.0), (s, 1 / MIN_SPEEDUP - EPS)]
    found: dict[str, Flip] = {}
    for f in rules.rerun_flips(dict(ev), candidates, lambda changed: practice_verdict(changed)[0], verdict):
        found.setdefault(f.verdict, f)  # the first candidate per verdict: the gain's, then the steps ratio's
    values = {"gain_margin": MIN_GAIN, "speedup_margin": MIN_SPEEDUP}
    return verdict, case, values, list(found.values())


def _on_text(ev: EvidenceSet):
    verdict, case = _above_margin(ev[names.TEXT_GAIN], TEXT_MARGIN)
    flips = [Flip(names.TEXT_GAIN, TEXT_MARGIN + EPS, "confirmed"), Flip(names.TEXT_GAIN, TEXT_MARGIN - EPS, "refuted")]
    return verdict, case, {"margin": TEXT_MARGIN}, [f for f in flips if f.verdict != verdict]


def decide(evidence: Sequence[Evidence]) -> rules.Rulings:
    ev = EvidenceSet(evidence)
    separate, controls = _learned(ev)
    text = _text_learned(ev)
    c1 = rules.sub_claim("expressive_power", [*separate[:2], controls[0]],
                         [names.gain("attention", "asymmetric", "shared"),
                          names.gain("attention", "symmetric", "shared"),
                          names.partner_first("attention", "asymmetric", "shared"),
                          *(names.acc("attention", "asymmetric", v) for v in ("separate", "shared", "none"))],
                         lambda: _expressive(ev))
    c2 = rules.sub_claim("helps_in_practice", [*separate[2:], controls[1]],
                         [names.gain("block", "asymmetric", "shared"), names.speedup("block", "asymmetric", "shared"),
                          names.acc("block", "asymmetric", "separate"), names.acc("block", "asymmetric", "shared")],
                         lambda: _in_practice(ev))
    claims = [c1, c2]
    if text:
        claims.append(rules.sub_claim("helps_on_text", text,
                                      [names.TEXT_GAIN, names.text_loss("separate"), names.text_loss("shared"),
                                       names.TEXT_UNIGRAM, names.TEXT_MODEL], lambda: _on_text(ev)))
    gates = (*separate, *controls, *text)
    practice = [c.verdict for c in claims[1:]]
    if any(not g.passed for g in gates):
        verdict, case = "inconclusive", GATE_FAILED
    elif c1.verdict == "inconclusive":
        verdict, case = "inconclusive", "power_undecided"
    elif c1.verdict == "refuted":
        verdict, case = "refuted", "no_power"
    elif all(v == "confirmed" for v in practice):
        verdict, case = "confirmed", "power_and_help"
    else:
        verdict, case = "qualified", "power_without_help"
    return rules.Rulings(verdict, tuple(claims), gates, case)
