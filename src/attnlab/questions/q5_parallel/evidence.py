"""q5's evidence: the names (shared with the rule and the words) and ``aggregate``."""

from __future__ import annotations

import dataclasses
import statistics
from collections.abc import Callable, Mapping
from typing import Any

from attnlab.lab.spec import Aggregate, EvidenceSet, Outcomes
from attnlab.lab.timings import load_evidence, ratio_evidence
from attnlab.questions.q5_parallel.settings import (
    ARCHS,
    ARCHS_ZH,
    DEVICE_KIND,
    GEN_MODES,
    GEN_MODES_ZH,
    GENERATION_KIND,
    LITERATURE,
    MARGIN,
    THREADS_KIND,
)
from attnlab.results import Evidence

__all__ = ["CACHE_GROWTH", "MACHINE_CPUS", "MAX_ABS_DIFF", "OTHERS_CORES", "SEQUENTIAL_STEPS_ATTENTION", "aggregate",
           "cache_speedup", "device_speedup", "excess_decoder_vs_encoder", "excess_vs_lstm", "generation_lengths",
           "generation_vs_parallel", "gflops", "lengths_in", "ms", "sequential_steps_lstm", "speedup",
           "thread_lengths", "token_by_token_vs_parallel", "us_per_token"]

SEQUENTIAL_STEPS_ATTENTION = "sequential_steps_attention"
CACHE_GROWTH = "cache_speedup_growth"
MAX_ABS_DIFF = "teacher_forcing_max_abs_diff"
OTHERS_CORES, MACHINE_CPUS = "others_cores", "machine_cpus"  # written by attnlab.lab.timings.load_evidence
LOAD_ZH = "计时期间其他进程平均占用的 CPU 核数（取各计时试验中的最大值）"


def speedup(arch: str, t: int) -> str:
    """Speed-up of 2 threads over 1 for ``arch`` at length ``t``."""
    return f"speedup_{arch}_T{t}"


def ms(arch: str, t: int, threads: str) -> str:
    return f"ms_{arch}_T{t}_threads{threads}"


def gflops(arch: str, t: int, threads: str) -> str:
    return f"gflops_{arch}_T{t}_threads{threads}"


def excess_vs_lstm(arch: str, t: int) -> str:
    """``arch``'s 2-thread speed-up over the LSTM's, paired per repeat."""
    return f"excess_{arch}_vs_lstm_T{t}"


def excess_decoder_vs_encoder(t: int) -> str:
    return f"excess_decoder_vs_encoder_T{t}"


def sequential_steps_lstm(t: int) -> str:
    return f"sequential_steps_lstm_T{t}"


def us_per_token(mode: str, n: int) -> str:
    return f"us_per_token_{mode}_L{n}"


def token_by_token_vs_parallel(n: int) -> str:
    return f"token_by_token_vs_parallel_L{n}"


def generation_vs_parallel(n: int) -> str:
    return f"generation_vs_parallel_L{n}"


def cache_speedup(n: int) -> str:
    return f"cache_speedup_L{n}"


def device_speedup(arch: str, t: int) -> str:
    return f"device_speedup_{arch}_T{t}"


def lengths_in(ev: Mapping[str, Any], name_of: Callable[[Any], str]) -> list[int]:
    """The lengths x for which ``name_of(x)`` is in ``ev``, smallest first (``name_of`` a name function above
    with every argument but the length fixed)."""
    head, tail = name_of("\0").split("\0")
    found = (k[len(head):len(k) - len(tail)] for k in ev if k.startswith(head) and k.endswith(tail))
    return sorted(int(x) for x in found if x.isdigit())


def thread_lengths(ev: Mapping[str, Any]) -> list[int]:
    """The lengths T the layers were timed at."""
    return lengths_in(ev, lambda t: excess_vs_lstm("encoder", t))


def generation_lengths(ev: Mapping[str, Any]) -> list[int]:
    """The lengths the causal LM was timed at."""
    return lengths_in(ev, cache_speedup)


def _median_evidence(name: str, values: list[float], *, label: str, label_zh: str, unit: str,
                     scale: float = 1.0) -> Evidence:
    vals = [v * scale for v in values]
    return Evidence(name, statistics.median(vals), None, unit, label=label, n=len(vals), bounds=(0, None),
                    ci_method=f"median of {len(vals)} repeats (range {min(vals):.4g} to {max(vals):.4g})",
                    per_seed=vals, timing=True, label_zh=label_zh)


