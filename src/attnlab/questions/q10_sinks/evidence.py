"""q10's evidence: trial outcomes -> named evidence (the names are defined here, once)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from attnlab.lab import protocol
from attnlab.lab.spec import Aggregate, EvidenceSet, Outcomes
from attnlab.lab.tuning import Sweep, sweep_evidence, sweep_plot
from attnlab.questions.q10_sinks.arm_evidence import as_shares, differential_evidence, stream_evidence
from attnlab.questions.q10_sinks.explorer import explorer_map
from attnlab.questions.q10_sinks.settings import (
    ACC,
    ALL_CONDITIONS,
    BASELINE_ZH,
    DIFFERENTIAL,
    LITERATURE,
    MINILM,
    N_HEADS,
    N_LAYERS,
    PARK_FACTOR,
    SINK_VARIANTS,
    START,
    THRESHOLD,
    VARIANT_LABEL,
    VARIANT_SHORT,
    VARIANT_ZH,
)
from attnlab.questions.q10_sinks.trials import lm_task
from attnlab.results import Evidence

# ---- evidence names ----
READ_AT = "read_at_step"  # the step counts at which every LM was read (one when the budgets are equal)
EVAL_EVERY = "eval_every"
LM_CONDITIONS = "lm_conditions"  # the conditions trained, softmax first
LM_UNIFORM = "lm_uniform_first_share"
LM_HEADS = "lm_heads"
SINK_LOGIT_HEADS = "sink_logit_learned_heads"
SINK_LOGIT_MAX_ABS = "sink_logit_learned_max_abs"
MINILM_AVAILABLE = "minilm_available"
MINILM_LAYERS = "minilm_layers"
MINILM_UNIFORM = "minilm_uniform_share"
MINILM_SPECIAL_HEADS = "minilm_special_share_heads"
MINILM_NORM_HEADS = "minilm_norm_share_heads"


def baseline(kind: str) -> str:
    return f"baseline_{kind}"


def acc(c: str) -> str:  # accuracy on the predictable tokens of condition c
    return f"acc_{c}"


def steps(c: str) -> str:
    return f"steps_{c}"


def lr(c: str) -> str:  # the learning rate the sweep chose for condition c
    return f"lr_{c}"


def first_max(c: str) -> str:  # the largest first-token share of a head
    return f"first_max_{c}"


def first_max_ratio(c: str) -> str:  # ... over the uniform causal share
    return f"first_max_ratio_{c}"


def first_max_ratio_init(c: str) -> str:  # the same ratio before training: the statistic's null
    return f"first_max_ratio_init_{c}"


def first_max_growth(c: str) -> str:  # that ratio, trained minus untrained (paired)
    return f"first_max_growth_{c}"


def first_mean(c: str) -> str:
    return f"first_mean_{c}"


def sink_heads(c: str) -> str:
    return f"sink_heads_{c}"


def sink_mass(c: str) -> str:
    return f"sink_mass_{c}"


def first_max_drop(c: str) -> str:  # largest first-token share, softmax minus c (paired)
    return f"first_max_drop_{c}"


def first_mean_drop(c: str) -> str:
    return f"first_mean_drop_{c}"


def acc_diff(c: str) -> str:  # accuracy, c minus softmax (paired)
    return f"acc_diff_{c}"


def steps_ratio(c: str) -> str:  # steps to the threshold, c over softmax (paired)
    return f"steps_ratio_{c}"


def sink_variants(ev: Mapping[str, Evidence]) -> list[str]:
    """The trained sink variants (off-by-one, learned logit, gate): the conditions the sink sub-claims compare."""
    return [c for c in conditions(ev) if c in SINK_VARIANTS]


def has_differential(ev: Mapping[str, Evidence]) -> bool:
    return DIFFERENTIAL in conditions(ev)


def hasdifferential_evidence(ev: Mapping[str, Evidence]) -> bool:
    return DIFFERENTIAL in conditions(ev)


def special_share(layer: int) -> str:
    return f"minilm_special_share_l{layer}"


def special_ratio(layer: int) -> str:  # MiniLM layer (from 1): weight on [CLS]+[SEP] over 2/T
    return f"minilm_special_ratio_l{layer}"


def norm_share(layer: int) -> str:
    return f"minilm_norm_share_l{layer}"


def norm_over_weight(layer: int) -> str:  # MiniLM layer: the norm-based share over the weight share
    return f"minilm_norm_over_weight_l{layer}"


def conditions(ev: Mapping[str, Evidence]) -> list[str]:
    """The conditions trained, softmax first."""
    return list(ev[LM_CONDITIONS].value)


def layers(ev: Mapping[str, Evidence]) -> list[int]:
    """MiniLM's layers (from 1), none when it was not measured."""
    return list(range(1, int(ev[MINILM_LAYERS].number) + 1)) if MINILM_LAYERS in ev else []


