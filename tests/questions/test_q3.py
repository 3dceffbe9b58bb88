"""q3: the tiny run, its stored verdict from ``decide``, every outcome of the rule, every flip, clean Chinese."""

from __future__ import annotations

import pytest

from attnlab.lab import build_result, decide, get_experiment
from attnlab.lab.spec import Outcomes, TrialOutcome
from attnlab.lab.words.lint import zh_problems
from attnlab.questions.q3_scaling.settings import TEMPERATURES, profile_settings
from question_helpers import (
    NEVER,
    REACHED,
    assert_flips,
    assert_stored_verdict_is_its_rule,
    assert_zh_clean,
    made_up_sweep,
    onelines_for_every_outcome,
    run_tiny,
)
from question_helpers import est as _est
from question_helpers import patch as _patch


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    return run_tiny(["q3"], tmp_path_factory)["q3"]


def _probe(sat: float, grad: float) -> dict:
    return {"max_weight": 0.5 + sat / 2, "weight_on_right_key": 0.5, "saturated": sat, "saturated_wrong": sat,
            "grad_scores": grad, "grad_w_q": 10 * grad}


def _outcomes() -> Outcomes:
    """Made-up trial results in the shape of the quick profile: unscaled saturates and stalls at d_k=64."""
    s = profile_settings("quick")
    items = []
    for dk in s["dks"]:
        for t in TEMPERATURES:
            for seed in range(5):
                stalls = t == "1" and dk == max(s["dks"])
                sat, grad = (0.6 + 0.01 * seed, 1e-5) if stalls else (0.05 + 0.01 * seed, 1e-4 * (1 + 0.1 * seed))
                probes = {k: _probe(sat, grad) for k in ("0", "25", "50", "100", "end")}
                steps = None if stalls else 150 + 10 * seed + (100 if t == "1/d_k" else 0)
                items.append(TrialOutcome(
                    {"d_k": dk, "temperature": t, "seed": seed, "d_model": s["d_model"], "n_heads": s["n_heads"],
                     "steps": s["steps"], "batch_size": s["batch_size"], "lr": 3e-3, "eval_every": s["eval_every"]},
                    {"accuracy": 0.4 if stalls else 0.97, "steps_to_threshold": steps, "probes": probes,
                     "steps": s["steps"], "curve": [[100, 0.5], [400, 0.4 if stalls else 0.97]]}))
    return Outcomes(items, tuning=made_up_sweep(("d_k", "temperature"),
                                                [(dk, t) for dk in s["dks"] for t in TEMPERATURES]))


@pytest.fixture(scope="module")
def tiny():
    """A result built from made-up outcomes (fast); the real tiny run is in the slow tests."""
    outcomes = _outcomes()
    return build_result(get_experiment("q3"), list(outcomes), profile="quick", seeds=list(range(5)),
                        sweep=outcomes.tuning)


def _base(ev):
    small, large = (int(d) for d in next(e for e in ev if e.name == "d_ks").value)
    lk, sk = f"dk{large}_unscaled", f"dk{small}_unscaled"
    reached = {e.name: REACHED for e in ev if e.name.startswith("steps_") and not e.name.startswith("steps_ratio")}
    base = {**reached, "budget_steps": {"value": 800.0},
            f"sat_wrong_gain_{lk}": _est(0.4, 0.3, 0.5), f"grad_ratio_{lk}": _est(0.2, 0.1, 0.3),
            f"grad_wq_ratio_{lk}": _est(0.3, 0.2, 0.4), f"steps_{lk}": NEVER, f"steps_{sk}": NEVER}
    return small, large, lk, sk, base


@pytest.mark.slow
def test_the_tiny_run_stores_what_decide_gives_on_its_evidence(tiny_run):
    assert_stored_verdict_is_its_rule(tiny_run)
    assert_zh_clean(tiny_run)
    assert_flips("q3", tiny_run.evidence)


def test_made_up_outcomes_confirm_at_large_d_k(tiny):
    assert tiny.verdict == "qualified" and {c.name: c.verdict for c in tiny.claims}["saturation"] == "confirmed"


def test_every_text_is_in_both_languages_and_the_chinese_is_chinese(tiny):
    assert all(c.statement and c.statement_zh and c.because_zh and c.would_change_zh for c in tiny.claims)
    assert_zh_clean(tiny)
    assert tiny.oneline["en"] and tiny.oneline["zh"] and zh_problems(tiny.oneline["zh"]) == []


