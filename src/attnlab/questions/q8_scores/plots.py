"""q8's figures: steps to the threshold per score (the headline), final accuracy, learning curves, cost."""

from __future__ import annotations

from attnlab.analysis.curves import mean_curve
from attnlab.lab import rules
from attnlab.lab.spec import EvidenceSet, Outcomes
from attnlab.questions.q8_scores import evidence as E
from attnlab.questions.q8_scores.settings import HEAD_DIMS, MODELS, RNN, SCORES, THRESHOLD, TIMING_THREADS
from attnlab.results import Evidence, Panel, Plot, RefLine, Series

__all__ = ["plots"]


def _steps_panels(es: EvidenceSet) -> list[Panel]:
    panels = []
    for model in MODELS:
        budget = es[E.budget(model)].number
        ys = [es[E.steps(model, sc)].value for sc in SCORES]
        panels.append(Panel(kind="bar", title=E.describe(model), ylabel=f"median steps to {THRESHOLD} (budget if not "
                            "reached)", series=[Series("median steps", list(SCORES),
                                                       [budget if isinstance(y, str) else y for y in ys],
                                                       label_zh="步数中位数")],
                            lines=[RefLine(budget, "budget", label_zh="步数预算")], title_zh=E.describe(model, "zh"),
                            ylabel_zh=f"达到 {THRESHOLD} 的步数中位数（没有达到时记为预算）",
                            categories_zh=E.SCORE_ZH))
    return panels


def _accuracy_panels(es: EvidenceSet) -> list[Panel]:
    panels = []
    for model in MODELS:
        es_m = [es[E.acc(model, sc)] for sc in SCORES]
        kind = "rnn" if model == RNN else "transformer"
        lines = [RefLine(es[E.baseline(kind, "chance")].number, "chance", label_zh="随机猜测")]
        lines.append(RefLine(es[E.baseline("transformer", "no_lookup")].number, "no-lookup (exact)",
                             label_zh="不查找（精确）")
                     if kind == "transformer"
                     else RefLine(es[E.baseline("rnn", "bag_of_words")].number, "most frequent input symbol (exact)",
                                  label_zh="输入中最常见的符号（精确）"))
        panels.append(Panel(kind="bar", title=E.describe(model), ylabel="token accuracy at the end", ylim=(0, 1.02),
                            series=[Series("accuracy", list(SCORES), [e.number for e in es_m],
                                           [rules.interval(e)[0] for e in es_m],
                                           [rules.interval(e)[1] for e in es_m], label_zh="准确率")], lines=lines,
                            title_zh=E.describe(model, "zh"), ylabel_zh="结束时的词元准确率",
                            categories_zh=E.SCORE_ZH))
    return panels


def _curve_panels(outcomes: Outcomes) -> list[Panel]:
    panels = []
    for model in MODELS:
        series = []
        for sc in SCORES:
            runs = outcomes.where(score=sc, **E.where(model))
            at, means = mean_curve([o.measurements["curve"] for o in runs])
            series.append(Series(sc, at, means, label_zh=E.SCORE_ZH[sc]))
        panels.append(Panel(title=E.describe(model), xlabel="step", ylabel="accuracy", ylim=(0, 1.02), series=series,
                            lines=[RefLine(THRESHOLD, "threshold", label_zh="阈值")], title_zh=E.describe(model, "zh"),
                            xlabel_zh="训练步数", ylabel_zh="准确率"))
    return panels


