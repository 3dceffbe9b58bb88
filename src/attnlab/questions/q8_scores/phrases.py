"""q8's small phrases, en and zh: one comparison of two scores, a ratio, a flip (used by :mod:`.words`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from attnlab.lab.rules import Flip
from attnlab.lab.words import fmt, num, verdict
from attnlab.questions.q8_scores import evidence as E
from attnlab.questions.q8_scores.rule import AS_GOOD, FASTER, SLOWER, UNCLEAR, UNLEARNED, last
from attnlab.questions.q8_scores.settings import (
    ADDITIVE,
    LAYER_BATCH,
    MODELS,
    SCALED,
    SCORES,
    THRESHOLD,
    TIMING_LENGTH,
    TIMING_THREADS,
)
from attnlab.results import Evidence

T = num(THRESHOLD, 1)  # the accuracy threshold as the sentences print it


def regime(ev: Mapping[str, Evidence], lang: str) -> str:
    """The timing regime, said in every timing sentence: device, threads, batch, T, width."""
    t = int(ev[E.TIMING_LENGTH].number) if E.TIMING_LENGTH in ev else TIMING_LENGTH
    return (f"CPU，{TIMING_THREADS} 个线程，批大小 {LAYER_BATCH}，T = {t}，d = 64，1 个头" if lang == "zh"
            else f"CPU, {TIMING_THREADS} threads, batch {LAYER_BATCH}, T = {t}, d = 64, one head")
OUTCOME = {"en": {SLOWER: "slower", FASTER: "faster", AS_GOOD: "as good", UNCLEAR: "unclear", UNLEARNED: "unlearned"},
           "zh": {SLOWER: "更慢", FASTER: "更快", AS_GOOD: "相当", UNCLEAR: "不确定", UNLEARNED: "都没学会"}}


def sc(score: str, lang: str) -> str:
    """A score as a sentence names it: ``"dot"`` / ``"点积打分"``."""
    return E.score_name(score, lang) + ("打分" if lang == "zh" and score != "general" else "")


def ratio_text(e: Evidence, lang: str) -> str:
    """``"0.81 [0.67, 0.96]"``, or ``"0.75 (all seeds equal)"``."""
    if isinstance(e.value, str) or e.ci is not None:
        return fmt(e, lang, 2)
    return num(e.number, 2) + ("（所有种子相同）" if lang == "zh" else " (all seeds equal)")


def ratio_x(e: Evidence, lang: str) -> str:
    """A ratio with its unit: ``"0.81 [0.67, 0.96]x"`` / ``"0.81 [0.67, 0.96] 倍"``, ``"0.75x (all seeds equal)"`` /
    ``"0.75 倍（所有种子相同）"``; an undefined one as the words engine says it."""
    zh = lang == "zh"
    if isinstance(e.value, str):
        return fmt(e, lang, 2)
    if e.ci is not None:
        return fmt(e, lang, 2) + (" 倍" if zh else "x")
    return num(e.number, 2) + (" 倍（所有种子相同）" if zh else "x (all seeds equal)")


def times(e: Evidence, lang: str) -> str:
    """A ratio's point value, or its text when it is undefined."""
    return fmt(e, lang) if isinstance(e.value, str) else num(e.number, 2)


def comparison(c: Mapping[str, Any], ev: Mapping[str, Evidence], lang: str) -> str:
    """One comparison of :func:`~attnlab.questions.q8_scores.rule.compare`, with the seeds that reached the
    threshold or the ratio's interval."""
    zh = lang == "zh"
    a, b, ka, kb, n = sc(c["a"], lang), sc(c["b"], lang), c["ka"], c["kb"], c["n"]
    reach = (f"{a}在 {ka}/{n} 个种子中达到 {T}，{b}在 {kb}/{n} 个中达到" if zh
             else f"{a} reached {T} in {ka}/{n} seeds, {b} in {kb}/{n}")
    if c["outcome"] == UNLEARNED:
        return f"{a}和{b}都没学会（{reach}）" if zh else f"neither {a} nor {b} learned ({reach})"
    if ka < c["need"]:
        return f"{a}没学会，{b}学会了（{reach}）" if zh else f"{a} did not learn, {b} did ({reach})"
    if kb < c["need"]:
        return f"{a}学会了，{b}没学会（{reach}）" if zh else f"{a} learned, {b} did not ({reach})"
    r = ratio_x(ev[E.ratio(c["model"], c["a"], c["b"])], lang)
    out = OUTCOME[lang][c["outcome"]]
    return f"{a}所需步数是{b}的 {r}（{out}）" if zh else f"{a} needs {r} the steps of {b} ({out})"


