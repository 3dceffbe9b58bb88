"""The words engine: a rule's numbers and verdicts (:mod:`attnlab.lab.rules`) as sentences, en and zh.

A question's ``words.py`` subclasses :class:`Words` and writes, per sub-claim, its statement, the rule with
its numbers and the plain "because" sentence, and for the whole question the rule, the short answer and the
summary. It defines no threshold: it imports the question's settings and reads the rule's ``values``.
What would change a verdict is written here, from the rule's :class:`~attnlab.lab.rules.Flip` and
:class:`~attnlab.lab.rules.Gate` objects, unless the question words it itself; gates of the generic kinds
(``"reached"``, ``"budget"``, ``"at_least"``) are worded here too.

:func:`explain` assembles the stored :class:`~attnlab.results.Check` and :class:`~attnlab.results.Claim`
objects, the :class:`~attnlab.lab.spec.Decision` and the :class:`~attnlab.lab.spec.Explanation`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from attnlab.lab.rules import GATE_FAILED, Flip, Gate, Ruling, Rulings
from attnlab.lab.words.numerals import LANGS, fmt, join, num, pct, plain, reached, sci, signed, verdict
from attnlab.lab.words.standard import STANDARD_KINDS, combination_text, standard_gate, standard_oneline
from attnlab.lab.words.timing import load_clause, load_sentence, quiet_text
from attnlab.results import Check, Claim, Evidence

ONELINE_WORDS = 25  # the one-line answer in English: at most this many words
ONELINE_CHARS = 50  # ... and in Chinese: at most this many characters (zh_length)

__all__ = ["LANGS", "ONELINE_CHARS", "ONELINE_WORDS", "Words", "explain", "fmt", "join", "load_clause",
           "load_sentence", "num", "pct", "plain",
           "reached", "sci", "signed", "spaced", "fit_oneline", "verdict", "zh_length"]


class Evidences(dict):
    """Evidence by name (``ev["acc_x"]``); a missing name says which exist."""

    def __missing__(self, name: str) -> Evidence:
        raise KeyError(f"evidence {name!r} missing; have {sorted(self)}")


def _label(e: Evidence, lang: str) -> str:
    return (e.label_zh or e.label or e.name) if lang == "zh" else (e.label or e.name)


class Words:
    """A question's sentences. Override the methods marked "per question"; ``lang`` is ``"en"`` or ``"zh"``.

    ``r`` is a sub-claim's :class:`~attnlab.lab.rules.Ruling`, ``rs`` the question's
    :class:`~attnlab.lab.rules.Rulings`, ``ev`` the evidence by name.
    """

    def statement(self, r: Ruling, ev: Evidences, lang: str) -> str:
        """Per question: the sub-claim as the seed makes it."""
        raise NotImplementedError(f"{type(self).__name__}.statement")

    def rule(self, r: Ruling, ev: Evidences) -> str:
        """Per question: the rule, precisely, with the numbers it was applied to (English)."""
        raise NotImplementedError(f"{type(self).__name__}.rule")

    def because(self, r: Ruling, ev: Evidences, lang: str) -> str:
        """Per question: the deciding numbers in one plain sentence."""
        raise NotImplementedError(f"{type(self).__name__}.because")

    def overall(self, rs: Rulings, ev: Evidences) -> str:
        """How the sub-claims combine into the verdict, with the verdicts (English): the one combination rule
        (:func:`attnlab.lab.rules.combine`)."""
        return combination_text(rs, "en")

    def answer(self, rs: Rulings, ev: Evidences, lang: str) -> str:
        """Per question: the short answer (2-4 sentences: what holds, under which conditions, how sure)."""
        raise NotImplementedError(f"{type(self).__name__}.answer")

    def oneline(self, rs: Rulings, ev: Evidences, lang: str) -> str:
        """Per question: the answer in one sentence, with the verdict and the one number that makes it stick: at
        most :data:`ONELINE_WORDS` English words or :data:`ONELINE_CHARS` Chinese characters."""
        raise NotImplementedError(f"{type(self).__name__}.oneline")

    def summary(self, rs: Rulings, ev: Evidences) -> str:
        """Per question: the longer paragraph (English); by default the overall rule."""
        return self.overall(rs, ev)

    # ---- worded here unless a question has better words ----

    def gate(self, g: Gate, ev: Evidences, lang: str) -> str:
        """A precondition and whether it held. Generic kinds: ``"reached"`` (values: evidence, k, n, need),
        ``"budget"`` (values: budget, median, factor, evidence), ``"at_least"`` (values: evidence, value, need)."""
        v = g.values
        zh = lang == "zh"
        if g.kind == "reached":
            what = _label(ev[v["evidence"]], lang)
            return (f"{what}：{v['n']} 个种子中有 {v['k']} 个达到阈值（需要 {v['need']} 个）" if zh
                    else f"{what}: {v['k']} of {v['n']} seeds reached the threshold (need {v['need']})")
        if g.kind == "budget":
            what = _label(ev[v["evidence"]], lang)
            med = num(v["median"], 0) if isinstance(v["median"], (int, float)) else str(v["median"])
            return (f"步数预算（{v['budget']}）至少是{what}中位数（{med}）的 {v['factor']} 倍" if zh
                    else f"the budget ({v['budget']} steps) is at least {v['factor']}x the median of {what} ({med})")
        if g.kind == "at_least":
            e = ev[v["evidence"]]
            return (f"{_label(e, lang)}：{fmt(e, lang)}（需要至少 {num(v['need'])}）" if zh
                    else f"{_label(e, lang)}: {fmt(e, lang)} (need at least {num(v['need'])})")
        if g.kind == "quiet":
            return quiet_text(v, lang)
        if g.kind in STANDARD_KINDS:
            return standard_gate(g, ev, lang)
        raise NotImplementedError(f"{type(self).__name__}.gate: no words for gate kind {g.kind!r} ({g.name})")

    def flip(self, f: Flip, ev: Evidences, lang: str) -> str:
        """One way the verdict could change, read off the rule."""
        e = ev[f.evidence]
        what = _label(e, lang)
        if e.unit == "steps" and e.per_seed is not None:
            if f.value == float("inf"):
                return (f"若「{what}」没有一个种子达到阈值，结论将是「{verdict(f.verdict, lang)}」" if lang == "zh"
                        else f"if no seed reached the threshold for {what}: {verdict(f.verdict, lang)}")
            return (f"若「{what}」每个种子都在 {num(f.value, 0)} 步达到阈值，结论将是「{verdict(f.verdict, lang)}」"
                    if lang == "zh" else f"if every seed reached the threshold for {what} in {num(f.value, 0)} "
                    f"steps: {verdict(f.verdict, lang)}")
        value = num(f.value)
        return (f"若「{what}」为 {value}，结论将是「{verdict(f.verdict, lang)}」" if lang == "zh"
                else f"if {what} were {value}: {verdict(f.verdict, lang)}")

    def needs(self, r: Ruling, ev: Evidences, lang: str) -> list[tuple[str, str]]:
        """Where no single number can change a verdict (a count over layers, tasks or comparisons): per other
        verdict, what several numbers would have to do, e.g. ``[("refuted", "every layer kept ...")]``."""
        return []

    def would_change(self, r: Ruling, ev: Evidences, lang: str) -> str:
        """What would change the verdict: the failed gates, the rule's flips, or what :meth:`needs` says."""
        zh = lang == "zh"
        busy = [g for g in r.gates if g.kind == "quiet" and not g.passed]
        if r.case == GATE_FAILED and busy:  # a busy machine: time again, not a bigger budget
            why = self.gate(busy[0], ev, lang)
            return (f"在其他进程让出 CPU 核时重新计时：这次{why}。" if zh
                    else f"Time again while other processes leave the cores free: this time {why}.")
        if r.case == GATE_FAILED:
            failed = [self.gate(g, ev, lang) for g in r.gates if not g.passed]
            return ("以下检查这次没有通过，换一个能让它们通过的预算或设置重新运行：" + "；".join(failed) + "。" if zh
                    else "These checks failed here; rerun with a budget or settings under which they pass: "
                    + "; ".join(failed) + ".")
        if not r.flips:
            needs = [(v, text) for v, text in self.needs(r, ev, lang) if v != r.verdict]
            if needs:
                if zh:
                    return ("没有哪一项测量单独越过阈值就能改变它，需要几项同时改变："
                            + "；".join(f"若{t}，结论将是「{verdict(v, lang)}」" for v, t in needs) + "。")
                return ("No single number crossing its threshold would change it; it would take several: "
                        + "; ".join(f"{verdict(v, lang)} if {t}" for v, t in needs) + ".")
            if r.verdict == "inconclusive":
                return ("增加种子数，使跨过界线的区间落到它的一侧。" if zh
                        else "More seeds, so that the intervals that straddle the bar fall on one side of it.")
            if r.basis == "derivation":
                return "没有哪项测量能改变它（推导）。" if zh else "No measurement could change it (a derivation)."
            return ("没有哪一项测量单独越过阈值就能改变它。" if zh
                    else "No single number crossing its threshold would change it.")
        parts = [self.flip(f, ev, lang) for f in r.flips]
        text = "；".join(parts) + "。" if zh else "; ".join(parts) + "."
        return text[0].upper() + text[1:] if not zh else text

    def inconclusive_because(self, r: Ruling, ev: Evidences, lang: str) -> str:
        """The "because" of a sub-claim whose gates failed."""
        failed = [self.gate(g, ev, lang) for g in r.gates if not g.passed]
        return ("前提条件未满足：" + "；".join(failed) + "。" if lang == "zh"
                else "A precondition failed: " + "; ".join(failed) + ".")

    def undecided_answer(self, rs: Rulings, ev: Evidences, lang: str) -> str:
        """The short answer of an inconclusive question: why, from the first undecided sub-claim, then what
        the decided sub-claims do show (a reader should not lose those because one part is open)."""
        zh = lang == "zh"
        first = next((c for c in rs.claims if c.verdict == "inconclusive"), None)
        decided = [c for c in rs.claims if c.verdict != "inconclusive"]
        why = ""
        if first is not None:
            why = (self.inconclusive_because(first, ev, lang) if first.case == GATE_FAILED
                   else self.because(first, ev, lang))
        shown = "".join(f"{self.because(c, ev, lang)}（{verdict(c.verdict, lang)}）" if zh
                        else f" {self.because(c, ev, lang)} ({verdict(c.verdict, lang)})" for c in decided)
        if zh:
            return "这些运行还不能下结论。" + why + (f"已经能下结论的部分：{shown}" if shown else "")
        return ("These runs cannot decide it yet. " + why).strip() + (f" What they do show:{shown}" if shown else "")


