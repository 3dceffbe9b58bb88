"""q4: the tiny run, its stored verdict from the rule, every outcome of every sub-claim, every flip, clean Chinese.

The rule's tests run on evidence aggregated from made-up trial outcomes (no training), so they are fast; the tests
of the real tiny run are marked slow.
"""

from __future__ import annotations

import pytest
import torch

from attnlab.lab import decide, get_experiment
from attnlab.lab.spec import Outcomes, TrialOutcome
from attnlab.lab.words import ONELINE_CHARS, ONELINE_WORDS, zh_length
from attnlab.lab.words.lint import zh_problems
from attnlab.questions.q4_variance.settings import MINILM, MONTE_CARLO, TRAINED, profile_settings
from attnlab.questions.q4_variance.trials import dot_variance, loglog_slope
from attnlab.results import Evidence
from question_helpers import (
    NEVER,
    REACHED,
    answers_for_every_outcome,
    assert_bilingual,
    assert_flips,
    assert_oneline,
    assert_stored_verdict_is_its_rule,
    assert_zh_clean,
    made_up_sweep,
    run_tiny,
)
from question_helpers import est as _est
from question_helpers import patch as _patch


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny profile of q4, run once in this process (the real model is off in tests)."""
    return run_tiny(["q4"], tmp_path_factory)["q4"]


def _logits(std: float) -> dict:
    return {"raw_std": std, "scaled_std": std, "independent_std": std, "ratio_to_independent": 1.0}


@pytest.fixture(scope="module")
def evidence():
    """The evidence of made-up outcomes in the tiny profile's shape (no trial is run): the Monte Carlo as the
    algebra says, every model learned, every scaled std near 1."""
    s = profile_settings("tiny")
    train = {k: s[k] for k in ("d_model", "n_heads", "steps", "batch_size", "eval_every")}
    curves = {"gaussian": [float(d) for d in s["dims"]], "rademacher": [float(d) for d in s["dims"]],
              "scaled": [1.0] * len(s["dims"])}
    mc = {"curves": curves, "slopes": {"gaussian": 1.0, "rademacher": 1.0, "scaled": 0.0}}

    def trained(dk: int, seed: int) -> dict:
        return {"steps_to_threshold": 20 + seed, "steps": s["steps"], "accuracy": 0.97 + 0.005 * seed,
                "init": _logits(1.0), "trained": _logits(1.0 + 0.01 * seed)}

    items = [TrialOutcome({"kind": MONTE_CARLO, "seed": seed, "dims": s["dims"], "n_samples": s["n_samples"]}, mc)
             for seed in range(5)]
    items += [TrialOutcome({"kind": TRAINED, "d_k": dk, "seed": seed, "lr": 3e-3, **train}, trained(dk, seed))
              for dk in s["dks"] for seed in range(5)]
    items.append(TrialOutcome({"kind": MINILM, "seed": 0}, {"unavailable": "switched off in tests"}))
    sweep = made_up_sweep(("kind", "d_k"), [(TRAINED, dk) for dk in s["dks"]])
    return get_experiment("q4").aggregate(Outcomes(items, tuning=sweep)).evidence


def _dks(ev: list[Evidence], name: str = "d_ks") -> list[int]:
    return [int(d) for d in next(e for e in ev if e.name == name).value]


def _base(ev: list[Evidence]) -> dict[str, dict]:
    """Every condition learned, the Monte Carlo as the algebra says, the slope flat, every std near 1."""
    reached = {e.name: REACHED for e in ev if e.name.startswith("steps_")}
    return {**reached, "mc_slope_gaussian": _est(1.0, 0.99, 1.01), "mc_slope_scaled": _est(0.0, -0.01, 0.01),
            "trained_scaled_std_slope": _est(0.0, -0.05, 0.05),
            **{f"trained_scaled_std_dk{dk}": _est(1.0, 0.9, 1.1) for dk in _dks(ev)},
            **{f"acc_dk{dk}": _est(0.97, 0.95, 0.99) for dk in _dks(ev)},
            **{f"lr_dk{dk}": {"value": 3e-3} for dk in _dks(ev)}}


def _zh_clean(ev: list[Evidence]) -> None:
    """Every Chinese text the rule's words give on ``ev`` is Chinese."""
    d, text = get_experiment("q4").judge(ev)
    texts = {"answer": text.answer_zh, "oneline": text.oneline_zh, **{f"check {c.name}": c.detail_zh for c in d.checks}}
    assert len(text.oneline_en.split()) <= ONELINE_WORDS and 0 < zh_length(text.oneline_zh) <= ONELINE_CHARS
    for c in d.claims:
        texts.update({f"{c.name}.statement": c.statement_zh, f"{c.name}.because": c.because_zh,
                      f"{c.name}.would_change": c.would_change_zh})
    problems = {k: zh_problems(v) for k, v in texts.items() if zh_problems(v)}
    assert not problems, problems


