"""q5's figures: which layers turn a second core into speed (the headline), and the decoder's passes."""

from __future__ import annotations

from collections.abc import Callable

from attnlab.lab.rules import interval
from attnlab.lab.spec import EvidenceSet
from attnlab.questions.q5_parallel.evidence import cache_speedup, gflops, speedup, us_per_token
from attnlab.questions.q5_parallel.settings import (
    ARCHS,
    ARCHS_ZH,
    BATCH,
    GEN_MODES,
    GEN_MODES_ZH,
    GEN_THREADS,
    KERNEL,
    SHORT,
)
from attnlab.results import Panel, Plot, RefLine, Series

SHORT_ZH = {"encoder": "编码器块", "decoder": "因果块", "lstm": "LSTM", "cnn": f"卷积 k={KERNEL}"}  # SHORT in Chinese


def _series(es: EvidenceSet, label: str, xs: list[int], name_of: Callable[[int], str],
            style: str = "solid", label_zh: str = "") -> Series:
    evs = [es[name_of(x)] for x in xs]
    return Series(label, list(xs), [e.number for e in evs], [interval(e)[0] for e in evs],
                  [interval(e)[1] for e in evs], style=style, label_zh=label_zh)


def plots(es: EvidenceSet, lengths: list[int], gl: list[int]) -> list[Plot]:
    speed = Panel(title=f"2 threads over 1 (batch {BATCH})", xlabel="sequence length T", ylabel="speed-up",
                  xscale="log2",
                  series=[_series(es, ARCHS[a], lengths, lambda t, a=a: speedup(a, t), label_zh=ARCHS_ZH[a])
                          for a in ARCHS],
                  lines=[RefLine(1.0, "no gain", label_zh="没有加速"), RefLine(2.0, "ideal on 2 cores",
                                                                             label_zh="2 个核的理想值")],
                  title_zh=f"2 个线程相对 1 个线程（批大小 {BATCH}）", xlabel_zh="序列长度 T", ylabel_zh="加速比")
    flops = Panel(title="Achieved GFLOP/s (2 threads)", xlabel="sequence length T", ylabel="GFLOP/s", xscale="log2",
                  yscale="log",
                  series=[_series(es, SHORT[a], lengths, lambda t, a=a: gflops(a, t, "2"), label_zh=SHORT_ZH[a])
                          for a in ARCHS],
                  title_zh="实际达到的 GFLOP/s（2 个线程）", xlabel_zh="序列长度 T", ylabel_zh="GFLOP/s")
    headline = Plot("parallel_speedup", "Which layers turn a second core into speed?", [speed, flops], caption=(
        "Left: speed-up of 2 threads over 1 for one layer's forward+backward pass (geometric mean over repeats, "
        "95% interval). Right: analytic FLOPs per second of wall time."), headline=True,
        title_zh="哪些层能把第二个核变成速度？",
        caption_zh="左：单层前向+反向时，2 个线程相对 1 个线程的加速比（各次重复的几何平均及 95% 区间）。"
                   "右：解析计算的 FLOPs 除以实际耗时。")
    per_token = Panel(title="Time per token", xlabel="tokens", ylabel="µs per token", xscale="log2", yscale="log",
                      series=[_series(es, GEN_MODES[m], gl, lambda n, m=m: us_per_token(m, n), label_zh=GEN_MODES_ZH[m])
                              for m in GEN_MODES],
                      title_zh="每个词元的耗时", xlabel_zh="词元数", ylabel_zh="每个词元的微秒数")
    cache = Panel(title="KV cache speed-up", xlabel="generated tokens", ylabel="without / with cache",
                  xscale="log2", series=[_series(es, "KV cache speed-up", gl, cache_speedup, label_zh="KV 缓存的加速")],
                  lines=[RefLine(1.0, "no gain", label_zh="没有加速")],
                  title_zh="KV 缓存带来的加速", xlabel_zh="生成的词元数", ylabel_zh="不用缓存 / 用缓存")
    decoder = Plot("decoder_training_vs_generation", "Decoder: one parallel pass vs one token at a time",
                   [per_token, cache], caption=f"A causal LM, batch {BATCH}, forward only, {GEN_THREADS} thread: "
                   "medians over repeats (left) and the cache's speed-up with 95% intervals (right).",
                   title_zh="解码器：一次并行前向与逐个词元",
                   caption_zh=f"一个因果语言模型，批大小 {BATCH}，只做前向，{GEN_THREADS} 个线程："
                              "左为各次重复的中位数，右为 KV 缓存带来的加速及 95% 区间。")
    return [headline, decoder]
