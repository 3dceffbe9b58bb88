"""q3's plot data: learning curves per temperature, and what the softmax does while training."""

from __future__ import annotations

from attnlab.analysis.curves import mean_curve
from attnlab.lab.spec import EvidenceSet, Outcomes
from attnlab.questions.q3_scaling.settings import PROBE_STEPS, SATURATED_AT, TEMPERATURES, THRESHOLD
from attnlab.results import Evidence, Panel, Plot, RefLine, Series


def plots(ev: list[Evidence], outcomes: Outcomes, dks: list[int]) -> list[Plot]:
    es = EvidenceSet(ev)
    panels = []
    for dk in dks:
        series = []
        for t in TEMPERATURES:
            runs = outcomes.where(d_k=dk, temperature=t)
            steps, means = mean_curve([o.measurements["curve"] for o in runs])
            series.append(Series(f"logits × {t}", steps, means))
        panels.append(Panel(title=f"d_k = {dk}", xlabel="training step", ylabel="accuracy (held out)",
                            ylim=(0, 1.02), series=series,
                            lines=[RefLine(THRESHOLD, "threshold", label_zh="阈值"),
                                   RefLine(es["baseline_no_lookup"].number, "no-lookup baseline",
                                           label_zh="不查找基线")],
                            xlabel_zh="训练步数", ylabel_zh="留出准确率"))
    headline = Plot("learning_curves", "Key-value lookup: learning curves by logit temperature", panels,
                    caption="Mean held-out accuracy over seeds (a run that reached the threshold keeps its last "
                    "value). Only the logit temperature differs between the lines of a panel.", headline=True,
                    title_zh="键值查找：不同 logit 温度下的学习曲线",
                    caption_zh="各种子在留出数据上的平均准确率（达到阈值后保持最后的值）。"
                               "同一子图中只有 logit 的缩放不同。")
    large = dks[-1]
    sat, grad = [], []
    for t in TEMPERATURES:
        runs = [o.measurements for o in outcomes.where(d_k=large, temperature=t)]
        xs = ["0", *(str(s) for s in PROBE_STEPS)]
        xs = [x for x in xs if all(x in m["probes"] for m in runs)]
        style = "dashed" if t == "1/d_k" else "solid"  # ×1/√d_k and ×1/d_k can both sit on 0: keep both visible
        sat.append(Series(f"× {t}", [int(x) for x in xs],
                          [sum(m["probes"][x]["saturated_wrong"] for m in runs) / len(runs) for x in xs], style=style))
        grad.append(Series(f"× {t}", [int(x) for x in xs],
                           [sum(m["probes"][x]["grad_scores"] for m in runs) / len(runs) for x in xs]))
    during = Plot("saturation_during_training", f"d_k = {large}: what the softmax does while training", [
        Panel(title=f"query rows saturated (> {SATURATED_AT}) on a wrong key", xlabel="training step",
              ylabel="fraction", ylim=(0, 1), series=sat, title_zh=f"饱和（> {SATURATED_AT}）在错误键上的查询行",
              xlabel_zh="训练步数", ylabel_zh="比例"),
        Panel(title="mean ‖∂L/∂s‖ of a query row", xlabel="training step", ylabel="norm", yscale="log",
              series=grad, title_zh="查询行的平均 ‖∂L/∂s‖", xlabel_zh="训练步数", ylabel_zh="范数")],
        caption="Means over seeds at the probe steps every run reached, on 256 fixed held-out sequences.",
        title_zh=f"d_k = {large}：训练过程中 softmax 的状态",
        caption_zh="在 256 条固定留出序列上测得，各种子平均，只取所有运行都到达的测量步。")
    return [headline, during]