@pytest.mark.slow
def test_stored_verdict_is_decide_on_its_own_evidence(tiny):
    assert_stored_verdict_is_its_rule(tiny)
    assert [c.name for c in tiny.claims] == ["variance_grows_as_dk", "scale_independent_of_dk", "unit_scale"]
    assert [c.basis for c in tiny.claims] == ["derivation", "measured", "measured"]


@pytest.mark.slow
def test_every_text_is_in_both_languages_and_the_chinese_is_chinese(tiny):
    assert_bilingual(tiny)
    assert_zh_clean(tiny)


def test_rule_gives_every_outcome(evidence):
    """Every outcome of every sub-claim, and every overall verdict the one combination rule can give here: with
    the derivation one of the sub-claims, the question is never refuted while the algebra holds."""
    ev = evidence
    base = _base(ev)
    dks = _dks(ev)
    scenarios = {
        "confirmed": base,
        "qualified": {**base, "trained_scaled_std_slope": _est(0.17, 0.15, 0.2)},
        "inconclusive": {**base, "mc_slope_gaussian": _est(1.5, 1.4, 1.6)},
    }
    answers_for_every_outcome("q4", ev, scenarios, {"confirmed": "0.00", "qualified": "0.17"})
    for changes in scenarios.values():
        _zh_clean(_patch(ev, changes))
    # both measured sub-claims refuted: refuted, whatever the algebra (a derivation, not counted) says
    d = decide("q4", _patch(ev, {**base, "trained_scaled_std_slope": _est(0.5, 0.4, 0.6),
                                 f"trained_scaled_std_dk{dks[-1]}": _est(12.0, 11.0, 13.0)}))
    assert [c.verdict for c in d.claims] == ["confirmed", "refuted", "refuted"] and d.verdict == "refuted"
    # the derivation check failed: a bug, so nothing stands, not even the derivation
    d = decide("q4", _patch(ev, scenarios["inconclusive"]))
    assert {c.name: c.verdict for c in d.claims}["variance_grows_as_dk"] == "inconclusive"
    assert not next(c for c in d.checks if c.name == "derivation_check").passed
    # a condition that did not learn: the comparisons it feeds are undecided
    d = decide("q4", _patch(ev, {**base, f"steps_dk{dks[0]}": NEVER}))
    assert d.verdict == "inconclusive"
    assert {c.name: c.verdict for c in d.claims} == {"variance_grows_as_dk": "confirmed",
                                                      "scale_independent_of_dk": "inconclusive",
                                                      "unit_scale": "inconclusive"}


