"""q5: the tiny run (timings: slow), its stored verdict from the rule, every outcome of every sub-claim on
evidence aggregated from made-up timings, every flip, the answers in both languages, clean Chinese."""

from __future__ import annotations

import pytest

from attnlab.lab import decide, get_experiment
from attnlab.lab.spec import Outcomes, TrialOutcome
from attnlab.lab.words import ONELINE_CHARS, ONELINE_WORDS, zh_length
from attnlab.lab.words.lint import zh_problems
from attnlab.questions.q5_parallel import ARCHS, device_trial
from attnlab.questions.q5_parallel.evidence import aggregate, lengths_in
from attnlab.questions.q5_parallel.settings import GEN_MODES
from attnlab.results import Evidence
from question_helpers import (
    answers_for_every_outcome,
    assert_bilingual,
    assert_flips,
    assert_stored_verdict_is_its_rule,
    assert_zh_clean,
    patch,
    run_tiny,
)

LENGTHS, GEN_LENGTHS, REPEATS = (8, 32), (4, 16), 9
T, L = LENGTHS[-1], GEN_LENGTHS[-1]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny profile of q5, run once in this process (timing trials: about 15 s)."""
    return run_tiny(["q5"], tmp_path_factory)["q5"]


def _timed(value: float, lo: float, hi: float, n: int = REPEATS) -> dict:
    """The fields of a timing ratio over ``n`` repeats with interval ``[lo, hi]``."""
    return {"value": value, "ci": (lo, hi), "n": n}


def _made_up() -> list[Evidence]:
    """Evidence aggregated from made-up timings of every trial (9 repeats, a quiet 2-CPU machine)."""
    load = {"others_cores": 0.05, "cpus": 2}
    threads = [TrialOutcome({"kind": "threads", "T": t, "batch": 1, "threads": [1, 2], "seed": 0, "d_model": 16,
                             "n_heads": 4, "repeats": REPEATS, "warmup": 1},
                            {"times": {a: {"1": [1e-3 * t * (1 + 0.01 * r) for r in range(REPEATS)],
                                           "2": [6e-4 * t * (1 + 0.02 * (r % 3)) for r in range(REPEATS)]}
                                       for a in ARCHS}, "flops": {a: 1e6 * t for a in ARCHS}, **load})
               for t in LENGTHS]
    second = TrialOutcome({**threads[-1].config, "replicate": 1}, threads[-1].measurements)  # the second run
    per_mode = {"parallel": 1e-4, "token_by_token": 6e-3, "cached": 6e-3, "uncached": 1.3e-2}
    gen = TrialOutcome({"kind": "generation", "lengths": list(GEN_LENGTHS), "vocab_size": 64, "n_layers": 2, "seed": 0},
                       {"times": {m: {str(n): [per_mode[m] * n * (1 + 0.01 * r) for r in range(REPEATS)]
                                      for n in GEN_LENGTHS} for m in GEN_MODES}, "max_abs_diff": 1e-7, **load})
    return aggregate(Outcomes([*threads, second, gen])).evidence


EVIDENCE = _made_up()
BASE = {  # a parallel encoder, a decoder parallel in training, sequential generation: qualified
    f"excess_encoder_vs_lstm_T{T}": _timed(2.1, 2.0, 2.2), f"speedup_encoder_T{T}": _timed(1.6, 1.5, 1.7),
    f"speedup_lstm_T{T}": _timed(0.75, 0.7, 0.8), f"excess_decoder_vs_lstm_T{T}": _timed(2.1, 2.0, 2.2),
    f"excess_decoder_vs_encoder_T{T}": _timed(1.0, 0.95, 1.05),
    f"excess_encoder_vs_lstm_T{LENGTHS[0]}": _timed(0.5, 0.4, 0.6),  # a shorter T the rule must not use
    f"speedup_encoder_T{LENGTHS[0]}": _timed(1.03, 0.99, 1.07),  # ... where the encoder gains nothing: named in text
    f"token_by_token_vs_parallel_L{L}": _timed(62.8, 57.9, 68.1),
    **{f"generation_vs_parallel_L{n}": _timed(62.7, 57.3, 68.7) for n in GEN_LENGTHS},
    f"cache_speedup_L{L}": _timed(2.27, 2.2, 2.34), "cache_speedup_growth": _timed(2.21, 2.13, 2.28),
}


def with_second_run(changes: dict[str, dict]) -> dict[str, dict]:
    """``changes`` with the second, independent timing run agreeing with the first unless a change names it."""
    names = {e.name for e in EVIDENCE}
    return {**{f"{k}_replicate": v for k, v in changes.items() if f"{k}_replicate" in names}, **changes}


def q5_evidence(changes: dict[str, dict] | None = None, n: int | None = None,
                gen_n: int | None = None) -> list[Evidence]:
    """The made-up evidence with BASE and ``changes``; ``n`` / ``gen_n`` repeats behind the thread / generation
    ratios (a busy machine stops a trial early)."""
    changes = with_second_run({**BASE, **(changes or {})})
    gen_n = n if gen_n is None else gen_n
    if n is not None:
        changes = {k: {**v, "n": n} if "T" in k and "ci" in v else v for k, v in changes.items()}
    if gen_n is not None:
        changes = {k: {**v, "n": gen_n} if ("_L" in k or k == "cache_speedup_growth") and "ci" in v else v
                   for k, v in changes.items()}
    return patch(EVIDENCE, changes)


def _claims(ev: list[Evidence]) -> dict[str, str]:
    return get_experiment("q5").rule(ev).verdicts


def _rule(ev: list[Evidence], name: str) -> str:
    return next(c.rule for c in decide("q5", ev).claims if c.name == name)


def _fits(en: str, zh: str, number: str | None = None) -> None:
    """A one-line answer: in both languages, within the limits, with ``number`` in both, in clean Chinese."""
    assert 0 < len(en.split()) <= ONELINE_WORDS and 0 < zh_length(zh) <= ONELINE_CHARS, (en, zh)
    assert number is None or (number in en and number in zh), (number, en, zh)
    assert not zh_problems(zh), zh_problems(zh)


def _zh_clean(ev: list[Evidence]) -> None:
    """Every Chinese text the rule's words give on ``ev`` is Chinese, and the one-line answer fits."""
    d, text = get_experiment("q5").judge(ev)
    _fits(text.oneline_en, text.oneline_zh)
    texts = {"answer": text.answer_zh, "oneline": text.oneline_zh, **{f"check {c.name}": c.detail_zh for c in d.checks}}
    for c in d.claims:
        texts.update({f"{c.name}.statement": c.statement_zh, f"{c.name}.because": c.because_zh,
                      f"{c.name}.would_change": c.would_change_zh})
    problems = {k: zh_problems(v) for k, v in texts.items() if zh_problems(v)}
    assert not problems, problems


