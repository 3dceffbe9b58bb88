"""q4's answer in one sentence (en, zh): the verdict in plain words and the one number that makes it stick.

The answer to the question is the algebra, Var(q·k) = d_k for independent components; what sticks is what
trained models do with it: how far their scaled logits' std still moves with d_k, or how far it is from 1.
A question that is not settled says which check or measurement keeps it open.
"""

from __future__ import annotations

from attnlab.lab.rules import Gate, Rulings
from attnlab.lab.words import ONELINE_CHARS, num, zh_length
from attnlab.questions.q4_variance.evidence import one_head_dks, scaled_std, slope, trained_dks, trained_std_one_head
from attnlab.questions.q4_variance.rule import SCALE, UNIT
from attnlab.questions.q4_variance.settings import DERIVATION_TOL, WEAK

ALGEBRA = ("Var(q·k) = d_k for independent components, hence 1/√d_k", "独立时 Var(q·k)=d_k")


def _fit(*texts: str) -> str:
    """The first Chinese sentence within the limit (the last one otherwise)."""
    return next((t for t in texts if zh_length(t) <= ONELINE_CHARS), texts[-1])


def _gate(g: Gate, lang: str) -> str:
    """Why a failed check leaves the question open, in a few words."""
    v, zh = g.values, lang == "zh"
    if g.kind == "derivation":
        off, want = ((v["gaussian"], 1) if abs(v["gaussian"] - 1) >= DERIVATION_TOL else (v["scaled"], 0))
        return (f"尚无定论：蒙特卡洛检验不通过（斜率 {num(off, 2)}，应为 {want}），说明代码有错。" if zh
                else f"Not settled yet: the Monte Carlo check failed (slope {num(off, 2)}, expected {want}), which "
                     "means a bug, not a finding.")
    dk = g.name.rsplit("dk", 1)[1]
    one = "one_head" in g.name
    k, n = v["k"], v["n"]
    if zh:
        what = f"单头 d_k={dk} 的模型" if one else f"d_k={dk} 的模型"
        got = "没有一个种子学会查找" if k == 0 else f"只有 {k} 个种子学会查找（共 {n} 个）"
        return f"尚无定论：{what}{got}。"
    what = f"the one-head d_k={dk} model" if one else f"the d_k={dk} model"
    got = f"none of {n} seeds" if k == 0 else f"only {k} of {n} seeds"
    return f"Not settled yet: {what} learned lookup in {got}."


def _arm(rs: Rulings, ev) -> tuple[bool, str]:
    """The arm to quote: (one head?, evidence name of its slope): the d_model-fixed arm unless it is the one
    that agrees with the claim (or is undecided when the other is not)."""
    values = rs.claim(SCALE).values
    main, one = values.get("arm"), values.get("one_head_arm")
    if rs.claim(SCALE).verdict == "inconclusive":
        use_one = main != "inconclusive" and one == "inconclusive"
    else:
        use_one = main == "confirmed" and one not in (None, "confirmed")
    return use_one, slope("trained", one_head=use_one)


def _drift(rs: Rulings, ev, lang: str) -> str:
    """"Partly: ... trained logits' std still moves with d_k: 1.03 at d_k=8, 1.49 at d_k=64"."""
    use_one, _ = _arm(rs, ev)
    dks = one_head_dks(ev) if use_one else trained_dks(ev)
    name = trained_std_one_head if use_one else (lambda dk: scaled_std("trained", dk))
    a, b = (num(ev[name(dk)].number, 2) for dk in (dks[0], dks[-1]))
    if lang == "zh":
        who = "单头时训练后标准差" if use_one else "训练后标准差"
        return _fit(f"部分正确：{ALGEBRA[1]}；{who}仍随 d_k 变（{a}→{b}）。",
                    f"部分正确：{who}仍随 d_k 变（{a}→{b}）。")
    who = "trained one-head logits' std" if use_one else "trained logits' std"
    return f"Partly: {ALGEBRA[0]}; {who} still moves with d_k ({a} at d_k={dks[0]}, {b} at d_k={dks[-1]})."


def _far(rs: Rulings, lang: str) -> str:
    """The trained std farthest from 1, where the scale does not depend on d_k but is not of order 1."""
    v = rs.claim(UNIT).values
    low = v["lo"] * v["hi"] < 1  # the low end is the farther one from 1, on a log scale
    x = num(v["lo"] if low else v["hi"], 2)
    if lang == "zh":
        return _fit(f"部分正确：{ALGEBRA[1]}；训练后尺度不随 d_k 变，但标准差{'低至' if low else '高达'} {x}。",
                    f"部分正确：训练后尺度不随 d_k 变，但标准差{'低至' if low else '高达'} {x}。")
    return (f"Partly: {ALGEBRA[0]}; trained logits keep one scale across d_k, but their std is "
            f"{'as low as' if low else 'as high as'} {x}.")


def oneline(rs: Rulings, ev, lang: str) -> str:
    """The answer in one sentence (at most 25 English words or 50 Chinese characters)."""
    zh = lang == "zh"
    if rs.verdict == "inconclusive":
        failed = [g for g in rs.gates if not g.passed]
        if failed:
            return _gate(failed[0], lang)
        use_one, name = _arm(rs, ev)
        s, bar = num(ev[name].number, 2), num(WEAK, 2)
        if zh:
            return f"尚无定论：{'单头时' if use_one else ''}训练后标准差对 d_k 的双对数斜率 {s}，离 ±{bar} 的界线太近。"
        return (f"Not settled yet: the trained std's log-log slope in d_k{' with one head' if use_one else ''}, {s}, "
                f"is too close to the ±{bar} bar.")
    if rs.verdict == "refuted":
        s = num(ev[slope("trained")].number, 2)
        return (_fit(f"不是：{ALGEBRA[1]}，但训练后缩放的标准差仍随 d_k 变（斜率 {s}）。",
                     f"不是：训练后缩放的标准差仍随 d_k 变（斜率 {s}）。") if zh
                else f"No: Var(q·k) = d_k only for independent components; trained logits scaled by 1/√d_k still "
                     f"change with d_k (log-log slope {s}).")
    if rs.verdict == "confirmed":
        v = rs.claim(UNIT).values
        lo, hi = num(v["lo"], 2), num(v["hi"], 2)
        return (_fit(f"是：{ALGEBRA[1]}，故除以 √d_k；训练后标准差也在 {lo} 到 {hi} 之间。",
                     f"是：{ALGEBRA[1]}；训练后标准差也在 {lo} 到 {hi} 之间。") if zh
                else f"Yes: {ALGEBRA[0]}; trained logits stay near 1 at every d_k too (std {lo} to {hi}).")
    if rs.claim(SCALE).verdict != "confirmed":
        return _drift(rs, ev, lang)
    return _far(rs, lang)

