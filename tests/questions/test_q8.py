"""q8 (score functions): the tiny run, its stored verdict from ``decide``, every outcome of each sub-claim and of
the whole rule, every flip, clean Chinese, and the trials' helpers on inputs whose answer is known."""

from __future__ import annotations

import pytest
import torch

from attnlab.lab import decide, get_experiment, stats
from attnlab.lab.words.lint import zh_problems
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
    est,
    patch,
    run_tiny,
)

CLAIMS = ("additive_beats_unscaled_at_large_d", "scaling_closes_the_gap", "multiplicative_competitive_at_small_d",
          "dot_faster_and_smaller")

# ---------------------------------------------------------------------------------------------- the tiny run


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny profile of q8, run once in this process (about 12 s: the tests that use it are marked slow)."""
    return run_tiny(["q8"], tmp_path_factory)["q8"]


@pytest.mark.slow
def test_tiny_run_verdict_equals_decide_on_its_evidence(tiny, tmp_path):
    assert_stored_verdict_is_its_rule(tiny)
    assert [c.name for c in tiny.claims] == list(CLAIMS)
    assert tiny.rule.startswith(tiny.verdict)
    assert tiny.claims and tiny.checks and tiny.literature and tiny.figures
    from attnlab.report.figures import draw_result

    files = draw_result(tiny, tmp_path)
    assert files and all((tmp_path / "q8" / f).is_file() for f in files)
    names = {e.name for e in tiny.evidence}
    assert {"steps_transformer_dk128_dot", "ratio_transformer_dk32_dot_additive", "ms_layer_additive",
            "ms_layer_ref_additive", "memory_additive_auto", "baseline_transformer_no_lookup", "steps_rnn_general",
            "lr_rnn_general", "read_at_step"} <= names
    assert {"ms_layer_additive", "time_ratio_layer_ref_additive", "time_ratio_step_additive"} <= {
        e.name for e in tiny.evidence if e.timing}
    assert {c.name for c in tiny.checks} >= {"learned", "lr_tuned", "equal_budget", "below_ceiling"}


@pytest.mark.slow
def test_tiny_run_speaks_english_and_chinese(tiny):
    assert_bilingual(tiny)
    assert_zh_clean(tiny)
    assert_flips("q8", tiny.evidence)


# ---------------------------------------------------------------------------------------------- the trials


@pytest.fixture
def extra_score():
    """A score registered by a test (then removed): it must never reach q8's grid."""
    from attnlab.attention import scores

    @scores.register_score("test_only_neg_l2")
    class NegL2(scores.Score):
        def pairwise(self, qp, kp):
            return -torch.cdist(qp, kp).pow(2)

    yield "test_only_neg_l2"
    scores._REGISTRY.pop("test_only_neg_l2", None)


def test_trains_the_builtin_scores_only(extra_score):
    from attnlab.attention import list_scores
    from attnlab.questions.q8_scores.settings import SCORES
    from attnlab.questions.q8_scores.trials import trials

    assert extra_score in list_scores()
    assert set(SCORES) == {"dot", "scaled_dot", "general", "additive"} and set(SCORES) <= set(list_scores())
    grid = trials("tiny", [0, 1])
    used = {t.config["score"] for t in grid if "score" in t.config}
    used |= {s for t in grid for s in t.config.get("scores", [])}
    assert used == set(SCORES)
    assert [t for t in grid if t.exclusive] and all(t.threads == 2 for t in grid if t.exclusive)
    trained = [t for t in grid if "score" in t.config]
    assert {t.config["lr"] for t in trained} == {"tuned"}  # every condition at its own rate
    assert len({t.config["steps"] for t in trained}) == 1  # one budget for every condition


def test_head_width_alone_varies():
    from attnlab.data import make_task
    from attnlab.questions.q8_scores.settings import HEAD_DIMS, LOOKUP
    from attnlab.questions.q8_scores.trials import transformer

    task = make_task("lookup", **LOOKUP)
    for hd in HEAD_DIMS:
        attn = transformer("dot", hd, task).layers[0].attn if hasattr(transformer("dot", hd, task), "layers") else None
        m = transformer("dot", hd, task)
        assert m.config.n_heads == 1 and m.config.d_model == 64
        assert m.config.attention.head_dim == hd if hasattr(m.config, "attention") and not isinstance(
            m.config.attention, dict) else True
        del attn