# ---------------------------------------------------------------------------------------------------- tiny run
@pytest.mark.slow
def test_tiny_run_verdict_is_its_rule_on_its_evidence(tiny, tmp_path):
    assert tiny.profile == "tiny"
    assert_stored_verdict_is_its_rule(tiny)
    assert tiny.rule.startswith(tiny.verdict) and tiny.summary and tiny.answer["en"] and tiny.answer["zh"]
    assert [c.name for c in tiny.claims] == ["encoder_parallel", "decoder_training_not_parallel",
                                             "teacher_forcing_one_pass", "generation_sequential", "kv_cache_grows"]
    from attnlab.report.figures import draw_result

    files = draw_result(tiny, tmp_path)
    assert files and all((tmp_path / "q5" / f).is_file() for f in files)
    timed = [e for e in tiny.evidence if e.timing]
    assert timed and all(e.unit for e in timed)
    # one causal pass computes the same logits as token-by-token decoding
    assert next(e for e in tiny.evidence if e.name == "teacher_forcing_max_abs_diff").number < 1e-4


@pytest.mark.slow
def test_tiny_run_speaks_english_and_chinese(tiny):
    assert_bilingual(tiny)
    assert_zh_clean(tiny)
    _fits(tiny.oneline["en"], tiny.oneline["zh"])
    names = {e.name for e in tiny.evidence}
    for c in tiny.claims:  # a claim names the evidence that decides it
        assert c.evidence and set(c.evidence) <= names, (c.name, set(c.evidence) - names)