def test_standard_checks_leave_only_inconclusive(evidence):
    """Each standard check, failed, leaves the question and both measured sub-claims inconclusive."""
    ev = evidence
    base = _base(ev)
    dks = _dks(ev)
    names = [c.name for c in decide("q4", _patch(ev, base)).checks]
    assert names[1:5] == ["learned", "lr_tuned", "equal_budget", "below_ceiling"]
    failing = {
        "learned": {f"acc_dk{dks[0]}": _est(0.15, 0.1, 0.2)},
        "lr_tuned": {f"lr_dk{dks[-1]}": {"value": 1e-2}},
        "equal_budget": {"read_at_step": {"value": [20, 30]}},
        "below_ceiling": {f"steps_dk{dk}": {**REACHED, "value": 10.0, "per_seed": [10] * 5} for dk in dks},
    }
    for check, changes in failing.items():
        d, text = get_experiment("q4").judge(_patch(ev, {**base, **changes}))
        assert not next(c for c in d.checks if c.name == check).passed, check
        assert d.verdict == "inconclusive", check
        assert [c.verdict for c in d.claims][1:] == ["inconclusive", "inconclusive"], check
        assert "Not settled yet" in text.oneline_en, check


def test_one_line_answer_for_every_outcome(evidence):
    """Every verdict, and every way to reach it that the one-liner words differently, gives one sentence with its
    number in both languages."""
    ev = evidence
    base, dks = _base(ev), _dks(ev)
    last = f"trained_scaled_std_dk{dks[-1]}"
    scenarios = {  # name: (verdict, changes, number in English, number in Chinese)
        "confirmed": ("confirmed", {**base, last: _est(1.2, 1.1, 1.3)}, "1.20", "1.20"),
        "qualified_weak": ("qualified", {**base, "trained_scaled_std_slope": _est(0.17, 0.15, 0.2),
                                         last: _est(1.3, 1.2, 1.4)}, "1.30 at d_k=16", "1.30"),
        "qualified_steep": ("qualified", {**base, "trained_scaled_std_slope": _est(0.5, 0.4, 0.6),
                                          last: _est(1.9, 1.8, 2.0)}, "1.90 at d_k=16", "0.50"),
        "qualified_high": ("qualified", {**base, last: _est(3.0, 2.8, 3.2)}, "as high as 3.00", "高达 3.00"),
        "qualified_low": ("qualified", {**base, last: _est(0.3, 0.28, 0.32)}, "as low as 0.30", "低至 0.30"),
        "qualified_open": ("qualified", {**base, "trained_scaled_std_slope": _est(0.2, 0.05, 0.35)}, "0.20", "0.20"),
        "inconclusive_derivation": ("inconclusive", {**base, "mc_slope_gaussian": _est(1.5, 1.4, 1.6)}, "1.50",
                                    "1.50"),
        "inconclusive_learned": ("inconclusive", {**base, f"steps_dk{dks[0]}": NEVER}, "none of 5", "没有一个种子"),
    }
    exp = get_experiment("q4")
    for name, (expected, changes, en, zh) in scenarios.items():
        d, text = exp.judge(_patch(ev, changes))
        assert d.verdict == expected, (name, d.rule)
        assert_oneline(text, en, zh)
        assert ("Not settled" in text.oneline_en) == (expected == "inconclusive"), name


@pytest.mark.parametrize(("main", "expected"), [
    ((0.0, -0.05, 0.05), "confirmed"),  # inside ±0.1
    ((0.17, 0.15, 0.2), "qualified"),  # inside ±0.25
    ((0.5, 0.4, 0.6), "refuted"),  # beyond ±0.25
    ((-0.5, -0.6, -0.4), "refuted"),  # shrinking counts as depending on d_k too
    ((0.2, 0.05, 0.35), "inconclusive"),  # straddles ±0.25
    ((0.0, -0.3, 0.3), "inconclusive"),  # straddles both: no single value decides
])
def test_scale_sub_claim_outcomes_and_flips(evidence, main, expected):
    ev = _patch(evidence, {**_base(evidence), "trained_scaled_std_slope": _est(*main)})
    exp = get_experiment("q4")
    r = exp.rule(ev).claim("scale_independent_of_dk")
    assert r.verdict == expected
    assert assert_flips("q4", ev) >= 1
    d = exp.decide(ev)
    claim = next(c for c in d.claims if c.name == "scale_independent_of_dk")
    if expected == "inconclusive" and not r.flips:  # straddles: more seeds, said with the thresholds
        assert "More seeds" in claim.would_change and "±0.10" in claim.would_change
    else:
        assert r.flips and all(f.verdict != expected for f in r.flips)
        assert all(f"{abs(f.value):.3f}" in claim.would_change for f in r.flips)
    _zh_clean(ev)


