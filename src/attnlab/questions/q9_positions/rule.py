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
    RECOVERY,
    SCALINGS,
    SCHEMES,
    TASK_NAMES,
)
from attnlab.results import Evidence

ALIBI = "alibi_extrapolates"
SINUSOIDAL = "sinusoidal_does_not"
LEARNED = "learned_cannot"
BEATS_SIN = "alibi_beats_sinusoidal"
BEATS_REL = "alibi_beats_rope_t5"
SCALED = "rope_scaling_recovers"  # beyond the seed's claim: shown, not counted
SAME_GATE = "same_weights"  # kind "same_weights": every scaled RoPE model is the trained one but for its scaling
ABOVE_GATE = "above_baselines_at_T"  # kind "above_baselines": values k of n (task, scheme) accuracies at T
RELATIVE = ("rope", "t5")  # the relative schemes ALiBi is compared with (Press et al.)
KEPT, LOST, UNCLEAR = "kept", "lost", "unclear"
RECOVERS, NO_HELP = "recovers", "no_help"  # a scaling at a length where plain RoPE lost its accuracy

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


def scaling_status(ev: Ev, task: str, kind: str, f: int) -> str:
    """RECOVERS: the paired gain over plain RoPE has its interval above RECOVERY and the scaled accuracy's interval
    lies above the best trivial baseline; NO_HELP: the gain's interval lies below RECOVERY (a smaller gain, or a
    loss); else UNCLEAR."""
    lo, hi = rules.interval(ev[names.scaled_gain(task, kind, f)])
    above = rules.interval(ev[names.scaled_acc(task, kind, f)])[0] > names.best_baseline(ev, task, f).number
    return RECOVERS if lo > RECOVERY and above else NO_HELP if hi < RECOVERY else UNCLEAR


def lost_places(ev: Ev) -> list[tuple[str, int]]:
    """The (task, longer length) where plain RoPE lost its accuracy (:func:`status` LOST): what a scaling could
    recover."""
    return [(t, f) for t in TASK_NAMES for f in LONGER if status(ev, t, "rope", f) == LOST]


def place_status(ev: Ev, task: str, f: int) -> str:
    """RECOVERS if some scaling recovers there, NO_HELP if none helps, else UNCLEAR."""
    found = [scaling_status(ev, task, k, f) for k in SCALINGS]
    return RECOVERS if RECOVERS in found else NO_HELP if all(s == NO_HELP for s in found) else UNCLEAR


def scaling_comparisons() -> list[str]:
    """Every scaling's paired gain over plain RoPE, on both tasks at 2T and 4T."""
    return [names.scaled_gain(t, k, f) for t in TASK_NAMES for f in LONGER for k in SCALINGS]


def same_weights_gate(ev: Ev) -> Gate:
    """Every scaled model holds the trained RoPE weights, its config changed only in the scaling (counted in the
    trials)."""
    e = ev[names.SAME_WEIGHTS]
    k, n = int(e.number), int(e.n or 0)
    return Gate(SAME_GATE, n > 0 and k == n, "same_weights", {"k": k, "n": n})


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


def _scaled(ev: Ev) -> Outcome:
    lost = lost_places(ev)
    by_place = {f"{t}_x{f}": {k: scaling_status(ev, t, k, f) for k in SCALINGS} for t, f in lost}
    places = {f"{t}_x{f}": place_status(ev, t, f) for t, f in lost}
    values = {"lost": [[t, f] for t, f in lost], "places": places, "by_place": by_place,
              "recovered": sum(s == RECOVERS for s in places.values()), "n": len(lost)}
    if not lost:
        return "inconclusive", "nothing_lost", values
    if all(s == RECOVERS for s in places.values()):
        return "confirmed", "recovered_everywhere", values
    if all(s == NO_HELP for s in places.values()):
        return "refuted", "recovered_nowhere", values
    if values["recovered"]:
        return "qualified", "recovered_somewhere", values
    return "inconclusive", UNCLEAR, values


_RULES: dict[str, Callable[[Ev], Outcome]] = {
    ALIBI: _alibi, SINUSOIDAL: _sinusoidal, LEARNED: _learned, BEATS_SIN: _versus(sin_comparisons()),
    BEATS_REL: _versus(rel_comparisons()), SCALED: _scaled}
