"""Helpers for the questions' tests: one tiny run of some questions, its texts checked in both languages,
evidence patched to give a verdict, and the answers checked for every outcome."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import Any

from attnlab.results import Evidence

REACHED = {"value": 100.0, "per_seed": [100, 100, 100, 100, 100], "n": 5}  # every seed reached the threshold
NEVER = {"value": "> 800", "per_seed": [None] * 5, "n": 5}  # no seed reached it


def run_tiny(qids: Sequence[str], tmp_path_factory: Any) -> Any:
    """The tiny profile of ``qids``, run in this process with the real model off; the run's report."""
    from attnlab.lab import run_questions
    from attnlab.pretrained import DISABLE_ENV

    os.environ[DISABLE_ENV] = "1"  # set by hand: a module-scoped fixture runs before conftest's monkeypatch
    try:
        out = tmp_path_factory.mktemp("tiny")
        report = run_questions(list(qids), profile="tiny", out=out, jobs=1, progress=False)
    finally:
        del os.environ[DISABLE_ENV]
    assert report.errors == {}, report.errors
    return report


def assert_bilingual(result: Any) -> None:
    """Every text of a stored result that a reader sees exists in English and Chinese, one figure is the headline,
    and each sub-claim names evidence that decides it."""
    assert all(e.label and e.label_zh for e in result.evidence), [e.name for e in result.evidence if not e.label_zh]
    assert all(c.statement and c.statement_zh and c.because and c.because_zh and c.would_change
               and c.would_change_zh for c in result.claims)
    assert all(c.detail and c.detail_zh for c in result.checks), [c.name for c in result.checks if not c.detail_zh]
    assert result.answer["en"] and result.answer["zh"]
    assert result.plots and sum(p.headline for p in result.plots) == 1
    assert all(p.title_zh and p.caption_zh for p in result.plots), [p.name for p in result.plots if not p.caption_zh]
    names = {e.name for e in result.evidence}
    for c in result.claims:
        assert c.evidence and set(c.evidence) & names, c.name


def assert_stored_verdict_is_its_rule(result: Any) -> Any:
    """A stored result's verdict, rule and sub-claim verdicts are what ``decide`` gives on its own evidence;
    returns that decision."""
    from attnlab.lab import decide

    d = decide(result.qid, result.evidence)
    assert (d.verdict, d.rule) == (result.verdict, result.rule)
    assert [c.verdict for c in d.claims] == [c.verdict for c in result.claims]
    return d


def assert_oneline(text: Any, en: str, zh: str) -> None:
    """The one-line answer of an explanation exists in both languages, fits its limits, says ``en`` / ``zh``
    and is clean Chinese."""
    from attnlab.lab.words import ONELINE_CHARS, ONELINE_WORDS, zh_length
    from attnlab.lab.words.lint import zh_problems

    assert text.oneline_en and text.oneline_zh
    assert len(text.oneline_en.split()) <= ONELINE_WORDS and zh_length(text.oneline_zh) <= ONELINE_CHARS
    assert en in text.oneline_en and zh in text.oneline_zh, (text.oneline_en, text.oneline_zh)
    assert not zh_problems(text.oneline_zh), zh_problems(text.oneline_zh)


def patch(evidence: list[Evidence], changes: dict[str, dict]) -> list[Evidence]:
    """``evidence`` with the fields of the named items replaced (every name must exist)."""
    missing = set(changes) - {e.name for e in evidence}
    assert not missing, missing
    return [dataclasses.replace(e, **changes[e.name]) if e.name in changes else e for e in evidence]


def est(value: float, lo: float, hi: float) -> dict:
    """The fields of an estimate over 5 seeds with interval ``[lo, hi]``."""
    return {"value": value, "ci": (lo, hi), "n": 5}


