"""q11's rule: evidence -> a verdict per sub-claim and overall (numbers and verdicts only)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from attnlab.lab import protocol, rules
from attnlab.lab.rules import Flip, Gate
from attnlab.lab.spec import EvidenceSet
from attnlab.questions.q11_explanation import evidence as names
from attnlab.questions.q11_explanation.settings import (
    FINDS,
    HALF,
    MIN_REACHED,
    MIN_SENTENCES,
    NO_GAIN,
    NUDGE,
    POINTERS,
    REFINED,
    STRONG,
    TASKS,
    TRIVIAL,
    WEAK,
)
from attnlab.results import Evidence

MINILM_AGREES = "minilm_attention_agrees"
POINTS = "attention_points_to_deciding_word"
TRAINED_AGREES = "trained_attention_agrees"
REFINED_BETTER = "refined_views_agree_better"  # the literature's corrections: shown, not counted

MINILM_GATE = "minilm_available"  # kind "available"
SENTENCES_GATE = "minilm_sentences"  # kind "at_least": values evidence, value, need
STRONG_, WEAK_, MODERATE, UNCLEAR = "strong", "weak", "moderate", "unclear"
FINDS_, MISSES, PARTIAL = "finds", "misses", "partial"

Ev = Mapping[str, Evidence]
Outcome = tuple[str, str, dict[str, Any]]


def agreement(e: Evidence) -> str:
    """STRONG_ (interval above STRONG), WEAK_ (below WEAK), MODERATE (above WEAK, not above STRONG) or UNCLEAR."""
    lo, hi = rules.interval(e)
    if lo > STRONG:
        return STRONG_
    if hi < WEAK:
        return WEAK_
    return MODERATE if lo > WEAK else UNCLEAR


def pointing(e: Evidence) -> str:
    """FINDS_ (interval above FINDS), MISSES (below HALF), PARTIAL (above HALF, not above FINDS) or UNCLEAR."""
    lo, hi = rules.interval(e)
    if lo > FINDS:
        return FINDS_
    if hi < HALF:
        return MISSES
    return PARTIAL if lo > HALF else UNCLEAR


def standard_gates(ev: Ev) -> tuple[Gate, ...]:
    """The four standard checks of the trained classifiers: each task's accuracy above its best trivial baseline
    (chance on the keyword task, the bag of words on the contrast task); no chosen rate at its sweep's edge; every
    classifier read at one step; and some method's pointing hit rate more than 0.01 below 1 (if every method found
    the deciding word every time, the methods could not be told apart)."""
    learned = protocol.learned(ev, [(names.acc(t), ev[names.baseline(t, TRIVIAL[t])].number) for t in TASKS])
    lr_names = [names.lr(t) for t in TASKS]
    tuned = protocol.lr_tuned(ev, lr_names) if all(n in ev for n in lr_names) else protocol.not_tuned(lr_names)
    return protocol.standard_gates(
        learned, tuned, protocol.equal_budget(ev, names.READ_AT),
        protocol.below_ceiling(ev, [names.hit(t, m) for t in TASKS for m in POINTERS], 1.0))


def learned_gates(ev: Ev) -> list[Gate]:
    return [rules.reached_gate(f"learned_{t}", ev[names.steps(t)], min_fraction=MIN_REACHED) for t in TASKS]


def relies_gates(ev: Ev) -> list[Gate]:
    """Erasure finds the deciding word in more than HALF of the texts: the classifier does rely on it, so the word
    "known by construction" is also the one that matters to this model."""
    return [Gate(f"relies_on_word_{t}", ev[names.hit(t, "erasure")].number > HALF, "relies",
                 {"evidence": names.hit(t, "erasure"), "bound": HALF}) for t in TASKS]


def minilm_gates(ev: Ev) -> list[Gate]:
    gate = Gate(MINILM_GATE, names.has_minilm(ev), "available", {"evidence": names.MINILM_AVAILABLE})
    if not gate.passed:
        return [gate]
    n = ev[names.MINILM_SENTENCES].number
    return [gate, Gate(SENTENCES_GATE, n >= MIN_SENTENCES, "at_least",
                       {"evidence": names.MINILM_SENTENCES, "value": n, "need": MIN_SENTENCES})]


# ---- the sub-claims: (verdict, case, values) from the evidence ----
def _minilm(ev: Ev) -> Outcome:
    status = agreement(ev[names.rho("minilm", "raw")])
    verdict = {STRONG_: "confirmed", WEAK_: "refuted", MODERATE: "qualified", UNCLEAR: "inconclusive"}[status]
    return verdict, status, {}


def _over_tasks(statuses: dict[str, str], best: str, worst: str, some: tuple[str, ...]) -> Outcome:
    values = {"status": statuses}
    if all(s == best for s in statuses.values()):
        return "confirmed", best, values
    if all(s == worst for s in statuses.values()):
        return "refuted", worst, values
    if any(s in some for s in statuses.values()):
        return "qualified", "mixed", values
    return "inconclusive", UNCLEAR, values


def _points(ev: Ev) -> Outcome:
    return _over_tasks({t: pointing(ev[names.hit(t, "raw")]) for t in TASKS}, FINDS_, MISSES, (FINDS_, PARTIAL))


def _trained(ev: Ev) -> Outcome:
    return _over_tasks({t: agreement(ev[names.rho(t, "raw")]) for t in TASKS}, STRONG_, WEAK_, (STRONG_, MODERATE))


def comparisons(ev: Ev) -> list[str]:
    """Each refined view minus raw attention, in every setting measured."""
    return [names.gain(s, m) for s in names.settings(ev) for m in REFINED]


def _refined(ev: Ev) -> Outcome:
    found = comparisons(ev)
    up = [n for n in found if rules.interval(ev[n])[0] > NO_GAIN]
    down = [n for n in found if rules.interval(ev[n])[1] < NO_GAIN]
    values = {"up": up, "down": down, "n": len(found)}
    if len(up) == len(found):
        return "confirmed", "all_better", values
    if len(down) == len(found):
        return "refuted", "all_worse", values
    return ("qualified", "some_better", values) if up else ("inconclusive", UNCLEAR, values)


def _gates(name: str, ev: Ev) -> list[Gate]:
    if name == MINILM_AGREES:
        return minilm_gates(ev)
    trained = [*standard_gates(ev), *learned_gates(ev)]
    return [*trained, *relies_gates(ev)] if name == POINTS else trained


def _evidence(name: str, ev: Ev) -> list[str]:
    if name == MINILM_AGREES:
        return [n for n in (names.rho("minilm", "raw"), names.MINILM_SENTENCES) if n in ev] + [names.MINILM_AVAILABLE]
    if name == POINTS:
        return [n for t in TASKS for n in (names.hit(t, "raw"), names.chance(t), names.hit(t, "erasure"))]
    if name == TRAINED_AGREES:
        return [names.rho(t, "raw") for t in TASKS]
    return comparisons(ev)


def _around(threshold: float, nudge: float) -> tuple[float, float]:
    return threshold - nudge, threshold + nudge


def _candidates(name: str, ev: Ev) -> list[tuple[str, float]]:
    """Values just across each threshold, for each number the sub-claim reads."""
    rho_bars = (*_around(STRONG, NUDGE["rho"]), *_around(WEAK, NUDGE["rho"]))
    if name == MINILM_AGREES:
        return [(names.rho("minilm", "raw"), x) for x in rho_bars]
    if name == POINTS:
        bars = (*_around(FINDS, NUDGE["hit"]), *_around(HALF, NUDGE["hit"]))
        return [(names.hit(t, "raw"), x) for t in TASKS for x in bars]
    if name == TRAINED_AGREES:
        return [(names.rho(t, "raw"), x) for t in TASKS for x in rho_bars]
    return [(n, x) for n in comparisons(ev) for x in _around(NO_GAIN, NUDGE["gain"])]


_RULES: dict[str, Callable[[Ev], Outcome]] = {MINILM_AGREES: _minilm, POINTS: _points, TRAINED_AGREES: _trained,
                                              REFINED_BETTER: _refined}
CLAIMS = tuple(_RULES)


def claim(name: str, ev: Ev, *, flips: bool = True) -> rules.Ruling:
    """Sub-claim ``name`` as its rule decides it on ``ev``; its flips are the first true one toward each other
    decided verdict."""

    def run() -> tuple[str, str, dict[str, Any], list[Flip]]:
        verdict, case, values = _RULES[name](ev)
        found = rules.rerun_flips(ev, _candidates(name, ev), lambda alt: claim(name, alt, flips=False).verdict,
                                  verdict, first_per_verdict=True) if flips else []
        return verdict, case, values, found

    return rules.sub_claim(name, _gates(name, ev), _evidence(name, ev), run, counted=name != REFINED_BETTER)


def decide(evidence: Sequence[Evidence]) -> rules.Rulings:
    ev = EvidenceSet(evidence)
    claims = tuple(claim(name, ev) for name in CLAIMS)
    gates = (*standard_gates(ev), *minilm_gates(ev)[:1], *learned_gates(ev))
    return rules.combine(claims, gates)