# ---- aggregate ----
def aggregate(outcomes: Outcomes) -> Aggregate:
    from attnlab.analysis.sinks import uniform_first_share
    from attnlab.questions.q10_sinks.condition_evidence import condition_evidence, paired_evidence
    from attnlab.questions.q10_sinks.encoder import minilm_evidence
    from attnlab.questions.q10_sinks.plots import plots

    lms = outcomes.where(kind="lm")
    first = lms[0].config
    conds = [c for c in ALL_CONDITIONS if outcomes.where(kind="lm", condition=c)]
    seq_len = lms[0].measurements["seq_len"]
    uniform = uniform_first_share(seq_len, START)
    task = lm_task(first)
    shape = lms[0].measurements["first_share"]  # (L, H)
    ev: list[Evidence] = [
        Evidence(LM_CONDITIONS, conds, label="attention variants of the trained LMs",
                 label_zh="训练的语言模型所用的注意力变体"),
        Evidence(LM_UNIFORM, uniform, unit="share", bounds=ACC, label=f"first-token share of uniform causal "
                 f"attention over queries {START} .. {seq_len - 1} (exact)",
                 label_zh=f"均匀因果注意力给首个词元的份额，查询 {START} .. {seq_len - 1}（精确值）"),
        Evidence(LM_HEADS, len(shape) * len(shape[0]), unit="heads", label="heads per trained LM (layers x heads): "
                 "the largest first-token share is a maximum over them",
                 label_zh="每个训练的语言模型中的头数（层数 x 头数）：最大首词元份额是在这些头上取的最大值"),
    ]
    for base, value in task.baselines().items():
        ev.append(Evidence(baseline(base), value, unit="accuracy", bounds=ACC,
                           label=f"predictable tokens: {base.replace('_', '-')} baseline (exact)",
                           label_zh=f"可预测的词元：{BASELINE_ZH[base]}基线（精确值）"))
    per: dict[str, dict[str, list]] = {}
    for c in conds:
        m = [o.measurements for o in outcomes.where(kind="lm", condition=c)]
        if c == DIFFERENTIAL:
            ev.append(differential_evidence(m))
            m = [as_shares(x) for x in m]
        per[c], more = condition_evidence(c, m, uniform, first["steps"])
        ev.extend(more)
    for c in conds[1:]:
        ev.extend(paired_evidence(c, per, per["softmax"]))
    ev.extend(stream_evidence(outcomes, {c: {o.config["seed"]: o.measurements["accuracy"]
                                     for o in outcomes.where(kind="lm", condition=c)} for c in conds}))
    ev.append(protocol.budget_evidence(READ_AT, lms, label="steps at which every LM was read (accuracy, "
                                       "first-token shares, sink weight)",
                                       label_zh="每个语言模型被读取时的步数（准确率、首词元份额、汇聚权重）"))
    ev.append(Evidence(EVAL_EVERY, first["eval_every"], unit="steps",
                       label="steps between evaluations of the learning curve (the fewest in which 0.9 can be "
                             "reached)", label_zh="学习曲线两次评估之间的步数（达到 0.9 最少需要的步数）"))
    sweep = outcomes.tuning
    if sweep is not None:
        ev.extend(sweep_evidence(sweep, lambda c: lr(c.key[0]), lambda c: (
            f"learning rate chosen: {VARIANT_LABEL[c.key[0]]}", f"选中的学习率：{VARIANT_ZH[c.key[0]]}")))
    mini = outcomes.one(kind="minilm").measurements
    maps = []
    if "unavailable" not in mini:
        ev.append(Evidence(MINILM_AVAILABLE, "yes", label=f"{MINILM} analysed", label_zh=f"已分析 {MINILM}"))
        ev.extend(minilm_evidence(mini))
        maps.append(explorer_map(mini))
    else:
        ev.append(Evidence(MINILM_AVAILABLE, "no", label=f"{MINILM} not analysed: {mini['unavailable']}",
                           label_zh=f"未分析 {MINILM}：无法加载它的权重"))
    config = {"task": task.config(), "conditions": conds, "threshold": THRESHOLD, "park_factor": PARK_FACTOR,
              "first_token_queries": f"{START} .. T - 1", "model": f"TransformerLM, {N_LAYERS} layers, {N_HEADS} "
              "heads, learned positions, d_ff = 2 d_model, untied output layer",
              **{k: first[k] for k in ("d_model", "steps", "batch_size", "eval_every", "n_eval")},
              "lr": {c: outcomes.where(kind="lm", condition=c)[0].config["lr"] for c in conds},
              "minilm_sentences": outcomes.one(kind="minilm").config["n_texts"]}
    figures = plots(EvidenceSet(ev), outcomes, conds)
    if sweep is not None:
        one = Sweep(("model", "condition"), sweep.metric,
                    tuple(dataclasses.replace(c, key=("2-layer LM", *(VARIANT_SHORT.get(k, k) for k in c.key)))
                          for c in sweep.conditions))  # the legend names each variant as the report does
        figures.append(sweep_plot(one, name="q10_lr_sweep", group="model", line="condition",
                                  title="Each attention variant at its own learning rate",
                                  title_zh="每种注意力变体各自的学习率",
                                  metric_label="final accuracy on the predictable tokens",
                                  names_zh={"2-layer LM": "两层语言模型",
                                            **{VARIANT_SHORT[c]: VARIANT_ZH[c] for c in VARIANT_ZH}}))
    return Aggregate(ev, figures, config, list(LITERATURE), maps)
