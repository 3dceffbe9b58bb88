"""q7's evidence: trial outcomes -> named evidence (names in :mod:`.names`), plot data and the attention map."""

from __future__ import annotations

import math
from typing import Any

from attnlab.lab import protocol, stats
from attnlab.lab.spec import Aggregate, Outcomes
from attnlab.lab.tuning import sweep_evidence, sweep_plot
from attnlab.lab.words import num
from attnlab.questions.q7_why import names
from attnlab.questions.q7_why.explorer import explorer_focus
from attnlab.questions.q7_why.plots import plots
from attnlab.questions.q7_why.settings import (
    BASELINE_ZH,
    CELLS,
    ENCODER_NAMES,
    FLIPS,
    FOCUS,
    LITERATURE,
    MINILM,
    N_PERM,
    OTHERS,
    POOLING_ZH,
    POOLINGS,
    ROLES,
    SENTENCES,
    SPEEDUP,
    TASK_ZH,
    TASKS,
    THRESHOLD,
    Cell,
)
from attnlab.questions.q7_why.trials import make_cell_task
from attnlab.results import AttentionMap, Evidence

ACC = (0.0, 1.0)
X_UNIFORM = (0.0, None)


def _filled(steps: list[int | None], budget: int) -> list[int]:
    """Steps-to-threshold with a seed that never reached it counted as the budget (a lower bound)."""
    return [budget if s is None else s for s in steps]


def _best_other(outcomes: Outcomes, where: dict[str, Any], budget: int) -> str:
    """The pooling other than attention that reached the threshold in most seeds, then fastest, then best."""
    def rank(p: str) -> tuple[int, float, float]:
        steps = outcomes.values("steps_to_threshold", pooling=p, **where)
        acc = outcomes.values("heldout_accuracy", pooling=p, **where)
        logs = [math.log(s) for s in _filled(steps, budget)]
        return (-sum(s is not None for s in steps), sum(logs) / len(logs), -sum(acc) / len(acc))
    return min(OTHERS, key=rank)


def _cell_evidence(outcomes: Outcomes, cell: Cell, length: int, budget: int) -> list[Evidence]:
    task, role, encoder = cell
    where = dict(kind="train", task=task, role=role, encoder=encoder)
    what = f"{task} task, T={length}, {ENCODER_NAMES[encoder]}"
    what_zh = f"{TASK_ZH[task]}，T={length}，{ENCODER_NAMES[encoder]}"
    ev: list[Evidence] = []
    for p in POOLINGS:
        ev.append(stats.evidence_from(names.acc(cell, p), outcomes.values("heldout_accuracy", pooling=p, **where),
                                      label=f"held-out accuracy: {p} pooling, {what}", unit="accuracy",
                                      bounds=ACC, label_zh=f"留出数据上的准确率：{POOLING_ZH[p]}，{what_zh}"))
        ev.append(stats.steps_evidence(names.steps(cell, p), outcomes.values("steps_to_threshold", pooling=p, **where),
                                       budget, label=f"steps to {THRESHOLD} accuracy: {p} pooling, {what}",
                                       label_zh=f"达到 {THRESHOLD} 准确率所需步数：{POOLING_ZH[p]}，{what_zh}"))
    best = _best_other(outcomes, where, budget)
    ev.append(Evidence(names.best_other(cell), best, label=f"best pooling other than attention, {what} (most "
                       "seeds reaching the threshold, then fewest steps)",
                       label_zh=f"除注意力外最好的池化方式，{what_zh}（达到阈值的种子最多，其次步数最少）"))
    ev.append(stats.paired_ratio_evidence(
        names.speedup(cell), outcomes.values("steps_to_threshold", pooling=best, **where),
        outcomes.values("steps_to_threshold", pooling="attention", **where), unit="x", budget=budget,
        label=f"steps to {THRESHOLD}, {best} / attention, {what}",
        label_zh=f"达到 {THRESHOLD} 的步数之比：{POOLING_ZH[best]} / 注意力池化，{what_zh}"))
    ev.append(stats.paired_evidence(
        names.gain(cell), outcomes.values("heldout_accuracy", pooling="attention", **where),
        outcomes.values("heldout_accuracy", pooling=best, **where), unit="accuracy", bounds=(-1.0, 1.0),
        label=f"held-out accuracy, attention - {best}, {what}",
        label_zh=f"留出准确率之差：注意力池化减去{POOLING_ZH[best]}，{what_zh}"))
    att = outcomes.where(pooling="attention", **where)
    m = [o.measurements for o in att]
    ev.append(stats.evidence_from(names.focus(cell), [x["weight_deciding"] / x["uniform"] for x in m],
                                  label=f"attention weight on the deciding word / uniform share 1/T, {what}",
                                  unit="x uniform", bounds=X_UNIFORM,
                                  label_zh=f"决定性词上的注意力权重 / 均匀份额 1/T，{what_zh}"))
    if task == "contrast":
        ev.append(stats.evidence_from(names.focus_other(cell), [x["weight_other"] / x["uniform"] for x in m],
                                      label=f"attention weight on the other polar word / uniform, {what}",
                                      unit="x uniform", bounds=X_UNIFORM,
                                      label_zh=f"另一个极性词上的注意力权重 / 均匀份额，{what_zh}"))
        ev.append(stats.evidence_from(names.focus_connective(cell), [x["weight_connective"] / x["uniform"] for x in m],
                                      label=f"attention weight on the connective / uniform, {what}",
                                      unit="x uniform", bounds=X_UNIFORM,
                                      label_zh=f"连接词上的注意力权重 / 均匀份额，{what_zh}"))
    ev.append(stats.evidence_from(names.flips(cell), [x["perm_flip_rate"] for x in m], unit="fraction", bounds=ACC,
                                  label=f"decisions flipped by permuting the attention weights, {what}",
                                  label_zh=f"随机打乱注意力权重后翻转的预测比例，{what_zh}"))
    ev.append(stats.evidence_from(names.tvd(cell), [x["perm_median_tvd"] for x in m], unit="TVD", bounds=ACC,
                                  label=f"median output change (TVD) under permuted weights, {what}",
                                  label_zh=f"打乱权重后输出变化（TVD）的中位数，{what_zh}"))
    ev.append(stats.evidence_from(names.uniform_acc(cell), [x["perm_uniform_accuracy"] for x in m],
                                  unit="accuracy", bounds=ACC,
                                  label=f"accuracy of the attention model with uniform weights, {what}",
                                  label_zh=f"注意力模型改用均匀权重时的准确率，{what_zh}"))
    if task == "needle" and role == "long":
        seed = att[0].config["seed"]
        for text, e in m[0]["examples"].items():
            p = num(e["p_positive"], 3)
            ev.append(Evidence(names.example(encoder, text), [round(v, 4) for v in e["weights"]], unit="weight",
                               label=f"attention weights of the {ENCODER_NAMES[encoder]} needle model (seed {seed}) "
                                     f"on \"{text}\"; P(positive) = {p}",
                               label_zh=f"{ENCODER_NAMES[encoder]} 关键词任务模型（种子 {seed}）在 `{text}` 上的注意力"
                                        f"权重；判为正面的概率为 {p}"))
    return ev


