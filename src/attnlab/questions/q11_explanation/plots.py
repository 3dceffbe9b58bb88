"""q11's plot data: each method's agreement with erasure, where each puts its top score, and one sentence shaded by
each method."""

from __future__ import annotations

from attnlab.analysis.attribution import METHODS
from attnlab.lab import rules
from attnlab.lab.spec import EvidenceSet
from attnlab.lab.words import num
from attnlab.questions.q11_explanation import evidence as names
from attnlab.questions.q11_explanation.settings import (
    FINDS,
    HALF,
    METHOD_SHORT,
    METHOD_ZH,
    MINILM,
    POINTERS,
    SENTENCE,
    STRONG,
    TASK_SHORT,
    TASK_SHORT_ZH,
    TASKS,
    WEAK,
)
from attnlab.results import Heatmap, Panel, Plot, RefLine, Series

# the bars' method names on the Chinese page ("norm" there is the whole ‖α f(x)‖, short enough on a bar)
_CATEGORIES_ZH = {METHOD_SHORT[m]: METHOD_ZH[m].replace("基于范数的 ", "") for m in METHOD_SHORT}


def _series(es: EvidenceSet, name, label: str, label_zh: str, methods) -> Series:
    e = [es[name(m)] for m in methods]
    return Series(label, [METHOD_SHORT[m] for m in methods], [x.number for x in e],
                  [rules.interval(x)[0] for x in e], [rules.interval(x)[1] for x in e], label_zh=label_zh)


def _agreement(es: EvidenceSet) -> Plot:
    series = []
    if names.has_minilm(es):
        series.append(_series(es, lambda m: names.rho("minilm", m), f"{MINILM} (sentences)",
                              f"{MINILM}（句子）", METHODS))
    for t in TASKS:
        series.append(_series(es, lambda m, t=t: names.rho(t, m), f"{TASK_SHORT[t]} classifiers (seeds)",
                              f"{TASK_SHORT_ZH[t]}任务分类器（种子）", METHODS))
    low = min(min(s.lo) for s in series)  # room below 0 only where a bar's interval needs it
    panel = Panel(kind="bar", title="Spearman ρ with leave-one-out erasure", xlabel="attribution method",
                  ylabel="Spearman ρ (mean)", ylim=(min(-0.1, round(low - 0.05, 1)), 1.0), series=series,
                  lines=[RefLine(STRONG, f"{num(STRONG, 1)}: agrees", label_zh=f"{num(STRONG, 1)}：一致"),
                         RefLine(WEAK, f"{num(WEAK, 1)}: hardly agrees", label_zh=f"{num(WEAK, 1)}：几乎不一致")],
                  title_zh="与逐词删除的 Spearman ρ", xlabel_zh="归因方法", ylabel_zh="Spearman ρ（平均）",
                  categories_zh=_CATEGORIES_ZH)
    return Plot("agreement_with_erasure", "Which attributions rank the words as erasure does", [panel], headline=True,
                caption="Bars: each method's mean Spearman ρ with what deleting each word does to the output, with 95% "
                        "intervals (bootstrap over sentences for MiniLM, t over seeds for our classifiers). Raw "
                        "attention is the first group; above 0.5 a method ranks the words much as erasure does.",
                title_zh="哪些归因方法给词的排序与逐词删除一致",
                caption_zh="柱：各方法与删除每个词对输出的影响之间的 Spearman ρ 平均值及 95% 区间（MiniLM 为对句子的"
                           "自助法区间，我们的分类器为对种子的 t 区间）。第一组是原始注意力；高于 0.5 表示该方法给词的"
                           "排序与逐词删除大体一致。")


def _pointing(es: EvidenceSet) -> Plot:
    series = [_series(es, lambda m, t=t: names.hit(t, m), f"{TASK_SHORT[t]} task", f"{TASK_SHORT_ZH[t]}任务", POINTERS)
              for t in TASKS]
    chance = es[names.chance(TASKS[0])].number
    panel = Panel(kind="bar", title="Top-scoring word = the deciding word", xlabel="attribution method",
                  ylabel="share of texts", ylim=(0, 1.02), series=series,
                  lines=[RefLine(FINDS, f"{num(FINDS, 1)}: finds it", label_zh=f"{num(FINDS, 1)}：找到"),
                         RefLine(HALF, f"{num(HALF, 1)}: half", label_zh=f"{num(HALF, 1)}：一半"),
                         RefLine(chance, f"chance 1/T = {num(chance, 3)}",
                                 label_zh=f"随机水平 1/T = {num(chance, 3)}")],
                  title_zh="得分最高的词 = 决定性词", xlabel_zh="归因方法", ylabel_zh="文本比例",
                  categories_zh=_CATEGORIES_ZH)
    return Plot("pointing_game", "Does each method's top score fall on the word that decides?", [panel],
                caption="Share of held-out texts whose highest-scoring word is the one that decides the label by "
                        "construction (mean over seeds, 95% intervals; contrast: only texts whose two polar words "
                        "disagree). Erasure, the reference, is the last group.",
                title_zh="各方法的最高分是否落在决定性词上？",
                caption_zh="得分最高的词恰是按构造决定标签的那个词的留出文本比例（各种子平均，95% 区间；"
                           "转折任务只计两个"
                           "极性词相反的文本）。最后一组是作为参照的逐词删除。")


def _example(es: EvidenceSet) -> list[Plot]:
    if names.MINILM_EXAMPLE not in es:
        return []
    tokens, rows = es[names.MINILM_TOKENS].value, es[names.MINILM_EXAMPLE].value
    inner = range(1, len(tokens) - 1)  # [CLS] and [SEP] are left out of every comparison
    shaded = []
    for row in rows:
        top = max(row[k] for k in inner) or 1.0
        shaded.append([round(row[k] / top, 3) for k in inner])
    panel = Panel(kind="heatmap", title=f"\"{SENTENCE}\"", xlabel="token", ylabel="method",
                  heatmap=Heatmap(shaded, [METHOD_SHORT[m] for m in POINTERS], [tokens[k] for k in inner],
                                  vmin=0.0, vmax=1.0, cmap="Blues"),
                  xlabel_zh="词元", ylabel_zh="方法")
    return [Plot("sentence_by_method", f"{MINILM}: one sentence as each method shades it", [panel],
                 caption=f"|score| of each token for \"{SENTENCE}\", each row divided by its largest value ([CLS] and "
                         "[SEP] left out); the last row is erasure, what deleting the token does to the embedding.",
                 title_zh=f"{MINILM}：各方法给同一句子的着色",
                 caption_zh="原文第 7 题例句中每个词元的分数绝对值，每行除以该行最大值（不含 [CLS] 和 "
                            "[SEP]）；最后一行是逐词删除，即删掉该词元对句向量的影响。行依次为："
                            + "、".join(METHOD_ZH[m] for m in POINTERS) + "。")]


def plots(es: EvidenceSet) -> list[Plot]:
    return [_agreement(es), _pointing(es), *_example(es)]
