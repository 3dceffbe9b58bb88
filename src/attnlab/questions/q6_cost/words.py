"""q6's words: the sub-claims, the rule with its numbers, why, and the gates, in English and Chinese (the short answer
and the summary are in :mod:`~attnlab.questions.q6_cost.answer`). No threshold is defined here."""

from __future__ import annotations

from attnlab.lab.rules import GATE_FAILED, Flip, Gate, Ruling, Rulings
from attnlab.lab.words import Words, fmt, join, num, pct
from attnlab.questions.q6_cost import answer
from attnlab.questions.q6_cost import names as N
from attnlab.questions.q6_cost import rule as R
from attnlab.questions.q6_cost.oneline import oneline
from attnlab.questions.q6_cost.phrases import (
    count_side,
    crossover_text,
    flip_text,
    no_single_flip,
    spaced,
    steps_times,
)
from attnlab.questions.q6_cost.settings import (
    LSTM_LAYER,
    MIN_GAIN,
    MODELS,
    MODELS_ZH,
    RIVALS,
    SPEED_KERNEL,
    SPEED_RIVALS,
    STEPS_MARGIN,
    THRESHOLD,
    TIME_EQUAL,
)

__all__ = ["WORDS", "CostWords"]

STATEMENTS = {
    R.FEWER_PARAMETERS: ("Attention has fewer parameters and lower complexity than CNNs and RNNs.",
                         "注意力比 CNN 和 RNN 参数更少、复杂度更低。"),
    R.FASTER: ("Attention is faster than RNNs and CNNs: it parallelises like a CNN, which an RNN cannot.",
               "注意力比 RNN 和 CNN 快：它能像 CNN 一样并行，RNN 不能。"),
    R.LONG_RANGE: ("Attention handles long-range dependencies better than CNNs and RNNs.",
                   "注意力比 CNN 和 RNN 更擅长处理长距离依赖。"),
}
ACCURACY = {R.MORE_ACCURATE: "more accurate", R.NO_MORE_ACCURATE: "no more accurate",
            R.ACC_UNDECIDED: "accuracy undecided"}
LEARNING = {R.FEWER_STEPS: "fewer steps", R.NOT_FEWER_STEPS: f"not {num(STEPS_MARGIN, 1)}x fewer steps",
            R.STEPS_UNDECIDED: "steps undecided"}
PARAMS_RULE = ("Rule: confirmed if fewer in every case of the grid, refuted if in none, else qualified; the grid fixes "
               "the answer, so it is reported with its crossovers and the overall verdict rests on what is measured.")
FASTER_RULE = (f"Rule: against each rival, faster at n if the ratio's interval lies below {num(TIME_EQUAL, 0)}, "
               "slower if above; "
               "confirmed against it if faster at every n, refuted if slower at every n, qualified if faster at some "
               "and slower at others, else inconclusive. The sub-claim is confirmed if confirmed against both the LSTM "
               "and the convolution, refuted if refuted against both, inconclusive if inconclusive against either, "
               "qualified otherwise.")


def _long_range_rule() -> str:
    g, m, t = num(MIN_GAIN, 2), num(STEPS_MARGIN, 1), num(THRESHOLD, 2)
    return (f"Rule: more accurate than a rival if the paired held-out accuracy gain's interval lies above {g}, no "
            f"more accurate if it lies below (and always when every model's mean is at least {t} at every distance: "
            f"the ceiling); fewer steps if the rival / attention steps-to-{t} ratio's interval lies above {m}, not "
            "fewer if it lies below, undecided if it straddles it. Confirmed if more accurate than both rivals; "
            "refuted if no more accurate than either and in fewer steps than neither, every steps ratio decided (no "
            "difference at these distances); inconclusive if an accuracy comparison is undecided, or if a steps "
            f"ratio is the only thing left that could show a difference and it straddles {m}; qualified otherwise "
            f"(e.g. as accurate, but learning in {m}x fewer steps than a rival).")