def test_rnn_forward_feeds_the_shifted_targets():
    from attnlab.data import make_task
    from attnlab.models import RNNSeq2Seq
    from attnlab.questions.q8_scores.trials import reverse_forward

    task = make_task("reverse", length=4, n_symbols=5)
    batch = task.sample(3, 0)
    seen = {}

    class Spy(RNNSeq2Seq):
        def forward(self, src, tgt, **kw):
            seen["src"], seen["tgt"] = src, tgt
            return super().forward(src, tgt, **kw)

    model = Spy(src_vocab_size=task.vocab_size, tgt_vocab_size=6, d_model=8, score="dot")
    logits = reverse_forward(4, 5)(model, batch)
    assert logits.shape == (3, 9, 6)
    assert torch.equal(seen["src"], batch.inputs[:, :4])
    assert torch.equal(seen["tgt"][:, 0], torch.full((3,), 5))  # BOS
    assert torch.equal(seen["tgt"][:, 1:], batch.targets[:, 5:8])  # y shifted right
    assert torch.equal(batch.targets[:, 5:], (batch.inputs[:, :4] - 3).flip(1))


def test_saved_bytes_counts_what_backward_keeps():
    from attnlab.questions.q8_scores.trials import saved_bytes

    x = torch.randn(256, requires_grad=True)
    assert saved_bytes(lambda: (x * x).sum()) == 256 * 4  # x is saved once for both factors
    assert saved_bytes(lambda: (x + 1).sum()) == 0


# ---------------------------------------------------------------------------------------------- the rule


def _steps(name, reached, steps=100, n=5):
    return stats.steps_evidence(name, [steps] * reached + [None] * (n - reached), 600, label=name)


def _evidence(*, large=None, small=None, rnn=None, scaled=(0.6, 0.5, 0.8), layer=(3.0, 2.5, 3.5), mem=(2.0, 1.0),
              busy=None, rnn_scaled=None):
    """Synthetic q8 evidence. ``large``/``small``/``rnn``: {score: (reached, ratio to additive, lo, hi)}; the middle
    width is as ``large``. ``layer`` and ``mem`` are additive's time and memory over scaled_dot's on the same
    materialising kernel; ``scaled`` scaled_dot / additive everywhere, ``rnn_scaled`` in the LSTM if given."""
    from attnlab.questions.q8_scores.evidence import pairs
    from attnlab.questions.q8_scores.settings import MODELS, SCORES

    large = large or {"dot": (0, 4.0, 3.5, 4.5), "general": (0, 4.0, 3.5, 4.5)}
    small = small or {"dot": (5, 0.5, 0.4, 0.6), "general": (5, 0.5, 0.4, 0.6)}
    rnn = rnn or {"dot": (5, 0.8, 0.6, 1.0), "general": (5, 0.8, 0.6, 1.0)}
    ev = [Evidence("baseline_transformer_chance", 0.06), Evidence("baseline_transformer_no_lookup", 0.26),
          Evidence("baseline_rnn_chance", 0.125), Evidence("baseline_rnn_bag_of_words", 0.3),
          Evidence("read_at_step", [400]), Evidence("eval_every", 25)]
    spec = dict(zip(MODELS, (small, large, large, rnn), strict=True))
    for model in MODELS:
        ev.append(Evidence(f"budget_{model}", 400))
        for sc in SCORES:
            ev.append(Evidence(f"lr_{model}_{sc}", 3e-3, bounds=(1e-3, 1e-2)))
            k = spec[model][sc][0] if sc in spec[model] else 5
            ev.append(_steps(f"steps_{model}_{sc}", k))
            ev.append(Evidence(f"acc_{model}_{sc}", 0.95 if k else 0.2, (0.9, 1.0) if k else (0.1, 0.3)))
        for a, b in pairs(model):
            if b == "additive" and a in spec[model]:
                r = spec[model][a][1:]
            elif (a, b) == ("scaled_dot", "additive"):
                r = rnn_scaled if model == "rnn" and rnn_scaled else scaled
            else:
                r = (1.0, 0.9, 1.1)
            ev.append(Evidence(f"ratio_{model}_{a}_{b}", r[0], r[1:]))
    ev += [Evidence("time_ratio_layer_ref_additive", layer[0], layer[1:]), Evidence("time_ratio_step_additive", 1.5),
           Evidence("time_ratio_layer_additive", 20.0, (18.0, 22.0)), Evidence("timing_length", 256),
           Evidence("memory_additive_reference", [1.0, mem[0]]), Evidence("memory_scaled_dot_reference", [1.0, 1.0]),
           Evidence("memory_additive_auto", [1.0, 1.5]), Evidence("memory_scaled_dot_auto", [1.0, 1.0])]
    if busy is not None:
        ev += [Evidence("others_cores", busy, unit="cores"), Evidence("machine_cpus", 2.0)]
    return ev


