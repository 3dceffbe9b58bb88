"""The words (en, zh) of q10's two arms: differential attention against the parking and its cost, and the streaming
window that evicts or keeps the first tokens (Xiao et al. 2023)."""

from __future__ import annotations

from attnlab.lab import rules
from attnlab.lab.rules import Ruling
from attnlab.lab.words import fmt, num, plain, signed
from attnlab.questions.q10_sinks import arm_evidence as arms
from attnlab.questions.q10_sinks import evidence as names
from attnlab.questions.q10_sinks.rule import DIFF_COST, DIFF_REMOVES, EVICTION
from attnlab.questions.q10_sinks.settings import (
    ACC_MARGIN,
    CEILING,
    DIFFERENTIAL,
    KEEP,
    LOSS_MARGIN,
    PARK_FACTOR,
    STEP_MARGIN,
    THRESHOLD,
    VARIANT_LABEL,
    VARIANT_ZH,
)

PF, AM, SM, CEIL, TH = plain(PARK_FACTOR), plain(ACC_MARGIN), plain(STEP_MARGIN), plain(CEILING), plain(THRESHOLD)
LM, K = plain(LOSS_MARGIN), KEEP
D = DIFFERENTIAL

STATEMENT = {
    DIFF_REMOVES: ("Differential attention (Ye et al. 2025) removes the parking on the first token.",
                   "差分注意力（Ye 等人，2025）消除了首个词元上的停放。"),
    DIFF_COST: ("Differential attention learns as well and as fast as softmax.",
                "差分注意力学得和 softmax 一样好、一样快。"),
    EVICTION: (f"A window that evicts the first tokens raises a softmax LM's loss; keeping the first {K} restores it; "
               "LMs trained with a sink need none kept (Xiao et al. 2023).",
               f"逐出开头词元的窗口会抬高 softmax 语言模型的损失；保留前 {K} 个即可恢复；"
               "带汇聚点训练的模型无需保留（Xiao 等人，2023）。"),
}

NEEDS = {
    DIFF_REMOVES: {
        "confirmed": (f"its largest first-token share lies below {PF}x uniform (interval)",
                      f"它的最大首词元份额低于均匀份额的 {PF} 倍（区间）"),
        "qualified": ("it stays above that but the paired drop from softmax lies above 0",
                      "它仍不低于该值，但相对 softmax 的配对下降高于 0"),
        "refuted": (f"it lies above {PF}x uniform with no drop from softmax above 0",
                    f"它高于均匀份额的 {PF} 倍，且相对 softmax 的下降不高于 0")},
    DIFF_COST: {
        "confirmed": (f"accuracy within -{AM} and steps within {SM}x (intervals), off the ceiling {CEIL}",
                      f"准确率差在 -{AM} 以内、步数在 {SM} 倍以内（区间），且不在上限 {CEIL} 处"),
        "qualified": (f"the same margins with both at the ceiling {CEIL}", f"同样的界限，但两者都在上限 {CEIL} 处"),
        "refuted": (f"accuracy below -{AM} or steps above {SM}x (interval)",
                    f"准确率差低于 -{AM} 或步数高于 {SM} 倍（区间）")},
    EVICTION: {
        "confirmed": (f"softmax: evicted - kept above {LM} nats, kept - full below {LM}; every sink variant's "
                      f"evicted - kept below {LM}",
                      f"softmax：逐出减保留高于 {LM} 奈特，保留减完整低于 {LM}；每个汇聚点变体的逐出减保留低于 {LM}"),
        "qualified": (f"softmax's evicted - kept above {LM} nats without the rest",
                      f"softmax 的逐出减保留高于 {LM} 奈特，其余条件不全满足"),
        "refuted": (f"softmax's evicted - kept below {LM} nats (interval)",
                    f"softmax 的逐出减保留低于 {LM} 奈特（区间）")},
}


def same_weights_gate(v: dict, lang: str) -> str:
    gap = v["gap"]
    shown = gap if isinstance(gap, str) else num(gap)
    if lang == "zh":
        shown = "缺失" if isinstance(gap, str) else shown
        return (f"流式实验与语言模型试验权重相同：完整注意力下准确率之差的最大绝对值为 {shown}（须 ≤ "
                f"{plain(v['tol'])}），只有可见的键不同")
    return (f"streaming arm on the same weights: largest |full-attention accuracy - the LM trial's| {shown} (need <= "
            f"{plain(v['tol'])}); only the visibility changes")


def loss_text(e, lang: str = "en") -> str:
    """A loss difference with its interval, in 3 decimals, or 4 where a bound that is not 0 would print as 0.000
    (an interval such as [0.0005, 0.024] must not read as one that touches 0)."""
    lo_hi = rules.interval(e) if not isinstance(e.value, str) and e.ci is not None else ()
    small = any(x != 0 and num(abs(x)) == "0.000" for x in lo_hi)
    return fmt(e, lang, 4 if small else 3)


