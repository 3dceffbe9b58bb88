"""q9's rule: evidence -> a verdict per sub-claim and overall (numbers and verdicts only)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from attnlab.lab import protocol, rules
from attnlab.lab.rules import Flip, Gate
from attnlab.lab.spec import EvidenceSet
from attnlab.questions.q9_positions import evidence as names
from attnlab.questions.q9_positions.evidence import LONGER
from attnlab.questions.q9_positions.settings import (
    EVEN,
    MARGIN,
    MIN_REACHED,
    NEAR_BASELINE,
    NUDGE,
    SCHEMES,
    TASK_NAMES,
)
from attnlab.results import Evidence

ALIBI = "alibi_extrapolates"
SINUSOIDAL = "sinusoidal_does_not"
LEARNED = "learned_cannot"
BEATS_SIN = "alibi_beats_sinusoidal"
BEATS_REL = "alibi_beats_rope_t5"
ABOVE_GATE = "above_baselines_at_T"  # kind "above_baselines": values k of n (task, scheme) accuracies at T
RELATIVE = ("rope", "t5")  # the relative schemes ALiBi is compared with (Press et al.)
KEPT, LOST, UNCLEAR = "kept", "lost", "unclear"

Ev = Mapping[str, Evidence]
Outcome = tuple[str, str, dict[str, Any]]


def standard_gates(ev: Ev) -> tuple[Gate, ...]:
    """The four standard checks. ``learned``: every (task, scheme)'s accuracy at T lies above the task's best
    trivial baseline; ``below_ceiling``: at least one extrapolation accuracy (beyond T at 2T or 4T) is more
    than 0.01 below 1."""
    conds = [(t, sc) for t in TASK_NAMES for sc in SCHEMES]
    learned = protocol.learned(ev, [(names.acc(t, sc, 1), names.best_baseline(ev, t, 1).number) for t, sc in conds])
    lr_names = [names.lr(t, sc) for t, sc in conds]
    tuned = protocol.lr_tuned(ev, lr_names) if all(n in ev for n in lr_names) else protocol.not_tuned(lr_names)
    budget = (protocol.equal_budget(ev, names.READ_AT) if names.READ_AT in ev
              else Gate("equal_budget", False, "equal_budget", {"evidence": names.READ_AT, "steps": []}))
    ceiling = protocol.below_ceiling(ev, [names.acc(t, sc, f) for t, sc in conds for f in LONGER], 1.0)
    return protocol.standard_gates(learned, tuned, budget, ceiling)


def learned_gate(ev: Ev, task: str, scheme: str) -> Gate:
    return rules.reached_gate(f"learned_{task}_{scheme}", ev[names.steps(task, scheme)], min_fraction=MIN_REACHED)


def above_gate(ev: Ev) -> Gate:
    beats = [ev[names.acc(t, sc, 1)].number > names.best_baseline(ev, t, 1).number
             for t in TASK_NAMES for sc in SCHEMES]
    return Gate(ABOVE_GATE, all(beats), "above_baselines", {"k": sum(beats), "n": len(beats)})


def status(ev: Ev, task: str, scheme: str, f: int) -> str:
    """KEPT (the drop's interval lies below MARGIN), LOST (above it) or UNCLEAR."""
    lo, hi = rules.interval(ev[names.drop_late(task, scheme, f)])
    return KEPT if hi < MARGIN else LOST if lo > MARGIN else UNCLEAR


def where(ev: Ev, scheme: str) -> dict[str, dict[str, str]]:
    """The scheme's status per task and longer length: ``{"local": {"2": "kept", "4": "lost"}, ...}``."""
    return {t: {str(f): status(ev, t, scheme, f) for f in LONGER} for t in TASK_NAMES}


def sin_comparisons() -> list[str]:
    """ALiBi minus sinusoidal, on both tasks at 2T and 4T."""
    return [names.vs_sin(t, "alibi", f) for t in TASK_NAMES for f in LONGER]


def rel_comparisons() -> list[str]:
    """ALiBi minus RoPE and minus the T5 bias, on both tasks at 2T and 4T."""
    return [names.alibi_vs(o, t, f) for t in TASK_NAMES for f in LONGER for o in RELATIVE]


def sides(ev: Ev, comparisons: Sequence[str]) -> tuple[int, int]:
    """(paired differences whose interval lies above EVEN, those below it)."""
    return (sum(rules.interval(ev[n])[0] > EVEN for n in comparisons),
            sum(rules.interval(ev[n])[1] < EVEN for n in comparisons))


# ---- the sub-claims: (verdict, case, values) from the evidence ----
def _alibi(ev: Ev) -> Outcome:
    w = where(ev, "alibi")
    if all(s == KEPT for by_f in w.values() for s in by_f.values()):
        return "confirmed", "kept_everywhere", {"where": w}
    if all(w[t]["2"] == LOST for t in TASK_NAMES):
        return "refuted", "lost_at_2t", {"where": w}
    if any(w[t]["2"] == KEPT for t in TASK_NAMES):
        return "qualified", "kept_somewhere", {"where": w}
    return "inconclusive", UNCLEAR, {"where": w}


def _sinusoidal(ev: Ev) -> Outcome:
    w = where(ev, "sinusoidal")
    lost = [t for t in TASK_NAMES if w[t]["2"] == LOST]
    if len(lost) == len(TASK_NAMES):
        return "confirmed", "lost_at_2t", {"where": w}
    if all(s == KEPT for by_f in w.values() for s in by_f.values()):
        return "refuted", "kept_everywhere", {"where": w}
    return ("qualified", "lost_somewhere", {"where": w}) if lost else ("inconclusive", UNCLEAR, {"where": w})


def _learned(ev: Ev) -> Outcome:
    w = where(ev, "learned")
    near = [t for t in TASK_NAMES if rules.interval(ev[names.acc(t, "learned", 2)])[1]
            < names.best_baseline(ev, t, 2).number + NEAR_BASELINE]
    values = {"where": w, "near": near}
    if len(near) == len(TASK_NAMES):
        return "confirmed", "near_baseline", values
    if any(w[t]["2"] == KEPT for t in TASK_NAMES):
        return "refuted", "kept_somewhere", values
    if all(w[t]["2"] == LOST for t in TASK_NAMES):
        return "qualified", "lost_above_baseline", values
    return "inconclusive", UNCLEAR, values


def _versus(comparisons: list[str]) -> Callable[[Ev], Outcome]:
    def outcome(ev: Ev) -> Outcome:
        up, down = sides(ev, comparisons)
        values = {"up": up, "down": down, "n": len(comparisons)}
        if up == len(comparisons):
            return "confirmed", "ahead_everywhere", values
        if down == len(comparisons):
            return "refuted", "behind_everywhere", values
        return ("qualified", "ahead_somewhere", values) if up else ("inconclusive", UNCLEAR, values)

    return outcome


_RULES: dict[str, Callable[[Ev], Outcome]] = {
    ALIBI: _alibi, SINUSOIDAL: _sinusoidal, LEARNED: _learned, BEATS_SIN: _versus(sin_comparisons()),
    BEATS_REL: _versus(rel_comparisons())}
CLAIMS = tuple(_RULES)
_SCHEMES = {ALIBI: ("alibi",), SINUSOIDAL: ("sinusoidal",), LEARNED: ("learned",), BEATS_SIN: ("alibi", "sinusoidal"),
            BEATS_REL: ("alibi", *RELATIVE)}  # the schemes each sub-claim needs to have learned


def _evidence(name: str, ev: Ev) -> list[str]:
    if name in (ALIBI, SINUSOIDAL):
        sc = _SCHEMES[name][0]
        return ([names.drop_late(t, sc, f) for t in TASK_NAMES for f in LONGER]
                + [names.half(t, sc, "second") for t in TASK_NAMES])
    if name == LEARNED:
        return ([n for t in TASK_NAMES for n in (names.acc(t, "learned", 2), names.drop_late(t, "learned", 2))]
                + [n for n in ev if n.startswith("baseline_") and n.endswith("_x2")])
    return sin_comparisons() if name == BEATS_SIN else rel_comparisons()


def _candidates(name: str, ev: Ev) -> list[tuple[str, float]]:
    """Values just across each threshold, for each number the sub-claim reads."""
    drops = (MARGIN - NUDGE["drop"], MARGIN + NUDGE["drop"])
    if name in (ALIBI, SINUSOIDAL):
        return [(names.drop_late(t, _SCHEMES[name][0], f), x) for t in TASK_NAMES for f in LONGER for x in drops]
    if name == LEARNED:
        bar = {t: names.best_baseline(ev, t, 2).number + NEAR_BASELINE for t in TASK_NAMES}
        return ([(names.acc(t, "learned", 2), bar[t] + s * NUDGE["baseline"]) for t in TASK_NAMES for s in (-1, 1)]
                + [(names.drop_late(t, "learned", 2), x) for t in TASK_NAMES for x in drops])
    return [(n, EVEN + s * NUDGE["difference"]) for n in _evidence(name, ev) for s in (1, -1)]


def all_learned(ev: Ev) -> list[Gate]:
    """Every scheme reached the threshold at T on both tasks: extrapolation is compared only between schemes
    that all learned the training length (read at the same step)."""
    return [learned_gate(ev, t, sc) for t in TASK_NAMES for sc in SCHEMES]


def claim(name: str, ev: Ev, *, flips: bool = True) -> rules.Ruling:
    """Sub-claim ``name`` as its rule decides it on ``ev``; its flips are the first true one toward each other
    decided verdict. Its gates: the standard checks, every scheme having learned T, the baselines at T."""
    gates = [*standard_gates(ev), *all_learned(ev), above_gate(ev)]

    def run() -> tuple[str, str, dict[str, Any], list[Flip]]:
        verdict, case, values = _RULES[name](ev)
        found = rules.rerun_flips(ev, _candidates(name, ev), lambda alt: claim(name, alt, flips=False).verdict,
                                  verdict, first_per_verdict=True) if flips else []
        return verdict, case, values, found

    return rules.sub_claim(name, gates, _evidence(name, ev), run)


def decide(evidence: Sequence[Evidence]) -> rules.Rulings:
    ev = EvidenceSet(evidence)
    claims = tuple(claim(name, ev) for name in CLAIMS)
    gates = (*standard_gates(ev), *all_learned(ev), above_gate(ev))
    return rules.combine(claims, gates)
