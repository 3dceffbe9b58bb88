"""q14's sentences, in English and Chinese, built from the rule's verdicts and numbers."""

from __future__ import annotations

from attnlab.lab.rules import Ruling, Rulings
from attnlab.lab.words import Words, fmt, plain
from attnlab.questions.q14_mixers import evidence as names
from attnlab.questions.q14_mixers.answer import accuracies, answer, fall_text, summary
from attnlab.questions.q14_mixers.oneline import oneline
from attnlab.questions.q14_mixers.rule import SOFTMAX_AHEAD, SOFTMAX_RECALLS, STATES_FALL, comparisons, largest
from attnlab.questions.q14_mixers.settings import MIXER_EN, MIXER_ZH, RECURRENT, THRESHOLD

TH = plain(THRESHOLD)

_STATEMENT = {
    SOFTMAX_RECALLS: ("Softmax attention recalls at every number of pairs tried.",
                      "softmax 注意力在所试的每个键值对数上都能回忆。"),
    STATES_FALL: ("Linear attention, the delta rule, the gated delta rule and an LSTM, whose state has a fixed size, "
                  "fall below the bar as the pairs grow.",
                  "状态大小固定的线性注意力、增量规则、门控增量规则和 LSTM，随键值对增多跌到门槛以下。"),
    SOFTMAX_AHEAD: ("Softmax attention recalls more than each fixed-state mixer at the largest number of pairs.",
                    "在最多的键值对数上，softmax 注意力的回忆好于每个状态大小固定的混合层。"),
}
# what each verdict needs (English, Chinese), for "what would change it" when no single number can
_NEEDS = {
    SOFTMAX_RECALLS: {"confirmed": (f"softmax attention's accuracy interval lies above {TH} at every pair count",
                                    f"softmax 注意力在每个键值对数上的准确率区间都高于 {TH}"),
                      "qualified": (f"it lies above {TH} at some pair counts only",
                                    f"只在部分键值对数上高于 {TH}"),
                      "refuted": (f"it lies below {TH} at every pair count", f"在每个键值对数上都低于 {TH}")},
    STATES_FALL: {"confirmed": (f"every fixed-state mixer's accuracy interval at the largest count lies below {TH}",
                                f"最多键值对时每个固定状态混合层的准确率区间都低于 {TH}"),
                  "qualified": (f"some, not all, of them lie below {TH} there", f"其中部分（而非全部）低于 {TH}"),
                  "refuted": (f"every one lies above {TH} there", f"每一个都高于 {TH}")},
    SOFTMAX_AHEAD: {"confirmed": ("every paired difference's interval lies above 0", "所有配对差的区间都高于 0"),
                    "qualified": ("some, not all, paired differences' intervals lie above 0",
                                  "部分（而非全部）配对差的区间高于 0"),
                    "refuted": ("every paired difference's interval lies below 0", "所有配对差的区间都低于 0")},
}


class MixerWords(Words):
    def statement(self, r: Ruling, ev, lang: str) -> str:
        return _STATEMENT[r.name][lang == "zh"]

    def needs(self, r: Ruling, ev, lang: str) -> list[tuple[str, str]]:
        if r.verdict == "inconclusive":
            return []
        return [(v, text[lang == "zh"]) for v, text in _NEEDS[r.name].items()]

    def rule(self, r: Ruling, ev) -> str:
        top = largest(ev)
        if r.name == SOFTMAX_RECALLS:
            accs = "; ".join(f"{p} pairs {fmt(ev[names.acc('softmax', p)])}" for p in names.pair_counts(ev))
            return (f"{r.verdict}: softmax attention's held-out recall accuracy, {accs}. Rule: confirmed if its "
                    f"interval lies above {TH} at every pair count; refuted if it lies below {TH} at every one; "
                    "qualified if above at some; else inconclusive.")
        if r.name == STATES_FALL:
            accs = "; ".join(f"{m} {fmt(ev[names.acc(m, top)])}" for m in RECURRENT)
            return (f"{r.verdict}: recall accuracy at {top} pairs (the largest count), {accs}. Rule: confirmed if "
                    f"every fixed-state mixer's interval lies below {TH} there; refuted if every one lies above "
                    f"{TH}; qualified if some lie below; else inconclusive. Where each falls: "
                    + "; ".join(f"{m} {fall_text(ev, m, 'en')}" for m in RECURRENT) + ".")
        text = "; ".join(f"{ev[n].label}: {fmt(ev[n])}" for n in comparisons(ev))
        return (f"{r.verdict}: {text}. Rule: confirmed if every paired difference's interval lies above 0 (softmax "
                "attention recalls more), refuted if every one lies below 0, qualified if some lie above 0, else "
                "inconclusive.")

    def because(self, r: Ruling, ev, lang: str) -> str:
        zh = lang == "zh"
        top = largest(ev)
        if r.name == SOFTMAX_RECALLS:
            accs = accuracies(ev, "softmax", lang)
            return (f"softmax 注意力的留出集回忆准确率（括号内为键值对数）：{accs}；门槛 {TH}。" if zh else
                    f"Softmax attention's held-out recall accuracy (pairs in brackets): {accs}; the bar is {TH}.")
        if r.name == STATES_FALL:
            if zh:
                return (f"{top} 个键值对时：" + "；".join(f"{MIXER_ZH[m]} {fmt(ev[names.acc(m, top)], lang)}，"
                                                      f"{fall_text(ev, m, lang)}" for m in RECURRENT) + "。")
            return (f"At {top} pairs: " + "; ".join(f"{MIXER_EN[m]} {fmt(ev[names.acc(m, top)])}, "
                                                   f"{fall_text(ev, m, lang)}" for m in RECURRENT) + ".")
        v = r.values
        if zh:
            items = "；".join(f"{MIXER_ZH[m]} {fmt(ev[names.gap(m, top)], lang)}" for m in RECURRENT)
            return (f"{top} 个键值对时 softmax 注意力减去各混合层的回忆准确率（配对）：{items}；{v['n']} 组比较中区间"
                    f"高于 0 的 {v['up']} 组，低于 0 的 {v['down']} 组。")
        items = "; ".join(f"{MIXER_EN[m]} {fmt(ev[names.gap(m, top)])}" for m in RECURRENT)
        return (f"Softmax attention's recall minus each mixer's at {top} pairs (paired): {items}: the interval lies "
                f"above 0 in {v['up']} of {v['n']} comparisons and below 0 in {v['down']}.")

    def summary(self, rs: Rulings, ev) -> str:
        return summary(rs, ev) + " " + self.overall(rs, ev)

    def answer(self, rs: Rulings, ev, lang: str) -> str:
        return answer(rs, ev, lang)

    def oneline(self, rs: Rulings, ev, lang: str) -> str:
        return oneline(rs, ev, lang)


WORDS = MixerWords()
