"""q3's evidence: trial outcomes -> named evidence (the names are defined here, once) and plot data."""

from __future__ import annotations

from typing import Any

import torch

from attnlab.data import make_task
from attnlab.lab import protocol, stats
from attnlab.lab.spec import Aggregate, Outcomes
from attnlab.lab.tuning import sweep_evidence, sweep_plot
from attnlab.questions.q3_scaling.plots import plots
from attnlab.questions.q3_scaling.settings import (
    EARLY,
    PROBE_STEPS,
    REFERENCE,
    SATURATED_AT,
    TASK,
    TEMPERATURES,
    THRESHOLD,
    VASWANI,
)
from attnlab.results import Evidence

# ---- evidence names ----
D_KS = "d_ks"
BUDGET = "budget_steps"
STEPS_READ = "read_at_step"
EVAL_EVERY = "eval_every"
SOFTMAX_EXAMPLE = "softmax_1_2_10_max"
BASELINE_NO_LOOKUP = "baseline_no_lookup"
_SHORT = {"1": "unscaled", "1/sqrt(d_k)": "sqrt", "1/d_k": "dk"}


def _key(d_k: int, temp: str) -> str:
    return f"dk{d_k}_{_SHORT[temp]}"


def acc(d_k: int, temp: str) -> str:
    return f"acc_{_key(d_k, temp)}"


def lr(d_k: int, temp: str) -> str:
    """The learning rate the sweep chose for the condition."""
    return f"lr_{_key(d_k, temp)}"


def steps(d_k: int, temp: str) -> str:
    return f"steps_{_key(d_k, temp)}"


def init_max_weight(d_k: int, temp: str) -> str:
    return f"init_max_weight_{_key(d_k, temp)}"


def sat_wrong(d_k: int, temp: str) -> str:
    return f"sat_wrong_{_key(d_k, temp)}"


def grad(d_k: int, temp: str) -> str:
    return f"grad_{_key(d_k, temp)}"


def steps_ratio(d_k: int, temp: str) -> str:
    """Steps to the threshold of ``temp`` over the reference's (paired)."""
    return f"steps_ratio_{_key(d_k, temp)}"


def grad_ratio(d_k: int, temp: str) -> str:
    """‖∂L/∂s‖ early in training of ``temp`` over the reference's (paired)."""
    return f"grad_ratio_{_key(d_k, temp)}"


def grad_wq_ratio(d_k: int, temp: str) -> str:
    """‖∂L/∂W_Q‖ early in training of ``temp`` over the reference's (paired)."""
    return f"grad_wq_ratio_{_key(d_k, temp)}"


def sat_wrong_gain(d_k: int, temp: str) -> str:
    """Rows saturated on a wrong key early in training, ``temp`` minus the reference (paired)."""
    return f"sat_wrong_gain_{_key(d_k, temp)}"


# ---- aggregate ----
ACC = (0.0, 1.0)
BASELINE_ZH = {"chance": "随机猜测", "no_lookup": "不查找（猜上下文中最常见的值）"}
_EARLY_EN, _EARLY_ZH = "in early training (steps 25-100)", "训练初期（第 25-100 步）"


def early(m: dict[str, Any], stat: str) -> float:
    """Mean of a probe statistic over the early-training probes the run reached (init if none)."""
    values = [m["probes"][s][stat] for s in EARLY if s in m["probes"]] or [m["probes"]["0"][stat]]
    return sum(values) / len(values)


def _per_condition(outcomes: Outcomes, dk: int, t: str) -> list[Evidence]:
    what, what_zh = f"d_k={dk}, logits × {t}", f"d_k={dk}，logits 乘以 {t}"
    runs = [o.measurements for o in outcomes.where(d_k=dk, temperature=t)]
    budget = outcomes[0].config["steps"]
    return [
        stats.evidence_from(acc(dk, t), [m["accuracy"] for m in runs], label=f"accuracy: {what}", unit="accuracy",
                            bounds=ACC, label_zh=f"准确率：{what_zh}"),
        stats.steps_evidence(steps(dk, t), [m["steps_to_threshold"] for m in runs], budget,
                             label=f"steps to {THRESHOLD}: {what}", label_zh=f"达到 {THRESHOLD} 所需步数：{what_zh}"),
        stats.evidence_from(init_max_weight(dk, t), [m["probes"]["0"]["max_weight"] for m in runs],
                            label=f"largest weight of a query row at initialisation: {what}", unit="weight",
                            bounds=ACC, label_zh=f"初始化时查询行的最大权重：{what_zh}"),
        stats.evidence_from(sat_wrong(dk, t), [early(m, "saturated_wrong") for m in runs],
                            label=f"query rows saturated (> {SATURATED_AT}) on a wrong key {_EARLY_EN}: {what}",
                            unit="fraction", bounds=ACC,
                            label_zh=f"{_EARLY_ZH}饱和（> {SATURATED_AT}）在错误键上的查询行比例：{what_zh}"),
        stats.evidence_from(grad(dk, t), [early(m, "grad_scores") for m in runs],
                            label=f"mean ‖∂L/∂s‖ of a query row {_EARLY_EN}: {what}", unit="norm", bounds=(0, None),
                            label_zh=f"{_EARLY_ZH}查询行 ‖∂L/∂s‖ 的平均值：{what_zh}"),
    ]