def minilm_evidence(mini: dict[str, Any]) -> list[Evidence]:
    """The pretrained model's evidence, or that it was not available."""
    if "unavailable" in mini:
        return [Evidence(names.MINILM_AVAILABLE, "no", label=f"{MINILM} not analysed: {mini['unavailable']}",
                         label_zh=f"未分析 {MINILM}（模型不可用）")]
    sents = mini["sentences"]
    over = "sentences"
    ratio = [sum(s["ratio"]) / len(s["ratio"]) for s in sents]
    word_ratio = [sum(s["word_ratio"]) / len(s["word_ratio"]) for s in sents]
    return [
        Evidence(names.MINILM_AVAILABLE, "yes", label=f"{MINILM} analysed", label_zh=f"已分析 {MINILM}"),
        Evidence(names.MINILM_SENTENCES, [f"{s['text']} [{s['word']}]" for s in sents],
                 label=f"sentences [polar word]: the {len(sents)} of {mini['candidates']} polar adjectives of the "
                       f"{mini['source']} (|polarity| >= 0.7) that the tokenizer keeps whole, each in one frame",
                 label_zh=f"句子 [极性词]：{mini['source']} 中 {mini['candidates']} 个强极性形容词（极性绝对值至少 "
                          f"0.7）里分词器保持完整的 {len(sents)} 个，每个放进同一个句式"),
        stats.evidence_from(names.MINILM_POLAR_RATIO, ratio, over=over, unit="x uniform", bounds=X_UNIFORM,
                            label=f"{MINILM}: attention share of the polar word / uniform 1/T (mean over "
                                  "layers, heads and queries; [CLS], [SEP] included in T)",
                            label_zh=f"{MINILM}：极性词得到的注意力份额 / 均匀份额 1/T（对层、头和查询取平均；"
                                     "T 含 [CLS]、[SEP]）"),
        stats.evidence_from(names.MINILM_POLAR_WORD_RATIO, word_ratio, over=over, unit="x mean word", bounds=X_UNIFORM,
                            label=f"{MINILM}: attention share of the polar word / mean share of the "
                                  "sentence's tokens other than [CLS] and [SEP], mean over layers",
                            label_zh=f"{MINILM}：极性词得到的注意力份额 / 句中除 [CLS]、[SEP] 外词元的平均份额，"
                                     "对层取平均"),
        stats.evidence_from(names.MINILM_POLAR_RANK, [sum(s["rank"]) / len(s["rank"]) for s in sents], over=over,
                            unit="rank", bounds=(1.0, None),
                            label=f"{MINILM}: rank of the polar word by attention received among the "
                                  "sentence's tokens ([CLS], [SEP] left out; 1 = most), mean over layers",
                            label_zh=f"{MINILM}：极性词按得到的注意力在句中词元里的排名（不含 [CLS]、[SEP]；"
                                     "1 = 最多），对层取平均"),
        stats.evidence_from(names.MINILM_DELETION_RANK, [s["deletion_rank"] for s in sents], over=over, unit="rank",
                            bounds=(1.0, None),
                            label=f"{MINILM}: rank of the polar word by how far deleting it moves the "
                                  "sentence embedding (1 = most)",
                            label_zh=f"{MINILM}：按删去后句向量移动的距离，极性词的排名（1 = 移动最大）"),
        Evidence(names.MINILM_RATIO_PER_LAYER, [s["ratio"] for s in sents], unit="x uniform (sentence x layer)",
                 label=f"{MINILM}: polar word's share / uniform, per sentence and layer",
                 label_zh=f"{MINILM}：极性词份额 / 均匀份额，按句子和层"),
    ]


