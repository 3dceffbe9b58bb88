"""q10's two arms as evidence, their names defined here: differential attention's λ and its shares as shares of
each map's net weight; the streaming arm's loss and predictable accuracy beyond the window with the first
tokens evicted, kept or all visible, and the paired differences between them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attnlab.lab import stats
from attnlab.lab.spec import Outcomes
from attnlab.questions.q10_sinks.settings import ACC, ALL_CONDITIONS, DIFF, KEPT_TOKENS, VARIANT_LABEL, VARIANT_ZH
from attnlab.results import Evidence

__all__ = ["as_shares", "differential_evidence", "stream_evidence"]

DIFF_LAMBDA = "differential_lambda_layers"  # λ of each differential layer after training (mean over seeds)

STREAM_CONDITIONS = "stream_conditions"  # the conditions the streaming arm evaluated, softmax first
STREAM_WINDOW = "stream_window"  # the recent window W (keys, the query's own included)
STREAM_SEQ_LEN = "stream_seq_len"  # tokens per sequence of the streamed held-out text (the training length)
STREAM_LOOKBACK = "stream_lookback"  # how far back the task's predictable tokens look (the block length)
STREAM_SAME_WEIGHTS = "stream_same_weights"  # largest |full-attention accuracy, stream trial - LM trial|


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


def stream_evidence(outcomes: Outcomes, lm_acc: dict[str, dict[int, float]]) -> list[Evidence]:
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


def as_shares(m: dict[str, Any]) -> dict[str, Any]:
    """A differential LM's measurements with its first-token shares as shares of each map's net weight.

    The differential map A_1 - λ A_2 has rows summing to 1 - λ (``sink_mass`` records λ: 1 - row sum), and the
    per-head RMSNorm after it makes the output blind to that scale, so the weights that mix the values are the
    map over its row sum; the first-token share divided by 1 - λ is comparable with a softmax head's. The share
    at initialisation is dropped (λ there was not recorded)."""
    first = [[f / (1.0 - lam) for f, lam in zip(fr, lr, strict=True)]
             for fr, lr in zip(m["first_share"], m["sink_mass"], strict=True)]
    return {**{k: v for k, v in m.items() if k != "first_share_init"}, "first_share": first}


def differential_evidence(m: list[dict[str, Any]]) -> Evidence:
    lam = [[sum(row) / len(row) for row in x["sink_mass"]] for x in m]  # per seed, per layer: λ (shared by heads)
    return Evidence(DIFF_LAMBDA, [sum(r[l] for r in lam) / len(lam) for l in range(len(lam[0]))],
                    unit="λ", label="differential attention: λ of each layer after training (mean over "
                    "seeds; initialised at 0.8 - 0.6 exp(-0.3 (l - 1)): 0.2, 0.36)",
                    label_zh="差分注意力：训练后每层的 λ（各种子平均；初始值为 0.8 - 0.6 exp(-0.3 (l - 1))，"
                             "即 0.2、0.36）")
