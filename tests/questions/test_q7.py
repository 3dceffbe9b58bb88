"""q7 (why attention at all): the tasks and probes, every outcome of the rule, its flips, its words, a tiny run.

The rule is fed synthetic evidence that moves each deciding number across its threshold (steps ratio against
the margin, seeds that reached the threshold, weight on the deciding word, decisions flipped, the pretrained
model's share against the mean word's); every flip the rule states is applied and checked; the words are
checked in both languages for every outcome; the tiny run checks that a stored verdict equals the rule on the
stored evidence and that every text a reader sees exists in English and Chinese.
"""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path

import pytest
import torch

from attnlab.lab import rules, stats
from attnlab.lab.words import ONELINE_CHARS, ONELINE_WORDS, zh_length
from attnlab.lab.words.lint import zh_problems
from attnlab.questions.q7_why import names
from attnlab.questions.q7_why import rule as q7_rule
from attnlab.questions.q7_why.settings import (
    CELLS,
    FLIPS,
    FOCUS,
    LONG_CELLS,
    POOLINGS,
    SPEEDUP,
    TASKS,
    WORD_SHARE,
)
from attnlab.results import Evidence
from question_helpers import (
    REACHED,
    answers_for_every_outcome,
    assert_bilingual,
    assert_flips,
    assert_stored_verdict_is_its_rule,
    assert_zh_clean,
    est,
    patch,
    run_tiny,
)

LONG = [names.key(c) for c in LONG_CELLS]

# ---------------------------------------------------------------------------------------------- synthetic evidence


def _steps(name, reached, steps=100, n=5):
    return stats.steps_evidence(name, [steps] * reached + [None] * (n - reached), 600, label=name)


def _q7_evidence(*, speedup=(2.0, 1.7, 2.4), reached=5, other_reached=5, focus=(20.0, 10.0, 30.0),
                 flips=(0.4, 0.3, 0.5), minilm=(1.4, 1.2, 1.6), word=(2.0, 1.5, 2.5), available=True,
                 acc=(0.95, 0.92, 0.98), lr_bounds=(3e-3, 3e-2), read_at=(300,)):
    """Evidence for every name the rule and the words read; each long cell alike unless patched. The four
    standard checks pass unless ``acc`` (every condition's accuracy), ``lr_bounds`` or ``read_at`` say otherwise."""
    ev = [Evidence(names.length("long"), 200), Evidence(names.READ_AT, list(read_at)), Evidence(names.EVAL_EVERY, 25)]
    for task in TASKS:
        ev.append(Evidence(names.baseline(task, "bag_of_words"), 1.0 if task == "needle" else 0.75))
        ev.append(Evidence(names.baseline(task, "chance"), 0.5))
    for cell in CELLS:
        for p in POOLINGS:
            k = reached if p == "attention" else other_reached
            ev.append(_steps(names.steps(cell, p), k))
            ev.append(Evidence(names.acc(cell, p), acc[0], acc[1:], n=5))
            ev.append(Evidence(names.lr(cell, p), 1e-2, None, "lr", bounds=lr_bounds, n=1))
        ev.append(Evidence(names.best_other(cell), "max"))
        ev.append(Evidence(names.speedup(cell), speedup[0], speedup[1:], n=5))
        ev.append(Evidence(names.gain(cell), 0.0, (-0.01, 0.01), n=5))
    for cell in LONG_CELLS:
        ev.append(Evidence(names.focus(cell), focus[0], focus[1:], n=5))
        ev.append(Evidence(names.flips(cell), flips[0], flips[1:], n=5))
        ev.append(Evidence(names.uniform_acc(cell), 0.55, (0.5, 0.6), n=5))
    ev.append(Evidence(names.MINILM_AVAILABLE, "yes" if available else "no"))
    if available:
        ev.append(Evidence(names.MINILM_POLAR_RATIO, minilm[0], minilm[1:], n=5))
        ev.append(Evidence(names.MINILM_POLAR_WORD_RATIO, word[0], word[1:], n=5))
    return ev


