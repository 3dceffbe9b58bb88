"""The standard checks and the one combination rule: each can pass and fail, and a failed one leaves only
"inconclusive"."""

from __future__ import annotations

import pytest

from attnlab.lab import protocol, rules
from attnlab.lab.rules import Gate, Ruling
from attnlab.lab.words.lint import zh_problems
from attnlab.lab.words.standard import standard_gate, standard_oneline
from attnlab.results import Evidence


def _ev(*items: Evidence) -> dict[str, Evidence]:
    return {e.name: e for e in items}


def test_learned_needs_the_lower_end_above_the_baseline():
    ev = _ev(Evidence("a", 0.9, (0.8, 0.95), label="a", label_zh="甲"), Evidence("b", 0.3, (0.2, 0.4), label="b"))
    assert protocol.learned(ev, [("a", 0.5)]).passed
    gate = protocol.learned(ev, [("a", 0.5), ("b", 0.25)])
    assert not gate.passed and gate.values["failed"] == ["b"]
    assert "b (lower end 0.200, baseline 0.250)" in standard_gate(gate, ev, "en")


def test_lr_tuned_fails_at_an_edge_of_the_sweep():
    ev = _ev(Evidence("lr_a", 3e-3, bounds=(1e-3, 1e-2), label="a"), Evidence("lr_b", 1e-2, bounds=(1e-3, 1e-2),
                                                                                label="b"))
    assert protocol.lr_tuned(ev, ["lr_a"]).passed
    assert not protocol.lr_tuned(ev, ["lr_a", "lr_b"]).passed
    assert not protocol.not_tuned(["lr_a"]).passed


def test_equal_budget_and_below_ceiling():
    ev = _ev(Evidence("read", [600], label="r"), Evidence("read2", [300, 600], label="r"),
             Evidence("acc_a", 0.995, label="a"), Evidence("acc_b", 0.97, label="b"),
             Evidence("steps_a", 25.0, label="sa"), Evidence("steps_b", "> 600", label="sb"))
    assert protocol.equal_budget(ev, "read").passed and not protocol.equal_budget(ev, "read2").passed
    assert not protocol.below_ceiling(ev, ["acc_a"], 1.0).passed
    assert protocol.below_ceiling(ev, ["acc_a", "acc_b"], 1.0).passed
    assert not protocol.below_ceiling(ev, ["steps_a"], 25.0, higher_is_better=False, margin=0.0).passed
    assert protocol.below_ceiling(ev, ["steps_a", "steps_b"], 25.0, higher_is_better=False, margin=0.0).passed


def test_standard_gates_need_each_check_once():
    g = {n: Gate(n, True, n) for n in protocol.STANDARD_CHECKS}
    assert [x.name for x in protocol.standard_gates(*reversed(list(g.values())))] == list(protocol.STANDARD_CHECKS)
    with pytest.raises(ValueError, match="one gate each"):
        protocol.standard_gates(g["learned"], g["lr_tuned"])


@pytest.mark.parametrize("verdicts, gate_ok, expected", [
    (["confirmed", "confirmed"], True, "confirmed"),
    (["confirmed", "refuted"], True, "qualified"),
    (["confirmed", "inconclusive"], True, "qualified"),
    (["refuted", "refuted", "inconclusive"], True, "refuted"),
    (["confirmed", "inconclusive", "inconclusive"], True, "inconclusive"),
    (["confirmed", "confirmed"], False, "inconclusive"),
])
def test_one_combination_rule(verdicts, gate_ok, expected):
    claims = [Ruling(f"c{i}", v) for i, v in enumerate(verdicts)]
    rs = rules.combine(claims, [Gate("learned", gate_ok, "learned")])
    assert rs.verdict == expected
    assert rs.values["counts"]["confirmed"] == verdicts.count("confirmed")


def test_standard_words_are_clean_in_both_languages():
    ev = _ev(Evidence("acc", 0.2, (0.1, 0.3), label="accuracy", label_zh="准确率"))
    gates = [protocol.learned(ev, [("acc", 0.5)]), protocol.not_tuned(["x"]),
             Gate("equal_budget", False, "equal_budget", {"steps": [300, 600]}),
             protocol.below_ceiling(_ev(Evidence("acc", 1.0, label="a", label_zh="准确率")), ["acc"], 1.0)]
    for g in gates:
        assert not zh_problems(standard_oneline(g, "zh")) and standard_oneline(g, "en").startswith("Not settled")
        text = standard_gate(g, {**ev}, "zh")
        assert text and not [p for p in zh_problems(text) if "English" in p], text


def test_the_committed_standard_report_keeps_the_protocol():
    """Every trained question of docs/report runs the four standard checks, stands on a sweep whose chosen rates
    are inside their grids, and stores the verdict its rule gives on its own evidence."""
    from pathlib import Path

    from attnlab.lab import decide
    from attnlab.results import read_result

    root = Path(__file__).resolve().parents[2] / "docs" / "report"
    if not (root / "q1" / "result.json").is_file():
        pytest.skip("not a checkout of the repository (no docs/report)")
    timing_only = {"q5"}  # measures wall time, trains nothing
    for qdir in sorted(root.glob("q*/")):
        r = read_result(root, qdir.name)
        assert r.profile == "standard" and decide(r.qid, r.evidence).verdict == r.verdict, qdir.name
        if r.qid in timing_only:
            continue
        assert len(r.seeds) == 5, r.qid
        names = [c.name for c in r.checks]
        assert set(protocol.STANDARD_CHECKS) <= set(names), (r.qid, names)
        sweep = r.config["lr_sweep"]
        assert sweep["source"] == "sweep" and all(c["rates"][0] < c["chosen"] < c["rates"][-1]
                                                  for c in sweep["conditions"]), r.qid
