"""q3's sentences, in English and Chinese, built from the rule's verdicts and numbers."""

from __future__ import annotations

from attnlab.lab.rules import Ruling, Rulings
from attnlab.lab.words import Words, fmt, num, pct
from attnlab.questions.q3_scaling import evidence as names
from attnlab.questions.q3_scaling import oneline as short
from attnlab.questions.q3_scaling.settings import (
    MAX_GRAD_RATIO,
    MIN_RATIO,
    MIN_SATURATION_GAIN,
    REFERENCE,
    SATURATED_AT,
    SIMILAR,
    TEMPERATURES,
    THRESHOLD,
)

_SIMILAR = f"[{num(SIMILAR[0], 2)}, {num(SIMILAR[1], 2)}]"


class ScalingWords(Words):
    def statement(self, r: Ruling, ev, lang: str) -> str:
        dk = r.values.get("d_k") or (ev[names.D_KS].value[-1] if r.name != "training_hard_small_dk"
                                     else ev[names.D_KS].value[0])
        en, zh = {
            "saturation": ("Without scaling, large logits saturate the softmax",
                           "不缩放时，过大的 logits 会让 softmax 饱和"),
            "gradients_vanish": ("A saturated softmax passes little gradient", "饱和的 softmax 几乎传不回梯度"),
            "training_hard_large_dk": ("Without scaling training is hard", "不缩放时训练困难"),
            "training_hard_small_dk": ("Without scaling training is hard", "不缩放时训练困难"),
        }[r.name]
        return f"{zh}（d_k={dk}）。" if lang == "zh" else f"{en} (d_k={dk})."

    def rule(self, r: Ruling, ev) -> str:
        dk = r.values.get("d_k")  # every decided sub-claim names its d_k
        if r.name == "saturation":
            gain, sat = ev[names.sat_wrong_gain(dk, "1")], ev[names.sat_wrong(dk, "1")]
            init, init_ref = ev[names.init_max_weight(dk, "1")], ev[names.init_max_weight(dk, REFERENCE)]
            return (f"{r.verdict}: at d_k={dk}, in early training {fmt(sat)} of unscaled query rows are saturated "
                    f"on a wrong key, {fmt(gain)} more than with 1/√d_k (paired); at initialisation the largest "
                    f"weight is already {fmt(init)} against {fmt(init_ref)}. Rule: confirmed if the paired "
                    f"difference's interval lies above {num(MIN_SATURATION_GAIN, 2)}, refuted if below, else "
                    "inconclusive.")
        if r.name == "gradients_vanish":
            if r.case == "undefined":
                return "inconclusive: a gradient ratio is undefined or missing"
            return (f"{r.verdict}: at d_k={dk}, in early training, unscaled over scaled (paired, geometric mean): the "
                    f"gradient at the softmax input of a query row {fmt(ev[names.grad_ratio(dk, '1')])}, the "
                    f"gradient reaching W_Q {fmt(ev[names.grad_wq_ratio(dk, '1')])}. Rule: confirmed if both "
                    f"intervals lie below {num(MAX_GRAD_RATIO, 1)} (the parameters get less gradient); qualified if "
                    "only the softmax-input gradient does and W_Q's lies above 1 (the softmax passes less, but the "
                    "missing 1/√d_k multiplier more than makes up for it); refuted if the softmax-input ratio lies "
                    "above 1; else inconclusive.")
        return (f"{r.verdict}: d_k={dk}: {self._how(r, ev, 'en')}. Rule: confirmed if fewer than half of the unscaled "
                f"seeds reach the threshold or the step ratio's interval lies above {num(MIN_RATIO, 1)}; refuted if "
                f"it lies inside {_SIMILAR}; else inconclusive.")

    def _how(self, r: Ruling, ev, lang: str) -> str:
        v = r.values
        zh = lang == "zh"
        if r.case == "few_reached":
            k, n, budget = v["reached"], v["seeds"], v["budget"]
            if zh:
                return (f"不缩放时 {n} 个种子都没有在 {budget} 步内达到 {THRESHOLD}" if k == 0
                        else f"不缩放时 {n} 个种子中有 {k} 个在 {budget} 步内达到 {THRESHOLD}")
            return (f"unscaled reached {THRESHOLD} in none of {n} seeds within {budget} steps" if k == 0
                    else f"unscaled reached {THRESHOLD} in only {k} of {n} seeds within {budget} steps")
        if r.case == "undefined":
            return "步数比无法计算" if zh else "the step ratio is undefined"
        ratio = fmt(ev[names.steps_ratio(v["d_k"], "1")], lang, 2)
        return (f"不缩放需要缩放版本 {ratio} 倍的步数（配对）" if zh
                else f"unscaled needs {ratio} times the steps of scaled (paired)")

    def because(self, r: Ruling, ev, lang: str) -> str:
        dk, zh = r.values.get("d_k"), lang == "zh"
        if r.name == "saturation":
            sat, gain = ev[names.sat_wrong(dk, "1")], ev[names.sat_wrong_gain(dk, "1")]
            if zh:
                return (f"不缩放时（d_k={dk}），训练初期有 {pct(sat.number)} 的查询行把超过 {pct(SATURATED_AT)} "
                        f"的注意力放在错误的键上（比 1/√d_k 多 {fmt(gain, lang, 2)}）。")
            return (f"Without scaling (d_k={dk}), {pct(sat.number)} of query rows put over {pct(SATURATED_AT)} of "
                    f"their attention on a wrong key early in training ({fmt(gain, lang, 2)} more than with 1/√d_k).")
        if r.name == "gradients_vanish":
            if r.case == "undefined":
                return "梯度之比无法计算。" if zh else "A gradient ratio is undefined."
            ratio, wq = fmt(ev[names.grad_ratio(dk, "1")], lang, 2), fmt(ev[names.grad_wq_ratio(dk, "1")], lang, 2)
            if zh:
                return (f"经过饱和的 softmax，不缩放模型传回的梯度是缩放模型的 {ratio} 倍，但它的 W_Q 收到的梯度却是 "
                        f"{wq} 倍：∂L/∂(q·k) 等于 softmax 输入处的梯度乘以温度，而缩放模型的温度是 1/√d_k。所以梯度的"
                        "大小并没有消失；不缩放仍然失败的一个可能原因（这里没有测量）是梯度的方向（行饱和在错误的键上）；"
                        "何况 Adam 的更新幅度本就不随梯度大小变化。")
            return (f"Through the saturated softmax the unscaled model passes {ratio} times the scaled model's "
                    f"gradient, but its W_Q receives {wq} times as much: ∂L/∂(q·k) is the softmax-input gradient "
                    "times the temperature, and the scaled model's temperature is 1/√d_k. So the size of the "
                    "gradient does not vanish; a likely reason the unscaled runs still fail, not measured here, is "
                    "where it points (rows saturated on a wrong key); Adam's updates do not scale with the size "
                    "anyway.")
        return f"d_k={dk} 时，{self._how(r, ev, lang)}。" if zh else f"At d_k={dk}, {self._how(r, ev, lang)}."

    def summary(self, rs: Rulings, ev) -> str:
        large = rs.values["large"]
        parts = []
        for dk in ev[names.D_KS].value:
            s = {t: fmt(ev[names.steps(int(dk), t)]) for t in TEMPERATURES}
            parts.append(f"d_k={int(dk)}: median steps to {THRESHOLD} {s['1']} unscaled, {s['1/sqrt(d_k)']} with "
                         f"1/√d_k, {s['1/d_k']} with 1/d_k")
        return ("One attention layer learning key-value lookup, only the logit temperature changed: "
                + "; ".join(parts) + f". In early training at d_k={large}, {fmt(ev[names.sat_wrong(large, '1')])} of "
                "unscaled query rows are saturated on a wrong key, the gradient at the softmax input is "
                f"{fmt(ev[names.grad_ratio(large, '1')])} times the scaled model's and the gradient reaching W_Q "
                f"{fmt(ev[names.grad_wq_ratio(large, '1')])} times. " + self.overall(rs, ev))

    def answer(self, rs: Rulings, ev, lang: str) -> str:
        small, large, zh = rs.values["small"], rs.values["large"], lang == "zh"
        steps, ref = ev[names.steps(large, "1")], ev[names.steps(large, REFERENCE)]
        k, n = (sum(s is not None for s in steps.per_seed or []), len(steps.per_seed or []))
        sat = pct(ev[names.sat_wrong(large, "1")].number)
        gr = fmt(ev[names.grad_ratio(large, "1")], lang, 2)
        wq = fmt(ev[names.grad_wq_ratio(large, "1")], lang, 2)
        sr = fmt(ev[names.steps_ratio(small, "1")], lang, 2)
        acc, budget = num(ev[names.acc(large, "1")].number, 2), int(ev[names.BUDGET].number)
        ref_k, ref_n = (sum(s is not None for s in ref.per_seed or []), len(ref.per_seed or []))
        ref_steps = num(ref.number, 0) if not isinstance(ref.value, str) else str(ref.value)
        if k < n:
            missed = (f"{n} 次不缩放的运行都" if k == 0 else f"{n} 次不缩放的运行中有 {n - k} 次") if zh else (
                f"all {n} unscaled runs fail to" if k == 0 else f"{n - k} of {n} unscaled runs do not")
            hard = (f"{missed}在 {budget} 步内达不到 {THRESHOLD}（准确率 {acc}），而 1/√d_k "
                    f"学会它的中位步数是 {ref_steps}（{ref_k}/{ref_n} 个种子达到）" if zh else
                    f"{missed} reach {THRESHOLD} within {budget} steps (accuracy {acc}) on "
                    f"a task that 1/√d_k learns in a median {ref_steps} steps ({ref_k}/{ref_n} seeds reached it)")
        else:
            br = fmt(ev[names.steps_ratio(large, "1")], lang, 2)
            hard = (f"不缩放的运行需要缩放版本 {br} 倍的步数" if zh
                    else f"unscaled runs need {br} times the steps of scaled ones")
        if zh:
            lead = ("在我们的运行中，原文所说的机制没有出现：" if rs.verdict == "refuted"
                    else "因为不缩放时 logits 会随 d_k 变大：")
            return (f"{lead}d_k={large} 时，训练初期有 {sat} 的不缩放查询行把超过 {pct(SATURATED_AT)} 的注意力放在错误"
                    f"的键上，经 softmax 传回的梯度是缩放模型的 {gr} 倍（但 W_Q 收到的梯度是 {wq} 倍，所以失败的不是"
                    f"梯度的大小），{hard}。d_k={small} 时不缩放需要缩放版本 {sr} 倍的步数（Vaswani 等人认为小 d_k 时"
                    f"差别不大；头数固定，只有 d_k 在变）。")
        lead = ("In our runs the seed's mechanism did not show:" if rs.verdict == "refuted"
                else "Because without it the logits grow with d_k:")
        return (f"{lead} at d_k={large}, {sat} of unscaled query rows put over {pct(SATURATED_AT)} of their attention "
                f"on a wrong key early in training, the gradient through the softmax is {gr} times the scaled model's "
                f"(yet W_Q receives {wq} times as much, so the size of the gradient is not what fails), and {hard}. "
                f"At d_k={small} unscaled needs {sr} times the steps of scaled (Vaswani et al. expect little "
                f"difference at small d_k; the head count is fixed, only d_k moves).")

    def oneline(self, rs: Rulings, ev, lang: str) -> str:
        return short.oneline(rs, ev, lang)


WORDS = ScalingWords()
