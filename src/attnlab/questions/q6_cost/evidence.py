"""q6's aggregate: trial outcomes -> evidence (names in :mod:`~attnlab.questions.q6_cost.names`), plots, config.

The derivation's evidence is built in :mod:`~attnlab.questions.q6_cost.derivation`, the timings' in
:mod:`~attnlab.questions.q6_cost.timing`, the figures in :mod:`~attnlab.questions.q6_cost.plots`; marked recall's
(accuracy, steps, paired gains and steps ratios per distance, the CNN's reach) here.
"""

from __future__ import annotations

from attnlab.data import make_task
from attnlab.lab import protocol, stats
from attnlab.lab.spec import Aggregate, EvidenceSet, Outcomes
from attnlab.lab.timings import load_evidence
from attnlab.lab.tuning import sweep_evidence, sweep_plot
from attnlab.questions.q6_cost import names as N
from attnlab.questions.q6_cost.derivation import cost_evidence, flops_width
from attnlab.questions.q6_cost.models import cnn_reach
from attnlab.questions.q6_cost.plots import plots
from attnlab.questions.q6_cost.settings import (
    ACC,
    ATTENTION,
    CNN,
    CNN_DILATION_BASE,
    CNN_KERNEL,
    DIFF,
    LITERATURE,
    MODELS,
    MODELS_ZH,
    RIVALS,
    THRESHOLD,
    TRAINED,
)
from attnlab.questions.q6_cost.timing import speed_evidence
from attnlab.results import Evidence

__all__ = ["aggregate"]

LOAD_LABEL_ZH = "计时期间其他进程平均占用的 CPU 核数（取各计时试验中的最大值）"


def aggregate(outcomes: Outcomes) -> Aggregate:
    ev: list[Evidence] = []
    cost = outcomes.one(kind="cost")
    ev += cost_evidence(cost.config, cost.measurements)
    speed_runs = sorted(outcomes.where(kind="speed"), key=lambda o: o.config["n"])
    ev += speed_evidence(speed_runs)
    ev += load_evidence(speed_runs, label_zh=LOAD_LABEL_ZH)
    runs = outcomes.where(kind="train")
    first = runs[0].config
    distances = sorted({o.config["distance"] for o in runs})
    ev += _recall_evidence(outcomes, first, distances)
    ev.append(Evidence(N.EVAL_EVERY, first["eval_every"], unit="steps",
                       label="steps between evaluations (the fewest in which the threshold can be reached)",
                       label_zh="两次评估之间的步数（达到阈值最少需要的步数）"))
    ev.append(protocol.budget_evidence(N.STEPS_READ, runs,
                                       label="steps at which every recall run was read (every run trains its whole "
                                             "budget)", label_zh="每次回忆训练被读取时的步数（每次都训练满）"))
    sweep = outcomes.tuning
    if sweep is not None:
        ev.extend(sweep_evidence(sweep, lambda c: N.lr(c.key[0]), lambda c: (
            f"learning rate chosen: {MODELS[c.key[0]]} (tuned at distance {distances[-1]}, used at every distance)",
            f"选中的学习率：{MODELS_ZH[c.key[0]]}（在距离 {distances[-1]} 上调参，所有距离都用它）")))
    config = {"task": {**first["task"], "distances": distances}, "threshold": THRESHOLD,
              "widths": {m: outcomes.where(model=m)[0].config["d_model"] for m in TRAINED},
              "lr": {m: outcomes.where(kind="train", model=m)[0].config["lr"] for m in TRAINED},
              **{k: first[k] for k in ("budget", "steps", "batch_size", "eval_every", "eval_batches", "heldout")},
              "cnn": {"layers": first["cnn_layers"], "kernel": CNN_KERNEL, "dilation_base": CNN_DILATION_BASE},
              "speed": {k: speed_runs[0].config[k] for k in ("d_model", "tokens", "threads", "repeats")},
              "cost_grid": {k: cost.config[k] for k in ("ds", "ns", "ks")}}
    figures = plots(EvidenceSet(ev), distances, speed_runs, flops_width(cost.config["ds"]))
    if sweep is not None:
        figures.append(sweep_plot(sweep, name="q6_lr_sweep", group="model", line="model",
                                  title="Each model at its own learning rate", title_zh="每种模型各自的学习率",
                                  names_zh=MODELS_ZH))
    return Aggregate(ev, figures, config, LITERATURE)


