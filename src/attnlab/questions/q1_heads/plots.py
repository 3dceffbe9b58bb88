"""q1's plot data: steps and accuracy per head count, pruning curves, head importance."""

from __future__ import annotations

from attnlab.lab import rules
from attnlab.lab.spec import EvidenceSet, Outcomes
from attnlab.questions.q1_heads import evidence as names
from attnlab.questions.q1_heads.settings import (
    ARM_EN,
    ARM_ZH,
    MINILM_FRACTIONS,
    MINILM_KEEP,
    TASK_ZH,
    TASKS,
    THRESHOLD,
)
from attnlab.results import Evidence, Heatmap, Panel, Plot, RefLine, Series


def _headline(es: EvidenceSet, heads: list[int]) -> Plot:
    panels = []
    for t in TASKS:
        budget = es[names.budget(t)].number
        series = []
        for arm in names.arms(es):
            steps = [es[names.steps(t, h, arm)] for h in heads]
            per_seed = [[s for s in e.per_seed or [] if s is not None] for e in steps]
            series.append(Series(f"{ARM_EN[arm]}: median (bar: fastest to slowest seed)", [str(h) for h in heads],
                                 [budget if isinstance(e.value, str) else e.number for e in steps],
                                 [min(p) if p else budget for p in per_seed],
                                 [max(p) if p else budget for p in per_seed],
                                 notes=[f"{len(p)}/{len(e.per_seed or [])} reached" for p, e in
                                        zip(per_seed, steps, strict=True)],
                                 label_zh=f"{ARM_ZH[arm]}：中位数（竖线：最快到最慢的种子）",
                                 notes_zh=[f"{len(p)}/{len(e.per_seed or [])} 达到" for p, e in
                                           zip(per_seed, steps, strict=True)]))
        panels.append(Panel(kind="bar", title=f"{t} task: steps to {THRESHOLD} accuracy", xlabel="heads h",
                            ylabel="steps", ylim=(0, budget * 1.12), series=series,
                            lines=[RefLine(budget, "budget", label_zh="步数预算")],
                            title_zh=f"{TASK_ZH[t]}任务：达到 {THRESHOLD} 准确率的步数", xlabel_zh="头数 h",
                            ylabel_zh="步数"))
    for t in TASKS:
        acc = [es[names.acc(t, h)] for h in heads]
        best_baseline = max(v.number for k, v in es.items() if k.startswith(names.baseline(t, "")))
        panels.append(Panel(kind="bar", title=f"{t} task: accuracy at the end of the budget", xlabel="heads h",
                            ylabel="accuracy", ylim=(0, 1.1),
                            series=[Series("mean, 95% interval", [str(h) for h in heads], [e.number for e in acc],
                                           [rules.interval(e)[0] for e in acc], [rules.interval(e)[1] for e in acc],
                                           label_zh="平均值，95% 区间")],
                            lines=[RefLine(best_baseline, "best trivial baseline", label_zh="最好的平凡基线")],
                            title_zh=f"{TASK_ZH[t]}任务：训练满预算时的准确率", xlabel_zh="头数 h",
                            ylabel_zh="准确率"))
    n = len(es[names.steps(names.TASKS_FIRST, heads[0])].per_seed or [])  # seeds behind each bar
    return Plot("heads_compared", "One encoder layer: how many heads (d_model fixed, or the head width fixed)?",
                panels, ncols=2,
                caption=f"Every run trains its task's whole budget; steps to {THRESHOLD} are read from the curve. A "
                f"bar at the budget line with 0/{n} reached means no seed got there.", headline=True,
                title_zh="一层编码器：需要几个头（d_model 固定，或每头维度固定）？",
                caption_zh=f"每次训练都跑满该任务的预算；达到 {THRESHOLD} 的步数从评估曲线读出。"
                           f"柱子顶到预算线且标注 0/{n} 表示没有种子达到。")


def plots(ev: list[Evidence], outcomes: Outcomes, heads: list[int], ph: int) -> list[Plot]:
    es = EvidenceSet(ev)
    fracs = [k / ph for k in range(ph)]
    prune = [Panel(title=f"{t} task, h={ph}", xlabel="fraction of heads removed", ylabel="accuracy", ylim=(0, 1.02),
                   series=[Series("importance order (Michel et al.)", fracs, es[names.prune_curve(t)].value,
                                  label_zh="按重要性顺序（Michel 等人）"),
                           Series("random order", fracs, es[names.prune_random_curve(t)].value, style="dashed",
                                  label_zh="随机顺序")],
                   title_zh=f"{TASK_ZH[t]}任务，h={ph}", xlabel_zh="删去的头所占比例", ylabel_zh="准确率")
             for t in TASKS]
    if names.MINILM_CURVE in es:
        mf = list(MINILM_FRACTIONS)
        prune.append(Panel(title="all-MiniLM-L6-v2 (72 heads)", xlabel="fraction of heads removed",
                           ylabel="nearest-neighbour agreement", ylim=(0, 1.02),
                           series=[Series("importance order", mf, es[names.MINILM_CURVE].value,
                                          label_zh="按重要性顺序"),
                                   Series("random order", mf, es[names.MINILM_RANDOM_CURVE].value, style="dashed",
                                          label_zh="随机顺序")],
                           lines=[RefLine(MINILM_KEEP, "keeps its behaviour", label_zh="行为保持不变")],
                           title_zh="all-MiniLM-L6-v2（72 个头）", xlabel_zh="删去的头所占比例",
                           ylabel_zh="最近邻一致率"))
    importance = [o.measurements["importance"]
                  for o in outcomes.where(kind="train", task="multi", arm="d_model", heads=ph)]
    return [_headline(es, heads),
            Plot("pruning", "Removing heads without retraining", prune,
                 caption="Means over seeds (ours) and one run (MiniLM).", title_zh="不重训地删去头",
                 caption_zh="我们的模型为种子平均，MiniLM 为一次运行。"),
            Plot("head_importance", f"Head importance, multi task, h={ph}", title_zh=f"头的重要性，三关系任务，h={ph}",
                 caption="Michel et al. 2019: I_h = E|∂L/∂ξ_h| (ξ the head mask), divided by its layer's L2 norm; "
                         "one row per seed.",
                 caption_zh="Michel 等人 2019：I_h = E|∂L/∂ξ_h|（ξ 为头掩码），再除以所在层的 L2 范数；每行一个种子。",
                 panels=[Panel(kind="heatmap", title="normalised importance per seed", xlabel="head", ylabel="seed",
                               heatmap=Heatmap(importance, [str(i) for i in range(len(importance))],
                                               [str(i + 1) for i in range(ph)]),
                               title_zh="每个随机种子的归一化重要性", xlabel_zh="头", ylabel_zh="随机种子")])]
