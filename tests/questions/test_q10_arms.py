"""q10's two arms: differential attention (does it remove the parking, at what cost) and the streaming window that
evicts or keeps the first tokens (Xiao et al. 2023): every outcome of their rules on hand-made evidence, their
words, and the trial's exactness (same weights as the LM trial; the mask equals the streaming cache)."""

from __future__ import annotations

import pytest
import torch
from test_q10 import q10_evidence

import question_helpers as qh
from attnlab.attention import streaming_visibility
from attnlab.lab import get_experiment
from attnlab.lab.execute import execute_trial
from attnlab.lab.tuning import TUNED
from attnlab.lab.words import num
from attnlab.lab.words.lint import zh_problems
from attnlab.questions.q10_sinks import arm_evidence as arms
from attnlab.questions.q10_sinks import evidence as names
from attnlab.questions.q10_sinks import rule, trials
from attnlab.questions.q10_sinks.settings import CONDITIONS, DIFFERENTIAL, KEEP, KEPT_TOKENS, profile_settings
from attnlab.questions.q10_sinks.streaming import arm_names, stream_scores, train_lm, window_of
from attnlab.results import Evidence

D = DIFFERENTIAL
ARMS = (rule.DIFF_REMOVES, rule.DIFF_COST, rule.EVICTION)


def _e(name, value, lo, hi, unit="x uniform", n=5):
    return Evidence(name, value, (lo, hi), unit, n=n, label=name, label_zh="证据")


def arm_evidence(diff_ratio=(1.2, 1.0, 1.4), diff_drop=(0.2, 0.15, 0.25), diff_acc=(0.0, -0.01, 0.01),
                 diff_steps=(1.0, 0.9, 1.1), acc=(0.95, 0.93, 0.97), evict=(0.5, 0.3, 0.7), gap=(0.0, -0.02, 0.02),
                 evict_sink=(0.0, -0.02, 0.02), same=0.0):
    """q10's hand-made evidence (every sub-claim holds) with both arms: by default each arm's claim holds too."""
    ev = [e for e in q10_evidence(acc=acc) if e.name != names.LM_CONDITIONS]
    ev += [Evidence(names.LM_CONDITIONS, [*CONDITIONS, D]),
           Evidence(arms.DIFF_LAMBDA, [0.3, 0.5], unit="λ"),
           Evidence(names.steps(D), 100.0, None, "steps", n=5, per_seed=[100] * 5, label="steps", label_zh="步数"),
           _e(names.acc(D), *acc, unit="accuracy"), _e(names.first_max_ratio(D), *diff_ratio),
           _e(names.first_max(D), 0.1, 0.08, 0.12, unit="share"), _e(names.first_mean(D), 0.05, 0.04, 0.06, "share"),
           _e(names.sink_heads(D), 0.0, 0.0, 0.0, "heads"), _e(names.first_max_drop(D), *diff_drop, unit="share"),
           _e(names.first_mean_drop(D), 0.05, 0.03, 0.07, "share"), _e(names.acc_diff(D), *diff_acc, "accuracy"),
           _e(names.steps_ratio(D), *diff_steps, unit="x"),
           Evidence(names.lr(D), 3e-3, None, "lr", bounds=(1e-3, 1e-2), label=D, label_zh="学习率"),
           Evidence(arms.STREAM_CONDITIONS, [*CONDITIONS, D]), Evidence(arms.STREAM_WINDOW, 16, unit="tokens"),
           Evidence(arms.STREAM_SAME_WEIGHTS, same, unit="accuracy", n=20, label="same", label_zh="相同")]
    for c in (*CONDITIONS, D):
        for k in KEPT_TOKENS:
            ev += [_e(arms.evict_cost(c, k), *(evict if c == "softmax" else evict_sink), unit="nats"),
                   _e(arms.keep_gap(c, k), *(gap if c == "softmax" else (0.0, -0.02, 0.02)), unit="nats"),
                   _e(arms.evict_acc(c, k), 0.0, -0.01, 0.01, unit="accuracy")]
    return ev


