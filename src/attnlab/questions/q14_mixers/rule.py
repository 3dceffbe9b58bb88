"""q14's rule: evidence -> a verdict per sub-claim and overall (numbers and verdicts only)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from attnlab.lab import protocol, rules
from attnlab.lab.rules import Flip, Gate
from attnlab.lab.spec import EvidenceSet
from attnlab.questions.q14_mixers import evidence as names
from attnlab.questions.q14_mixers.settings import EVEN, MIXERS, NUDGE, RECURRENT, THRESHOLD
from attnlab.results import Evidence

SOFTMAX_RECALLS = "softmax_recalls"
STATES_FALL = "fixed_states_fall"
SOFTMAX_AHEAD = "softmax_ahead"
ABOVE, BELOW, UNCLEAR = "above", "below", "unclear"

Ev = Mapping[str, Evidence]
Outcome = tuple[str, str, dict[str, Any]]


def side(ev: Ev, mixer: str, pairs: int) -> str:
    """ABOVE (the accuracy's interval lies above THRESHOLD), BELOW (under it) or UNCLEAR."""
    lo, hi = rules.interval(ev[names.acc(mixer, pairs)])
    return ABOVE if lo > THRESHOLD else BELOW if hi < THRESHOLD else UNCLEAR


def where(ev: Ev, mixer: str) -> dict[str, str]:
    """The mixer's side of the threshold per pair count: ``{"4": "above", "8": "below", ...}``."""
    return {str(p): side(ev, mixer, p) for p in names.pair_counts(ev)}


def falls_at(ev: Ev, mixer: str) -> int | None:
    """The smallest pair count from which the mixer stays below the threshold (None: not below at the largest)."""
    counts = names.pair_counts(ev)
    first = None
    for p in reversed(counts):
        if side(ev, mixer, p) != BELOW:
            break
        first = p
    return first


def largest(ev: Ev) -> int:
    return names.pair_counts(ev)[-1]


def standard_gates(ev: Ev) -> tuple[Gate, ...]:
    """The four standard checks. ``learned``: softmax attention's accuracy lies above the best trivial baseline at
    every pair count; the recurrent mixers are exempt (falling to the baseline as the pairs grow is what the claim
    predicts of them). ``below_ceiling``: some accuracy at the largest pair count is more than 0.01 below 1."""
    counts = names.pair_counts(ev)
    learned = protocol.learned(ev, [(names.acc("softmax", p), names.best_baseline(ev, p).number) for p in counts],
                               exempt=[names.acc(m, p) for m in RECURRENT for p in counts])
    lr_names = [names.lr(m) for m in MIXERS]
    tuned = protocol.lr_tuned(ev, lr_names) if all(n in ev for n in lr_names) else protocol.not_tuned(lr_names)
    budget = (protocol.equal_budget(ev, names.READ_AT) if names.READ_AT in ev
              else Gate("equal_budget", False, "equal_budget", {"evidence": names.READ_AT, "steps": []}))
    ceiling = protocol.below_ceiling(ev, [names.acc(m, counts[-1]) for m in MIXERS], 1.0)
    return protocol.standard_gates(learned, tuned, budget, ceiling)


# ---- the sub-claims: (verdict, case, values) from the evidence ----
def _softmax_recalls(ev: Ev) -> Outcome:
    w = where(ev, "softmax")
    values = {"where": w}
    if all(s == ABOVE for s in w.values()):
        return "confirmed", "above_everywhere", values
    if all(s == BELOW for s in w.values()):
        return "refuted", "below_everywhere", values
    return ("qualified", "above_somewhere", values) if ABOVE in w.values() else ("inconclusive", UNCLEAR, values)


def _states_fall(ev: Ev) -> Outcome:
    top = largest(ev)
    at_top = {m: side(ev, m, top) for m in RECURRENT}
    fall = [m for m in RECURRENT if at_top[m] == BELOW]
    hold = [m for m in RECURRENT if at_top[m] == ABOVE]
    values = {"fall": fall, "hold": hold, "pairs": top, "falls_at": {m: falls_at(ev, m) for m in RECURRENT}}
    if len(fall) == len(RECURRENT):
        return "confirmed", "all_fall", values
    if len(hold) == len(RECURRENT):
        return "refuted", "all_hold", values
    return ("qualified", "some_fall", values) if fall else ("inconclusive", UNCLEAR, values)


def comparisons(ev: Ev) -> list[str]:
    """Softmax minus each recurrent mixer at the largest pair count."""
    return [names.gap(m, largest(ev)) for m in RECURRENT]


def _softmax_ahead(ev: Ev) -> Outcome:
    cs = comparisons(ev)
    up = [n for n in cs if rules.interval(ev[n])[0] > EVEN]
    down = [n for n in cs if rules.interval(ev[n])[1] < EVEN]
    values = {"up": len(up), "down": len(down), "n": len(cs), "pairs": largest(ev),
              "ahead_of": [m for m in RECURRENT if names.gap(m, largest(ev)) in up]}
    if len(up) == len(cs):
        return "confirmed", "ahead_everywhere", values
    if len(down) == len(cs):
        return "refuted", "behind_everywhere", values
    return ("qualified", "ahead_somewhere", values) if up else ("inconclusive", UNCLEAR, values)


_RULES: dict[str, Callable[[Ev], Outcome]] = {SOFTMAX_RECALLS: _softmax_recalls, STATES_FALL: _states_fall,
                                              SOFTMAX_AHEAD: _softmax_ahead}
CLAIMS = tuple(_RULES)


def _evidence(name: str, ev: Ev) -> list[str]:
    counts = names.pair_counts(ev)
    if name == SOFTMAX_RECALLS:
        return [names.acc("softmax", p) for p in counts] + [names.steps("softmax", p) for p in counts]
    if name == STATES_FALL:
        return [names.acc(m, p) for m in RECURRENT for p in counts]
    return comparisons(ev)


def _candidates(name: str, ev: Ev) -> list[tuple[str, float]]:
    """Values just across each threshold, for each number the sub-claim reads."""
    around = (THRESHOLD - NUDGE["acc"], THRESHOLD + NUDGE["acc"])
    if name == SOFTMAX_RECALLS:
        return [(names.acc("softmax", p), x) for p in names.pair_counts(ev) for x in around]
    if name == STATES_FALL:
        return [(names.acc(m, largest(ev)), x) for m in RECURRENT for x in around]
    return [(n, EVEN + s * NUDGE["difference"]) for n in comparisons(ev) for s in (1, -1)]


def claim(name: str, ev: Ev, *, flips: bool = True) -> rules.Ruling:
    """Sub-claim ``name`` as its rule decides it on ``ev``; its flips are the first true one toward each other
    decided verdict. Its gates: the standard checks."""

    def run() -> tuple[str, str, dict[str, Any], list[Flip]]:
        verdict, case, values = _RULES[name](ev)
        found = rules.rerun_flips(ev, _candidates(name, ev), lambda alt: claim(name, alt, flips=False).verdict,
                                  verdict, first_per_verdict=True) if flips else []
        return verdict, case, values, found

    return rules.sub_claim(name, list(standard_gates(ev)), _evidence(name, ev), run)


def decide(evidence: Sequence[Evidence]) -> rules.Rulings:
    ev = EvidenceSet(evidence)
    claims = tuple(claim(name, ev) for name in CLAIMS)
    return rules.combine(claims, standard_gates(ev))
