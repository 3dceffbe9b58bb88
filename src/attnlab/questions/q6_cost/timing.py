"""q6's second sub-claim as evidence: one layer's forward+backward time per kind and length, the ratios
self-attention / rival over the repeats beside the ratios the FLOP counts predict, and the measured crossover."""

from __future__ import annotations

import dataclasses
import math
import statistics
from typing import Any

from attnlab.analysis.cost import layer_flops
from attnlab.lab.spec import EvidenceSet
from attnlab.lab.timings import ratio_evidence
from attnlab.questions.q6_cost import names as N
from attnlab.questions.q6_cost.settings import (
    LSTM_LAYER,
    SELF_ATTENTION,
    SPEED_KERNEL,
    SPEED_LAYERS,
    SPEED_LAYERS_ZH,
    SPEED_RIVALS,
    TIMING_THREADS,
)
from attnlab.results import Evidence

__all__ = ["crossover", "speed_evidence"]


def speed_evidence(runs: list[Any]) -> list[Evidence]:
    """Evidence of the timing trials ``runs`` (outcomes, ordered by length)."""
    ev: list[Evidence] = []
    if not runs:
        return ev
    d = runs[0].config["d_model"]
    for o in runs:
        n, t = o.config["n"], o.measurements["times"]
        b = o.measurements["batch"]
        for kind, what in SPEED_LAYERS.items():
            vals = [s * 1e3 for s in t[kind]]
            ev.append(Evidence(N.ms(kind, n), statistics.median(vals), None, "ms", n=len(vals), bounds=(0, None),
                               label=f"forward+backward time, {what}, n={n}, batch {b}, d={d}",
                               ci_method=f"median of {len(vals)} repeats", per_seed=vals, timing=True,
                               label_zh=f"前向+反向耗时，{SPEED_LAYERS_ZH[kind]}，n={n}，批大小 {b}，d={d}"))
        for r in SPEED_RIVALS:
            k = min(len(t[SELF_ATTENTION]), len(t[r]))
            e = ratio_evidence(N.time_ratio(r, n), [t[SELF_ATTENTION][i] / t[r][i] for i in range(k)],
                               label=f"wall time, self-attention / {SPEED_LAYERS[r]}, n={n} (CPU, "
                                     f"{TIMING_THREADS} threads, batch {b}, d={d}; < 1: attention faster)",
                               label_zh=f"耗时之比：自注意力 / {SPEED_LAYERS_ZH[r]}，n={n}（CPU，"
                                        f"{TIMING_THREADS} 个线程，批大小 {b}，d={d}；小于 1 表示注意力更快）")
            ev.append(dataclasses.replace(e, ci_method=f"geometric mean of {e.n} alternating repeats in one process; "
                                                       "the bracket is the spread of those repeats (a t interval on "
                                                       "the log scale), not an interval over independent runs"))
            ev.append(Evidence(N.flops_ratio(r, n), layer_flops(SELF_ATTENTION, n, d)
                               / layer_flops(r, n, d, SPEED_KERNEL),
                               unit="x", label=f"FLOPs, self-attention / {SPEED_LAYERS[r]}, n={n} (derivation: the "
                                               "time ratio if both ran at the same FLOP/s)",
                               label_zh=f"FLOPs 之比：自注意力 / {SPEED_LAYERS_ZH[r]}，n={n}（推导：两者 FLOP/s 相同时"
                                        "的耗时之比）", ci_method="exact: counted from the layer formulas"))
    ns = [o.config["n"] for o in runs]
    tokens, threads = runs[0].config["tokens"], runs[0].config["threads"]
    ev.append(Evidence(N.TIMING_REGIME, [threads, tokens, d], unit="[threads, tokens per batch, d]",
                       label=f"timing regime: CPU, {threads} threads, {tokens} tokens per batch (batch = "
                             f"{tokens} // n), d={d}, one process, forward+backward of one layer",
                       label_zh=f"计时条件：CPU，{threads} 个线程，每批 {tokens} 个词元（批大小 = {tokens} // n），"
                                f"d={d}，单个进程，单层前向+反向"))
    ratios = [EvidenceSet(ev)[N.time_ratio(LSTM_LAYER, n)].number for n in ns]
    ev.append(Evidence(N.MEASURED_CROSSOVER, crossover(ns, ratios), unit="n",
                       label=f"n where the measured time ratio self-attention / LSTM crosses 1 (log-log interpolation "
                             f"of the medians; predicted from FLOPs: n = 2d = {2 * d})", timing=True,
                       label_zh=f"实测耗时之比（自注意力 / LSTM）穿过 1 处的 n（对各点取双对数插值；按 FLOPs 预测为 "
                                f"n = 2d = {2 * d}）"))
    return ev


def crossover(ns: list[int], ratios: list[float]) -> float | str:
    """Where ``ratios`` (at increasing ``ns``) cross 1, interpolated in log n and log ratio; text if it does not."""
    for (n0, r0), (n1, r1) in zip(zip(ns, ratios, strict=True), zip(ns[1:], ratios[1:], strict=True), strict=False):
        if (r0 - 1) * (r1 - 1) <= 0 and r0 != r1:
            w = math.log(r0) / (math.log(r0) - math.log(r1))
            return float(math.exp(math.log(n0) + w * (math.log(n1) - math.log(n0))))
    return f"no crossing for n in [{ns[0]}, {ns[-1]}]" + (" (attention faster throughout)" if ratios[0] < 1
                                                         else " (attention slower throughout)")