def _div(a: list[float], b: list[float]) -> list[float]:
    n = min(len(a), len(b))
    return [a[i] / b[i] for i in range(n)]


_EXCESS = {"encoder": ("the encoder block's", "编码器块"), "decoder": ("the causal block's", "因果掩码块"),
           "cnn": ("the conv's", "卷积层")}


def replicate(name: str) -> str:
    """The same timing evidence from the second, independent run of the deciding length."""
    return f"{name}_replicate"


def _thread_evidence(runs: list[Any]) -> list[Evidence]:
    ev: list[Evidence] = []
    speedups: dict[str, dict[int, list[float]]] = {a: {} for a in ARCHS}
    for o in runs:
        t, m = o.config["T"], o.measurements
        for a in ARCHS:
            t1, t2 = m["times"][a]["1"], m["times"][a]["2"]
            speedups[a][t] = _div(t1, t2)
            ev.append(ratio_evidence(speedup(a, t), speedups[a][t],
                                     label=f"speed-up of 2 threads over 1, {ARCHS[a]}, T={t}",
                                     label_zh=f"2 个线程相对 1 个线程的加速比，{ARCHS_ZH[a]}，T={t}"))
            for th, ts in (("1", t1), ("2", t2)):
                ev.append(_median_evidence(ms(a, t, th), ts, scale=1e3, unit="ms",
                                           label=f"forward+backward time, {ARCHS[a]}, T={t}, {th} thread(s)",
                                           label_zh=f"前向+反向耗时，{ARCHS_ZH[a]}，T={t}，{th} 个线程"))
                ev.append(_median_evidence(gflops(a, t, th), [m["flops"][a] / s for s in ts], scale=1e-9,
                                           unit="GFLOP/s",
                                           label=f"achieved GFLOP/s (analytic FLOPs / time), {ARCHS[a]}, T={t}, "
                                                 f"{th} thread(s)",
                                           label_zh=f"实际达到的 GFLOP/s（解析计算的 FLOPs / 耗时），{ARCHS_ZH[a]}，"
                                                    f"T={t}，{th} 个线程"))
        for a, (what, what_zh) in _EXCESS.items():
            ev.append(ratio_evidence(excess_vs_lstm(a, t), _div(speedups[a][t], speedups["lstm"][t]),
                                     label=f"{what} 2-thread speed-up / the LSTM's, T={t} (paired per repeat)",
                                     label_zh=f"{what_zh}的双线程加速比 / LSTM 的双线程加速比，T={t}（逐次重复配对）"))
        ev.append(ratio_evidence(excess_decoder_vs_encoder(t), _div(speedups["decoder"][t], speedups["encoder"][t]),
                                 label=f"the causal block's 2-thread speed-up / the encoder block's, T={t}",
                                 label_zh=f"因果掩码块的双线程加速比 / 编码器块的双线程加速比，T={t}"))
        ev.append(Evidence(sequential_steps_lstm(t), float(t), unit="dependent steps per layer",
                           label=f"derivation: an LSTM layer's T={t} steps each need the previous state",
                           label_zh=f"推导：LSTM 层的 T={t} 步中，每一步都要用到上一步的状态"))
    ev.append(Evidence(SEQUENTIAL_STEPS_ATTENTION, 1.0, unit="dependent steps per layer",
                       label="derivation: self-attention (and convolution) computes every position from the layer "
                             "input at once (Vaswani et al. 2017, Table 1: O(1) vs O(n))",
                       label_zh="推导：自注意力（以及卷积）由该层的输入一次算出所有位置"
                                "（Vaswani 等人 2017，表 1：O(1) 对 O(n)）"))
    return ev


