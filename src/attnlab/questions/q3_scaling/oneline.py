"""q3's answer in one sentence (en, zh): the verdict in plain words and the one number that makes it stick.

What sticks for q3 is what the unscaled runs did at the largest d_k: how many of them learned the lookup
within the budget (or how many times the steps they needed). A question that is not settled says which
check or measurement keeps it open.
"""

from __future__ import annotations

from attnlab.lab import rules
from attnlab.lab.rules import Gate, Rulings
from attnlab.lab.words import num, pct, signed
from attnlab.questions.q3_scaling import evidence as names
from attnlab.questions.q3_scaling.settings import MAX_GRAD_RATIO, MIN_RATIO, MIN_SATURATION_GAIN

CORE = ("training_hard_large_dk", "saturation", "gradients_vanish")  # the order a refutation is told in


def _learned(ev, dk: int, budget: int, lang: str) -> str:
    """"0 of 5 runs learn lookup at d_k=64 in 800 steps" / "d_k=64 的 5 次训练在 800 步内无一学会"."""
    k, n = rules.reached_count(ev[names.steps(dk, "1")])
    if lang == "zh":
        got = "无一学会" if k == 0 else f"只有 {k} 次学会"
        return f"d_k={dk} 的 {n} 次训练在 {budget} 步内{got}"
    return f"{k} of {n} runs learn lookup at d_k={dk} in {budget} steps"


def _hard(rs: Rulings, ev, lang: str) -> str:
    """What the unscaled runs did at the largest d_k: seeds that learned, or the steps ratio."""
    large, budget = rs.values["large"], int(ev[names.BUDGET].number)
    if rs.claim("training_hard_large_dk").case == "ratio":
        r = num(ev[names.steps_ratio(large, "1")].number, 1)
        return (f"d_k={large} 学会查找要用 {r} 倍的步数" if lang == "zh"
                else f"lookup at d_k={large} takes {r} times the steps")
    return _learned(ev, large, budget, lang)


def _refuted(rs: Rulings, ev, lang: str, name: str | None = None) -> str:
    large, zh = rs.values["large"], lang == "zh"
    name = name or next(c for c in CORE if rs.verdicts[c] == "refuted")
    if name == "training_hard_large_dk":
        r = num(ev[names.steps_ratio(large, "1")].number, 2)
        return (f"不是：d_k={large} 时不缩放学会查找的步数与缩放相当（{r} 倍）。" if zh
                else f"No: at d_k={large} unscaled runs learn lookup about as fast as scaled ones ({r} times the "
                     "steps).")
    if name == "saturation":
        gain = signed(100 * ev[names.sat_wrong_gain(large, "1")].number, 0) + "%"
        return (f"不是：d_k={large} 时饱和在错误键上的查询行，不缩放与缩放相差无几（{gain}）。" if zh
                else f"No: at d_k={large} unscaled and scaled saturate about as many query rows on a wrong key "
                     f"(difference {gain}).")
    r = num(ev[names.grad_ratio(large, "1")].number, 2)
    return (f"不是：d_k={large} 时不缩放的 softmax 传回的梯度反而是缩放的 {r} 倍。" if zh
            else f"No: at d_k={large} the unscaled softmax passes {r} times the scaled model's gradient, not less.")


def _gate(g: Gate, ev, lang: str) -> str:
    """Why a failed check leaves the question open, in a few words."""
    v, zh = g.values, lang == "zh"
    dk = int(g.name.split("dk")[1].split("_")[0])
    budget = int(ev[names.BUDGET].number)
    if g.kind == "reached":
        if zh:
            got = "无一学会" if v["k"] == 0 else f"只有 {v['k']} 次学会"
            return f"尚无定论：按 1/√d_k 缩放时 d_k={dk} 的 {v['n']} 次训练在 {budget} 步内也{got}。"
        got = f"none of {v['n']} runs learns" if v["k"] == 0 else f"only {v['k']} of {v['n']} runs learn"
        return f"Not settled yet: even with 1/√d_k, {got} lookup at d_k={dk} in {budget} steps."
    med = num(float(v["median"]), 0) if isinstance(v["median"], (int, float)) else str(v["median"])
    return (f"尚无定论：{budget} 步的预算不到缩放版本中位步数（{med}）的 {v['factor']} 倍。" if zh
            else f"Not settled yet: {budget} steps is under {v['factor']} times the scaled runs' median ({med}) "
                 f"at d_k={dk}.")


