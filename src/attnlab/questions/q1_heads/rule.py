"""q1's rule: evidence -> a verdict per sub-claim and overall (numbers and verdicts only).

What would change a verdict is found, not guessed: each sub-claim names candidate values just across its
thresholds, and a candidate becomes a :class:`~attnlab.lab.rules.Flip` only if the rule, run again on the
evidence with that one value, gives another verdict (the nearest candidate per verdict is kept).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from attnlab.lab import protocol, rules
from attnlab.lab.rules import GATE_FAILED, Flip, Gate
from attnlab.lab.spec import EvidenceSet
from attnlab.questions.q1_heads import evidence as names
from attnlab.questions.q1_heads.settings import (
    ARMS,
    BUDGET_FACTOR,
    MANY,
    MIN_RATIO,
    MIN_REACHED,
    MIXED,
    PRUNE_TOL,
    RELATIONS,
    SPECIALISED,
    TASKS,
)
from attnlab.results import Evidence

EPS = 0.01  # how far across a threshold a flip moves a number
MIN_WORSE = 2  # "more heads is not always better": worse than fewer heads in at least this many comparisons of an arm
MOST_BETTER = 1  # refuted when the most heads are better in all but at most this many comparisons of every arm

Candidate = tuple[str, float]  # (evidence name, value it is set to)


def median(steps: Evidence) -> float:
    """The median steps to the threshold, ``inf`` when fewer than half of the seeds reached it."""
    return math.inf if isinstance(steps.value, str) else steps.number


def best_heads(ev: EvidenceSet, task: str) -> int:
    """The head count with the fewest median steps on ``task`` (the smallest on a tie)."""
    return min(names.head_counts(ev), key=lambda h: median(ev[names.steps(task, h)]))


def learns(steps: Evidence) -> bool:
    """Enough seeds (MIN_REACHED of them) reached the threshold."""
    return rules.reached_gate(steps.name, steps, min_fraction=MIN_REACHED).passed


def _gates(ev: EvidenceSet, task: str) -> list[Gate]:
    budget = int(ev[names.budget(task)].number)
    best = ev[names.steps(task, best_heads(ev, task))]
    return [rules.reached_gate(f"learned_{task}", best, min_fraction=MIN_REACHED),
            Gate(f"budget_{task}", median(best) * BUDGET_FACTOR <= budget, "budget",
                 {"budget": budget, "median": best.value, "factor": BUDGET_FACTOR, "evidence": best.name})]


def conditions(ev: EvidenceSet) -> list[tuple[str, int, str]]:
    """Every compared condition (task, h, arm) of the run, each model once (the fixed-width arm's count whose width
    d_model / h is d_k already is the first arm's model)."""
    shared = int(ev[names.D_MODEL].number) // int(ev[names.FIXED_DK].number)
    return [(t, h, a) for t in TASKS for a in names.arms(ev) for h in names.head_counts(ev)
            if not (a == ARMS[1] and h == shared)]


def equal_budget(ev: EvidenceSet) -> Gate:
    """``equal_budget`` per task: every run on a task was read at that task's one step count (the tasks are never
    compared with each other, so each has its own budget)."""
    per_task = {t: [int(x) for x in ev[names.read_at(t)].value] for t in TASKS}
    return Gate("equal_budget", all(len(v) == 1 for v in per_task.values()), "equal_budget",
                {"evidence": [names.read_at(t) for t in TASKS], "steps": sorted({x for v in per_task.values()
                                                                                   for x in v}),
                 "per_task": per_task})


def standard_gates(ev: EvidenceSet) -> tuple[Gate, ...]:
    """The four standard checks: each condition above chance on its task, no chosen rate at the edge of its sweep,
    every run read at its task's one budget, and (steps) at least one condition slower than the first evaluation."""
    conds = conditions(ev)
    learned = protocol.learned(ev, [(names.acc(t, h, a), ev[names.baseline(t, "chance")].number)
                                    for t, h, a in conds])
    lr_names = [names.lr(t, h, a) for t, h, a in conds]
    tuned = protocol.lr_tuned(ev, lr_names) if all(n in ev for n in lr_names) else protocol.not_tuned(lr_names)
    return protocol.standard_gates(
        learned, tuned, equal_budget(ev),
        protocol.below_ceiling(ev, [names.steps(t, h, a) for t, h, a in conds], float(ev[names.EVAL_EVERY].number),
                               higher_is_better=False, margin=0.0))


def _specialise(ev: EvidenceSet):
    n = len(RELATIONS)
    lo, hi = rules.interval(ev[names.RELATIONS_COVERED])
    if lo > n - SPECIALISED:
        verdict, case = "confirmed", "every_relation"
    elif hi < n - MIXED:
        verdict, case = "refuted", "mixed"
    else:
        verdict, case = "qualified", "some_relations"
    values = {"heads": names.pruned_heads(ev), "relations": n, "above": n - SPECIALISED, "below": n - MIXED}
    candidates = [(names.RELATIONS_COVERED, v) for v in (n - SPECIALISED + EPS, n - SPECIALISED, n - MIXED,
                                                         n - MIXED - EPS)]
    return verdict, case, values, candidates


def compare(ev: EvidenceSet, task: str, top: int, h: int, arm: str = ARMS[0]) -> dict[str, bool]:
    """``top`` heads against ``h`` heads on ``task`` in ``arm``: better (faster or more accurate beyond the margins),
    worse (slower or less accurate, and not better in the other measure, against an ``h`` that learned) or no
    gain."""
    ratio, gain = ev[names.steps_ratio(task, top, h, arm)], rules.interval(ev[names.acc_gain(task, top, h, arm)])
    known = not isinstance(ratio.value, str)
    faster = known and rules.interval(ratio)[1] < 1 / MIN_RATIO
    slower = known and rules.interval(ratio)[0] > MIN_RATIO
    better = faster or gain[0] > PRUNE_TOL
    learned = not isinstance(ev[names.steps(task, h, arm)].value, str)  # its median reached the threshold
    return {"better": better, "worse": learned and (slower or gain[1] < -PRUNE_TOL) and not better,
            "no_gain": learned and not better}


def _not_always_better(ev: EvidenceSet):
    """Per arm, the most heads against every smaller count on both tasks (six comparisons an arm). Confirmed if the
    most heads are worse in at least MIN_WORSE comparisons of every arm (fewer heads win whether the head width
    shrinks or not); qualified if that holds in one arm only, or if they are no better (worse or no gain) in at
    least MIN_WORSE comparisons of every arm; refuted if they are better in all but at most MOST_BETTER comparisons
    of every arm and worse in none; else inconclusive."""
    heads = names.head_counts(ev)
    top = heads[-1]
    per_arm: dict[str, dict[str, list]] = {}
    for a in names.arms(ev):
        rows: dict[str, list] = {"worse": [], "ties": [], "better": []}
        for t in TASKS:
            for h in heads[:-1]:
                c = compare(ev, t, top, h, a)
                key = "better" if c["better"] else "worse" if c["worse"] else "ties" if c["no_gain"] else None
                if key:
                    rows[key].append([t, h])
        per_arm[a] = rows
    n = len(TASKS) * (len(heads) - 1)
    worse = [a for a, r in per_arm.items() if len(r["worse"]) >= MIN_WORSE]
    if len(worse) == len(per_arm):
        verdict, case = "confirmed", "worse_in_every_arm"
    elif worse:
        verdict, case = "qualified", "worse_in_one_arm"
    elif all(len(r["worse"]) + len(r["ties"]) >= MIN_WORSE for r in per_arm.values()):
        verdict, case = "qualified", "ties"
    elif all(len(r["better"]) >= n - MOST_BETTER and not r["worse"] for r in per_arm.values()):
        verdict, case = "refuted", "better_everywhere"
    else:
        verdict, case = "inconclusive", "undecided"
    candidates = [c for a in per_arm for t in TASKS for h in heads[:-1] for c in (
        (names.steps_ratio(t, top, h, a), MIN_RATIO + EPS), (names.steps_ratio(t, top, h, a), 1.0),
        (names.steps_ratio(t, top, h, a), 1 / MIN_RATIO - EPS), (names.acc_gain(t, top, h, a), -PRUNE_TOL - EPS),
        (names.acc_gain(t, top, h, a), 0.0), (names.acc_gain(t, top, h, a), PRUNE_TOL + EPS))]
    return verdict, case, {"top": top, "arms": per_arm, "worse_arms": worse, "n": n, "need": MIN_WORSE}, candidates


def _one_enough(ev: EvidenceSet):
    """One head (the widest: d_model fixed) reaching the threshold. Confirmed on both tasks; refuted if not even on
    one relation; qualified if on one relation only and, on three, it still beats the all-but-one-relation baseline
    (it learned some relations, not all); inconclusive if on three it does not beat that baseline (it did not even
    learn two relations: a failure to train, which says nothing about what one head can read)."""
    gates = {t: rules.reached_gate(names.steps(t, 1), ev[names.steps(t, 1)], min_fraction=MIN_REACHED)
             for t in TASKS}
    ok = {t: g.passed for t, g in gates.items()}
    partial = ev[names.baseline("multi", "all_but_one_relation")].number
    beats_partial = rules.interval(ev[names.acc("multi", 1)])[0] > partial
    if all(ok.values()):
        verdict, case = "confirmed", "both_tasks"
    elif not ok["single"]:
        verdict, case = "refuted", "not_single"
    elif beats_partial:
        verdict, case = "qualified", "single_only"
    else:
        verdict, case = "inconclusive", "multi_untrained"
    candidates: list[Candidate] = [(names.steps(t, 1), math.inf) for t in TASKS]
    for t in TASKS:  # one head reaching the threshold as fast as the best head count does
        fastest = median(ev[names.steps(t, best_heads(ev, t))])
        if math.isfinite(fastest):
            candidates.append((names.steps(t, 1), fastest))
    candidates += [(names.acc("multi", 1), round(x, 4)) for x in (partial + 0.05, partial - 0.05)]
    values = {"learns": ok, "need": gates["single"].values["need"], "seeds": gates["single"].values["n"],
              "partial": partial}
    return verdict, case, values, candidates


def removable_parts(ev: EvidenceSet) -> dict[str, str]:
    """Per model (the trained ones, MiniLM where measured): whether at least MANY of its heads can go."""
    parts = {}
    for t in TASKS:
        lo, hi = rules.interval(ev[names.prunable(t)])
        parts[names.prunable(t)] = "confirmed" if lo >= MANY else "refuted" if hi < MANY else "inconclusive"
    if names.MINILM_PRUNABLE in ev:
        parts[names.MINILM_PRUNABLE] = "confirmed" if ev[names.MINILM_PRUNABLE].number >= MANY else "refuted"
    return parts


def _removable(ev: EvidenceSet):
    parts = removable_parts(ev)
    verdicts = list(parts.values())
    if all(v == "confirmed" for v in verdicts):
        verdict, case = "confirmed", "all_many"
    elif all(v == "refuted" for v in verdicts):
        verdict, case = "refuted", "none_many"
    elif "confirmed" in verdicts:
        verdict, case = "qualified", "some_many"
    else:
        verdict, case = "inconclusive", "undecided"
    candidates = [(name, v) for name in parts for v in (MANY, MANY - EPS)]
    return verdict, case, {"parts": parts}, candidates


def _nearest_first(ev: EvidenceSet, candidates: Sequence[Candidate]) -> list[Candidate]:
    def distance(c: Candidate) -> float:
        value = ev[c[0]].value
        return abs(float(value) - c[1]) if isinstance(value, (int, float)) and math.isfinite(c[1]) else math.inf
    return sorted((c for c in candidates if c[0] in ev), key=distance)


def _flips(evidence: list[Evidence], name: str, verdict: str, candidates: Sequence[Candidate]) -> list[Flip]:
    """The candidates that give sub-claim ``name`` another verdict by its own rule (a failed gate is no flip),
    the nearest one per verdict."""
    def verdict_of(changed: dict[str, Evidence]) -> str:
        r = _decide(list(changed.values()), with_flips=False).claim(name)
        return verdict if r.case == GATE_FAILED else r.verdict

    found: dict[str, Flip] = {}
    for f in rules.rerun_flips({e.name: e for e in evidence}, _nearest_first(EvidenceSet(evidence), candidates),
                               verdict_of, verdict):
        found.setdefault(f.verdict, f)
    return list(found.values())


def _decide(evidence: list[Evidence], *, with_flips: bool) -> rules.Rulings:
    ev = EvidenceSet(evidence)
    heads = names.head_counts(ev)
    top = heads[-1]
    standard = list(standard_gates(ev))
    gates = {t: [*standard, *_gates(ev, t)] for t in TASKS}
    every_gate = [*standard, *(g for t in TASKS for g in gates[t][len(standard):])]

    def claim(name: str, claim_gates: list[Gate], evidence_names: list[str],
              fn: Callable[[EvidenceSet], tuple[str, str, dict[str, Any], list[Candidate]]]) -> rules.Ruling:
        def rule():
            verdict, case, values, candidates = fn(ev)
            return verdict, case, values, _flips(evidence, name, verdict, candidates) if with_flips else []
        return rules.sub_claim(name, claim_gates, evidence_names, rule)

    c1 = claim("heads_specialise", gates["multi"], [names.RELATIONS_COVERED, names.RELATIONS_TARGETED,
                                                     names.HEAD_ROLES], _specialise)
    arms = names.arms(ev)
    c2 = claim("more_not_always_better", every_gate,
               [*(names.steps(t, h, a) for a in arms for t in TASKS for h in heads),
                *(names.steps_ratio(t, top, h, a) for a in arms for t in TASKS for h in heads[:-1]),
                *(names.acc_gain(t, top, h, a) for a in arms for t in TASKS for h in heads[:-1])], _not_always_better)
    c3 = claim("one_head_enough", every_gate, [names.acc("single", 1), names.acc("multi", 1), names.steps("single", 1),
                                                names.steps("multi", 1),
                                                names.baseline("multi", "all_but_one_relation")], _one_enough)
    c4 = claim("heads_removable", every_gate,
               [names.prunable("multi"), names.prunable("single"), names.prunable_random("multi"),
                names.one_head("multi"), names.one_head("single"), names.MINILM_PRUNABLE,
                names.MINILM_PRUNABLE_RANDOM], _removable)
    learning = [h for h in heads if learns(ev[names.steps("multi", h)])]
    return rules.combine((c1, c2, c3, c4), every_gate,
                         {"top": top, "pruned": names.pruned_heads(ev),
                          "fewest_learning_multi": learning[0] if learning else None})


def decide(evidence: Sequence[Evidence]) -> rules.Rulings:
    """The verdict per sub-claim and overall, with what would change each."""
    return _decide(list(evidence), with_flips=True)
