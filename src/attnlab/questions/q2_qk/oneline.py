"""q2's answer in one sentence (en, zh): the verdict in plain words and the one number that makes it stick.

What sticks for q2 is the accuracy a shared matrix reaches on a one-way relation (following a 3-cycle of a
permutation) against separate W_Q and W_K; a qualified answer adds where the gain stops mattering. A question
that is not settled says which check or measurement keeps it open.
"""

from __future__ import annotations

from attnlab.lab.rules import Gate, Rulings
from attnlab.lab.words import ONELINE_CHARS, num, zh_length
from attnlab.questions.q2_qk import evidence as names
from attnlab.questions.q2_qk.rule import TEXT_LEARNED_KIND
from attnlab.questions.q2_qk.settings import MIN_GAIN, TEXT_MARGIN

VARIANT = {"separate": ("separate W_Q, W_K", "分开投影"), "shared": ("a shared matrix", "共享矩阵")}
TASK = {"asymmetric": ("3-cycle", "置换的 3-轮换"), "symmetric": ("2-cycle", "置换的 2-轮换")}
READOUT = {"attention": ("one layer", "单层注意力"), "block": ("a full block", "完整的块")}
BUT = {  # why a power that is real need not help: the first practice sub-claim that is not confirmed
    ("helps_in_practice", "qualified"): ("a full Transformer block compensates", "完整的 Transformer 块能弥补"),
    ("helps_in_practice", "refuted"): ("in a full block shared does better", "完整的块里共享反而更好"),
    ("helps_in_practice", "inconclusive"): ("whether a full block needs it is unsettled", "完整的块里是否需要尚无定论"),
    ("helps_on_text", "refuted"): (f"on text it gains under {num(TEXT_MARGIN, 2)} nats/char",
                                   f"文本上提升不到 {num(TEXT_MARGIN, 2)} 奈特/字符"),
    ("helps_on_text", "inconclusive"): ("its gain on text is unsettled", "文本上是否有帮助尚无定论"),
}


HELPS = {"helps_in_practice": ("in a full block", "在完整的块里"), "helps_on_text": ("on text", "在文本上")}


def _gate(g: Gate, ev, lang: str) -> str:
    """Why a failed check leaves the question open, in a few words."""
    v, zh = g.values, lang == "zh"
    if g.kind == TEXT_LEARNED_KIND:
        loss, variant = num(v["loss"], 2), VARIANT[v["variant"]][zh]
        return (f"尚无定论：文本语言模型（{variant}）没有学会，留出损失 {loss} 奈特/字符。" if zh
                else f"Not settled yet: the text model with {variant} did not learn (held-out loss {loss} nats/char).")
    _, readout, task, variant = g.name.split("_")
    k, n = v["k"], v["n"]
    what = (VARIANT[variant][zh], TASK[task][zh], READOUT[readout][zh])
    if zh:
        got = "没有一个种子学会" if k == 0 else f"只有 {k} 个种子学会（共 {n} 个）"
        return f"尚无定论：{what[0]}在{what[1]}任务上（{what[2]}）{got}。"
    got = f"none of {n} seeds" if k == 0 else f"only {k} of {n} seeds"
    return f"Not settled yet: {what[0]} learned the {what[1]} task with {what[2]} in {got}."


def oneline(rs: Rulings, ev, lang: str) -> str:
    """The answer in one sentence (at most 25 English words or 50 Chinese characters)."""
    zh = lang == "zh"
    gain = num(ev[names.gain("attention", "asymmetric", "shared")].number, 2)
    sep, sha = (num(ev[names.acc("attention", "asymmetric", v)].number, 2) for v in ("separate", "shared"))
    power = rs.verdicts["expressive_power"]
    if rs.verdict == "inconclusive":
        failed = [g for g in rs.gates if not g.passed]
        if failed:
            return _gate(failed[0], ev, lang)
        if power != "inconclusive":  # too few sub-claims decided: the practical parts are open
            return (f"尚无定论：单层里共享矩阵只有 {sha}（分开 {sep}），但在完整的块和文本上是否有影响尚不清楚。" if zh
                    else f"Not settled yet: one layer shows the limit ({sha} against {sep} accuracy), but whether it "
                         "matters in a full block or on text is open.")
        return (f"尚无定论：分开投影比共享高出 {gain}，离 {num(MIN_GAIN, 2)} 的界线太近。" if zh
                else f"Not settled yet: separate projections beat a shared matrix by {gain} accuracy, too close to the "
                     f"{num(MIN_GAIN, 2)} bar.")
    if rs.verdict == "refuted":
        return (f"不是：这里共享矩阵在单向关系上也学得好（分开投影只高出 {gain}）。" if zh
                else f"No: here a shared matrix learns the one-way relation as well (separate projections gain only "
                     f"{gain} accuracy).")
    if rs.verdict == "confirmed":
        return (f"是：共享矩阵让 q·k 对称，单向关系上准确率只有 {sha}，分开投影则有 {sep}。" if zh
                else f"Yes: one shared matrix makes q·k symmetric; on a one-way relation it reaches {sha} accuracy "
                     f"against {sep} with separate W_Q, W_K.")
    if power != "confirmed":  # qualified because a practical part holds while the power itself does not or is open
        where = next(HELPS[c.name] for c in rs.claims[1:] if c.verdict == "confirmed")
        if zh:
            head = f"单层里共享矩阵也学会了单向关系（只差 {gain}）" if power == "refuted" else \
                f"共享矩阵是否学不会单向关系尚无定论（差 {gain}）"
            return f"部分正确：{head}，但分开投影{where[1]}有帮助。"
        head = (f"in one layer a shared matrix learns the one-way relation too (gain {gain})" if power == "refuted"
                else f"whether a shared matrix fails one-way relations is unsettled (gain {gain})")
        return f"Partly: {head}, but separate W_Q, W_K help {where[0]}."
    but = next(BUT[(c.name, c.verdict)] for c in rs.claims[1:] if c.verdict != "confirmed")
    if zh:  # both accuracies where they fit, else the shared matrix's alone
        full = f"部分正确：共享矩阵在单向关系上只有 {sha}（分开 {sep}），但{but[1]}。"
        short = f"部分正确：共享矩阵在单向关系上准确率只有 {sha}，但{but[1]}。"
        return full if zh_length(full) <= ONELINE_CHARS else short
    return f"Partly: a shared matrix cannot express one-way relations ({sha} against {sep} accuracy), but {but[0]}."
