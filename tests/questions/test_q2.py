"""q2: the tiny run, its stored verdict from ``decide``, every outcome of each sub-claim and of the whole rule,
every flip, and the texts in both languages (Chinese without English words).

The rule's tests run on evidence aggregated from made-up trial outcomes (no training), so they are fast.
"""

from __future__ import annotations

import pytest
import torch

from attnlab.lab import decide, get_experiment
from attnlab.lab.spec import EvidenceSet, Outcomes, TrialOutcome
from attnlab.lab.words import ONELINE_CHARS, ONELINE_WORDS, zh_length
from attnlab.lab.words.lint import zh_problems
from attnlab.questions.q2_qk import build_model
from attnlab.questions.q2_qk import evidence as names
from attnlab.questions.q2_qk.settings import CYCLE_CONDITIONS, TEXT_VARIANTS, profile_settings, text_settings
from attnlab.questions.q2_qk.trials import conditions
from question_helpers import (
    NEVER,
    assert_bilingual,
    assert_flips,
    assert_stored_verdict_is_its_rule,
    assert_zh_clean,
    made_up_sweep,
    onelines_for_every_outcome,
    run_tiny,
)
from question_helpers import est as _est
from question_helpers import patch as _patch

SEEDS = range(5)
# accuracy per variant: shared and none fall to the ranking bound only where attention is read linearly on 3-cycles
ACC = {"separate": 0.97, "shared": 0.95, "none": 0.9}
BOUNDED = {"shared": 0.6, "none": 0.5}


def _cycle(r: str, t: str, v: str, seed: int) -> dict:
    acc = BOUNDED[v] if (r, t) == ("attention", "asymmetric") and v in BOUNDED else ACC[v]
    return {"accuracy": acc, "steps_to_threshold": 200 + 10 * seed, "partner_first": 0.9, "weight_on_partner": 0.8,
            "curve": [[100, 0.5], [200 + 10 * seed, acc]], "steps": 600}


PARAMS = {"separate": 8608, "shared": 8064, "shared_matched": 8664}


def _text(v: str, seed: int) -> dict:
    loss = (1.9 if v == "separate" else 2.0) + 0.01 * seed
    return {"heldout_loss": loss, "heldout_accuracy": 0.4, "accuracy": 0.4, "loss": loss, "train_loss": loss,
            "init_loss": 4.5, "unigram_loss": 3.0, "majority_accuracy": 0.16, "half_loss": loss + 0.005,
            "curve": [[150, 2.5], [300, loss + 0.005], [600, loss]], "steps": 600, "n_parameters": PARAMS[v]}


MINILM = {"shares": [[0.6, 0.55, 0.7], [0.5, 0.65, 0.6]], "random_mean": 0.5, "random_std": 0.01, "tokens": ["a", "b"],
          "weights": [[[[1.0, 0.0], [0.5, 0.5]]]]}


KEYS = ("kind", "readout", "task", "variant")


def _outcomes(minilm: dict) -> Outcomes:
    s, ts = profile_settings("quick"), text_settings("quick")
    items = [TrialOutcome({"kind": "train", "readout": r, "task": t, "variant": v, "seed": seed, "lr": 3e-3, **s},
                          _cycle(r, t, v, seed)) for r, t, v in CYCLE_CONDITIONS for seed in SEEDS]
    items += [TrialOutcome({"kind": "text", "readout": "lm", "task": "text", "variant": v, "seed": seed, "lr": 3e-3,
                            "head_dim": 11 if v == "shared_matched" else 8, **ts}, _text(v, seed))
              for v in TEXT_VARIANTS for seed in SEEDS]
    items.append(TrialOutcome({"kind": "minilm", "seed": 0}, minilm))
    conds = [("train", *c) for c in CYCLE_CONDITIONS] + [("text", "lm", "text", v) for v in TEXT_VARIANTS]
    return Outcomes(items, tuning=made_up_sweep(KEYS, conds))


def _evidence(minilm: dict) -> list:
    return get_experiment("q2").aggregate(_outcomes(minilm)).evidence


@pytest.fixture(scope="module")
def evidence():
    """The evidence of a made-up quick run in which every condition learns (no trial is run)."""
    return _evidence(MINILM)


