"""q10's evidence from all-MiniLM-L6-v2: [CLS]/[SEP] weight and norm-based shares per layer (names from
:mod:`attnlab.questions.q10_sinks.evidence`)."""

from __future__ import annotations

from typing import Any

from attnlab.lab import stats
from attnlab.lab.words import num
from attnlab.questions.q10_sinks.evidence import (
    MINILM_LAYERS,
    MINILM_NORM_HEADS,
    MINILM_SPECIAL_HEADS,
    MINILM_UNIFORM,
    norm_over_weight,
    norm_share,
    special_ratio,
    special_share,
)
from attnlab.questions.q10_sinks.settings import ACC, MINILM, RATIO
from attnlab.results import Evidence

__all__ = ["minilm_evidence"]


def minilm_evidence(mini: dict[str, Any]) -> list[Evidence]:
    weight, norm, uniform = mini["weight"], mini["norm"], mini["uniform"]  # (N, L), (N, L), (N,)
    n_layers = len(weight[0])
    tokens = num(mini["mean_tokens"], 1)
    ev = [Evidence(MINILM_LAYERS, n_layers, unit="layers", label=f"{MINILM} layers", label_zh=f"{MINILM} 的层数"),
          stats.evidence_from(MINILM_UNIFORM, uniform, unit="share", bounds=ACC, over="sentences",
                              label=f"2/T: the [CLS]+[SEP] share of uniform attention (sentences of {tokens} tokens "
                                    "on average)",
                              label_zh=f"2/T：均匀注意力给 [CLS]+[SEP] 的份额（句子平均 {tokens} 个词元）"),
          Evidence(MINILM_SPECIAL_HEADS, mini["weight_heads"], unit="share (layer x head)",
                   label=f"{MINILM}: weight on [CLS]+[SEP] per head",
                   label_zh=f"{MINILM}：每个头放在 [CLS]+[SEP] 上的权重"),
          Evidence(MINILM_NORM_HEADS, mini["norm_heads"], unit="share (layer x head)",
                   label=f"{MINILM}: norm-based share on [CLS]+[SEP] per head",
                   label_zh=f"{MINILM}：每个头在 [CLS]+[SEP] 上基于范数的份额")]
    for l in range(1, n_layers + 1):
        w = [row[l - 1] for row in weight]
        nb = [row[l - 1] for row in norm]
        layer, layer_zh = f"{MINILM} layer {l}", f"{MINILM} 第 {l} 层"
        ev.append(stats.evidence_from(special_share(l), w, unit="share", bounds=ACC, over="sentences",
                                      label=f"{layer}: weight on [CLS]+[SEP]",
                                      label_zh=f"{layer_zh}：放在 [CLS]+[SEP] 上的权重"))
        ev.append(stats.evidence_from(special_ratio(l), [a / u for a, u in zip(w, uniform, strict=True)],
                                      unit="x uniform", bounds=RATIO, over="sentences",
                                      label=f"{layer}: weight on [CLS]+[SEP] over 2/T",
                                      label_zh=f"{layer_zh}：放在 [CLS]+[SEP] 上的权重 / 2/T"))
        ev.append(stats.evidence_from(norm_share(l), nb, unit="share", bounds=ACC, over="sentences",
                                      label=f"{layer}: norm-based share on [CLS]+[SEP]",
                                      label_zh=f"{layer_zh}：[CLS]+[SEP] 上基于范数的份额"))
        ev.append(stats.evidence_from(norm_over_weight(l), [b / max(a, 1e-12) for a, b in zip(w, nb, strict=True)],
                                      unit="x", bounds=RATIO, over="sentences",
                                      label=f"{layer}: norm-based share over weight share",
                                      label_zh=f"{layer_zh}：基于范数的份额 / 权重份额"))
    return ev