def _open(rs: Rulings, ev, lang: str, name: str | None = None) -> str:
    """The first core sub-claim that is undecided, with its number."""
    large, zh = rs.values["large"], lang == "zh"
    name = name or next(c for c in CORE if rs.verdicts[c] == "inconclusive")
    if name == "saturation":
        gain, bar = pct(ev[names.sat_wrong_gain(large, "1")].number), pct(MIN_SATURATION_GAIN)
        return (f"尚无定论：d_k={large} 时不缩放多出 {gain} 的饱和行，离 {bar} 的界线太近。" if zh
                else f"Not settled yet: at d_k={large} unscaled saturates {gain} more rows than scaled, too close to "
                     f"the {bar} bar.")
    if name == "gradients_vanish":
        ratio = ev[names.grad_ratio(large, "1")]
        r = num(ratio.number, 2) if not isinstance(ratio.value, str) else None
        if r is None:
            return ("尚无定论：梯度之比无法计算。" if zh
                    else "Not settled yet: the unscaled-to-scaled gradient ratio could not be computed.")
        bar = num(MAX_GRAD_RATIO, 1)
        return (f"尚无定论：d_k={large} 时不缩放与缩放的梯度之比 {r}，既不明显低于 {bar} 也不高于 1。" if zh
                else f"Not settled yet: at d_k={large} the unscaled-to-scaled gradient ratio, {r}, is neither clearly "
                     f"below {num(MAX_GRAD_RATIO, 1)} nor above 1.")
    ratio = ev[names.steps_ratio(large, "1")]
    if isinstance(ratio.value, str):
        return (f"尚无定论：d_k={large} 时步数之比无法计算。" if zh
                else f"Not settled yet: at d_k={large} the unscaled-to-scaled step ratio could not be computed.")
    r = num(ratio.number, 2)
    return (f"尚无定论：d_k={large} 时不缩放要用 {r} 倍的步数，界线是 {num(MIN_RATIO, 1)} 倍。" if zh
            else f"Not settled yet: at d_k={large} unscaled needs {r} times the steps; the bar is "
                 f"{num(MIN_RATIO, 1)} times.")


def oneline(rs: Rulings, ev, lang: str) -> str:
    """The answer in one sentence (at most 25 English words or 50 Chinese characters)."""
    zh = lang == "zh"
    if rs.verdict == "inconclusive":
        failed = [g for g in rs.gates if not g.passed]
        if failed:
            return _gate(failed[0], ev, lang)
        return _open(rs, ev, lang)
    if rs.verdict == "refuted":
        return _refuted(rs, ev, lang)
    exception = next((c for c in CORE if rs.verdicts[c] in ("refuted", "inconclusive")), None)
    if exception is not None:  # qualified because a part of the mechanism does not hold or is open
        text = (_refuted if rs.verdicts[exception] == "refuted" else _open)(rs, ev, lang, exception)
        rest = text.split("：", 1)[1] if zh else text.split(": ", 1)[1]
        return f"部分成立：{rest}" if zh else f"Partly: {rest}"
    hard = _hard(rs, ev, lang)
    if rs.verdict == "confirmed":
        return (f"是，所有 d_k 下都如此：不缩放时，{hard}。" if zh
                else f"Yes, at every d_k tried: without 1/√d_k, {hard}.")
    return f"是，但只在 d_k 大时：不缩放时，{hard}。" if zh else f"Yes at large d_k: without 1/√d_k, {hard}."

