"""q6's figures' data: recall at a distance (the headline), the time ratios beside the FLOP ratios, and the
derivation's parameters and FLOPs per layer."""

from __future__ import annotations

from typing import Any

from attnlab.lab import rules
from attnlab.lab.spec import EvidenceSet
from attnlab.questions.q6_cost import names as N
from attnlab.questions.q6_cost.settings import (
    ATTENTION,
    CONV,
    LSTM_LAYER,
    MODELS,
    MODELS_ZH,
    SPEED_KERNEL,
    THRESHOLD,
)
from attnlab.results import Panel, Plot, RefLine, Series

__all__ = ["plots"]


def _series(es: EvidenceSet, label: str, xs: list[int], names: list[str], style: str = "solid",
            label_zh: str = "") -> Series:
    evs = [es[name] for name in names]
    nums = [None if isinstance(e.value, str) else e.number for e in evs]
    lo = [None if isinstance(e.value, str) else rules.interval(e)[0] for e in evs]
    hi = [None if isinstance(e.value, str) else rules.interval(e)[1] for e in evs]
    return Series(label, list(xs), nums, lo, hi, style=style, label_zh=label_zh)


def _at(es: EvidenceSet, model: str, distances: list[int]) -> list[int]:
    """The distances at which ``model`` was trained."""
    return [d for d in distances if N.acc(model, d) in es]


def _per_distance(es: EvidenceSet, distances: list[int], name: Any) -> list[Series]:
    out = []
    for m in MODELS:
        xs = _at(es, m, distances)
        out.append(_series(es, MODELS[m], xs, [name(m, d) for d in xs], label_zh=MODELS_ZH[m]))
    return out


def _timing(es: EvidenceSet, ns: list[int]) -> Panel:
    series = []
    for r, what, what_zh in ((LSTM_LAYER, "LSTM", "LSTM"), (CONV, f"conv k={SPEED_KERNEL}", f"卷积 k={SPEED_KERNEL}")):
        series.append(_series(es, f"vs {what} (measured)", ns, [N.time_ratio(r, n) for n in ns],
                              label_zh=f"相对{what_zh}（实测）"))
        series.append(_series(es, f"vs {what} (FLOPs)", ns, [N.flops_ratio(r, n) for n in ns], "dashed",
                              label_zh=f"相对{what_zh}（按 FLOPs）"))
    return Panel(title="Self-attention time / rival time", xlabel="n", ylabel="ratio", xscale="log2", yscale="log",
                 lines=[RefLine(1.0, "equal", label_zh="相等")], series=series,
                 title_zh="自注意力耗时 / 比较层耗时", xlabel_zh="n", ylabel_zh="比值")


def plots(es: EvidenceSet, distances: list[int], speed_runs: list[Any], flops_d: int) -> list[Plot]:
    """The figures of one run, from its evidence ``es``."""
    acc = Panel(title="Held-out accuracy at the query", xlabel="distance", ylabel="accuracy", ylim=(0, 1.05),
                series=_per_distance(es, distances, N.acc),
                lines=[RefLine(es[N.baseline(N.NO_MARKER)].number, "no-marker baseline (exact)",
                               label_zh="不看标记的基线（精确）"),
                       RefLine(THRESHOLD, "threshold", label_zh="阈值")],
                title_zh="查询位置上的留出准确率", xlabel_zh="距离", ylabel_zh="准确率")
    steps = Panel(title=f"Steps to {THRESHOLD} (median; missing: not reached)", xlabel="distance", ylabel="steps",
                  series=_per_distance(es, distances, N.steps),
                  title_zh=f"达到 {THRESHOLD} 的步数（中位数；缺点表示没有达到）", xlabel_zh="距离", ylabel_zh="步数")
    seeds = es[N.acc(ATTENTION, distances[0])].n
    headline = Plot("long_range", "Recall at a distance: attention vs LSTM vs dilated CNN (equal parameters)",
                    [acc, steps], caption=f"Mean over {seeds} seeds with 95% "
                    "intervals (left) and median steps to the threshold (right). The LSTM with torch's default init "
                    "is shown for contrast.", headline=True,
                    title_zh="隔一段距离回忆：注意力、LSTM 与空洞 CNN（参数量相同）",
                    caption_zh=f"左：{seeds} 个种子的平均值及 95% 区间；右：达到阈值所需步数的中位数。"
                               "用 PyTorch 默认初始化的 LSTM 作为对照一并画出。")
    out = [headline]
    if speed_runs:
        ns = [o.config["n"] for o in speed_runs]
        out.append(Plot("speed", "One layer's forward+backward time at a fixed number of tokens", [_timing(es, ns)],
                        caption="Solid: measured (geometric mean over repeats, 95% interval); dashed: what the FLOP "
                        "counts predict.", title_zh="词元总数固定时，单层前向+反向的耗时",
                        caption_zh="实线：实测（各次重复的几何平均及 95% 区间）；虚线：按 FLOP 计数预测的值。"))
    rows = es[N.PARAMS_TABLE].value
    layer_zh = {"self-attention": "自注意力", "Transformer block": "Transformer 块", "LSTM": "LSTM",
                "conv k=3": "卷积 k=3"}
    pk = Panel(title="Parameters per layer", xlabel="d", ylabel="parameters", xscale="log2", yscale="log",
               series=[Series(lbl, [r[0] for r in rows], [r[i] for r in rows], label_zh=layer_zh[lbl]) for i, lbl in
                       enumerate(["self-attention", "Transformer block", "LSTM", "conv k=3"], start=1)],
               title_zh="每层的参数量", xlabel_zh="d", ylabel_zh="参数量")
    frows = es[N.FLOPS_TABLE].value
    fk = Panel(title="Forward FLOPs per layer", xlabel="n", ylabel="FLOPs", xscale="log2", yscale="log",
               series=[Series(lbl, [r[0] for r in frows], [r[i] for r in frows], label_zh=layer_zh[lbl])
                       for i, lbl in enumerate(["self-attention", "LSTM", "conv k=3"], start=1)],
               title_zh="每层前向 FLOPs", xlabel_zh="n", ylabel_zh="FLOPs")
    out.append(Plot("cost", "Parameters and FLOPs per layer (derivation, counted on the modules)", [pk, fk],
                    caption="Left: parameters of one layer against its width d, counted on the modules. Right: "
                    f"forward FLOPs of one layer against the length n at d={flops_d}.",
                    title_zh="每层的参数量与 FLOPs（推导，在模块上计数）",
                    caption_zh=f"左：单层参数量随宽度 d 的变化，在模块上计数。右：d={flops_d} 时单层前向 FLOPs "
                               "随长度 n 的变化。"))
    return out