def _recall_evidence(outcomes: Outcomes, first: dict, distances: list[int]) -> list[Evidence]:
    ev: list[Evidence] = []
    task0 = make_task("marked_recall", **first["task"])
    for name, value in task0.baselines().items():
        ev.append(Evidence(N.baseline(name), value, unit="accuracy", bounds=ACC,
                           label=f"{name.replace('_', '-')} baseline (exact): any predictor that ignores the marked "
                                 "token" if name == N.NO_MARKER else "chance baseline (exact)",
                           label_zh="不看标记基线（精确值）：任何忽略被标记词元的预测器" if name == N.NO_MARKER
                           else "随机猜测基线（精确值）"))
    for m in TRAINED:
        n_par = outcomes.values("n_parameters", model=m, distance=distances[0])[0]
        width = outcomes.where(model=m)[0].config["d_model"]
        ev.append(Evidence(N.params(m), float(n_par), unit="parameters",
                           label=f"{MODELS[m]}: parameters (width {width}"
                                 + (f", {first['cnn_layers']} layers)" if m == CNN else ")"),
                           label_zh=f"{MODELS_ZH[m]}：参数量（宽度 {width}"
                                    + (f"，{first['cnn_layers']} 层）" if m == CNN else "）")))
    for dist in distances:
        here = [m for m in TRAINED if outcomes.where(kind="train", model=m, distance=dist)]
        for m in here:
            where = dict(kind="train", model=m, distance=dist)
            what, what_zh = f"{MODELS[m]}, distance {dist}", f"{MODELS_ZH[m]}，距离 {dist}"
            ev.append(stats.evidence_from(N.acc(m, dist), outcomes.values("heldout_accuracy", **where),
                                          label=f"held-out accuracy: {what}", unit="accuracy", bounds=ACC,
                                          label_zh=f"留出数据上的准确率：{what_zh}"))
            ev.append(stats.steps_evidence(N.steps(m, dist), outcomes.values("steps_to_threshold", **where),
                                           first["steps"], label=f"steps to {THRESHOLD} accuracy: {what}",
                                           label_zh=f"达到 {THRESHOLD} 准确率所需步数：{what_zh}"))
        att = dict(kind="train", model=ATTENTION, distance=dist)
        for r in here[1:]:
            rv = dict(kind="train", model=r, distance=dist)
            ev.append(stats.paired_evidence(
                N.gain(r, dist), outcomes.values("heldout_accuracy", **att),
                outcomes.values("heldout_accuracy", **rv), unit="accuracy", bounds=DIFF,
                label=f"held-out accuracy, attention - {MODELS[r]}, distance {dist} (paired by seed)",
                label_zh=f"留出准确率之差：注意力减去 {MODELS_ZH[r]}，距离 {dist}（按种子配对）"))
            ev.append(stats.paired_ratio_evidence(
                N.steps_ratio(r, dist), outcomes.values("steps_to_threshold", **rv),
                outcomes.values("steps_to_threshold", **att), unit="x",
                label=f"steps to {THRESHOLD}, {MODELS[r]} / attention, distance {dist} (seeds where both reached it)",
                label_zh=f"达到 {THRESHOLD} 的步数之比：{MODELS_ZH[r]} / 注意力，距离 {dist}（仅计两者都达到的种子）"))
    lo, hi = distances[0], distances[-1]
    for r in RIVALS:
        def rel(dist: int, r: str = r) -> list[float | None]:
            a = outcomes.values("steps_to_threshold", kind="train", model=ATTENTION, distance=dist)
            b = outcomes.values("steps_to_threshold", kind="train", model=r, distance=dist)
            return [None if x is None or y is None else y / x for x, y in zip(a, b, strict=True)]
        ev.append(stats.paired_ratio_evidence(
            N.steps_growth(r), rel(hi), rel(lo), unit="x",
            label=f"({MODELS[r]} / attention steps at distance {hi}) / (the same at distance {lo}): > 1 when the "
                  "rival's learning cost grows with distance faster than attention's",
            label_zh=f"（距离 {hi} 时 {MODELS_ZH[r]} / 注意力的步数之比）/（距离 {lo} 时的同一比值）：大于 1 表示"
                     "该模型的学习代价随距离增长得比注意力快"))
    reach = outcomes.values("reach", kind="train", model=CNN, distance=distances[-1])
    ev.append(Evidence(N.CNN_REACH, float(min(reach)), unit="positions", n=len(reach), per_seed=reach,
                       label=f"dilated CNN: farthest input offset the last position depends on (fewest over seeds; "
                             f"by design (k-1)/2 · Σ dilations = {cnn_reach(first['cnn_layers'])})",
                       label_zh=f"空洞 CNN：最后一个位置所依赖的最远输入偏移（各种子中的最小值；按设计为"
                                f"（k-1）/2 · Σ 膨胀率 = {cnn_reach(first['cnn_layers'])}）"))
    return ev
