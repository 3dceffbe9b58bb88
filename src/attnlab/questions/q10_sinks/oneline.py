"""q10's one-line answer (en, zh): why heads park weight on the first token, in words, with the number that makes it
stick: how many times its uniform share [CLS]/[SEP] receive in the encoder (or the first token in our LMs)."""

from __future__ import annotations

from attnlab.lab.rules import Rulings
from attnlab.lab.words import fit_oneline, num, plain, spaced
from attnlab.questions.q10_sinks import evidence as names
from attnlab.questions.q10_sinks.rule import (
    CARRIES_LITTLE,
    DIFF_COST,
    DIFF_REMOVES,
    ENCODER_PARKS,
    EVICTION,
    LM_SINK,
    MINILM_GATE,
    NO_COST,
    SINK_REMOVES,
)
from attnlab.questions.q10_sinks.settings import MINILM, PARK_FACTOR, THRESHOLD, VARIANT_LABEL, VARIANT_ZH

PF, TH = plain(PARK_FACTOR), plain(THRESHOLD)
PARKED = ("Softmax weights must sum to 1, so idle heads park them on", "softmax 权重须和为 1，闲置的头把权重停在")
SHORT = ("Softmax weights sum to 1: idle heads park them on", "权重须和为 1，闲置的头停在")
SHORTEST = "权重和为 1，闲置头停"  # the Chinese main clause that leaves room for a caveat with its number



def fit(texts: list[str], zh: bool) -> str:
    """:func:`~attnlab.lab.words.fit_oneline`, the Chinese spaced first."""
    return fit_oneline([spaced(t) for t in texts] if zh else texts, zh)


def _x(value: float) -> str:
    return num(value, 1)


def encoder_peak(ev) -> float:
    """The largest [CLS]+[SEP] share over its uniform share among the encoder's layers."""
    return max(ev[names.special_ratio(l)].number for l in names.layers(ev))


def _first(ev) -> float:
    return ev[names.first_max_ratio("softmax")].number


def _where(rs: Rulings, ev, zh: bool) -> tuple[str, str]:
    """Where the weight is parked and how many times its uniform share: the encoder's [CLS]/[SEP] if they park,
    else the first token of our LMs."""
    if rs.verdicts[ENCODER_PARKS] in ("confirmed", "qualified"):
        return "[CLS]/[SEP]", _x(encoder_peak(ev))
    return ("首个词元" if zh else "the first token"), _x(_first(ev))


def _caveat(rs: Rulings, ev, zh: bool) -> str:
    """The first part of the explanation that does not hold in our measurements, in a few words (Chinese: short
    enough to fit beside the shortest main clause, numbers included)."""
    v = rs.verdicts
    if v[ENCODER_PARKS] == "qualified":
        c = rs.claim(ENCODER_PARKS).values
        k, n = len(c["parked"]), len(c["layers"])
        return f"仅 {k}/{n} 层如此" if zh else f"only {k}/{n} {MINILM} layers do"
    if v[ENCODER_PARKS] != "confirmed":  # the main clause is about our LMs
        x = _x(encoder_peak(ev))
        return ((f"编码器只有 {x} 倍", f"{MINILM} gives only {x}x") if v[ENCODER_PARKS] == "refuted"
                else ("编码器停放未定", "the encoder's parking is unclear"))[not zh]
    if v[CARRIES_LITTLE] != "confirmed":
        return {"qualified": ("仍带一些信息", "that weight still carries some signal"),
                "refuted": ("它确实影响输出", "that weight does change the output"),
                "inconclusive": ("影响尚不清楚", "its effect on the output is unclear")}[v[CARRIES_LITTLE]][not zh]
    if v[LM_SINK] != "confirmed":
        return {"qualified": ("首词元训练前已偏高", "our LMs peak no higher than untrained"),
                "refuted": ("语言模型没有汇聚点", "our small LMs show no first-token sink"),
                "inconclusive": ("语言模型汇聚未定", "our LMs' sink is unclear")}[v[LM_SINK]][not zh]
    if v[SINK_REMOVES] != "confirmed":
        stays = rs.claim(SINK_REMOVES).values.get("stays", [])
        if v[SINK_REMOVES] == "refuted":
            r = _x(max(ev[names.first_max_ratio(c)].number for c in stays))
            return f"我们模型加汇聚仍 {r} 倍" if zh else f"our LMs kept parking with a sink key ({r}x)"
        return (("仅部分汇聚键有效", "only some sink variants remove it") if v[SINK_REMOVES] == "qualified"
                else ("汇聚键效果未定", "whether a sink key removes it is unclear"))[not zh]
    c = rs.claim(NO_COST)
    if c.verdict != "confirmed":
        key = "ceiling" if c.case == "ceiling" else c.verdict
        return {"ceiling": ("上限处测不出代价", "a sink's cost is untestable at the ceiling"),
                "qualified": ("部分变体有代价", "some sink variants cost accuracy or steps"),
                "refuted": ("汇聚变体有代价", "sink variants cost accuracy or steps"),
                "inconclusive": ("代价尚无定论", "a sink's cost is unclear")}[key][not zh]
    return _arm_caveat(rs, zh)


