"""q9's plot data: accuracy at T, 2T and 4T per scheme, and accuracy by position in the longest sequences."""

from __future__ import annotations

from attnlab.lab import rules
from attnlab.lab.spec import EvidenceSet, Outcomes
from attnlab.questions.q9_positions import evidence as names
from attnlab.questions.q9_positions.settings import FACTORS, SCHEME_ZH, SCHEMES, TASK_NAMES, THRESHOLD
from attnlab.questions.q9_positions.trials import bin_size
from attnlab.results import Panel, Plot, RefLine, Series


def task_title(task: str, length: int, lang: str = "en") -> str:
    """The task's title (figures and summary) at training length ``length``, in English or Chinese."""
    if task == "local":
        back = length // 4  # the block length: a copied symbol stands this many positions back
        if lang == "zh":
            return f"局部规则（块复制：往回看 {back} 个位置）"
        return f"local rule (block copy: look {back} back)"
    return "全局规则（标记：可能往回看任意远）" if lang == "zh" else "global rule (marker: look back anywhere)"


def plots(es: EvidenceSet, outcomes: Outcomes, length: int) -> list[Plot]:
    xs = [f * length for f in FACTORS]
    top = names.times_t(max(FACTORS))
    panels = []
    for t in TASK_NAMES:
        series = []
        for sc in SCHEMES:
            e = [es[names.acc(t, sc, f)] for f in FACTORS]
            series.append(Series(sc, xs, [x.number for x in e], [rules.interval(x)[0] for x in e],
                                 [rules.interval(x)[1] for x in e], label_zh=SCHEME_ZH[sc]))
        base = names.best_baseline(es, t, max(FACTORS))
        panels.append(Panel(title=task_title(t, length), xlabel=f"test length (trained at T = {length})",
                            ylabel="accuracy (beyond T)", xscale="log2", ylim=(0, 1.02), series=series,
                            lines=[RefLine(THRESHOLD, f"{THRESHOLD}: learned at T",
                                           label_zh=f"{THRESHOLD}：在 T 上学会"),
                                   RefLine(base.number, f"best trivial baseline at {top}",
                                           label_zh=f"{top} 时最好的平凡基线")],
                            title_zh=task_title(t, length, "zh"), xlabel_zh=f"测试长度（在 T = {length} 上训练）",
                            ylabel_zh="准确率（超出 T 的部分）"))
    headline = Plot("extrapolation", "Accuracy at T, 2T and 4T by position scheme", panels, headline=True,
                    caption=f"Mean over seeds with 95% intervals. At 2T and 4T only the targets at positions never "
                            f"seen in training (>= T) count. Lines: the {THRESHOLD} accuracy every model was trained "
                            f"to at T, and the best trivial baseline at {top}.",
                    title_zh="各种位置编码在 T、2T、4T 上的准确率",
                    caption_zh=f"各种子平均值及 95% 区间。在 2T 和 4T 上只统计训练中从未见过的位置（>= T）上的目标。"
                               f"横线：每个模型在 T 上训练到的 {THRESHOLD} 准确率，以及 {top} 时最好的平凡基线。")
    width = bin_size(length)
    pos_panels = []
    for t in TASK_NAMES:
        series = []
        for sc in SCHEMES:
            runs = [o.measurements["by_factor"][str(max(FACTORS))]["bins"] for o in outcomes.where(task=t, scheme=sc)]
            x, y = [], []
            for i in range(len(runs[0])):
                vals = [r[i] for r in runs if r[i] is not None]
                if vals:
                    x.append(i * width + width / 2)
                    y.append(sum(vals) / len(vals))
            series.append(Series(sc, x, y, label_zh=SCHEME_ZH[sc]))
        pos_panels.append(Panel(title=task_title(t, length), xlabel="position", ylabel="accuracy", ylim=(0, 1.02),
                                series=series, lines=[RefLine(length, "T (training length)", axis="x",
                                                              label_zh="T（训练长度）")],
                                title_zh=task_title(t, length, "zh"), xlabel_zh="位置", ylabel_zh="准确率"))
    by_position = Plot("accuracy_by_position", f"Accuracy by position in sequences of {top}", pos_panels,
                       caption=f"Mean over seeds, positions in bins of {width}; the vertical line is the training "
                               "length.", title_zh=f"长度为 {top} 的序列中各位置的准确率",
                       caption_zh=f"各种子平均值，位置按每 {width} 个分箱；竖线是训练长度。")
    return [headline, by_position]
