"""q13's sentences, in English and Chinese, built from the rule's verdicts and numbers."""

from __future__ import annotations

from attnlab.lab.rules import Gate, Ruling, Rulings
from attnlab.lab.words import Words, fmt, num, plain
from attnlab.questions.q13_kv_cache import evidence as names
from attnlab.questions.q13_kv_cache.answer import answer, bytes_text, costs_text, summary
from attnlab.questions.q13_kv_cache.oneline import oneline, shares
from attnlab.questions.q13_kv_cache.rule import CACHE, COSTLY, LITTLE, LM_COST, PARAMS_GATE, RECALL_COST, statuses
from attnlab.questions.q13_kv_cache.settings import (
    ACC_MARGIN,
    KIND_SHORT,
    LOSS_MARGIN,
    REDUCED,
    TASK_EN,
    TASK_ZH,
)

LM, AM = plain(LOSS_MARGIN), plain(ACC_MARGIN)

_STATEMENT = {
    CACHE: ("Fewer KV heads (GQA, MQA) and a latent cache (MLA) shrink the KV cache below MHA's.",
            "更少的 KV 头（GQA、MQA）和潜在向量缓存（MLA）让 KV 缓存小于 MHA。"),
    LM_COST: ("At equal parameters they cost little in held-out loss on the character LM.",
              "参数量相同时，它们在字符语言模型留出文本上的损失只略有增加。"),
    RECALL_COST: ("At equal parameters they cost little in associative recall.",
                  "参数量相同时，它们在关联回忆上的准确率只略有下降。"),
}
_STATUS = {"little": ("little", "很小"), "costly": ("costly", "明显"), "unclear": ("unclear", "不确定")}
_WHAT = {LM_COST: (f"its paired loss increase's interval lies below {LM}", f"配对的损失增加的区间低于 {LM}",
                   f"above {LM}", f"高于 {LM}"),
         RECALL_COST: (f"its paired recall difference's interval lies above -{AM}",
                       f"配对的回忆准确率差的区间高于 -{AM}",
                       f"below -{AM}", f"低于 -{AM}")}


def _needs(name: str) -> dict[str, tuple[str, str]]:
    little_en, little_zh, costly_en, costly_zh = _WHAT[name]
    return {"confirmed": (f"for GQA, MQA and MLA alike {little_en}", f"GQA、MQA 和 MLA 的{little_zh}"),
            "qualified": (f"for some, not all, of them {little_en}", f"其中一部分（而非全部）的{little_zh}"),
            "refuted": (f"for all three the interval lies {costly_en}", f"三者的区间都{costly_zh}")}


def _cost_name(name: str):
    return names.loss_vs_mha if name == LM_COST else names.recall_vs_mha


def _per_kind(ev, name: str, lang: str) -> str:
    s = statuses(ev, name)
    of = _cost_name(name)
    if lang == "zh":
        return "，".join(f"{KIND_SHORT[k]} {fmt(ev[of(k)], lang)}（{_STATUS[s[k]][1]}）" for k in REDUCED)
    return ", ".join(f"{KIND_SHORT[k]} {fmt(ev[of(k)], lang)} ({_STATUS[s[k]][0]})" for k in REDUCED)


