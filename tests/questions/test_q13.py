"""q13 (how small can the KV cache get): its tiny run, its rule on hand-made evidence (every outcome of every
sub-claim, every flip applied), its words in English and Chinese, and the models and trials behind it."""

from __future__ import annotations

import dataclasses

import pytest
import torch

import question_helpers as qh
from attnlab.lab import get_experiment, list_questions
from attnlab.lab.words import num
from attnlab.lab.words.lint import zh_problems
from attnlab.models import kv_cache_bytes
from attnlab.questions.q13_kv_cache import QUESTION, rule
from attnlab.questions.q13_kv_cache import evidence as names
from attnlab.questions.q13_kv_cache.settings import KINDS, MATCH, REDUCED, TASK_NAMES
from attnlab.questions.q13_kv_cache.trials import (
    DECODE_VARIANTS,
    build_model,
    cache_formula,
    decode_config,
    decode_trial,
    matched_d_ff,
    n_parameters,
    recall_task,
)
from attnlab.results import Evidence

CLAIMS = {rule.CACHE, rule.LM_COST, rule.RECALL_COST}


# ---------------------------------------------------------------------------------------------------- tiny run
@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny profile of q13, run once in this process."""
    return qh.run_tiny(["q13"], tmp_path_factory)["q13"]


@pytest.mark.slow
def test_tiny_run_verdict_is_its_rule_on_its_evidence(tiny, tmp_path):
    from attnlab.report.figures import draw_result

    qh.assert_stored_verdict_is_its_rule(tiny)
    assert tiny.profile == "tiny" and {c.name for c in tiny.claims} == CLAIMS
    assert tiny.rule.startswith(tiny.verdict) and tiny.summary and tiny.answer["en"] and tiny.answer["zh"]
    files = draw_result(tiny, tmp_path)
    assert files and all((tmp_path / "q13" / f).is_file() for f in files)
    ev = {e.name: e for e in tiny.evidence}
    for k in KINDS:  # the bytes measured on the trained models are the formula's
        assert ev[names.cache_bytes(k)].number == ev[names.cache_expected(k)].number
    assert ev[names.ABSORB_SAME].number == 1 and ev[names.ABSORB_DIFF].number < 1e-5
    assert {names.decode_vs_mha(v) for v in DECODE_VARIANTS if v != "mha"} <= set(ev)


@pytest.mark.slow
def test_tiny_run_speaks_english_and_chinese(tiny):
    qh.assert_bilingual(tiny)
    qh.assert_zh_clean(tiny)
    assert tiny.oneline["en"] and tiny.oneline["zh"] and not zh_problems(tiny.oneline["zh"])
    have = {e.name for e in tiny.evidence}
    for c in tiny.claims:
        assert set(c.evidence) <= have, (c.name, set(c.evidence) - have)
    qh.assert_flips("q13", tiny.evidence)


def test_q13_is_beyond_the_seed_and_listed_after_it():
    qs = [q.qid for q in list_questions()]
    assert QUESTION.group == "beyond" and QUESTION.question_zh and not zh_problems(QUESTION.question_zh)
    assert not zh_problems(QUESTION.claim_zh)
    seed = [q for q in qs if q in {f"q{i}" for i in range(1, 9)}]
    assert qs.index("q13") > max(qs.index(q) for q in seed)


# ---------------------------------------------------------------------------------------------------- the rule
def _e(name, value, lo=None, hi=None, unit="accuracy", n=5, bounds=None):
    return Evidence(name, value, None if lo is None else (lo, hi), unit, n=n, label=name, label_zh="证据",
                    bounds=bounds)


LITTLE_LOSS, COSTLY_LOSS, UNCLEAR_LOSS = (0.01, -0.01, 0.03), (0.2, 0.15, 0.25), (0.05, 0.0, 0.1)
LITTLE_RECALL, COSTLY_RECALL, UNCLEAR_RECALL = (-0.01, -0.03, 0.01), (-0.3, -0.4, -0.2), (-0.05, -0.1, 0.0)
BYTES = {"mha": 512, "gqa": 256, "mqa": 128, "mla": 288}


def q13_evidence(*, loss=None, recall=None, cache=None, formula=None, gap=0.002, recall_acc=0.9):
    """Evidence in which, by default, every smaller cache costs little on both tasks. ``loss`` / ``recall``: a
    paired (kind - MHA) difference per reduced kind; ``cache`` / ``formula``: bytes per kind."""
    measured = {**BYTES, **(cache or {})}
    expected = {**measured, **(formula or {})}
    ev = [_e(names.baseline("text", "unigram"), 2.4, unit="nats/char"),
          _e(names.baseline("text", "majority"), 0.16), _e(names.baseline("recall", "chance"), 0.125),
          _e(names.baseline("recall", "no_lookup"), 0.22), Evidence(names.READ_AT, [300], unit="steps", n=40)]
    for t in TASK_NAMES:
        for k in KINDS:
            ev.append(_e(names.params(t, k), 23168, unit="parameters"))
            ev.append(_e(names.param_gap(t, k), 0.0 if k == "mha" else gap, unit="fraction"))
            ev.append(Evidence(names.lr(t, k), 3e-3, unit="lr", label="lr", label_zh="学习率", bounds=(1e-3, 1e-2)))
    for k in KINDS:
        ev += [_e(names.cache_bytes(k), measured[k], unit="bytes"), _e(names.cache_expected(k), expected[k],
                                                                          unit="bytes")]
        ev += [_e(names.loss(k), 1.75, 1.7, 1.8, unit="nats/char"), _e(names.text_acc(k), 0.48, 0.46, 0.5),
               _e(names.recall(k), recall_acc, recall_acc - 0.02, recall_acc + 0.02)]
    for k in REDUCED:
        ev.append(_e(names.cache_share(k), measured[k] / measured["mha"], unit="fraction"))
        ev.append(_e(names.loss_vs_mha(k), *(loss or {}).get(k, LITTLE_LOSS), unit="nats/char"))
        ev.append(_e(names.recall_vs_mha(k), *(recall or {}).get(k, LITTLE_RECALL)))
    for v in DECODE_VARIANTS:
        ev.append(_e(names.decode_ms(v), 2.0, 1.9, 2.1, unit="ms"))
        if v != "mha":
            ev.append(_e(names.decode_vs_mha(v), 1.2, 1.1, 1.3, unit="x"))
    ev += [_e(names.ABSORB_DIFF, 4.8e-7, unit="logit"), _e(names.ABSORB_SAME, 1.0, unit="bool"),
           _e(names.DECODE_BATCH, 8, unit="sequences"), _e(names.DECODE_CONTEXT, 512, unit="positions"),
           _e("others_cores", 1.62, unit="cores"), _e("machine_cpus", 2, unit="CPUs")]
    return ev


def _all(status):
    return dict.fromkeys(REDUCED, status)


# (scenario, sub-claim, verdict, what the one-line answer says (en, zh)): each outcome of each sub-claim, from the
# numbers it reads moved across their bars
OUTCOMES = [
    ({}, rule.CACHE, "confirmed", ("shrink the cache to 25–56% of MHA's", "缓存缩到 MHA 的 25–56%")),
    ({"cache": {"gqa": 512, "mqa": 512}}, rule.CACHE, "qualified", ("56–100%", "56–100%")),
    ({"cache": {"gqa": 512, "mqa": 512, "mla": 640}}, rule.CACHE, "refuted", ("100–125%", "100–125%")),
    ({"formula": {"mla": 144}}, rule.CACHE, "inconclusive", ("25–56%", "25–56%")),
    ({}, rule.LM_COST, "confirmed", ("under 0.05 nats", "代价都在 0.05 以内")),
    ({"loss": {"mqa": COSTLY_LOSS}}, rule.LM_COST, "qualified",
     ("but MQA's loss rises by 0.20 nats per character", "MQA 的损失高 0.20 奈特")),
    ({"loss": _all(COSTLY_LOSS)}, rule.LM_COST, "refuted", ("but GQA's loss rises by 0.20", "GQA 的损失高 0.20")),
    ({"loss": _all(UNCLEAR_LOSS)}, rule.LM_COST, "inconclusive",
     ("but GQA's loss rises by 0.05 nats", "GQA 的损失高 0.05 奈特")),
    ({}, rule.RECALL_COST, "confirmed", ("0.05 recall accuracy", "代价都在 0.05 以内")),
    ({"recall": {"mla": COSTLY_RECALL}}, rule.RECALL_COST, "qualified",
     ("but MLA's recall accuracy moves by -0.30", "MLA 的回忆准确率差 -0.30")),
    ({"recall": _all(COSTLY_RECALL)}, rule.RECALL_COST, "refuted",
     ("but GQA's recall accuracy moves by -0.30", "GQA 的回忆准确率差 -0.30")),
    ({"recall": _all(UNCLEAR_RECALL)}, rule.RECALL_COST, "inconclusive",
     ("but GQA's recall accuracy moves by -0.05", "GQA 的回忆准确率差 -0.05")),
]


def _zh_clean(evidence: list[Evidence]) -> None:
    d, text = get_experiment("q13").judge(evidence)
    texts = [text.answer_zh, text.oneline_zh, *(t for c in d.claims for t in (c.statement_zh, c.because_zh,
                                                                            c.would_change_zh)),
             *(k.detail_zh for c in d.claims for k in c.checks)]
    assert all(texts)
    assert not [(t, zh_problems(t)) for t in texts if zh_problems(t)]


@pytest.mark.parametrize(("scenario", "name", "expected", "oneline"), OUTCOMES)
def test_every_outcome_of_every_sub_claim_with_its_flips_and_words(scenario, name, expected, oneline):
    ev = q13_evidence(**scenario)
    r = rule.decide(ev).claim(name)
    assert r.verdict == expected, (name, r)
    qh.assert_flips("q13", ev)
    said = next(c for c in get_experiment("q13").decide(ev).claims if c.name == name)
    if r.flips:  # what would change it states each flip's number
        assert all(num(f.value) in said.would_change and num(f.value) in said.would_change_zh for f in r.flips)
    elif name == rule.CACHE:
        assert ("disagree" if expected == "inconclusive" else "a derivation") in said.would_change
    else:  # every kind alike: no single number flips it, and the words say what would
        assert "it would take several" in said.would_change or "More seeds" in said.would_change, said.would_change
    _zh_clean(ev)
    qh.assert_oneline(get_experiment("q13").explain(ev), *oneline)


def test_overall_verdict_and_answers_for_every_outcome():
    exp = get_experiment("q13")
    cases = {
        "confirmed": (q13_evidence(), "0.010 [-0.010, 0.030]"),
        "qualified": (q13_evidence(recall={"mqa": COSTLY_RECALL}), "-0.300 [-0.400, -0.200]"),
        "refuted": (q13_evidence(loss=_all(COSTLY_LOSS), recall=_all(COSTLY_RECALL)), "0.200 [0.150, 0.250]"),
        "inconclusive": (q13_evidence(loss=_all(UNCLEAR_LOSS), recall=_all(UNCLEAR_RECALL)), None),
    }
    onelines = {"confirmed": ("Yes: GQA, MQA and MLA shrink the cache", "可以：缓存缩到"),
                "qualified": ("Partly: the cache shrinks to 25–56% of MHA's, but MQA's recall", "部分可以"),
                "refuted": ("No: the cache shrinks to 25–56% of MHA's", "不行"),
                "inconclusive": ("straddles the 0.05 bar", "区间跨过 0.05")}
    for expected, (ev, number) in cases.items():
        d, text = exp.judge(ev)
        assert d.verdict == expected, (expected, d.rule)
        assert text.answer_en and text.answer_zh and text.summary
        if number:
            assert number in text.answer_en and number in text.answer_zh, text.answer_en
        assert "MLA absorbed 2.00 ms" in text.summary and "4.8e-07" in text.summary and "batch 8, 512" in text.summary
        assert "kept 1.62 of the machine's 2 CPUs busy" in text.summary
        if number:  # the short answer of a decided question states the decoding time and the load beside it
            assert "MLA absorbed 2.00 ms" in text.answer_en and "1.62" in text.answer_en and "1.62" in text.answer_zh
        _zh_clean(ev)
        qh.assert_oneline(text, *onelines[expected])
    assert exp.explain(cases["qualified"][0]).answer_zh.startswith("只部分成立")
    # the cache sizes are arithmetic: shown, never counted, so smaller caches alone do not confirm the claim
    d = exp.decide(cases["refuted"][0])
    assert next(c for c in d.claims if c.name == rule.CACHE).verdict == "confirmed" and d.verdict == "refuted"


def test_inconclusive_when_parameters_differ_or_a_model_did_not_learn():
    exp = get_experiment("q13")
    d = exp.decide(q13_evidence(gap=2 * MATCH))
    assert d.verdict == "inconclusive" and [c.name for c in d.checks if not c.passed] == [rule.PARAMS_GATE]
    assert {c.name for c in d.checks} >= {"learned", "lr_tuned", "equal_budget", "below_ceiling", rule.PARAMS_GATE}
    qh.assert_oneline(exp.explain(q13_evidence(gap=2 * MATCH)), "differ from MHA's by 2.0%", "相差 2.0%")
    low = q13_evidence(recall_acc=0.2)  # every kind below the no-lookup baseline
    d = exp.decide(low)
    assert d.verdict == "inconclusive" and [c.name for c in d.checks if not c.passed] == ["learned"]
    qh.assert_oneline(exp.explain(low), "did not beat its trivial baseline", "平凡基线")
    ceiling = [dataclasses.replace(e, value=1.0, ci=(1.0, 1.0)) if e.name.startswith(("recall_", "text_acc_"))
               and "vs" not in e.name else e for e in q13_evidence()]
    assert [c.name for c in exp.decide(ceiling).checks if not c.passed] == ["below_ceiling"]


def test_one_kind_open_the_others_decided_is_qualified():
    d = get_experiment("q13").decide(q13_evidence(loss={"gqa": UNCLEAR_LOSS, "mqa": UNCLEAR_LOSS}))
    assert {c.name: c.verdict for c in d.claims}[rule.LM_COST] == "qualified" and d.verdict == "qualified"


# ---------------------------------------------------------------------------------------------------- models, trials
@pytest.mark.parametrize("task", TASK_NAMES)
def test_every_kind_matches_mha_parameters_and_caches_the_formula(task):
    vocab, length = (40, 64) if task == "text" else (recall_task(32).vocab_size, recall_task(32).seq_len)
    reference = n_parameters(build_model("mha", vocab, length, 32, matched_d_ff("mha", vocab, length, 32)))
    sizes = {}
    for k in KINDS:
        model = build_model(k, vocab, length, 32, matched_d_ff(k, vocab, length, 32))
        assert abs(n_parameters(model) - reference) <= MATCH * reference, k
        sizes[k] = kv_cache_bytes(model, torch.float32)
        assert sizes[k] == cache_formula(k, 32), k
    # d_model 32, 4 heads: D = 8; MHA 2 layers x 2 x 4 x 8 numbers, MLA 2 x (32 + 4), 4 bytes each
    assert sizes == {"mha": 512, "gqa": 256, "mqa": 128, "mla": 288}


def test_matched_width_refuses_a_tolerance_it_cannot_meet(monkeypatch):
    import attnlab.questions.q13_kv_cache.trials as trials

    monkeypatch.setattr(trials, "MATCH", 0.0)
    trials.matched_d_ff.cache_clear()
    try:
        with pytest.raises(ValueError, match="no feed-forward width matches"):
            trials.matched_d_ff("gqa", 41, 64, 32)
    finally:
        trials.matched_d_ff.cache_clear()


def test_recall_task_and_its_exact_baselines():
    task = recall_task(4)
    b = task.sample(8, 0)
    assert b.inputs.shape == (8, 4 + 1 + 16) and task.n_classes == 8
    assert task.baselines()["chance"] == 1 / 8 and task.baselines()["no_lookup"] > 1 / 8


def test_decode_trial_times_every_variant_and_the_absorbed_path_matches_the_naive_one():
    cfg = {**decode_config("tiny", 0), "repeats": 2, "max_seconds": 2.0}
    out = decode_trial(cfg)
    assert set(out["times"]) == set(DECODE_VARIANTS) and all(len(t) >= 1 for t in out["times"].values())
    assert out["absorb_same_tokens"] and out["absorb_max_diff"] < 1e-5
    assert out["cache_bytes"]["mla_absorbed"] == out["cache_bytes"]["mla_naive"] < out["cache_bytes"]["mha"]
