"""q6's short answer (English, Chinese) and summary (English), from the rulings and the numbers. The undecided
answer comes from the words engine."""

from __future__ import annotations

from collections.abc import Mapping

from attnlab.lab import rules
from attnlab.lab.rules import Rulings
from attnlab.lab.words import fmt, join, num
from attnlab.lab.words.timing import load_clause, load_sentence
from attnlab.questions.q6_cost import names as N
from attnlab.questions.q6_cost import rule as R
from attnlab.questions.q6_cost.derivation import flops_width
from attnlab.questions.q6_cost.phrases import regime, steps_times
from attnlab.questions.q6_cost.settings import (
    ATTENTION,
    CNN,
    CONV,
    LSTM,
    LSTM_DEFAULT,
    LSTM_LAYER,
    MIN_GAIN,
    MIN_REACHED,
    MODELS,
    RIVALS,
    SPEED_KERNEL,
    SPEED_RIVALS,
    STEPS_MARGIN,
    THRESHOLD,
)
from attnlab.results import Evidence

__all__ = ["short_answer", "summary"]

K = SPEED_KERNEL
SPEED_LEAD = {  # against the LSTM
    "confirmed": ("Self-attention was faster than an LSTM at every length timed",
                  "在测量的每个长度上，自注意力都比 LSTM 快"),
    "qualified": ("Self-attention was faster than an LSTM at some lengths and slower at others",
                  "自注意力在一些长度上比 LSTM 快，在另一些长度上更慢"),
    "refuted": ("Self-attention was slower than an LSTM at every length timed",
                "在测量的每个长度上，自注意力都比 LSTM 慢"),
    "inconclusive": ("Whether self-attention is faster than an LSTM is undecided", "自注意力是否比 LSTM 快，尚无定论"),
}
CONV_LEAD = {  # against the k=3 convolution
    "confirmed": (f"it was faster than a k={K} convolution at every length", f"在每个长度上都比 k={K} 的卷积快"),
    "qualified": (f"against a k={K} convolution it was faster at some lengths and slower at others",
                  f"与 k={K} 的卷积相比，在一些长度上更快，在另一些长度上更慢"),
    "refuted": (f"it was slower than a k={K} convolution at every length", f"在每个长度上都比 k={K} 的卷积慢"),
    "inconclusive": (f"against a k={K} convolution it is undecided", f"与 k={K} 的卷积相比尚无定论"),
}
CEILING_LEAD = {  # attention and both rivals at the threshold at every distance
    "refuted": ("At these distances there was no difference at long range (attention and both rivals learned every "
                "distance)", "在这些距离上，长距离依赖没有差别（注意力和其余两种模型都学会了每个距离）"),
    "qualified": ("At these distances attention and both rivals learned every distance, attention only in fewer "
                  "steps", "在这些距离上注意力和其余两种模型都学会了每个距离，注意力只是用的步数更少"),
    "inconclusive": ("At these distances attention and both rivals learned every distance; whether attention "
                     "learns long-range recall in fewer steps is undecided",
                     "在这些距离上注意力和其余两种模型都学会了每个距离；注意力是否用更少的步数学会长距离回忆，尚无定论"),
}
LONG_LEAD = {
    "confirmed": ("Attention was better at long range", "注意力在长距离依赖上更好"),
    "qualified": ("Attention was better at long range only in part", "注意力在长距离依赖上只是部分更好"),
    "refuted": ("Attention was not better at long range", "注意力在长距离依赖上并不更好"),
    "inconclusive": ("Whether attention is better at long range is undecided",
                     "注意力在长距离依赖上是否更好，尚无定论"),
}


def _derivation(ev: Mapping[str, Evidence], zh: bool) -> str:
    rows = ev[N.PARAMS_TABLE].value
    d, sa, _, lstm = next(r for r in rows if r[0] == flops_width([r[0] for r in rows]))[:4]
    cross, min_k = num(ev[N.FLOPS_CROSSOVER].number, 0), num(ev[N.MIN_KERNEL].number, 0)
    if zh:
        return (f"按计数推导（不计入结论），宽度 d={d} 时一个自注意力层有 {sa} 个参数，一个 LSTM 层有 {lstm} 个；"
                f"卷积核大小达到 {min_k} 起卷积的参数才多于自注意力，只有当长度 n < {cross}d 时 LSTM 的 FLOPs 才更多。")
    return (f"By counting (a derivation, not part of the verdict), a self-attention layer of width d={d} has {sa} "
            f"parameters against an LSTM layer's {lstm}; a convolution has more only from kernel size {min_k} on, "
            f"and the LSTM needs more FLOPs only while the length n < {cross}d.")


