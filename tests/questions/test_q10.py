"""q10 (why heads attend to the first token): its tiny run, its rule on hand-made evidence (every outcome of every
sub-claim, every flip applied), its words in English and Chinese, and the probes behind it."""

from __future__ import annotations

import dataclasses

import pytest
import torch

import question_helpers as qh
from attnlab.analysis.sinks import first_token_share, sink_mass, uniform_first_share
from attnlab.data import BlockCopyTask
from attnlab.data.tasks import IGNORE_INDEX
from attnlab.lab import get_experiment, list_questions
from attnlab.lab.words import num
from attnlab.lab.words.lint import zh_problems
from attnlab.questions.q10_sinks import QUESTION, rule, trials
from attnlab.questions.q10_sinks import evidence as names
from attnlab.questions.q10_sinks.settings import CONDITIONS
from attnlab.results import Evidence

CLAIMS = {rule.ENCODER_PARKS, rule.CARRIES_LITTLE, rule.LM_SINK, rule.SINK_REMOVES, rule.NO_COST,
          rule.DIFF_REMOVES, rule.DIFF_COST, rule.EVICTION}  # the tiny profile runs both arms


# ---------------------------------------------------------------------------------------------------- tiny run
@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny profile of q10, run once in this process (the real model is off in tests)."""
    return qh.run_tiny(["q10"], tmp_path_factory)["q10"]


@pytest.mark.slow
def test_tiny_run_verdict_is_its_rule_on_its_evidence(tiny, tmp_path):
    from attnlab.report.figures import draw_result

    qh.assert_stored_verdict_is_its_rule(tiny)
    assert tiny.profile == "tiny"
    assert tiny.rule.startswith(tiny.verdict) and tiny.summary and tiny.answer["en"] and tiny.answer["zh"]
    assert {c.name for c in tiny.claims} == CLAIMS
    files = draw_result(tiny, tmp_path)
    assert files and all((tmp_path / "q10" / f).is_file() for f in files)
    # the real model is switched off in tests: the encoder sub-claims say so, no map stands in
    assert not next(c for c in tiny.checks if c.name == rule.MINILM_GATE).passed
    assert tiny.verdict == "inconclusive" and tiny.attention_maps == []
    ev = {e.name: e for e in tiny.evidence}  # the learned sink logits and the statistic's null are recorded
    assert len(ev[names.SINK_LOGIT_HEADS].value) == 2 and ev[names.SINK_LOGIT_MAX_ABS].n == len(tiny.seeds)
    assert {names.first_max_ratio_init("softmax"), names.first_max_growth("softmax"), names.LM_HEADS} <= set(ev)


@pytest.mark.slow
def test_tiny_run_speaks_english_and_chinese(tiny):
    qh.assert_bilingual(tiny)
    qh.assert_zh_clean(tiny)
    assert tiny.oneline["en"].startswith("Not settled yet") and tiny.oneline["zh"].startswith("尚无定论")
    assert not zh_problems(tiny.oneline["zh"])
    names_ = {e.name for e in tiny.evidence}
    for c in tiny.claims:  # every evidence a claim names exists, even with the real model off
        assert set(c.evidence) <= names_, (c.name, set(c.evidence) - names_)
    qh.assert_flips("q10", tiny.evidence)


def test_q10_is_beyond_the_seed_and_listed_after_q9():
    qs = [q.qid for q in list_questions()]
    assert QUESTION.group == "beyond" and QUESTION.question_zh and not zh_problems(QUESTION.question_zh)
    assert qs.index("q10") == qs.index("q9") + 1


# ---------------------------------------------------------------------------------------------------- the rule
def _e(name, value, lo=None, hi=None, unit="accuracy", n=5):
    return Evidence(name, value, None if lo is None else (lo, hi), unit, n=n, label=name, label_zh="证据")


def _steps(name, reached=5, n=5):
    return Evidence(name, 100.0, None, "steps", n=n, per_seed=[100] * reached + [None] * (n - reached),
                    label=name, label_zh="步数")


def q10_evidence(park=(5.0, 4.0, 6.0), little=(0.2, 0.15, 0.25), lm_ratio=(4.0, 3.0, 5.0),
                 with_sink=(1.2, 1.0, 1.4), acc_diff=(0.0, -0.01, 0.01), reached=5, minilm=True,
                 acc=(0.95, 0.93, 0.97), growth=(3.0, 2.0, 4.0), logit=(0.1, 0.05, 0.15), steps=(1.0, 0.9, 1.1)):
    """Hand-made q10 evidence: by default every sub-claim holds. ``park``, ``little`` and ``with_sink`` may be a
    list (one value per layer or variant)."""
    def pick(x, i):
        return x[i] if isinstance(x, list) else x

    ev = [Evidence(names.LM_CONDITIONS, list(CONDITIONS)), _e(names.LM_UNIFORM, 0.0965, unit="share"),
          _e(names.LM_HEADS, 8, unit="heads"),
          Evidence(names.SINK_LOGIT_HEADS, [[logit[0], -logit[0] / 2] * 2] * 2, unit="logit (layer x head)"),
          _e(names.SINK_LOGIT_MAX_ABS, *logit, unit="logit")]
    for i, c in enumerate(CONDITIONS):
        ev += [_steps(names.steps(c), reached), _e(names.acc(c), *acc),
               _e(names.first_max_ratio_init(c), 1.1, 1.0, 1.2, unit="x uniform"),
               _e(names.first_max_growth(c), *growth, unit="x uniform"),
               _e(names.first_max(c), 0.3, 0.25, 0.35, unit="share"), _e(names.first_mean(c), 0.1, 0.09, 0.11),
               _e(names.first_max_ratio(c), *(lm_ratio if c == "softmax" else pick(with_sink, i - 1)),
                  unit="x uniform"), _e(names.sink_heads(c), 2.0, 1.0, 3.0)]
        if c != "softmax":
            ev += [_e(names.sink_mass(c), 0.2, 0.1, 0.3), _e(names.first_max_drop(c), 0.2, 0.15, 0.25),
                   _e(names.first_mean_drop(c), 0.1, 0.05, 0.15), _e(names.acc_diff(c), *acc_diff),
                   _e(names.steps_ratio(c), *pick(steps, i - 1), unit="x")]
    ev += [_e(names.baseline("order_free"), 0.37), _e(names.baseline("chance"), 0.0625),  # the standard checks
           Evidence(names.READ_AT, [450], unit="steps"), _e(names.EVAL_EVERY, 25, unit="steps"),
           *(Evidence(names.lr(c), 3e-3, None, "lr", bounds=(1e-3, 1e-2), label=c, label_zh="学习率")
             for c in CONDITIONS)]
    if minilm:
        ev += [Evidence(names.MINILM_AVAILABLE, "yes"), _e(names.MINILM_LAYERS, 6, unit="layers"),
               _e(names.MINILM_UNIFORM, 0.1, 0.09, 0.11, n=64)]
        for l in range(1, 7):
            ev += [_e(names.special_ratio(l), *pick(park, l - 1)), _e(names.norm_over_weight(l), *pick(little, l - 1)),
                   _e(names.special_share(l), 0.5, 0.45, 0.55), _e(names.norm_share(l), 0.1, 0.09, 0.11)]
    else:
        ev.append(Evidence(names.MINILM_AVAILABLE, "no"))
    return ev


STRADDLE = (2.0, 1.5, 2.5)
PARK, NO_PARK = (5.0, 4.0, 6.0), (1.1, 0.9, 1.3)

# (scenario, sub-claim, verdict, what the one-line answer says (en, zh)): each outcome of each sub-claim, from one
# deciding number moved across its bar
CONFIRMED_LINE = ("park them on [CLS]/[SEP], up to 5.0x their uniform share, where they barely change the output",
                  "停在 [CLS]/[SEP]（至多均匀 5.0 倍），几乎不改变输出")
OUTCOMES = [
    ({}, rule.ENCODER_PARKS, "confirmed", CONFIRMED_LINE),
    ({"park": [PARK, PARK, NO_PARK, STRADDLE, STRADDLE, NO_PARK]}, rule.ENCODER_PARKS, "qualified",
     ("only 2/6 all-MiniLM-L6-v2 layers do", "仅 2/6 层如此")),
    ({"park": NO_PARK}, rule.ENCODER_PARKS, "refuted",
     ("on the first token, up to 4.0x uniform, but all-MiniLM-L6-v2 gives only 1.1x", "编码器只有 1.1 倍")),
    ({"park": STRADDLE}, rule.ENCODER_PARKS, "inconclusive", ("the encoder's parking is unclear", "编码器停放未定")),
    ({}, rule.CARRIES_LITTLE, "confirmed", CONFIRMED_LINE),
    ({"little": (0.7, 0.6, 0.8)}, rule.CARRIES_LITTLE, "qualified", ("still carries some signal", "仍带一些信息")),
    ({"little": (1.5, 1.2, 1.8)}, rule.CARRIES_LITTLE, "refuted", ("does change the output", "它确实影响输出")),
    ({"little": (0.8, 0.4, 1.2)}, rule.CARRIES_LITTLE, "inconclusive",
     ("effect on the output is unclear", "影响尚不清楚")),
    ({}, rule.LM_SINK, "confirmed", CONFIRMED_LINE),
    ({"growth": (0.1, -0.3, 0.5)}, rule.LM_SINK, "qualified", ("no higher than untrained", "首词元训练前已偏高")),
    ({"lm_ratio": (1.2, 1.0, 1.4)}, rule.LM_SINK, "refuted", ("show no first-token sink", "语言模型没有汇聚点")),
    ({"lm_ratio": (2.1, 1.5, 2.7)}, rule.LM_SINK, "inconclusive", ("our LMs' sink is unclear", "语言模型汇聚未定")),
    ({}, rule.SINK_REMOVES, "confirmed", CONFIRMED_LINE),
    ({"with_sink": [(1.2, 1.0, 1.4), (3.5, 3.0, 4.0)]}, rule.SINK_REMOVES, "qualified",
     ("only some sink variants remove it", "仅部分汇聚键有效")),
    ({"with_sink": (3.5, 3.0, 4.0)}, rule.SINK_REMOVES, "refuted",
     ("our LMs kept parking with a sink key (3.5x)", "我们模型加汇聚仍 3.5 倍")),
    ({"with_sink": STRADDLE}, rule.SINK_REMOVES, "inconclusive",
     ("whether a sink key removes it is unclear", "汇聚键效果未定")),
    ({}, rule.NO_COST, "confirmed", CONFIRMED_LINE),
    ({"acc": (0.99, 0.98, 1.0)}, rule.NO_COST, "qualified",  # at the ceiling: no accuracy cost could show
     ("untestable at the ceiling", "上限处测不出代价")),
    ({"steps": [(1.0, 0.9, 1.1), (2.0, 1.8, 2.2)]}, rule.NO_COST, "qualified",  # one variant slower
     ("some sink variants cost accuracy or steps", "部分变体有代价")),
    ({"acc_diff": (-0.1, -0.15, -0.05)}, rule.NO_COST, "refuted", ("sink variants cost", "汇聚变体有代价")),
    ({"steps": (1.5, 0.5, 2.5)}, rule.NO_COST, "inconclusive", ("a sink's cost is unclear", "代价尚无定论")),
]




def _zh_clean(evidence: list[Evidence]) -> None:
    d, text = get_experiment("q10").judge(evidence)
    texts = [text.answer_zh, *(t for c in d.claims for t in (c.statement_zh, c.because_zh, c.would_change_zh)),
             *(k.detail_zh for c in d.claims for k in c.checks)]
    assert all(t for t in texts)
    assert not [(t, zh_problems(t)) for t in texts if zh_problems(t)]


@pytest.mark.parametrize(("scenario", "name", "expected", "oneline"), OUTCOMES)
def test_every_outcome_of_every_sub_claim_with_its_flips_and_words(scenario, name, expected, oneline):
    ev = q10_evidence(**scenario)
    r = rule.decide(ev).claim(name)
    assert r.verdict == expected, (name, r)
    qh.assert_flips("q10", ev)
    said = next(c for c in get_experiment("q10").decide(ev).claims if c.name == name)
    if r.flips:  # what would change it states each flip's number
        assert all(num(f.value) in said.would_change and num(f.value) in said.would_change_zh for f in r.flips)
    else:  # every layer (or variant) alike: no single number flips it, and the words say what would
        assert "it would take several" in said.would_change or "More seeds" in said.would_change, said.would_change
    _zh_clean(ev)
    qh.assert_oneline(get_experiment("q10").explain(ev), *oneline)


def test_flips_state_what_the_rule_does():
    ev = q10_evidence(little=[(0.2, 0.15, 0.25)] * 5 + [(0.45, 0.4, 0.49)])
    c = rule.decide(ev).claim(rule.CARRIES_LITTLE)
    assert c.verdict == "confirmed" and [(f.evidence, f.value, f.verdict) for f in c.flips][0] == (
        names.norm_over_weight(1), 0.55, "qualified")
    claim = get_experiment("q10").decide(ev).claims[1]
    assert "0.550" in claim.would_change and "有条件成立" in claim.would_change_zh
    parks = get_experiment("q10").decide(q10_evidence()).claims[0]  # 6 of 6 layers park: no single number flips it
    assert "it would take several" in parks.would_change and "fewer than half" in parks.would_change


def test_overall_verdict_combines_the_sub_claims():
    d = get_experiment("q10").decide(q10_evidence())
    assert d.verdict == "confirmed", d.rule
    text = get_experiment("q10").explain(q10_evidence())
    qh.assert_oneline(text, *CONFIRMED_LINE)
    assert text.answer_zh.startswith("我们的测量支持常见的解释") and "4.0" in text.answer_en and "4.0" in text.answer_zh
    q = rule.decide(q10_evidence(lm_ratio=(1.2, 1.0, 1.4)))  # the encoder parks, our LMs do not
    assert q.verdict == "qualified" and q.verdicts[rule.LM_SINK] == "refuted"
    assert q.verdicts[rule.SINK_REMOVES] == "inconclusive"  # nothing to remove: its precondition failed
    assert q.claim(rule.SINK_REMOVES).case == "gate_failed"
    r = rule.decide(q10_evidence(park=NO_PARK, lm_ratio=(1.1, 0.9, 1.3)))  # neither parks; a sink costs nothing
    assert r.verdict == "qualified" and r.verdicts[rule.CARRIES_LITTLE] == "inconclusive"  # no layer parks
    r = rule.decide(q10_evidence(park=NO_PARK, lm_ratio=(1.1, 0.9, 1.3), acc_diff=(-0.1, -0.15, -0.05)))
    assert r.verdict == "refuted", r.verdicts  # every decided sub-claim refuted (the one combination rule)
    none = rule.decide(q10_evidence(park=STRADDLE, lm_ratio=(2.1, 1.5, 2.7)))  # neither can be judged
    assert none.verdict == "inconclusive" and none.case == "too_few_decided"
    qh.assert_oneline(get_experiment("q10").explain(q10_evidence(park=STRADDLE, lm_ratio=(2.1, 1.5, 2.7))),
                   "neither all-MiniLM-L6-v2 (2.0x) nor our LMs (2.1x)", "编码器（2.0 倍）和语言模型（2.1 倍）")
    for ev in (q10_evidence(lm_ratio=(1.3, 1.0, 1.6), with_sink=(1.3, 1.0, 1.6), park=NO_PARK,
                            acc_diff=(-0.1, -0.15, -0.05)),
               q10_evidence(with_sink=(3.7, 3.0, 4.4))):
        d, text = get_experiment("q10").judge(ev)
        assert text.answer_en and text.answer_zh and d.verdict in ("refuted", "qualified")
        number = "1.3" if d.verdict == "refuted" else "3.7"
        assert number in text.answer_en and number in text.answer_zh, text.answer_en
        _zh_clean(ev)
        line = (("[CLS]/[SEP] get at most 1.1x, and our LMs' first token 1.3x", "语言模型首个词元 1.3 倍")
                if d.verdict == "refuted" else ("with a sink key (3.7x)", "我们模型加汇聚仍 3.7 倍"))
        qh.assert_oneline(text, *line)


def test_inconclusive_without_the_encoder_or_when_a_condition_did_not_learn():
    d = get_experiment("q10").decide(q10_evidence(minilm=False))
    assert d.verdict == "inconclusive" and [c.name for c in d.checks if not c.passed] == [rule.MINILM_GATE]
    assert {c.name: c.verdict for c in d.claims}[rule.LM_SINK] == "confirmed"
    text = get_experiment("q10").explain(q10_evidence(minilm=False))  # no encoder: the answer says why
    assert "all-MiniLM-L6-v2" in text.answer_en and "all-MiniLM-L6-v2" in text.answer_zh
    qh.assert_oneline(text, "all-MiniLM-L6-v2 was not measured; our small LMs give the first token 4.0x",
                   "缺 all-MiniLM-L6-v2；语言模型首个词元达均匀份额 4.0 倍")
    qh.assert_oneline(get_experiment("q10").explain(q10_evidence(reached=1)), "in only 1/5 runs",
                   "5 个种子中只有 1 个达到 0.9")
    qh.assert_oneline(get_experiment("q10").explain(q10_evidence(reached=0)), "in none of 5 runs",
                   "5 个种子都没有达到 0.9")
    d2 = get_experiment("q10").decide(q10_evidence(reached=1))
    assert d2.verdict == "inconclusive" and all(not c.passed for c in d2.checks if c.name.startswith("learned_"))
    assert "lm first token sink inconclusive" in d2.rule
    _zh_clean(q10_evidence(reached=1))
    qh.assert_flips("q10", q10_evidence(reached=1))


def test_no_cost_at_the_ceiling_is_only_qualified():
    ev = q10_evidence(acc=(0.99, 0.98, 1.0))  # every condition at the ceiling: the accuracy test cannot fail
    d, text = get_experiment("q10").judge(ev)
    c = next(c for c in d.claims if c.name == rule.NO_COST)
    assert c.verdict == "qualified" and d.verdict == "qualified", c.rule
    assert "at most 1.10x as many steps" in c.because and "至多为 softmax 的 1.10 倍" in c.because_zh
    assert "ceiling" in c.rule
    assert "hard enough" in c.would_change and "confirmed" in c.would_change  # an accuracy below the ceiling
    assert "at most 1.10x as many steps as softmax to reach 0.9" in text.answer_en
    assert "至多为 softmax 的 1.10 倍" in text.answer_zh and "至多多出" not in text.answer_zh
    below = next(c for c in get_experiment("q10").decide(q10_evidence()).claims if c.name == rule.NO_COST)
    assert below.verdict == "confirmed" and "ceiling" not in below.because
    slow = rule.decide(q10_evidence(acc=(0.99, 0.98, 1.0), steps=(2.0, 1.8, 2.2)))
    assert slow.verdicts[rule.NO_COST] == "refuted"


def test_first_token_sink_is_judged_against_the_untrained_models():
    ev = q10_evidence(growth=(0.1, -0.3, 0.5))  # high, but no higher than before training
    d, text = get_experiment("q10").judge(ev)
    c = next(c for c in d.claims if c.name == rule.LM_SINK)
    assert c.verdict == "qualified" and d.verdict == "qualified", d.rule
    assert "1.10 [1.00, 1.20]" in c.because and "训练前" in c.because_zh
    assert names.first_max_ratio_init("softmax") in c.evidence
    summary = get_experiment("q10").explain(q10_evidence()).summary
    assert "maximum over 8 heads" in summary and "before training" in summary


def test_learned_sink_logits_and_parking_that_survives_a_sink_are_reported():
    ev = q10_evidence(with_sink=(3.5, 3.0, 4.0))
    d, text = get_experiment("q10").judge(ev)
    c = next(c for c in d.claims if c.name == rule.SINK_REMOVES)
    assert "learned sink logits" in c.because and "not an independent second test" in c.because
    assert names.SINK_LOGIT_MAX_ABS in c.evidence and "可学习的汇聚 logit" in c.because_zh
    assert "Xiao et al. 2023 report" in text.summary and "stays at 3.5x uniform" in text.summary
    moved = get_experiment("q10").decide(q10_evidence(logit=(2.0, 1.5, 2.5))).claims[3]
    assert "moved beyond" in moved.because
    summary = get_experiment("q10").explain(q10_evidence()).summary
    assert "The learned sink logits (initialised at 0) end at -0.050 to +0.100 per head" in summary


def test_the_standard_checks_gate_the_trained_sub_claims():
    d = get_experiment("q10").decide(q10_evidence())
    assert {"learned", "lr_tuned", "equal_budget", "below_ceiling"} <= {c.name for c in d.checks}
    edge = [dataclasses.replace(e, value=1e-2) if e.name == names.lr("zero") else e for e in q10_evidence()]
    unequal = [dataclasses.replace(e, value=[300, 450]) if e.name == names.READ_AT else e for e in q10_evidence()]
    for ev in (edge, unequal, q10_evidence(acc=(0.3, 0.2, 0.36))):
        r = rule.decide(ev)
        assert r.verdict == "inconclusive", r.gates
        assert all(r.verdicts[n] == "inconclusive" for n in (rule.LM_SINK, rule.SINK_REMOVES, rule.NO_COST))
        assert r.verdicts[rule.ENCODER_PARKS] == "confirmed"  # the encoder is measured, not trained
    # steps off the ceiling: the threshold needs more than the first evaluation
    fast = [dataclasses.replace(e, value=25.0, per_seed=[25] * 5) if e.name.startswith("steps_") and e.unit == "steps"
            else e for e in q10_evidence()]
    assert not next(g for g in rule.decide(fast).gates if g.name == "below_ceiling").passed


def test_rule_reads_a_steps_ratio_that_is_undefined():
    ev = [dataclasses.replace(e, value="undefined", ci=None) if e.name == names.steps_ratio("zero") else e
          for e in q10_evidence()]
    assert rule.decide(ev).verdicts[rule.NO_COST] == "confirmed"  # too few seeds reached it: the accuracy decides
    assert "undefined" in get_experiment("q10").decide(ev).claims[4].because


# ---------------------------------------------------------------------------------------------------- trials, probes
@pytest.mark.real_model
def test_minilm_trial_returns_an_attention_map_of_its_sentence():
    m = trials.minilm_trial({"seed": 0, "n_texts": 2})
    assert "unavailable" not in m, m
    assert m["tokens"][0] == "[CLS]" and m["tokens"][-1] == "[SEP]" and "cat" in m["tokens"]
    w = torch.tensor(m["weights"])  # (L, H, T, T)
    assert w.shape[2:] == (len(m["tokens"]), len(m["tokens"]))
    assert torch.allclose(w.sum(-1), torch.ones(w.shape[:3]), atol=1e-3)


def test_minilm_trial_says_when_the_model_is_unavailable():
    assert set(trials.minilm_trial({"seed": 0, "n_texts": 2})) == {"unavailable"}  # the real model is off here


def test_block_copy_dense_with_bos_marks_the_predictable_tokens():
    plain = BlockCopyTask(n_blocks=2, block_len=4, n_symbols=8)
    dense = BlockCopyTask(n_blocks=2, block_len=4, n_symbols=8, bos=True, dense=True)
    b, d = plain.sample(8, 3), dense.sample(8, 3)
    assert dense.seq_len == plain.seq_len + 1 and bool((d.inputs[:, 0] == dense.bos_id).all())
    assert torch.equal(d.inputs[:, 1:], b.inputs)
    assert torch.equal(d.targets[:, :-1], d.inputs[:, 1:]) and bool((d.targets[:, -1] == IGNORE_INDEX).all())
    assert torch.equal(d.extra["predictable"][:, 1:], b.targets != IGNORE_INDEX)
    assert dense.vocab_size == plain.vocab_size + 1 == dense.n_classes


def test_first_token_share_and_sink_mass_on_known_weights():
    t = 6
    uniform = torch.tril(torch.ones(t, t)) / torch.arange(1, t + 1)[:, None]  # causal uniform
    parked = torch.zeros(t, t)
    parked[:, 0] = 0.5  # half of every row on the first token, the rest to a sink
    w = torch.stack([uniform, parked])[None]  # (B=1, H=2, T, T)
    share = first_token_share([w, w], start=1)
    assert share.shape == (2, 2)
    assert share[0, 0].item() == pytest.approx(uniform_first_share(t, 1))
    assert share[0, 1].item() == pytest.approx(0.5)
    assert sink_mass([w], start=1)[0].tolist() == pytest.approx([0.0, 0.5], abs=1e-6)
    assert uniform_first_share(4, 1) == pytest.approx((1 / 2 + 1 / 3 + 1 / 4) / 3)


@pytest.mark.slow
@pytest.mark.real_model
def test_special_token_shares_of_minilm_are_shares():
    from attnlab.analysis.sinks import special_token_shares
    from attnlab.pretrained import load

    model = load("all-MiniLM-L6-v2")
    s = special_token_shares(model, ["I hate this movie.", "The cat sat on the mat quietly."], batch_size=1)
    assert s.weight.shape == s.norm.shape == (2, 6, 12)
    assert bool(((s.weight >= 0) & (s.weight <= 1 + 1e-5)).all()) and bool(((s.norm >= 0) & (s.norm <= 1 + 1e-5)).all())
    assert s.uniform.tolist() == pytest.approx([2 / int(n) for n in s.n_tokens])
    batched = special_token_shares(model, ["I hate this movie.", "The cat sat on the mat quietly."], batch_size=2)
    assert torch.allclose(batched.weight, s.weight, atol=1e-5)  # padding changes nothing


def test_learned_sink_logit_is_a_trained_parameter():
    from attnlab.attention.multihead import MultiHeadAttention

    torch.manual_seed(0)
    m = MultiHeadAttention(16, 2, sink="learned")
    assert any(p is m.sink_logits for p in m.parameters()) and m.sink_logits.requires_grad
    for need in (False, True):  # the fused kernel path and the weights path
        m.zero_grad()
        m(torch.randn(3, 5, 16), is_causal=True, need_weights=need)[0].pow(2).sum().backward()
        assert m.sink_logits.grad is not None and bool((m.sink_logits.grad != 0).all()), need