def _zh_clean(ev) -> None:
    d, text = get_experiment("q2").judge(ev)
    texts = {"answer": text.answer_zh, "oneline": text.oneline_zh,
             **{f"{c.name}.{k}": getattr(c, k) for c in d.claims for k in ("statement_zh", "because_zh",
                                                                            "would_change_zh")},
             **{f"check {k.name}": k.detail_zh for c in d.claims for k in c.checks}}
    problems = {k: zh_problems(v) for k, v in texts.items() if zh_problems(v)}
    assert not problems, problems
    assert all(c.because and c.because_zh and c.would_change and c.would_change_zh for c in d.claims)
    assert len(text.oneline_en.split()) <= ONELINE_WORDS and 0 < zh_length(text.oneline_zh) <= ONELINE_CHARS


GAIN_ATT = names.gain("attention", "asymmetric", "shared")
GAIN_BLOCK, SPEED_BLOCK = names.gain("block", "asymmetric", "shared"), names.speedup("block", "asymmetric", "shared")
SUB_CLAIMS = {
    ("expressive_power", "confirmed"): {},
    ("expressive_power", "refuted"): {GAIN_ATT: _est(0.0, -0.02, 0.01)},
    ("expressive_power", "inconclusive"): {GAIN_ATT: _est(0.05, 0.0, 0.1)},
    ("helps_in_practice", "qualified"): {},  # accuracy gain 0.02 and steps ratio 1: the feed-forward layer compensates
    ("helps_in_practice", "confirmed"): {SPEED_BLOCK: _est(2.5, 2.0, 3.0)},
    ("helps_in_practice", "refuted"): {GAIN_BLOCK: _est(-0.1, -0.15, -0.06)},
    ("helps_in_practice", "inconclusive"): {SPEED_BLOCK: _est(1.4, 1.2, 1.6)},
    ("helps_on_text", "confirmed"): {},
    ("helps_on_text", "refuted"): {names.TEXT_GAIN_MATCHED: _est(0.002, -0.005, 0.009)},
    ("helps_on_text", "inconclusive"): {names.TEXT_GAIN_MATCHED: _est(0.03, 0.0, 0.06)},
}
STILL_FALLING = {names.text_fall("shared_matched"): _est(0.13, 0.1, 0.16)}  # not yet at a plateau
REFUTED = {GAIN_ATT: _est(0.0, -0.02, 0.01), GAIN_BLOCK: _est(-0.1, -0.15, -0.06),
           names.TEXT_GAIN_MATCHED: _est(0.002, -0.005, 0.009)}


@pytest.mark.parametrize("claim, expected", list(SUB_CLAIMS))
def test_each_sub_claim_gives_each_of_its_outcomes_and_its_flips_hold(evidence, claim, expected):
    patched = _patch(evidence, SUB_CLAIMS[(claim, expected)])
    r = get_experiment("q2").rule(patched).claim(claim)
    assert r.verdict == expected
    assert r.flips  # each sub-claim says what would change it, read off the rule
    assert all(f.verdict != expected for f in r.flips)  # never the state it is already in
    assert_flips("q2", patched)
    _zh_clean(patched)


def test_rule_gives_every_overall_outcome(evidence):
    scenarios = {
        "confirmed": {SPEED_BLOCK: _est(2.5, 2.0, 3.0)},
        "qualified": {},
        "refuted": REFUTED,
        "inconclusive": {names.steps("attention", "asymmetric", "separate"): NEVER},
    }
    exp = get_experiment("q2")
    for expected, changes in scenarios.items():
        d, text = exp.judge(_patch(evidence, changes))
        assert d.verdict == expected, (expected, d.rule)
        assert text.answer_en and text.answer_zh and text.summary
        if expected != "inconclusive":
            assert "0.97" in text.answer_en and "0.97" in text.answer_zh
        _zh_clean(_patch(evidence, changes))
    # fewer than half of the sub-claims decided: the whole question is open
    open_two = {GAIN_ATT: _est(0.05, 0.0, 0.1), **STILL_FALLING}
    assert exp.rule(_patch(evidence, open_two)).verdict == "inconclusive"
    # expressive power open but the rest decided: qualified (the one combination rule)
    assert exp.rule(_patch(evidence, {GAIN_ATT: _est(0.05, 0.0, 0.1)})).verdict == "qualified"