class KVCacheWords(Words):
    def statement(self, r: Ruling, ev, lang: str) -> str:
        return _STATEMENT[r.name][lang == "zh"]

    def gate(self, g: Gate, ev, lang: str) -> str:
        if g.kind == "params_matched":
            v = g.values
            t, k = v["worst"].split(", ")
            gap, match = num(100 * v["gap"], 2), num(100 * v["match"], 0)
            if lang == "zh":
                return (f"参数量相同：与 MHA 相差最大的是{TASK_ZH[t]}上的 {KIND_SHORT[k]}，差 {gap}%（允许 {match}%）")
            return (f"equal parameters: the largest gap to MHA's is {KIND_SHORT[k]} on the {TASK_EN[t]}, {gap}% "
                    f"(allowed {match}%)")
        return super().gate(g, ev, lang)

    def needs(self, r: Ruling, ev, lang: str) -> list[tuple[str, str]]:
        if r.name == CACHE:
            return []
        if r.verdict == "inconclusive":
            return []
        return [(v, text[lang == "zh"]) for v, text in _needs(r.name).items()]

    def would_change(self, r: Ruling, ev, lang: str) -> str:
        if r.name == CACHE and r.verdict == "inconclusive":  # not noise: the cache or the formula is wrong
            return ("找出实测缓存与公式不符的原因（缓存的实现或公式有误），而不是增加种子数。" if lang == "zh"
                    else "Find why the measured cache and the formula disagree (the cache or the formula is wrong); "
                         "more seeds would not change it.")
        return super().would_change(r, ev, lang)

    def rule(self, r: Ruling, ev) -> str:
        if r.name == CACHE:
            return (f"{r.verdict}: bytes per token {bytes_text(ev, 'en')} (float32, measured on the models). Rule: "
                    "inconclusive if a measured size differs from the formula (2 L H_kv D numbers; MLA L (d_c + "
                    "d_R)); else confirmed if GQA, MQA and MLA all cache fewer bytes than MHA, refuted if none does, "
                    "qualified otherwise. Arithmetic, not training: shown, not counted in the verdict.")
        if r.name == LM_COST:
            head = (f"held-out loss minus MHA's (paired over seeds): {_per_kind(ev, r.name, 'en')}. Rule: a kind "
                    f"costs little if the interval lies below {LM} nats per character, is costly if it lies above")
        else:
            head = (f"recall accuracy minus MHA's (paired over seeds): {_per_kind(ev, r.name, 'en')}. Rule: a kind "
                    f"costs little if the interval lies above -{AM}, is costly if it lies below")
        return (f"{r.verdict}: {head}; confirmed if all three cost little, refuted if all three are costly, "
                "qualified if some cost little, else inconclusive.")

    def because(self, r: Ruling, ev, lang: str) -> str:
        zh = lang == "zh"
        if r.name == CACHE:
            wrong = r.values.get("wrong")
            if wrong:
                w = "、".join(KIND_SHORT[k] for k in wrong) if zh else ", ".join(KIND_SHORT[k] for k in wrong)
                return (f"{w} 的实测缓存大小与公式不符（实测：{bytes_text(ev, lang)} 字节）。" if zh
                        else f"The measured cache of {w} differs from the formula (measured: {bytes_text(ev, lang)} "
                             "bytes).")
            return (f"每个词元的缓存字节数（与公式一致）：{bytes_text(ev, lang)}，更小的缓存是 MHA 的 {shares(ev)}。"
                    if zh else f"Bytes per token (equal to the formula): {bytes_text(ev, lang)}; the smaller caches "
                               f"are {shares(ev)} of MHA's.")
        little = sum(v == LITTLE for v in statuses(ev, r.name).values())
        costly = sum(v == COSTLY for v in statuses(ev, r.name).values())
        if r.name == LM_COST:
            return (f"留出文本上的损失减去 MHA 的（配对）：{_per_kind(ev, r.name, lang)}；三种中 {little} 种代价很小，"
                    f"{costly} 种明显（界线 {LM} 奈特每字符）。" if zh else
                    f"Held-out loss minus MHA's (paired): {_per_kind(ev, r.name, lang)}: {little} of 3 cost little, "
                    f"{costly} clearly more (bar: {LM} nats per character).")
        return (f"关联回忆准确率减去 MHA 的（配对）：{_per_kind(ev, r.name, lang)}；三种中 {little} 种代价很小，"
                f"{costly} 种明显（界线 -{AM}）。" if zh else
                f"Recall accuracy minus MHA's (paired): {_per_kind(ev, r.name, lang)}: {little} of 3 cost little, "
                f"{costly} clearly more (bar: -{AM}).")

    def summary(self, rs: Rulings, ev) -> str:
        return summary(rs, ev) + " " + self.overall(rs, ev)

    def answer(self, rs: Rulings, ev, lang: str) -> str:
        return answer(rs, ev, lang)

    def oneline(self, rs: Rulings, ev, lang: str) -> str:
        return oneline(rs, ev, lang)


WORDS = KVCacheWords()

__all__ = ["PARAMS_GATE", "RECALL_COST", "WORDS", "costs_text"]