def _cost_panels(es: EvidenceSet, t_mem: int) -> list[Panel]:
    ms_zh = "毫秒（各次重复的中位数）"
    return [Panel(kind="bar", title=f"time per training step (lookup, d_k={max(HEAD_DIMS)})",
                  ylabel="ms (median of repeats)",
                  series=[Series("ms", list(SCORES), [es[E.ms("step", sc)].number for sc in SCORES],
                                 label_zh="毫秒")],
                  title_zh=f"每个训练步的耗时（键值查找，d_k={max(HEAD_DIMS)}）", ylabel_zh=ms_zh,
                  categories_zh=E.SCORE_ZH),
            Panel(kind="bar", title="time per attention layer, forward + backward", ylabel="ms (median of repeats)",
                  yscale="log",
                  series=[Series("same materialising kernel", list(SCORES),
                                 [es[E.ms("layer_ref", sc)].number for sc in SCORES],
                                 label_zh="同一个显式构造权重矩阵的内核"),
                          Series("library's fast kernels", list(SCORES),
                                 [es[E.ms("layer", sc)].number for sc in SCORES], label_zh="库的快速内核")],
                  title_zh="每个注意力层前向 + 反向的耗时", ylabel_zh=ms_zh, categories_zh=E.SCORE_ZH),
            Panel(kind="bar", title=f"memory kept for backward, one layer, T={t_mem}", ylabel="MiB", yscale="log",
                  series=[Series("library's kernel", list(SCORES),
                                 [es[E.memory(sc, "auto")].value[-1] for sc in SCORES], label_zh="库的内核"),
                          Series("reference (materialised)", list(SCORES),
                                 [es[E.memory(sc, "reference")].value[-1] for sc in SCORES],
                                 label_zh="参考内核（显式构造）")],
                  title_zh=f"为反向传播保存的内存，一层，T={t_mem}", ylabel_zh="MiB", categories_zh=E.SCORE_ZH)]


def plots(ev: list[Evidence], outcomes: Outcomes) -> list[Plot]:
    """The four figures, drawn by the report from this data."""
    es = EvidenceSet(ev)
    headline = Plot("steps_by_score", "Steps to learn with each score: a Transformer at small and large d_k, and an "
                    "RNN encoder-decoder", _steps_panels(es), caption="Bars at the budget: at least half of the seeds "
                    "did not reach the threshold. Unscaled multiplicative scores (dot, general) at "
                    f"d_k = {max(HEAD_DIMS)} are the case of Britz et al. 2017.", headline=True,
                    title_zh="每种打分函数学会任务所需的步数：小 d_k 与大 d_k 的 Transformer，以及 RNN 编码器-解码器",
                    caption_zh=f"柱顶在预算处：至少一半种子没有达到阈值。d_k = {max(HEAD_DIMS)} 时未缩放的乘性打分"
                               "（点积、通用打分）就是 Britz et al. 2017 讨论的情形。")
    t_mem = outcomes.one(kind="memory").config["lengths"][-1]
    return [headline,
            Plot("accuracy_by_score", "Accuracy at the end of training (every run trains the same budget)",
                 _accuracy_panels(es), caption="Means over seeds with 95% intervals; dashed: exact trivial baselines.",
                 title_zh="训练结束时的准确率（每次都训练同样的步数）",
                 caption_zh="各种子的平均值及 95% 区间；虚线：精确的平凡基线。"),
            Plot("learning_curves", "Learning curves (mean over seeds)", _curve_panels(outcomes),
                 caption="Accuracy at each evaluation, mean over seeds; steps to the threshold are read off these "
                 "curves.", title_zh="学习曲线（各种子平均）",
                 caption_zh="每次评估时的准确率，对种子取平均；达到阈值的步数就从这些曲线上读出。"),
            Plot("cost_by_score", "Time and memory per score", _cost_panels(es, t_mem),
                 caption=f"Timings from one trial run after the others ({TIMING_THREADS} threads, alternating "
                 "repeats); memory is what autograd keeps for backward, measured, with the library's kernels "
                 "(SDPA for the bilinear scores, the chunked kernel for additive) and with the materialising "
                 "reference kernel.",
                 title_zh="每种打分函数的时间与内存",
                 caption_zh=f"计时来自在其他试验之后单独运行的一次试验（{TIMING_THREADS} 个线程，交替重复）；"
                            "内存是自动求导为反向传播实际保存的量，分别用库的内核（双线性形式的打分用 SDPA，"
                            "加性打分用分块内核）和显式构造权重矩阵的参考内核测得。")]