def brief(c: Mapping[str, Any], ev: Mapping[str, Evidence], lang: str) -> str:
    """What score ``a`` did, in a few words, for the short answer ("needed 0.31x additive's steps")."""
    zh = lang == "zh"
    b, ka, kb, n = sc(c["b"], lang), c["ka"], c["kb"], c["n"]
    if c["outcome"] == UNLEARNED:
        return f"没学会，{b}也没学会" if zh else f"did not learn, nor did {b}"
    if ka < c["need"]:
        return (f"没学会（{ka}/{n} 个种子达到 {T}，{b}为 {kb}/{n}）" if zh
                else f"did not learn ({ka}/{n} seeds reached {T}, {b} {kb}/{n})")
    if kb < c["need"]:
        return f"学会了，而{b}没学会" if zh else f"learned while {b} did not"
    r = times(ev[E.ratio(c["model"], c["a"], c["b"])], lang)
    return f"所需步数是{b}的 {r} 倍" if zh else f"needed {r}x {b}'s steps"


def _ratio_of(name: str) -> tuple[str, str, str] | None:
    for m in MODELS:
        for a, b in E.pairs(m):
            if E.ratio(m, a, b) == name:
                return m, a, b
    return None


def _steps_of(name: str) -> tuple[str, str] | None:
    return next(((m, s) for m in MODELS for s in SCORES if E.steps(m, s) == name), None)


def flip(f: Flip, ev: Mapping[str, Evidence], lang: str) -> str | None:
    """One way a verdict could change, in q8's words (``None``: the generic words)."""
    zh, v = lang == "zh", verdict(f.verdict, lang)
    if (r := _ratio_of(f.evidence)) is not None:
        m, a, b = r
        a, b, where = sc(a, lang), sc(b, lang), E.describe(m, lang)
        return (f"若在「{where}」中{a}所需步数是{b}的 {num(f.value)} 倍，结论将是「{v}」" if zh
                else f"if {a} needed {num(f.value)}x the steps of {b} ({where}): {v}")
    if (s := _steps_of(f.evidence)) is not None:
        m, a = s
        a, where = sc(a, lang), E.describe(m, lang)
        if math.isinf(f.value):
            return (f"若在「{where}」中{a}没有一个种子达到 {T}，结论将是「{v}」" if zh
                    else f"if no seed of {a} reached {T} ({where}): {v}")
        return (f"若在「{where}」中{a}的每个种子都在 {num(f.value, 0)} 步达到 {T}，结论将是「{v}」" if zh
                else f"if every seed of {a} reached {T} in {num(f.value, 0)} steps ({where}): {v}")
    if f.evidence == E.time_ratio("layer_ref", ADDITIVE):
        return (f"若在同一个显式构造打分矩阵的内核上加性打分每层注意力的耗时是缩放点积打分的 {num(f.value)} 倍，"
                f"结论将是「{v}」" if zh
                else f"if additive took {num(f.value)}x scaled_dot's time per attention layer on the same "
                     f"materialising kernel: {v}")
    if f.evidence == E.memory(ADDITIVE, "reference"):
        r = num(f.value / last(ev[E.memory(SCALED, "reference")]), 2)
        return (f"若在同一个显式构造打分矩阵的内核上加性打分在最长长度上为反向传播保存 {num(f.value)} MiB"
                f"（缩放点积打分的 {r} 倍），结论将是「{v}」" if zh else
                f"if additive kept {num(f.value)} MiB for backward at the longest length on the same materialising "
                f"kernel ({r}x scaled_dot's): {v}")
    return None
