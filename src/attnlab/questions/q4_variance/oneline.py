"""q4's answer in one sentence (en, zh): the verdict in plain words and the one number that makes it stick.

The answer to the question is the algebra, Var(q·k) = d_k for independent components; what sticks is what
trained models do with it: how far their scaled logits' std still moves with d_k, or how far it is from 1.
A question that is not settled says which check or measurement keeps it open.
"""

from __future__ import annotations

from attnlab.lab.rules import Gate, Rulings
from attnlab.lab.words import ONELINE_CHARS, num, zh_length
from attnlab.questions.q4_variance.evidence import scaled_std, slope, trained_dks
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
    k, n = v["k"], v["n"]
    if zh:
        got = "没有一个种子学会查找" if k == 0 else f"只有 {k} 个种子学会查找（共 {n} 个）"
        return f"尚无定论：d_k={dk} 的模型{got}。"
    got = f"none of {n} seeds" if k == 0 else f"only {k} of {n} seeds"
    return f"Not settled yet: the d_k={dk} model learned lookup in {got}."


def _drift(rs: Rulings, ev, lang: str) -> str:
    """"Partly: ... trained logits' std still moves with d_k: 1.03 at d_k=8, 1.49 at d_k=64"."""
    dks = trained_dks(ev)
    a, b = (num(ev[scaled_std("trained", dk)].number, 2) for dk in (dks[0], dks[-1]))
    s = num(ev[slope("trained")].number, 2)
    if lang == "zh":
        return _fit(f"部分正确：{ALGEBRA[1]}；训练后标准差仍随 d_k 变（{a}→{b}，斜率 {s}）。",
                    f"部分正确：训练后标准差仍随 d_k 变（{a}→{b}，斜率 {s}）。")
    return (f"Partly: {ALGEBRA[0]}; trained logits' std still moves with d_k ({a} at d_k={dks[0]}, {b} at "
            f"d_k={dks[-1]}).")


def _open(ev, lang: str) -> str:
    """The algebra holds; whether trained logits depend on d_k is open."""
    s, bar = num(ev[slope("trained")].number, 2), num(WEAK, 2)
    if lang == "zh":
        return _fit(f"部分正确：{ALGEBRA[1]}；训练后斜率 {s} 离 ±{bar} 太近，是否随 d_k 变尚无定论。",
                    f"部分正确：训练后斜率 {s} 离 ±{bar} 太近，尚无定论。")
    return (f"Partly: {ALGEBRA[0]}; whether trained logits still move with d_k is open (slope {s}, too close to "
            f"±{bar}).")


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
        return _gate(failed[0], lang)  # with the derivation always decided, only a failed check leaves it open
    if rs.verdict == "confirmed":
        v = rs.claim(UNIT).values
        lo, hi = num(v["lo"], 2), num(v["hi"], 2)
        return (_fit(f"是：{ALGEBRA[1]}，故除以 √d_k；训练后标准差也在 {lo} 到 {hi} 之间。",
                     f"是：{ALGEBRA[1]}；训练后标准差也在 {lo} 到 {hi} 之间。") if zh
                else f"Yes: {ALGEBRA[0]}; trained logits stay near 1 at every d_k too (std {lo} to {hi}).")
    scale = rs.claim(SCALE).verdict
    if scale == "inconclusive":
        return _open(ev, lang)
    if scale != "confirmed":
        return _drift(rs, ev, lang)
    return _far(rs, lang)
