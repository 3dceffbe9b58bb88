"""q11's sentences, in English and Chinese, built from the rule's verdicts and numbers."""

from __future__ import annotations

from attnlab.analysis.attribution import METHODS
from attnlab.lab.rules import Gate, Ruling, Rulings
from attnlab.lab.words import Words, fmt, num, plain
from attnlab.questions.q11_explanation import evidence as names
from attnlab.questions.q11_explanation.answer import answer, summary
from attnlab.questions.q11_explanation.oneline import oneline, spaced
from attnlab.questions.q11_explanation.rule import MINILM_AGREES, POINTS, REFINED_BETTER, TRAINED_AGREES
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

S, W, F, H, G = plain(STRONG), plain(WEAK), plain(FINDS), plain(HALF), plain(NO_GAIN)

_STATEMENT = {
    MINILM_AGREES: ("In a pretrained encoder, raw attention ranks the words as erasure does.",
                    "在预训练编码器中，原始注意力给词的排序与逐词删除一致。"),
    POINTS: ("Raw attention puts its largest weight on the word that decides.",
             "原始注意力把最大的权重放在决定性词上。"),
    TRAINED_AGREES: ("In trained classifiers, raw attention ranks the words as erasure does.",
                     "在训练的分类器中，原始注意力给词的排序与逐词删除一致。"),
    REFINED_BETTER: ("Rollout, flow and the norm-based view agree with erasure better than raw attention (Abnar & "
                     "Zuidema 2020; Kobayashi et al. 2020).",
                     "注意力展开、注意力流和基于范数的视角比原始注意力更符合逐词删除（Abnar 和 Zuidema 2020；"
                     "Kobayashi 等人 2020）。"),
}
_RHO_RULE = (f"confirmed if the interval lies above {S}; refuted if it lies below {W}; qualified if it lies above {W} "
             f"but not above {S}; else inconclusive")
# what each verdict needs (English, Chinese), for "what would change it" when no single number can
_NEEDS = {
    MINILM_AGREES: {"confirmed": (f"the interval lay above {S}", f"区间高于 {S}"),
                    "qualified": (f"it lay above {W} but not above {S}", f"区间高于 {W} 但不高于 {S}"),
                    "refuted": (f"it lay below {W}", f"区间低于 {W}")},
    POINTS: {"confirmed": (f"on every task the hit rate's interval lay above {F}", f"每个任务的命中率区间都高于 {F}"),
             "qualified": (f"on some task it lay above {H}", f"有任务的命中率区间高于 {H}"),
             "refuted": (f"on every task it lay below {H}", f"每个任务的命中率区间都低于 {H}")},
    TRAINED_AGREES: {"confirmed": (f"on every task the interval lay above {S}", f"每个任务的区间都高于 {S}"),
                     "qualified": (f"on some task it lay above {W}", f"有任务的区间高于 {W}"),
                     "refuted": (f"on every task it lay below {W}", f"每个任务的区间都低于 {W}")},
    REFINED_BETTER: {"confirmed": (f"every difference's interval lay above {G}", f"每个差值的区间都高于 {G}"),
                     "qualified": (f"some difference's interval lay above {G}", f"有差值的区间高于 {G}"),
                     "refuted": (f"every difference's interval lay below {G}", f"每个差值的区间都低于 {G}")},
}


def method(m: str, zh: bool) -> str:
    return METHOD_ZH[m] if zh else METHOD_LABEL[m]


def others(ev, setting: str, lang: str) -> str:
    """Every method but raw attention with its agreement in ``setting``: "rollout 0.12 [..], flow ..."."""
    zh = lang == "zh"
    return ("、" if zh else ", ").join(f"{method(m, zh)} {fmt(ev[names.rho(setting, m)], lang, 2)}"
                                       for m in METHODS if m != "raw")


