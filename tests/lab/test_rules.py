"""Rule building blocks: a verdict never stands on a failed gate, flips apply as stated, verdict order."""

from __future__ import annotations

import math

import pytest

from attnlab.lab import rules, stats
from attnlab.results import Evidence


def test_a_sub_claim_is_inconclusive_when_a_gate_failed():
    ok, bad = rules.Gate("a", True, "x"), rules.Gate("b", False, "x")
    decided = rules.sub_claim("c", [ok], ["e"], lambda: ("confirmed", "case", {"v": 1}, []))
    assert (decided.verdict, decided.case, decided.values) == ("confirmed", "case", {"v": 1})
    gated = rules.sub_claim("c", [ok, bad], ["e"], lambda: ("confirmed", "case", {}, []))
    assert (gated.verdict, gated.case) == ("inconclusive", rules.GATE_FAILED)
    with pytest.raises(ValueError, match="failed gates"):
        rules.Ruling("c", "confirmed", gates=(bad,))
    with pytest.raises(ValueError, match="failed gates"):
        rules.Rulings("refuted", (), (bad,))
    with pytest.raises(ValueError, match="verdict"):
        rules.Flip("e", 1.0, "true")


def test_verdict_order_and_intervals():
    assert rules.worst_verdict(["confirmed", "refuted", "qualified"]) == "refuted"
    assert rules.worst_verdict(["confirmed", "inconclusive"]) == "inconclusive"
    assert rules.interval(Evidence("x", 0.5)) == (0.5, 0.5)
    with pytest.raises(ValueError, match="verdicts"):
        rules.worst_verdict([])


def test_with_value_collapses_an_interval_and_sets_every_seeds_steps():
    e = stats.evidence_from("acc", [0.5, 0.6, 0.7], label="acc", unit="accuracy", bounds=(0, 1))
    moved = rules.with_value(e, 0.9)
    assert (moved.number, moved.ci, moved.per_seed) == (0.9, (0.9, 0.9), [0.9, 0.9, 0.9])
    steps = stats.steps_evidence("s", [100, None, 300], 500, label="steps")
    assert rules.reached_count(rules.with_value(steps, 50)) == (3, 3)
    assert rules.reached_count(rules.with_value(steps, math.inf)) == (0, 3)


def test_rerun_flips_keeps_only_the_values_that_change_the_verdict():
    ev = {"x": Evidence("x", 0.5, ci=(0.4, 0.6))}

    def verdict_of(evidence):
        lo, _ = rules.interval(evidence["x"])
        return "confirmed" if lo > 0.45 else "refuted"

    flips = rules.rerun_flips(ev, [("x", 0.3), ("x", 0.9)], verdict_of, "refuted")
    assert flips == [rules.Flip("x", 0.9, "confirmed")]