def test_one_line_answer_for_every_outcome(evidence):
    """Every verdict, and every way to reach it that the one-liner words differently, gives one sentence with its
    number in both languages."""
    faster = {SPEED_BLOCK: _est(2.5, 2.0, 3.0)}
    scenarios = {  # name: (verdict, changes, number in English, number in Chinese)
        "confirmed": ("confirmed", faster, "0.60", "0.60"),
        "qualified": ("qualified", {}, "0.60", "0.60"),
        "qualified_block_better_shared": ("qualified", {GAIN_BLOCK: _est(-0.1, -0.15, -0.06)}, "0.60", "0.60"),
        "qualified_block_open": ("qualified", {SPEED_BLOCK: _est(1.4, 1.2, 1.6)}, "0.60", "0.60"),
        "qualified_text": ("qualified", {**faster, names.TEXT_GAIN_MATCHED: _est(0.002, -0.005, 0.009)},
                           "0.02 nats", "0.02 奈特"),
        "qualified_text_open": ("qualified", {**faster, names.TEXT_GAIN_MATCHED: _est(0.03, 0.0, 0.06)}, "0.60",
                                "0.60"),
        "qualified_text_still_falling": ("qualified", {**faster, **STILL_FALLING}, "unsettled", "尚无定论"),
        "qualified_power_refuted": ("qualified", {**faster, GAIN_ATT: _est(0.0, -0.02, 0.01)}, "0.00", "0.00"),
        "qualified_power_open": ("qualified", {**faster, GAIN_ATT: _est(0.05, 0.0, 0.1)}, "0.05", "0.05"),
        "refuted": ("refuted", REFUTED, "0.00", "0.00"),
        "inconclusive": ("inconclusive", {names.steps("attention", "asymmetric", "separate"): NEVER}, "none of 5",
                         "没有一个种子"),
        "inconclusive_control": ("inconclusive", {names.steps("attention", "symmetric", "shared"): {
            "value": "> 800", "per_seed": [100, 100, None, None, None], "n": 5}}, "only 2 of 5", "只有 2 个种子"),
        "inconclusive_power": ("inconclusive", {GAIN_ATT: _est(0.05, 0.0, 0.1), **STILL_FALLING}, "0.05", "0.05"),
        "inconclusive_practice": ("inconclusive", {SPEED_BLOCK: _est(1.4, 1.2, 1.6), **STILL_FALLING}, "0.60",
                                  "0.60"),
        "inconclusive_standard": ("inconclusive", {names.READ_AT: {"value": [300, 600]}}, "same step", "同一步"),
    }
    onelines_for_every_outcome("q2", evidence, scenarios)


def test_a_text_lm_that_did_not_learn_leaves_the_text_sub_claim_open(evidence):
    ev = _patch(evidence, {names.text_loss("shared"): _est(2.9, 2.8, 3.0)})  # not below 0.8 x the unigram's 3.0
    d = decide("q2", ev)
    text = next(c for c in d.claims if c.name == "helps_on_text")
    assert d.verdict == "qualified" and text.verdict == "inconclusive"
    assert "2.900" in text.because and "0.8" in text.because
    assert "奈特/字符" in text.because_zh and not zh_problems(text.because_zh)


def test_a_text_lm_still_improving_leaves_the_text_sub_claim_open(evidence):
    d = decide("q2", _patch(evidence, STILL_FALLING))
    text = next(c for c in d.claims if c.name == "helps_on_text")
    assert text.verdict == "inconclusive" and "still improving" in text.because and "0.160" in text.because
    assert "仍在改进" in text.because_zh and not zh_problems(text.because_zh)


def test_the_text_comparison_is_at_equal_parameters(evidence):
    ev = EvidenceSet(evidence)
    assert abs(ev[names.TEXT_PARAM_GAP].number) < 0.01
    # the unmatched gain alone does not decide: only the matched one does
    assert decide("q2", _patch(evidence, {names.TEXT_GAIN: _est(0.002, -0.005, 0.009)})).claims[2].verdict == \
        "confirmed"
    cs = conditions("tiny")
    text = {c["variant"]: c for c in cs if c["kind"] == "text"}
    assert text["shared_matched"]["head_dim"] > text["shared"]["head_dim"] == text["separate"]["head_dim"]
    assert len({c["steps"] for c in cs}) == 1  # one budget for every trained run


def test_no_gain_on_text_is_said_beside_reformer(evidence):
    no_text = {names.TEXT_GAIN_MATCHED: _est(0.002, -0.005, 0.009)}
    d, text = get_experiment("q2").judge(_patch(evidence, no_text))
    assert d.verdict == "qualified" and {c.name: c.verdict for c in d.claims}["helps_on_text"] == "refuted"
    assert "no gain of 0.02 nats/char or more on text" in text.answer_en and "Reformer" in text.answer_en
    assert "奈特/字符" in text.answer_zh


