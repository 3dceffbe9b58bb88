"""q8's rule: evidence -> a verdict per literature claim and overall (numbers and verdicts only).

Two scores are compared by steps to the threshold (:func:`compare`): "slower" if only the other one learned
(reached the threshold in at least ``MIN_REACHED`` of the seeds) or the paired ratio's interval lies above
``SPEEDUP``; "faster" in the mirror case; "as_good" if the interval lies below ``SPEEDUP``; "unclear" if it
straddles it; "unlearned" if neither learned. What would change a verdict is found by re-running the rule
with one number moved just across a margin (:func:`attnlab.lab.rules.rerun_flips`), so every flip is true.

The four standard checks (:mod:`attnlab.lab.protocol`) stand under every trained sub-claim and the overall
verdict, which :func:`attnlab.lab.rules.combine` forms by the one combination rule.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from attnlab.lab import protocol, rules, timings
from attnlab.lab.rules import Flip, Gate
from attnlab.lab.spec import EvidenceSet
from attnlab.questions.q8_scores import evidence as E
from attnlab.questions.q8_scores.settings import (
    ADDITIVE,
    AS_GOOD_RATIO,
    FLIP_OVER,
    LARGE,
    MIN_REACHED,
    MODELS,
    RNN,
    SCALED,
    SCORES,
    SMALL,
    SPEEDUP,
    TIMING_THREADS,
    TRANSFORMERS,
    UNSCALED,
)
from attnlab.results import Evidence

# sub-claims, in the order the answer gives them
BRITZ, SCALING, LUONG, COST = ("additive_beats_unscaled_at_large_d", "scaling_closes_the_gap",
                               "multiplicative_competitive_at_small_d", "dot_faster_and_smaller")
QUIET = "quiet_machine"
# outcomes of one comparison of two scores
SLOWER, FASTER, AS_GOOD, UNCLEAR, UNLEARNED = "slower", "faster", "as_good", "unclear", "unlearned"
GOOD = (AS_GOOD, FASTER)
_SIDE = {"above": SLOWER, "below": FASTER, "within": AS_GOOD, "unclear": UNCLEAR}


def need(n: int) -> int:
    """Seeds of ``n`` that must reach the threshold for a score to count as learned."""
    return math.ceil(MIN_REACHED * n - 1e-9)


def compare(ev: Mapping[str, Evidence], model: str, a: str, b: str) -> dict[str, Any]:
    """Score ``a`` against ``b`` in ``model`` by steps to the threshold (see the module docstring)."""
    ka, n = rules.reached_count(ev[E.steps(model, a)])
    kb, _ = rules.reached_count(ev[E.steps(model, b)])
    k = need(n)
    if ka < k and kb < k:
        outcome = UNLEARNED
    elif ka < k:
        outcome = SLOWER
    elif kb < k:
        outcome = FASTER
    else:
        outcome = _SIDE[rules.ratio_side(ev[E.ratio(model, a, b)], SPEEDUP)]
    return {"model": model, "a": a, "b": b, "outcome": outcome, "ka": ka, "kb": kb, "n": n, "need": k}


def speed_key(steps: Evidence, budget: float) -> tuple[int, float]:
    """Order scores by seeds that reached the threshold (most first), then by mean log steps (budget if not)."""
    per_seed = steps.per_seed or []
    logs = [math.log(budget if s is None else s) for s in per_seed] or [math.inf]
    return -sum(s is not None for s in per_seed), sum(logs) / len(logs)


def best_gate(ev: Mapping[str, Evidence], model: str) -> Gate:
    """The fastest score of ``model`` reached the threshold in enough seeds (the comparison can stand)."""
    budget = ev[E.budget(model)].number
    best = min(SCORES, key=lambda sc: speed_key(ev[E.steps(model, sc)], budget))
    g = rules.reached_gate(f"best_learned_{model}", ev[E.steps(model, best)], min_fraction=MIN_REACHED)
    return Gate(g.name, g.passed, "best_learned", {**g.values, "model": model, "score": best})


def quiet_gates(ev: Mapping[str, Evidence]) -> list[Gate]:
    """Other processes left the timings the cores they needed (none for results that did not record it)."""
    return [timings.quiet_gate(ev, threads=TIMING_THREADS)] if E.OTHERS_CORES in ev else []


def last(e: Evidence) -> float:
    """A memory evidence at the longest length (a flip makes it one number)."""
    return float(e.value[-1]) if isinstance(e.value, list) else e.number


def standard_gates(ev: Mapping[str, Evidence]) -> tuple[Gate, ...]:
    """The four standard checks. ``learned`` asks every condition's final accuracy to lie above its task's best
    trivial baseline, except the unscaled scores at every d_k above the smallest, whose failure to learn is what
    Britz et al.'s claim predicts (measured, not required)."""
    items, exempt = [], []
    for model in MODELS:
        kind = "rnn" if model == RNN else "transformer"
        bar = max(ev[baseline].number for baseline in (E.baseline(kind, n) for n in
                                                       (("chance", "bag_of_words") if kind == "rnn"
                                                        else ("chance", "no_lookup"))))
        for sc in SCORES:
            if model in TRANSFORMERS and model != SMALL and sc in UNSCALED:
                exempt.append(E.acc(model, sc))
            else:
                items.append((E.acc(model, sc), bar))
    learned = protocol.learned(ev, items, exempt=exempt)
    lr_names = [E.lr(m, sc) for m in MODELS for sc in SCORES]
    tuned = protocol.lr_tuned(ev, lr_names) if all(n in ev for n in lr_names) else protocol.not_tuned(lr_names)
    budget = (protocol.equal_budget(ev, E.READ_AT) if E.READ_AT in ev
              else Gate("equal_budget", False, "equal_budget", {"evidence": E.READ_AT, "steps": []}))
    first = float(ev[E.EVAL_EVERY].number) if E.EVAL_EVERY in ev else 0.0
    ceiling = protocol.below_ceiling(ev, [E.steps(m, sc) for m in MODELS for sc in SCORES], first,
                                     higher_is_better=False, margin=0.0)
    return protocol.standard_gates(learned, tuned, budget, ceiling)