SAME = {"dot": (5, 1.0, 0.8, 1.2), "general": (5, 1.0, 0.8, 1.2)}
SLOW = {"dot": (5, 3.0, 2.0, 4.0), "general": (5, 3.0, 2.0, 4.0)}
UNSURE = {"dot": (5, 1.5, 1.2, 1.9), "general": (5, 1.5, 1.2, 1.9)}
DEAD = {sc: (0, 1.0, 0.9, 1.1) for sc in ("dot", "general", "scaled_dot", "additive")}

# (sub-claim, expected verdict, expected case, _evidence keyword arguments, what the one-line answer says (en, zh))
OUTCOMES = [
    (0, "confirmed", "gap_grows", {}, ("in 0/5 runs", "5 个种子都没学会")),
    (0, "qualified", "partly", {"small": SLOW}, ("additive also leads at d_k=8", "d_k=8 时加性打分也领先")),
    (0, "qualified", "partly", {"large": {"dot": (0, 4.0, 3.5, 4.5), "general": (5, 1.0, 0.8, 1.2)}},
     ("general keeps up", "通用打分跟得上")),
    (0, "refuted", "keeps_up", {"large": SAME}, ("unscaled scores keep up", "1.00 倍")),
    (1, "confirmed", "closes", {}, ("scaled dot in 5/5", "5 个种子都没学会")),
    # the LSTM's counter-result: scaled dot needs twice additive's steps there, while it keeps up in the Transformer
    (1, "qualified", "partly", {"rnn_scaled": (2.0, 1.6, 2.5)},
     ("scaled dot sometimes trails additive", "缩放点积有时慢于加性打分")),
    (1, "refuted", "stays", {"scaled": (3.0, 2.0, 4.0)}, ("scaling leaves a gap", "缩放没有消除差距")),
    (1, "inconclusive", "unclear", {"scaled": (1.5, 1.2, 1.9)}, ("scaling's effect is unsettled", "缩放能否")),
    (0, "inconclusive", "unclear", {"large": UNSURE}, ("additive's lead is unsettled", "1.50 倍")),
    (2, "confirmed", "all_competitive", {}, ("in 0/5 runs", "5 个种子都没学会")),
    (2, "qualified", "some_competitive", {"small": SLOW}, ("additive also leads", "加性打分也领先")),
    (2, "refuted", "all_slower", {"small": SLOW, "rnn": SLOW}, ("additive also leads", "加性打分也领先")),
    (2, "inconclusive", "unclear", {"small": UNSURE, "rnn": UNSURE}, ("in 0/5 runs", "5 个种子都没学会")),
    (3, "confirmed", "both", {}, ("in 0/5 runs", "5 个种子都没学会")),
    (3, "qualified", "faster_only", {"mem": (1.1, 1.0)}, ("memory is only 1.10x", "内存仅 1.10 倍")),
    (3, "qualified", "smaller_only", {"layer": (1.2, 1.1, 1.3)}, ("only 1.2x slower", "只慢 1.2 倍")),
    (3, "refuted", "neither", {"layer": (1.2, 1.1, 1.3), "mem": (1.1, 1.0)}, ("under 1.5x", "都不到 1.5 倍")),
    (3, "inconclusive", "unclear", {"layer": (1.5, 1.2, 1.9), "mem": (1.1, 1.0)},
     ("speed gap is unsettled", "速度差距尚无定论")),
    (3, "inconclusive", "gate_failed", {"busy": 1.5}, ("timings were disturbed", "计时时机器太忙")),
]




