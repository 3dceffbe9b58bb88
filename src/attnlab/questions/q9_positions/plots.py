"""q9's plot data: accuracy at T, 2T and 4T per scheme, RoPE under each scaling at test time, and accuracy by
position in the longest sequences."""

from __future__ import annotations

from attnlab.lab import rules
from attnlab.lab.spec import EvidenceSet, Outcomes
from attnlab.questions.q9_positions import evidence as names
from attnlab.questions.q9_positions import settings
from attnlab.questions.q9_positions.settings import FACTORS, SCHEME_ZH, SCHEMES, TASK_NAMES, THRESHOLD
from attnlab.questions.q9_positions.trials import bin_size
from attnlab.results import Panel, Plot, RefLine, Series


def copy_offset(length: int) -> int:
    """The local task's block length at training length ``length``: a copied symbol stands this many positions
    back (:func:`~attnlab.questions.q9_positions.trials.make_length_task`)."""
    return length // 4


def task_title(task: str, length: int, lang: str = "en") -> str:
    """The task's title (figures and summary) at training length ``length``, in English or Chinese."""
    if task == "local":
        back = copy_offset(length)
        if lang == "zh":
            return f"局部规则（块复制：往回看 {back} 个位置）"
        return f"local rule (block copy: look {back} back)"
    return "全局规则（标记：可能往回看任意远）" if lang == "zh" else "global rule (marker: look back anywhere)"


def _series(label: str, label_zh: str, xs: list[int], es: list) -> Series:
    return Series(label, xs, [x.number for x in es], [rules.interval(x)[0] for x in es],
                  [rules.interval(x)[1] for x in es], label_zh=label_zh)


def scaling_plot(es: EvidenceSet, length: int) -> Plot:
    """Accuracy beyond T against the test length: plain RoPE and the same weights under each scaling with s = the
    test length over T (at T, s = 1: every scaling is plain RoPE)."""
    xs = [f * length for f in FACTORS]
    top = names.times_t(max(FACTORS))
    panels = []
    for t in TASK_NAMES:
        plain = [es[names.acc(t, "rope", f)] for f in FACTORS]
        series = [_series("plain RoPE", "RoPE（不缩放）", xs, plain)]
        series += [_series(f"{settings.SCALING_EN[k]} (s = test length / T)",
                           f"{settings.SCALING_ZH[k]}（s = 测试长度 / T）", xs,
                           plain[:1] + [es[names.scaled_acc(t, k, f)] for f in FACTORS[1:]]) for k in settings.SCALINGS]
        base = names.best_baseline(es, t, max(FACTORS))
        panels.append(Panel(title=task_title(t, length), xlabel=f"test length (trained at T = {length})",
                            ylabel="accuracy (beyond T)", xscale="log2", ylim=(0, 1.02), series=series,
                            lines=[RefLine(base.number, f"best trivial baseline at {top}",
                                           label_zh=f"{top} 时最好的平凡基线")],
                            title_zh=task_title(t, length, "zh"), xlabel_zh=f"测试长度（在 T = {length} 上训练）",
                            ylabel_zh="准确率（超出 T 的部分）"))
    return Plot("rope_scaling", "RoPE scaled at test time: the same weights, no fine-tuning", panels,
                caption="Mean over seeds with 95% intervals of the accuracy on the targets beyond T. Every line is the "
                        "same trained RoPE model: plain, or with position interpolation, NTK-aware scaling or YaRN "
                        "(L = T) switched on at test time with factor s = test length / T (at T, s = 1 and every "
                        "line starts at plain RoPE's accuracy). The horizontal line: the best trivial baseline at "
                        f"{top}.",
                title_zh="测试时缩放 RoPE：同一组权重，不微调",
                caption_zh=f"各种子平均值及 95% 区间，只统计超出 T 的目标。每条线都是同一个训练好的 RoPE 模型："
                           "不缩放，或在测试时按 s = 测试长度 / T 打开位置插值、NTK 缩放或 YaRN（L = T）（在 T 上 "
                           f"s = 1，各条线都从不缩放 RoPE 的准确率出发）。横线：{top} 时最好的平凡基线。")


def plots(es: EvidenceSet, outcomes: Outcomes, length: int) -> list[Plot]:
    xs = [f * length for f in FACTORS]
    top = names.times_t(max(FACTORS))
    panels = []
    for t in TASK_NAMES:
        series = []
        for sc in SCHEMES:
            series.append(_series(sc, SCHEME_ZH[sc], xs, [es[names.acc(t, sc, f)] for f in FACTORS]))
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
                    caption_zh=f"各种子平均值及 95% 区间。在 2T 和 4T 上只统计训练中从未见过的位置（≥ T）上的目标。"
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
    return [headline, scaling_plot(es, length), by_position]
