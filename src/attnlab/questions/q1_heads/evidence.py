"""q1's evidence: trial outcomes -> named evidence (the names are defined here, once) and plot data."""

from __future__ import annotations

from typing import Any

from attnlab.data import make_task
from attnlab.lab import stats
from attnlab.lab.spec import Aggregate, Outcomes
from attnlab.lab.words import pct
from attnlab.questions.q1_heads.explorer import explorer_focus
from attnlab.questions.q1_heads.settings import (
    BASELINE_ZH,
    EXAMPLE,
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
from attnlab.results import AttentionMap, Evidence

# ---- evidence names ----
HEADS = "heads"  # the head counts compared, smallest first
BUDGET = "budget_steps"
RELATIONS_COVERED = "relations_covered"
HEAD_ROLES = "head_roles"
MINILM_PRUNABLE = "minilm_prunable"
MINILM_PRUNABLE_RANDOM = "minilm_prunable_random"
MINILM_CURVE = "minilm_curve"
MINILM_RANDOM_CURVE = "minilm_random_curve"


def baseline(task: str, kind: str) -> str:
    return f"baseline_{task}_{kind}"


def acc(task: str, h: int) -> str:
    """Accuracy when training stopped."""
    return f"acc_{task}_h{h}"


def acc_fixed(task: str, h: int) -> str:
    """Accuracy at FIXED_STEP (or at an earlier stop)."""
    return f"acc_fixed_{task}_h{h}"


def steps(task: str, h: int) -> str:
    return f"steps_{task}_h{h}"


def steps_ratio(task: str, top: int, h: int) -> str:
    """Steps to the threshold with ``top`` heads over ``h`` heads (paired)."""
    return f"steps_ratio_{task}_h{top}_h{h}"


def acc_gain(task: str, top: int, h: int) -> str:
    """Accuracy at FIXED_STEP with ``top`` heads minus ``h`` heads (paired)."""
    return f"acc_gain_{task}_h{top}_h{h}"


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


def pruned_heads(ev: Any) -> int:
    """The head count whose heads are ranked, pruned and given roles (one point of its pruning curve per head)."""
    return len(ev[prune_curve("multi")].value)


# ---- aggregate ----
ACC = (0.0, 1.0)


def _per_task(outcomes: Outcomes, t: str, heads: list[int], first: dict[str, Any]) -> list[Evidence]:
    tz = TASK_ZH[t]
    ev = [Evidence(baseline(t, k), v, unit="accuracy", bounds=ACC, label=f"{t} task: {k.replace('_', '-')} "
                   "baseline (exact)", label_zh=f"{tz}任务：{BASELINE_ZH.get(k, k)}基线（精确值）")
          for k, v in make_task("multi_relation", **TASKS[t]).baselines().items()]
    for h in heads:
        runs = [o.measurements for o in outcomes.where(kind="train", task=t, heads=h)]
        what = f"{t} task, h={h} (head width {first['d_model'] // h})"
        what_zh = f"{tz}任务，h={h}（每头维度 {first['d_model'] // h}）"
        ev.append(stats.evidence_from(acc(t, h), [m["accuracy"] for m in runs],
                                      label=f"accuracy when training stopped: {what}", unit="accuracy",
                                      bounds=ACC, label_zh=f"训练停止时的准确率：{what_zh}"))
        ev.append(stats.evidence_from(acc_fixed(t, h), [m["accuracy_at_fixed_step"] for m in runs],
                                      label=f"accuracy at step {FIXED_STEP} (held-out accuracy at the stop "
                                            f"where a run reached {THRESHOLD} earlier): {what}", unit="accuracy",
                                      bounds=ACC,
                                      label_zh=f"第 {FIXED_STEP} 步的准确率（提前达到 {THRESHOLD} 而停止的运行"
                                               f"取停止时的留出准确率）：{what_zh}"))
        ev.append(stats.steps_evidence(steps(t, h), [m["steps_to_threshold"] for m in runs],
                                       first["steps"], label=f"steps to {THRESHOLD}: {what}",
                                       label_zh=f"达到 {THRESHOLD} 所需步数：{what_zh}"))
    top = heads[-1]
    big = [o.measurements for o in outcomes.where(kind="train", task=t, heads=top)]
    for h in heads[:-1]:
        small = [o.measurements for o in outcomes.where(kind="train", task=t, heads=h)]
        ev.append(stats.paired_ratio_evidence(
            steps_ratio(t, top, h), [m["steps_to_threshold"] for m in big], [m["steps_to_threshold"] for m in small],
            label=f"{t} task: steps to {THRESHOLD} with h={top} over h={h} (seeds where both reached it)",
            unit="x", label_zh=f"{tz}任务：h={top} 与 h={h} 达到 {THRESHOLD} 的步数之比（仅计两者都达到的种子）"))
        ev.append(stats.paired_evidence(
            acc_gain(t, top, h), [m["accuracy_at_fixed_step"] for m in big],
            [m["accuracy_at_fixed_step"] for m in small],
            label=f"{t} task: accuracy at step {FIXED_STEP}, h={top} minus h={h}", unit="accuracy", bounds=(-1, 1),
            label_zh=f"{tz}任务：第 {FIXED_STEP} 步准确率，h={top} 减 h={h}"))
    ph = first["prune_heads"]
    pruned = [o.measurements for o in outcomes.where(kind="train", task=t, heads=ph)]
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
    ev: list[Evidence] = [Evidence(HEADS, heads, unit="heads", label="head counts compared (d_model fixed)",
                                   label_zh="比较的头数（d_model 固定）"),
                          Evidence(BUDGET, first["steps"], unit="steps", label="training budget per run",
                                   label_zh="每次训练的步数预算")]
    for t in TASKS:
        ev += _per_task(outcomes, t, heads, first)
    roles = [o.measurements["roles"] for o in outcomes.where(kind="train", task="multi", heads=ph)]
    covered = [sum(r in heads_roles for r in RELATIONS) for heads_roles in roles]
    ev.append(stats.evidence_from(RELATIONS_COVERED, covered, unit="relations", bounds=(0, len(RELATIONS)),
                                  label=f"multi task, h={ph}: relations (of {len(RELATIONS)}) that are some head's "
                                        f"dominant target (> {ROLE_MASS} of its weight)",
                                  label_zh=f"三关系任务，h={ph}：{len(RELATIONS)} 个关系中，成为某个头主要目标"
                                           f"（占其权重 > {ROLE_MASS}）的个数"))
    ev.append(Evidence(HEAD_ROLES, roles, unit="role per head", label=f"multi task, h={ph}: each head's dominant "
                       "relative offset (or 'first'), per seed",
                       label_zh=f"三关系任务，h={ph}：每个种子中各头主要关注的相对位置（或首个词元）"))
    mini = outcomes.one(kind="minilm").measurements
    ev += _minilm(mini)
    config = {"tasks": TASKS, "heads": heads, "threshold": THRESHOLD, "fixed_step": FIXED_STEP,
              "prune_tol": PRUNE_TOL, **{k: first[k] for k in ("d_model", "steps", "batch_size", "lr", "prune_heads")}}
    maps = []
    if "unavailable" not in mini and "tokens" in mini:
        maps.append(AttentionMap(f"all-MiniLM-L6-v2 on \"{EXAMPLE}\": which heads look where?", mini["tokens"],
                                 mini["weights"], f"all-MiniLM-L6-v2 读“{EXAMPLE}”：哪些头看向哪里？",
                                 **explorer_focus(mini["tokens"], mini["weights"])))
    return Aggregate(ev, plots(ev, outcomes, heads, ph), config, list(LITERATURE), maps)