# ---------------------------------------------------------------------------------------------------- the rule
def test_every_outcome_and_the_answer_that_follows_it():
    scenarios = {
        "qualified": {},  # a parallel encoder, a decoder parallel in training, sequential generation
        "confirmed": {f"speedup_encoder_T{T}": _timed(1.77, 1.6, 1.9),
                      f"excess_decoder_vs_lstm_T{T}": _timed(0.9, 0.8, 1.0)},
        "refuted": {f"excess_encoder_vs_lstm_T{T}": _timed(0.95, 0.9, 1.0),
                    f"speedup_lstm_T{T}": _timed(1.93, 1.8, 2.0)},
        "inconclusive": {f"excess_encoder_vs_lstm_T{T}": _timed(1.3, 1.0, 1.6),
                         f"excess_decoder_vs_lstm_T{T}": _timed(1.12, 1.0, 1.2)},
    }
    answers_for_every_outcome("q5", EVIDENCE, {k: with_second_run({**BASE, **v}) for k, v in scenarios.items()},
                              {"qualified": "62.8", "confirmed": "1.77", "refuted": "1.93"})
    for name, changes in scenarios.items():
        ev = q5_evidence(changes)
        _zh_clean(ev)
        # an undecided timing needs both independent runs to move: no single number changes it
        assert assert_flips("q5", ev) >= (1 if name == "inconclusive" else 3)


def test_rule_names_its_numbers_and_sub_claims():
    ev = q5_evidence()
    d = decide("q5", ev)
    assert d.verdict == "qualified"
    assert _claims(ev) == {"encoder_parallel": "confirmed", "decoder_training_not_parallel": "refuted",
                           "teacher_forcing_one_pass": "confirmed", "generation_sequential": "confirmed",
                           "kv_cache_grows": "confirmed"}
    assert {c.name: c.basis for c in d.claims} == {
        "encoder_parallel": "measured", "decoder_training_not_parallel": "measured",
        "teacher_forcing_one_pass": "derivation", "generation_sequential": "derivation", "kv_cache_grows": "measured"}
    assert "2.10 [2.00, 2.20] times the LSTM" in _rule(ev, "encoder_parallel")
    assert f"1.03 [0.99, 1.07] at T={LENGTHS[0]}" in _rule(ev, "encoder_parallel")  # no gain at the shorter T
    assert "teacher forcing one pass confirmed (not counted)" in d.rule and "kv cache grows confirmed (not counted)" \
        in d.rule
    d = decide("q5", q5_evidence({f"excess_decoder_vs_lstm_T{T}": _timed(0.9, 0.8, 1.0)}))
    assert d.verdict == "confirmed"  # the causal block would not parallelise, the encoder does
    d = decide("q5", q5_evidence({f"excess_encoder_vs_lstm_T{T}": _timed(0.95, 0.9, 1.0)}))
    assert d.verdict == "refuted" and _claims(q5_evidence({f"excess_encoder_vs_lstm_T{T}": _timed(0.95, 0.9, 1.0)}))[
        "encoder_parallel"] == "refuted"
    ev = q5_evidence({f"excess_encoder_vs_lstm_T{T}": _timed(1.3, 1.0, 1.6)})  # the interval holds the margin
    # the encoder is open; the decided part (the decoder parallelises in training) is refuted: refuted
    assert decide("q5", ev).verdict == "refuted" and _claims(ev)["encoder_parallel"] == "inconclusive"
    claim = next(c for c in decide("q5", ev).claims if c.name == "encoder_parallel")
    assert "More timing repeats" in claim.would_change


def test_a_timing_verdict_must_hold_in_two_independent_runs():
    x = f"excess_encoder_vs_lstm_T{T}"
    ev = q5_evidence({f"{x}_replicate": _timed(1.05, 0.95, 1.08)})  # the second run finds no parallel gain
    claim = next(c for c in decide("q5", ev).claims if c.name == "encoder_parallel")
    assert claim.verdict == "inconclusive" and "the two runs disagree" in claim.because
    ev = q5_evidence({f"{x}_replicate": _timed(1.05, 0.95, 1.08),
                      f"excess_decoder_vs_lstm_T{T}": _timed(1.12, 1.0, 1.2)})
    _, text = get_experiment("q5").judge(ev)
    assert "disagree" in text.oneline_en and "不一致" in text.oneline_zh
    without = [e for e in q5_evidence() if not e.name.endswith("_replicate")]
    assert _claims(without)["encoder_parallel"] == "inconclusive"  # one run only: no timing verdict


def test_derivation_checks_do_not_decide():
    """The two rules that cannot fail in practice (one pass vs token by token, generation per token) are labelled
    derivation checks; whatever they say, the verdict comes from the thread speed-ups."""
    ev = q5_evidence({**{f"generation_vs_parallel_L{n}": _timed(0.5, 0.4, 0.6) for n in GEN_LENGTHS},
                      f"token_by_token_vs_parallel_L{L}": _timed(0.8, 0.7, 0.9)})
    assert _claims(ev)["generation_sequential"] == "refuted" and _claims(ev)["teacher_forcing_one_pass"] == "refuted"
    assert decide("q5", ev).verdict == "qualified"
    _zh_clean(ev)
    ev = q5_evidence(gen_n=4)  # the generation trial stopped early: its claims only are undecided
    assert decide("q5", ev).verdict == "qualified" and _claims(ev)["generation_sequential"] == "inconclusive"
    assert _claims(ev)["decoder_training_not_parallel"] == "refuted"
    d = decide("q5", q5_evidence())  # confirmed derivation checks: nothing measured can change them in practice
    for name in ("teacher_forcing_one_pass", "generation_sequential"):
        claim = next(c for c in d.claims if c.name == name)
        assert claim.would_change.startswith("Nothing measured can in practice") and "0.990" in claim.would_change