def test_the_standard_checks_gate_every_sub_claim(evidence):
    d = decide("q2", evidence)
    names_ = [c.name for c in d.checks]
    assert all(n in names_ for n in ("learned", "lr_tuned", "equal_budget", "below_ceiling"))
    for changes in ({names.READ_AT: {"value": [300, 600]}},
                    {names.acc("block", "asymmetric", "shared"): _est(0.3, 0.2, 0.35)},
                    {names.lr("lm", "text", "shared"): {"value": 1e-2}}):
        d = decide("q2", _patch(evidence, changes))
        assert d.verdict == "inconclusive" and all(c.verdict == "inconclusive" for c in d.claims), changes


def test_what_would_change_helps_on_text_is_not_its_current_state(evidence):
    """The issue: "what would change it" of a confirmed text sub-claim described the state it was already in."""
    c = next(c for c in decide("q2", evidence).claims if c.name == "helps_on_text")
    assert c.verdict == "confirmed"
    assert "0.010" in c.would_change and "refuted" in c.would_change and "confirmed" not in c.would_change


def test_answers_are_built_from_the_numbers(evidence):
    exp = get_experiment("q2")
    ev = _patch(evidence, {names.acc("attention", "asymmetric", "separate"): _est(0.987, 0.98, 0.99),
                           names.acc("attention", "asymmetric", "shared"): _est(0.612, 0.6, 0.62),
                           GAIN_ATT: _est(0.375, 0.36, 0.39)})
    first = exp.explain(ev)
    assert "0.99" in first.answer_en and "0.61" in first.answer_en and "0.99" in first.answer_zh
    second = exp.explain(_patch(ev, {names.acc("attention", "asymmetric", "shared"): _est(0.543, 0.5, 0.6)}))
    assert "0.54" in second.answer_en and "0.54" in second.answer_zh and second.answer_en != first.answer_en
    assert "0.60" in first.answer_en and "0.60" in first.answer_zh  # MiniLM's mean symmetric share


def test_steps_that_cannot_be_compared_are_said_so(evidence):
    ev = _patch(evidence, {names.steps("block", "asymmetric", "shared"): NEVER,
                           SPEED_BLOCK: {"value": "undefined", "ci": None}})
    d, text = get_experiment("q2").judge(ev)
    block = next(c for c in d.claims if c.name == "helps_in_practice")
    assert "cannot be compared (5/5 seeds reached 0.95 with separate, 0/5 with shared)" in block.because
    assert "undefined" not in text.summary + text.answer_en and "无法比较" in text.answer_zh
    assert not zh_problems(block.because_zh) and not zh_problems(text.answer_zh)


def test_without_the_text_lm_or_minilm_two_sub_claims_decide():
    ev = [e for e in _evidence({"unavailable": "switched off in tests"})
          if not e.name.startswith(("text_", "lr_lm_"))]
    d, text = get_experiment("q2").judge(ev)
    assert [c.name for c in d.claims] == ["expressive_power", "helps_in_practice"]
    assert d.verdict == "qualified" and "helps on text" not in d.rule and "MiniLM" not in text.answer_en


def test_build_model_none_is_the_identity_and_bad_names_fail():
    m = build_model("attention", "none", vocab_size=10, n_classes=4, max_len=8, d_model=16)
    assert torch.equal(m.attn.q_proj.weight, torch.eye(16)) and not m.attn.q_proj.weight.requires_grad
    assert build_model("block", "separate", vocab_size=10, n_classes=4, max_len=8, d_model=16)(
        torch.zeros(2, 8, dtype=torch.long))[0].shape == (2, 8, 4)
    with pytest.raises(ValueError, match="readout, variant"):
        build_model("conv", "shared", vocab_size=10, n_classes=4, max_len=8, d_model=16)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return run_tiny(["q2"], tmp_path_factory)["q2"]


@pytest.mark.slow
def test_tiny_run_stores_the_verdict_of_its_own_evidence_in_both_languages(tiny):
    assert_stored_verdict_is_its_rule(tiny)
    assert_bilingual(tiny)
    assert_zh_clean(tiny)
    assert_flips("q2", tiny.evidence)