def test_rule_gives_every_outcome(tiny):
    ev = tiny.evidence
    small, large, lk, sk, base = _base(ev)
    exp = get_experiment("q3")
    claims = exp.rule(_patch(ev, {**base, f"grad_wq_ratio_{lk}": _est(2.5, 2.3, 2.7)})).verdicts
    assert claims["gradients_vanish"] == "qualified"  # the softmax passes less, W_Q receives more
    assert exp.rule(_patch(ev, {**base, f"grad_ratio_{lk}": _est(1.5, 1.2, 1.8)})).verdicts["gradients_vanish"] \
        == "refuted"
    scenarios = {
        "confirmed": base,
        "qualified": {**base, f"steps_{sk}": REACHED, f"steps_ratio_{sk}": _est(1.0, 0.9, 1.1)},
        "refuted": {**base, f"sat_wrong_gain_{lk}": _est(0.0, -0.01, 0.02), f"grad_ratio_{lk}": _est(1.5, 1.2, 1.8),
                    f"steps_{lk}": REACHED, f"steps_ratio_{lk}": _est(1.0, 0.9, 1.1), f"steps_{sk}": REACHED,
                    f"steps_ratio_{sk}": _est(1.0, 0.9, 1.1)},
        "inconclusive": {**base, f"steps_dk{large}_sqrt": NEVER},
    }
    for expected, changes in scenarios.items():
        d, text = exp.judge(_patch(ev, changes))
        assert d.verdict == expected, (expected, d.rule)
        assert text.answer_en and text.answer_zh
        if expected != "inconclusive":
            assert "0.30" in text.answer_en or "30%" in text.answer_en or expected == "refuted"


@pytest.mark.parametrize("scenario", ["made_up", "confirmed", "qualified", "ratio"])
def test_what_would_change_it_is_what_the_rule_does(tiny, scenario):
    ev = tiny.evidence
    small, large, lk, sk, base = _base(ev)
    changes = {"made_up": {}, "confirmed": base,
               "qualified": {**base, f"steps_{sk}": REACHED, f"steps_ratio_{sk}": _est(1.0, 0.9, 1.1),
                             f"grad_wq_ratio_{lk}": _est(2.5, 2.3, 2.7)},
               "ratio": {**base, f"steps_{lk}": REACHED, f"steps_ratio_{lk}": _est(1.3, 1.1, 1.6)}}[scenario]
    patched = _patch(ev, changes)
    n = assert_flips("q3", patched)
    assert n >= 2
    d = decide("q3", patched)
    decided = [c for c in d.claims if c.verdict != "inconclusive" or c.checks]
    assert all(c.would_change and c.would_change_zh for c in decided)




def test_one_line_answer_for_every_outcome(tiny):
    """Every verdict, and every way to reach it that the one-liner words differently, gives one sentence with its
    number in both languages."""
    ev = tiny.evidence
    small, large, lk, sk, base = _base(ev)
    reached_lk = {**base, f"steps_{lk}": REACHED}
    scenarios = {  # name: (verdict, changes, number in English, number in Chinese)
        "confirmed": ("confirmed", base, "0 of 5 runs", "5 次训练在 800 步内无一学会"),
        "confirmed_ratio": ("confirmed", {**reached_lk, f"steps_ratio_{lk}": _est(2.04, 1.8, 2.2)}, "2.0 times",
                            "2.0 倍"),
        "qualified": ("qualified", {**base, f"steps_{sk}": REACHED, f"steps_ratio_{sk}": _est(1.0, 0.9, 1.1)},
                      "0 of 5", "无一学会"),
        "partly_saturation": ("qualified", {**base, f"sat_wrong_gain_{lk}": _est(0.02, -0.01, 0.05)}, "+2%", "+2%"),
        "partly_steps": ("qualified", {**reached_lk, f"steps_ratio_{lk}": _est(1.0, 0.9, 1.1)}, "1.00", "1.00"),
        "partly_gradient": ("qualified", {**base, f"grad_ratio_{lk}": _est(1.5, 1.2, 1.8)}, "1.50", "1.50"),
        "refuted": ("refuted", {**reached_lk, f"steps_ratio_{lk}": _est(1.0, 0.9, 1.1),
                                f"sat_wrong_gain_{lk}": _est(0.02, -0.01, 0.05),
                                f"grad_ratio_{lk}": _est(1.5, 1.2, 1.8),
                                f"steps_{sk}": REACHED, f"steps_ratio_{sk}": _est(1.0, 0.9, 1.1)}, "1.00", "1.00"),
        "inconclusive_gate": ("inconclusive", {**base, f"steps_dk{large}_sqrt": NEVER}, "none of 5", "5 次训练"),
        "inconclusive_budget": ("inconclusive", {**base, f"steps_dk{large}_sqrt": {**REACHED, "value": 300.0,
                                                                                  "per_seed": [300] * 5}},
                                "(300)", "（300）"),
        "open_saturation": ("qualified", {**base, f"sat_wrong_gain_{lk}": _est(0.1, 0.05, 0.15)}, "10%", "10%"),
        "inconclusive_few_decided": ("inconclusive", {**base, f"grad_ratio_{lk}": _est(0.7, 0.4, 0.9),
                                                      f"sat_wrong_gain_{lk}": _est(0.1, 0.05, 0.15),
                                                      f"steps_{lk}": REACHED, f"steps_ratio_{lk}": _est(1.3, 1.1, 1.6)},
                                     "1.30", "1.30"),
    }
    texts = onelines_for_every_outcome("q3", ev, scenarios)
    for name, text in texts.items():
        assert ("Partly" in text.oneline_en) == name.startswith(("partly", "open")), name
    assert "5 个种子中只有" not in next(c.because_zh for c in decide("q3", _patch(ev, base)).claims
                                      if c.name == "training_hard_large_dk")