STRADDLE = (2.0, 1.5, 2.5)
SAYS_ALL = ("where they barely change the output", "几乎不改变输出")
OUTCOMES = [
    ({}, rule.DIFF_REMOVES, "confirmed", SAYS_ALL),
    ({"diff_ratio": (3.0, 2.5, 3.5)}, rule.DIFF_REMOVES, "qualified",
     ("differential attention only reduces it", "差分只减弱停放")),
    ({"diff_ratio": (3.0, 2.5, 3.5), "diff_drop": (0.0, -0.05, 0.05)}, rule.DIFF_REMOVES, "refuted",
     ("differential attention keeps the parking", "差分下仍停放")),
    ({"diff_ratio": STRADDLE, "diff_drop": (0.0, -0.05, 0.05)}, rule.DIFF_REMOVES, "inconclusive",
     ("differential attention's effect is unclear", "差分效果未定")),
    ({}, rule.DIFF_COST, "confirmed", SAYS_ALL),
    ({"diff_steps": (2.0, 1.8, 2.2)}, rule.DIFF_COST, "refuted",
     ("differential attention costs accuracy or steps", "差分注意力有代价")),
    ({"diff_acc": (-0.02, -0.06, 0.02)}, rule.DIFF_COST, "inconclusive",
     ("differential attention's cost is unclear", "差分代价尚无定论")),
    ({}, rule.EVICTION, "confirmed", SAYS_ALL),
    ({"evict_sink": (0.5, 0.3, 0.7)}, rule.EVICTION, "qualified",  # the sink LMs need the first tokens too
     ("evicting them hurts only partly", "逐出仅部分有害")),
    ({"gap": (0.3, 0.2, 0.4)}, rule.EVICTION, "qualified",  # keeping the first tokens does not restore the loss
     ("evicting them hurts only partly", "逐出仅部分有害")),
    ({"evict": (0.01, 0.0, 0.02)}, rule.EVICTION, "refuted",
     ("evicting the first tokens costs nothing here", "逐出开头词元无害")),
    ({"evict": (0.1, 0.0, 0.2)}, rule.EVICTION, "inconclusive",
     ("the cost of evicting them is unclear", "逐出代价未定")),
]


@pytest.mark.parametrize(("scenario", "name", "expected", "oneline"), OUTCOMES)
def test_every_outcome_of_each_arm_with_its_flips_and_words(scenario, name, expected, oneline):
    ev = arm_evidence(**scenario)
    r = rule.decide(ev).claim(name)
    assert r.verdict == expected, (name, r)
    qh.assert_flips("q10", ev)
    said = next(c for c in get_experiment("q10").decide(ev).claims if c.name == name)
    assert r.flips or expected == "inconclusive", r
    assert all(num(f.value) in said.would_change and num(f.value) in said.would_change_zh for f in r.flips)
    text = get_experiment("q10").explain(ev)
    qh.assert_oneline(text, *oneline)
    for t in (text.answer_zh, said.statement_zh, said.because_zh, said.would_change_zh):
        assert t and not zh_problems(t), (t, zh_problems(t))
    assert ("differential attention" in text.answer_en and "差分注意力" in text.answer_zh
            and f"keeping {KEEP}" in text.answer_en)


def test_the_differential_cost_at_the_ceiling_is_only_qualified():
    ev = arm_evidence(acc=(0.99, 0.98, 1.0))
    assert rule.decide(ev).claim(rule.DIFF_COST).verdict == "qualified"
    assert rule.decide(ev).claim(rule.DIFF_COST).case == "ceiling"


def test_every_arm_claim_is_decided_when_its_arm_ran_and_left_out_when_it_did_not():
    assert {c.name for c in rule.decide(arm_evidence()).claims} == set(rule.CLAIMS)
    assert rule.decide(arm_evidence()).verdict == "confirmed"
    without = {c.name for c in rule.decide(q10_evidence()).claims}
    assert without == set(rule.CLAIMS) - set(ARMS)