def _generation_evidence(gen: Any) -> list[Evidence]:
    ev: list[Evidence] = []
    gm, gl = gen.measurements, gen.config["lengths"]
    times = {mode: {int(n): v for n, v in gm["times"][mode].items()} for mode in GEN_MODES}
    for n in gl:
        for mode in GEN_MODES:
            ev.append(_median_evidence(us_per_token(mode, n), [s / n for s in times[mode][n]], scale=1e6,
                                       unit="µs per token", label=f"{GEN_MODES[mode]}, {n} tokens",
                                       label_zh=f"{GEN_MODES_ZH[mode]}，{n} 个词元"))
        ev.append(ratio_evidence(token_by_token_vs_parallel(n), _div(times["token_by_token"][n], times["parallel"][n]),
                                 label=f"time of feeding {n} given tokens one at a time (KV cache) / one causal "
                                       "pass over them",
                                 label_zh=f"把 {n} 个已知词元逐个送入（KV 缓存）的耗时 / 对它们做一次因果前向的耗时"))
        ev.append(ratio_evidence(generation_vs_parallel(n), _div(times["cached"][n], times["parallel"][n]),
                                 label=f"time per generated token (KV cache) / per token of a teacher-forced pass, "
                                       f"{n} tokens",
                                 label_zh=f"每个生成词元的耗时（KV 缓存）/ 教师强制前向中每个词元的耗时，{n} 个词元"))
        ev.append(ratio_evidence(cache_speedup(n), _div(times["uncached"][n], times["cached"][n]),
                                 label=f"KV cache speed-up (generation without / with it), {n} tokens",
                                 label_zh=f"KV 缓存带来的加速（不用 / 使用 KV 缓存的生成耗时），{n} 个词元"))
    lo_n, hi_n = min(gl), max(gl)
    ev.append(ratio_evidence(CACHE_GROWTH, _div(_div(times["uncached"][hi_n], times["cached"][hi_n]),
                                                _div(times["uncached"][lo_n], times["cached"][lo_n])),
                             label=f"KV cache speed-up at {hi_n} tokens / at {lo_n} tokens (paired per repeat)",
                             label_zh=f"KV 缓存在 {hi_n} 个词元时的加速 / 在 {lo_n} 个词元时的加速（逐次重复配对）"))
    ev.append(Evidence(MAX_ABS_DIFF, gm["max_abs_diff"], unit="logit",
                       label=f"largest |difference| between one causal pass and token-by-token logits ({hi_n} "
                             "tokens, batch 2)",
                       label_zh=f"一次因果前向与逐词元计算的 logits 之间最大的 |差|（{hi_n} 个词元，批大小 2）"))
    return ev


def aggregate(outcomes: Outcomes) -> Aggregate:
    from attnlab.questions.q5_parallel.plots import plots

    timed = outcomes.where(kind=THREADS_KIND)
    runs = sorted((o for o in timed if "replicate" not in o.config), key=lambda o: o.config["T"])
    replicates = [o for o in timed if "replicate" in o.config]
    lengths = [o.config["T"] for o in runs]
    first = runs[0].config
    gen = outcomes.one(kind=GENERATION_KIND)
    devices = outcomes.where(kind=DEVICE_KIND)
    ev = _thread_evidence(runs) + _generation_evidence(gen) + load_evidence([*runs, gen, *devices], label_zh=LOAD_ZH)
    if replicates:
        t = replicates[0].config["T"]
        deciding = {excess_vs_lstm("encoder", t), excess_vs_lstm("decoder", t), excess_decoder_vs_encoder(t),
                    speedup("encoder", t)}
        ev += [dataclasses.replace(e, name=replicate(e.name), label=f"{e.label} (second independent run)",
                                   label_zh=f"{e.label_zh}（第二次独立运行）")
               for e in _thread_evidence(replicates[:1]) if e.name in deciding]
    for dev in devices:
        t = dev.config["T"]
        for a in ARCHS:
            dt = dev.measurements["times"][a]
            ev.append(ratio_evidence(device_speedup(a, t), _div(dt["cpu"], dt["device"]),
                                     label=f"speed-up of {dev.config['device']} over the CPU "
                                           f"({dev.config['threads']} threads), {ARCHS[a]}, T={t}",
                                     label_zh=f"{dev.config['device'].upper()} 相对 CPU"
                                              f"（{dev.config['threads']} 个线程）的加速比，{ARCHS_ZH[a]}，T={t}"))
    gl = gen.config["lengths"]
    config = {"d_model": first["d_model"], "n_heads": first["n_heads"], "batch": first["batch"], "lengths": lengths,
              "generation_lengths": gl, "generation_model": {k: gen.config[k] for k in ("vocab_size", "n_layers")},
              "repeats": first["repeats"], "warmup": first["warmup"], "margin": MARGIN,
              "threads": "1 and 2 (torch.set_num_threads), alternating within each repeat"}
    return Aggregate(ev, plots(EvidenceSet(ev), lengths, gl), config, LITERATURE)