@pytest.mark.parametrize(("std", "expected"), [(1.0, "confirmed"), (1.9, "confirmed"), (0.3, "qualified"),
                                               (3.0, "qualified"), (0.2, "refuted"), (5.0, "refuted"),
                                               (12.0, "refuted")])
def test_unit_scale_outcomes_and_flips(evidence, std, expected):
    ev = evidence
    dks = _dks(ev)
    patched = _patch(ev, {**_base(ev), f"trained_scaled_std_dk{dks[-1]}": _est(std, std * 0.9, std * 1.1)})
    exp = get_experiment("q4")
    r = exp.rule(patched).claim("unit_scale")
    assert r.verdict == expected
    assert r.flips and {f.verdict for f in r.flips} == {"confirmed", "qualified", "refuted"} - {expected}
    assert assert_flips("q4", patched) >= 2
    if std != 1.0:  # the rule names where the extreme std is
        assert f"d_k={dks[-1]}" in next(c.rule for c in exp.decide(patched).claims if c.name == "unit_scale")
    _zh_clean(patched)


def test_minilm_enters_the_unit_scale(evidence):
    """MiniLM's layers (off in these runs) count: beyond 4 no std of ours can change it, and the words say so."""
    ev = _patch(evidence, _base(evidence))
    minilm = [Evidence("minilm_scaled_std_per_layer", [1.3, 2.0, 3.7], unit="std", label="MiniLM per layer",
                       label_zh="MiniLM 每层"),
              Evidence("minilm_ratio_to_independent", 1.5, (1.3, 1.9), "x", n=3, ci_kind="spread",
                       ci_method="range over the 3 layers of one model", label="ratio", label_zh="比值")]
    exp = get_experiment("q4")
    d, text = exp.judge(ev + minilm)
    assert {c.name: c.verdict for c in d.claims}["unit_scale"] == "qualified" and d.verdict == "qualified"
    assert "MiniLM layer 3" in next(c.rule for c in d.claims if c.name == "unit_scale")
    assert "3.7" in text.answer_en and "3.7" in text.answer_zh
    far = [Evidence("minilm_scaled_std_per_layer", [1.3, 5.0], unit="std", label="x", label_zh="每层"), minilm[1]]
    r = exp.rule(ev + far).claim("unit_scale")
    assert r.verdict == "refuted" and not r.flips
    claim = next(c for c in exp.decide(ev + far).claims if c.name == "unit_scale")
    assert "MiniLM" in claim.would_change and not zh_problems(claim.would_change_zh)
    _zh_clean(ev + minilm)


@pytest.mark.slow
def test_the_tiny_run_flips_hold(tiny):
    assert assert_flips("q4", tiny.evidence) == 0  # nothing learned in 30 steps: every measured claim is gated
    assert assert_flips("q4", _patch(tiny.evidence, _base(tiny.evidence))) >= 3


def test_monte_carlo_variance_grows_as_d_k():
    g = torch.Generator().manual_seed(0)
    assert dot_variance(64, 20000, g) == pytest.approx(64, rel=0.05)
    assert dot_variance(64, 20000, g, scaled=True) == pytest.approx(1, rel=0.05)
    assert dot_variance(16, 20000, g, dist="rademacher") == pytest.approx(16, rel=0.05)
    assert loglog_slope([1, 2, 4, 8], [3, 6, 12, 24]) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="dist"):
        dot_variance(4, 10, g, dist="uniform")
