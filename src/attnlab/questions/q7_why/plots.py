"""q7's plot data: steps and accuracy per pooling, learning curves, where attention looks, the seed's sentence."""

from __future__ import annotations

from attnlab.analysis.curves import mean_curve
from attnlab.lab.rules import interval
from attnlab.lab.spec import EvidenceSet, Outcomes
from attnlab.questions.q7_why import names
from attnlab.questions.q7_why.settings import (
    CELLS,
    ENCODER_NAMES,
    EXAMPLES,
    FOCUS,
    LONG_CELLS,
    MINILM,
    POOLING_ZH,
    POOLINGS,
    TASK_ZH,
    TASKS,
    THRESHOLD,
    Cell,
)
from attnlab.results import Evidence, Panel, Plot, RefLine, Series

ACC_YLIM = (0.4, 1.02)
CELL_TASKS = tuple(t for t in TASKS if any(c[0] == t for c in CELLS))  # the tasks the grid runs


def _steps_plot(es: EvidenceSet, budgets: dict[str, int], label) -> Plot:
    panels = []
    for task in CELL_TASKS:
        cells = [c for c in CELLS if c[0] == task]
        series = []
        for p in POOLINGS:
            ys = []
            for c in cells:
                e = es[names.steps(c, p)]
                ys.append(e.value if not isinstance(e.value, str) else budgets[c[1]])
            series.append(Series(p, [label(r, e) for _, r, e in cells], ys, label_zh=POOLING_ZH[p]))
        panels.append(Panel(kind="bar", title=f"{task} task", ylabel=f"median steps to {THRESHOLD} (budget if not "
                            "reached)", series=series, title_zh=TASK_ZH[task],
                            ylabel_zh=f"达到 {THRESHOLD} 的步数中位数（没有达到时记为预算）"))
    return Plot("steps_by_pooling", "Steps to learn the task: attention vs mean / max pooling", panels,
                caption="Bars: median steps to reach the threshold over seeds; a bar at the budget means at "
                "least half of the seeds did not reach it. The ratios in the text are paired: the geometric mean of "
                "each seed's ratio, so they need not equal a ratio of these medians. Steps to the threshold are read "
                "off each run's evaluation curve; every run trains its whole budget.", headline=True,
                title_zh="学会任务所需的步数：注意力池化与平均、最大池化",
                caption_zh="柱：各种子达到阈值所需步数的中位数；柱顶在预算处表示至少一半种子没有达到。"
                           "正文中的比值是配对的：各种子比值的几何平均，不一定等于这些中位数之比。"
                           "达到阈值的步数从每次训练的评估曲线上读出；每次训练都跑满预算。")


def _accuracy_plot(es: EvidenceSet, label) -> Plot:
    panels = []
    for task in CELL_TASKS:
        cells = [c for c in CELLS if c[0] == task]
        series = []
        for p in POOLINGS:
            es_p = [es[names.acc(c, p)] for c in cells]
            series.append(Series(p, [label(r, e) for _, r, e in cells], [e.number for e in es_p],
                                 [interval(e)[0] for e in es_p], [interval(e)[1] for e in es_p],
                                 label_zh=POOLING_ZH[p]))
        trivial = names.baseline(task, "majority" if task == "contrast" else "chance")
        lines = [RefLine(es[trivial].number, "majority / chance", label_zh="多数类 / 随机猜测"),
                 RefLine(es[names.baseline(task, "bag_of_words")].number, "bag of words (exact)",
                         label_zh="词袋（精确）")]
        panels.append(Panel(kind="bar", title=f"{task} task", ylabel="held-out accuracy", ylim=ACC_YLIM,
                            series=series, lines=lines, title_zh=TASK_ZH[task], ylabel_zh="留出准确率"))
    return Plot("accuracy_by_pooling", "Held-out accuracy at the end of the budget",
                panels, caption="Means over seeds with 95% intervals; dashed: exact trivial baselines.",
                title_zh="训练满预算后在留出数据上的准确率",
                caption_zh="各种子的平均值及 95% 区间；虚线：精确的平凡基线。")


def _curves_plot(outcomes: Outcomes, label) -> Plot:
    curves = []
    for c in LONG_CELLS:
        series = []
        for p in POOLINGS:
            runs = outcomes.where(kind="train", task=c[0], role=c[1], encoder=c[2], pooling=p)
            steps, means = mean_curve([o.measurements["curve"] for o in runs])
            series.append(Series(p, steps, means, label_zh=POOLING_ZH[p]))
        curves.append(Panel(title=f"{c[0]}, {label(c[1], c[2])}", xlabel="step", ylabel="accuracy", ylim=ACC_YLIM,
                            series=series, lines=[RefLine(THRESHOLD, "threshold", label_zh="阈值")],
                            title_zh=f"{TASK_ZH[c[0]]}，{label(c[1], c[2])}", xlabel_zh="训练步数",
                            ylabel_zh="准确率"))
    return Plot("learning_curves", "Learning curves on long texts (mean over seeds)", curves, ncols=2,
                caption="Held-out accuracy at each evaluation, mean over seeds; every run trains its whole budget.",
                title_zh="长文本上的学习曲线（各种子平均）",
                caption_zh="每次评估时留出数据上的准确率，对种子取平均；每次训练都跑满预算。")