def answers_for_every_outcome(qid: str, evidence: list[Evidence], scenarios: dict[str, dict[str, dict]],
                              numbers: dict[str, str]) -> None:
    """Each scenario (``evidence`` patched by it) gives its verdict, and an answer in both languages that carries
    the scenario's number ``numbers[verdict]`` (not checked for "inconclusive", whose answer says why)."""
    from attnlab.lab import get_experiment

    exp = get_experiment(qid)
    for expected, changes in scenarios.items():
        ev = patch(evidence, changes)
        d, text = exp.judge(ev)
        assert d.verdict == expected, (expected, d.rule)
        assert text.answer_en and text.answer_zh and text.summary
        if expected != "inconclusive":
            assert numbers[expected] in text.answer_en and numbers[expected] in text.answer_zh, text.answer_en
        assert all(c.because and c.because_zh and c.would_change and c.would_change_zh for c in d.claims)


def assert_flips(qid: str, evidence: list[Evidence]) -> int:
    """Every "what would change it" of the rule holds: each flip, applied to ``evidence``, gives the verdict it
    names for its sub-claim, and the sub-claim's sentences (en, zh) state the flip's number. Returns the number
    of flips checked."""
    from attnlab.lab import get_experiment, rules
    from attnlab.lab.words import num, pct

    exp = get_experiment(qid)
    rulings = exp.rule(evidence)
    said = {c.name: (c.would_change, c.would_change_zh) for c in exp.decide(evidence).claims}
    checked = 0
    for r in rulings.claims:
        for f in r.flips:
            shown = {num(f.value, d) for d in (0, 1, 2, 3)} | {pct(f.value, d) for d in (0, 1)}
            shown |= {"no seed", "没有一个种子"}  # a steps flip to "never reached" has no number
            for text in said[r.name]:  # the sentence states the number the rule would need
                assert any(x in text for x in shown), (qid, r.name, f, text)
            changed = [rules.with_value(e, f.value) if e.name == f.evidence else e for e in evidence]
            got = exp.rule(changed).claim(r.name).verdict
            assert got == f.verdict, (qid, r.name, f, got)
            checked += 1
    return checked


def zh_texts(result: Any) -> dict[str, str]:
    """Every Chinese text a stored result carries, by where it is."""
    texts = {"answer": result.answer["zh"]}
    for c in result.claims:
        texts.update({f"{c.name}.statement_zh": c.statement_zh, f"{c.name}.because_zh": c.because_zh,
                      f"{c.name}.would_change_zh": c.would_change_zh})
        texts.update({f"{c.name}.{k.name}.detail_zh": k.detail_zh for k in c.checks})
    texts.update({f"check {k.name}": k.detail_zh for k in result.checks})
    texts.update({f"evidence {e.name}": e.label_zh for e in result.evidence})
    for p in result.plots:
        texts.update({f"plot {p.name}.title_zh": p.title_zh, f"plot {p.name}.caption_zh": p.caption_zh})
    return texts


def assert_zh_clean(result: Any) -> None:
    """No Chinese text of ``result`` has an English word or ASCII punctuation in its prose."""
    from attnlab.lab.words.lint import zh_problems

    problems = {where: zh_problems(text) for where, text in zh_texts(result).items() if text}
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, problems


def made_up_sweep(keys: Sequence[str], conditions: Sequence[Sequence[Any]], chosen: float = 3e-3) -> Any:
    """A learning-rate sweep in which every condition chose the middle of 1e-3, 3e-3 and 1e-2 (not at an edge)."""
    from attnlab.lab.tuning import Sweep, SweepCondition

    rates = (1e-3, 3e-3, 1e-2)
    return Sweep(tuple(keys), "accuracy", tuple(
        SweepCondition(tuple(c), ", ".join(f"{k}={v}" for k, v in zip(keys, c, strict=True)), rates, (0.8, 0.9, 0.7),
                       (0.5, 0.4, 0.6), chosen, 1) for c in conditions))


def onelines_for_every_outcome(qid: str, evidence: list[Evidence],
                               scenarios: dict[str, tuple[str, dict[str, dict], str, str]]) -> dict[str, Any]:
    """Each scenario ``name: (verdict, changes, number in English, number in Chinese)`` gives its verdict and a
    one-line answer that fits, says its number in both languages, and says "Not settled yet" exactly when the
    verdict is inconclusive; returns the explanations by name."""
    from attnlab.lab import get_experiment

    exp = get_experiment(qid)
    texts = {}
    for name, (expected, changes, en, zh) in scenarios.items():
        d, text = exp.judge(patch(evidence, changes))
        assert d.verdict == expected, (name, d.rule)
        assert_oneline(text, en, zh)
        assert ("Not settled yet" in text.oneline_en) == (expected == "inconclusive"), name
        texts[name] = text
    return texts


