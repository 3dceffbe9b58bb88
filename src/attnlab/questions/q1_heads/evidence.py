"""q1's evidence: trial outcomes -> named evidence (the names are defined here, once) and plot data."""

from __future__ import annotations

import dataclasses
from typing import Any

from attnlab.data import make_task
from attnlab.lab import protocol, stats
from attnlab.lab.spec import Aggregate, Outcomes
from attnlab.lab.tuning import sweep_evidence, sweep_plot
from attnlab.lab.words import pct
from attnlab.questions.q1_heads.explorer import explorer_map
from attnlab.questions.q1_heads.settings import (
    ARM_EN,
    ARM_ZH,
    ARMS,
    BASELINE_ZH,
    FIXED_STEP,
    LITERATURE,
    MINILM_KEEP,
    PRUNE_TOL,
    RANDOM_ORDERS,
    RELATIONS,
    ROLE_MASS,
    TASK_ZH,
    TASKS,
    THRESHOLD,
)
from attnlab.results import Evidence

# ---- evidence names ----
HEADS = "heads"  # the head counts compared, smallest first
FIXED_DK = "fixed_d_k"  # the head width of the second arm
D_MODEL = "d_model"
EVAL_EVERY = "eval_every"
RELATIONS_COVERED = "relations_covered"  # relations whose heads hold most of their weight there and are used
RELATIONS_TARGETED = "relations_targeted"  # relations that are some head's dominant target (used or not)
HEAD_ROLES = "head_roles"
MINILM_PRUNABLE = "minilm_prunable"
MINILM_PRUNABLE_RANDOM = "minilm_prunable_random"
MINILM_CURVE = "minilm_curve"
MINILM_RANDOM_CURVE = "minilm_random_curve"


def _arm(arm: str) -> str:
    return "" if arm == ARMS[0] else "_fixed_dk"


def budget(task: str) -> str:
    """The steps every run on ``task`` trains (no early stop)."""
    return f"budget_steps_{task}"


def read_at(task: str) -> str:
    """The distinct steps at which the runs on ``task`` were read (one when the budget was equal)."""
    return f"read_at_step_{task}"


def baseline(task: str, kind: str) -> str:
    return f"baseline_{task}_{kind}"


def acc(task: str, h: int, arm: str = ARMS[0]) -> str:
    """Held-out accuracy at the end of the budget."""
    return f"acc_{task}_h{h}{_arm(arm)}"


def acc_fixed(task: str, h: int, arm: str = ARMS[0]) -> str:
    """Accuracy at FIXED_STEP (from the evaluation curve)."""
    return f"acc_fixed_{task}_h{h}{_arm(arm)}"


def lr(task: str, h: int, arm: str = ARMS[0]) -> str:
    """The learning rate the sweep chose for the condition."""
    return f"lr_{task}_h{h}{_arm(arm)}"


def steps(task: str, h: int, arm: str = ARMS[0]) -> str:
    return f"steps_{task}_h{h}{_arm(arm)}"


def steps_ratio(task: str, top: int, h: int, arm: str = ARMS[0]) -> str:
    """Steps to the threshold with ``top`` heads over ``h`` heads (paired)."""
    return f"steps_ratio_{task}_h{top}_h{h}{_arm(arm)}"


def acc_gain(task: str, top: int, h: int, arm: str = ARMS[0]) -> str:
    """Accuracy at FIXED_STEP with ``top`` heads minus ``h`` heads (paired)."""
    return f"acc_gain_{task}_h{top}_h{h}{_arm(arm)}"


def prunable(task: str) -> str:
    return f"prunable_{task}"


def prunable_random(task: str) -> str:
    return f"prunable_random_{task}"


def one_head(task: str) -> str:
    return f"one_head_{task}"


def prune_curve(task: str) -> str:
    return f"prune_curve_{task}"


def prune_random_curve(task: str) -> str:
    return f"prune_random_curve_{task}"


def head_counts(ev: Any) -> list[int]:
    """The head counts compared, smallest first (from the evidence by name)."""
    return [int(h) for h in ev[HEADS].value]


def arms(ev: Any) -> list[str]:
    """The arms of the run: d_model fixed, and the head width fixed where the run has that arm."""
    return [a for a in ARMS if steps(TASKS_FIRST, head_counts(ev)[-1], a) in ev]


TASKS_FIRST = next(iter(TASKS))


