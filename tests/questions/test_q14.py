"""q14 (can a linear or recurrent mixer replace softmax attention?): its tiny run, its rule on hand-made evidence
(every outcome of every sub-claim and overall, every flip applied), its words in English and Chinese, and the models
and counts behind it."""

from __future__ import annotations

import pytest
import torch

import question_helpers as qh
from attnlab.lab import get_experiment, list_questions
from attnlab.lab.words.lint import zh_problems
from attnlab.questions.q14_mixers import QUESTION, rule
from attnlab.questions.q14_mixers import evidence as names
from attnlab.questions.q14_mixers.models import (
    TokenShift,
    build_model,
    flops_per_token,
    lstm_width,
    n_params,
    state_numbers,
)
from attnlab.questions.q14_mixers.settings import MIXERS, N_HEADS, N_LAYERS, RECURRENT
from attnlab.questions.q14_mixers.trials import recall_task
from attnlab.results import Evidence

CLAIMS = {rule.SOFTMAX_RECALLS, rule.STATES_FALL, rule.SOFTMAX_AHEAD}
PAIRS = (2, 4, 8)


# ---------------------------------------------------------------------------------------------------- tiny run
@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny profile of q14, run once in this process."""
    return qh.run_tiny(["q14"], tmp_path_factory)["q14"]


@pytest.mark.slow
def test_tiny_run_is_its_rule_on_its_evidence_in_both_languages(tiny, tmp_path):
    qh.assert_tiny_result(tiny, CLAIMS, tmp_path)
    ev = {e.name: e for e in tiny.evidence}
    assert {names.acc(m, p) for m in MIXERS for p in (2, 4)} | {names.gap(m, 4) for m in RECURRENT} <= set(ev)
    assert ev[names.baseline("no_lookup", 4)].number > ev[names.baseline("chance", 4)].number


def test_q14_is_beyond_the_seed_and_listed_after_it():
    qs = [q.qid for q in list_questions()]
    assert QUESTION.group == "beyond" and QUESTION.question_zh and not zh_problems(QUESTION.question_zh)
    assert qs.index("q14") > max(qs.index(f"q{i}") for i in range(1, 9))


# ---------------------------------------------------------------------------------------------------- the rule
def _e(name, value, lo=None, hi=None, unit="accuracy", n=5):
    return Evidence(name, value, None if lo is None else (lo, hi), unit, n=n, label=name, label_zh="证据")


HIGH, LOW, STRADDLE, MID = (0.98, 0.96, 1.0), (0.3, 0.25, 0.35), (0.9, 0.85, 0.95), (0.6, 0.55, 0.65)
AHEAD, BEHIND, EVEN = (0.5, 0.4, 0.6), (-0.2, -0.25, -0.15), (0.0, -0.1, 0.1)


def q14_evidence(acc=None, gap=None, reached=5):
    """Hand-made q14 evidence. ``acc[(mixer, pairs)]`` is (value, lo, hi); by default softmax attention recalls at
    every count and every fixed-state mixer recalls at 2 pairs only (below 0.9 from 4), so every sub-claim holds;
    ``gap[mixer]`` is softmax minus the mixer at the largest count (default: softmax ahead)."""
    acc, gap = acc or {}, gap or {}
    ev = [Evidence(names.READ_AT, [1000], unit="steps"), _e(names.D_MODEL, 32, unit="width")]
    ev += [Evidence(names.lr(m), 3e-3, bounds=(1e-3, 1e-2), unit="lr") for m in MIXERS]
    for m in MIXERS:
        ev.append(_e(names.params(m), 25000, unit="parameters"))
    for p in PAIRS:
        ev += [_e(names.baseline("chance", p), 1 / 64), _e(names.baseline("no_lookup", p), 0.5 / p + 0.02)]
        for m in MIXERS:
            default = HIGH if m == "softmax" or p == PAIRS[0] else LOW
            ev.append(_e(names.acc(m, p), *acc.get((m, p), default)))
            ev.append(Evidence(names.steps(m, p), 400.0, None, "steps", n=5, label="steps", label_zh="步数",
                               per_seed=[400] * reached + [None] * (5 - reached)))
            ev.append(_e(names.state(m, p), 512 * (p if m == "softmax" else 1), unit="numbers"))
            ev.append(_e(names.flops(m, p), 4096, unit="multiply-adds"))
            if m != "softmax":
                ev.append(_e(names.gap(m, p), *(gap.get(m, AHEAD) if p == PAIRS[-1] else AHEAD)))
    return ev


def _at_top(m, value):
    return {(m, PAIRS[-1]): value}


ALL_HIGH = {(m, PAIRS[-1]): HIGH for m in RECURRENT}

# (scenario, sub-claim, verdict, what the one-line answer says (en, zh))
OUTCOMES = [
    ({}, rule.SOFTMAX_RECALLS, "confirmed", ("Not for recall: with 8 pairs softmax attention recalls 0.98",
                                             "不能：8 个键值对时 softmax 达 0.98")),
    ({"acc": _at_top("softmax", LOW)}, rule.SOFTMAX_RECALLS, "qualified",
     ("softmax attention too reaches only 0.30", "softmax 也只有 0.30")),
    ({"acc": {("softmax", p): MID for p in PAIRS}}, rule.SOFTMAX_RECALLS, "refuted",
     ("softmax attention too reaches only 0.60", "也只有 0.60")),
    ({"acc": {("softmax", p): STRADDLE for p in PAIRS}}, rule.SOFTMAX_RECALLS, "inconclusive",
     ("Partly", "部分成立")),
    ({}, rule.STATES_FALL, "confirmed", ("every fixed-state mixer falls below 0.9", "固定状态混合层都低于 0.9")),
    ({"acc": _at_top("lstm", HIGH)}, rule.STATES_FALL, "qualified",
     ("3 of 4 fixed-state mixers fall below 0.9", "固定状态混合层 3/4 个低于 0.9")),
    ({"acc": ALL_HIGH, "gap": {m: EVEN for m in RECURRENT}}, rule.STATES_FALL, "refuted",
     ("every fixed-state mixer stays above 0.9 too (lowest 0.98)", "固定状态混合层也都高于 0.9")),
    ({"acc": {(m, PAIRS[-1]): STRADDLE for m in RECURRENT}}, rule.STATES_FALL, "inconclusive",
     ("Partly", "部分成立")),
    ({}, rule.SOFTMAX_AHEAD, "confirmed", ("0.98", "0.98")),
    ({"gap": {"linear": EVEN}}, rule.SOFTMAX_AHEAD, "qualified", ("Partly", "部分成立")),
    ({"acc": ALL_HIGH, "gap": {m: BEHIND for m in RECURRENT}}, rule.SOFTMAX_AHEAD, "refuted",
     ("stays above 0.9 too", "也都高于 0.9")),
    ({"gap": {m: EVEN for m in RECURRENT}}, rule.SOFTMAX_AHEAD, "inconclusive", ("Partly", "部分成立")),
]


@pytest.mark.parametrize(("scenario", "name", "expected", "oneline"), OUTCOMES)
def test_every_outcome_of_every_sub_claim_with_its_flips_and_words(scenario, name, expected, oneline):
    qh.assert_outcome("q14", q14_evidence(**scenario), name, expected, *oneline)


def test_overall_verdict_and_answers_for_every_outcome():
    exp = get_experiment("q14")
    cases = {
        "confirmed": (q14_evidence(), "0.98", ("Not for recall", "不能")),
        "qualified": (q14_evidence(acc=_at_top("lstm", HIGH), gap={"lstm": EVEN}), "0.98",
                      ("3 of 4 fixed-state mixers", "3/4 个低于")),
        "refuted": (q14_evidence(acc={**ALL_HIGH, **{("softmax", p): MID for p in PAIRS}},
                                 gap={m: BEHIND for m in RECURRENT}), "0.98", ("Yes at these sizes", "可以")),
        "inconclusive": (q14_evidence(acc={(m, p): STRADDLE for m in MIXERS for p in PAIRS},
                                      gap={m: EVEN for m in RECURRENT}), None, ("Undecided", "尚无定论")),
    }
    for expected, (ev, number, line) in cases.items():
        qh.assert_overall("q14", ev, expected, number, *line)
    assert exp.explain(cases["qualified"][0]).answer_zh.startswith("只部分成立")


def test_where_each_mixer_falls_is_said_with_its_pair_count():
    acc = {("linear", 2): HIGH, ("linear", 4): HIGH, ("delta", 2): LOW}  # linear falls at 8, delta from the start
    ev = q14_evidence(acc=acc)
    c = next(c for c in get_experiment("q14").decide(ev).claims if c.name == rule.STATES_FALL)
    assert c.verdict == "confirmed"
    assert "below 0.9 from 8 pairs" in c.because and "below 0.9 already at 2 pairs" in c.because, c.because
    assert "从 8 个键值对起低于 0.9" in c.because_zh
    assert rule.falls_at({e.name: e for e in ev}, "gated_delta") == 4
    text = get_experiment("q14").explain(ev)
    assert "keeps" in text.answer_en and "multiply-adds" in text.answer_en and "乘加" in text.answer_zh


def test_the_standard_checks_gate_every_sub_claim_and_exempt_the_fixed_state_mixers():
    ev = q14_evidence()
    d = get_experiment("q14").decide(ev)
    assert {c.name for c in d.checks} >= {"learned", "lr_tuned", "equal_budget", "below_ceiling"}
    learned = next(c for c in d.checks if c.name == "learned")
    assert learned.passed  # the fixed-state mixers sit at 0.3 at 8 pairs, exempt
    # softmax attention at its trivial baseline: nothing stands
    low = q14_evidence(acc={("softmax", 8): (0.05, 0.0, 0.08)})
    d2 = get_experiment("q14").decide(low)
    assert d2.verdict == "inconclusive" and all(c.verdict == "inconclusive" for c in d2.claims)
    # a learning rate at the edge of its sweep
    edge = [Evidence(e.name, 1e-2, bounds=(1e-3, 1e-2), unit="lr") if e.name == names.lr("delta") else e for e in ev]
    assert get_experiment("q14").decide(edge).verdict == "inconclusive"
    # every accuracy at the ceiling decides nothing
    top = q14_evidence(acc={(m, 8): (1.0, 1.0, 1.0) for m in MIXERS}, gap={m: (0.0, 0.0, 0.0) for m in RECURRENT})
    assert next(c for c in get_experiment("q14").decide(top).checks if c.name == "below_ceiling").passed is False


# ---------------------------------------------------------------------------------------------------- models
def test_token_shift_is_causal_and_adds_the_previous_token():
    torch.manual_seed(0)
    shift = TokenShift(4)
    x = torch.randn(2, 6, 4)
    y = shift(x)
    x2 = x.clone()
    x2[:, 3] += 1.0  # a change at position 3 moves positions 3 and 4 only
    moved = (shift(x2) - y).abs().sum(-1) > 1e-6
    assert moved[:, 3:5].all() and not moved[:, :3].any() and not moved[:, 5:].any()
    w = shift.conv.weight[:, 0]  # (C, 2): previous, current
    expected = x[:, 1:] + w[:, 1] * x[:, 1:] + w[:, 0] * x[:, :-1] + shift.conv.bias
    assert torch.allclose(y[:, 1:], expected, atol=1e-6)
    with pytest.raises(ValueError, match="x: expected shape"):
        shift(torch.randn(2, 6, 5))


@pytest.mark.parametrize("mixer", MIXERS)
def test_every_model_reads_the_task_causally_at_about_equal_parameters(mixer):
    task = recall_task(4)
    torch.manual_seed(0)
    model = build_model(mixer, 32, vocab_size=task.vocab_size, n_outputs=task.n_classes, max_len=task.seq_len)
    model.eval()
    batch = task.sample(3, 0)
    logits = model(batch.inputs).logits
    assert logits.shape[:2] == batch.inputs.shape and logits.shape[-1] >= task.n_classes
    changed = batch.inputs.clone()
    changed[:, -1] = 2  # the last token changes nothing before it
    assert torch.allclose(model(changed).logits[:, :-1], logits[:, :-1], atol=1e-5)
    softmax = n_params(build_model("softmax", 32, vocab_size=task.vocab_size, n_outputs=task.n_classes,
                                   max_len=task.seq_len))
    assert abs(n_params(model) - softmax) / softmax < 0.03


def test_lstm_width_is_the_parameter_matched_one():
    task = recall_task(8)
    h = lstm_width(32, task.vocab_size, task.n_classes, task.seq_len)
    model = build_model("lstm", 32, vocab_size=task.vocab_size, n_outputs=task.n_classes, max_len=task.seq_len)
    assert model.rnn.config.d_model == h
    target = n_params(build_model("softmax", 32, vocab_size=task.vocab_size, n_outputs=task.n_classes,
                                  max_len=task.seq_len))
    for other in (h - 1, h + 1):  # the neighbours are no nearer
        from attnlab.questions.q14_mixers.models import RecallLSTM
        assert abs(n_params(RecallLSTM(task.vocab_size, other, task.n_classes)) - target) >= abs(
            n_params(model) - target)


def test_state_and_flops_counts_are_the_formulas():
    d, h = 32 // N_HEADS, N_HEADS
    assert state_numbers("softmax", 32, 25) == 2 * h * d * 25 * N_LAYERS
    assert state_numbers("linear", 32, 25) == h * (d * d + d) * N_LAYERS
    assert state_numbers("delta", 32, 25) == state_numbers("gated_delta", 32, 999) == h * d * d * N_LAYERS
    assert state_numbers("lstm", 32, 25, lstm_hidden=40) == 2 * 40 * 2
    assert flops_per_token("softmax", 32, 50) > flops_per_token("softmax", 32, 10)
    assert flops_per_token("linear", 32, 50) == flops_per_token("linear", 32, 10)
    with pytest.raises(ValueError, match="lstm_hidden"):
        state_numbers("lstm", 32, 25)
    with pytest.raises(ValueError, match="mixer"):
        state_numbers("cnn", 32, 25)


def test_recurrent_state_matches_what_the_model_carries_when_decoding():
    # the count of state_numbers is what the linear and delta mixers really keep per sequence
    from attnlab.models import TransformerLM

    for mixer in ("linear", "delta", "gated_delta"):
        lm = TransformerLM(vocab_size=20, d_model=32, n_heads=N_HEADS, n_layers=N_LAYERS, max_len=16, mixer=mixer)
        caches = lm.make_caches(1, 16)
        lm.eval()
        with torch.no_grad():
            lm(torch.randint(1, 20, (1, 5)), caches=caches)
        held = sum(t.numel() for c in caches for t in c.tensors)
        assert held == state_numbers(mixer, 32, 5), mixer
