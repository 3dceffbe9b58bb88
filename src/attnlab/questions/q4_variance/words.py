"""q4's words: the rulings of ``rule.py`` as sentences, in English and Chinese (no threshold defined here)."""

from __future__ import annotations

from attnlab.lab.rules import GATE_FAILED, Gate, Ruling, Rulings
from attnlab.lab.words import Words, fmt, num
from attnlab.questions.q4_variance import oneline as short
from attnlab.questions.q4_variance.evidence import (
    MINILM_PER_LAYER,
    MINILM_RATIO,
    mc_slope,
    scaled_std,
    slope,
    trained_dks,
)
from attnlab.questions.q4_variance.rule import SCALE, UNIT, VARIANCE
from attnlab.questions.q4_variance.settings import DERIVATION_TOL, FLAT, ORDER_BAND, UNIT_BAND, UNSCALED_EXTRA, WEAK

STATEMENTS = {
    VARIANCE: ("Var(q·k) = d_k for independent unit-variance components, so 1/√d_k restores unit variance.",
               "分量独立且方差为 1 时 Var(q·k) = d_k，所以 1/√d_k 让方差回到 1。"),
    SCALE: ("With 1/√d_k the logits' scale does not depend on d_k in trained models.",
            "用 1/√d_k 缩放后，训练好的模型中 logits 的尺度不再依赖 d_k。"),
    UNIT: ("The scaled logits of trained models are of order 1.", "训练好的模型中，缩放后的 logits 是 1 的量级。"),
}
TREND = {"grows": ("still grows", "仍随 d_k 增长"), "shrinks": ("shrinks", "随 d_k 减小"),
         "flat": ("does not measurably change", "没有可测的变化")}
JOB = {"confirmed": ("even so the scaling keeps their scale independent of d_k", "但缩放仍让其尺度与 d_k 无关"),
       "qualified": ("even so the scaling does most of its job", "但缩放仍起了大部分作用"),
       "refuted": ("and the scaling does not keep their scale independent of d_k", "缩放也没能让其尺度与 d_k 无关"),
       "inconclusive": ("whether the scaling still keeps their scale in check is undecided",
                        "缩放是否仍控制住尺度尚无定论")}


def _where(at: list, lang: str) -> str:
    kind, i = at
    if kind == "dk":
        return f"d_k={i}"
    return f"MiniLM 第 {i} 层" if lang == "zh" else f"MiniLM layer {i}"


def _bands() -> tuple[str, str]:
    return (f"[{num(UNIT_BAND[0], 1)}, {num(UNIT_BAND[1], 0)}]", f"[{num(ORDER_BAND[0], 2)}, {num(ORDER_BAND[1], 0)}]")