def pruned_heads(ev: Any) -> int:
    """The head count whose heads are ranked, pruned and given roles (one point of its pruning curve per head)."""
    return len(ev[prune_curve("multi")].value)


# ---- aggregate ----
ACC = (0.0, 1.0)


def runs(outcomes: Outcomes, task: str, h: int, arm: str, d_model: int, d_k: int) -> list[Any]:
    """The trials of one condition (the fixed-width arm's count whose width is d_k is the first arm's model)."""
    if arm == ARMS[1] and d_model // h == d_k:
        arm = ARMS[0]
    return list(outcomes.where(kind="train", task=task, arm=arm, heads=h))


def _per_arm(outcomes: Outcomes, t: str, heads: list[int], first: dict[str, Any], arm: str) -> list[Evidence]:
    tz, ev = TASK_ZH[t], []
    d_model, d_k = first["d_model"], first["d_k"]
    for h in heads:
        ms = [o.measurements for o in runs(outcomes, t, h, arm, d_model, d_k)]
        width = d_model // h if arm == ARMS[0] else d_k
        what = f"{t} task, h={h} (head width {width}, {ARM_EN[arm]})"
        what_zh = f"{tz}任务，h={h}（每头维度 {width}，{ARM_ZH[arm]}）"
        ev.append(stats.evidence_from(acc(t, h, arm), [m["accuracy"] for m in ms],
                                      label=f"held-out accuracy at the end of the budget: {what}", unit="accuracy",
                                      bounds=ACC, label_zh=f"训练满预算后的留出准确率：{what_zh}"))
        ev.append(stats.evidence_from(acc_fixed(t, h, arm), [m["accuracy_at_fixed_step"] for m in ms],
                                      label=f"accuracy at step {FIXED_STEP} (from the evaluation curve): {what}",
                                      unit="accuracy", bounds=ACC,
                                      label_zh=f"第 {FIXED_STEP} 步的准确率（从评估曲线读出）：{what_zh}"))
        ev.append(stats.steps_evidence(steps(t, h, arm), [m["steps_to_threshold"] for m in ms],
                                       _budget(outcomes, t),
                                       label=f"steps to {THRESHOLD} (read from the curve): {what}",
                                       label_zh=f"达到 {THRESHOLD} 所需步数（从评估曲线读出）：{what_zh}"))
    top = heads[-1]
    big = [o.measurements for o in runs(outcomes, t, top, arm, d_model, d_k)]
    for h in heads[:-1]:
        small = [o.measurements for o in runs(outcomes, t, h, arm, d_model, d_k)]
        ev.append(stats.paired_ratio_evidence(
            steps_ratio(t, top, h, arm), [m["steps_to_threshold"] for m in big],
            [m["steps_to_threshold"] for m in small],
            label=f"{t} task, {ARM_EN[arm]}: steps to {THRESHOLD} with h={top} over h={h} (seeds where both "
                  "reached it)", unit="x",
            label_zh=f"{tz}任务，{ARM_ZH[arm]}：h={top} 与 h={h} 达到 {THRESHOLD} 的步数之比（仅计两者都达到的种子）"))
        ev.append(stats.paired_evidence(
            acc_gain(t, top, h, arm), [m["accuracy_at_fixed_step"] for m in big],
            [m["accuracy_at_fixed_step"] for m in small],
            label=f"{t} task, {ARM_EN[arm]}: accuracy at step {FIXED_STEP}, h={top} minus h={h}", unit="accuracy",
            bounds=(-1, 1), label_zh=f"{tz}任务，{ARM_ZH[arm]}：第 {FIXED_STEP} 步准确率，h={top} 减 h={h}"))
    return ev


def _budget(outcomes: Outcomes, t: str) -> int:
    return int(outcomes.where(kind="train", task=t)[0].config["steps"])