class ExplanationWords(Words):
    def statement(self, r: Ruling, ev, lang: str) -> str:
        return _STATEMENT[r.name][lang == "zh"]

    def gate(self, g: Gate, ev, lang: str) -> str:
        zh, v = lang == "zh", g.values
        if g.kind == "available":
            if g.passed:
                return f"已测量 {MINILM}" if zh else f"{MINILM} measured"
            return (f"未安装 {MINILM} 的权重：无法测量预训练编码器的子论断" if zh
                    else f"{MINILM} weights not installed: the pretrained encoder's sub-claim cannot be measured")
        if g.kind == "relies":
            t = g.name.removeprefix("relies_on_word_")
            e = ev[v["evidence"]]
            return (spaced(f"{TASK_SHORT_ZH[t]}任务：逐词删除在 {fmt(e, lang, 2)} 的文本中认定决定性词影响最大"
                           f"（须高于 {H}，模型确实依赖它）") if zh else
                    f"{TASK_SHORT[t]} task: erasure finds the deciding word the most important in {fmt(e, lang, 2)} "
                    f"of texts (need above {H}: the model does rely on it)")
        return super().gate(g, ev, lang)

    def needs(self, r: Ruling, ev, lang: str) -> list[tuple[str, str]]:
        if r.verdict == "inconclusive":
            return []
        return [(v, text[lang == "zh"]) for v, text in _NEEDS[r.name].items()]

    def rule(self, r: Ruling, ev) -> str:
        if r.name == MINILM_AGREES:
            return (f"{r.verdict}: Spearman ρ of {MINILM}'s raw attention with erasure of the sentence embedding, "
                    f"mean over {ev[names.MINILM_SENTENCES].number:.0f} sentences: "
                    f"{fmt(ev[names.rho('minilm', 'raw')], 'en', 3)}. Rule: {_RHO_RULE}.")
        if r.name == POINTS:
            per = "; ".join(f"{TASK_SHORT[t]}: {fmt(ev[names.hit(t, 'raw')])} (chance "
                            f"{num(ev[names.chance(t)].number)}, erasure {num(ev[names.hit(t, 'erasure')].number)})"
                            for t in TASKS)
            return (f"{r.verdict}: share of texts whose largest raw attention falls on the deciding word, {per}. "
                    f"Rule, per task: finds if the interval lies above {F}, misses if it lies below {H}, partly if it "
                    f"lies above {H} only; confirmed if every task finds, refuted if every task misses, qualified if "
                    "some task finds or partly finds, else inconclusive.")
        if r.name == TRAINED_AGREES:
            per = "; ".join(f"{TASK_SHORT[t]}: {fmt(ev[names.rho(t, 'raw')])}" for t in TASKS)
            return (f"{r.verdict}: Spearman ρ of raw attention with erasure of the logit margin, mean over texts per "
                    f"model, interval over seeds: {per}. Rule per task as for {MINILM} ({_RHO_RULE}); confirmed if "
                    f"every task is above {S}, refuted if every task is below {W}, qualified if some task is above "
                    f"{W}, else inconclusive.")
        per = "; ".join(f"{n.removeprefix('gain_')}: {fmt(ev[n], 'en', 3)}" for n in _comparisons(ev))
        return (f"{r.verdict}: agreement with erasure, refined view minus raw attention (paired): {per}. Rule: "
                f"confirmed if every interval lies above {G}, refuted if every one lies below, qualified if some lie "
                "above, else inconclusive. Shown, not counted: the corrections are the literature's claim, not the "
                "seed's.")

    def because(self, r: Ruling, ev, lang: str) -> str:
        zh = lang == "zh"
        if r.name == MINILM_AGREES:
            n, e = int(ev[names.MINILM_SENTENCES].number), fmt(ev[names.rho("minilm", "raw")], lang, 2)
            if zh:
                return spaced(f"在{SOURCE_ZH}的 {n} 个句子上，{MINILM} 最后一层的原始注意力（对头和查询取平均）与删除"
                              f"词元对句向量的影响的 Spearman ρ 为 {e}；其余方法：{others(ev, 'minilm', lang)}。")
            return (f"Over {n} sentences of {SOURCE}, {MINILM}'s last-layer raw attention (mean over heads and "
                    f"queries) agrees with erasure of the sentence embedding at Spearman ρ {e}; the other methods: "
                    f"{others(ev, 'minilm', lang)}.")
        if r.name == POINTS:
            if zh:
                per = "；".join(f"{TASK_SHORT_ZH[t]}任务 {fmt(ev[names.hit(t, 'raw')], lang, 2)}（随机水平 "
                               f"{num(ev[names.chance(t)].number, 3)}，逐词删除 "
                               f"{num(ev[names.hit(t, 'erasure')].number, 2)}）" for t in TASKS)
                return spaced(f"原始注意力的最大权重落在决定性词上的文本比例：{per}；"
                              "转折任务只计两个极性词相反的文本。")
            per = "; ".join(f"{fmt(ev[names.hit(t, 'raw')], lang, 2)} on the {TASK_SHORT[t]} task (chance "
                            f"{num(ev[names.chance(t)].number, 3)}, erasure "
                            f"{num(ev[names.hit(t, 'erasure')].number, 2)})"
                            for t in TASKS)
            return (f"Raw attention's largest weight falls on the deciding word in {per}; on the contrast task only "
                    "texts whose two polar words disagree count.")
        if r.name == TRAINED_AGREES:
            if zh:
                per = "；".join(f"{TASK_SHORT_ZH[t]}任务 {fmt(ev[names.rho(t, 'raw')], lang, 2)}（其余方法："
                               f"{others(ev, t, lang)}）" for t in TASKS)
                return spaced(f"训练的分类器中，原始注意力与删除词元对 logit 差的影响的 Spearman ρ：{per}。")
            per = "; ".join(f"{fmt(ev[names.rho(t, 'raw')], lang, 2)} on the {TASK_SHORT[t]} task (other methods: "
                            f"{others(ev, t, lang)})" for t in TASKS)
            return ("In the trained classifiers, raw attention agrees with erasure of the logit margin at Spearman "
                    f"ρ {per}.")
        found = _comparisons(ev)
        up = len(r.values["up"])
        down = len(r.values["down"])
        if zh:
            per = "；".join(f"{names.setting_label(s, True)}：" + "、".join(
                f"{METHOD_ZH[m]} {fmt(ev[names.gain(s, m)], lang, 2)}" for m in REFINED) for s in names.settings(ev))
            return spaced(f"与逐词删除的一致性相对原始注意力的变化（配对）：{per}；{len(found)} 组比较中 {up} 组"
                          "区间高于 "
                          f"{G}，{down} 组低于 {G}。")
        per = "; ".join(f"{names.setting_label(s)}: " + ", ".join(
            f"{METHOD_LABEL[m]} {fmt(ev[names.gain(s, m)], lang, 2)}" for m in REFINED) for s in names.settings(ev))
        return (f"Agreement with erasure, minus raw attention's (paired): {per}; {up} of {len(found)} differences lie "
                f"above {G}, {down} below.")

    def summary(self, rs: Rulings, ev) -> str:
        return summary(rs, ev) + " " + self.overall(rs, ev)

    def answer(self, rs: Rulings, ev, lang: str) -> str:
        return answer(rs, ev, lang)

    def oneline(self, rs: Rulings, ev, lang: str) -> str:
        return oneline(rs, ev, lang)


def _comparisons(ev) -> list[str]:
    return [names.gain(s, m) for s in names.settings(ev) for m in REFINED]


WORDS = ExplanationWords()
