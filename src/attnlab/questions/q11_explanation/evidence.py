"""q11's evidence: trial outcomes -> named evidence (the names are defined here, once)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from attnlab.analysis.attribution import METHODS, bootstrap_mean
from attnlab.lab import protocol, stats
from attnlab.lab.spec import Aggregate, EvidenceSet, Outcomes
from attnlab.lab.tuning import Sweep, sweep_evidence, sweep_plot
from attnlab.questions.q11_explanation.explorer import explorer_map
from attnlab.questions.q11_explanation.settings import (
    ACC,
    BASELINE_ZH,
    GAIN,
    LITERATURE,
    METHOD_LABEL,
    METHOD_ZH,
    MINILM,
    N_HEADS,
    N_LAYERS,
    POINTERS,
    REFINED,
    RHO,
    SENTENCE,
    SOURCE,
    SOURCE_ZH,
    TASK_LABEL,
    TASK_SHORT,
    TASK_SHORT_ZH,
    TASK_ZH,
    TASKS,
    THRESHOLD,
)
from attnlab.results import Evidence

# ---- evidence names ----
READ_AT = "read_at_step"  # the step counts at which every classifier was read (one when the budgets are equal)
EVAL_EVERY = "eval_every"
MINILM_AVAILABLE = "minilm_available"
MINILM_SENTENCES = "minilm_sentences"  # sentences with an agreement (at most 64 tokens)
MINILM_EXAMPLE = "minilm_example_scores"  # each method's |score| per token of the seed's sentence (POINTERS order)
MINILM_TOKENS = "minilm_example_tokens"  # that sentence's tokens
SETTINGS = ("minilm", *TASKS)  # where agreement with erasure is measured
CI_SENTENCES = "percentile bootstrap over sentences (2000 resamples)"


def baseline(task: str, kind: str) -> str:  # a classifier accuracy baseline (exact)
    return f"baseline_{task}_{kind}"


def acc(task: str) -> str:
    return f"acc_{task}"


def steps(task: str) -> str:
    return f"steps_{task}"


def lr(task: str) -> str:  # the learning rate the sweep chose
    return f"lr_{task}"


def chance(task: str) -> str:  # the pointing game's chance rate, 1 / T (exact)
    return f"chance_{task}"


def hit(task: str, method: str) -> str:  # share of texts whose top-scoring token is the deciding word
    return f"hit_{task}_{method}"


def rho(setting: str, method: str) -> str:  # mean Spearman agreement with erasure
    return f"rho_{setting}_{method}"


def gain(setting: str, method: str) -> str:  # a method's agreement minus raw attention's (paired)
    return f"gain_{setting}_{method}"


def has_minilm(ev: Mapping[str, Evidence]) -> bool:
    return rho("minilm", "raw") in ev


def settings(ev: Mapping[str, Evidence]) -> list[str]:
    """The settings measured: MiniLM (when it was) and the tasks."""
    return [s for s in SETTINGS if rho(s, "raw") in ev]


def setting_label(setting: str, zh: bool = False) -> str:
    if setting == "minilm":
        return MINILM
    return TASK_ZH[setting] if zh else f"{TASK_LABEL[setting]} classifiers"


# ---- aggregate ----
def _bootstrap(name: str, values: list[float], label: str, label_zh: str, unit: str, bounds) -> Evidence:
    finite = [v for v in values if math.isfinite(v)]
    mean, ci = bootstrap_mean(finite, n_boot=2000, seed=0)
    return Evidence(name, mean, ci, unit, label=label, label_zh=label_zh, ci_method=CI_SENTENCES, n=len(finite),
                    bounds=bounds, per_seed=finite)


def minilm_evidence(mini: dict[str, Any]) -> list[Evidence]:
    """Per method, the agreement with erasure over sentences, and each refined method minus raw attention."""
    per = {m: [math.nan if v is None else v for v in mini["rho"][m]] for m in METHODS}
    tokens = sum(mini["lengths"]) / max(len(mini["lengths"]), 1)
    ev = [Evidence(MINILM_SENTENCES, len(mini["lengths"]), unit="sentences",
                   label=f"sentences from {SOURCE} with at most 64 tokens ({len(mini['lengths'])} of "
                         f"{mini['drawn']} drawn; {tokens:.1f} tokens on average)",
                   label_zh=f"取自{SOURCE_ZH}、不超过 64 个词元的句子（抽取 {mini['drawn']} 句，保留 "
                            f"{len(mini['lengths'])} 句；平均 {tokens:.1f} 个词元）"),
          Evidence(MINILM_TOKENS, list(mini["tokens"]), unit="tokens", label=f"{MINILM}'s tokens of \"{SENTENCE}\"",
                   label_zh=f"{MINILM} 对原文第 7 题例句切分出的词元"),
          Evidence(MINILM_EXAMPLE, [mini["example"][m] for m in POINTERS], unit="|score| (method x token)",
                   label=f"{MINILM} on \"{SENTENCE}\": each method's |score| per token ("
                         + ", ".join(POINTERS) + ")",
                   label_zh=f"{MINILM} 读原文第 7 题的例句：各方法给每个词元的分数绝对值")]
    for m in METHODS:
        ev.append(_bootstrap(rho("minilm", m), per[m], f"{MINILM}: Spearman ρ of {METHOD_LABEL[m]} with erasure of "
                             "the sentence embedding", f"{MINILM}：{METHOD_ZH[m]}与删除词元对句向量影响的 Spearman ρ",
                             "Spearman ρ", RHO))
    for m in REFINED:
        diffs = [a - b for a, b in zip(per[m], per["raw"], strict=True)]
        ev.append(_bootstrap(gain("minilm", m), diffs, f"{MINILM}: Spearman ρ with erasure, {METHOD_LABEL[m]} minus "
                             "raw attention (paired per sentence)",
                             f"{MINILM}：与删除结果的 Spearman ρ，{METHOD_ZH[m]}减去原始注意力（按句配对）",
                             "Spearman ρ", GAIN))
    return ev


def _task(outcomes: Outcomes, t: str, budget: int) -> list[Evidence]:
    runs = [o.measurements for o in outcomes.where(kind="classifier", task=t)]
    name, name_zh = TASK_LABEL[t], TASK_ZH[t]
    positions = runs[0]["positions"]
    ev = [stats.evidence_from(acc(t), [r["accuracy"] for r in runs], unit="accuracy", bounds=ACC,
                              label=f"held-out accuracy, {name}", label_zh=f"留出集准确率，{name_zh}"),
          stats.steps_evidence(steps(t), [r["steps_to_threshold"] for r in runs], budget,
                               label=f"steps to {THRESHOLD} accuracy, {name}",
                               label_zh=f"达到 {THRESHOLD} 准确率所需步数，{name_zh}"),
          Evidence(chance(t), 1.0 / positions, unit="hit rate", bounds=ACC,
                   label=f"pointing at one of the {positions} words at random (exact chance), {name}",
                   label_zh=f"在 {positions} 个词中随机指一个（精确的随机水平），{name_zh}")]
    for m in POINTERS:
        ev.append(stats.evidence_from(hit(t, m), [r["hit"][m] for r in runs], unit="hit rate", bounds=ACC,
                                      label=f"share of texts whose top-scoring word is the deciding word, "
                                            f"{METHOD_LABEL[m]}, {name}",
                                      label_zh=f"得分最高的词正是决定性词的文本比例，{METHOD_ZH[m]}，{name_zh}"))
    for m in METHODS:
        ev.append(stats.evidence_from(rho(t, m), [r["rho"][m] for r in runs], unit="Spearman ρ", bounds=RHO,
                                      label=f"Spearman ρ of {METHOD_LABEL[m]} with erasure of the logit margin (mean "
                                            f"over texts per model), {name}",
                                      label_zh=f"{METHOD_ZH[m]}与删除词元对 logit 差影响的 Spearman ρ（每个模型对"
                                               f"文本取平均），{name_zh}"))
    for m in REFINED:
        ev.append(stats.paired_evidence(gain(t, m), [r["rho"][m] for r in runs], [r["rho"]["raw"] for r in runs],
                                        unit="Spearman ρ", bounds=GAIN,
                                        label=f"Spearman ρ with erasure, {METHOD_LABEL[m]} minus raw attention "
                                              f"(paired per seed), {name}",
                                        label_zh=f"与删除结果的 Spearman ρ，{METHOD_ZH[m]}减去原始注意力"
                                                 "（按种子配对），"
                                                 f"{name_zh}"))
    return ev


def aggregate(outcomes: Outcomes) -> Aggregate:
    from attnlab.data import make_task
    from attnlab.questions.q11_explanation.plots import plots

    runs = outcomes.where(kind="classifier")
    first = runs[0].config
    ev: list[Evidence] = []
    for t in TASKS:
        for kind, value in make_task(t, length=first["length"]).baselines().items():
            ev.append(Evidence(baseline(t, kind), value, unit="accuracy", bounds=ACC,
                               label=f"{TASK_LABEL[t]}: {kind.replace('_', '-')} baseline (exact)",
                               label_zh=f"{TASK_ZH[t]}：{BASELINE_ZH[kind]}基线（精确值）"))
        ev.extend(_task(outcomes, t, first["steps"]))
    ev.append(protocol.budget_evidence(READ_AT, runs, label="steps at which every classifier was read (accuracy, "
                                       "attributions)", label_zh="每个分类器被读取时的步数（准确率、归因）"))
    ev.append(Evidence(EVAL_EVERY, first["eval_every"], unit="steps",
                       label="steps between evaluations of the learning curve",
                       label_zh="学习曲线两次评估之间的步数"))
    sweep = outcomes.tuning
    if sweep is not None:
        ev.extend(sweep_evidence(sweep, lambda c: lr(c.key[0]), lambda c: (
            f"learning rate chosen: {TASK_LABEL[c.key[0]]}", f"选中的学习率：{TASK_ZH[c.key[0]]}")))
    mini = outcomes.one(kind="minilm").measurements
    maps = []
    if "unavailable" not in mini:
        ev.append(Evidence(MINILM_AVAILABLE, "yes", label=f"{MINILM} analysed", label_zh=f"已分析 {MINILM}"))
        ev.extend(minilm_evidence(mini))
        maps.append(explorer_map(mini))
    else:
        ev.append(Evidence(MINILM_AVAILABLE, "no", label=f"{MINILM} not analysed: {mini['unavailable']}",
                           label_zh=f"未分析 {MINILM}：无法加载它的权重"))
    config = {"tasks": {t: make_task(t, length=first["length"]).config() for t in TASKS}, "threshold": THRESHOLD,
              "model": f"SequenceClassifier, {N_LAYERS} layers, {N_HEADS} heads, sinusoidal positions, mean pooling, "
                       "d_ff = 2 d_model", "target": "classifiers: logit margin (positive minus negative); "
              f"{MINILM}: mean-pooled embedding projected on the sentence's own direction", "erasure": "deletion",
              **{k: first[k] for k in ("length", "d_model", "steps", "batch_size", "eval_every", "n_analysis")},
              "lr": {t: outcomes.where(kind="classifier", task=t)[0].config["lr"] for t in TASKS},
              "minilm_sentences_drawn": outcomes.one(kind="minilm").config["n_texts"], "minilm_source": SOURCE}
    figures = plots(EvidenceSet(ev))
    if sweep is not None:
        one = Sweep(("model", "task"), sweep.metric,
                    tuple(dataclasses.replace(c, key=("classifier", TASK_SHORT[c.key[0]])) for c in sweep.conditions))
        figures.append(sweep_plot(one, name="q11_lr_sweep", group="model", line="task",
                                  title="Each task's classifier at its own learning rate",
                                  title_zh="每个任务的分类器各自的学习率",
                                  names_zh={"classifier": "分类器",
                                            **{TASK_SHORT[t]: TASK_SHORT_ZH[t] for t in TASK_SHORT}}))
    return Aggregate(ev, figures, config, list(LITERATURE), maps)