def test_the_streaming_claim_needs_the_same_weights():
    r = rule.decide(arm_evidence(same=0.01)).claim(rule.EVICTION)
    assert r.verdict == "inconclusive"
    gate = next(g for g in r.gates if g.name == rule.SAME_WEIGHTS_GATE)
    assert not gate.passed
    said = next(c for c in get_experiment("q10").decide(arm_evidence(same=0.01)).claims if c.name == rule.EVICTION)
    assert any("same weights" in k.detail and not k.passed for k in said.checks)


def test_the_differential_share_is_over_the_row_sum_of_its_map():
    m = {"first_share": [[0.1, 0.2]], "sink_mass": [[0.5, 0.5]], "first_share_init": [[0.3, 0.3]]}
    out = arms.as_shares(m)
    assert out["first_share"] == [[0.2, 0.4]] and "first_share_init" not in out


def test_quick_leaves_the_arms_out_but_sweeps_the_same_conditions_as_standard():
    quick, standard = trials.trials("quick", [0, 1, 2]), trials.trials("standard", [0, 1, 2])
    assert {t.config["condition"] for t in quick if t.config["kind"] == "lm"} == set(CONDITIONS)
    assert not [t for t in quick if t.config["kind"] == "stream"]
    assert {t.config["condition"] for t in standard if t.config["kind"] == "stream"} == {*CONDITIONS, D}
    assert all(t.config["lr"] == TUNED for t in standard if t.config["kind"] != "minilm")
    swept = [[c["condition"] for c in trials.conditions(p)] for p in ("quick", "standard")]
    assert swept[0] == swept[1]


def _config(condition: str) -> dict:
    s = profile_settings("tiny")
    keys = ("n_blocks", "block_len", "d_model", "steps", "batch_size", "eval_every", "n_eval")
    return {"kind": "lm", "condition": condition, **{k: s[k] for k in keys}, "lr": 3e-3, "seed": 1}


@pytest.mark.parametrize("condition", ["softmax", D])
def test_the_stream_trial_trains_the_same_weights_as_the_lm_trial(condition):
    config = _config(condition)
    lm = execute_trial("attnlab.questions.q10_sinks.trials:lm_trial", config)["measurements"]
    st = execute_trial("attnlab.questions.q10_sinks.streaming:stream_trial", {**config, "kind": "stream"})
    m = st["measurements"]
    assert m["accuracy_full"] == lm["accuracy"] and m["first_share"] == lm["first_share"]
    assert set(m["arms"]) == set(arm_names()) and m["window"] == window_of(lm["seq_len"])


def test_the_arms_mask_is_what_the_streaming_cache_decodes():
    """The visibility the trial applies as a mask gives the logits of decoding with the streaming cache."""
    config = _config("zero")
    torch.manual_seed(config["seed"])
    model, task, _ = train_lm(config)
    ids = task.sample(2, 7).inputs
    t, w = ids.shape[1], window_of(ids.shape[1])
    for kept in (0, 1):
        caches = model.make_caches(2, sink_tokens=kept, window=w)
        with torch.no_grad():
            streamed = torch.cat([model(ids[:, i:i + 1], caches=caches).logits for i in range(t)], dim=1)
            masked = model(ids, attn_mask=streaming_visibility(t, t, kept, w)).logits
        torch.testing.assert_close(streamed, masked, atol=1e-5, rtol=1e-5)


def test_stream_scores_read_only_the_queries_beyond_the_window():
    config = _config("softmax")
    torch.manual_seed(config["seed"])
    model, task, _ = train_lm(config)
    batch = task.sample(8, 3)
    t = task.seq_len
    full = stream_scores(model, batch, None, window_of(t))
    same = stream_scores(model, batch, streaming_visibility(t, t, 0, t), window_of(t))  # a window of every key
    assert full == pytest.approx(same, abs=1e-6)
    assert 0.0 <= full["pred_accuracy"] <= 1.0 and full["loss"] > 0