@pytest.mark.parametrize(("claim", "verdict", "case", "kw", "oneline"), OUTCOMES)
def test_rule_gives_every_outcome_of_every_sub_claim(claim, verdict, case, kw, oneline):
    exp = get_experiment("q8")
    ev = _evidence(**kw)
    r = exp.rule(ev).claims[claim]
    assert (r.name, r.verdict, r.case) == (CLAIMS[claim], verdict, case)
    if case != "gate_failed":  # a decided one (and an undecided one) says what would change it, and it is true
        assert r.flips
    assert assert_flips("q8", ev) >= len(CLAIMS) - 1
    d, text = exp.judge(ev)
    c = d.claims[claim]
    assert c.rule.startswith(verdict) and c.because and c.because_zh and c.would_change and c.would_change_zh
    for f in r.flips:  # the sentence states the flip's verdict
        assert any(w in c.would_change for w in (f.verdict,)), (f, c.would_change)
    for t in (c.statement_zh, c.because_zh, c.would_change_zh, text.answer_zh):
        assert not zh_problems(t), (t, zh_problems(t))
    assert_oneline(text, *oneline)


@pytest.mark.parametrize(("verdict", "kw", "oneline"), [
    ("confirmed", {}, ("as the papers say, at d_k=128 unscaled dot learned in 0/5 runs", "与文献一致")),
    # the chunked kernel removes additive's memory cost
    ("qualified", {"mem": (1.1, 1.0)}, ("mostly as the papers say", "大体与文献一致")),
    # every decided sub-claim refuted: unscaled as good as additive at large d_k, scaled dot slower everywhere,
    # the multiplicative scores slower at small d_k and in the LSTM, no cost gap
    ("refuted", {"large": SAME, "scaled": (3.0, 2.0, 4.0), "small": SLOW, "rnn": SLOW, "layer": (1.2, 1.1, 1.3),
                 "mem": (1.1, 1.0)}, ("unlike Britz et al.", "与 Britz 等人不同")),
    # Britz's claim undecided, the others hold: qualified by the one combination rule
    ("qualified", {"large": UNSURE}, ("additive's lead is unsettled", "加性打分的 1.50 倍")),
    # too few decided
    ("inconclusive", {"large": UNSURE, "scaled": (1.5, 1.2, 1.9), "layer": (1.5, 1.2, 1.9), "mem": (1.1, 1.0)},
     ("too close to the 1.5x bar", "紧贴 1.5 倍的界线")),
    # nothing learned at large d_k: the standard learned check fails and no verdict stands
    ("inconclusive", {"large": DEAD}, ("did not beat its trivial baseline", "没有超过平凡基线")),
    # the best score learned in 2 of 5 runs: the check fails
    ("inconclusive", {"large": {sc: (2, 1.0, 0.9, 1.1) for sc in DEAD}}, ("only 2/5 runs", "5 个种子中有 2 个学会")),
    # neither unscaled dot nor additive learned at large d_k, scaled dot did: additive fails the learned check
    ("inconclusive", {"large": {"dot": (0, 1.0, 0.9, 1.1), "general": (5, 1.5, 1.2, 1.9),
                                "additive": (0, 1.0, 0.9, 1.1)}}, ("did not beat its trivial baseline", "平凡基线")),
    # Luong's claim in part, every other sub-claim holds
    ("qualified", {"rnn": SLOW}, ("only 2/4 of Luong's cases hold", "Luong 等人的结论只部分成立")),
    ("qualified", {"rnn": UNSURE}, ("only 2/4 of Luong's cases hold", "Luong 等人的结论只部分成立")),
])
def test_rule_gives_every_overall_outcome(verdict, kw, oneline):
    d, text = get_experiment("q8").judge(_evidence(**kw))
    assert d.verdict == verdict, d.rule
    assert d.rule.startswith(verdict)
    if kw.get("large") is DEAD:
        assert any(not c.passed for c in d.checks if c.name == "learned")
    assert_oneline(text, *oneline)