def memory_ratio(ev: Mapping[str, Evidence], impl: str) -> float:
    """Additive's memory kept for backward over scaled_dot's, at the longest length, with kernel ``impl``."""
    return last(ev[E.memory(ADDITIVE, impl)]) / last(ev[E.memory(SCALED, impl)])


def onset(ev: Mapping[str, Evidence]) -> dict[str, Any]:
    """Per unscaled score, the smallest d_k at which it is slower than additive (None: at none), and the
    outcome at every d_k (the intervals are the ratio evidence ``ratio_transformer_dk{d}_{score}_additive``)."""
    out: dict[str, Any] = {}
    for sc in UNSCALED:
        by = {m: compare(ev, m, sc, ADDITIVE)["outcome"] for m in TRANSFORMERS}
        first = next((m for m in TRANSFORMERS if by[m] == SLOWER), None)
        out[sc] = {"first": first, "by": by}
    return out


# ---- the sub-claims: fn(ev) -> (verdict, case, values) ----

def _britz(ev):
    large = [compare(ev, LARGE, sc, ADDITIVE) for sc in UNSCALED]
    small = [compare(ev, SMALL, sc, ADDITIVE) for sc in UNSCALED]
    beaten = [i for i, c in enumerate(large) if c["outcome"] == SLOWER]
    grows = [i for i in beaten if small[i]["outcome"] in GOOD]
    values = {"large": large, "small": small, "onset": onset(ev)}
    if len(grows) == len(UNSCALED):
        return "confirmed", "gap_grows", values
    if beaten:
        return "qualified", "partly", values
    if all(c["outcome"] in GOOD for c in large):
        return "refuted", "keeps_up", values
    return "inconclusive", "unclear", values