def _paired(outcomes: Outcomes, dk: int, t: str) -> list[Evidence]:
    ref = [o.measurements for o in outcomes.where(d_k=dk, temperature=REFERENCE)]
    other = [o.measurements for o in outcomes.where(d_k=dk, temperature=t)]
    return [
        stats.paired_ratio_evidence(
            steps_ratio(dk, t), [m["steps_to_threshold"] for m in other], [m["steps_to_threshold"] for m in ref],
            label=f"steps to {THRESHOLD}, logits × {t} over × 1/√d_k, d_k={dk} (seeds where both reached it)",
            unit="x", label_zh=f"达到 {THRESHOLD} 的步数之比：乘 {t} 比乘 1/√d_k，d_k={dk}（仅计两者都达到的种子）"),
        stats.paired_ratio_evidence(
            grad_ratio(dk, t), [early(m, "grad_scores") for m in other], [early(m, "grad_scores") for m in ref],
            label=f"‖∂L/∂s‖ {_EARLY_EN}, logits × {t} over × 1/√d_k, d_k={dk}", unit="x",
            label_zh=f"{_EARLY_ZH}的 ‖∂L/∂s‖ 之比：乘 {t} 比乘 1/√d_k，d_k={dk}"),
        stats.paired_ratio_evidence(
            grad_wq_ratio(dk, t), [early(m, "grad_w_q") for m in other], [early(m, "grad_w_q") for m in ref],
            label=f"‖∂L/∂W_Q‖ {_EARLY_EN}, logits × {t} over × 1/√d_k, d_k={dk}", unit="x",
            label_zh=f"{_EARLY_ZH}的 ‖∂L/∂W_Q‖ 之比：乘 {t} 比乘 1/√d_k，d_k={dk}"),
        stats.paired_evidence(
            sat_wrong_gain(dk, t), [early(m, "saturated_wrong") for m in other],
            [early(m, "saturated_wrong") for m in ref],
            label=f"rows saturated on a wrong key {_EARLY_EN}, logits × {t} minus × 1/√d_k, d_k={dk}",
            unit="fraction", bounds=(-1.0, 1.0),
            label_zh=f"{_EARLY_ZH}饱和在错误键上的行比例之差：乘 {t} 减去乘 1/√d_k，d_k={dk}"),
    ]


def aggregate(outcomes: Outcomes) -> Aggregate:
    first = outcomes[0].config
    dks = sorted({o.config["d_k"] for o in outcomes})
    task = make_task("lookup", **TASK)
    ev: list[Evidence] = [Evidence(f"baseline_{k}", v, unit="accuracy", bounds=ACC,
                                   label=f"{k.replace('_', '-')} baseline (exact)",
                                   label_zh=f"{BASELINE_ZH[k]}基线（精确值）")
                          for k, v in task.baselines().items()]
    ev.append(Evidence(D_KS, dks, unit="d_k", label="head widths compared (d_model fixed)",
                       label_zh="比较的每头维度（d_model 固定）"))
    ev.append(Evidence(BUDGET, first["steps"], unit="steps",
                       label="training budget per run (every run trains all of it)",
                       label_zh="每次训练的步数预算（每次都训练满）"))
    ev.append(Evidence(EVAL_EVERY, first["eval_every"], unit="steps",
                       label="steps between evaluations (the fewest in which the threshold can be reached)",
                       label_zh="两次评估之间的步数（达到阈值最少需要的步数）"))
    ev.append(protocol.budget_evidence(STEPS_READ, outcomes, label="steps at which every run was read",
                                       label_zh="每次运行被读取时的步数"))
    sweep = outcomes.tuning
    if sweep is not None:
        ev.extend(sweep_evidence(sweep, lambda c: lr(*c.key), lambda c: (
            f"learning rate chosen: d_k={c.key[0]}, logits × {c.key[1]}",
            f"选中的学习率：d_k={c.key[0]}，logits 乘以 {c.key[1]}")))
    example = torch.softmax(torch.tensor([1.0, 2.0, 10.0], dtype=torch.float64), 0)[-1]
    ev.append(Evidence(SOFTMAX_EXAMPLE, float(example), unit="weight", bounds=(0.0, 1.0),
                       label="softmax([1, 2, 10]): weight on the largest (the seed's example)",
                       label_zh="softmax([1, 2, 10]) 中最大项的权重（原文的例子）", ci_method="exact"))
    for dk in dks:
        for t in TEMPERATURES:
            ev.extend(_per_condition(outcomes, dk, t))
        for t in ("1", "1/d_k"):
            ev.extend(_paired(outcomes, dk, t))
    config = {"task": {"name": "lookup", **TASK}, "d_ks": dks, "temperatures": list(TEMPERATURES),
              "threshold": THRESHOLD, "saturated_at": SATURATED_AT, "probe_steps": list(PROBE_STEPS),
              **{k: first[k] for k in ("d_model", "n_heads", "steps", "batch_size", "eval_every")},
              "lr": {f"d_k={o.config['d_k']}, x {o.config['temperature']}": o.config["lr"] for o in outcomes}}
    figures = plots(ev, outcomes, dks)
    if sweep is not None:
        figures.append(sweep_plot(sweep, name="q3_lr_sweep", group="d_k", line="temperature",
                                  title="Each temperature at its own learning rate",
                                  title_zh="每种温度各自的学习率"))
    return Aggregate(ev, figures, config, [VASWANI])