def _per_task(outcomes: Outcomes, t: str, heads: list[int], first: dict[str, Any]) -> list[Evidence]:
    tz = TASK_ZH[t]
    ev = [Evidence(baseline(t, k), v, unit="accuracy", bounds=ACC, label=f"{t} task: {k.replace('_', '-')} "
                   "baseline (exact)", label_zh=f"{tz}任务：{BASELINE_ZH.get(k, k)}基线（精确值）")
          for k, v in make_task("multi_relation", **TASKS[t]).baselines().items()]
    train = outcomes.where(kind="train", task=t)
    ev.append(Evidence(budget(t), _budget(outcomes, t), unit="steps", label=f"{t} task: training budget per run "
                       "(every run trains all of it)", label_zh=f"{tz}任务：每次训练的步数预算（每次都训练满）"))
    ev.append(protocol.budget_evidence(read_at(t), train, label=f"{t} task: steps at which every run was read",
                                       label_zh=f"{tz}任务：每次运行被读取时的步数"))
    for arm in sorted({o.config["arm"] for o in train}, key=ARMS.index):
        ev += _per_arm(outcomes, t, heads, first, arm)
    ph = first["prune_heads"]
    pruned = [o.measurements for o in outcomes.where(kind="train", task=t, arm=ARMS[0], heads=ph)]
    ev.append(stats.evidence_from(prunable(t), [m["prunable"] for m in pruned], unit="fraction", bounds=ACC,
                                  label=f"{t} task, h={ph}: share of heads removable (importance order, no "
                                        f"retraining) within {PRUNE_TOL} accuracy",
                                  label_zh=f"{tz}任务，h={ph}：按重要性删去、不重训、准确率下降不超过 {PRUNE_TOL} "
                                           "时可删的头的比例"))
    ev.append(stats.evidence_from(prunable_random(t), [m["prunable_random"] for m in pruned], unit="fraction",
                                  bounds=ACC, label=f"{t} task, h={ph}: the same in random order "
                                                    f"({RANDOM_ORDERS} orders)",
                                  label_zh=f"{tz}任务，h={ph}：同上，随机顺序（{RANDOM_ORDERS} 种顺序）"))
    ev.append(stats.evidence_from(one_head(t), [m["one_head"] for m in pruned], unit="accuracy", bounds=ACC,
                                  label=f"{t} task, h={ph}: accuracy keeping only the most important head",
                                  label_zh=f"{tz}任务，h={ph}：只保留最重要的一个头时的准确率"))
    ev.append(Evidence(prune_curve(t), [sum(m["prune_curve"][i] for m in pruned) / len(pruned) for i in range(ph)],
                       unit="accuracy",
                       label=f"{t} task: accuracy at 0..{ph - 1} heads removed by importance (mean of seeds)",
                       label_zh=f"{tz}任务：按重要性删去 0..{ph - 1} 个头时的准确率（种子平均）"))
    ev.append(Evidence(prune_random_curve(t), [sum(m["prune_random"][i] for m in pruned) / len(pruned)
                                               for i in range(ph)], unit="accuracy",
                       label=f"{t} task: the same in random order", label_zh=f"{tz}任务：同上，随机顺序"))
    return ev


def _minilm(mini: dict[str, Any]) -> list[Evidence]:
    if "unavailable" in mini:
        return []
    keep, n_eval = pct(MINILM_KEEP), mini["n_eval"]
    return [Evidence(MINILM_PRUNABLE, mini["prunable"], unit="fraction", bounds=ACC,
                     label=f"all-MiniLM-L6-v2: share of its 72 heads removable (importance order) with >= {keep} of "
                           f"{n_eval} sentences keeping their nearest neighbour",
                     label_zh=f"all-MiniLM-L6-v2：按重要性删头，{n_eval} 个句子中至少 {keep} 保持最近邻不变时，"
                              "72 个头中可删的比例",
                     ci_method="one model, one corpus sample: no interval"),
            Evidence(MINILM_PRUNABLE_RANDOM, mini["prunable_random"], unit="fraction", bounds=ACC,
                     label="all-MiniLM-L6-v2: the same in random order", label_zh="all-MiniLM-L6-v2：同上，随机顺序"),
            Evidence(MINILM_CURVE, mini["curve"], unit="agreement",
                     label="all-MiniLM-L6-v2: nearest-neighbour agreement at 0, 10, ..., 90% of heads removed",
                     label_zh="all-MiniLM-L6-v2：删去 0%、10%……90% 的头时最近邻一致的比例"),
            Evidence(MINILM_RANDOM_CURVE, mini["random_curve"], unit="agreement",
                     label="all-MiniLM-L6-v2: the same in random order", label_zh="all-MiniLM-L6-v2：同上，随机顺序")]