def aggregate(outcomes: Outcomes) -> Aggregate:
    trained = outcomes.where(kind="train")
    first = trained[0].config
    role_config = {role: outcomes.where(kind="train", role=role)[0].config for role in ROLES}
    lengths = {role: c["length"] for role, c in role_config.items()}
    budgets = {role: c["steps"] for role, c in role_config.items()}
    ev: list[Evidence] = [
        Evidence(names.length("long"), lengths["long"], unit="words", label="long texts: words per text",
                 label_zh="长文本：每段的词数"),
        Evidence(names.EVAL_EVERY, first["eval_every"], unit="steps", label="steps between evaluations",
                 label_zh="两次评估之间的步数"),
        protocol.budget_evidence(names.READ_AT, trained, label="steps at which every trained run was read "
                                 "(every run trains its whole budget)",
                                 label_zh="每次训练被读取时的步数（每次都训练满预算）"),
    ]
    sweep = outcomes.tuning
    if sweep is not None:
        ev.extend(sweep_evidence(sweep, lambda c: names.lr(c.key[:3], c.key[3]), lambda c: (
            f"learning rate chosen: {c.key[3]} pooling, {c.key[0]} task, T={lengths[c.key[1]]}",
            f"选中的学习率：{POOLING_ZH[c.key[3]]}，{TASK_ZH[c.key[0]]}，T={lengths[c.key[1]]}")))
    for task in TASKS:
        for name, value in make_cell_task(task, lengths["long"]).baselines().items():
            ev.append(Evidence(names.baseline(task, name), value, unit="accuracy", bounds=ACC,
                               label=f"{task} task: {name.replace('_', ' ')} predictor (exact)",
                               label_zh=f"{TASK_ZH[task]}：{BASELINE_ZH[name]}预测器（精确值）"))
    for cell in CELLS:
        ev += _cell_evidence(outcomes, cell, lengths[cell[1]], budgets[cell[1]])
    mini = outcomes.one(kind="minilm").measurements
    ev += minilm_evidence(mini)
    config = {"cells": [list(c) for c in CELLS], "poolings": list(POOLINGS), "lengths": lengths,
              "steps": budgets, "eval_every": {role: c["eval_every"] for role, c in role_config.items()},
              "threshold": THRESHOLD, "speedup_margin": SPEEDUP, "focus": FOCUS, "flips": FLIPS,
              "n_perm": N_PERM, "cell": "lstm", "attention_score": "additive", "early_stop": False,
              **{k: first[k] for k in ("d_model", "batch_size", "eval_batches", "n_analysis")},
              "lr": {f"{o.config['task']} T={o.config['length']} {o.config['encoder']} {o.config['pooling']}":
                     o.config["lr"] for o in trained}}
    maps = []
    if "unavailable" not in mini:
        text, word = SENTENCES[0]
        maps.append(AttentionMap(f"{MINILM} on \"{text}\": how much attention does \"{word}\" receive?",
                                 mini["tokens"], mini["weights"],
                                 f"{MINILM} 读 `{text}`：`{word}` 得到了多少注意力？",
                                 steps=mini.get("steps"), attribution=mini.get("attribution"),
                                 **explorer_focus(mini["tokens"], mini["weights"], word)))
    figures = plots(ev, outcomes, lengths, budgets)
    if sweep is not None:
        figures.append(sweep_plot(sweep, name="q7_lr_sweep", group="task", line="pooling",
                                  title="Each pooling at its own learning rate", title_zh="每种池化方式各自的学习率",
                                  names_zh={**TASK_ZH, **POOLING_ZH}))
    return Aggregate(ev, figures, config, list(LITERATURE), maps)