_ARM_CAVEATS = {
    DIFF_REMOVES: {"qualified": ("差分只减弱停放", "differential attention only reduces it"),
                   "refuted": ("差分下仍停放", "differential attention keeps the parking"),
                   "inconclusive": ("差分效果未定", "differential attention's effect is unclear")},
    DIFF_COST: {"qualified": ("差分代价难测", "differential attention's cost is untestable at the ceiling"),
                "refuted": ("差分注意力有代价", "differential attention costs accuracy or steps"),
                "inconclusive": ("差分代价尚无定论", "differential attention's cost is unclear")},
    EVICTION: {"qualified": ("逐出仅部分有害", "evicting them hurts only partly"),
               "refuted": ("逐出开头词元无害", "evicting the first tokens costs nothing here"),
               "inconclusive": ("逐出代价未定", "the cost of evicting them is unclear")},
}


def _arm_caveat(rs: Rulings, zh: bool) -> str:
    """The first of the arms' sub-claims (differential attention, the streaming window) that does not hold."""
    for c in rs.claims:
        if c.name in _ARM_CAVEATS and c.verdict != "confirmed":
            return _ARM_CAVEATS[c.name][c.verdict][not zh]
    return ("尚有部分未成立", "not every part holds")[not zh]


def _undecided(rs: Rulings, ev, zh: bool) -> str:
    failed = [g for g in rs.gates if not g.passed]
    r0 = _x(_first(ev))
    if failed and failed[0].name == MINILM_GATE:
        return (fit([f"尚无定论：缺 {MINILM}；语言模型首个词元达均匀份额 {r0} 倍。", f"尚无定论：缺 {MINILM}。"], zh)
                if zh
                else f"Not settled yet: {MINILM} was not measured; our small LMs give the first token {r0}x its "
                     "uniform share.")
    if failed:
        g = failed[0]
        c, k, n = g.name.removeprefix("learned_"), g.values["k"], g.values["n"]
        if zh:
            runs = f"{n} 个种子都没有达到" if k == 0 else f"{n} 个种子中只有 {k} 个达到"
            return fit([f"尚无定论：{VARIANT_ZH[c]}的 {runs} {TH} 准确率。", "尚无定论：有变体没有学会任务。"], zh)
        runs = f"none of {n} runs" if k == 0 else f"only {k}/{n} runs"
        return f"Not settled yet: the {VARIANT_LABEL[c]} LMs reached {TH} accuracy in {runs}."
    if not (rs.verdicts[ENCODER_PARKS] == rs.verdicts[LM_SINK] == "inconclusive"):  # too few parts decided
        k, n = sum(c.verdict != "inconclusive" for c in rs.claims), len(rs.claims)
        return (f"尚无定论：解释的 {n} 个部分中只有 {k} 个能下结论。" if zh
                else f"Not settled yet: only {k} of the explanation's {n} parts could be decided.")
    x = _x(encoder_peak(ev)) if names.layers(ev) else "?"
    return (fit([f"尚无定论：编码器（{x} 倍）和语言模型（{r0} 倍）都没有明确超过均匀份额的 {PF} 倍。",
                 f"尚无定论：编码器（{x} 倍）和语言模型（{r0} 倍）都没明确超过 {PF} 倍。"], zh) if zh
            else f"Not settled yet: neither {MINILM} ({x}x) nor our LMs ({r0}x) clearly exceed {PF}x the uniform "
                 "share.")


def oneline(rs: Rulings, ev, lang: str) -> str:
    """The answer in one sentence: why, in words, with how many times its uniform share the parked-on token gets."""
    zh = lang == "zh"
    if rs.verdict == "inconclusive":
        return _undecided(rs, ev, zh)
    if rs.verdict == "refuted":
        x, r0 = _x(encoder_peak(ev)), _x(_first(ev))
        return (fit([f"没有明显停放：[CLS]/[SEP] 最多为均匀份额的 {x} 倍，语言模型首个词元 {r0} 倍。",
                     f"没有明显停放：[CLS]/[SEP] 最多为均匀份额的 {x} 倍。"], zh) if zh
                else f"Not in our measurements: [CLS]/[SEP] get at most {x}x, and our LMs' first token {r0}x, their "
                     "uniform share.")
    where, x = _where(rs, ev, zh)
    if zh:
        mains = [f"{PARKED[1]}{where}（至多为均匀份额的 {x} 倍）", f"{SHORT[1]}{where}（至多均匀 {x} 倍）",
                 f"{SHORTEST}{where}（均匀 {x} 倍）"]
        tails = ["，几乎不改变输出。", "。"] if rs.verdict == "confirmed" else [f"，但{_caveat(rs, ev, zh)}。", "。"]
    else:
        mains = [f"{PARKED[0]} {where}, up to {x}x their uniform share", f"{SHORT[0]} {where}, up to {x}x uniform"]
        tails = [", where they barely change the output.", "."] if rs.verdict == "confirmed" else \
            [f", but {_caveat(rs, ev, zh)}.", "."]
    return fit([m + t for t in tails for m in mains], zh)


__all__ = ["encoder_peak", "fit", "oneline", "spaced"]
