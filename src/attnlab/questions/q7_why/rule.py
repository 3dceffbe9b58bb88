"""q7's rule: evidence -> a verdict per sub-claim and overall (numbers and verdicts only).

The four standard checks (:mod:`attnlab.lab.protocol`) gate both sub-claims and the whole; the sub-claims
combine by the one rule of :func:`attnlab.lab.rules.combine`. ``learned`` asks attention pooling to beat the
task's trivial baseline (``TRIVIAL``: chance on the keyword task, the order-free predictors on the but/although
task); the plain poolings are exempt, since their failing on long text is what the claim predicts.
``below_ceiling`` asks one condition's final held-out accuracy to lie more than 0.01 below 1.

Per long-text cell, attention is paired with the best other pooling (:func:`compare`):

- ``wins``: only attention reached the threshold in ``MIN_REACHED`` of its seeds, or the paired steps ratio
  (best other / attention) has its interval above ``SPEEDUP``;
- ``loses``: only the other pooling reached it, or the ratio's interval lies below 1 / ``SPEEDUP``;
- ``no_margin``: both reached it and the interval lies below ``SPEEDUP`` (attention may be faster, not by the
  margin);
- ``unclear``: both reached it and the interval straddles ``SPEEDUP``;
- ``unlearned``: neither reached it (a failed gate: nothing is compared).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from attnlab.lab import protocol, rules
from attnlab.lab.rules import Flip, Gate
from attnlab.lab.spec import EvidenceSet
from attnlab.questions.q7_why import names
from attnlab.questions.q7_why.settings import (
    FLIPS,
    FLIPS_STEP,
    FOCUS,
    FOCUS_STEP,
    LONG_CELLS,
    MIN_REACHED,
    POOLINGS,
    SPEEDUP,
    SPEEDUP_STEP,
    TRIVIAL,
    WORD_SHARE,
    WORD_SHARE_STEP,
    Cell,
)
from attnlab.results import Evidence

Ev = Mapping[str, Evidence]

BEATS = "beats_pooling_on_long_text"
FOCUSES = "focuses_on_what_matters"

# a cell's outcome (attention against the best other pooling) and how it was decided
WINS, LOSES, NO_MARGIN, UNCLEAR, UNLEARNED = "wins", "loses", "no_margin", "unclear", "unlearned"
BY_LEARNING, BY_RATIO = "learning", "ratio"
_SIDE = {"above": WINS, "below": LOSES, "within": NO_MARGIN, "unclear": UNCLEAR}
# what the pretrained model does with the polar word, against the mean word's share
SINGLES_OUT, NOT_SINGLED, UNDECIDED, UNAVAILABLE = "singles_out", "no", "undecided", "unavailable"


def compare(ev: Ev, cell: Cell) -> dict[str, Any]:
    """Attention against the best other pooling in ``cell``: the outcome and the numbers it rests on."""
    best = ev[names.best_other(cell)].value
    att_k, n = rules.reached_count(ev[names.steps(cell, "attention")])
    other_k, _ = rules.reached_count(ev[names.steps(cell, best)])
    need = math.ceil(MIN_REACHED * n - 1e-9)
    out = {"cell": list(cell), "best": best, "att_k": att_k, "other_k": other_k, "n": n, "need": need,
           "by": BY_LEARNING}
    if att_k < need and other_k < need:
        return {**out, "outcome": UNLEARNED}
    if other_k < need:
        return {**out, "outcome": WINS}
    if att_k < need:
        return {**out, "outcome": LOSES}
    return {**out, "outcome": _SIDE[rules.ratio_side(ev[names.speedup(cell)], SPEEDUP)], "by": BY_RATIO}


def focus_cell(ev: Ev, cell: Cell) -> dict[str, Any]:
    """Whether the attention of ``cell`` sits on the deciding word and whether its placement matters."""
    return {"cell": list(cell), "concentrated": rules.interval(ev[names.focus(cell)])[0] > FOCUS,
            "matters": rules.interval(ev[names.flips(cell)])[0] > FLIPS}


def minilm_outcome(ev: Ev) -> str:
    """The pretrained model, by both comparisons it measures: the polar word singles itself out when its share is
    above the uniform share 1/T ([CLS] and [SEP] counted) and above the mean word's share (both intervals above
    ``WORD_SHARE``); it does not when either interval lies below; undecided otherwise."""
    if ev[names.MINILM_AVAILABLE].value != "yes":
        return UNAVAILABLE
    bounds = [rules.interval(ev[n]) for n in (names.MINILM_POLAR_RATIO, names.MINILM_POLAR_WORD_RATIO)]
    if all(lo > WORD_SHARE for lo, _ in bounds):
        return SINGLES_OUT
    return NOT_SINGLED if any(hi < WORD_SHARE for _, hi in bounds) else UNDECIDED


# ---- gates ----

def standard_gates(ev: Ev) -> tuple[Gate, ...]:
    """learned, lr_tuned, equal_budget, below_ceiling (see the module's docstring)."""
    conds = [(c, p) for c in LONG_CELLS for p in POOLINGS]
    learned = protocol.learned(ev, [(names.acc(c, "attention"), ev[names.baseline(c[0], TRIVIAL[c[0]])].number)
                                    for c in LONG_CELLS],
                               exempt=[names.acc(c, p) for c, p in conds if p != "attention"])
    lr_names = [names.lr(c, p) for c, p in conds]
    tuned = protocol.lr_tuned(ev, lr_names) if all(n in ev for n in lr_names) else protocol.not_tuned(lr_names)
    return protocol.standard_gates(learned, tuned, protocol.equal_budget(ev, names.READ_AT),
                                   protocol.below_ceiling(ev, [names.acc(c, p) for c, p in conds], 1.0))


def _compared(ev: Ev) -> list[Gate]:
    """In each long cell attention or the best other pooling learned, so there is something to compare."""
    gates = []
    for c in LONG_CELLS:
        v = compare(ev, c)
        gates.append(Gate(f"compared_{names.key(c)}", v["outcome"] != UNLEARNED, "compared", v))
    return gates


def _attention_learned(ev: Ev) -> list[Gate]:
    return [rules.reached_gate(f"attention_learned_{names.key(c)}", ev[names.steps(c, "attention")],
                               min_fraction=MIN_REACHED) for c in LONG_CELLS]


def _first_per_verdict(flips: Sequence[Flip]) -> list[Flip]:
    seen: set[str] = set()
    kept = []
    for f in flips:
        if f.verdict not in seen:
            seen.add(f.verdict)
            kept.append(f)
    return kept


# ---- beats pooling on long text ----

def _beats(ev: Ev) -> tuple[str, str, dict[str, Any]]:
    cells = [compare(ev, c) for c in LONG_CELLS]
    wins = sum(v["outcome"] == WINS for v in cells)
    if wins == len(cells):
        verdict, case = "confirmed", "all_win"
    elif wins:
        verdict, case = "qualified", "some_win"
    elif any(v["outcome"] == UNCLEAR for v in cells):
        verdict, case = "inconclusive", UNCLEAR
    else:  # every long cell shows attention short of the margin, or losing
        verdict, case = "refuted", "none_win"
    return verdict, case, {"cells": cells, "wins": wins, "n": len(cells)}


def _beats_verdict(ev: Ev) -> str:
    if any(not g.passed for g in (*standard_gates(ev), *_compared(ev))):
        return "inconclusive"
    return _beats(ev)[0]


def _beats_ruling(ev: Ev):
    verdict, case, values = _beats(ev)
    flips = []
    for c in LONG_CELLS:
        best = ev[names.best_other(c)].value
        candidates = [(names.speedup(c), SPEEDUP + SPEEDUP_STEP), (names.speedup(c), SPEEDUP - SPEEDUP_STEP),
                      (names.steps(c, "attention"), math.inf), (names.steps(c, best), math.inf)]
        flips += _first_per_verdict(rules.rerun_flips(ev, candidates, _beats_verdict, verdict))
    return verdict, case, values, flips


# ---- focuses on what matters ----

def _focuses(ev: Ev) -> tuple[str, str, dict[str, Any]]:
    cells = [focus_cell(ev, c) for c in LONG_CELLS]
    good = sum(v["concentrated"] and v["matters"] for v in cells)
    mini = minilm_outcome(ev)
    if not good:
        verdict, case = "refuted", "none_focus"
    elif good == len(cells) and mini in (SINGLES_OUT, UNAVAILABLE):
        verdict, case = "confirmed", "all_focus"
    else:
        verdict, case = "qualified", "minilm_short" if good == len(cells) else "some_focus"
    return verdict, case, {"cells": cells, "good": good, "n": len(cells), "minilm": mini}


def _focuses_verdict(ev: Ev) -> str:
    if any(not g.passed for g in (*standard_gates(ev), *_attention_learned(ev))):
        return "inconclusive"
    return _focuses(ev)[0]


def _focuses_ruling(ev: Ev):
    verdict, case, values = _focuses(ev)
    flips = []
    for c in LONG_CELLS:
        candidates = [(names.focus(c), FOCUS + FOCUS_STEP), (names.focus(c), FOCUS - FOCUS_STEP),
                      (names.flips(c), FLIPS + FLIPS_STEP), (names.flips(c), FLIPS - FLIPS_STEP)]
        flips += _first_per_verdict(rules.rerun_flips(ev, candidates, _focuses_verdict, verdict))
    if values["minilm"] != UNAVAILABLE:
        candidates = [(n, WORD_SHARE + WORD_SHARE_STEP) for n in (names.MINILM_POLAR_RATIO,
                                                                   names.MINILM_POLAR_WORD_RATIO)]
        candidates += [(n, WORD_SHARE - WORD_SHARE_STEP) for n in (names.MINILM_POLAR_RATIO,
                                                                    names.MINILM_POLAR_WORD_RATIO)]
        flips += rules.rerun_flips(ev, candidates, _focuses_verdict, verdict)
    return verdict, case, values, flips


def decide(evidence: Sequence[Evidence]) -> rules.Rulings:
    ev = EvidenceSet(evidence)
    standard, compared, att_learned = standard_gates(ev), _compared(ev), _attention_learned(ev)
    beats_evidence = [n for c in LONG_CELLS for n in (
        names.speedup(c), names.best_other(c), names.steps(c, "attention"),
        names.steps(c, ev[names.best_other(c)].value), names.gain(c))]
    c1 = rules.sub_claim(BEATS, [*standard, *compared], beats_evidence, lambda: _beats_ruling(ev))
    focus_evidence = ([names.focus(c) for c in LONG_CELLS] + [names.flips(c) for c in LONG_CELLS]
                      + [names.MINILM_POLAR_RATIO, names.MINILM_POLAR_WORD_RATIO])
    c2 = rules.sub_claim(FOCUSES, [*standard, *att_learned], focus_evidence, lambda: _focuses_ruling(ev))
    return rules.combine((c1, c2), (*standard, *compared, *att_learned))