@pytest.mark.parametrize(("changes", "claim", "expected"), [
    ({f"speedup_encoder_T{T}": _timed(1.0, 0.9, 1.1)}, "encoder_parallel", "qualified"),  # no own gain
    ({f"excess_decoder_vs_encoder_T{T}": _timed(0.8, 0.7, 0.88)}, "decoder_training_not_parallel", "qualified"),
    ({f"excess_decoder_vs_lstm_T{T}": _timed(0.9, 0.8, 1.0), f"excess_encoder_vs_lstm_T{T}": _timed(0.95, 0.9, 1.0)},
     "decoder_training_not_parallel", "inconclusive"),  # neither gains: the measure cannot tell
    ({f"excess_decoder_vs_lstm_T{T}": _timed(1.1, 1.0, 1.2)}, "decoder_training_not_parallel", "inconclusive"),
    ({"cache_speedup_growth": _timed(0.8, 0.7, 0.9)}, "kv_cache_grows", "refuted"),
    ({"cache_speedup_growth": _timed(1.0, 0.9, 1.1)}, "kv_cache_grows", "inconclusive"),
    ({f"generation_vs_parallel_L{L}": _timed(1.0, 0.9, 1.1)}, "generation_sequential", "inconclusive"),
    ({f"token_by_token_vs_parallel_L{L}": _timed(1.0, 0.9, 1.1)}, "teacher_forcing_one_pass", "inconclusive"),
])
def test_sub_claim_outcomes_and_their_flips(changes, claim, expected):
    ev = q5_evidence(changes)
    rulings = get_experiment("q5").rule(ev)
    assert rulings.claim(claim).verdict == expected
    # an undecided timing needs both independent runs to move: no single number changes it
    assert rulings.claim(claim).flips or (claim == "decoder_training_not_parallel" and expected == "inconclusive")
    assert assert_flips("q5", ev) >= 4
    _zh_clean(ev)


def test_gates_make_it_inconclusive():
    d = decide("q5", q5_evidence(n=4))  # a busy machine stopped the trials early
    assert d.verdict == "inconclusive" and not all(c.passed for c in d.checks)
    assert all(c.verdict == "inconclusive" for c in d.claims)
    assert "short: excess_encoder_vs_lstm_T32" in next(c.detail for c in d.checks if c.name == "repeats_encoder")
    d = decide("q5", q5_evidence({"teacher_forcing_max_abs_diff": {"value": 0.5}}))  # not the same function
    assert d.verdict == "inconclusive" and _claims(q5_evidence({"teacher_forcing_max_abs_diff": {"value": 0.5}}))[
        "decoder_training_not_parallel"] == "inconclusive"
    assert "5.0e-01" in next(c.detail for c in d.checks if c.name == "teacher_forcing_equals_token_by_token")
    d = decide("q5", q5_evidence({"others_cores": {"value": 0.8}}))  # other processes competed for the cores
    assert d.verdict == "inconclusive" and not next(c for c in d.checks if c.name == "quiet_machine").passed
    ev = [e for e in q5_evidence() if e.name != "machine_cpus"]
    ev = [Evidence("others_cores", "not measured (no /proc/stat)", label="load", label_zh="负载")
          if e.name == "others_cores" else e for e in ev]
    d, text = get_experiment("q5").judge(ev)
    assert d.verdict == "qualified"  # where the load cannot be measured, timings are taken as they come
    assert "not measured" in text.answer_en and not zh_problems(text.answer_zh)