class VarianceWords(Words):
    def statement(self, r, ev, lang):
        return STATEMENTS[r.name][lang == "zh"]

    def gate(self, g: Gate, ev, lang):
        if g.kind != "derivation":
            return super().gate(g, ev, lang)
        a, b, tol = num(g.values["gaussian"]), num(g.values["scaled"]), num(DERIVATION_TOL, 2)
        if lang == "zh":
            return f"蒙特卡洛斜率 {a}（应为 1）和 {b}（应为 0；误差都须小于 {tol}）；不符说明代码有错，而不是新发现"
        return f"Monte Carlo slopes {a} (expected 1) and {b} (expected 0; each within {tol}); a failure would mean a " \
               "bug, not a finding"

    def rule(self, r: Ruling, ev) -> str:
        v = r.values
        if r.name == VARIANCE:
            return (f"confirmed (derivation): Var(q·k) grows with slope {fmt(ev[mc_slope('gaussian')])} in d_k and "
                    f"{fmt(ev[mc_slope('scaled')])} after dividing by √d_k, as the algebra says for independent "
                    "unit-variance components.")
        if r.name == SCALE:
            return (f"{r.verdict}: after the same number of steps for every d_k, the std of q·k/√d_k has log-log "
                    f"slope {fmt(ev[slope('trained')])} against d_k in {trained_dks(ev)}, d_model and the head count "
                    f"fixed (at initialisation {fmt(ev[slope('init')])}; unscaled logits would add "
                    f"{num(UNSCALED_EXTRA, 1)}). Rule: confirmed if the interval lies inside ±{num(FLAT, 2)} (no "
                    f"dependence on d_k), qualified if inside ±{num(WEAK, 2)} (a weak one), refuted if outside "
                    f"±{num(WEAK, 2)}, else inconclusive.")
        unit, order = _bands()
        extra = (f"; in MiniLM the logits' std is {fmt(ev[MINILM_RATIO])} times what independent q and k would give"
                 if MINILM_RATIO in ev else "")
        return (f"{r.verdict}: trained scaled logits have std {num(v['lo'], 2)} ({_where(v['lo_at'], 'en')}) to "
                f"{num(v['hi'], 2)} ({_where(v['hi_at'], 'en')}){extra}. Rule: confirmed if all lie within {unit}, "
                f"qualified if within {order} (beyond it random logits of that std put most of a softmax's weight on "
                "one key, or spread it near uniformly), refuted otherwise.")

    def because(self, r: Ruling, ev, lang):
        zh = lang == "zh"
        v = r.values
        if r.name == VARIANCE:
            a, b = num(v["gaussian"]), num(v["scaled"])
            return (f"分量独立且方差为 1 时，Var(q·k) 随 d_k 线性增长（蒙特卡洛斜率 {a}），"
                    f"乘以 1/√d_k 后回到 1（斜率 {b}）。"
                    if zh else f"For independent unit-variance components, Var(q·k) grows as d_k (Monte Carlo slope "
                               f"{a}) and 1/√d_k brings it back to 1 (slope {b}).")
        if r.name == SCALE:
            s, extra = fmt(ev[slope("trained")], lang, 2), num(UNSCALED_EXTRA, 1)
            if zh:
                return (f"d_model 和头数固定、每个 d_k 训练同样步数后，缩放后 logits 的标准差{TREND[v['trend']][1]}："
                        f"对 d_k 的双对数斜率为 {s}（0 表示不依赖 d_k；去掉 1/√d_k，"
                        f"同样的 logits 斜率会再高 {extra}）。")
            return (f"With d_model and the head count fixed and every d_k trained for the same steps, the scaled "
                    f"logits' std {TREND[v['trend']][0]} with d_k: log-log slope {s} (0 means no dependence; without "
                    f"the 1/√d_k the same logits' slope would be {extra} higher).")
        lo, hi = num(v["lo"], 2), num(v["hi"], 2)
        if zh:
            extra = f"；MiniLM 中 logits 的标准差与独立假设预测值之比为 {fmt(ev[MINILM_RATIO], lang, 2)}" \
                if MINILM_RATIO in ev else ""
            return (f"训练后缩放 logits 的标准差在 {lo} 到 {hi} 之间{extra}：q 和 k 是学出来的、相关的向量，"
                    "不是推导里独立、单位方差的向量。")
        extra = (f"; in MiniLM the logits' std is {fmt(ev[MINILM_RATIO])} times what independent q and k would give"
                 if MINILM_RATIO in ev else "")
        return (f"Trained scaled logits have std {lo} to {hi}{extra}: q and k are learned, correlated vectors, not "
                "the independent unit-variance ones of the derivation.")

    def would_change(self, r: Ruling, ev, lang):
        zh = lang == "zh"
        if r.name == VARIANCE and r.verdict != "inconclusive":
            tol = num(DERIVATION_TOL, 2)
            return (f"任何测量都改变不了：这是代数推导；蒙特卡洛斜率偏离超过 {tol} "
                    "只能说明代码有错（推导检验不通过）。" if zh
                    else f"Nothing measured can: this is algebra; a Monte Carlo slope off by more than {tol} would be "
                         "a bug (the derivation check fails).")
        if r.flips or r.case == GATE_FAILED:
            return super().would_change(r, ev, lang)
        flat, weak = num(FLAT, 2), num(WEAK, 2)
        if r.name == SCALE:  # the interval straddles a threshold: no one value decides
            return (f"更多种子，使斜率区间落在 ±{flat} 以内、±{weak} 以内或 ±{weak} 以外。" if zh
                    else f"More seeds, so that the slope interval lies inside ±{flat}, inside ±{weak} or "
                         f"beyond ±{weak}.")
        unit, order = _bands()
        return (f"我们的任何单个标准差都改变不了它：只有 MiniLM 各层的标准差落入 {order}（有条件成立）"
                f"或 {unit}（成立）才会。" if zh
                else f"No single std of ours can change it: only MiniLM's per-layer stds inside {order} (qualified) "
                     f"or {unit} (confirmed) would.")

    def summary(self, rs: Rulings, ev) -> str:
        dks = trained_dks(ev)
        stds = ", ".join(f"{fmt(ev[scaled_std('trained', dk)], 'en', 2)} at d_k={dk}" for dk in dks)
        text = (f"Monte Carlo: Var(q·k) grows with slope {fmt(ev[mc_slope('gaussian')])} in d_k, and "
                f"{fmt(ev[mc_slope('scaled')])} after 1/√d_k (a derivation check). Trained encoders with 1/√d_k: std "
                f"of the scaled logits {stds}; slope against d_k {fmt(ev[slope('trained')])}. d_model and the head "
                "count "
                "are fixed, so d_k is the one factor that moves (W_Q and W_K grow with it), each d_k trains at the "
                "learning rate its sweep chose and every model is read after the same number of steps. What "
                "unscaled logits would do is "
                "computed from the scaled models (the same weights without the 1/√d_k), not measured on models "
                "trained unscaled, which adapt their weights (q3 trains them).")
        if MINILM_PER_LAYER in ev:
            layers = ev[MINILM_PER_LAYER].value
            text += (f" all-MiniLM-L6-v2: {num(min(layers), 2)} to {num(max(layers), 2)} per layer, "
                     f"{fmt(ev[MINILM_RATIO], 'en', 2)} times what independent q and k predict.")
        return text + " " + self.overall(rs, ev)

    def answer(self, rs: Rulings, ev, lang):
        zh = lang == "zh"
        dks = trained_dks(ev)
        lo_std = num(ev[scaled_std("trained", dks[0])].number, 2)
        hi_std = num(ev[scaled_std("trained", dks[-1])].number, 2)
        s = num(ev[slope("trained")].number, 2)
        extra = num(UNSCALED_EXTRA, 1)
        scale = rs.claim(SCALE)
        job = JOB[scale.verdict]
        mini = ""
        if MINILM_PER_LAYER in ev:
            layers = ev[MINILM_PER_LAYER].value
            a, b = num(min(layers), 1), num(max(layers), 1)
            mini = (f"在 all-MiniLM-L6-v2 中，缩放后 logits 的标准差为 {a} 到 {b}，并不是 1。" if zh
                    else f" In all-MiniLM-L6-v2 the scaled logits have std {a} to {b}, not 1.")
        if zh:
            return (f"如果 q 和 k 有 d_k 个独立、方差为 1 的分量，则 Var(q·k) = d_k，logits 的标准差随 √d_k 增长，"
                    f"除以 √d_k 就回到 1：这是代数推导，蒙特卡洛实验也验证了。训练好的模型不满足这个前提，"
                    f"{job[1]}：d_model 和头数固定、训练步数相同时，缩放后 logits 的标准差从 d_k={dks[0]} 时的 "
                    f"{lo_std} 变为 "
                    f"d_k={dks[-1]} 时的 {hi_std}（双对数斜率 {s}：0 表示不依赖 d_k，去掉 1/√d_k 会再高 {extra}）。"
                    f"原文后半句“因而缓解梯度消失”在 q3 中检验。{mini}")
        return (f"If q and k had d_k independent unit-variance components, Var(q·k) = d_k, so the logits' std grows as "
                f"√d_k and dividing by √d_k brings it back to 1: that is algebra, and a Monte Carlo confirms it. In "
                f"trained models the premise does not hold; {job[0]}: with d_model and the head count fixed and equal "
                f"training, the scaled logits' std goes "
                f"from {lo_std} at d_k={dks[0]} to {hi_std} at d_k={dks[-1]} (log-log slope {s}: 0 would mean no "
                f"dependence, and without the 1/√d_k it would be {extra} higher). The seed's second half, that "
                f"this mitigates vanishing gradients, is tested in q3.{mini}")

    def oneline(self, rs: Rulings, ev, lang: str) -> str:
        return short.oneline(rs, ev, lang)


WORDS = VarianceWords()