def aggregate(outcomes: Outcomes) -> Aggregate:
    from attnlab.questions.q1_heads.plots import plots

    train = outcomes.where(kind="train")
    first = train[0].config
    heads = sorted({o.config["heads"] for o in train})
    ph = first["prune_heads"]
    ev: list[Evidence] = [Evidence(HEADS, heads, unit="heads", label="head counts compared (at d_model fixed, and "
                                   "at the head width fixed)", label_zh="比较的头数（d_model 固定；每头维度固定）"),
                          Evidence(FIXED_DK, first["d_k"], unit="d_k", label="head width of the fixed-width arm",
                                   label_zh="每头维度固定组的每头维度"),
                          Evidence(D_MODEL, first["d_model"], unit="d_model", label="model width (both arms)",
                                   label_zh="模型宽度（两组相同）"),
                          Evidence(EVAL_EVERY, first["eval_every"], unit="steps", label="steps between evaluations "
                                   "(the fewest in which the threshold can be reached)",
                                   label_zh="两次评估之间的步数（达到阈值最少需要的步数）")]
    for t in TASKS:
        ev += _per_task(outcomes, t, heads, first)
    sweep = outcomes.tuning
    if sweep is not None:
        ev.extend(sweep_evidence(sweep, lambda c: lr(c.key[0], c.key[2], c.key[1]), lambda c: (
            f"learning rate chosen: {c.key[0]} task, h={c.key[2]}, {ARM_EN[c.key[1]]}",
            f"选中的学习率：{TASK_ZH[c.key[0]]}任务，h={c.key[2]}，{ARM_ZH[c.key[1]]}")))
    pruned = [o.measurements for o in outcomes.where(kind="train", task="multi", arm=ARMS[0], heads=ph)]
    roles = [m["roles"] for m in pruned]
    targeted = [sum(r in heads_roles for r in RELATIONS) for heads_roles in roles]
    covered = [sum(d is not None and d > PRUNE_TOL for d in m["relation_drops"].values()) for m in pruned]
    ev.append(stats.evidence_from(RELATIONS_COVERED, covered, unit="relations", bounds=(0, len(RELATIONS)),
                                  label=f"multi task, h={ph}: relations (of {len(RELATIONS)}) that are some head's "
                                        f"dominant target (> {ROLE_MASS} of its weight) and whose heads are used "
                                        f"(masking them together costs > {PRUNE_TOL} accuracy)",
                                  label_zh=f"三关系任务，h={ph}：{len(RELATIONS)} 个关系中，成为某个头主要目标"
                                           f"（占其权重 > {ROLE_MASS}）且这些头确实被用到（一起屏蔽后准确率下降 > "
                                           f"{PRUNE_TOL}）的个数"))
    ev.append(stats.evidence_from(RELATIONS_TARGETED, targeted, unit="relations", bounds=(0, len(RELATIONS)),
                                  label=f"multi task, h={ph}: relations that are some head's dominant target, used "
                                        "or not (a head parked on the first token counts here)",
                                  label_zh=f"三关系任务，h={ph}：成为某个头主要目标的关系个数，不论是否被用到"
                                           "（停在首个词元上的头也计入）"))
    ev.append(Evidence(HEAD_ROLES, roles, unit="role per head", label=f"multi task, h={ph}: each head's dominant "
                       "relative offset (or 'first'), per seed",
                       label_zh=f"三关系任务，h={ph}：每个种子中各头主要关注的相对位置（或首个词元）"))
    mini = outcomes.one(kind="minilm").measurements
    ev += _minilm(mini)
    config = {"tasks": TASKS, "heads": heads, "threshold": THRESHOLD, "fixed_step": FIXED_STEP,
              "prune_tol": PRUNE_TOL, "steps": {t: _budget(outcomes, t) for t in TASKS},
              **{k: first[k] for k in ("d_model", "d_k", "batch_size", "eval_every", "prune_heads")},
              "lr": {f"{o.config['task']}, h={o.config['heads']}, {ARM_EN[o.config['arm']]}": o.config["lr"]
                     for o in train}}
    maps = [explorer_map(mini)] if "unavailable" not in mini and "tokens" in mini else []
    figures = plots(ev, outcomes, heads, ph)
    for arm in ARMS if sweep is not None else ():
        part = dataclasses.replace(sweep, conditions=tuple(c for c in sweep.conditions if c.key[1] == arm))
        if part.conditions:
            figures.append(sweep_plot(part, name=f"q1_lr_sweep{_arm(arm)}", group="task", line="heads",
                                      title=f"Each head count at its own learning rate ({ARM_EN[arm]})",
                                      title_zh=f"每种头数各自的学习率（{ARM_ZH[arm]}）", group_zh="任务",
                                      names_zh=TASK_ZH))
    return Aggregate(ev, figures, config, list(LITERATURE), maps)