# ---------------------------------------------------------------------------------------------------- the words
@pytest.mark.parametrize(("changes", "kw", "verdict", "number"), [
    ({}, {}, "qualified", "2.10"),  # the decoder parallelises in training: the causal block / LSTM ratio
    ({f"excess_decoder_vs_encoder_T{T}": _timed(0.8, 0.7, 0.88)}, {}, "qualified", "0.80"),  # less than the encoder
    ({f"speedup_encoder_T{T}": _timed(1.04, 0.9, 1.1), f"excess_decoder_vs_lstm_T{T}": _timed(0.9, 0.8, 1.0)}, {},
     "qualified", "1.04"),  # the decoder did not parallelise; the encoder's own gain is unclear
    ({f"speedup_encoder_T{T}": _timed(1.77, 1.6, 1.9), f"excess_decoder_vs_lstm_T{T}": _timed(0.9, 0.8, 1.0)}, {},
     "confirmed", "2.10"),
    ({f"excess_encoder_vs_lstm_T{T}": _timed(0.95, 0.9, 1.0), f"speedup_lstm_T{T}": _timed(1.93, 1.8, 2.0)}, {},
     "refuted", "0.95"),
    ({f"excess_encoder_vs_lstm_T{T}": _timed(1.3, 1.0, 1.6)}, {}, "refuted", "2.10"),  # encoder open, decoder parallel
    ({f"excess_encoder_vs_lstm_T{T}": _timed(1.3, 1.0, 1.6), f"excess_decoder_vs_lstm_T{T}": _timed(1.12, 1.0, 1.2)},
     {}, "inconclusive", "1.30"),  # both across the margin
    ({f"excess_decoder_vs_lstm_T{T}": _timed(1.12, 1.0, 1.2)}, {}, "qualified", "1.12"),  # the decoder open
    ({f"excess_decoder_vs_lstm_T{T}": _timed(0.9, 0.8, 1.0), f"excess_encoder_vs_lstm_T{T}": _timed(0.97, 0.9, 1.0)},
     {}, "refuted", "0.97"),  # the encoder gains no more than an LSTM; the decoder cannot be judged
    ({}, {"n": 4}, "inconclusive", "4"),  # a busy machine stopped the trials early
    ({"teacher_forcing_max_abs_diff": {"value": 0.5}}, {}, "inconclusive", "5.0e-01"),
    ({"others_cores": {"value": 0.8}}, {}, "inconclusive", "0.80"),
])
def test_one_line_answer_for_every_outcome(changes, kw, verdict, number):
    """One sentence per outcome, in both languages: within the limits, with its number, in clean Chinese."""
    d, text = get_experiment("q5").judge(q5_evidence(changes, **kw))
    en, zh = text.oneline_en, text.oneline_zh
    assert d.verdict == verdict, d.rule
    _fits(en, zh, number)
    assert ("Not settled yet" in en and zh.startswith("尚无定论")) == (verdict == "inconclusive")


def test_answer_names_lengths_without_a_gain():
    """The encoder's own speed-up at a short length, with an interval reaching 1, is named in the answer and summary."""
    _, text = get_experiment("q5").judge(q5_evidence())
    assert f"T={LENGTHS[0]} there is no clear gain (1.03 [0.99, 1.07])" in text.answer_en
    assert f"T={LENGTHS[0]} 时" in text.answer_zh
    assert f"1.03 [0.99, 1.07] at T={LENGTHS[0]}" in text.summary
    assert "At shorter sequences" in text.summary and "Regime:" in text.summary


def test_no_gain_at_the_longest_length_is_not_called_short():
    """When the encoder gains nothing at the longest length either, the words do not say it pays at longer ones."""
    ev = q5_evidence({f"speedup_encoder_T{T}": _timed(1.0, 0.9, 1.1)})
    _, text = get_experiment("q5").judge(ev)
    assert "At shorter sequences" not in text.summary and "the longest length timed included" in text.summary
    assert "pays only once" not in _rule(ev, "encoder_parallel")
    assert "包括测量的最长长度" in next(c.because_zh for c in decide("q5", ev).claims if c.name == "encoder_parallel")


def test_lengths_are_read_from_the_names():
    ev = {e.name: e for e in EVIDENCE}
    assert lengths_in(ev, lambda t: f"speedup_encoder_T{t}") == list(LENGTHS)
    assert lengths_in(ev, lambda n: f"cache_speedup_L{n}") == list(GEN_LENGTHS)  # not cache_speedup_growth


def test_device_trial_runs_on_cpu():
    cfg = {"kind": "device", "device": "cpu", "T": 8, "batch": 1, "threads": 1, "seed": 0, "d_model": 8,
           "n_heads": 2, "repeats": 2, "warmup": 1, "min_seconds": 0.0, "max_seconds": None}
    out = device_trial(cfg)
    assert set(out["times"]) == set(ARCHS)
    assert all(len(v["cpu"]) == 2 and len(v["device"]) == 2 for v in out["times"].values())