def assert_tiny_result(result: Any, claims: set[str], tmp_path: Any) -> None:
    """A tiny run's stored result: its verdict is its rule's on its own evidence, it has the sub-claims ``claims``,
    its texts exist, its figures draw, and it speaks English and Chinese (every flip applied)."""
    from attnlab.lab.words.lint import zh_problems
    from attnlab.report.figures import draw_result

    assert_stored_verdict_is_its_rule(result)
    assert result.profile == "tiny"
    assert result.rule.startswith(result.verdict) and result.summary and result.answer["en"] and result.answer["zh"]
    assert {c.name for c in result.claims} == claims
    files = draw_result(result, tmp_path)
    assert files and all((tmp_path / result.qid / f).is_file() for f in files)
    assert_bilingual(result)
    assert_zh_clean(result)
    assert result.oneline["en"] and result.oneline["zh"] and not zh_problems(result.oneline["zh"])
    have = {e.name for e in result.evidence}
    for c in result.claims:
        assert set(c.evidence) <= have, (c.name, set(c.evidence) - have)
    assert_flips(result.qid, result.evidence)


def assert_outcome(qid: str, evidence: list[Evidence], name: str, expected: str, en: str, zh: str) -> None:
    """Sub-claim ``name`` of ``qid`` is ``expected`` on ``evidence``; every flip holds and its number is said (or,
    with no single flip, the words say what several numbers would have to do); the Chinese texts are clean; and the
    one-line answer says ``en`` / ``zh``."""
    from attnlab.lab import get_experiment
    from attnlab.lab.words import num
    from attnlab.lab.words.lint import zh_problems

    exp = get_experiment(qid)
    r = exp.rule(evidence).claim(name)
    assert r.verdict == expected, (name, r)
    assert_flips(qid, evidence)
    d, text = exp.judge(evidence)
    said = next(c for c in d.claims if c.name == name)
    if r.flips:  # what would change it states each flip's number
        assert all(num(f.value) in said.would_change and num(f.value) in said.would_change_zh for f in r.flips)
    else:  # no single number flips it, and the words say what would
        assert "it would take several" in said.would_change or "More seeds" in said.would_change, said.would_change
    texts = [text.answer_zh, *(t for c in d.claims for t in (c.statement_zh, c.because_zh, c.would_change_zh)),
             *(k.detail_zh for c in d.claims for k in c.checks)]
    assert all(texts)
    assert not [(t, zh_problems(t)) for t in texts if zh_problems(t)]
    assert_oneline(text, en, zh)


def assert_overall(qid: str, evidence: list[Evidence], expected: str, number: str | None, en: str, zh: str) -> Any:
    """``qid``'s overall verdict on ``evidence`` is ``expected``; its answer exists in both languages and carries
    ``number`` (when given), its Chinese texts are clean and its one-line answer says ``en`` / ``zh``. Returns the
    explanation."""
    from attnlab.lab import get_experiment

    d, text = get_experiment(qid).judge(evidence)
    assert d.verdict == expected, (expected, d.rule)
    assert text.answer_en and text.answer_zh and text.summary
    if number:
        assert number in text.answer_en and number in text.answer_zh, text.answer_en
    assert_zh_clean_texts([text.answer_zh, *(t for c in d.claims for t in (c.statement_zh, c.because_zh)),
                           *(k.detail_zh for k in d.checks)])
    assert_oneline(text, en, zh)
    return text


def assert_zh_clean_texts(texts: Sequence[str]) -> None:
    """Every one of ``texts`` exists and is clean Chinese."""
    from attnlab.lab.words.lint import zh_problems

    assert all(texts)
    assert not [(t, zh_problems(t)) for t in texts if zh_problems(t)]