def test_flips_move_a_number_just_across_the_margin():
    r = get_experiment("q8").rule(_evidence()).claims[0]  # Britz confirmed
    assert {(f.evidence, f.verdict) for f in r.flips} == {("ratio_transformer_dk8_dot_additive", "qualified")}
    assert r.flips[0].value == pytest.approx(1.65)
    d = decide("q8", _evidence())
    assert "1.650" in d.claims[0].would_change and "1.650" in d.claims[0].would_change_zh


def _decided_base(ev):
    reached = {e.name: REACHED for e in ev if e.name.startswith("steps_")}
    return {**reached, "steps_transformer_dk128_dot": NEVER, "steps_transformer_dk128_general": NEVER,
            **{f"ratio_transformer_dk8_{sc}_additive": est(0.5, 0.4, 0.6) for sc in ("dot", "general")},
            **{f"ratio_rnn_{sc}_additive": est(0.8, 0.6, 1.0) for sc in ("dot", "general")},
            "ratio_transformer_dk128_scaled_dot_additive": est(0.6, 0.5, 0.8),
            "time_ratio_layer_ref_additive": est(3.75, 2.5, 5.0), "memory_additive_reference": {"value": [1.0, 4.0]},
            "memory_scaled_dot_reference": {"value": [1.0, 1.0]},
            "others_cores": {"value": 0.0}}  # timed on a quiet machine (the tests may load it)


def test_answers_follow_every_outcome():
    ev = _evidence(busy=0.0)
    base = _decided_base(ev)
    same = {f"ratio_transformer_dk128_{sc}_additive": est(1.0, 0.8, 1.2) for sc in ("dot", "general")}
    scenarios = {
        "confirmed": base,
        "qualified": {**base, "memory_additive_reference": {"value": [1.0, 1.1]}},
        "refuted": {**base, **same, "steps_transformer_dk128_dot": REACHED, "steps_transformer_dk128_general": REACHED,
                    "time_ratio_layer_ref_additive": est(1.0, 0.9, 1.1),
                    "memory_additive_reference": {"value": [1.0, 1.1]},
                    **{f"ratio_{m}_scaled_dot_additive": est(3.0, 2.0, 4.25) for m in
                       ("transformer_dk8", "transformer_dk32", "transformer_dk128", "rnn")},
                    **{f"ratio_{m}_{sc}_additive": est(3.0, 2.0, 4.25) for m in ("transformer_dk8", "rnn")
                       for sc in ("dot", "general")}},
        "inconclusive": {**base, **{f"steps_transformer_dk128_{sc}": NEVER for sc in ("scaled_dot", "additive")}},
    }
    answers_for_every_outcome("q8", ev, scenarios, {"confirmed": "3.75", "qualified": "1.10", "refuted": "3.00"})
    exp = get_experiment("q8")
    onelines = {"confirmed": ("in 0/5 runs", "5 个种子都没学会"), "qualified": ("memory is only 1.10x", "1.10 倍"),
                "refuted": ("unlike Britz et al.", "与 Britz 等人不同"),
                "inconclusive": ("no score learned", "所有打分")}
    for verdict, changes in scenarios.items():  # every text of every outcome is clean Chinese; every flip holds
        patched = patch(ev, changes)
        d, text = exp.judge(patched)
        assert_oneline(text, *onelines[verdict])
        zh = [text.answer_zh] + [t for c in d.claims for t in (c.statement_zh, c.because_zh, c.would_change_zh)]
        zh += [k.detail_zh for c in d.claims for k in c.checks]
        assert all(not zh_problems(t) for t in zh), [(t, zh_problems(t)) for t in zh if zh_problems(t)]
        assert "undefined" not in text.answer_en and "None" not in text.answer_en
        assert_flips("q8", patched)
    # timed while other processes kept the cores busy: the timing sub-claim cannot be decided
    busy = decide("q8", patch(ev, {**base, "others_cores": {"value": 1.5}}))
    cost = next(c for c in busy.claims if c.name == "dot_faster_and_smaller")
    assert cost.verdict == "inconclusive" and cost.checks[0].name == "quiet_machine" and busy.verdict == "qualified"
    assert "1.50" in cost.would_change and "1.50" in cost.would_change_zh and "Time again" in cost.would_change
