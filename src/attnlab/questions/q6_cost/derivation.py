"""q6's first sub-claim as evidence: parameters and FLOPs per layer, the formulas checked against the real modules'
counts, the shares of the grid where self-attention is cheaper, and the crossovers (a derivation)."""

from __future__ import annotations

from typing import Any

from attnlab.analysis.cost import attention_conv_params_crossover, attention_lstm_flops_crossover, layer_flops
from attnlab.questions.q6_cost import names as N
from attnlab.questions.q6_cost.settings import ACC
from attnlab.results import Evidence

__all__ = ["cost_evidence", "flops_width"]


def flops_width(ds: list[int]) -> int:
    """The width at which the FLOP table is given (64 when the grid has it)."""
    return 64 if 64 in ds else ds[len(ds) // 2]


def cost_evidence(cfg: dict[str, Any], m: dict[str, Any]) -> list[Evidence]:
    """The cost trial's config ``cfg`` and measurements ``m`` as evidence."""
    ev: list[Evidence] = []
    p_bad = [r for r in m["params"] if r["formula"] != r["counted"]]
    f_bad = [r for r in m["flops"] if r["formula"] != r["counted"]]
    ev.append(Evidence(N.PARAMS_MISMATCHES, float(len(p_bad)), unit="grid points", n=len(m["params"]),
                       label="parameter formulas that differ from the real modules' counts", per_seed=p_bad or None,
                       label_zh="与真实模块计数不符的参数公式"))
    ev.append(Evidence(N.FLOPS_MISMATCHES, float(len(f_bad)), unit="grid points", n=len(m["flops"]),
                       label="FLOP formulas that differ from torch's FLOP counter on the real modules",
                       per_seed=f_bad or None, label_zh="在真实模块上与 PyTorch 的 FLOP 计数器不符的 FLOP 公式"))
    table = {(r["kind"], r["d"], r["k"]): r["counted"] for r in m["params"]}
    ds, ks = cfg["ds"], cfg["ks"]
    ev.append(Evidence(N.PARAMS_TABLE, [[d, table[("self_attention", d, 3)], table[("transformer_block", d, 3)],
                                         table[("lstm", d, 3)], *(table[("conv", d, k)] for k in ks)] for d in ds],
                       unit="parameters per layer", label="derivation, counted on the modules: rows [d, "
                       "self-attention, Transformer block, LSTM, " + ", ".join(f"conv k={k}" for k in ks) + "]",
                       label_zh="推导，在模块上计数：每行依次为 d、自注意力、Transformer 块、LSTM、"
                                + "、".join(f"卷积 k={k}" for k in ks)))
    d0 = flops_width(ds)
    kinds = ("self_attention", "lstm", "conv")
    ev.append(Evidence(N.FLOPS_TABLE, [[n, *(layer_flops(kind, n, d0, 3) for kind in kinds)] for n in cfg["ns"]],
                       unit="forward FLOPs per layer (batch 1)",
                       label=f"derivation (formulas, checked against counts for n <= {max(cfg['count_ns'])}): rows "
                             f"[n, self-attention, LSTM, conv k=3] at d={d0}",
                       label_zh=f"推导（公式，n <= {max(cfg['count_ns'])} 时已与计数核对）：d={d0} 时每行依次为 "
                                "n、自注意力、LSTM、卷积 k=3"))
    fewer_p = [(d, k) for d in ds for k in ks if table[("self_attention", d, 3)] < table[("conv", d, k)]]
    n_cases_p = len(ds) * (len(ks) + 1)
    wins_p = len(fewer_p) + sum(table[("self_attention", d, 3)] < table[("lstm", d, 3)] for d in ds)
    ev.append(Evidence(N.FEWER_PARAMS_SHARE, wins_p / n_cases_p, unit="share of grid cases", n=n_cases_p,
                       label="derivation: share of (d, rival) cases where self-attention has fewer parameters "
                             "(rivals: LSTM and conv of each k)", bounds=ACC,
                       label_zh="推导：在（d，比较的模型）组合中自注意力参数更少的比例"
                                "（比较的模型：LSTM 和各个 k 的卷积）"))
    cases_f = [(n, d, r) for n in cfg["ns"] for d in ds for r in ("lstm", "conv")]
    wins_f = sum(layer_flops("self_attention", n, d) < layer_flops(r, n, d, 3) for n, d, r in cases_f)
    ev.append(Evidence(N.FEWER_FLOPS_SHARE, wins_f / len(cases_f), unit="share of grid cases",
                       n=len(cases_f), bounds=ACC,
                       label="derivation: share of (n, d, rival) cases where self-attention needs fewer FLOPs "
                             "(rivals: LSTM and conv k=3)",
                       label_zh="推导：在（n，d，比较的模型）组合中自注意力 FLOPs 更少的比例"
                                "（比较的模型：LSTM 和 k=3 的卷积）"))
    ev.append(Evidence(N.BLOCK_OVER_LSTM, table[("transformer_block", ds[-1], 3)] / table[("lstm", ds[-1], 3)],
                       unit="ratio", label=f"derivation: a whole Transformer block's parameters / an LSTM layer's "
                                           f"at d={ds[-1]} (→ 12/8 = 1.5)",
                       label_zh=f"推导：d={ds[-1]} 时整个 Transformer 块的参数量 / 一个 LSTM 层的参数量"
                                "（→ 12/8 = 1.5）", ci_method="exact: counted on the modules"))
    ev.append(Evidence(N.MIN_KERNEL, float(attention_conv_params_crossover(max(ds))), unit="k",
                       label="derivation: smallest conv kernel with more parameters than self-attention "
                             "(k > 4 + 3/d; 5 for every d >= 4)",
                       label_zh="推导：参数量多于自注意力的最小卷积核（k > 4 + 3/d；d >= 4 时都是 5）"))
    ev.append(Evidence(N.FLOPS_CROSSOVER, attention_lstm_flops_crossover(ds[-1]) / ds[-1], unit="n / d",
                       label="derivation: self-attention needs fewer FLOPs than an LSTM iff n < 2d (the core QKᵀ, AV "
                             "alone, as in Vaswani Table 1's leading terms: n < d)",
                       label_zh="推导：当且仅当 n < 2d 时自注意力的 FLOPs 少于 LSTM（只看核心的 QKᵀ、AV，"
                                "即 Vaswani 表 1 的主项：n < d）"))
    return ev
