"""q1's answer in one sentence (en, zh): the verdict in plain words and the one number that makes it stick.

Where one head cannot read three relations at once, that is the number: one head's accuracy beside the head
count that learns. Where one head can, the number is how many relations get a head of their own. A question
that is not settled says which check keeps it open.
"""

from __future__ import annotations

from attnlab.lab.rules import Gate, Rulings
from attnlab.lab.words import num
from attnlab.questions.q1_heads import evidence as names
from attnlab.questions.q1_heads.settings import RELATIONS, TASK_ZH

TASK_EN = {"multi": "three-relation", "single": "one-relation"}
LEAD = {"confirmed": ("Yes", "是"), "qualified": ("Partly", "部分正确"), "refuted": ("No", "不是")}


def _gate(g: Gate, ev, lang: str) -> str:
    """Why a failed check leaves the question open, in a few words."""
    v, zh = g.values, lang == "zh"
    task = g.name.split("_", 1)[1]
    budget = int(ev[names.budget(task)].number)
    if g.kind == "reached":
        if v["k"] == 0:
            return (f"尚无定论：{budget} 步内没有哪种头数学会{TASK_ZH[task]}任务。" if zh
                    else f"Not settled yet: no head count learned the {TASK_EN[task]} task within {budget} steps.")
        k, n = v["k"], v["n"]
        if zh:
            return f"尚无定论：{TASK_ZH[task]}任务上最好的头数在 {budget} 步内也只有 {k} 个种子学会（共 {n} 个）。"
        return f"Not settled yet: at best {k} of {n} seeds learned the {TASK_EN[task]} task within {budget} steps."
    med = num(float(v["median"]), 0) if isinstance(v["median"], (int, float)) else str(v["median"])
    if zh:
        return f"尚无定论：{budget} 步的预算不到{TASK_ZH[task]}任务上最好头数中位步数（{med}）的 {v['factor']} 倍。"
    return (f"Not settled yet: {budget} steps is under {v['factor']} times the best head count's median ({med}) "
            f"on the {TASK_EN[task]} task.")


def oneline(rs: Rulings, ev, lang: str) -> str:
    """The answer in one sentence (at most 25 English words or 50 Chinese characters)."""
    zh = lang == "zh"
    if rs.verdict == "inconclusive":
        return _gate(next(g for g in rs.gates if not g.passed), ev, lang)
    n = len(RELATIONS)
    cov = num(ev[names.RELATIONS_COVERED].number, 1)
    lead = LEAD[rs.verdict][zh]
    if rs.verdict == "refuted":
        return (f"{lead}：各头没有分工（{n} 个关系中平均 {cov} 个有专门的头），一个头连单关系任务都学不会。" if zh
                else f"{lead}: heads did not specialise ({cov} of {n} relations got their own head) and one head did "
                     "not learn even one relation.")
    fewest = rs.values["fewest_learning_multi"]
    if fewest is not None and fewest > 1 and rs.claim("one_head_enough").case == "multi_untrained":
        acc1 = num(ev[names.acc("multi", 1)].number, 2)
        p = num(ev[names.baseline("multi", "all_but_one_relation")].number, 2)
        return (f"{lead}：{fewest} 个头学会 {n} 个关系；1 个头仅 {acc1}，低于读两个关系的 {p}，没训练出来。" if zh
                else f"{lead}: {fewest} heads learn {n} relations; one head's {acc1} is below the {p} of reading two, "
                     "so it did not train.")
    if fewest is not None and fewest > 1:  # one head cannot read three positions at once: that is the point
        acc1 = num(ev[names.acc("multi", 1)].number, 2)
        return (f"{lead}：一层要同时读 {n} 个位置就需要多个头；1 个头准确率只有 {acc1}，{fewest} 个头才学会。" if zh
                else f"{lead}: one layer reading {n} positions at once needs several heads; one head stays at {acc1} "
                     f"accuracy, {fewest} heads learn it.")
    if rs.verdict == "confirmed":
        if zh:
            return f"{lead}：各头分工（{n} 个关系中平均 {cov} 个有专门的头），但一个头也可能够用，头也不是越多越好。"
        return (f"{lead}: heads split the relations ({cov} of {n} get their own head), though one head can "
                "suffice and more is not always better.")
    return (f"{lead}：各头分工（{n} 个关系中平均 {cov} 个有专门的头），但一个头也能学会全部 {n} 个关系。" if zh
            else f"{lead}: heads split the relations ({cov} of {n} get their own head), but here one head also learns "
                 f"all {n}.")

