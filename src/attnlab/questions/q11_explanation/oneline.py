"""q11's one-line answer (en, zh): is attention an explanation, in words, with the numbers that make it stick: raw
attention's agreement with erasure on MiniLM and how often its top weight falls on the deciding word."""

from __future__ import annotations

from attnlab.lab.rules import Rulings
from attnlab.lab.words import fit_oneline, num
from attnlab.lab.words import spaced as spaced_zh
from attnlab.questions.q11_explanation import evidence as names
from attnlab.questions.q11_explanation.rule import (
    MINILM_AGREES,
    MINILM_GATE,
    POINTS,
    TRAINED_AGREES,
)
from attnlab.questions.q11_explanation.settings import MINILM, TASK_SHORT, TASK_SHORT_ZH, TASKS, THRESHOLD


def spaced(text: str) -> str:
    """:func:`attnlab.lab.words.spaced`, with ρ spaced as a Latin letter is."""
    return spaced_zh(text, "ρ")


def fit(texts: list[str], zh: bool) -> str:
    """:func:`~attnlab.lab.words.fit_oneline`, the Chinese spaced first."""
    return fit_oneline([spaced(t) for t in texts] if zh else texts, zh)


def hits(ev) -> str:
    """``"0.48–0.78"``: raw attention's pointing hit rate over the tasks (one value when they round alike)."""
    xs = sorted(num(ev[names.hit(t, "raw")].number, 2) for t in TASKS)
    return xs[0] if xs[0] == xs[-1] else f"{xs[0]}–{xs[-1]}"


def rho(ev) -> str:
    """Raw attention's agreement with erasure on MiniLM (or, without it, over the trained tasks)."""
    if names.has_minilm(ev):
        return num(ev[names.rho("minilm", "raw")].number, 2)
    xs = sorted(num(ev[names.rho(t, "raw")].number, 2) for t in TASKS)
    return xs[0] if xs[0] == xs[-1] else f"{xs[0]}–{xs[-1]}"


def _undecided(rs: Rulings, ev, zh: bool) -> str:
    failed = [g for g in rs.gates if not g.passed]
    h, r = hits(ev), rho(ev)
    if failed and failed[0].name == MINILM_GATE:
        return (fit([f"尚无定论：缺 {MINILM}；分类器中原始注意力的最大权重在 {h} 的文本中落在决定性词上。",
                     f"尚无定论：缺 {MINILM}；分类器中最大权重命中决定性词 {h}。"], zh) if zh
                else f"Not settled yet: {MINILM} was not measured; in our classifiers raw attention's top weight is "
                     "the "
                     f"deciding word in {h} of texts.")
    if failed:  # a task's classifiers did not reach the threshold
        g = failed[0]
        t, k, n = g.name.removeprefix("learned_"), g.values["k"], g.values["n"]
        if zh:
            runs = f"{n} 个种子都没有" if k == 0 else f"{n} 个种子中只有 {k} 个"
            return fit([f"尚无定论：{TASK_SHORT_ZH[t]}任务的分类器{runs}达到 {THRESHOLD} 准确率。"], zh)
        runs = f"none of {n} runs" if k == 0 else f"only {k}/{n} runs"
        return f"Not settled yet: the {TASK_SHORT[t]} classifiers reached {THRESHOLD} accuracy in {runs}."
    return (fit([f"尚无定论：原始注意力与逐词删除的一致性（ρ {r}）和命中率（{h}）都跨过了界线。",
                 f"尚无定论：一致性 ρ {r} 与命中率 {h} 都跨过界线。"], zh) if zh
            else f"Not settled yet: raw attention's agreement with erasure (ρ {r}) and its hit rate ({h}) straddle "
                 "the bars.")


def oneline(rs: Rulings, ev, lang: str) -> str:
    """The answer in one sentence: the verdict in words, raw attention's agreement with erasure and its hit rate."""
    zh = lang == "zh"
    if rs.verdict == "inconclusive":
        return _undecided(rs, ev, zh)
    h, r = hits(ev), rho(ev)
    on = "MiniLM 上 " if names.has_minilm(ev) else ""
    on_en = " on MiniLM" if names.has_minilm(ev) else ""
    if rs.verdict == "confirmed":
        return (fit([f"是：原始注意力与删除一致（{on}ρ {r}），最大权重命中决定性词的比例 {h}。",
                     f"是：与删除一致（{on}ρ {r}），最大权重命中决定性词 {h}。",
                     f"是：与删除一致（ρ {r}），命中决定性词 {h}。"], zh) if zh
                else f"Yes: raw attention agrees with erasure (ρ {r}{on_en}) and its top weight is the deciding word "
                     f"in {h} of texts.")
    if rs.verdict == "refuted":
        return (fit([f"否：原始注意力与删除排序不符（{on}ρ {r}），最大权重命中决定性词仅 {h}。",
                     f"否：与删除排序不符（{on}ρ {r}），命中决定性词仅 {h}。",
                     f"否：与删除排序不符（ρ {r}），命中决定性词仅 {h}。"], zh) if zh
                else f"No: raw attention ranks words unlike erasure (ρ {r}{on_en}) and its top weight is the deciding "
                     f"word in only {h} of texts.")
    v = rs.verdicts
    points = v[POINTS] in ("confirmed", "qualified")
    agrees = any(v[c] in ("confirmed", "qualified") for c in (MINILM_AGREES, TRAINED_AGREES))
    if points and not agrees:
        return (fit([f"部分成立：最大权重命中决定性词 {h}，但排序与删除不符（{on}ρ {r}）。",
                     f"部分成立：命中决定性词 {h}，但排序与删除不符（ρ {r}）。"], zh) if zh
                else f"Only in part: raw attention's top weight finds the deciding word in {h} of texts, but it ranks "
                     f"words unlike erasure (ρ {r}{on_en}).")
    return (fit([f"部分成立：与删除的一致性 {on}ρ {r}，最大权重命中决定性词 {h}。",
                 f"部分成立：与删除的一致性 ρ {r}，命中决定性词 {h}。"], zh) if zh
            else f"Only in part: raw attention agrees with erasure at ρ {r}{on_en}, and its top weight is the deciding "
                 f"word in {h} of texts.")


__all__ = ["fit", "hits", "oneline", "rho", "spaced"]