def _scaling(ev):
    """scaled_dot against additive at every d_k of the Transformer and in the LSTM: the gap closed everywhere
    (confirmed), nowhere (refuted), in some places while elsewhere it stays open or undecided (qualified)."""
    parts = [compare(ev, m, SCALED, ADDITIVE) for m in (*TRANSFORMERS, RNN)]
    values = {"scaled": compare(ev, LARGE, SCALED, ADDITIVE), "dot": compare(ev, LARGE, "dot", SCALED),
              "parts": parts}
    good = [c for c in parts if c["outcome"] in GOOD]
    slow = [c for c in parts if c["outcome"] == SLOWER]
    if len(good) == len(parts):
        return "confirmed", "closes", values
    if len(slow) == len(parts):
        return "refuted", "stays", values
    if good:
        return "qualified", "partly", values
    return "inconclusive", "unclear", values


def _luong(ev):
    parts = [compare(ev, m, sc, ADDITIVE) for m in (RNN, SMALL) for sc in UNSCALED]
    good = [c for c in parts if c["outcome"] in GOOD]
    values = {"parts": parts}
    if len(good) == len(parts):
        return "confirmed", "all_competitive", values
    if good:
        return "qualified", "some_competitive", values
    if all(c["outcome"] == SLOWER for c in parts):
        return "refuted", "all_slower", values
    return "inconclusive", "unclear", values


def _cost(ev):
    """Judged on the same materialising kernel for every score (the cost of the score function, not of a kernel);
    the fast kernels' ratios are reported beside it."""
    lo, hi = rules.interval(ev[E.time_ratio("layer_ref", ADDITIVE)])
    mem = memory_ratio(ev, "reference")
    faster, smaller = lo > SPEEDUP, mem > SPEEDUP
    values = {"faster": faster, "smaller": smaller, "memory": mem, "memory_fast": memory_ratio(ev, "auto")}
    if faster and smaller:
        return "confirmed", "both", values
    if faster or smaller:
        return "qualified", "faster_only" if faster else "smaller_only", values
    if hi < SPEEDUP:
        return "refuted", "neither", values
    return "inconclusive", "unclear", values


# ---- what would change each: one number moved just across a margin ----

