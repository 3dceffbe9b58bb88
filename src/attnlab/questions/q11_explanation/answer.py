"""q11's longer texts: the short answer (en, zh) and the summary's paragraph, from the rulings and evidence."""

from __future__ import annotations

from attnlab.analysis.attribution import METHODS
from attnlab.lab import rules, stats
from attnlab.lab.rules import Rulings
from attnlab.lab.words import fmt, num, pct, plain
from attnlab.questions.q11_explanation import evidence as names
from attnlab.questions.q11_explanation.oneline import spaced
from attnlab.questions.q11_explanation.rule import POINTS
from attnlab.questions.q11_explanation.settings import (
    FINDS,
    HALF,
    METHOD_LABEL,
    METHOD_ZH,
    MINILM,
    NO_GAIN,
    REFINED,
    SOURCE,
    SOURCE_ZH,
    STRONG,
    TASK_SHORT,
    TASK_SHORT_ZH,
    TASKS,
    WEAK,
)

S, W, F, H = plain(STRONG), plain(WEAK), plain(FINDS), plain(HALF)
_LEAD = {"confirmed": ("Yes, here: ", "在这里成立："), "qualified": ("Only in part: ", "只部分成立："),
         "refuted": ("No: ", "不成立：")}


def best(ev, setting: str) -> str:
    """The method whose mean agreement with erasure is highest in ``setting``."""
    return max(METHODS, key=lambda m: ev[names.rho(setting, m)].number)


def _seeds(ev) -> int:
    return ev[names.rho(TASKS[0], "raw")].n


def answer(rs: Rulings, ev, lang: str) -> str:
    """The short answer of a decided question (the engine words an undecided one)."""
    zh = lang == "zh"
    lead = _LEAD[rs.verdict][zh]
    n = int(ev[names.MINILM_SENTENCES].number)
    r_m = fmt(ev[names.rho("minilm", "raw")], lang, 2)
    top = best(ev, "minilm")
    conf = pct(stats.CONFIDENCE)
    if zh:
        tasks = "；".join(f"{TASK_SHORT_ZH[t]}任务中最大权重命中决定性词 {num(ev[names.hit(t, 'raw')].number, 2)}"
                         f"（随机水平 {num(ev[names.chance(t)].number, 3)}，逐词删除 "
                         f"{num(ev[names.hit(t, 'erasure')].number, 2)}），排序一致性 ρ "
                         f"{num(ev[names.rho(t, 'raw')].number, 2)}" for t in TASKS)
        return spaced(f"{lead}在{SOURCE_ZH}的 {n} 个句子上，{MINILM} 的原始注意力与逐词删除的 Spearman ρ 为 {r_m}，"
                      f"一致性最高的是{METHOD_ZH[top]}（{num(ev[names.rho('minilm', top)].number, 2)}）。"
                      "在决定性词已知的小型 "
                      f"Transformer 分类器上：{tasks}。句子上的区间为自助法 {conf} 区间，分类器上为 {_seeds(ev)} 个种子"
                      f"的 t 区间；界线为 ρ {W} 和 {S}、命中率 {H} 和 {F}。")
    tasks = "; ".join(f"on the {TASK_SHORT[t]} task its top weight is the deciding word in "
                      f"{num(ev[names.hit(t, 'raw')].number, 2)} of texts (chance "
                      f"{num(ev[names.chance(t)].number, 3)}, "
                      f"erasure {num(ev[names.hit(t, 'erasure')].number, 2)}) and its ranking agrees with erasure at ρ "
                      f"{num(ev[names.rho(t, 'raw')].number, 2)}" for t in TASKS)
    first = (f"{lead}over {n} sentences of {SOURCE}, {MINILM}'s raw attention agrees with erasure of the sentence "
             f"embedding at Spearman ρ {r_m}; the best-agreeing method is {METHOD_LABEL[top]} "
             f"({num(ev[names.rho('minilm', top)].number, 2)}).")
    return " ".join([first[0].upper() + first[1:],
                     f"In small Transformer classifiers whose deciding word is known by construction, {tasks}.",
                     f"Intervals: {conf} bootstrap over sentences, t over {_seeds(ev)} seeds; the bars are ρ {W} and "
                     f"{S}, hit rates {H} and {F}."])


def summary(rs: Rulings, ev) -> str:
    """The summary (English) before the overall rule."""
    parts = []
    if names.has_minilm(ev):
        per = ", ".join(f"{METHOD_LABEL[m]} {fmt(ev[names.rho('minilm', m)], 'en', 2)}" for m in METHODS)
        parts.append(f"{MINILM}, {int(ev[names.MINILM_SENTENCES].number)} sentences of {SOURCE} (a text not written "
                     "for this experiment), Spearman ρ with erasure of the sentence embedding (its mean-pooled vector "
                     f"projected on its own direction; [CLS] and [SEP] left out): {per}.")
    for t in TASKS:
        hit = ", ".join(f"{METHOD_LABEL[m]} {num(ev[names.hit(t, m)].number, 2)}" for m in (*METHODS, "erasure"))
        agree = ", ".join(f"{METHOD_LABEL[m]} {num(ev[names.rho(t, m)].number, 2)}" for m in METHODS)
        parts.append(f"{TASK_SHORT[t].capitalize()} classifiers ({_seeds(ev)} seeds, accuracy "
                     f"{fmt(ev[names.acc(t)], 'en', 3)}): the top-scoring word is the deciding word in {hit} of texts "
                     f"(chance {num(ev[names.chance(t)].number, 3)}); agreement with erasure of the logit margin: "
                     f"{agree}.")
    low = [t for t in TASKS if rules.interval(ev[names.hit(t, "erasure")])[1] < 1]
    if low:
        parts.append("Erasure itself does not always rank the deciding word first (" + ", ".join(
            f"{num(ev[names.hit(t, 'erasure')].number, 2)} on the {TASK_SHORT[t]} task" for t in low)
                     + "): removing another word (the connective, the other polar word) can move the margin more; the "
                       "deciding word is known by construction, which word matters most to a model is measured.")
    if rs.verdicts[POINTS] != "confirmed":
        parts.append("Jain & Wallace 2019 found attention weakly correlated with leave-one-out importance in BiLSTM "
                     "classifiers; Wiegreffe & Pinter 2019 answer that attention can be an explanation without being "
                     "the only one. Their numbers (Kendall τ, BiLSTM with additive attention, real datasets) are not "
                     "comparable to these Spearman ρ of small Transformers; the direction is.")
    parts.append("Abnar & Zuidema 2020 (rollout, flow; a 6-layer Transformer on subject-verb agreement) and Kobayashi "
                 "et al. 2020 (the norm-based view; BERT-base) report views that agree better with ablation or "
                 "gradients than raw weights. Here, against raw attention (paired): " + "; ".join(
                     f"{names.setting_label(s)}: " + ", ".join(f"{METHOD_LABEL[m]} {_side(ev[names.gain(s, m)])}"
                                                               for m in REFINED) for s in names.settings(ev))
                 + ". Where a view is worse we disagree with the paper behind it in this regime (our target is a "
                   "mean-pooled embedding or a classifier margin read over every query row, theirs a single output "
                   "position).")
    return " ".join(parts)


def _side(e) -> str:
    """"better (+0.08 [..])", "worse (...)" or "no clear difference (...)" against raw attention."""
    lo, hi = rules.interval(e)
    word = "better" if lo > NO_GAIN else "worse" if hi < NO_GAIN else "no clear difference"
    return f"{word} ({fmt(e, 'en', 2)})"