def _speed(rs: Rulings, ev: Mapping[str, Evidence], zh: bool) -> str:
    v = rs.claim(R.FASTER).values
    ns, per = v["ns"], v["per_rival"]
    lo, hi = (num(ev[N.time_ratio(LSTM_LAYER, n)].number, 2) for n in (ns[0], ns[-1]))
    c_lo, c_hi = (num(ev[N.time_ratio(CONV, n)].number, 2) for n in (ns[0], ns[-1]))
    cross = ev[N.MEASURED_CROSSOVER]
    meet = "" if isinstance(cross.value, str) else num(cross.number, 0)
    lead, conv = SPEED_LEAD[per[LSTM_LAYER]][zh], CONV_LEAD[per[CONV]][zh]
    if zh:
        meet = f"，两者在 n={meet} 附近耗时相同" if meet else ""
        return (f"{lead}：{regime(ev, 'zh')}计时，"
                f"单层前向+反向的耗时，n={ns[0]} 时是 LSTM 的 {lo} 倍，n={ns[-1]} 时是 {hi} 倍{meet}；"
                f"自注意力{conv}（n={ns[0]} 时耗时是它的 {c_lo} 倍，n={ns[-1]} 时是 {c_hi} 倍）。")
    meet = f", the two costing the same near n={meet}" if meet else ""
    return (f"{lead}: timed {regime(ev, 'en')}, "
            f"one layer's forward+backward pass takes {lo} times the LSTM's time at n={ns[0]} and {hi} times "
            f"at n={ns[-1]}{meet}; {conv} ({c_lo} times its time at n={ns[0]}, {c_hi} times at n={ns[-1]}).")


def _long_range(rs: Rulings, ev: Mapping[str, Evidence], zh: bool) -> str:
    r = rs.claim(R.LONG_RANGE)
    d_hi, lang = r.values["distance"], "zh" if zh else "en"
    acc = {m: num(ev[N.acc(m, d_hi)].number, 3) for m in (ATTENTION, LSTM, CNN)}
    steps = [steps_times(ev[N.steps_ratio(rv, d_hi)], rv, lang, interval=False) for rv in RIVALS]
    lead = (CEILING_LEAD if r.values["ceiling"] and r.verdict in CEILING_LEAD else LONG_LEAD)[r.verdict][zh]
    t, m, base = num(THRESHOLD, 2), num(STEPS_MARGIN, 1), num(ev[N.baseline(N.NO_MARKER)].number, 3)
    default = ""
    if N.acc(LSTM_DEFAULT, d_hi) in ev:
        e = ev[N.acc(LSTM_DEFAULT, d_hi)]
        only = e.number < THRESHOLD
        default = (f"；同一个 LSTM 用 PyTorch 默认初始化时{'只有' if only else '为'} {num(e.number, 3)}"
                   f"（不看标记的基线为 {base}）" if zh else
                   f"; with torch's default initialisation the same LSTM reaches {'only ' if only else ''}"
                   f"{num(e.number, 3)} (the no-marker baseline is {base})")
    if zh:
        return (f"{lead}：在参数量大致相同时回忆 {d_hi} 个位置之前被标记的符号，留出准确率为：注意力 {acc[ATTENTION]}，"
                f"Chrono 初始化的 LSTM {acc[LSTM]}，感受野覆盖该距离的空洞 CNN {acc[CNN]}；达到 {t} 时，"
                + "；".join(steps) + f"（步数达到 {m} 倍才算更少）" + default + "。")
    return (f"{lead}: recalling a marked symbol {d_hi} positions back, at about equal parameter counts, held-out "
            f"accuracy is {acc[ATTENTION]} for attention, {acc[LSTM]} for a chrono-initialised LSTM and {acc[CNN]} for "
            f"a dilated CNN that covers the distance; to reach {t}, " + "; ".join(steps)
            + f" (fewer steps counts from {m} times)" + default + ".")


def _how_sure(rs: Rulings, ev: Mapping[str, Evidence], zh: bool) -> str:
    d_hi, ns = rs.claim(R.LONG_RANGE).values["distance"], rs.claim(R.FASTER).values["ns"]
    gains = [ev[N.gain(rv, d_hi)] for rv in RIVALS]
    repeats = min((ev[N.time_ratio(r, n)].n or 0) for r in SPEED_RIVALS for n in ns)
    if zh:
        return (f"准确率是 {gains[0].n} 个种子的平均，带配对 95% 区间（注意力减 LSTM 为 {fmt(gains[0], 'zh')}，"
                f"减 CNN 为 {fmt(gains[1], 'zh')}）；计时是单个进程内至少 {repeats} 次交替重复的几何平均，"
                f"方括号是这些重复的离散范围，不是跨独立运行的区间，{load_clause(ev, 'zh')}。")
    return (f"Accuracies are means over {gains[0].n} seeds with paired 95% intervals (attention minus the LSTM "
            f"{fmt(gains[0])}, minus the CNN {fmt(gains[1])}); timings are geometric means over at least {repeats} "
            "alternating repeats in one process, their brackets the spread of those repeats, not intervals over "
            f"independent runs, {load_clause(ev, 'en')}.")