def _focus_plot(es: EvidenceSet, long_length: int) -> Plot:
    def short(c: Cell) -> str:
        return f"{c[0]} {ENCODER_NAMES[c[2]]}"

    def short_zh(c: Cell) -> str:
        return f"{TASK_ZH[c[0]]} {ENCODER_NAMES[c[2]]}"

    focus = [es[names.focus(c)] for c in LONG_CELLS]
    series = [Series("deciding word", [short(c) for c in LONG_CELLS], [e.number for e in focus],
                     [interval(e)[0] for e in focus], [interval(e)[1] for e in focus], label_zh="决定性的词")]
    contrast_long = [c for c in LONG_CELLS if c[0] == "contrast"]
    if contrast_long:
        series.append(Series("other polar word", [short(c) for c in contrast_long],
                             [es[names.focus_other(c)].number for c in contrast_long], label_zh="另一个极性词"))
    panels = [Panel(kind="bar", title=f"our RNN + attention, T={long_length}", ylabel="weight / uniform share 1/T",
                    series=series, lines=[RefLine(1.0, "uniform", label_zh="均匀"),
                                          RefLine(FOCUS, "focus margin", label_zh="聚焦的界限")],
                    title_zh=f"我们的 RNN + 注意力，T={long_length}", ylabel_zh="权重 / 均匀份额 1/T",
                    categories_zh={short(c): short_zh(c) for c in LONG_CELLS})]
    caption = ("Left: attention-pooling weight on the deciding polar word (contrast task: texts whose polar words "
               "disagree) in uniform shares.")
    caption_zh = "左：注意力池化放在决定性极性词上的权重，以均匀份额为单位（转折任务只看两个极性词相互矛盾的文本）。"
    if names.MINILM_RATIO_PER_LAYER in es:
        caption += (f" Right: the attention the polar word receives in each layer of {MINILM}, mean over heads "
                    "and queries.")
        caption_zh += f"右：{MINILM} 每一层中极性词得到的注意力，对头和查询取平均。"
        rows = es[names.MINILM_RATIO_PER_LAYER].value
        mean = [sum(col) / len(col) for col in zip(*rows, strict=True)]
        panels.append(Panel(title=MINILM, xlabel="layer", ylabel="polar word's share / uniform",
                            series=[Series(f"mean over {len(rows)} sentences", list(range(1, len(mean) + 1)), mean,
                                           label_zh=f"{len(rows)} 个句子的平均")],
                            lines=[RefLine(1.0, "uniform", label_zh="均匀")], xlabel_zh="层",
                            ylabel_zh="极性词的份额 / 均匀份额"))
    return Plot("focus", "Weight on the word that decides: our trained models and a pretrained Transformer",
                panels, caption=caption, title_zh="决定结果的词得到的权重：我们训练的模型与一个预训练 Transformer",
                caption_zh=caption_zh)


def _examples_plot(es: EvidenceSet) -> Plot | None:
    panels = []
    for encoder in ENCODER_NAMES:
        for text in EXAMPLES:
            name = names.example(encoder, text)
            if name in es:
                panels.append(Panel(kind="bar", title=f"{ENCODER_NAMES[encoder]}: \"{text}\"",
                                    ylabel="attention weight", ylim=(0, 1),
                                    series=[Series("weight", text.split(), es[name].value, label_zh="权重")],
                                    title_zh=f"{ENCODER_NAMES[encoder]}：“{text}”", ylabel_zh="注意力权重"))
    if not panels:
        return None
    return Plot("examples", "Attention-pooling weights of our needle-task models on the seed's sentence", panels,
                caption="The models were trained on long filler texts; these four-word sentences are written in the "
                "task's vocabulary.", title_zh="我们的关键词任务模型在原文例句上的注意力池化权重",
                caption_zh="模型是在填充词组成的长文本上训练的；这两个四词句子用任务的词表写成。")


def plots(ev: list[Evidence], outcomes: Outcomes, lengths: dict[str, int], budgets: dict[str, int]) -> list[Plot]:
    """Every figure's data, the headline (steps by pooling) first."""
    es = EvidenceSet(ev)

    def label(role: str, encoder: str) -> str:
        return f"{ENCODER_NAMES[encoder]} T={lengths[role]}"

    out = [_steps_plot(es, budgets, label), _accuracy_plot(es, label), _curves_plot(outcomes, label),
           _focus_plot(es, lengths["long"])]
    examples = _examples_plot(es)
    return out + ([examples] if examples else [])