def _check(g: Gate, words: Words, ev: Evidences) -> Check:
    return Check(g.name, g.passed, words.gate(g, ev, "en"), words.gate(g, ev, "zh"))


def _claim(r: Ruling, words: Words, ev: Evidences) -> Claim:
    gated = r.case == GATE_FAILED
    because = {lang: words.inconclusive_because(r, ev, lang) if gated else words.because(r, ev, lang)
               for lang in LANGS}
    rule = ("inconclusive: " + "; ".join(f"{g.name} failed ({words.gate(g, ev, 'en')})" for g in r.gates
                                          if not g.passed)) if gated else words.rule(r, ev)
    return Claim(r.name, words.statement(r, ev, "en"), r.verdict, rule, tuple(_check(g, words, ev) for g in r.gates),
                 r.evidence, r.basis, words.statement(r, ev, "zh"), because["en"], because["zh"],
                 words.would_change(r, ev, "en"), words.would_change(r, ev, "zh"))


def explain(words: Words, rulings: Rulings, evidence: Sequence[Evidence]):
    """The :class:`~attnlab.lab.spec.Decision` and :class:`~attnlab.lab.spec.Explanation` of ``rulings``."""
    from attnlab.lab.spec import Decision, Explanation

    ev = Evidences({e.name: e for e in evidence})
    checks, seen = [], set()
    for g in (*rulings.gates, *(g for c in rulings.claims for g in c.gates)):
        if g.name not in seen:
            seen.add(g.name)
            checks.append(_check(g, words, ev))
    # the verdict's preconditions are the question's own gates; sub-claims keep theirs
    own = tuple(c for c in checks if c.name in {g.name for g in rulings.gates})
    decision = Decision(rulings.verdict, words.overall(rulings, ev), own,
                        tuple(_claim(r, words, ev) for r in rulings.claims))
    if rulings.verdict == "inconclusive":
        answer = {lang: words.undecided_answer(rulings, ev, lang) for lang in LANGS}
    else:
        answer = {lang: words.answer(rulings, ev, lang) for lang in LANGS}
    failed_standard = [g for g in rulings.gates if g.kind in STANDARD_KINDS and not g.passed]
    if failed_standard:  # the same words in every question for a failed standard check
        oneline = {lang: standard_oneline(failed_standard[0], lang) for lang in LANGS}
    else:
        oneline = {lang: words.oneline(rulings, ev, lang) for lang in LANGS}
    for lang, limit, size in (("en", ONELINE_WORDS, len(oneline["en"].split())),
                              ("zh", ONELINE_CHARS, zh_length(oneline["zh"]))):
        if size > limit:
            raise ValueError(f"{type(words).__name__}.oneline({lang!r}): expected at most {limit} "
                             f"{'words' if lang == 'en' else 'characters'}, got {size}: {oneline[lang]!r}")
    return decision, Explanation(words.summary(rulings, ev), answer["en"], answer["zh"], oneline["en"], oneline["zh"])


def zh_length(text: str) -> int:
    """The length of a Chinese sentence: every character counts, Latin letters, digits and marks included."""
    return len(text.strip())


def fit_oneline(texts: Sequence[str], zh: bool) -> str:
    """The first of ``texts`` within the one-line limit (:data:`ONELINE_WORDS` English words,
    :data:`ONELINE_CHARS` Chinese characters); the last one otherwise, and :meth:`Words.oneline`'s check says so."""
    return next((t for t in texts if (zh_length(t) <= ONELINE_CHARS if zh else len(t.split()) <= ONELINE_WORDS)),
                texts[-1])


def spaced(text: str, symbols: str = "") -> str:
    """A space between a Chinese character and a Latin letter, digit or bracket (or one of ``symbols``, e.g.
    "ρ"), as Chinese technical prose has."""
    before = rf"(?<=[\u4e00-\u9fff])(?=[A-Za-z0-9\[{symbols}])"
    after = rf"(?<=[A-Za-z0-9\]%{symbols}])(?=[\u4e00-\u9fff])"
    return re.sub(after, " ", re.sub(before, " ", text))