def short_answer(rs: Rulings, ev: Mapping[str, Evidence], lang: str) -> str:
    """The short answer of a decided question: the derivation, the speed, the long range, how sure."""
    zh = lang == "zh"
    parts = [_derivation(ev, zh), _speed(rs, ev, zh), _long_range(rs, ev, zh), _how_sure(rs, ev, zh)]
    return "".join(parts) if zh else " ".join(parts)


def _tang(ev: Mapping[str, Evidence], d_hi: int) -> str:
    lo, hi = rules.interval(ev[N.gain(LSTM, d_hi)])
    if hi < MIN_GAIN:
        return ("This is consistent with Tang et al. 2018 and Tran et al. 2018, who found RNNs matching "
                "self-attention on long-range agreement, but not comparable to them: they measured subject-verb "
                "agreement in natural text, this is recall in a short synthetic sequence.")
    if lo > MIN_GAIN:
        return ("This disagrees with Tang et al. 2018 and Tran et al. 2018, who found RNNs matching self-attention "
                "on long-range agreement in translation models; their task (agreement in natural text) differs from "
                "this synthetic recall.")
    return ("Whether this agrees with Tang et al. 2018 and Tran et al. 2018 (RNNs matching self-attention on "
            "long-range agreement) the interval cannot say.")


def _init(ev: Mapping[str, Evidence], dists: list[int]) -> str:
    d_hi, t = dists[-1], num(THRESHOLD, 2)
    trained = [d for d in dists if N.acc(LSTM_DEFAULT, d) in ev]
    if not trained:
        return ""
    broken = [d for d in trained if rules.interval(ev[N.acc(LSTM_DEFAULT, d)])[1] < THRESHOLD]
    base = num(ev[N.baseline(N.NO_MARKER)].number, 3)
    if broken:
        chrono = rules.reached_gate(N.steps(LSTM, d_hi), ev[N.steps(LSTM, d_hi)], min_fraction=MIN_REACHED).passed
        return (f"The same LSTM with torch's default initialisation stays below {t} at distances "
                f"{join([str(d) for d in broken], 'en')} (held-out accuracy {fmt(ev[N.acc(LSTM_DEFAULT, d_hi)])} at "
                f"{d_hi}, against the no-marker baseline {base})"
                + (": within this budget, how the LSTM is initialised decides whether it learns the longer "
                   "dependencies (it may still learn them with more steps)." if chrono else "."))
    if all(rules.reached_count(ev[N.steps(LSTM_DEFAULT, d)])[0] == rules.reached_count(ev[N.steps(LSTM_DEFAULT, d)])[1]
           for d in trained):
        return "The LSTM with torch's default initialisation reaches the threshold at every distance too."
    return (f"The LSTM with torch's default initialisation is not clearly below {t} at any distance (every interval "
            "reaches it), though not every seed reached the threshold.")


def summary(rs: Rulings, ev: Mapping[str, Evidence], claim_rules: Mapping[str, str], overall: str) -> str:
    """The longer paragraph: each sub-claim's rule, the load, the accuracies, the literature, the init."""
    dists = N.distances(ev)
    d_hi = dists[-1]
    accs = ", ".join(f"{MODELS[m]} {fmt(ev[N.acc(m, d_hi)])} ({num(ev[N.params(m)].number, 0)} parameters; "
                     f"median steps {fmt(ev[N.steps(m, d_hi)])})" for m in MODELS if N.acc(m, d_hi) in ev)

    def sentence(text: str) -> str:
        return text if text.endswith(".") else text + "."

    base = num(ev[N.baseline(N.NO_MARKER)].number, 3)
    return " ".join([sentence(claim_rules[R.FEWER_PARAMETERS]), sentence(claim_rules[R.FASTER]),
                     load_sentence(ev, "en"), f"At distance {d_hi} (exact no-marker baseline {base}): {accs}.",
                     sentence(claim_rules[R.LONG_RANGE]), _tang(ev, d_hi),
                     *[x for x in (_init(ev, dists),) if x], overall])
