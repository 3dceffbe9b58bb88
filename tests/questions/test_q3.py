"""q3: the tiny run, its stored verdict from ``decide``, every outcome of the rule, every flip, clean Chinese."""

from __future__ import annotations

import pytest

from attnlab.lab import decide, get_experiment
from question_helpers import NEVER, REACHED, assert_flips, assert_zh_clean, run_tiny
from question_helpers import est as _est
from question_helpers import patch as _patch


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return run_tiny(["q3"], tmp_path_factory)["q3"]


def _base(ev):
    small, large = (int(d) for d in next(e for e in ev if e.name == "d_ks").value)
    lk, sk = f"dk{large}_unscaled", f"dk{small}_unscaled"
    reached = {e.name: REACHED for e in ev if e.name.startswith("steps_") and not e.name.startswith("steps_ratio")}
    base = {**reached, "budget_steps": {"value": 800.0},
            f"sat_wrong_gain_{lk}": _est(0.4, 0.3, 0.5), f"grad_ratio_{lk}": _est(0.2, 0.1, 0.3),
            f"grad_wq_ratio_{lk}": _est(0.3, 0.2, 0.4), f"steps_{lk}": NEVER, f"steps_{sk}": NEVER}
    return small, large, lk, sk, base


def test_stored_verdict_is_decide_on_its_own_evidence(tiny):
    d = decide("q3", tiny.evidence)
    assert (d.verdict, d.rule) == (tiny.verdict, tiny.rule)
    assert [c.verdict for c in d.claims] == [c.verdict for c in tiny.claims]


def test_every_text_is_in_both_languages_and_the_chinese_is_chinese(tiny):
    assert all(c.statement and c.statement_zh and c.because_zh and c.would_change_zh for c in tiny.claims)
    assert_zh_clean(tiny)


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
        "refuted": {**base, f"sat_wrong_gain_{lk}": _est(0.0, -0.01, 0.02)},
        "inconclusive": {**base, f"steps_dk{large}_sqrt": NEVER},
    }
    for expected, changes in scenarios.items():
        d, text = exp.judge(_patch(ev, changes))
        assert d.verdict == expected, (expected, d.rule)
        assert text.answer_en and text.answer_zh
        if expected != "inconclusive":
            assert "0.30" in text.answer_en or "30%" in text.answer_en or expected == "refuted"


@pytest.mark.parametrize("scenario", ["tiny", "confirmed", "qualified", "ratio"])
def test_what_would_change_it_is_what_the_rule_does(tiny, scenario):
    ev = tiny.evidence
    small, large, lk, sk, base = _base(ev)
    changes = {"tiny": {}, "confirmed": base,
               "qualified": {**base, f"steps_{sk}": REACHED, f"steps_ratio_{sk}": _est(1.0, 0.9, 1.1),
                             f"grad_wq_ratio_{lk}": _est(2.5, 2.3, 2.7)},
               "ratio": {**base, f"steps_{lk}": REACHED, f"steps_ratio_{lk}": _est(1.3, 1.1, 1.6)}}[scenario]
    patched = _patch(ev, changes)
    n = assert_flips("q3", patched)
    if scenario != "tiny":
        assert n >= 3
    d = decide("q3", patched)
    decided = [c for c in d.claims if c.verdict != "inconclusive" or c.checks]
    assert all(c.would_change and c.would_change_zh for c in decided)
