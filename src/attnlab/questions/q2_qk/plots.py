"""q2's plot data: accuracy per variant and readout, learning curves, MiniLM's symmetric share per head."""

from __future__ import annotations

from attnlab.analysis.curves import mean_curve
from attnlab.lab import rules
from attnlab.lab.spec import EvidenceSet, Outcomes
from attnlab.questions.q2_qk import evidence as names
from attnlab.questions.q2_qk.settings import (
    CYCLE_CONDITIONS,
    RANK_BOUND,
    READOUT_ZH,
    READOUTS,
    TASK_ZH,
    TASKS,
    TEXT_VARIANTS,
    THRESHOLD,
    VARIANT_ZH,
    VARIANTS,
)
from attnlab.results import Evidence, Heatmap, Panel, Plot, RefLine, Series


def plots(ev: list[Evidence], outcomes: Outcomes) -> list[Plot]:
    es = EvidenceSet(ev)
    panels = []
    for r in READOUTS:
        series = []
        for v in VARIANTS:
            tasks = [t for t in TASKS if (r, t, v) in CYCLE_CONDITIONS]
            if not tasks:
                continue
            accs = [es[names.acc(r, t, v)] for t in tasks]
            series.append(Series(v, tasks, [e.number for e in accs], [rules.interval(e)[0] for e in accs],
                                 [rules.interval(e)[1] for e in accs], label_zh=VARIANT_ZH[v]))
        title = "attention read linearly (bound applies)" if r == "attention" else "full Transformer block"
        title_zh = "线性读出注意力（上界适用）" if r == "attention" else "完整 Transformer 块"
        panels.append(Panel(kind="bar", title=title, ylabel="accuracy", ylim=(0, 1.05), series=series,
                            lines=[RefLine(RANK_BOUND, "2/3: symmetric ranking bound",
                                           label_zh="2/3：对称打分的排序上界"),
                                   RefLine(es[names.baseline("asymmetric", "no_lookup")].number,
                                           "no-lookup baseline", label_zh="不查找基线")],
                            title_zh=title_zh, ylabel_zh="准确率", categories_zh=TASK_ZH))
    headline = Plot("accuracy_by_variant", "Separate vs shared W_Q/W_K on an asymmetric and a symmetric relation",
                    panels, caption="Bars: mean accuracy over seeds with 95% intervals. Left: where the answer must "
                    "come from where attention points, a symmetric score stays near the 2/3 ranking bound on "
                    "3-cycles. Right: a feed-forward layer after attention can compensate.", headline=True,
                    title_zh="分开与共享 W_Q/W_K：非对称关系与对称关系",
                    caption_zh="柱：各种子平均准确率及 95% 区间。左：答案只能来自注意力指向的位置时，"
                               "对称打分在置换的 3-轮换上停在 2/3 排序上界附近。右：注意力之后的前馈层可以弥补。")
    curves = []
    for r in READOUTS:
        series = []
        for v in names.compared(r, "asymmetric"):
            runs = outcomes.where(readout=r, task="asymmetric", variant=v)
            steps, means = mean_curve([o.measurements["curve"] for o in runs])
            series.append(Series(v, steps, means, label_zh=VARIANT_ZH[v]))
        curves.append(Panel(title=f"asymmetric task, {r} readout", xlabel="step", ylabel="accuracy",
                            ylim=(0, 1.02), series=series, lines=[RefLine(THRESHOLD, "threshold", label_zh="阈值")],
                            title_zh=f"{TASK_ZH['asymmetric']}任务，{READOUT_ZH[r]}", xlabel_zh="训练步数",
                            ylabel_zh="准确率"))
    plots = [headline, Plot("learning_curves", "Learning curves (mean over seeds)", curves,
                            caption="Held-out accuracy on the 3-cycle task, mean over seeds; every run trains the "
                                    "whole budget.",
                            title_zh="学习曲线（各种子平均）",
                            caption_zh="置换的 3-轮换任务上的留出准确率，各种子平均；每次运行都训练满整个预算。"),
             _text_curves(outcomes)]
    plots = [p for p in plots if p is not None]
    if names.MINILM_SHARES in es:
        shares = es[names.MINILM_SHARES].value
        plots.append(Plot("minilm_qk_symmetry", "all-MiniLM-L6-v2: symmetric share of W_Q W_Kᵀ per head",
                          caption="The share of W_Q W_Kᵀ's squared norm in its symmetric part: 1 for one shared "
                                  "matrix, about 0.5 for random independent projections.",
                          title_zh="all-MiniLM-L6-v2：每个头 W_Q W_Kᵀ 的对称部分占比",
                          caption_zh="W_Q W_Kᵀ 的平方范数中对称部分所占的比例：共享同一矩阵时为 1，"
                                     "随机独立投影约为 0.5。",
                          panels=[Panel(kind="heatmap", title="1 = symmetric (shared), 0.5 = random", xlabel="head",
                                        ylabel="layer", title_zh="1 = 对称（共享），0.5 = 随机", xlabel_zh="头",
                                        ylabel_zh="层",
                                        heatmap=Heatmap(shares, [str(i + 1) for i in range(len(shares))],
                                                        [str(i + 1) for i in range(len(shares[0]))], vmin=0.4,
                                                        vmax=1.0))]))
    return plots


def _text_curves(outcomes: Outcomes) -> Plot | None:
    """The text LM's held-out loss at each quarter of its budget, mean over seeds, per arm."""
    series = []
    for v in TEXT_VARIANTS:
        runs = outcomes.where(kind="text", variant=v)
        if not runs:
            return None
        curves = [o.measurements["curve"] for o in runs]
        steps = [s for s, _ in curves[0]]
        means = [sum(c[i][1] for c in curves) / len(curves) for i in range(len(steps))]
        series.append(Series(v, steps, means, label_zh=VARIANT_ZH[v]))
    return Plot("text_lm_curves", "Text LM: held-out loss during training (mean over seeds)",
                [Panel(title="character LM on held-out prose", xlabel="step", ylabel="nats/char", series=series,
                       title_zh="留出散文上的字符级语言模型", xlabel_zh="训练步数", ylabel_zh="每字符损失（奈特）")],
                caption="Held-out loss per character at each quarter of the budget. The comparison is read at the "
                        "end; it counts only if the loss had stopped falling (the plateau check reads the second "
                        "half).", title_zh="文本语言模型：训练中的留出损失（各种子平均）",
                caption_zh="每过四分之一预算时，每个字符的留出损失。比较在结束时读取；只有损失已不再下降时才算数"
                           "（平台检查读取后半程）。")