def _ceiling_top(v: dict, lang: str) -> str:
    if not v["ceiling"]:
        return ""
    d, low, t = v["distance"], num(v["lowest"], 3), num(THRESHOLD, 2)
    if lang == "zh":
        return (f"注意力和其余两种模型在直到 {d} 的每个距离上，留出准确率的平均值都至少为 {t}（最低 {low}）："
                "准确率分不出它们，除非步数显示出差别，否则在这些距离上没有差别。")
    return (f"Every model (attention and both rivals) reaches a mean held-out accuracy of at least {t} at every "
            f"distance up to {d} (lowest {low}): accuracy cannot separate them, so there is no difference at these "
            "distances unless the steps show one. ")


class CostWords(Words):
    def statement(self, r: Ruling, ev, lang: str) -> str:
        return STATEMENTS[r.name][lang == "zh"]

    def rule(self, r: Ruling, ev) -> str:
        v = r.values
        if r.name == R.FEWER_PARAMETERS:
            return (f"{r.verdict} (derivation check, not part of the overall verdict): self-attention has fewer "
                    f"parameters in {pct(v[N.FEWER_PARAMS_SHARE])} of the (d, rival) cases and fewer FLOPs in "
                    f"{pct(v[N.FEWER_FLOPS_SHARE])} of the (n, d, rival) cases: fewer parameters than an LSTM layer "
                    f"at every d (4d²+4d vs 8d²+8d) but than a convolution only for k >= {num(v[N.MIN_KERNEL], 0)}; "
                    f"a whole Transformer block has {num(v[N.BLOCK_OVER_LSTM], 2)} times an LSTM layer's; fewer "
                    f"FLOPs than an LSTM only for n < {num(v[N.FLOPS_CROSSOVER], 0)}d, than a k={SPEED_KERNEL} "
                    f"convolution never. {PARAMS_RULE}")
        if r.name == R.FASTER:
            per = v["per_rival"]
            nums = {rv: "; ".join(f"n={n}: {fmt(ev[N.time_ratio(rv, n)], 'en', 2)} (FLOPs predict "
                                  f"{num(ev[N.flops_ratio(rv, n)].number, 2)})" for n in v["ns"])
                    for rv in SPEED_RIVALS}
            conv = SPEED_RIVALS[1]
            return (f"{r.verdict}: self-attention's forward+backward time / the LSTM's: {nums[LSTM_LAYER]}; measured "
                    f"crossover {crossover_text(ev, 'en')} ({per[LSTM_LAYER]} against the LSTM); / a "
                    f"k={SPEED_KERNEL} convolution's: {nums[conv]} ({per[conv]} against the convolution: "
                    f"{count_side(v['status'][conv], 'en')}). {FASTER_RULE}")
        d = v["distance"]
        nums = "; ".join(f"vs {MODELS[rv]}: accuracy gain {fmt(ev[N.gain(rv, d)])}, steps ratio "
                         f"{fmt(ev[N.steps_ratio(rv, d)], 'en', 2)} ({ACCURACY[v['accuracy'][rv]]}, "
                         f"{LEARNING[v['learning'][rv]]})" for rv in RIVALS)
        return f"{r.verdict}: {_ceiling_top(v, 'en')}At distance {d}, attention {nums}. {_long_range_rule()}"

    def because(self, r: Ruling, ev, lang: str) -> str:
        zh, v = lang == "zh", r.values
        if r.name == R.FEWER_PARAMETERS:
            sp, sf = pct(v[N.FEWER_PARAMS_SHARE]), pct(v[N.FEWER_FLOPS_SHARE])
            k, c = num(v[N.MIN_KERNEL], 0), num(v[N.FLOPS_CROSSOVER], 0)
            if zh:
                return (f"在模块上计数：在（d，比较的模型）组合中自注意力参数更少的占 {sp}，"
                        f"在（n，d，比较的模型）组合中 FLOPs 更少的占 {sf}；"
                        f"卷积核大小达到 {k} 起卷积的参数才多于自注意力，"
                        f"只有当 n < {c}d 时 LSTM 的 FLOPs 才更多。")
            return (f"Counted on the modules, self-attention has fewer parameters than its rival in {sp} of the "
                    f"(d, rival) cases and fewer FLOPs in {sf} of the (n, d, rival) cases: a convolution has more "
                    f"parameters only from kernel size {k} on, and the LSTM needs more FLOPs only while n < {c}d.")
        if r.name == R.FASTER:
            conv = SPEED_RIVALS[1]
            if zh:
                times = {rv: "，".join(f"n={n} 时为 {fmt(ev[N.time_ratio(rv, n)], 'zh', 2)} 倍" for n in v["ns"])
                         for rv in SPEED_RIVALS}
                return (f"单层前向+反向时，自注意力的耗时是 LSTM 的：{times[LSTM_LAYER]}"
                        f"（{count_side(v['status'][LSTM_LAYER], 'zh')}）；是 k={SPEED_KERNEL} 卷积层的："
                        f"{times[conv]}（{count_side(v['status'][conv], 'zh')}）。")
            times = {rv: join([f"{fmt(ev[N.time_ratio(rv, n)], 'en', 2)} at n={n}" for n in v["ns"]], "en")
                     for rv in SPEED_RIVALS}
            return (f"For one layer's forward+backward pass, self-attention takes {times[LSTM_LAYER]} times the "
                    f"LSTM's time ({count_side(v['status'][LSTM_LAYER], 'en')}), and {times[conv]} times a "
                    f"k={SPEED_KERNEL} convolution's ({count_side(v['status'][conv], 'en')}).")
        d = v["distance"]
        gains = [ev[N.gain(rv, d)] for rv in RIVALS]
        steps = [steps_times(ev[N.steps_ratio(rv, d)], rv, lang) for rv in RIVALS]
        t, m = num(THRESHOLD, 2), num(STEPS_MARGIN, 1)
        if zh:
            return spaced(f"{_ceiling_top(v, 'zh')}距离 {d} 时（按 {gains[0].n} 个种子配对），注意力与"
                          f"{MODELS_ZH[RIVALS[0]]}的留出准确率之差为 {fmt(gains[0], 'zh')}，"
                          f"与{MODELS_ZH[RIVALS[1]]}之差为 {fmt(gains[1], 'zh')}；"
                          f"达到 {t} 时，" + "；".join(steps) + f"（步数达到 {m} 倍才算更少）。")
        return (f"{_ceiling_top(v, 'en')}At distance {d}, paired over {gains[0].n} seeds, attention's held-out "
                f"accuracy minus that of the {MODELS[RIVALS[0]]} is {fmt(gains[0])} and minus that of the "
                f"{MODELS[RIVALS[1]]} {fmt(gains[1])}; to reach {t}, " + "; ".join(steps)
                + f" (fewer steps counts from {m} times).")

    def would_change(self, r: Ruling, ev, lang: str) -> str:
        zh = lang == "zh"
        if r.name == R.FEWER_PARAMETERS and r.case != GATE_FAILED:
            return ("任何测量都改变不了：这些是计数（公式与模块不符只能说明代码有错）；只有换一组宽度、长度和卷积核才会"
                    "改变这些比例。" if zh else
                    "Nothing measured can: these are counts (a formula that disagreed with its module would be a bug); "
                    "only another grid of widths, lengths and kernels changes the shares.")
        if not r.flips and r.case != GATE_FAILED:  # no single number changes it
            return no_single_flip(r, lang)
        text = super().would_change(r, ev, lang)
        text = spaced(text) if zh else text
        if r.name == R.LONG_RANGE and r.case != GATE_FAILED and r.values["ceiling"]:
            t, g = num(THRESHOLD, 2), num(MIN_GAIN, 2)
            text += (f"所有模型都在上限，所以准确率之差只有在更难的设置（更长的距离、更多干扰项）下才能显示出来：让某个"
                     f"比较的模型低于 {t}，且配对准确率提升高于 {g}。" if zh else
                     f" Every model is at the ceiling, so an accuracy gain can only show in a harder setting (longer "
                     f"distances, more distractors) in which a rival falls below {t}, with a paired gain above {g}.")
        return text

    def flip(self, f: Flip, ev, lang: str) -> str:
        return flip_text(f, ev, lang) or super().flip(f, ev, lang)

    def gate(self, g: Gate, ev, lang: str) -> str:
        v, zh = g.values, lang == "zh"
        if g.kind == "formulas":
            pb, pn, fb, fn = num(v["params_bad"], 0), v["params_n"], num(v["flops_bad"], 0), v["flops_n"]
            return (f"参数公式与模块计数对比：{pn} 处中有 {pb} 处不符；FLOP 公式与 PyTorch 的计数器对比：{fn} 处中有 "
                    f"{fb} 处不符" if zh else
                    f"parameter formulas vs modules: {pb} mismatches of {pn}; FLOP formulas vs torch's counter: "
                    f"{fb} of {fn}")
        if g.kind == "repeats":
            return (f"耗时之比背后最少的计时重复次数：{v['fewest']}（需要 {v['need']} 次；"
                    "机器繁忙时试验会提前停止）" if zh
                    else f"fewest timing repeats behind the time ratios: {v['fewest']} (need {v['need']}; a busy "
                         "machine stops a trial early)")
        if g.kind == "learnable":
            names = MODELS_ZH if zh else MODELS
            counts = [f"{names[m]} {k}/{n}" for m, (k, n, _) in v["counts"].items()]
            need = next(iter(v["counts"].values()))
            t = num(THRESHOLD, 2)
            return (spaced(f"比较所用的距离 {v['distance']} 在这里是可学的：至少要有一个模型在 {need[1]} 个种子中"
                           f"至少 {need[2]} 个达到 {t}（否则比较的是几次失败）；达到的种子数：" + "，".join(counts))
                    if zh else
                    f"the compared distance {v['distance']} is learnable here: at least one model must reach {t} in at "
                    f"least {need[2]} of {need[1]} seeds (else the comparison is between failures); seeds that "
                    "reached it: " + ", ".join(counts))
        if g.kind == "reach":
            reach = num(v["reach"], 0)
            return (f"空洞 CNN 的最后一个位置依赖到 {reach} 个位置之前的输入（需要 {v['need']}）" if zh
                    else f"the dilated CNN's last position depends on inputs {reach} positions back (need {v['need']})")
        if g.kind == R.EQUAL_PARAMS:
            names = MODELS_ZH if zh else MODELS
            counts = [f"{names[m]} {num(c, 0)}" for m, c in v["counts"].items()]
            tol = pct(v["tolerance"])
            return (spaced("参数量：" + "，".join(counts) + f"（最多的比最少的多不超过 {tol}）") if zh else
                    "parameters: " + ", ".join(counts) + f" (the largest within {tol} of the smallest)")
        return super().gate(g, ev, lang)

    def answer(self, rs: Rulings, ev, lang: str) -> str:
        return answer.short_answer(rs, ev, lang)

    def oneline(self, rs: Rulings, ev, lang: str) -> str:
        return oneline(rs, ev, lang)

    def summary(self, rs: Rulings, ev) -> str:
        claims = {c.name: self._claim_rule(c, ev) for c in rs.claims}
        return answer.summary(rs, ev, claims, self.overall(rs, ev))

    def _claim_rule(self, r: Ruling, ev) -> str:
        """The sub-claim's rule as the result stores it (for a failed gate, the engine's words)."""
        if r.case != GATE_FAILED:
            return self.rule(r, ev)
        return "inconclusive: " + "; ".join(f"{g.name} failed ({self.gate(g, ev, 'en')})" for g in r.gates
                                            if not g.passed)


WORDS = CostWords()