def _comparison_moves(ev, comps: Sequence[tuple[str, str, str]]) -> list[tuple[str, float]]:
    out = [(E.ratio(m, a, b), r) for m, a, b in comps
           for r in (SPEEDUP * FLIP_OVER, AS_GOOD_RATIO, 1 / (SPEEDUP * FLIP_OVER))]
    for m, a, b in comps:  # a score that learns in none of the seeds, or in every one at half the budget
        half = float(ev[E.budget(m)].number // 2)
        out += [(E.steps(m, a), math.inf), (E.steps(m, b), math.inf), (E.steps(m, a), half), (E.steps(m, b), half)]
    return out


def _cost_moves(ev) -> list[tuple[str, float]]:
    t, scaled = E.time_ratio("layer_ref", ADDITIVE), last(ev[E.memory(SCALED, "reference")])
    return [(t, SPEEDUP * FLIP_OVER), (t, AS_GOOD_RATIO),
            (E.memory(ADDITIVE, "reference"), SPEEDUP * FLIP_OVER * scaled),
            (E.memory(ADDITIVE, "reference"), AS_GOOD_RATIO * scaled)]


@dataclass(frozen=True)
class _Spec:
    name: str
    fn: Callable[[Any], tuple[str, str, dict]]
    gates: Callable[[Any], list[Gate]]
    evidence: Callable[[], list[str]]
    moves: Callable[[Any], list[tuple[str, float]]]


def _best(*models: str) -> Callable[[Any], list[Gate]]:
    return lambda ev: [*standard_gates(ev), *(best_gate(ev, m) for m in models)]


_SPECS = (
    _Spec(BRITZ, _britz, _best(SMALL, LARGE),
          lambda: ([E.ratio(m, sc, ADDITIVE) for m in TRANSFORMERS for sc in UNSCALED]
                   + [E.steps(LARGE, sc) for sc in (*UNSCALED, ADDITIVE)]
                   + [E.acc(LARGE, sc) for sc in (*UNSCALED, ADDITIVE)]),
          lambda ev: _comparison_moves(ev, [(m, sc, ADDITIVE) for m in (LARGE, SMALL) for sc in UNSCALED])),
    _Spec(SCALING, _scaling, _best(LARGE, RNN),
          lambda: [*(E.ratio(m, SCALED, ADDITIVE) for m in (*TRANSFORMERS, RNN)), E.ratio(LARGE, "dot", SCALED),
                   E.steps(LARGE, SCALED), E.acc(LARGE, SCALED)],
          lambda ev: _comparison_moves(ev, [(m, SCALED, ADDITIVE) for m in (LARGE, RNN, *TRANSFORMERS)])),
    _Spec(LUONG, _luong, _best(SMALL, RNN),
          lambda: [E.ratio(m, sc, ADDITIVE) for m in (RNN, SMALL) for sc in UNSCALED],
          lambda ev: _comparison_moves(ev, [(m, sc, ADDITIVE) for m in (RNN, SMALL) for sc in UNSCALED])),
    _Spec(COST, _cost, quiet_gates,
          lambda: [E.time_ratio("layer_ref", ADDITIVE), E.time_ratio("layer", ADDITIVE), E.time_ratio("step", ADDITIVE),
                   E.memory(ADDITIVE, "reference"), E.memory(SCALED, "reference"), E.memory(ADDITIVE, "auto"),
                   E.memory(SCALED, "auto")],
          _cost_moves),
)


def _verdict_of(spec: _Spec) -> Callable[[Mapping[str, Evidence]], str]:
    def verdict(alt: Mapping[str, Evidence]) -> str:
        ev = EvidenceSet(list(alt.values()))
        return "inconclusive" if any(not g.passed for g in spec.gates(ev)) else spec.fn(ev)[0]
    return verdict


def _flips(ev: EvidenceSet, spec: _Spec, current: str) -> list[Flip]:
    """One flip per other verdict a single number can give (an undecided one only when nothing else can)."""
    moves = [(n, v) for n, v in dict.fromkeys(spec.moves(ev)) if n in ev]
    found: dict[str, Flip] = {}
    for f in rules.rerun_flips(ev, moves, _verdict_of(spec), current):
        found.setdefault(f.verdict, f)
    decided = [f for v, f in found.items() if v != "inconclusive"]
    return decided or list(found.values())[:1]


def _ruling(ev: EvidenceSet, spec: _Spec) -> rules.Ruling:
    def rule():
        verdict, case, values = spec.fn(ev)
        return verdict, case, values, _flips(ev, spec, verdict)
    return rules.sub_claim(spec.name, spec.gates(ev), spec.evidence(), rule)


def below_baseline(ev: Mapping[str, Evidence]) -> list[list[str]]:
    """[model, score] of the conditions whose accuracy interval does not lie above their best trivial baseline."""
    out = []
    for model in MODELS:
        if model == RNN:
            bar = max(ev[E.baseline("rnn", "chance")].number, ev[E.baseline("rnn", "bag_of_words")].number)
        else:
            bar = max(ev[E.baseline("transformer", "chance")].number, ev[E.baseline("transformer", "no_lookup")].number)
        out += [[model, sc] for sc in SCORES if rules.interval(ev[E.acc(model, sc)])[0] <= bar]
    return out


def decide(evidence: Sequence[Evidence]) -> rules.Rulings:
    ev = EvidenceSet(evidence)
    gates = [*standard_gates(ev), *(best_gate(ev, m) for m in MODELS)]
    claims = tuple(_ruling(ev, spec) for spec in _SPECS)
    return rules.combine(claims, gates, {"below": below_baseline(ev)})
