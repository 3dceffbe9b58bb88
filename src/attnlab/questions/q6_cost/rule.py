"""q6's rule: evidence -> a verdict per sub-claim and overall. Numbers and verdicts only; the words are in
:mod:`~attnlab.questions.q6_cost.words`.

- ``fewer_parameters`` (a derivation, beside the verdict): confirmed if self-attention is cheaper in every case of
  the grid (parameters and FLOPs), refuted if in none, else qualified.
- ``faster``: per rival (LSTM, k=3 convolution) and length, faster if the time ratio's interval lies below 1,
  slower if above; against a rival confirmed if faster at every length, refuted if slower at every length,
  qualified if both occur, else inconclusive; confirmed if confirmed against both, refuted if refuted against
  both, inconclusive if inconclusive against either, qualified otherwise.
- ``long_range``: at the longest distance, per rival, accuracy (paired gain vs ``MIN_GAIN``; at the ceiling it
  cannot separate) and learning (steps ratio vs ``STEPS_MARGIN``), combined as in :func:`long_range_outcome`.
- The standard checks (``learned``, ``lr_tuned``, ``equal_budget``, ``below_ceiling``) gate ``long_range``
  and the verdict; the sub-claims combine by the one rule of :func:`attnlab.lab.rules.combine`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from attnlab.lab import protocol, rules
from attnlab.lab.spec import EvidenceSet
from attnlab.lab.timings import quiet_gate
from attnlab.questions.q6_cost import names as N
from attnlab.questions.q6_cost.settings import (
    ACC,
    ACC_FLIP_STEP,
    BUDGET_TOLERANCE,
    COMPARED,
    GAIN_FLIP_STEP,
    MIN_GAIN,
    MIN_REACHED,
    MIN_REPEATS,
    RIVALS,
    SPEED_RIVALS,
    STEPS_FLIP_STEP,
    STEPS_MARGIN,
    THRESHOLD,
    TIME_EQUAL,
    TIME_FLIP_STEP,
    TIMING_THREADS,
)
from attnlab.results import Evidence

__all__ = ["decide", "long_range_outcome", "speed_outcome"]

# ---- sub-claims and gates
FEWER_PARAMETERS, FASTER, LONG_RANGE = "fewer_parameters", "faster", "long_range"
FORMULAS, REPEATS = "formulas_match_modules", "timing_repeats"
REACH, BUDGET = "cnn_covers_distance", "equal_parameter_budget"
EQUAL_PARAMS = "equal_params"  # the kind of the parameter-budget gate

# ---- per length, against one rival
T_FASTER, T_SLOWER, T_UNDECIDED = "faster", "slower", "undecided"
# ---- at the longest distance, against one rival
MORE_ACCURATE, NO_MORE_ACCURATE, ACC_UNDECIDED = "more_accurate", "no_more_accurate", "accuracy_undecided"
FEWER_STEPS, NOT_FEWER_STEPS, STEPS_UNDECIDED = "fewer_steps", "not_fewer_steps", "steps_undecided"


def learned_gate(model: str, distance: int) -> str:
    return f"learned_{model}_d{distance}"


def learnable_gate(distance: int) -> str:
    return f"learned_any_d{distance}"


# ---------------------------------------------------------------------------------------------------- gates
def _formulas(ev: EvidenceSet) -> rules.Gate:
    p, f = ev[N.PARAMS_MISMATCHES], ev[N.FLOPS_MISMATCHES]
    return rules.Gate(FORMULAS, p.number == 0 and f.number == 0, "formulas",
                      {"params_bad": p.number, "params_n": p.n, "flops_bad": f.number, "flops_n": f.n})


def _repeats(ev: EvidenceSet, ns: list[int]) -> rules.Gate:
    ratios = [ev[N.time_ratio(r, n)] for r in SPEED_RIVALS for n in ns]
    fewest = min((e.n or 0) for e in ratios) if ratios else 0
    return rules.Gate(REPEATS, fewest >= MIN_REPEATS, "repeats", {"fewest": fewest, "need": MIN_REPEATS})


def _learnable(ev: EvidenceSet, d_hi: int) -> rules.Gate:
    at_hi = [rules.reached_gate(learned_gate(m, d_hi), ev[N.steps(m, d_hi)], min_fraction=MIN_REACHED)
             for m in COMPARED]
    counts = {m: [g.values["k"], g.values["n"], g.values["need"]] for m, g in zip(COMPARED, at_hi, strict=True)}
    return rules.Gate(learnable_gate(d_hi), any(g.passed for g in at_hi), "learnable",
                      {"distance": d_hi, "counts": counts})


def _reach(ev: EvidenceSet, d_hi: int) -> rules.Gate:
    reach = ev[N.CNN_REACH].number
    return rules.Gate(REACH, reach >= d_hi, "reach", {"reach": reach, "need": d_hi})


def _budget(ev: EvidenceSet) -> rules.Gate:
    counts = {m: ev[N.params(m)].number for m in COMPARED}
    return rules.Gate(BUDGET, max(counts.values()) <= (1 + BUDGET_TOLERANCE) * min(counts.values()), EQUAL_PARAMS,
                      {"counts": counts, "tolerance": BUDGET_TOLERANCE})


def standard_gates(ev: EvidenceSet, dists: list[int]) -> tuple[rules.Gate, ...]:
    """The four standard checks. ``learned``: every compared model beats the no-marker baseline at every distance,
    except the rivals at the longest one, whose failure there is what the claim predicts (measured, not
    required). ``below_ceiling``: a model more than 0.01 below perfect accuracy at the longest distance or, when
    every model is at the ceiling there, one that needs more steps than the first evaluation (a steps ratio can
    still show a difference)."""
    d_hi, base = dists[-1], ev[N.baseline(N.NO_MARKER)].number
    exempt = [N.acc(r, d_hi) for r in RIVALS]
    learned = protocol.learned(ev, [(N.acc(m, d), base) for d in dists for m in COMPARED
                                    if N.acc(m, d) not in exempt], exempt=exempt)
    lr_names = [N.lr(m) for m in COMPARED]
    tuned = protocol.lr_tuned(ev, lr_names) if all(n in ev for n in lr_names) else protocol.not_tuned(lr_names)
    budget = (protocol.equal_budget(ev, N.STEPS_READ) if N.STEPS_READ in ev
              else rules.Gate("equal_budget", False, "equal_budget", {"evidence": N.STEPS_READ, "steps": []}))
    ceiling_gate = protocol.below_ceiling(ev, [N.acc(m, d_hi) for m in COMPARED], ACC[1])
    if not ceiling_gate.passed and N.EVAL_EVERY in ev:
        ceiling_gate = protocol.below_ceiling(ev, [N.steps(m, d_hi) for m in COMPARED], float(ev[N.EVAL_EVERY].number),
                                              higher_is_better=False, margin=0.0)
    return protocol.standard_gates(learned, tuned, budget, ceiling_gate)


# ---------------------------------------------------------------------------------------------------- outcomes
def params_outcome(ev: EvidenceSet) -> tuple[str, str]:
    sp, sf = ev[N.FEWER_PARAMS_SHARE].number, ev[N.FEWER_FLOPS_SHARE].number
    if sp == 1 and sf == 1:
        return "confirmed", "fewer_everywhere"
    if sp == 0 and sf == 0:
        return "refuted", "fewer_nowhere"
    return "qualified", "mixed"


def time_status(e: Evidence) -> str:
    lo, hi = rules.interval(e)
    return T_FASTER if hi < TIME_EQUAL else T_SLOWER if lo > TIME_EQUAL else T_UNDECIDED


def rival_speed(statuses: Sequence[str]) -> str:
    """The verdict against one rival from its statuses at every length."""
    decided = {s for s in statuses if s != T_UNDECIDED}
    if decided == {T_FASTER} and T_UNDECIDED not in statuses:
        return "confirmed"
    if decided == {T_SLOWER} and T_UNDECIDED not in statuses:
        return "refuted"
    if decided == {T_FASTER, T_SLOWER}:
        return "qualified"
    return "inconclusive"


def speed_outcome(ev: EvidenceSet, ns: list[int]) -> tuple[str, str, dict[str, Any]]:
    status = {r: [time_status(ev[N.time_ratio(r, n)]) for n in ns] for r in SPEED_RIVALS}
    per = {r: rival_speed(status[r]) for r in SPEED_RIVALS}
    vs = set(per.values())
    if "inconclusive" in vs:
        verdict, case = "inconclusive", "undecided"
    elif vs == {"confirmed"}:
        verdict, case = "confirmed", "faster_than_both"
    elif vs == {"refuted"}:
        verdict, case = "refuted", "slower_than_both"
    else:
        verdict, case = "qualified", "mixed"
    return verdict, case, {"ns": ns, "status": status, "per_rival": per}


def ceiling(ev: EvidenceSet, dists: list[int]) -> tuple[bool, float]:
    """(whether attention and both rivals have a mean held-out accuracy >= ``THRESHOLD`` at every distance,
    the lowest of those means)."""
    keys = [N.acc(m, d) for m in COMPARED for d in dists]
    nums = [ev[k].number for k in keys if k in ev and not isinstance(ev[k].value, str)]
    if len(nums) < len(keys):
        return False, min(nums, default=math.nan)
    return min(nums) >= THRESHOLD, min(nums)


def compare(gain: Evidence, ratio: Evidence, at_ceiling: bool) -> tuple[str, str]:
    """Attention against one rival at one distance: (accuracy, learning) outcomes. A steps ratio that is
    undefined (a rival that never reached the threshold) counts as not fewer: it shows in the accuracy instead."""
    g_lo, g_hi = rules.interval(gain)
    if at_ceiling:
        acc = NO_MORE_ACCURATE
    else:
        acc = MORE_ACCURATE if g_lo > MIN_GAIN else NO_MORE_ACCURATE if g_hi < MIN_GAIN else ACC_UNDECIDED
    if isinstance(ratio.value, str) or rules.interval(ratio)[1] <= STEPS_MARGIN:
        learn = NOT_FEWER_STEPS
    elif rules.interval(ratio)[0] > STEPS_MARGIN:
        learn = FEWER_STEPS
    else:
        learn = STEPS_UNDECIDED
    return acc, learn


def long_range_outcome(ev: EvidenceSet, dists: list[int]) -> tuple[str, str, dict[str, Any]]:
    """Inconclusive if an accuracy comparison is undecided; confirmed if more accurate than both rivals; refuted
    if no more accurate than either and in fewer steps than neither, every steps ratio decided (no difference at
    these distances); inconclusive if a straddling steps ratio is all that could show a difference; else qualified."""
    d_hi = dists[-1]
    at_ceiling, lowest = ceiling(ev, dists)
    res = {r: compare(ev[N.gain(r, d_hi)], ev[N.steps_ratio(r, d_hi)], at_ceiling) for r in RIVALS}
    accs = {a for a, _ in res.values()}
    fewer = [r for r in RIVALS if res[r][1] == FEWER_STEPS]
    unsure = [r for r in RIVALS if res[r][1] == STEPS_UNDECIDED]
    if ACC_UNDECIDED in accs:
        verdict, case = "inconclusive", ACC_UNDECIDED
    elif accs == {MORE_ACCURATE}:
        verdict, case = "confirmed", "more_accurate_than_both"
    elif accs == {NO_MORE_ACCURATE} and not fewer:
        verdict, case = ("inconclusive", STEPS_UNDECIDED) if unsure else ("refuted", "no_difference")
    else:
        verdict, case = "qualified", "in_part"
    values = {"distance": d_hi, "ceiling": at_ceiling, "lowest": lowest,
              "accuracy": {r: res[r][0] for r in RIVALS}, "learning": {r: res[r][1] for r in RIVALS}}
    return verdict, case, values


# ---------------------------------------------------------------------------------------------------- flips
def _with(ev: EvidenceSet, name: str, value: float) -> EvidenceSet:
    return EvidenceSet([rules.with_value(ev[k], value) if k == name else ev[k] for k in ev])


def flips(outcome: Callable[[EvidenceSet], str], ev: EvidenceSet, current: str,
          candidates: Iterable[tuple[str, float]]) -> list[rules.Flip]:
    """The first candidate (evidence name, value) that gives each verdict other than ``current``."""
    found: dict[str, rules.Flip] = {}
    for name, value in candidates:
        if name in ev:
            verdict = outcome(_with(ev, name, value))
            if verdict != current and verdict not in found:
                found[verdict] = rules.Flip(name, value, verdict)
    return list(found.values())


def _speed_candidates(ns: list[int]) -> list[tuple[str, float]]:
    values = (TIME_EQUAL - TIME_FLIP_STEP, TIME_EQUAL + TIME_FLIP_STEP, TIME_EQUAL)
    return [(N.time_ratio(r, n), v) for v in values for r in SPEED_RIVALS for n in ns]


def _long_range_candidates(dists: list[int]) -> list[tuple[str, float]]:
    d_hi = dists[-1]
    out = [(N.gain(r, d_hi), v) for v in (MIN_GAIN + GAIN_FLIP_STEP, MIN_GAIN - GAIN_FLIP_STEP, MIN_GAIN)
           for r in RIVALS]
    out += [(N.steps_ratio(r, d_hi), v) for v in (STEPS_MARGIN + STEPS_FLIP_STEP, STEPS_MARGIN - STEPS_FLIP_STEP)
            for r in RIVALS]
    out += [(N.acc(m, d), v) for v in (THRESHOLD - ACC_FLIP_STEP, ACC[1]) for m in RIVALS for d in reversed(dists)]
    return out


# ---------------------------------------------------------------------------------------------------- decide
def decide(evidence: Sequence[Evidence]) -> rules.Rulings:
    ev = EvidenceSet(list(evidence))
    dists, ns = N.distances(ev), N.lengths(ev)
    d_hi = dists[-1]
    formulas, repeats, quiet = _formulas(ev), _repeats(ev, ns), quiet_gate(ev, threads=TIMING_THREADS)
    standard = standard_gates(ev, dists)
    learnable, reach, budget = _learnable(ev, d_hi), _reach(ev, d_hi), _budget(ev)

    def params() -> tuple[str, str, dict[str, Any], list[rules.Flip]]:
        verdict, case = params_outcome(ev)
        values = {k: ev[k].number for k in (N.FEWER_PARAMS_SHARE, N.FEWER_FLOPS_SHARE, N.MIN_KERNEL,
                                            N.FLOPS_CROSSOVER, N.BLOCK_OVER_LSTM)}
        return verdict, case, values, []  # counts: nothing measured can change them

    def faster() -> tuple[str, str, dict[str, Any], list[rules.Flip]]:
        verdict, case, values = speed_outcome(ev, ns)
        return verdict, case, values, flips(lambda e: speed_outcome(e, ns)[0], ev, verdict, _speed_candidates(ns))

    def long_range_verdict(e: EvidenceSet) -> str:
        gated = [*standard_gates(e, dists), _learnable(e, d_hi), _reach(e, d_hi), _budget(e)]
        return "inconclusive" if any(not g.passed for g in gated) else long_range_outcome(e, dists)[0]

    def long_range() -> tuple[str, str, dict[str, Any], list[rules.Flip]]:
        verdict, case, values = long_range_outcome(ev, dists)
        return verdict, case, values, flips(long_range_verdict, ev, verdict, _long_range_candidates(dists))

    c1 = rules.sub_claim(FEWER_PARAMETERS, [formulas], N.DERIVATION, params, basis="derivation")
    c2 = rules.sub_claim(FASTER, [repeats, quiet],
                         [N.time_ratio(r, n) for r in SPEED_RIVALS for n in ns] + [N.MEASURED_CROSSOVER,
                                                                                   N.OTHERS_CORES], faster)
    c3 = rules.sub_claim(LONG_RANGE, [*standard, learnable, reach, budget],
                         [N.gain(r, d_hi) for r in RIVALS] + [N.steps_ratio(r, d_hi) for r in RIVALS]
                         + [N.acc(m, d_hi) for m in COMPARED] + [N.steps_growth(r) for r in RIVALS], long_range)
    gates = (*standard, formulas, repeats, quiet, learnable, reach, budget)
    return rules.combine((c1, c2, c3), gates, {"distances": dists, "lengths": ns})