def evict_place(ev, c: str) -> str:
    """Where condition ``c``'s evicted - kept interval lies against the loss margin: ``"above"``, ``"below"``
    (evicting costs less than the margin: the rule's "harmless") or ``"spans"``."""
    lo, hi = rules.interval(ev[arms.evict_cost(c, K)])
    return "above" if lo > LOSS_MARGIN else "below" if hi < LOSS_MARGIN else "spans"


def seeds_above(ev, c: str) -> tuple[int, int, list[float]]:
    """(seeds whose evicted - kept lies above the loss margin, seeds, the per-seed values) of condition ``c``."""
    per = list(ev[arms.evict_cost(c, K)].per_seed or [])
    return sum(x > LOSS_MARGIN for x in per), len(per), per


def evict_text(ev, c: str, lang: str) -> str:
    """Condition ``c``'s evicted - kept: the value, its interval and where it lies against the margin, with how many
    seeds carry it when the interval spans the margin (and, for softmax, the rule's condition, each seed's value)."""
    zh = lang == "zh"
    place = evict_place(ev, c)
    if place == "above":
        where = f"高于 {LM} 的界限" if zh else f"above the {LM} margin"
    elif place == "below":
        where = (f"低于 {LM} 的界限：逐出的代价小于界限" if zh
                 else f"below the {LM} margin: evicting costs less than the margin")
    else:
        k, n, per = seeds_above(ev, c)
        seeds = ("、" if zh else ", ").join(num(x, 2) for x in per) if c == "softmax" else ""
        if zh:
            where = f"跨过 {LM} 的界限" + (f"；{n} 个种子中 {k} 个高于它" if n else "") + (
                f"，各种子为 {seeds}" if seeds else "")
        else:
            where = f"spanning the {LM} margin" + (f"; {k} of {n} seeds lie above it" if n else "") + (
                f": {seeds}" if seeds else "")
    text = loss_text(ev[arms.evict_cost(c, K)], lang)
    return f"{VARIANT_ZH[c]} {text}（{where}）" if zh else f"{VARIANT_LABEL[c]} {text} ({where})"


def regime(ev, lang: str) -> str:
    """The streaming arm's scale against Xiao et al.'s, in one sentence ("" without the sequence length)."""
    if arms.STREAM_SEQ_LEN not in ev or arms.STREAM_LOOKBACK not in ev:
        return ""
    t, w = num(ev[arms.STREAM_SEQ_LEN].number, 0), num(ev[arms.STREAM_WINDOW].number, 0)
    b = num(ev[arms.STREAM_LOOKBACK].number, 0)
    if lang == "zh":
        return (f"流式实验用 {t} 个词元的序列和最近 {w} 个键的窗口，任务只需回看 {b} 个词元，远不及 Xiao 等人 2023 年"
                "的数千个词元：这只是把我们的小模型放在他们的发现旁边，不是在他们的规模上检验。")
    return (f"The streaming arm runs {t}-token sequences with a window of the last {w} keys on a task that looks {b} "
            "tokens back, far from the thousands of tokens of Xiao et al. 2023: it places our small LMs beside their "
            "finding, it is not a test at their scale.")


def sinks_still_pay(ev, lang: str) -> str:
    """A sentence when a sink variant's point estimate of evicted - kept reaches the margin (no support for "LMs
    trained with a sink need no kept tokens", and no refutation while the intervals straddle it), else ""."""
    sinks = [c for c in arms.stream_conditions(ev) if c in names.sink_variants(ev)]
    paying = [c for c in sinks if ev[arms.evict_cost(c, K)].number >= LOSS_MARGIN]
    if not paying:
        return ""
    vals = [signed(ev[arms.evict_cost(c, K)].number) for c in paying]
    soft = signed(ev[arms.evict_cost("softmax", K)].number)
    if lang == "zh":
        return (f"带汇聚点训练的模型的点估计（{'、'.join(vals)}）与 softmax（{soft}）一样达到 {LM} 的界限：这里没有证据"
                "支持「带汇聚点训练的模型无需保留开头词元」；它们的区间跨过这一界限，所以也不能否定它。")
    return (f"The sink variants' point estimates ({', '.join(vals)}) reach the {LM} margin as softmax's does "
            f"({soft}): nothing here supports the idea that LMs trained with a sink need no kept tokens, and as "
            "their intervals straddle the margin, nothing refutes it either.")


def _x(e, lang: str) -> str:
    return f"{fmt(e, lang, 2)} 倍" if lang == "zh" else f"{fmt(e, lang, 2)}x"


