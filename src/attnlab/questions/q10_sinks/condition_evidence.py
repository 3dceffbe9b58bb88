"""q10's evidence of each trained condition: its accuracy, steps and first-token shares, and the same
against softmax, paired by seed (the names are :mod:`attnlab.questions.q10_sinks.evidence`'s)."""

from __future__ import annotations

from typing import Any

from attnlab.lab import stats
from attnlab.lab.words import num
from attnlab.questions.q10_sinks.evidence import (
    SINK_LOGIT_HEADS,
    SINK_LOGIT_MAX_ABS,
    acc,
    acc_diff,
    first_max,
    first_max_drop,
    first_max_growth,
    first_max_ratio,
    first_max_ratio_init,
    first_mean,
    first_mean_drop,
    sink_heads,
    sink_mass,
    steps,
    steps_ratio,
)
from attnlab.questions.q10_sinks.settings import (
    ACC,
    DIFF,
    PARK_FACTOR,
    RATIO,
    SINK_VARIANTS,
    THRESHOLD,
    VARIANT_LABEL,
    VARIANT_ZH,
)
from attnlab.results import Evidence

__all__ = ["condition_evidence", "paired_evidence"]


def _max_head(first: list[list[float]]) -> float:
    return max(x for row in first for x in row)


def _mean_head(first: list[list[float]]) -> float:
    flat = [x for row in first for x in row]
    return sum(flat) / len(flat)


def condition_evidence(c: str, m: list[dict[str, Any]], uniform: float, budget: int) -> tuple[dict, list[Evidence]]:
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


def paired_evidence(c: str, per: dict[str, dict], ref: dict) -> list[Evidence]:
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