def _stream_words_evidence():
    """The arms' evidence with the streaming numbers of the standard report: softmax's interval spans the margin
    (2 of 5 seeds above it), the sink variants' point estimates reach it, differential attention's lies below."""
    per = {"softmax": [0.012, 0.203, 0.036, 0.256, 0.040], "zero": [0.003, 0.128, 0.011, 0.355, 0.036],
           "learned": [0.003, 0.127, 0.010, 0.346, 0.035], D: [0.008, 0.028, 0.012, 0.004, 0.008]}
    ci = {"softmax": (0.109, -0.029, 0.248), "zero": (0.106, -0.077, 0.290), "learned": (0.104, -0.075, 0.283),
          D: (0.0122, 0.00049, 0.0238)}
    ev = [e for e in arm_evidence() if not e.name.startswith("stream_evict_minus_keep4_")]
    ev += [Evidence(arms.evict_cost(c, KEEP), ci[c][0], ci[c][1:], "nats", n=5, per_seed=per[c], label=c,
                    label_zh="证据") for c in per]
    return ev + [Evidence(arms.STREAM_SEQ_LEN, 33, unit="tokens"), Evidence(arms.STREAM_LOOKBACK, 8, unit="tokens")]


def test_eviction_words_place_each_interval_against_the_margin_and_count_the_seeds():
    from attnlab.questions.q10_sinks import arm_words

    ev = {e.name: e for e in _stream_words_evidence()}
    assert [arm_words.evict_place(ev, c) for c in ("softmax", "zero", D)] == ["spans", "spans", "below"]
    assert arm_words.seeds_above(ev, "softmax")[:2] == (2, 5)
    soft = arm_words.evict_text(ev, "softmax", "en")
    assert "2 of 5 seeds lie above it: 0.01, 0.20, 0.04, 0.26, 0.04" in soft, soft
    diff, diff_zh = arm_words.evict_text(ev, D, "en"), arm_words.evict_text(ev, D, "zh")
    assert "[0.0005, 0.0238]" in diff and "costs less than the margin" in diff, diff  # no bound printed as 0.000
    assert "逐出的代价小于界限" in diff_zh and "0.0005" in diff_zh
    assert "+0.106, +0.104" in arm_words.sinks_still_pay(ev, "en")
    assert "33-token sequences" in arm_words.regime(ev, "en") and "8 tokens back" in arm_words.regime(ev, "en")
    assert "33 个词元" in arm_words.regime(ev, "zh")
    d, text = get_experiment("q10").judge(_stream_words_evidence())
    assert {c.name: c.verdict for c in d.claims}[rule.EVICTION] == "inconclusive"
    for answer in (text.answer_en, text.summary):
        assert "not a test at their scale" in answer and "2 of 5 seeds" in answer
        assert "need no kept tokens" in answer and "costs less than the margin" in answer
    assert "不是在他们的规模上检验" in text.answer_zh and "5 个种子中 2 个" in text.answer_zh
    assert not zh_problems(text.answer_zh), zh_problems(text.answer_zh)


def test_head_maps_sort_heads_within_each_layer_and_centre_the_scale_at_zero():
    from attnlab.lab.spec import Outcomes, TrialOutcome
    from attnlab.questions.q10_sinks.plots import _head_maps

    def run(c, seed, first):
        return TrialOutcome({"kind": "lm", "condition": c, "seed": seed},
                            {"first_share": first, "sink_mass": [[0.5] * 2, [0.5] * 2]})

    outcomes = Outcomes([run("softmax", 0, [[0.1, 0.3], [0.2, 0.0]]), run("softmax", 1, [[0.5, 0.1], [0.0, 0.4]]),
                         run(D, 0, [[-0.4, 0.1], [0.0, 0.0]]), run(D, 1, [[0.1, -0.2], [0.0, 0.0]])])
    panels, scale = _head_maps(outcomes, ["softmax", D])
    def flat(panel):
        return [v for row in panel.heatmap.values for v in row]

    assert flat(panels[0]) == pytest.approx([0.4, 0.1, 0.3, 0.0])  # sorted per seed, then averaged
    # differential: each map over its row sum 1 - λ = 0.5, so -0.4 -> -0.8 and the scale reaches it
    assert flat(panels[1]) == pytest.approx([0.2, -0.6, 0.0, 0.0])
    assert scale == pytest.approx(0.6) and panels[1].heatmap.vmin == -scale and panels[1].heatmap.vmax == scale
    assert "largest first" in panels[0].xlabel
