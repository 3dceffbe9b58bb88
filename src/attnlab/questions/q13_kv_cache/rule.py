"""q13's rule: evidence -> a verdict per sub-claim and overall (numbers and verdicts only)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from attnlab.lab import protocol, rules
from attnlab.lab.rules import Gate
from attnlab.lab.spec import EvidenceSet
from attnlab.questions.q13_kv_cache import evidence as names
from attnlab.questions.q13_kv_cache.settings import ACC_MARGIN, KINDS, LOSS_MARGIN, MATCH, NUDGE, REDUCED, TASK_NAMES
from attnlab.results import Evidence

CACHE = "cache_shrinks"
LM_COST = "little_lm_cost"
RECALL_COST = "little_recall_cost"
PARAMS_GATE = "params_matched"  # kind "params_matched": every kind's parameters within MATCH of MHA's
LITTLE, COSTLY, UNCLEAR = "little", "costly", "unclear"

Ev = Mapping[str, Evidence]
Outcome = tuple[str, str, dict[str, Any]]


def standard_gates(ev: Ev) -> tuple[Gate, ...]:
    """The four standard checks. ``learned``: every kind's held-out next-character accuracy lies above always
    guessing the most frequent character, and its recall accuracy above the best trivial recall baseline;
    ``below_ceiling``: at least one accuracy (text or recall) is more than 0.01 below 1."""
    items = [(names.text_acc(k), ev[names.baseline("text", "majority")].number) for k in KINDS]
    items += [(names.recall(k), names.best_recall_baseline(ev).number) for k in KINDS]
    learned = protocol.learned(ev, items)
    lr_names = [names.lr(t, k) for t in TASK_NAMES for k in KINDS]
    tuned = protocol.lr_tuned(ev, lr_names) if all(n in ev for n in lr_names) else protocol.not_tuned(lr_names)
    budget = (protocol.equal_budget(ev, names.READ_AT) if names.READ_AT in ev
              else Gate("equal_budget", False, "equal_budget", {"evidence": names.READ_AT, "steps": []}))
    ceiling = protocol.below_ceiling(ev, [n for k in KINDS for n in (names.text_acc(k), names.recall(k))], 1.0)
    return protocol.standard_gates(learned, tuned, budget, ceiling)


def params_gate(ev: Ev) -> Gate:
    """Every kind's parameter count lies within MATCH of MHA's on both tasks (equal parameters)."""
    gaps = {f"{t}, {k}": float(ev[names.param_gap(t, k)].number) for t in TASK_NAMES for k in KINDS}
    worst = max(gaps, key=lambda n: abs(gaps[n]))
    return Gate(PARAMS_GATE, all(abs(g) <= MATCH for g in gaps.values()), "params_matched",
                {"worst": worst, "gap": gaps[worst], "match": MATCH})


def gates(ev: Ev) -> tuple[Gate, ...]:
    return (*standard_gates(ev), params_gate(ev))


# ---- statuses ----
def loss_status(ev: Ev, kind: str) -> str:
    """LITTLE (the paired loss increase's interval lies below LOSS_MARGIN), COSTLY (above it) or UNCLEAR."""
    lo, hi = rules.interval(ev[names.loss_vs_mha(kind)])
    return LITTLE if hi < LOSS_MARGIN else COSTLY if lo > LOSS_MARGIN else UNCLEAR


def recall_status(ev: Ev, kind: str) -> str:
    """LITTLE (the paired recall difference's interval lies above -ACC_MARGIN), COSTLY (below it) or UNCLEAR."""
    lo, hi = rules.interval(ev[names.recall_vs_mha(kind)])
    return LITTLE if lo > -ACC_MARGIN else COSTLY if hi < -ACC_MARGIN else UNCLEAR


_STATUS: dict[str, Callable[[Ev, str], str]] = {LM_COST: loss_status, RECALL_COST: recall_status}


def statuses(ev: Ev, name: str) -> dict[str, str]:
    """Each reduced kind's status under sub-claim ``name`` (LM_COST or RECALL_COST)."""
    return {k: _STATUS[name](ev, k) for k in REDUCED}


# ---- the sub-claims: (verdict, case, values) from the evidence ----
def _cache(ev: Ev) -> Outcome:
    measured = {k: int(ev[names.cache_bytes(k)].number) for k in KINDS}
    formula = {k: int(ev[names.cache_expected(k)].number) for k in KINDS}
    smaller = [k for k in REDUCED if measured[k] < measured["mha"]]
    values = {"bytes": measured, "formula": formula, "smaller": smaller}
    if measured != formula:
        return "inconclusive", "formula_mismatch", {**values, "wrong": [k for k in KINDS if measured[k] != formula[k]]}
    if len(smaller) == len(REDUCED):
        return "confirmed", "all_smaller", values
    return ("qualified", "some_smaller", values) if smaller else ("refuted", "none_smaller", values)


def _cost(name: str) -> Callable[[Ev], Outcome]:
    def outcome(ev: Ev) -> Outcome:
        s = statuses(ev, name)
        little = [k for k in REDUCED if s[k] == LITTLE]
        values = {"status": s, "little": little}
        if len(little) == len(REDUCED):
            return "confirmed", "little_everywhere", values
        if all(v == COSTLY for v in s.values()):
            return "refuted", "costly_everywhere", values
        return ("qualified", "little_somewhere", values) if little else ("inconclusive", UNCLEAR, values)

    return outcome


_RULES: dict[str, Callable[[Ev], Outcome]] = {CACHE: _cache, LM_COST: _cost(LM_COST), RECALL_COST: _cost(RECALL_COST)}
CLAIMS = tuple(_RULES)


def _evidence(name: str) -> list[str]:
    if name == CACHE:
        return [n for k in KINDS for n in (names.cache_bytes(k), names.cache_expected(k))]
    if name == LM_COST:
        return [names.loss_vs_mha(k) for k in REDUCED] + [names.loss(k) for k in KINDS]
    return [names.recall_vs_mha(k) for k in REDUCED] + [names.recall(k) for k in KINDS]


def _candidates(name: str) -> list[tuple[str, float]]:
    """Values just across each threshold, for each number the sub-claim reads."""
    if name == LM_COST:
        return [(names.loss_vs_mha(k), LOSS_MARGIN + s * NUDGE["loss"]) for k in REDUCED for s in (-1, 1)]
    if name == RECALL_COST:
        return [(names.recall_vs_mha(k), -ACC_MARGIN + s * NUDGE["acc"]) for k in REDUCED for s in (1, -1)]
    return []  # the cache sizes are arithmetic: no measured number moves them


def claim(name: str, ev: Ev, *, flips: bool = True) -> rules.Ruling:
    """Sub-claim ``name`` as its rule decides it on ``ev``; its flips are the first true one toward each other
    decided verdict. The cache sizes are a derivation (the formula, checked on the models), shown and not
    counted; the two costs are measured and counted, behind the standard checks and equal parameters."""
    if name == CACHE:
        def cache_rule() -> tuple[str, str, dict[str, Any], list]:
            return (*_cache(ev), [])

        return rules.sub_claim(name, (), _evidence(name), cache_rule, basis="derivation", counted=False)

    def run() -> tuple[str, str, dict[str, Any], list]:
        verdict, case, values = _RULES[name](ev)
        found = rules.rerun_flips(ev, _candidates(name), lambda alt: claim(name, alt, flips=False).verdict,
                                  verdict, first_per_verdict=True) if flips else []
        return verdict, case, values, found

    return rules.sub_claim(name, gates(ev), _evidence(name), run)


def decide(evidence: Sequence[Evidence]) -> rules.Rulings:
    ev = EvidenceSet(evidence)
    return rules.combine(tuple(claim(name, ev) for name in CLAIMS), gates(ev))


__all__ = ["CACHE", "CLAIMS", "COSTLY", "LITTLE", "LM_COST", "PARAMS_GATE", "RECALL_COST", "UNCLEAR", "claim",
           "decide", "gates", "loss_status", "recall_status", "standard_gates", "statuses"]
