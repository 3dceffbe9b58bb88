"""q2's rule: evidence -> a verdict per sub-claim and overall (numbers and verdicts only)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from attnlab.lab import protocol, rules
from attnlab.lab.rules import Flip, Gate
from attnlab.lab.spec import EvidenceSet
from attnlab.questions.q2_qk import evidence as names
from attnlab.questions.q2_qk.settings import (
    CYCLE_CONDITIONS,
    MIN_GAIN,
    MIN_REACHED,
    MIN_SPEEDUP,
    PLATEAU,
    TEXT_LEARNED,
    TEXT_MARGIN,
    TEXT_VARIANTS,
)
from attnlab.results import Evidence

EPS = 0.01  # how far across a threshold a flip moves a number
TEXT_LEARNED_KIND = "text_learned"  # the gate kind of "the text LM learned" (worded in words.py)
PLATEAU_KIND = "text_plateau"  # the gate kind of "the text LM had stopped improving" (worded in words.py)


def _learned(ev: EvidenceSet) -> tuple[list[Gate], Gate]:
    """(separate reached the threshold on each cycle task and readout, shared reached it on the symmetric
    control with attention read linearly)."""
    separate = [rules.reached_gate(f"learned_{r}_{t}_separate", ev[names.steps(r, t, "separate")],
                                   min_fraction=MIN_REACHED) for r, t, v in CYCLE_CONDITIONS if v == "separate"]
    control = rules.reached_gate("learned_attention_symmetric_shared", ev[names.steps("attention", "symmetric",
                                                                                     "shared")],
                                 min_fraction=MIN_REACHED)
    return separate, control


def _has_text(ev: EvidenceSet) -> bool:
    return names.TEXT_UNIGRAM in ev


def standard_gates(ev: EvidenceSet) -> tuple[Gate, ...]:
    """The four standard checks. ``learned``: every cycle condition's accuracy above the task's no-lookup
    baseline, every text arm's next-character accuracy above always predicting the most frequent character;
    ``below_ceiling``: at least one cycle condition more than 0.01 below accuracy 1."""
    accs = [names.acc(*c) for c in CYCLE_CONDITIONS]
    items = [(names.acc(r, t, v), ev[names.baseline(t, "no_lookup")].number) for r, t, v in CYCLE_CONDITIONS]
    lr_names = [names.lr(*c) for c in CYCLE_CONDITIONS]
    if _has_text(ev):
        items += [(names.text_acc(v), ev[names.TEXT_MAJORITY].number) for v in TEXT_VARIANTS]
        lr_names += [names.lr("lm", "text", v) for v in TEXT_VARIANTS]
    tuned = protocol.lr_tuned(ev, lr_names) if all(n in ev for n in lr_names) else protocol.not_tuned(lr_names)
    return protocol.standard_gates(protocol.learned(ev, items), tuned, protocol.equal_budget(ev, names.READ_AT),
                                   protocol.below_ceiling(ev, accs, 1.0))


def _text_gates(ev: EvidenceSet) -> list[Gate]:
    """The text LM learned (held-out loss below a fraction of the unigram predictor's) and had stopped improving
    (its loss fell by less than :data:`PLATEAU` over the second half of the budget, every arm)."""
    unigram = ev[names.TEXT_UNIGRAM].number
    gates = [Gate(f"learned_text_{v}", ev[names.text_loss(v)].number < TEXT_LEARNED * unigram, TEXT_LEARNED_KIND,
                  {"variant": v, "evidence": names.text_loss(v), "loss": ev[names.text_loss(v)].number,
                   "unigram": unigram, "factor": TEXT_LEARNED}) for v in TEXT_VARIANTS]
    falls = {v: rules.interval(ev[names.text_fall(v)])[1] for v in TEXT_VARIANTS}
    still = [v for v, hi in falls.items() if hi >= PLATEAU]
    gates.append(Gate("text_plateau", not still, PLATEAU_KIND,
                      {"falls": falls, "still": still, "bound": PLATEAU,
                       "evidence": [names.text_fall(v) for v in TEXT_VARIANTS]}))
    return gates


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
    """Decided at equal parameters: shared with heads widened to separate's parameter count, minus separate."""
    verdict, case = _above_margin(ev[names.TEXT_GAIN_MATCHED], TEXT_MARGIN)
    flips = [Flip(names.TEXT_GAIN_MATCHED, TEXT_MARGIN + EPS, "confirmed"),
             Flip(names.TEXT_GAIN_MATCHED, TEXT_MARGIN - EPS, "refuted")]
    return verdict, case, {"margin": TEXT_MARGIN}, [f for f in flips if f.verdict != verdict]


def decide(evidence: Sequence[Evidence]) -> rules.Rulings:
    ev = EvidenceSet(evidence)
    standard = standard_gates(ev)
    separate, control = _learned(ev)
    att = [g for g in separate if "_attention_" in g.name]
    block = [g for g in separate if "_block_" in g.name]
    c1 = rules.sub_claim("expressive_power", [*standard, *att, control],
                         [names.gain("attention", "asymmetric", "shared"),
                          names.gain("attention", "symmetric", "shared"),
                          names.partner_first("attention", "asymmetric", "shared"),
                          *(names.acc("attention", "asymmetric", v) for v in ("separate", "shared", "none"))],
                         lambda: _expressive(ev))
    c2 = rules.sub_claim("helps_in_practice", [*standard, *block],
                         [names.gain("block", "asymmetric", "shared"), names.speedup("block", "asymmetric", "shared"),
                          names.acc("block", "asymmetric", "separate"), names.acc("block", "asymmetric", "shared")],
                         lambda: _in_practice(ev))
    claims = [c1, c2]
    if _has_text(ev):
        claims.append(rules.sub_claim("helps_on_text", [*standard, *_text_gates(ev)],
                                      [names.TEXT_GAIN_MATCHED, names.TEXT_GAIN, names.text_loss("separate"),
                                       names.text_loss("shared_matched"), names.text_loss("shared"),
                                       names.TEXT_PARAM_GAP, *(names.text_fall(v) for v in TEXT_VARIANTS),
                                       names.TEXT_UNIGRAM, names.TEXT_MODEL], lambda: _on_text(ev)))
    return rules.combine(claims, [*standard, *separate, control])