CLAIMS = tuple(_RULES)
_SCHEMES = {ALIBI: ("alibi",), SINUSOIDAL: ("sinusoidal",), LEARNED: ("learned",), BEATS_SIN: ("alibi", "sinusoidal"),
            BEATS_REL: ("alibi", *RELATIVE), SCALED: ("rope",)}  # the schemes each sub-claim needs to have learned


def _evidence(name: str, ev: Ev) -> list[str]:
    if name in (ALIBI, SINUSOIDAL):
        sc = _SCHEMES[name][0]
        return ([names.drop_late(t, sc, f) for t in TASK_NAMES for f in LONGER]
                + [names.half(t, sc, "second") for t in TASK_NAMES])
    if name == LEARNED:
        return ([n for t in TASK_NAMES for n in (names.acc(t, "learned", 2), names.drop_late(t, "learned", 2))]
                + [n for n in ev if n.startswith("baseline_") and n.endswith("_x2")])
    if name == SCALED:
        plain = [n for t in TASK_NAMES for f in LONGER
                 for n in (names.drop_late(t, "rope", f), names.acc(t, "rope", f))]
        return (plain + [n for t in TASK_NAMES for f in LONGER for k in SCALINGS
                         for n in (names.scaled_acc(t, k, f), names.scaled_gain(t, k, f))]
                + [n for t in TASK_NAMES for f in LONGER for n in names.baselines(ev, t, f)] + [names.SAME_WEIGHTS]
                + [names.YARN_UNSCALED, names.YARN_FULL, names.YARN_MAX_TURNS])
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
    if name == SCALED:
        return ([(names.drop_late(t, "rope", f), x) for t in TASK_NAMES for f in LONGER for x in drops]
                + [(names.scaled_gain(t, k, f), RECOVERY + s * NUDGE["difference"])
                   for t in TASK_NAMES for f in LONGER for k in SCALINGS for s in (1, -1)]
                + [(names.scaled_acc(t, k, f), names.best_baseline(ev, t, f).number + s * NUDGE["baseline"])
                   for t in TASK_NAMES for f in LONGER for k in SCALINGS for s in (1, -1)])
    return [(n, EVEN + s * NUDGE["difference"]) for n in _evidence(name, ev) for s in (1, -1)]


def all_learned(ev: Ev) -> list[Gate]:
    """Every scheme reached the threshold at T on both tasks: extrapolation is compared only between schemes
    that all learned the training length (read at the same step)."""
    return [learned_gate(ev, t, sc) for t in TASK_NAMES for sc in SCHEMES]


def claim(name: str, ev: Ev, *, flips: bool = True) -> rules.Ruling:
    """Sub-claim ``name`` as its rule decides it on ``ev``; its flips are the first true one toward each other
    decided verdict. Its gates: the standard checks, every scheme having learned T, the baselines at T. The RoPE
    scalings compare the trained RoPE weights with themselves: their gates are the standard checks, RoPE having
    learned T on both tasks and every scaled model holding those weights; beyond the seed's claim, they are shown
    and not counted."""
    if name == SCALED:
        gates = [*standard_gates(ev), *(learned_gate(ev, t, "rope") for t in TASK_NAMES), same_weights_gate(ev)]
    else:
        gates = [*standard_gates(ev), *all_learned(ev), above_gate(ev)]

    def run() -> tuple[str, str, dict[str, Any], list[Flip]]:
        verdict, case, values = _RULES[name](ev)
        found = rules.rerun_flips(ev, _candidates(name, ev), lambda alt: claim(name, alt, flips=False).verdict,
                                  verdict, first_per_verdict=True) if flips else []
        return verdict, case, values, found

    return rules.sub_claim(name, gates, _evidence(name, ev), run, counted=name != SCALED)


def decide(evidence: Sequence[Evidence]) -> rules.Rulings:
    ev = EvidenceSet(evidence)
    claims = tuple(claim(name, ev) for name in CLAIMS)
    gates = (*standard_gates(ev), *all_learned(ev), above_gate(ev))
    return rules.combine(claims, gates)
