"""q11 (is attention an explanation?): its tiny run, its rule on hand-made evidence (every outcome of every
sub-claim, every flip applied), its words in English and Chinese, and its trials' pieces."""

from __future__ import annotations

import dataclasses

import pytest
import torch

import question_helpers as qh
from attnlab.analysis.attribution import METHODS
from attnlab.data import make_task
from attnlab.lab import get_experiment, list_questions
from attnlab.lab.words import num
from attnlab.lab.words.lint import zh_problems
from attnlab.questions.q11_explanation import QUESTION, rule, trials
from attnlab.questions.q11_explanation import evidence as names
from attnlab.questions.q11_explanation.settings import POINTERS, REFINED, TASKS, TRIVIAL
from attnlab.results import Evidence

CLAIMS = {rule.MINILM_AGREES, rule.POINTS, rule.TRAINED_AGREES, rule.REFINED_BETTER}


# ---------------------------------------------------------------------------------------------------- tiny run
@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny profile of q11, run once in this process (the real model is off in tests)."""
    return qh.run_tiny(["q11"], tmp_path_factory)["q11"]


@pytest.mark.slow
def test_tiny_run_verdict_is_its_rule_on_its_evidence(tiny, tmp_path):
    from attnlab.report.figures import draw_result

    qh.assert_stored_verdict_is_its_rule(tiny)
    assert tiny.profile == "tiny" and {c.name for c in tiny.claims} == CLAIMS
    files = draw_result(tiny, tmp_path)
    assert files and all((tmp_path / "q11" / f).is_file() for f in files)
    assert not next(c for c in tiny.checks if c.name == rule.MINILM_GATE).passed  # the real model is off in tests
    assert tiny.verdict == "inconclusive"
    ev = {e.name: e for e in tiny.evidence}
    assert all(names.hit(t, m) in ev for t in TASKS for m in POINTERS)
    assert all(0 <= ev[names.hit(t, m)].number <= 1 for t in TASKS for m in POINTERS)
    assert ev[names.chance("needle")].number == pytest.approx(1 / 8)  # tiny texts have 8 words


@pytest.mark.slow
def test_tiny_run_speaks_english_and_chinese(tiny):
    qh.assert_bilingual(tiny)
    qh.assert_zh_clean(tiny)
    assert tiny.oneline["en"].startswith("Not settled yet") and tiny.oneline["zh"].startswith("尚无定论")
    names_ = {e.name for e in tiny.evidence}
    for c in tiny.claims:  # every evidence a claim names exists, even with the real model off
        assert set(c.evidence) <= names_, (c.name, set(c.evidence) - names_)
    qh.assert_flips("q11", tiny.evidence)


def test_q11_is_beyond_the_seed_listed_after_q10_and_opt_in():
    qs = [q.qid for q in list_questions()]
    assert QUESTION.group == "beyond" and QUESTION.question_zh and not zh_problems(QUESTION.question_zh)
    assert qs.index("q11") == qs.index("q10") + 1


# ---------------------------------------------------------------------------------------------------- the rule
def _e(name, value, lo=None, hi=None, unit="Spearman ρ", n=5):
    return Evidence(name, value, None if lo is None else (lo, hi), unit, n=n, label=name, label_zh="证据")


def _steps(name, reached=5, n=5):
    return Evidence(name, 100.0, None, "steps", n=n, per_seed=[100] * reached + [None] * (n - reached),
                    label=name, label_zh="步数")


GOOD = (0.6, 0.55, 0.65)  # agreement above 0.5
FINDS = (0.9, 0.85, 0.95)  # a hit rate above 0.8


def q11_evidence(minilm_rho=GOOD, hit=FINDS, rho=GOOD, gain=(0.1, 0.05, 0.15), erasure_hit=0.95, reached=5,
                 minilm=True, sentences=180, acc=(0.99, 0.98, 1.0)):
    """Hand-made q11 evidence: by default every sub-claim holds. ``hit``, ``rho`` and ``gain`` may be a list (one
    value per task; for ``gain`` per setting, MiniLM first)."""
    def pick(x, i):
        return x[i] if isinstance(x, list) else x

    ev = [Evidence(names.READ_AT, [800], unit="steps"), _e(names.EVAL_EVERY, 25, unit="steps")]
    for i, t in enumerate(TASKS):
        ev += [_e(names.baseline(t, TRIVIAL[t]), 0.5 if t == "needle" else 0.75, unit="accuracy"),
               _e(names.acc(t), *acc, unit="accuracy"), _steps(names.steps(t), reached),
               Evidence(names.lr(t), 3e-3, None, "lr", bounds=(1e-3, 1e-2), label=t, label_zh="学习率"),
               _e(names.chance(t), 1 / 16, unit="hit rate")]
        for m in POINTERS:
            value = (erasure_hit, erasure_hit - 0.03, min(1.0, erasure_hit + 0.03)) if m == "erasure" else (
                pick(hit, i) if m == "raw" else (0.7, 0.6, 0.8))
            ev.append(_e(names.hit(t, m), *value, unit="hit rate"))
        for m in METHODS:
            ev.append(_e(names.rho(t, m), *(pick(rho, i) if m == "raw" else (0.4, 0.3, 0.5))))
        ev += [_e(names.gain(t, m), *pick(gain, i + 1 if minilm else i)) for m in REFINED]
    if minilm:
        ev += [Evidence(names.MINILM_AVAILABLE, "yes"), _e(names.MINILM_SENTENCES, sentences, unit="sentences"),
               *(_e(names.rho("minilm", m), *(minilm_rho if m == "raw" else (0.3, 0.25, 0.35)), n=sentences)
                 for m in METHODS),
               *(_e(names.gain("minilm", m), *pick(gain, 0), n=sentences) for m in REFINED)]
    else:
        ev.append(Evidence(names.MINILM_AVAILABLE, "no"))
    return ev


UNCLEAR_RHO, MODERATE, WEAK = (0.3, 0.2, 0.4), (0.4, 0.35, 0.45), (0.1, 0.05, 0.15)
MISSES, STRADDLE = (0.3, 0.2, 0.4), (0.5, 0.4, 0.6)
PART = ("Only in part: raw attention agrees with erasure at ρ", "部分成立：与删除的一致性")
YES = ("Yes: raw attention agrees with erasure (ρ 0.60 on MiniLM)", "是：原始注意力与删除一致（MiniLM 上 ρ 0.60）")

# (scenario, sub-claim, verdict, what the one-line answer says (en, zh)): each outcome of each sub-claim, from the
# deciding numbers moved across their bars
OUTCOMES = [
    ({}, rule.MINILM_AGREES, "confirmed", YES),
    ({"minilm_rho": MODERATE}, rule.MINILM_AGREES, "qualified", (f"{PART[0]} 0.40 on MiniLM", PART[1])),
    ({"minilm_rho": WEAK}, rule.MINILM_AGREES, "refuted", (f"{PART[0]} 0.10 on MiniLM", "MiniLM 上 ρ 0.10")),
    ({"minilm_rho": UNCLEAR_RHO}, rule.MINILM_AGREES, "inconclusive", (f"{PART[0]} 0.30", "ρ 0.30")),
    ({}, rule.POINTS, "confirmed", YES),
    ({"hit": [FINDS, MISSES]}, rule.POINTS, "qualified", ("deciding word in 0.30–0.90 of texts", "0.30–0.90")),
    ({"hit": MISSES}, rule.POINTS, "refuted", ("deciding word in 0.30 of texts", "0.30")),
    ({"hit": STRADDLE}, rule.POINTS, "inconclusive", ("deciding word in 0.50 of texts", "0.50")),
    ({}, rule.TRAINED_AGREES, "confirmed", YES),
    ({"rho": [GOOD, MODERATE]}, rule.TRAINED_AGREES, "qualified", PART),
    ({"rho": WEAK}, rule.TRAINED_AGREES, "refuted", PART),
    ({"rho": UNCLEAR_RHO}, rule.TRAINED_AGREES, "inconclusive", PART),
    ({}, rule.REFINED_BETTER, "confirmed", YES),  # not counted: the overall verdict stays
    ({"gain": [(0.1, 0.05, 0.15), (-0.1, -0.15, -0.05), (0.0, -0.05, 0.05)]}, rule.REFINED_BETTER, "qualified", YES),
    ({"gain": (-0.1, -0.15, -0.05)}, rule.REFINED_BETTER, "refuted", YES),
    ({"gain": (0.0, -0.05, 0.05)}, rule.REFINED_BETTER, "inconclusive", YES),
]


def _zh_clean(evidence: list[Evidence]) -> None:
    d, text = get_experiment("q11").judge(evidence)
    texts = [text.answer_zh, *(t for c in d.claims for t in (c.statement_zh, c.because_zh, c.would_change_zh)),
             *(k.detail_zh for c in d.claims for k in c.checks)]
    assert all(t for t in texts)
    assert not [(t, zh_problems(t)) for t in texts if zh_problems(t)]


@pytest.mark.parametrize(("scenario", "name", "expected", "oneline"), OUTCOMES)
def test_every_outcome_of_every_sub_claim_with_its_flips_and_words(scenario, name, expected, oneline):
    ev = q11_evidence(**scenario)
    r = rule.decide(ev).claim(name)
    assert r.verdict == expected, (name, r)
    qh.assert_flips("q11", ev)
    said = next(c for c in get_experiment("q11").decide(ev).claims if c.name == name)
    if r.flips:  # what would change it states each flip's number
        assert all(num(f.value) in said.would_change and num(f.value) in said.would_change_zh for f in r.flips)
    else:  # every task (or comparison) alike: no single number flips it, and the words say what would
        assert "it would take several" in said.would_change or "More seeds" in said.would_change, said.would_change
    _zh_clean(ev)
    qh.assert_oneline(get_experiment("q11").explain(ev), *oneline)


def test_flips_state_what_the_rule_does():
    c = rule.decide(q11_evidence(minilm_rho=(0.45, 0.4, 0.5))).claim(rule.MINILM_AGREES)
    assert c.verdict == "qualified"
    assert [(f.value, f.verdict) for f in c.flips] == [(0.52, "confirmed"), (pytest.approx(0.28), "refuted")]
    claim = get_experiment("q11").decide(q11_evidence(minilm_rho=(0.45, 0.4, 0.5))).claims[0]
    assert "0.520" in claim.would_change and "成立" in claim.would_change_zh


def test_overall_verdict_combines_the_counted_sub_claims():
    d = get_experiment("q11").decide(q11_evidence())
    assert d.verdict == "confirmed", d.rule
    text = get_experiment("q11").explain(q11_evidence())
    assert text.answer_en.startswith("Yes, here") and text.answer_zh.startswith("在这里成立")
    assert "0.90" in text.answer_en and "0.90" in text.answer_zh
    # the likely case: attention finds the one deciding word but does not rank the rest as erasure does
    likely = q11_evidence(minilm_rho=WEAK, rho=WEAK)
    d, text = get_experiment("q11").judge(likely)
    assert d.verdict == "qualified", d.rule
    qh.assert_oneline(text, "finds the deciding word in 0.90 of texts, but it ranks words unlike erasure (ρ 0.10",
                      "但排序与删除不符（MiniLM 上 ρ 0.10）")
    no = q11_evidence(minilm_rho=WEAK, rho=WEAK, hit=MISSES)
    d, text = get_experiment("q11").judge(no)
    assert d.verdict == "refuted", d.rule
    assert text.answer_en.startswith("No: ") and "0.30" in text.answer_zh
    qh.assert_oneline(text, "No: raw attention ranks words unlike erasure (ρ 0.10 on MiniLM)", "否：")
    _zh_clean(no)
    # the refined views are shown, not counted: all worse changes nothing overall
    assert rule.decide(q11_evidence(gain=(-0.1, -0.15, -0.05))).verdict == "confirmed"
    none = rule.decide(q11_evidence(minilm_rho=UNCLEAR_RHO, rho=UNCLEAR_RHO, hit=STRADDLE))
    assert none.verdict == "inconclusive" and none.case == "too_few_decided"
    qh.assert_oneline(get_experiment("q11").explain(q11_evidence(minilm_rho=UNCLEAR_RHO, rho=UNCLEAR_RHO,
                                                                 hit=STRADDLE)), "straddle the bars", "跨过")


def test_inconclusive_without_the_encoder_few_sentences_or_a_task_not_learned():
    d = get_experiment("q11").decide(q11_evidence(minilm=False))
    assert d.verdict == "inconclusive" and [c.name for c in d.checks if not c.passed] == [rule.MINILM_GATE]
    assert {c.name: c.verdict for c in d.claims}[rule.POINTS] == "confirmed"
    qh.assert_oneline(get_experiment("q11").explain(q11_evidence(minilm=False)),
                      "all-MiniLM-L6-v2 was not measured", "缺 all-MiniLM-L6-v2")
    few = rule.decide(q11_evidence(sentences=40))
    assert few.verdicts[rule.MINILM_AGREES] == "inconclusive" and few.verdict == "qualified"
    assert "40" in get_experiment("q11").decide(q11_evidence(sentences=40)).claims[0].because
    qh.assert_oneline(get_experiment("q11").explain(q11_evidence(reached=1)), "in only 1/5 runs",
                      "5 个种子中只有 1 个")
    qh.assert_oneline(get_experiment("q11").explain(q11_evidence(reached=0)), "in none of 5 runs", "都没有")
    _zh_clean(q11_evidence(reached=1))
    qh.assert_flips("q11", q11_evidence(reached=1))


def test_pointing_needs_a_model_that_relies_on_the_word():
    ev = q11_evidence(erasure_hit=0.4)  # erasure itself rarely ranks the deciding word first
    d = get_experiment("q11").decide(ev)
    c = next(c for c in d.claims if c.name == rule.POINTS)
    assert c.verdict == "inconclusive" and "relies_on_word_needle" in {k.name for k in c.checks if not k.passed}
    assert "need above 0.5" in c.because and "须高于 0.5" in c.because_zh
    assert d.verdict == "qualified"  # the two agreement sub-claims still stand
    _zh_clean(ev)


def test_the_standard_checks_gate_the_trained_sub_claims():
    d = get_experiment("q11").decide(q11_evidence())
    assert {"learned", "lr_tuned", "equal_budget", "below_ceiling"} <= {c.name for c in d.checks}
    edge = [dataclasses.replace(e, value=1e-2) if e.name == names.lr("contrast") else e for e in q11_evidence()]
    unequal = [dataclasses.replace(e, value=[400, 800]) if e.name == names.READ_AT else e for e in q11_evidence()]
    for ev in (edge, unequal, q11_evidence(acc=(0.6, 0.55, 0.7))):
        r = rule.decide(ev)
        assert r.verdict == "inconclusive", r.gates
        assert all(r.verdicts[n] == "inconclusive" for n in (rule.POINTS, rule.TRAINED_AGREES, rule.REFINED_BETTER))
        assert r.verdicts[rule.MINILM_AGREES] == "confirmed"  # the encoder is measured, not trained
    ceiling = [dataclasses.replace(e, value=1.0, ci=None) if e.unit == "hit rate" and e.name.startswith("hit_")
               else e for e in q11_evidence()]
    assert not next(g for g in rule.decide(ceiling).gates if g.name == "below_ceiling").passed


# ---------------------------------------------------------------------------------------------------- trials
def test_contrast_analysis_batch_reads_only_disagreeing_texts_at_the_deciding_word():
    task = make_task("contrast", length=12)
    inputs, deciding = trials.analysis_batch(task, 20, seed=3)
    assert inputs.shape == (20, 12) and deciding.shape == (20,)
    polar = set(task.polar_ids["negative"]) | set(task.polar_ids["positive"])
    assert all(int(inputs[i, deciding[i]]) in polar for i in range(20))
    pos = set(task.polar_ids["positive"])
    for row in inputs.tolist():  # the two polar words disagree in every text
        signs = [w in pos for w in row if w in polar]
        assert len(signs) == 2 and signs[0] != signs[1], row
    again, _ = trials.analysis_batch(task, 20, seed=3)
    assert torch.equal(inputs, again)
    needle = make_task("needle", length=12)
    inputs, deciding = trials.analysis_batch(needle, 5, seed=0)
    assert all(int(inputs[i, deciding[i]]) in set(needle.polar_ids["negative"]) | set(needle.polar_ids["positive"])
               for i in range(5))


def test_minilm_trial_says_when_the_model_is_unavailable():
    assert set(trials.minilm_trial({"seed": 0, "n_texts": 2})) == {"unavailable"}  # the real model is off here


@pytest.mark.slow
@pytest.mark.real_model
def test_minilm_trial_scores_every_method_and_its_target_has_a_gradient():
    from attnlab.analysis.attribution import grad_input
    from attnlab.pretrained import load

    m = trials.minilm_trial({"seed": 0, "n_texts": 2})
    assert "unavailable" not in m, m
    assert set(m["rho"]) == set(METHODS) and len(m["lengths"]) == len(m["rho"]["raw"]) <= 2
    assert m["tokens"][0] == "[CLS]" and set(m["example"]) == set(POINTERS)
    model = load("all-MiniLM-L6-v2")
    ids = model.encode("I hate this movie.").input_ids
    assert grad_input(model, ids, target=trials.embedding_target(model, ids)).abs().sum() > 0


def test_the_one_line_answer_of_every_overall_verdict():
    est = qh.est
    weak = {names.rho("minilm", "raw"): est(0.2, 0.17, 0.24)}
    misses = {names.hit(t, "raw"): est(0.3, 0.2, 0.4) for t in TASKS}
    trained_weak = {names.rho(t, "raw"): est(0.1, 0.05, 0.15) for t in TASKS}
    straddle = {names.rho("minilm", "raw"): est(0.3, 0.2, 0.4), **{n: est(0.5, 0.4, 0.6) for n in misses},
                **{names.rho(t, "raw"): est(0.3, 0.2, 0.4) for t in TASKS}}
    qh.onelines_for_every_outcome("q11", q11_evidence(), {
        "all hold": ("confirmed", {}, "agrees with erasure (ρ 0.60 on MiniLM)", "ρ 0.60"),
        "finds the word, ranks unlike erasure": ("qualified", {**weak, **trained_weak},
                                                 "finds the deciding word in 0.90 of texts", "命中决定性词 0.90"),
        "neither": ("refuted", {**weak, **misses, **trained_weak}, "in only 0.30 of texts", "仅 0.30"),
        "every bar straddled": ("inconclusive", straddle, "straddle the bars", "跨过"),
    })


def test_the_explorer_opens_the_last_layer_on_the_word_erasure_ranks_first():
    import re

    import numpy as np

    from attnlab.questions.q11_explanation.explorer import explorer_focus

    toks = ["[CLS]", "i", "hate", "this", "movie", ".", "[SEP]"]
    w = torch.randn(3, 4, 7, 7, generator=torch.Generator().manual_seed(4)).softmax(-1)
    erasure = [9.0, 0.1, 0.5, 0.2, 2.0, 0.3, 9.0]  # [CLS]/[SEP] aside, 'movie' matters most
    f = explorer_focus(toks, w.tolist(), {"erasure": erasure})
    shown = np.round(w.numpy(), 3)
    received = shown[2, :, :, 4].mean(-1)
    assert (f["focus_layer"], f["focus_head"], f["focus_token"]) == (2, int(received.argmax()), 4)
    assert f["answer"].startswith(f"Layer 3, head {int(received.argmax()) + 1}: ") and "'movie'" in f["answer"]
    assert num(received.max()) in f["answer"] and num(received.mean()) in f["answer_zh"]
    assert not zh_problems(re.sub(r"“[^”]*”", "", f["answer_zh"])), f["answer_zh"]
    assert explorer_focus(["[CLS]", "[SEP]"], w[:, :, :2, :2].tolist(), {"erasure": [1.0, 1.0]}) == {}


def test_minilm_evidence_and_its_figure_from_a_trial_speak_clean_chinese():
    from attnlab.lab.spec import EvidenceSet
    from attnlab.questions.q11_explanation.plots import _example

    toks = ["[CLS]", "i", "hate", "this", "movie", ".", "[SEP]"]
    mini = {"rho": {m: [0.1, 0.3, None] for m in METHODS}, "lengths": [10, 12], "drawn": 3, "tokens": toks,
            "example": {m: [0.1 * (k + 1) for k in range(7)] for m in POINTERS}}
    ev = names.minilm_evidence(mini)
    by = {e.name: e for e in ev}
    assert by[names.rho("minilm", "raw")].n == 2 and by[names.rho("minilm", "raw")].number == pytest.approx(0.2)
    assert by[names.gain("minilm", "norm")].number == pytest.approx(0.0)
    assert not [(e.name, zh_problems(e.label_zh)) for e in ev if zh_problems(e.label_zh)]
    (plot,) = _example(EvidenceSet(ev))
    heat = plot.panels[0].heatmap
    assert heat.col_labels == toks[1:-1] and all(row[-1] == 1.0 for row in heat.values)
    assert not zh_problems(plot.caption_zh) and not zh_problems(plot.title_zh)