def rule_text(r: Ruling, ev) -> str:
    if r.name == DIFF_REMOVES:
        return (f"{r.verdict}: with differential attention the head that attends most to the first token gives it "
                f"{_x(ev[names.first_max_ratio(D)], 'en')} the uniform share (differential map over its row sum "
                f"1 - λ), softmax {_x(ev[names.first_max_ratio('softmax')], 'en')}; paired drop of that share "
                f"{fmt(ev[names.first_max_drop(D)])}. Rule: confirmed if the interval lies below {PF}x uniform; "
                f"qualified if not but the paired drop's interval lies above 0; refuted if it lies above {PF}x "
                "without such a drop; else inconclusive.")
    if r.name == DIFF_COST:
        acc0 = num(ev[names.acc("softmax")].number)
        return (f"{r.verdict}: differential minus softmax (paired): accuracy {fmt(ev[names.acc_diff(D)])}, steps to "
                f"{TH} {_x(ev[names.steps_ratio(D)], 'en')}; mean accuracy softmax {acc0}, "
                f"differential {num(ev[names.acc(D)].number)}. Rule: confirmed if the accuracy interval lies above "
                f"-{AM} and the step ratio's below {SM} off the ceiling {CEIL}; qualified if so at the ceiling; "
                "refuted if either lies beyond; else inconclusive.")
    per = "; ".join(f"{VARIANT_LABEL[c]}: evicted - kept {loss_text(ev[arms.evict_cost(c, K)])}, kept - full "
                    f"{loss_text(ev[arms.keep_gap(c, K)])}" for c in arms.stream_conditions(ev))
    return (f"{r.verdict}: held-out loss (nats) beyond a window of {num(ev[arms.STREAM_WINDOW].number, 0)} keys, "
            f"first tokens evicted vs the first {K} kept vs full attention (paired): {per}. Rule: confirmed if for "
            f"softmax evicted - kept lies above {LM} and kept - full below {LM}, and for every sink variant "
            f"evicted - kept lies below {LM}; qualified if softmax's evicted - kept lies above {LM} without the rest; "
            f"refuted if it lies below {LM}; else inconclusive.")


def because(r: Ruling, ev, lang: str) -> str:
    zh = lang == "zh"
    if r.name == DIFF_REMOVES:
        ratio, r0 = _x(ev[names.first_max_ratio(D)], lang), _x(ev[names.first_max_ratio("softmax")], lang)
        lam = "、".join if zh else ", ".join
        lams = lam(num(x, 2) for x in ev[arms.DIFF_LAMBDA].value)
        drop = fmt(ev[names.first_max_drop(D)], lang)
        if zh:
            return (f"差分注意力中最关注首个词元的头给它均匀份额 {ratio}的注意力（差分图除以行和 1 - λ），softmax 为 "
                    f"{r0}；该份额的配对下降为 {drop}；训练后各层 λ 为 {lams}。")
        return (f"With differential attention the head that attends most to the first token gives it {ratio} the "
                f"uniform share (the differential map over its row sum 1 - λ), softmax {r0}; the paired drop of that "
                f"share is {drop}; λ per layer after training: {lams}.")
    if r.name == DIFF_COST:
        acc, steps = fmt(ev[names.acc_diff(D)], lang), _x(ev[names.steps_ratio(D)], lang)
        ceil = r.values.get("ceiling")
        if zh:
            tail = f"两者都在准确率上限 {CEIL} 处，准确率代价无法显现，只有步数比受检验。" if ceil else ""
            return f"与 softmax 配对比较，差分注意力的准确率差为 {acc}，达到 {TH} 的步数为 {steps}。" + tail
        tail = (f" Both are at the accuracy ceiling {CEIL}, where no accuracy cost can show; only the step ratio is "
                "tested." if ceil else "")
        return (f"Against softmax (paired), differential attention changes accuracy by {acc} and takes {steps} the "
                f"steps to {TH}." + tail)
    w = num(ev[arms.STREAM_WINDOW].number, 0)
    if zh:
        per = "；".join(f"逐出减保留，{evict_text(ev, c, lang)}，保留减完整 "
                       f"{loss_text(ev[arms.keep_gap(c, K)], lang)}" for c in arms.stream_conditions(ev))
        return (f"同一组权重，只改变可见的键（最近 {w} 个键的窗口，逐出或保留前 {K} 个词元，或完整注意力），"
                f"窗口之外的留出损失（奈特，配对）：{per}。" + sinks_still_pay(ev, lang) + regime(ev, lang))
    per = "; ".join(f"evicted - kept, {evict_text(ev, c, lang)}, kept - full "
                    f"{loss_text(ev[arms.keep_gap(c, K)])}" for c in arms.stream_conditions(ev))
    tail = " ".join(t for t in (sinks_still_pay(ev, lang), regime(ev, lang)) if t)
    return (f"Same weights, only the visible keys changed (a window of the last {w} keys, the first {K} tokens "
            f"evicted or kept, or full attention); held-out loss beyond the window in nats, paired: {per}."
            + (" " + tail if tail else ""))
