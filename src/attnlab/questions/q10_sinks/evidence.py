"""q10's evidence: trial outcomes -> named evidence (the names are defined here, once)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from attnlab.lab import protocol, stats
from attnlab.lab.spec import Aggregate, EvidenceSet, Outcomes
from attnlab.lab.tuning import Sweep, sweep_evidence, sweep_plot
from attnlab.lab.words import num
from attnlab.questions.q10_sinks.explorer import explorer_map
from attnlab.questions.q10_sinks.settings import (
    ACC,
    ALL_CONDITIONS,
    BASELINE_ZH,
    DIFF,
    DIFFERENTIAL,
    KEPT_TOKENS,
    LITERATURE,
    MINILM,
    N_HEADS,
    N_LAYERS,
    PARK_FACTOR,
    RATIO,
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
DIFF_LAMBDA = "differential_lambda_layers"  # λ of each differential layer after training (mean over seeds)
STREAM_CONDITIONS = "stream_conditions"  # the conditions the streaming arm evaluated, softmax first
STREAM_WINDOW = "stream_window"  # the recent window W (keys, the query's own included)
STREAM_SEQ_LEN = "stream_seq_len"  # tokens per sequence of the streamed held-out text (the training length)
STREAM_LOOKBACK = "stream_lookback"  # how far back the task's predictable tokens look (the block length)
STREAM_SAME_WEIGHTS = "stream_same_weights"  # largest |full-attention accuracy, stream trial - LM trial|


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


def stream_loss(c: str, arm: str) -> str:  # held-out loss beyond the window, arm "window" / "keep4" / "full"
    return f"stream_loss_{arm}_{c}"


def stream_acc(c: str, arm: str) -> str:  # accuracy on the predictable tokens beyond the window
    return f"stream_acc_{arm}_{c}"


def evict_cost(c: str, k: int) -> str:  # loss, first tokens evicted minus the first k kept (paired)
    return f"stream_evict_minus_keep{k}_{c}"


def evict_acc(c: str, k: int) -> str:  # predictable accuracy, the first k kept minus evicted (paired)
    return f"stream_acc_keep{k}_minus_evict_{c}"


def keep_gap(c: str, k: int) -> str:  # loss, the first k kept minus full attention (paired)
    return f"stream_keep{k}_minus_full_{c}"


def stream_conditions(ev: Mapping[str, Evidence]) -> list[str]:
    """The conditions the streaming arm evaluated, softmax first; none when it did not run."""
    return list(ev[STREAM_CONDITIONS].value) if STREAM_CONDITIONS in ev else []


def sink_variants(ev: Mapping[str, Evidence]) -> list[str]:
    """The trained sink variants (off-by-one, learned logit, gate): the conditions the sink sub-claims compare."""
    return [c for c in conditions(ev) if c in SINK_VARIANTS]


def has_differential(ev: Mapping[str, Evidence]) -> bool:
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
def _max_head(first: list[list[float]]) -> float:
    return max(x for row in first for x in row)


def _mean_head(first: list[list[float]]) -> float:
    flat = [x for row in first for x in row]
    return sum(flat) / len(flat)


def _condition(c: str, m: list[dict[str, Any]], uniform: float, budget: int) -> tuple[dict, list[Evidence]]:
    """Per-condition series (accuracy, largest and mean first-token share, steps) and its evidence."""
    per = {"acc": [x["accuracy"] for x in m], "max": [_max_head(x["first_share"]) for x in m],
           "mean": [_mean_head(x["first_share"]) for x in m], "steps": [x["steps_to_threshold"] for x in m]}
    name, name_zh = VARIANT_LABEL[c], VARIANT_ZH[c]
    ev = [stats.evidence_from(acc(c), per["acc"], unit="accuracy", bounds=ACC,
                              label=f"accuracy on the predictable tokens, {name}",
                              label_zh=f"可预测词元上的准确率，{name_zh}"),
          stats.steps_evidence(steps(c), per["steps"], budget,
                               label=f"steps to {THRESHOLD} on the predictable tokens, {name}",
                               label_zh=f"可预测词元上达到 {THRESHOLD} 准确率所需步数，{name_zh}"),
          stats.evidence_from(first_max(c), per["max"], unit="share", bounds=ACC,
                              label=f"largest first-token share of a head, {name}",
                              label_zh=f"单个头给首个词元的最大份额，{name_zh}"),
          stats.evidence_from(first_max_ratio(c), [v / uniform for v in per["max"]], unit="x uniform", bounds=RATIO,
                              label=f"largest first-token share of a head over the uniform share, {name}",
                              label_zh=f"单个头给首个词元的最大份额 / 均匀份额，{name_zh}")]
    if all("first_share_init" in x for x in m):
        init = [_max_head(x["first_share_init"]) / uniform for x in m]
        ev.append(stats.evidence_from(first_max_ratio_init(c), init, unit="x uniform", bounds=RATIO,
                                      label=f"the same ratio at initialisation (untrained, same seed and test "
                                            f"batch): the statistic's null, {name}",
                                      label_zh=f"初始化时（未训练，同一种子和测试批）的同一比值：该统计量的零假设参照，"
                                               f"{name_zh}"))
        ev.append(stats.paired_evidence(first_max_growth(c), [v / uniform for v in per["max"]], init,
                                        unit="x uniform", bounds=(None, None),
                                        label=f"largest first-token share over uniform, trained minus "
                                              f"initialisation, {name}",
                                        label_zh=f"单个头给首个词元的最大份额 / 均匀份额，训练后减去初始化时，"
                                                 f"{name_zh}"))
    if c == "learned" and all(x.get("sink_logits") for x in m):
        logits = [x["sink_logits"] for x in m]  # per seed (L, H)
        heads = [[sum(r[l][h] for r in logits) / len(logits) for h in range(len(logits[0][0]))]
                 for l in range(len(logits[0]))]
        ev.append(Evidence(SINK_LOGIT_HEADS, heads, unit="logit (layer x head)",
                           label="learned sink logit per head after training (mean over seeds; initialised at 0)",
                           label_zh="训练后每个头的可学习汇聚 logit（各种子平均；初始值为 0）"))
        ev.append(stats.evidence_from(SINK_LOGIT_MAX_ABS, [max(abs(v) for row in r for v in row) for r in logits],
                                      unit="logit", bounds=(0, None),
                                      label="largest |learned sink logit| of a head, per model",
                                      label_zh="每个模型中各头可学习汇聚 logit 绝对值的最大值"))
    ev.append(stats.evidence_from(first_mean(c), per["mean"], unit="share", bounds=ACC,
                                  label=f"first-token share averaged over heads and layers, {name}",
                                  label_zh=f"首个词元的份额，对头和层取平均，{name_zh}"))
    ev.append(stats.evidence_from(sink_heads(c), [sum(x >= PARK_FACTOR * uniform for row in o["first_share"]
                                                      for x in row) for o in m], unit="heads", bounds=(0, None),
                                  label=f"heads giving the first token >= {num(PARK_FACTOR, 0)}x the uniform "
                                        f"share, {name}",
                                  label_zh=f"给首个词元至少 {num(PARK_FACTOR, 0)} 倍均匀份额的头数，{name_zh}"))
    if c in SINK_VARIANTS:
        ev.append(stats.evidence_from(sink_mass(c), [_mean_head(o["sink_mass"]) for o in m], unit="share",
                                      bounds=ACC, label=f"weight left to the sink (mean over heads), {name}",
                                      label_zh=f"留给汇聚点的权重（对头取平均），{name_zh}"))
    return per, ev


def _paired(c: str, per: dict[str, dict], ref: dict) -> list[Evidence]:
    """``c`` against softmax (paired per seed)."""
    name, name_zh, mine = VARIANT_LABEL[c], VARIANT_ZH[c], per[c]
    lead = " " if name_zh[0].isascii() else ""  # a space between Chinese and Latin, none between Chinese words
    tail = " " if name_zh[-1].isascii() else ""
    return [
        stats.paired_evidence(first_max_drop(c), ref["max"], mine["max"], unit="share", bounds=DIFF,
                              label=f"largest first-token share, softmax minus {name}",
                              label_zh=f"单个头给首个词元的最大份额，softmax 减去{lead}{name_zh}"),
        stats.paired_evidence(first_mean_drop(c), ref["mean"], mine["mean"], unit="share", bounds=DIFF,
                              label=f"mean first-token share, softmax minus {name}",
                              label_zh=f"首个词元的平均份额，softmax 减去{lead}{name_zh}"),
        stats.paired_evidence(acc_diff(c), mine["acc"], ref["acc"], unit="accuracy", bounds=DIFF,
                              label=f"accuracy on the predictable tokens, {name} minus softmax",
                              label_zh=f"可预测词元上的准确率，{name_zh}{tail}减去 softmax"),
        stats.paired_ratio_evidence(steps_ratio(c), mine["steps"], ref["steps"],
                                    label=f"steps to {THRESHOLD}, {name} / softmax (seeds where both reached it)",
                                    unit="x",
                                    label_zh=f"达到 {THRESHOLD} 的步数之比，{name_zh} / softmax"
                                             "（仅计两者都达到的种子）"),
    ]


def as_shares(m: dict[str, Any]) -> dict[str, Any]:
    """A differential LM's measurements with its first-token shares as shares of each map's net weight.

    The differential map A_1 - λ A_2 has rows summing to 1 - λ (``sink_mass`` records λ: 1 - row sum), and the
    per-head RMSNorm after it makes the output blind to that scale, so the weights that mix the values are the
    map over its row sum; the first-token share divided by 1 - λ is comparable with a softmax head's. The share
    at initialisation is dropped (λ there was not recorded)."""
    first = [[f / (1.0 - lam) for f, lam in zip(fr, lr, strict=True)]
             for fr, lr in zip(m["first_share"], m["sink_mass"], strict=True)]
    return {**{k: v for k, v in m.items() if k != "first_share_init"}, "first_share": first}


def _differential(m: list[dict[str, Any]]) -> Evidence:
    lam = [[sum(row) / len(row) for row in x["sink_mass"]] for x in m]  # per seed, per layer: λ (shared by heads)
    return Evidence(DIFF_LAMBDA, [sum(r[l] for r in lam) / len(lam) for l in range(len(lam[0]))],
                    unit="λ", label="differential attention: λ of each layer after training (mean over "
                    "seeds; initialised at 0.8 - 0.6 exp(-0.3 (l - 1)): 0.2, 0.36)",
                    label_zh="差分注意力：训练后每层的 λ（各种子平均；初始值为 0.8 - 0.6 exp(-0.3 (l - 1))，"
                             "即 0.2、0.36）")


def _stream(outcomes: Outcomes, lm_acc: dict[str, dict[int, float]]) -> list[Evidence]:
    """The streaming arm: per condition, the loss and predictable accuracy beyond the window in each arm, and the
    paired differences evicted minus kept and kept minus full; the same-weights check against the LM trials."""
    runs = outcomes.where(kind="stream")
    if not runs:
        return []
    conds = [c for c in ALL_CONDITIONS if outcomes.where(kind="stream", condition=c)]
    first = runs[0].measurements
    ev = [Evidence(STREAM_CONDITIONS, conds, label="conditions evaluated in the streaming arm",
                   label_zh="流式实验中评估的条件"),
          Evidence(STREAM_WINDOW, first["window"], unit="tokens",
                   label=f"recent window W of the streaming arm ({first['window']} of the {first['seq_len']} training "
                         f"positions; losses read over queries {first['first_query']} .. {first['seq_len'] - 2})",
                   label_zh=f"流式实验的最近窗口 W（训练长度 {first['seq_len']} 中的 {first['window']} 个位置；"
                            f"损失在查询 {first['first_query']} .. {first['seq_len'] - 2} 上计算）"),
          Evidence(STREAM_SEQ_LEN, first["seq_len"], unit="tokens",
                   label="tokens per streamed sequence (the training length)",
                   label_zh="流式实验每个序列的词元数（即训练长度）"),
          Evidence(STREAM_LOOKBACK, runs[0].config["block_len"], unit="tokens",
                   label="how far back a predictable token looks (the block length of the copy task)",
                   label_zh="可预测词元需要回看的距离（复制任务的块长）")]
    gaps = []
    for c in conds:
        m = [o.measurements for o in outcomes.where(kind="stream", condition=c)]
        seeds_ = [o.config["seed"] for o in outcomes.where(kind="stream", condition=c)]
        gaps += [abs(x["accuracy_full"] - lm_acc[c][s]) for x, s in zip(m, seeds_, strict=True) if s in lm_acc[c]]
        name, name_zh = VARIANT_LABEL[c], VARIANT_ZH[c]

        def loss(arm: str, m=m) -> list[float]:
            return [x["arms"][arm]["loss"] for x in m]

        def pacc(arm: str, m=m) -> list[float]:
            return [x["arms"][arm]["pred_accuracy"] for x in m]

        for arm in ("window", *(f"keep{k}" for k in KEPT_TOKENS), "full"):
            what, what_zh = _ARM[arm] if arm in _ARM else (f"first {arm[4:]} + window", f"前 {arm[4:]} 个词元 + 窗口")
            ev.append(stats.evidence_from(stream_loss(c, arm), loss(arm), unit="nats", bounds=(0.0, None),
                                          label=f"held-out loss beyond the window, {what}, {name}",
                                          label_zh=f"窗口之外的留出损失，{what_zh}，{name_zh}"))
            ev.append(stats.evidence_from(stream_acc(c, arm), pacc(arm), unit="accuracy", bounds=ACC,
                                          label=f"accuracy on the predictable tokens beyond the window, {what}, {name}",
                                          label_zh=f"窗口之外可预测词元上的准确率，{what_zh}，{name_zh}"))
        for k in KEPT_TOKENS:
            ev.append(stats.paired_evidence(evict_cost(c, k), loss("window"), loss(f"keep{k}"), unit="nats",
                                            bounds=(None, None),
                                            label=f"held-out loss, first tokens evicted minus first {k} kept, {name}",
                                            label_zh=f"留出损失，逐出开头词元减去保留前 {k} 个，{name_zh}"))
            ev.append(stats.paired_evidence(evict_acc(c, k), pacc(f"keep{k}"), pacc("window"), unit="accuracy",
                                            bounds=DIFF,
                                            label=f"predictable accuracy, first {k} kept minus evicted, {name}",
                                            label_zh=f"可预测词元准确率，保留前 {k} 个减去逐出，{name_zh}"))
            ev.append(stats.paired_evidence(keep_gap(c, k), loss(f"keep{k}"), loss("full"), unit="nats",
                                            bounds=(None, None),
                                            label=f"held-out loss, first {k} kept minus full attention, {name}",
                                            label_zh=f"留出损失，保留前 {k} 个减去完整注意力，{name_zh}"))
    ev.append(Evidence(STREAM_SAME_WEIGHTS, max(gaps) if gaps else "unpaired", unit="accuracy",
                       n=len(gaps), label="largest |full-attention accuracy of the streaming trial - the LM trial's| "
                       "over conditions and seeds (0: the same weights)",
                       label_zh="各条件和种子中，流式试验的完整注意力准确率与语言模型试验之差的最大绝对值"
                                "（0 即权重相同）"))
    return ev


_ARM = {"window": ("window only (first tokens evicted)", "仅窗口（逐出开头词元）"),
        "full": ("full attention", "完整注意力")}


def aggregate(outcomes: Outcomes) -> Aggregate:
    from attnlab.analysis.sinks import uniform_first_share
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
            ev.append(_differential(m))
            m = [as_shares(x) for x in m]
        per[c], more = _condition(c, m, uniform, first["steps"])
        ev.extend(more)
    for c in conds[1:]:
        ev.extend(_paired(c, per, per["softmax"]))
    ev.extend(_stream(outcomes, {c: {o.config["seed"]: o.measurements["accuracy"]
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