def _one(ev, name, value, lo, hi):
    """``ev`` with the estimate ``name`` replaced."""
    return patch(ev, {name: est(value, lo, hi)})


NO_FOCUS = dict(focus=(1.0, 0.8, 1.2), flips=(0.05, 0.0, 0.08))
SCENARIOS = {  # name: (evidence, overall verdict, (beats, focuses), (beats case, focuses case))
    "all_win": (_q7_evidence(), "confirmed", ("confirmed", "confirmed"), ("all_win", "all_focus")),
    # the rule reads both comparisons: below the uniform share counts against, whatever the mean word's share says
    "minilm_below_uniform_above_word": (_q7_evidence(minilm=(0.6, 0.5, 0.7)), "qualified",
                                        ("confirmed", "qualified"), ("all_win", "minilm_short")),
    "minilm_undecided": (_q7_evidence(word=(0.9, 0.7, 1.1)), "qualified", ("confirmed", "qualified"),
                         ("all_win", "minilm_short")),
    "minilm_no": (_q7_evidence(word=(0.8, 0.7, 0.9)), "qualified", ("confirmed", "qualified"),
                  ("all_win", "minilm_short")),
    "minilm_unavailable": (_q7_evidence(available=False), "confirmed", ("confirmed", "confirmed"),
                           ("all_win", "all_focus")),
    "only_attention_learned": (_q7_evidence(other_reached=2, speedup=(1.0, 0.9, 1.1)), "confirmed",
                               ("confirmed", "confirmed"), ("all_win", "all_focus")),
    "only_other_learned": (_q7_evidence(reached=2), "inconclusive", ("refuted", "inconclusive"),
                           ("none_win", rules.GATE_FAILED)),
    # one part fails, the other holds: qualified by the one combination rule
    "no_margin": (_q7_evidence(speedup=(1.1, 0.9, 1.3)), "qualified", ("refuted", "confirmed"),
                  ("none_win", "all_focus")),
    "loses": (_q7_evidence(speedup=(0.5, 0.4, 0.6)), "qualified", ("refuted", "confirmed"),
              ("none_win", "all_focus")),
    "unclear": (_q7_evidence(speedup=(1.4, 1.0, 2.0)), "qualified", ("inconclusive", "confirmed"),
                ("unclear", "all_focus")),
    "focus_nowhere": (_q7_evidence(focus=(1.0, 0.8, 1.2)), "qualified", ("confirmed", "refuted"),
                      ("all_win", "none_focus")),
    "flips_nowhere": (_q7_evidence(flips=(0.05, 0.0, 0.08)), "qualified", ("confirmed", "refuted"),
                      ("all_win", "none_focus")),
    "nothing_focuses": (_q7_evidence(**NO_FOCUS), "qualified", ("confirmed", "refuted"), ("all_win", "none_focus")),
    "refuted": (_q7_evidence(speedup=(1.1, 0.9, 1.3), **NO_FOCUS), "refuted", ("refuted", "refuted"),
                ("none_win", "none_focus")),
    "unclear_no_focus": (_q7_evidence(speedup=(1.4, 1.0, 2.0), **NO_FOCUS), "refuted",
                         ("inconclusive", "refuted"), ("unclear", "none_focus")),
    "neither_learned": (_q7_evidence(reached=2, other_reached=2), "inconclusive", ("inconclusive", "inconclusive"),
                        (rules.GATE_FAILED, rules.GATE_FAILED)),
    # the four standard checks: a failed one leaves every part inconclusive
    "attention_at_baseline": (_q7_evidence(acc=(0.5, 0.45, 0.55)), "inconclusive", ("inconclusive",) * 2,
                              (rules.GATE_FAILED,) * 2),
    "lr_at_edge": (_q7_evidence(lr_bounds=(1e-2, 3e-2)), "inconclusive", ("inconclusive",) * 2,
                   (rules.GATE_FAILED,) * 2),
    "unequal_budget": (_q7_evidence(read_at=(250, 300)), "inconclusive", ("inconclusive",) * 2,
                       (rules.GATE_FAILED,) * 2),
    "at_ceiling": (_q7_evidence(acc=(0.995, 0.99, 1.0)), "inconclusive", ("inconclusive",) * 2,
                   (rules.GATE_FAILED,) * 2),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_q7_rule_gives_every_outcome(scenario):
    ev, overall, verdicts, cases = SCENARIOS[scenario]
    rs = q7_rule.decide(ev)
    assert rs.verdict == overall, (scenario, rs)
    assert tuple(c.verdict for c in rs.claims) == verdicts
    assert tuple(c.case for c in rs.claims) == cases
    assert (rs.verdict == "inconclusive") == any(not g.passed for g in rs.gates)
    assert [g.name for g in rs.gates[:4]] == ["learned", "lr_tuned", "equal_budget", "below_ceiling"]
    for c in rs.claims:  # every trained sub-claim carries the standard checks
        assert {"learned", "lr_tuned", "equal_budget", "below_ceiling"} <= {g.name for g in c.gates}


def test_q7_rule_reads_the_pretrained_model_against_the_mean_word():
    for word, outcome in [((2.0, 1.5, 2.5), "singles_out"), ((0.9, 0.7, 1.1), "undecided"), ((0.8, 0.7, 0.9), "no")]:
        assert q7_rule.decide(_q7_evidence(word=word)).claim(q7_rule.FOCUSES).values["minilm"] == outcome
    assert q7_rule.decide(_q7_evidence(available=False)).claim(q7_rule.FOCUSES).values["minilm"] == "unavailable"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_q7_flips_are_true_and_every_decided_sub_claim_has_one(scenario):
    ev = SCENARIOS[scenario][0]
    assert_flips("q7", ev)
    for r in q7_rule.decide(ev).claims:
        assert all(f.verdict != r.verdict for f in r.flips)
        if r.verdict != "inconclusive" and scenario not in ("nothing_focuses", "refuted", "unclear_no_focus"):
            assert r.flips, (scenario, r.name)


def test_q7_would_change_when_no_single_number_can():
    """No cell focuses on either count: one number cannot make a cell focus, so the words name both."""
    from attnlab.lab import get_experiment

    rs = q7_rule.decide(SCENARIOS["nothing_focuses"][0])
    assert rs.claim(q7_rule.FOCUSES).flips == ()
    d = get_experiment("q7").decide(SCENARIOS["nothing_focuses"][0])
    text = next(c for c in d.claims if c.name == q7_rule.FOCUSES).would_change
    assert "above 2.0x uniform" in text and "more than 10%" in text


def _flips(rs, claim=None):
    """(evidence, value rounded, verdict) of every flip of ``rs`` (of one sub-claim if named)."""
    claims = [rs.claim(claim)] if claim else rs.claims
    return {(f.evidence, round(f.value, 6), f.verdict) for c in claims for f in c.flips}


def test_q7_flips_cross_each_threshold_toward_the_other_outcomes():
    """One long cell: crossing a margin moves its sub-claim to the other side (a sub-claim's flips are its own)."""
    cell = LONG_CELLS[0]
    flips = _flips(q7_rule.decide(_q7_evidence()))
    assert (names.speedup(cell), round(SPEEDUP - 0.05, 6), "refuted") in flips
    assert (names.focus(cell), round(FOCUS - 0.1, 6), "refuted") in flips
    assert (names.MINILM_POLAR_WORD_RATIO, round(WORD_SHARE - 0.05, 6), "qualified") in flips
    refuted = _flips(q7_rule.decide(_q7_evidence(speedup=(1.1, 0.9, 1.3))), q7_rule.BEATS)
    assert refuted == {(names.speedup(c), round(SPEEDUP + 0.05, 6), "confirmed") for c in LONG_CELLS}
    unclear = _flips(q7_rule.decide(_q7_evidence(speedup=(1.4, 1.0, 2.0))), q7_rule.BEATS)
    assert {v for _, _, v in unclear} == {"confirmed", "refuted"}
    learned_only = _flips(q7_rule.decide(_q7_evidence(other_reached=2, speedup=(1.0, 0.9, 1.1))), q7_rule.BEATS)
    assert {(v, verdict) for _, v, verdict in learned_only} == {(math.inf, "inconclusive")}
    flips_only = _flips(q7_rule.decide(_q7_evidence(flips=(0.05, 0.0, 0.08))), q7_rule.FOCUSES)
    assert flips_only == {(names.flips(c), round(FLIPS + 0.01, 6), "confirmed") for c in LONG_CELLS}
    focus_only = _flips(q7_rule.decide(_q7_evidence(focus=(1.0, 0.8, 1.2))), q7_rule.FOCUSES)
    assert focus_only == {(names.focus(c), round(FOCUS + 0.1, 6), "confirmed") for c in LONG_CELLS}


def test_q7_would_change_names_a_condition_that_does_not_hold_yet():
    """The old text said "a pretrained model giving the polar word no more than its uniform share" while the
    model gave it 0.62x its uniform share and the sub-claim stood confirmed; now the words are the flips."""
    from attnlab.lab import get_experiment

    ev = _q7_evidence(minilm=(0.62, 0.55, 0.68), word=(1.32, 1.15, 1.5))
    d = get_experiment("q7").decide(ev)
    focus = next(c for c in d.claims if c.name == q7_rule.FOCUSES)
    assert focus.verdict == "qualified"  # 0.62x the uniform share counts against, whatever the mean word says
    assert "1.05x the uniform share" in focus.would_change and "1.05 倍" in focus.would_change_zh
    changed = [rules.with_value(e, WORD_SHARE + 0.05) if e.name == names.MINILM_POLAR_RATIO else e for e in ev]
    assert q7_rule.decide(changed).claim(q7_rule.FOCUSES).verdict == "confirmed"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_q7_words_in_both_languages_for_every_outcome(scenario):
    from attnlab.lab import get_experiment

    ev = SCENARIOS[scenario][0]
    d, text = get_experiment("q7").judge(ev)
    assert d.rule.startswith(d.verdict) and text.summary and text.answer_en and text.answer_zh
    zh = [text.answer_zh, text.oneline_zh]
    zh += [t for c in d.claims for t in (c.statement_zh, c.because_zh, c.would_change_zh)]
    zh += [k.detail_zh for c in d.claims for k in c.checks]
    for t in zh:
        assert t and not zh_problems(t) and "判决" not in t, (t, zh_problems(t))
    _fits(text.oneline_en, text.oneline_zh)
    for c in d.claims:
        assert c.because and c.would_change and c.statement and c.rule.startswith(c.verdict)
        assert "No measurement could change it" not in c.would_change


ONE_LINE_NUMBERS = {  # the number each scenario's one-line answer carries (None: the standard check's own line)
    "all_win": "20.0", "minilm_below_uniform_above_word": "0.60", "minilm_undecided": "0.90", "minilm_no": "0.80",
    "minilm_unavailable": "20.0", "only_attention_learned": "20.0", "only_other_learned": "2",
    "no_margin": "1.10", "loses": "0.50", "unclear": "1.40", "focus_nowhere": "1.0",
    "flips_nowhere": "5%", "nothing_focuses": "1.0", "refuted": "1.10", "unclear_no_focus": "1.40",
    "neither_learned": "2", "attention_at_baseline": None, "lr_at_edge": None, "unequal_budget": None,
    "at_ceiling": None,
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_q7_one_line_answer_for_every_outcome(scenario):
    """One sentence per outcome, in both languages: within the limits, with its number, in clean Chinese."""
    from attnlab.lab import get_experiment

    ev, overall = SCENARIOS[scenario][:2]
    d, text = get_experiment("q7").judge(ev)
    en, zh = text.oneline_en, text.oneline_zh
    assert d.verdict == overall
    _fits(en, zh, ONE_LINE_NUMBERS[scenario])
    assert ("Not settled yet" in en and zh.startswith("尚无定论")) == (overall == "inconclusive")


def _fits(en: str, zh: str, number: str | None = None) -> None:
    """A one-line answer: in both languages, within the limits, with ``number`` in both, in clean Chinese and the
    glossary's terms ("预测翻转", not "判决翻转"; "5 个种子都没有达到", not "... 有 0 个")."""
    assert 0 < len(en.split()) <= ONELINE_WORDS and 0 < zh_length(zh) <= ONELINE_CHARS, (en, zh)
    assert number is None or (number in en and number in zh), (number, en, zh)
    assert not zh_problems(zh) and "判决" not in zh and "种子中有 0 个" not in zh, zh


def test_q7_one_line_answer_names_the_setting_too_close_to_call():
    """The steps ratio straddles the margin while attention focuses: qualified, and the line says which ratio
    leaves the first part open."""
    from attnlab.lab import get_experiment

    ev = _one(_q7_evidence(), names.speedup(LONG_CELLS[0]), 1.41, 1.01, 1.95)
    d, text = get_experiment("q7").judge(ev)
    assert d.verdict == "qualified"
    assert "is open" in text.oneline_en and "1.41" in text.oneline_en
    assert "尚难判定" in text.oneline_zh and "1.41" in text.oneline_zh


def test_q7_rule_holds_no_sentence():
    """rule.py: numbers and verdicts only (no string of three or more words, no Chinese)."""
    import attnlab.questions.q7_why.rule as module

    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    docstrings = {id(n.body[0].value) for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.FunctionDef))
                  and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
            assert len(node.value.split()) < 3 and not re.search(r"[\u3400-\u9fff]", node.value), node.value


# ---------------------------------------------------------------------------------------------- tiny run


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny profile of q7, run once in this process (the real model is off in tests)."""
    return run_tiny(["q7"], tmp_path_factory)["q7"]


@pytest.mark.slow
def test_tiny_run_verdict_equals_decide_on_its_evidence(tiny, tmp_path):
    assert_stored_verdict_is_its_rule(tiny)
    assert tiny.rule.startswith(tiny.verdict)
    assert tiny.claims and tiny.checks and tiny.literature and tiny.figures
    from attnlab.report.figures import draw_result

    files = draw_result(tiny, tmp_path)
    assert files and all((tmp_path / "q7" / f).is_file() for f in files)
    expected = {names.steps(LONG_CELLS[0], "attention"), names.speedup(LONG_CELLS[0]), names.focus(LONG_CELLS[0]),
                names.READ_AT, names.lr(LONG_CELLS[0], "attention"),
                names.flips(LONG_CELLS[0]), names.baseline("contrast", "bag_of_words"),
                names.baseline("needle", "bag_of_words"), names.MINILM_AVAILABLE}
    assert expected <= {e.name for e in tiny.evidence}
    assert_flips("q7", tiny.evidence)


@pytest.mark.slow
def test_tiny_run_speaks_english_and_chinese(tiny):
    assert_bilingual(tiny)
    assert_zh_clean(tiny)
    # the real model is off: its trial said so, and nothing stands in for its attention map
    assert next(e for e in tiny.evidence if e.name == names.MINILM_AVAILABLE).value == "no"
    assert tiny.attention_maps == []
    _fits(tiny.oneline["en"], tiny.oneline["zh"])


@pytest.mark.slow
def test_q7_answers_follow_every_outcome(tiny):
    ev = tiny.evidence
    reached = {e.name: REACHED for e in ev if e.name.startswith("steps_")}
    conds = [(c, p) for c in LONG_CELLS for p in POOLINGS]
    base = {**reached, **{f"speedup_{c}": est(2.25, 1.8, 2.7) for c in LONG},
            **{f"focus_{c}": est(20.0, 10.0, 30.0) for c in LONG}, **{f"flips_{c}": est(0.4, 0.3, 0.5) for c in LONG},
            **{names.acc(c, p): est(0.95, 0.92, 0.98) for c, p in conds}}
    no_focus = {**{f"focus_{c}": est(1.0, 0.8, 1.2) for c in LONG},
                **{f"flips_{c}": est(0.05, 0.0, 0.08) for c in LONG}}
    lrs = [names.lr(c, p) for c, p in conds]
    ev = [Evidence(e.name, 1e-2, None, "lr", bounds=(3e-3, 3e-2), n=1) if e.name in lrs else e for e in ev]
    scenarios = {
        "confirmed": base,
        "qualified": {**base, f"focus_{LONG[0]}": est(1.0, 0.8, 1.2)},
        "refuted": {**base, **no_focus, **{f"speedup_{c}": est(1.15, 0.9, 1.3) for c in LONG}},
        "inconclusive": {**base, **{names.acc(c, p): est(0.999, 0.995, 1.0) for c, p in conds}},
    }
    answers_for_every_outcome("q7", ev, scenarios, {"confirmed": "2.25", "qualified": "1.0", "refuted": "1.15"})
    from attnlab.lab import get_experiment

    # the one line: the weight on the deciding word, the ratio short of the margin
    numbers = {"confirmed": "20.0", "qualified": "1.0", "refuted": "1.15", "inconclusive": None}
    for verdict, changes in scenarios.items():
        _, text = get_experiment("q7").judge(patch(ev, changes))
        _fits(text.oneline_en, text.oneline_zh, numbers[verdict])


# ---------------------------------------------------------------------------------------------- tasks and probes


def test_contrast_task_labels_follow_the_connective_and_baselines_are_exact():
    from attnlab.data import ContrastSentimentTask, make_task

    task = make_task("contrast", length=12, conflict_rate=0.5)
    assert isinstance(task, ContrastSentimentTask)
    a, b = task.sample(4000, 3), task.sample(4000, 3)
    assert torch.equal(a.inputs, b.inputs) and torch.equal(a.targets, b.targets)  # seeded
    rows = torch.arange(len(a))
    polar = torch.tensor(task.polar_ids["positive"])
    pos_first = torch.isin(a.inputs[rows, a.extra["deciding_pos"].minimum(a.extra["other_pos"])], polar).long()
    pos_last = torch.isin(a.inputs[rows, a.extra["deciding_pos"].maximum(a.extra["other_pos"])], polar).long()
    although = a.extra["connective"].bool()
    assert torch.equal(a.targets, torch.where(although, pos_first, pos_last))
    assert bool((a.extra["connective_pos"] > a.extra["deciding_pos"].minimum(a.extra["other_pos"])).all())
    conflict = a.extra["conflict"]
    assert torch.equal(conflict, pos_first != pos_last)
    base = task.baselines()
    assert base["bag_of_words"] == base["first_polar"] == base["last_polar"] == 0.75 and base["majority"] == 0.5
    # the first-polar predictor is right on agreeing texts and on half the conflicting ones
    assert abs(float((pos_first == a.targets).float().mean()) - base["first_polar"]) < 0.03
    assert abs(float((pos_first[conflict] == a.targets[conflict]).float().mean()) - 0.5) < 0.04
    assert task.decode(task.encode("i love it but the ending was dull")[0])[3] == "but"
    with pytest.raises(ValueError, match="unknown words"):
        task.encode("i love xylophones")
    with pytest.raises(ValueError, match="length"):
        make_task("contrast", length=2)


def test_needle_task_bag_of_words_baseline_is_exact():
    from attnlab.data import make_task

    task = make_task("needle", length=12, min_len=6)
    assert task.baselines() == {"chance": 0.5, "bag_of_words": 1.0}
    batch = task.sample(2000, 0)
    positive = torch.isin(batch.inputs, torch.tensor(task.polar_ids["positive"])).any(dim=1)
    assert torch.equal(positive.long(), batch.targets)  # the bag of words decides every text


def test_permutation_test_is_zero_for_uniform_weights_and_moves_for_peaked_ones():
    from attnlab.analysis.permutation import permutation_test
    from attnlab.data import make_task
    from attnlab.models import RNNClassifier

    task = make_task("needle", length=10)
    batch = task.sample(64, 0)
    torch.manual_seed(0)
    model = RNNClassifier(vocab_size=task.vocab_size, n_classes=2, d_model=8, pooling="attention").eval()
    with torch.no_grad():
        model.pool.score.v.zero_()  # constant logits: uniform weights, which a permutation cannot change
    g = torch.Generator().manual_seed(0)
    r = permutation_test(model, batch.inputs, targets=batch.targets, n_perm=5, generator=g)
    assert r.median_tvd < 1e-6 and r.flip_rate == 0.0
    assert r.accuracy == r.permuted_accuracy == r.uniform_accuracy
    with torch.no_grad():
        model.pool.score.v.fill_(5.0)
        model.pool.score.bias.normal_(0, 3)
    r = permutation_test(model, batch.inputs, targets=batch.targets, n_perm=5, generator=g)
    assert r.median_tvd > 0
    with pytest.raises(ValueError, match="pooling='attention'"):
        permutation_test(RNNClassifier(vocab_size=task.vocab_size, n_classes=2, d_model=8), batch.inputs)


def test_q7_grid_runs_every_cell_and_pooling_and_one_pretrained_trial():
    from attnlab.questions.q7_why.trials import minilm_trial, train_trial, trials

    grid = trials("tiny", [0, 1])
    train = [t for t in grid if t.fn is train_trial]
    assert len(train) == len(CELLS) * len(POOLINGS) * 2
    assert {(t.config["task"], t.config["role"], t.config["encoder"]) for t in train} == set(CELLS)
    assert [t.config["max_sentences"] for t in grid if t.fn is minilm_trial] == [3]


@pytest.mark.real_model
def test_attention_received_by_a_word_of_a_real_sentence():
    from attnlab.analysis.token_attention import attention_received
    from attnlab.pretrained import PretrainedUnavailable, load

    try:
        model = load("all-MiniLM-L6-v2")
    except PretrainedUnavailable as exc:
        pytest.skip(str(exc))
    r = attention_received(model, "I hate this movie.", "hate")
    assert r.tokens[r.index] == "hate" and r.n_words == len(r.tokens) - 2
    assert len(r.share) == model.n_layers and all(0 < s < 1 for s in r.share)
    assert r.uniform == pytest.approx(1 / len(r.tokens))
    assert all(1 <= k <= r.n_words for k in r.rank) and 1 <= r.deletion_rank <= r.n_words
    # the word's share over the mean non-special token's share, per layer
    assert r.word_ratio[0] == pytest.approx(r.share[0] / r.word_share[0])
    with pytest.raises(ValueError, match="single token"):
        attention_received(model, "I hate this movie.", "love")


@pytest.mark.real_model
def test_q7_minilm_trial_returns_the_seed_sentence_attention_map():
    from attnlab.questions.q7_why.trials import minilm_trial

    m = minilm_trial({"max_sentences": 1})
    assert "unavailable" not in m, m
    assert m["tokens"][2] == "hate"
    w = torch.tensor(m["weights"])  # (L, H, T, T)
    assert w.shape[2:] == (len(m["tokens"]), len(m["tokens"]))
    assert torch.allclose(w.sum(-1), torch.ones(w.shape[:3]), atol=1e-3)
    assert len(m["sentences"]) <= 1 and m["candidates"] == 1 and "Pattern" in m["source"]


def test_q7_minilm_trial_says_when_the_model_is_unavailable():
    from attnlab.questions.q7_why.evidence import minilm_evidence
    from attnlab.questions.q7_why.trials import minilm_trial

    m = minilm_trial({"max_sentences": 1})
    assert set(m) == {"unavailable"}  # the real model is off here
    (e,) = minilm_evidence(m)
    assert e.value == "no" and not zh_problems(e.label_zh)
