"""q5: how does the Transformer parallelise?

The seed: the encoder processes all tokens in parallel, where an RNN must go in order; the decoder is not
parallel, it decodes one token at a time because each input depends on the previous output. Four
sub-claims, each measured with wall-clock timings taken in alternation (every ratio is formed per repeat
and summarised over the repeats with a t interval on the log scale):

**The encoder is parallel over positions, unlike an RNN.** One layer of each architecture at width d,
forward + backward, batch 1 (so the only parallelism available is across positions and inside each
position's matrices): a Transformer encoder block, an LSTM layer and a convolution (k = 3), at several
lengths T, each timed with 1 and with 2 torch threads in alternation. The measure is the speed-up of 2
threads over 1; "parallel over positions" predicts that the encoder turns the second core into speed
while the LSTM, whose T steps depend on each other, cannot. The count of dependent steps (1 per layer
for attention and convolution, T for the LSTM) is a derivation and shown as such; achieved FLOP/s (FLOPs
counted analytically, :mod:`attnlab.analysis.cost`) say how well each uses the hardware.

**The decoder is not parallel (applied to training).** In training the decoder sees the target shifted by
one (teacher forcing), so one pass with a causal mask computes every position at once; it gives the same
logits as going token by token (checked). Measured, and deciding: the same Transformer block with a causal mask,
timed like the encoder (does it parallelise like the encoder or like the LSTM?). A causal language model's one
pass over T given tokens against feeding the same tokens one at a time through the KV cache is shown as a
derivation check: a per-call cost alone makes T calls slower than one, so it cannot fail.

**Generation is one token at a time.** That token t + 1 needs token t is a derivation, and so is the check
of what it costs (it cannot fail for the same reason): time per generated token (with the KV cache) against
time per token of a teacher-forced pass over the same number of tokens. The overall verdict rests on the
thread speed-ups, which can fail.

**(Not in the seed) the KV cache.** Generation without the cache re-runs the whole prefix at every step
(Σ t ≈ T²/2 token passes instead of T), so its speed-up should grow with length.

Timings vary from run to run and with the machine's load: every timing evidence is marked ``timing=True``
and the rules use intervals, so a ratio near its threshold gives "inconclusive", not a flip. With a GPU
(``full`` profile), the GPU's speed-up over the CPU per architecture is reported beside them.
"""

from __future__ import annotations

import statistics
from typing import Any

import torch

from attnlab.analysis.cost import build_layer, layer_flops
from attnlab.analysis.speed import others_load, thread_timings
from attnlab.experiments import rules
from attnlab.experiments.context import pick
from attnlab.experiments.registry import register
from attnlab.experiments.spec import (
    Aggregate,
    Decision,
    EvidenceSet,
    Experiment,
    Explanation,
    Outcomes,
    Question,
    Trial,
)
from attnlab.experiments.timings import cacheable, load_clause, load_evidence, load_text, quiet_check, ratio_evidence
from attnlab.results import Check, Evidence, Panel, Plot, Reference, RefLine, Series

__all__ = ["ARCHS", "QUESTION", "decide", "device_trial", "explain", "generation_trial", "load_evidence", "load_text",
           "quiet_check",
           "ratio_evidence", "threads_trial"]

QUESTION = Question(
    qid="q5",
    title="How does the Transformer parallelise?",
    question="How does the Transformer parallelise?",
    question_zh="Transformer 如何并行化的?",
    claim="The encoder processes all tokens in parallel (an RNN must go in order); the decoder is not parallel: "
          "it decodes one token at a time, each input depending on the previous output.",
    claim_zh="Transformer在Decoder侧是没有并行的,一个一个解码,当前时刻的输入依赖于上一个时刻的输出。所以Transformer的并行"
             "主要集中在Encoder侧,不同词(Token)或者元素是可以并行的……而 RNN的模型就必须按照顺序从到的顺序进行计算。",
)

BATCH = 1  # one sequence: the only parallelism left is across positions and inside each position's matrices
KERNEL = 3  # the convolution's kernel
GEN_THREADS = 1  # the decoder's passes are compared on one core: batching alone, no threading
ARCHS: dict[str, str] = {  # name -> what is timed
    "encoder": "Transformer encoder block (self-attention + feed-forward)",
    "decoder": "the same block with a causal mask (a decoder in training)",
    "lstm": "LSTM layer",
    "cnn": f"convolution, kernel {KERNEL}",
}
ARCHS_ZH = {
    "encoder": "Transformer encoder 块(自注意力 + 前馈层)",
    "decoder": "加因果掩码的同一个块(训练中的 decoder)",
    "lstm": "LSTM 层",
    "cnn": f"卷积层,卷积核 {KERNEL}",
}
SHORT = {"encoder": "encoder block", "decoder": "causal block", "lstm": "LSTM", "cnn": f"conv k={KERNEL}"}
_KIND = {"encoder": "transformer_block", "decoder": "transformer_block", "lstm": "lstm", "cnn": "conv"}
GEN_MODES: dict[str, str] = {
    "parallel": "one teacher-forced pass over the tokens (causal mask)",
    "token_by_token": "the same given tokens fed one at a time through the KV cache",
    "cached": "greedy generation with the KV cache",
    "uncached": "greedy generation without the cache (re-runs the prefix)",
}
GEN_MODES_ZH = {
    "parallel": "对这些词元做一次 teacher forcing 前向(因果掩码)",
    "token_by_token": "把同样的已知词元经 KV cache 逐个送入",
    "cached": "使用 KV cache 的贪心生成",
    "uncached": "不用 KV cache 的贪心生成(每步重算前缀)",
}
MARGIN = 1.1  # a speed-up ratio must exceed this (interval above it) to count as more parallel
MIN_REPEATS = 7  # timing repeats a verdict needs
MATCH_TOL = 1e-4  # teacher-forced vs token-by-token logits
VASWANI = Reference(
    "Vaswani et al. 2017, Table 1 and §4", "Sequential operations per layer: O(1) for self-attention and "
    "convolution, O(n) for a recurrent layer; the Transformer trains in parallel over positions (teacher forcing).",
    "per-layer analysis", "supports", "https://arxiv.org/abs/1706.03762")
LITERATURE = [
    VASWANI,
    Reference("Pope et al. 2022, Efficiently Scaling Transformer Inference", "Autoregressive decoding is "
              "sequential and memory-bandwidth bound; the KV cache avoids recomputing the prefix but each token "
              "still needs a full pass over the weights.", "PaLM inference on TPU v4", "supports",
              "https://arxiv.org/abs/2211.05102"),
    Reference("Leviathan et al. 2023, speculative decoding", "Generation can be made partly parallel by "
              "drafting several tokens with a small model and verifying them in one parallel pass: one "
              "token at a time is the default, not a law.", "T5-XXL, LaMDA", "context",
              "https://arxiv.org/abs/2211.17192"),
    Reference("Bradbury et al. 2017, Quasi-Recurrent Neural Networks", "Recurrent layers can be made mostly "
              "parallel (convolutions over time plus a cheap elementwise recurrence): the sequential part of "
              "an RNN is a design choice.", "QRNN vs LSTM, language modelling", "context",
              "https://arxiv.org/abs/1611.01576"),
]


# ----------------------------------------------------------------------------------------------------
# Trials
# ----------------------------------------------------------------------------------------------------


def _layer(arch: str, d: int, n_heads: int) -> torch.nn.Module:
    return build_layer(_KIND[arch], d, k=KERNEL, n_heads=n_heads)


def _fwd_bwd(layer: torch.nn.Module, x: torch.Tensor, causal: bool):
    """One forward + backward pass of ``layer`` on x (B, T, C); the input's gradient is computed too, as for
    a layer inside a network."""
    def step() -> None:
        layer.zero_grad(set_to_none=True)
        x.grad = None
        out = layer(x, is_causal=True) if causal else layer(x)
        out.sum().backward()
    return step


def _train_flops(arch: str, t: int, d: int, batch: int) -> float:
    """FLOPs of one forward + backward pass: 3x the forward's matrix products (the backward pass does two
    products per forward product: gradients for the input and for the weights). Attention is counted dense."""
    return 3.0 * batch * layer_flops(_KIND[arch], t, d, KERNEL)


def threads_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Forward + backward time of one layer per architecture at length T, with 1 and 2 threads in alternation.

    Returns ``{"times": {arch: {"1": [s per repeat], "2": [...]}}, "flops": {arch: FLOPs per pass}}``.
    """
    t, d, b = config["T"], config["d_model"], config["batch"]
    g = torch.Generator().manual_seed(config["seed"])
    fns = {}
    for arch in ARCHS:
        layer = _layer(arch, d, config["n_heads"])
        x = torch.randn(b, t, d, generator=g).requires_grad_(True)  # (B, T, C)
        fns[arch] = _fwd_bwd(layer, x, arch == "decoder")
    threads = tuple(config["threads"])
    with others_load() as load:
        times = thread_timings(fns, threads=threads, repeats=config["repeats"], warmup=config["warmup"],
                               min_seconds=config["min_seconds"], max_seconds=config["max_seconds"])
    return {"times": {a: {str(k): v for k, v in times[a].items()} for a in ARCHS},
            "flops": {a: _train_flops(a, t, d, b) for a in ARCHS}, **load, "cache": cacheable(load)}


def device_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Forward + backward time per architecture on the CPU and on ``config["device"]`` (a GPU), in alternation."""
    t, d, b, dev = config["T"], config["d_model"], config["batch"], config["device"]
    g = torch.Generator().manual_seed(config["seed"])
    fns = {}
    for arch in ARCHS:
        x0 = torch.randn(b, t, d, generator=g)  # (B, T, C), the same input on both
        for where, on in (("cpu", "cpu"), ("device", dev)):
            layer = _layer(arch, d, config["n_heads"]).to(on)
            x = x0.to(on).requires_grad_(True)
            fns[f"{arch}@{where}"] = _fwd_bwd(layer, x, arch == "decoder")
    th = config["threads"]
    with others_load() as load:
        times = thread_timings(fns, threads=(th,), repeats=config["repeats"], warmup=config["warmup"],
                               min_seconds=config["min_seconds"], max_seconds=config["max_seconds"], device=dev)
    return {"times": {a: {"cpu": times[f"{a}@cpu"][th], "device": times[f"{a}@device"][th]} for a in ARCHS},
            **load, "cache": cacheable(load)}


def generation_trial(config: dict[str, Any]) -> dict[str, Any]:
    """A causal LM: one teacher-forced pass vs token by token vs generation with and without the KV cache.

    For each length L: ``parallel`` runs the model once on L given tokens; ``token_by_token`` feeds the same
    L tokens one at a time through the KV cache; ``cached`` / ``uncached`` generate L tokens greedily from a
    one-token prompt. All forward only, timed in alternation. Also the largest |difference| between the
    logits of the one pass and of the token-by-token pass (equal up to rounding: what makes teacher
    forcing a faithful parallel version of decoding).
    """
    from attnlab.models import TransformerLM

    lengths, vocab = config["lengths"], config["vocab_size"]
    lm = TransformerLM(vocab_size=vocab, d_model=config["d_model"], n_heads=config["n_heads"],
                       n_layers=config["n_layers"], max_len=max(lengths) + 1).eval()
    g = torch.Generator().manual_seed(config["seed"])
    fns = {}
    for n in lengths:
        ids = torch.randint(0, vocab, (1, n), generator=g)  # (B=1, L)

        def parallel(ids: torch.Tensor = ids) -> None:
            with torch.no_grad():
                lm(ids)

        def token_by_token(ids: torch.Tensor = ids, n: int = n) -> None:
            with torch.no_grad():
                caches = lm.make_caches(1, n)
                for i in range(n):
                    lm(ids[:, i:i + 1], caches=caches)

        fns[f"parallel@{n}"] = parallel
        fns[f"token_by_token@{n}"] = token_by_token
        fns[f"cached@{n}"] = lambda ids=ids, n=n: lm.generate(ids[:, :1], n, use_cache=True)
        fns[f"uncached@{n}"] = lambda ids=ids, n=n: lm.generate(ids[:, :1], n, use_cache=False)
    th = config["threads"]
    with others_load() as load:
        times = thread_timings(fns, threads=(th,), repeats=config["repeats"], warmup=config["warmup"],
                               min_seconds=config["min_seconds"], max_seconds=config["max_seconds"])
    n = max(lengths)
    ids = torch.randint(0, vocab, (2, n), generator=g)
    with torch.no_grad():
        one_pass = lm(ids).logits  # (B, L, V)
        caches = lm.make_caches(2, n)
        steps = torch.cat([lm(ids[:, i:i + 1], caches=caches).logits for i in range(n)], dim=1)  # (B, L, V)
    return {"times": {m: {str(n): times[f"{m}@{n}"][th] for n in lengths} for m in GEN_MODES},
            "max_abs_diff": float((one_pass - steps).abs().max()), **load, "cache": cacheable(load)}


def _settings(profile: str) -> dict[str, Any]:
    return pick(profile,
                tiny=dict(d_model=16, n_heads=4, lengths=[8, 32], gen_lengths=[4, 16], repeats=2, gen_repeats=2,
                          warmup=1, min_seconds=0.0, max_seconds=2.0),
                quick=dict(d_model=64, n_heads=4, lengths=[32, 128, 512], gen_lengths=[16, 64, 256], repeats=9,
                           gen_repeats=7, warmup=2, min_seconds=0.005, max_seconds=25.0),
                full=dict(d_model=256, n_heads=8, lengths=[64, 256, 1024, 2048], gen_lengths=[32, 128, 512],
                          repeats=15, gen_repeats=11, warmup=3, min_seconds=0.02, max_seconds=240.0))


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    """Timing trials only (each runs alone, with 2 threads); the seed fixes the inputs, not the timing."""
    s = _settings(profile)
    common = {k: s[k] for k in ("d_model", "n_heads", "repeats", "warmup", "min_seconds", "max_seconds")}
    seed = seeds[0]
    out = [Trial(threads_trial, {"kind": "threads", "T": t, "batch": BATCH, "threads": [1, 2], "seed": seed, **common},
                 exclusive=True, threads=2) for t in s["lengths"]]
    out.append(Trial(generation_trial, {"kind": "generation", "lengths": s["gen_lengths"], "vocab_size": 64,
                                        "n_layers": 2, "threads": GEN_THREADS, "seed": seed,
                                        **common, "repeats": s["gen_repeats"]},
                     exclusive=True, threads=2))
    if profile == "full" and torch.cuda.is_available():  # the GPU case: reported, never required
        out.append(Trial(device_trial, {"kind": "device", "device": "cuda", "T": s["lengths"][-1], "batch": BATCH,
                                        "threads": 2, "seed": seed, **common}, exclusive=True, threads=2))
    return out


# ----------------------------------------------------------------------------------------------------
# Evidence
# ----------------------------------------------------------------------------------------------------


def _median_evidence(name: str, values: list[float], *, label: str, label_zh: str, unit: str,
                     scale: float = 1.0) -> Evidence:
    vals = [v * scale for v in values]
    return Evidence(name, statistics.median(vals), None, unit, label=label, n=len(vals), bounds=(0, None),
                    ci_method=f"median of {len(vals)} repeats (range {min(vals):.4g} to {max(vals):.4g})",
                    per_seed=vals, timing=True, label_zh=label_zh)


def _div(a: list[float], b: list[float]) -> list[float]:
    n = min(len(a), len(b))
    return [a[i] / b[i] for i in range(n)]


def aggregate(outcomes: Outcomes) -> Aggregate:
    ev: list[Evidence] = []
    runs = sorted(outcomes.where(kind="threads"), key=lambda o: o.config["T"])
    lengths = [o.config["T"] for o in runs]
    first = runs[0].config
    speedups: dict[str, dict[int, list[float]]] = {a: {} for a in ARCHS}
    for o in runs:
        t, m = o.config["T"], o.measurements
        for a in ARCHS:
            t1, t2 = m["times"][a]["1"], m["times"][a]["2"]
            speedups[a][t] = _div(t1, t2)
            ev.append(ratio_evidence(f"speedup_{a}_T{t}", speedups[a][t],
                                     label=f"speed-up of 2 threads over 1, {ARCHS[a]}, T={t}",
                                     label_zh=f"2 个线程相对 1 个线程的加速比,{ARCHS_ZH[a]},T={t}"))
            for th, ts in (("1", t1), ("2", t2)):
                ev.append(_median_evidence(f"ms_{a}_T{t}_threads{th}", ts, scale=1e3, unit="ms",
                                           label=f"forward+backward time, {ARCHS[a]}, T={t}, {th} thread(s)",
                                           label_zh=f"前向+反向耗时,{ARCHS_ZH[a]},T={t},{th} 个线程"))
                ev.append(_median_evidence(f"gflops_{a}_T{t}_threads{th}", [m["flops"][a] / s for s in ts],
                                           scale=1e-9, unit="GFLOP/s",
                                           label=f"achieved GFLOP/s (analytic FLOPs / time), {ARCHS[a]}, T={t}, "
                                                 f"{th} thread(s)",
                                           label_zh=f"实际达到的 GFLOP/s(解析计算的 FLOPs / 耗时),{ARCHS_ZH[a]},"
                                                    f"T={t},{th} 个线程"))
        for a, what, what_zh in (("encoder", "the encoder block's", "encoder 块"),
                                 ("decoder", "the causal block's", "因果掩码块"), ("cnn", "the conv's", "卷积层")):
            ev.append(ratio_evidence(f"excess_{a}_vs_lstm_T{t}", _div(speedups[a][t], speedups["lstm"][t]),
                                     label=f"{what} 2-thread speed-up / the LSTM's, T={t} (paired per repeat)",
                                     label_zh=f"{what_zh}的双线程加速比 / LSTM 的双线程加速比,T={t}(逐次重复配对)"))
        ev.append(ratio_evidence(f"excess_decoder_vs_encoder_T{t}",
                                 _div(speedups["decoder"][t], speedups["encoder"][t]),
                                 label=f"the causal block's 2-thread speed-up / the encoder block's, T={t}",
                                 label_zh=f"因果掩码块的双线程加速比 / encoder 块的双线程加速比,T={t}"))
        ev.append(Evidence(f"sequential_steps_lstm_T{t}", float(t), unit="dependent steps per layer",
                           label=f"derivation: an LSTM layer's T={t} steps each need the previous state",
                           label_zh=f"推导:LSTM 层的 T={t} 步中,每一步都要用到上一步的状态"))
    ev.append(Evidence("sequential_steps_attention", 1.0, unit="dependent steps per layer",
                       label="derivation: self-attention (and convolution) computes every position from the layer "
                             "input at once (Vaswani et al. 2017, Table 1: O(1) vs O(n))",
                       label_zh="推导:自注意力(以及卷积)由该层的输入一次算出所有位置"
                                "(Vaswani 等人 2017,表 1:O(1) 对 O(n))"))

    gen = outcomes.one(kind="generation")
    gm, gl = gen.measurements, gen.config["lengths"]
    times = {mode: {int(n): v for n, v in gm["times"][mode].items()} for mode in GEN_MODES}
    for n in gl:
        for mode in GEN_MODES:
            ev.append(_median_evidence(f"us_per_token_{mode}_L{n}", [s / n for s in times[mode][n]], scale=1e6,
                                       unit="µs per token", label=f"{GEN_MODES[mode]}, {n} tokens",
                                       label_zh=f"{GEN_MODES_ZH[mode]},{n} 个词元"))
        ev.append(ratio_evidence(f"token_by_token_vs_parallel_L{n}", _div(times["token_by_token"][n],
                                                                          times["parallel"][n]),
                                 label=f"time of feeding {n} given tokens one at a time (KV cache) / one causal "
                                       "pass over them",
                                 label_zh=f"把 {n} 个已知词元逐个送入(KV cache)的耗时 / 对它们做一次因果前向的耗时"))
        ev.append(ratio_evidence(f"generation_vs_parallel_L{n}", _div(times["cached"][n], times["parallel"][n]),
                                 label=f"time per generated token (KV cache) / per token of a teacher-forced pass, "
                                       f"{n} tokens",
                                 label_zh=f"每个生成词元的耗时(KV cache)/ teacher forcing 前向中每个词元的耗时,"
                                          f"{n} 个词元"))
        ev.append(ratio_evidence(f"cache_speedup_L{n}", _div(times["uncached"][n], times["cached"][n]),
                                 label=f"KV cache speed-up (generation without / with it), {n} tokens",
                                 label_zh=f"KV cache 带来的加速(不用 / 使用 KV cache 的生成耗时),{n} 个词元"))
    lo_n, hi_n = min(gl), max(gl)
    ev.append(ratio_evidence("cache_speedup_growth", _div(_div(times["uncached"][hi_n], times["cached"][hi_n]),
                                                          _div(times["uncached"][lo_n], times["cached"][lo_n])),
                             label=f"KV cache speed-up at {hi_n} tokens / at {lo_n} tokens (paired per repeat)",
                             label_zh=f"KV cache 在 {hi_n} 个词元时的加速 / 在 {lo_n} 个词元时的加速(逐次重复配对)"))
    ev.append(Evidence("teacher_forcing_max_abs_diff", gm["max_abs_diff"], unit="logit",
                       label=f"largest |difference| between one causal pass and token-by-token logits ({hi_n} "
                             "tokens, batch 2)",
                       label_zh=f"一次因果前向与逐词元计算的 logits 之间最大的 |差|({hi_n} 个词元,batch 2)"))
    ev += load_evidence([*runs, gen, *outcomes.where(kind="device")])
    for dev in outcomes.where(kind="device"):
        t = dev.config["T"]
        for a in ARCHS:
            dt = dev.measurements["times"][a]
            ev.append(ratio_evidence(f"device_speedup_{a}_T{t}", _div(dt["cpu"], dt["device"]),
                                     label=f"speed-up of {dev.config['device']} over the CPU "
                                           f"({dev.config['threads']} threads), {ARCHS[a]}, T={t}",
                                     label_zh=f"{dev.config['device']} 相对 CPU({dev.config['threads']} 个线程)的"
                                              f"加速比,{ARCHS_ZH[a]},T={t}"))
    config = {"d_model": first["d_model"], "n_heads": first["n_heads"], "batch": first["batch"], "lengths": lengths,
              "generation_lengths": gl, "generation_model": {k: gen.config[k] for k in ("vocab_size", "n_layers")},
              "repeats": first["repeats"], "warmup": first["warmup"], "margin": MARGIN,
              "threads": "1 and 2 (torch.set_num_threads), alternating within each repeat"}
    return Aggregate(ev, _plots(EvidenceSet(ev), lengths, gl), config, LITERATURE)


def _series(es: EvidenceSet, label: str, xs: list[int], fmt: str, style: str = "solid") -> Series:
    evs = [es[fmt.format(x)] for x in xs]
    return Series(label, list(xs), [e.number for e in evs], [rules.interval(e)[0] for e in evs],
                  [rules.interval(e)[1] for e in evs], style=style)


def _plots(es: EvidenceSet, lengths: list[int], gl: list[int]) -> list[Plot]:
    speed = Panel(title=f"2 threads over 1 (batch {BATCH})", xlabel="sequence length T", ylabel="speed-up",
                  xscale="log2",
                  series=[_series(es, ARCHS[a], lengths, f"speedup_{a}_T{{}}") for a in ARCHS],
                  lines=[RefLine(1.0, "no gain"), RefLine(2.0, "ideal on 2 cores")])
    flops = Panel(title="Achieved GFLOP/s (2 threads)", xlabel="sequence length T", ylabel="GFLOP/s", xscale="log2",
                  yscale="log", series=[_series(es, SHORT[a], lengths, f"gflops_{a}_T{{}}_threads2") for a in ARCHS])
    headline = Plot("parallel_speedup", "Which layers turn a second core into speed?", [speed, flops], caption=(
        "Left: speed-up of 2 threads over 1 for one layer's forward+backward pass (geometric mean over repeats, "
        "95% interval). Right: analytic FLOPs per second of wall time."), headline=True,
        title_zh="哪些层能把第二个核变成速度?",
        caption_zh="左:单层前向+反向时,2 个线程相对 1 个线程的加速比(各次重复的几何平均及 95% 区间)。"
                   "右:解析计算的 FLOPs 除以实际耗时。")
    per_token = Panel(title="Time per token", xlabel="tokens", ylabel="µs per token", xscale="log2", yscale="log",
                      series=[_series(es, GEN_MODES[m], gl, f"us_per_token_{m}_L{{}}") for m in GEN_MODES])
    cache = Panel(title="KV cache speed-up", xlabel="generated tokens", ylabel="without / with cache",
                  xscale="log2", series=[_series(es, "KV cache speed-up", gl, "cache_speedup_L{}")],
                  lines=[RefLine(1.0, "no gain")])
    decoder = Plot("decoder_training_vs_generation", "Decoder: one parallel pass vs one token at a time",
                   [per_token, cache], caption=f"A causal LM, batch {BATCH}, forward only, {GEN_THREADS} thread: "
                   "medians over repeats (left) and the cache's speed-up with 95% intervals (right).",
                   title_zh="Decoder:一次并行前向与一次一个词元",
                   caption_zh=f"一个因果语言模型,batch {BATCH},只做前向,{GEN_THREADS} 个线程:左为各次重复的中位数,"
                              "右为 KV cache 带来的加速及 95% 区间。")
    return [headline, decoder]


# ----------------------------------------------------------------------------------------------------
# Decision
# ----------------------------------------------------------------------------------------------------


def _longest(ev: EvidenceSet, prefix: str) -> int:
    return max(int(n[len(prefix):]) for n in ev if n.startswith(prefix) and n[len(prefix):].isdigit())


def _repeats_check(name: str, evs: list[Evidence]) -> Check:
    low = [e.name for e in evs if (e.n or 0) < MIN_REPEATS]
    worst = min((e.n or 0) for e in evs)
    return Check(name, not low, f"fewest timing repeats behind these ratios: {worst} (need {MIN_REPEATS}; a busy "
                                 "machine stops a trial early)" + (f"; short: {', '.join(low)}" if low else ""),
                 f"这些比值背后最少的计时重复次数:{worst}(需要 {MIN_REPEATS} 次;机器繁忙时试验会提前停止)"
                 + (f";次数不足:{', '.join(low)}" if low else ""))


def _above(e: Evidence, x: float) -> bool:
    return rules.interval(e)[0] > x


def _below(e: Evidence, x: float) -> bool:
    return rules.interval(e)[1] < x


def _short_lengths(ev: EvidenceSet) -> list[tuple[int, Evidence]]:
    """(T, the encoder's own 2-thread speed-up) at the lengths where that speed-up's interval does not lie
    above 1: the encoder gains nothing there."""
    prefix = "speedup_encoder_T"
    ts = sorted(int(k[len(prefix):]) for k in ev if k.startswith(prefix) and k[len(prefix):].isdigit())
    return [(t, ev[f"{prefix}{t}"]) for t in ts if not _above(ev[f"{prefix}{t}"], 1.0)]


def _short_text(ev: EvidenceSet) -> tuple[str, str]:
    """"At T=32 the encoder's own speed-up is 0.99 [...]: no gain at that length." (English, Chinese), or ""."""
    flat = _short_lengths(ev)
    if not flat:
        return "", ""
    en = ", ".join(f"{rules.fmt(e, 2)} at T={t}" for t, e in flat)
    zh = ",".join(f"T={t} 时为 {rules.fmt(e, 2)}" for t, e in flat)
    where = ", ".join(f"T={t}" for t, _ in flat)
    return (f"At shorter sequences the encoder shows no clear gain from the second thread (its own speed-up {en}): "
            f"with batch {BATCH}, parallelism over positions pays only once there are enough positions, so {where} "
            "shows no advantage.",
            f"序列较短时 encoder 从第二个线程得不到明确的好处(它自身的加速比 {zh}):batch {BATCH} 时,"
            f"只有位置足够多,位置维度上的并行才有回报,所以 {where} 没有优势。")


def decide(evidence: list[Evidence]) -> Decision:
    ev = EvidenceSet(evidence)
    t = _longest(ev, "excess_encoder_vs_lstm_T")
    n = _longest(ev, "cache_speedup_L")
    prefix = "generation_vs_parallel_L"
    gen_lengths = sorted(int(k[len(prefix):]) for k in ev if k.startswith(prefix))
    enc_x, enc_s = ev[f"excess_encoder_vs_lstm_T{t}"], ev[f"speedup_encoder_T{t}"]
    dec_x, dec_e = ev[f"excess_decoder_vs_lstm_T{t}"], ev[f"excess_decoder_vs_encoder_T{t}"]
    tbt = ev[f"token_by_token_vs_parallel_L{n}"]
    gens = [ev[f"generation_vs_parallel_L{x}"] for x in gen_lengths]
    c_sp, c_gr = ev[f"cache_speedup_L{n}"], ev["cache_speedup_growth"]
    diff = ev["teacher_forcing_max_abs_diff"]
    check_enc = _repeats_check("repeats_encoder", [enc_x, enc_s])
    check_dec = _repeats_check("repeats_decoder", [dec_x, dec_e])
    check_gen = _repeats_check("repeats_generation", [tbt, *gens, c_sp, c_gr])
    quiet = quiet_check(ev)
    same = Check("teacher_forcing_equals_token_by_token", diff.number <= MATCH_TOL,
                 f"one causal pass vs token by token: max |logit difference| {diff.number:.2e} "
                 f"(tolerance {MATCH_TOL:g})",
                 f"一次因果前向与逐词元计算:logits 的最大 |差| 为 {diff.number:.2e}(容差 {MATCH_TOL:g})")
    short_en, short_zh = _short_text(ev)
    short_en, short_zh = (f" {short_en}" if short_en else ""), short_zh

    def encoder() -> rules.Ruling:
        lstm = ev[f"speedup_lstm_T{t}"]
        if _above(enc_x, MARGIN):
            verdict = "confirmed" if _above(enc_s, 1.0) else "qualified"
        elif _below(enc_x, MARGIN):
            verdict = "refuted"
        else:
            verdict = "inconclusive"
        change = {
            "confirmed": (f"An encoder / LSTM speed-up ratio whose interval reaches down to {MARGIN}, or an encoder "
                          "speed-up whose interval reaches down to 1.",
                          f"encoder / LSTM 加速比之比的区间下探到 {MARGIN},或 encoder 自身加速比的区间下探到 1。"),
            "qualified": (f"An encoder speed-up whose interval lies above 1 (confirmed), or an encoder / LSTM ratio "
                          f"whose interval lies below {MARGIN} (refuted).",
                          f"encoder 自身加速比的区间高于 1(成立),或 encoder / LSTM 之比的区间低于 {MARGIN}(不成立)。"),
            "refuted": (f"An encoder / LSTM speed-up ratio whose interval lies above {MARGIN}.",
                        f"encoder / LSTM 加速比之比的区间高于 {MARGIN}。"),
            "inconclusive": (f"More timing repeats, so that the encoder / LSTM ratio's interval falls on one side of "
                             f"{MARGIN}.", f"增加计时重复次数,使 encoder / LSTM 之比的区间落到 {MARGIN} 的一侧。"),
        }[verdict]
        return rules.Ruling(
            verdict,
            f"{verdict}: at T={t}, batch {BATCH}, the encoder block's 2-thread speed-up is {rules.fmt(enc_s, 2)}x and "
            f"{rules.fmt(enc_x, 2)} times the LSTM's ({rules.fmt(lstm, 2)}x); the LSTM has T dependent steps, "
            f"attention 1 (derivation). Rule (at the longest length timed): confirmed if the ratio's interval lies "
            f"above {MARGIN} and the encoder's own speed-up above 1; qualified if only the ratio does (the encoder "
            f"gains more than the LSTM without a clear gain of its own); refuted if the ratio's interval lies below "
            f"{MARGIN}; else inconclusive.{short_en}",
            f"At T={t}, batch {BATCH}, a second thread gives the encoder block a speed-up of {rules.fmt(enc_s, 2)} and "
            f"the LSTM one of {rules.fmt(lstm, 2)}: the encoder's speed-up is {rules.fmt(enc_x, 2)} times the "
            f"LSTM's.{short_en}",
            f"T={t}、batch {BATCH} 时,第二个线程带来的加速比:encoder 块为 {rules.fmt(enc_s, 2)},LSTM 为 "
            f"{rules.fmt(lstm, 2)};encoder 的加速比是 LSTM 的 {rules.fmt(enc_x, 2)} 倍。{short_zh}", *change)

    def decoder_training() -> rules.Ruling:
        if _above(dec_x, MARGIN):
            verdict = "qualified" if _below(dec_e, 1 / MARGIN) else "refuted"
        elif _below(dec_x, MARGIN):
            verdict = "confirmed" if _above(enc_x, MARGIN) else "inconclusive"
        else:
            verdict = "inconclusive"
        lo_m = f"{1 / MARGIN:.2f}"
        change = {
            "refuted": (f"A causal block / LSTM speed-up ratio whose interval lies below {MARGIN} while the encoder's "
                        f"lies above it (confirmed), or a causal block / encoder ratio whose interval lies below "
                        f"{lo_m} (qualified).",
                        f"因果掩码块 / LSTM 的加速比之比区间低于 {MARGIN} 而 encoder 的高于它(成立),或因果掩码块 / "
                        f"encoder 之比的区间低于 {lo_m}(有条件成立)。"),
            "qualified": (f"A causal block / encoder ratio whose interval reaches {lo_m} (refuted: parallel like the "
                          f"encoder), or a causal block / LSTM ratio whose interval lies below {MARGIN} (confirmed).",
                          f"因果掩码块 / encoder 之比的区间达到 {lo_m}(不成立:和 encoder 一样并行),或因果掩码块 / "
                          f"LSTM 之比的区间低于 {MARGIN}(成立)。"),
            "confirmed": (f"A causal block / LSTM speed-up ratio whose interval lies above {MARGIN}.",
                          f"因果掩码块 / LSTM 的加速比之比区间高于 {MARGIN}。"),
            "inconclusive": (f"More timing repeats, or a longer T, so that the causal block / LSTM ratio's interval "
                             f"falls on one side of {MARGIN} while the encoder's lies above it.",
                             f"增加计时重复次数或加长 T,使因果掩码块 / LSTM 之比的区间落到 {MARGIN} 的一侧,"
                             f"同时 encoder 的区间高于它。"),
        }[verdict]
        return rules.Ruling(
            verdict,
            f"{verdict}: in training (teacher forcing) the causal block's 2-thread speed-up is {rules.fmt(dec_x, 2)} "
            f"times the LSTM's at T={t} and {rules.fmt(dec_e, 2)} times the encoder's (the encoder's: "
            f"{rules.fmt(enc_x, 2)} times the LSTM's). Rule (for the claim that the decoder is not parallel; only "
            f"the thread speed-ups, which can fail, decide it): refuted if the causal block / LSTM ratio's interval "
            f"lies above {MARGIN} (training parallelises over positions), qualified instead if moreover the causal "
            f"block / encoder ratio's interval lies below {lo_m} (parallel, but clearly less than the encoder); "
            f"confirmed if the causal block / LSTM ratio's interval lies below {MARGIN} while the encoder's lies above "
            f"it (the measure sees the encoder's parallelism but not the decoder's); else inconclusive. That one "
            f"causal pass is faster than feeding the tokens one at a time ({rules.fmt(tbt, 1)} times at {n} tokens) "
            "cannot fail (a per-call cost alone makes it so) and is a separate derivation check.",
            f"In training (teacher forcing), a second thread's speed-up on the causal block is {rules.fmt(dec_x, 2)} "
            f"times its speed-up on the LSTM at T={t}, and {rules.fmt(dec_e, 2)} times its speed-up on the encoder "
            f"block.",
            f"训练时(teacher forcing),T={t} 下第二个线程对因果掩码块的加速比是对 LSTM 的 {rules.fmt(dec_x, 2)} 倍,"
            f"是对 encoder 块的 {rules.fmt(dec_e, 2)} 倍。", *change)

    def one_pass() -> rules.Ruling:
        verdict = "confirmed" if _above(tbt, 1.0) else "refuted" if _below(tbt, 1.0) else "inconclusive"
        change = {
            "confirmed": ("Nothing measured can in practice: a per-call cost alone makes n calls slower than one; "
                          "only a time ratio whose interval lies below 1 would (a bug, not a finding).",
                          "实际上任何测量都改变不了:仅每次调用的固定开销就让 n 次调用慢于一次;只有区间低于 1 的耗时之比"
                          "才会改变它(那是代码有错,而不是新发现)。"),
            "refuted": ("A time ratio whose interval lies above 1, as the per-call cost alone predicts.",
                        "区间高于 1 的耗时之比,正如每次调用的固定开销所预测的。"),
            "inconclusive": ("More timing repeats, so that the interval falls on one side of 1.",
                             "增加计时重复次数,使区间落到 1 的一侧。"),
        }[verdict]
        return rules.Ruling(
            verdict,
            f"{verdict} (derivation check, not part of the overall verdict): one causal pass gives the same logits "
            f"as token by token (max |difference| {diff.number:.1e}), and feeding {n} given tokens one at a time "
            f"takes {rules.fmt(tbt, 1)} times as long. Rule: confirmed if the time ratio's interval lies above 1, "
            "refuted if below, else inconclusive; it could fail only if n calls cost no more than one, so it "
            "shows the size of the gain, not whether there is one.",
            f"With teacher forcing one causal pass computes the same logits as token by token (max difference "
            f"{diff.number:.1e}); feeding the {n} tokens one at a time takes {rules.fmt(tbt, 1)} times as long.",
            f"用 teacher forcing 时,一次因果前向算出的 logits 与逐词元计算相同(最大差 {diff.number:.1e});把 {n} "
            f"个词元逐个送入要 {rules.fmt(tbt, 1)} 倍的时间。", *change)

    def generation() -> rules.Ruling:
        if all(_above(g, 1.0) for g in gens):
            verdict = "confirmed"
        elif any(_below(g, 1.0) for g in gens):
            verdict = "refuted"
        else:
            verdict = "inconclusive"
        nums = ", ".join(f"{x} tokens {rules.fmt(g, 1)}x" for x, g in zip(gen_lengths, gens, strict=True))
        nums_zh = ",".join(f"{x} 个词元时为 {rules.fmt(g, 1)} 倍" for x, g in zip(gen_lengths, gens, strict=True))
        change = {
            "confirmed": ("Nothing measured can in practice: token t+1 needs token t by construction, and a per-call "
                          "cost alone makes a generated token dearer; only an interval below 1 would (a bug).",
                          "实际上任何测量都改变不了:按构造第 t+1 个词元需要第 t 个,"
                          "仅每次调用的固定开销就让生成的词元更贵;只有区间低于 1 才会改变它(那是代码有错)。"),
            "refuted": ("Intervals above 1 at every length timed.", "每个测量长度上的区间都高于 1。"),
            "inconclusive": ("More timing repeats, so that every interval lies above 1 or one lies below it.",
                             "增加计时重复次数,使每个区间都高于 1,或有一个低于 1。"),
        }[verdict]
        return rules.Ruling(
            verdict,
            f"{verdict} (derivation check, not part of the overall verdict): a generated token (with the KV cache) "
            f"against a token of a teacher-forced pass over the same number of tokens: {nums}. That token t+1 needs "
            "token t is a derivation; the rule (confirmed if every interval lies above 1, refuted if one lies below) "
            "could fail only if a pass over all positions gained nothing over one position at a time, which a "
            "per-call cost alone rules out, so it shows the cost of sequential generation, not whether it is "
            "sequential.",
            f"Per token, generating with the KV cache takes this many times as long as a teacher-forced pass over "
            f"the same number of tokens: {nums}.",
            f"按每个词元计,使用 KV cache 生成的耗时是同样多词元 teacher forcing 前向的:{nums_zh}。", *change)

    def kv_cache() -> rules.Ruling:
        if _above(c_sp, 1.0) and _above(c_gr, 1.0):
            verdict = "confirmed"
        elif _below(c_sp, 1.0) or _below(c_gr, 1.0):
            verdict = "refuted"
        else:
            verdict = "inconclusive"
        change = {
            "confirmed": ("A speed-up, or a growth of it, whose interval lies below 1.",
                          "加速比或其增长的区间低于 1。"),
            "refuted": (f"Intervals above 1 for both the speed-up at {n} tokens and its growth from "
                        f"{gen_lengths[0]} tokens.", f"{n} 个词元时的加速比及其相对 {gen_lengths[0]} 个词元时的增长,"
                        "区间都高于 1。"),
            "inconclusive": ("More timing repeats, so that both intervals lie on one side of 1.",
                             "增加计时重复次数,使两个区间都落到 1 的一侧。"),
        }[verdict]
        return rules.Ruling(
            verdict,
            f"{verdict}: the cache speeds generation of {n} tokens up {rules.fmt(c_sp, 2)}x, and its speed-up at "
            f"{n} tokens is {rules.fmt(c_gr, 2)} times that at {gen_lengths[0]}. Rule: confirmed if both intervals "
            f"lie above 1, refuted if one lies below, else inconclusive.",
            f"Without the cache, generating {n} tokens takes {rules.fmt(c_sp, 2)} times as long as with it, and this "
            f"speed-up at {n} tokens is {rules.fmt(c_gr, 2)} times the one at {gen_lengths[0]} tokens.",
            f"不用 KV cache 时,生成 {n} 个词元的耗时是使用时的 {rules.fmt(c_sp, 2)} 倍;{n} 个词元时的这一加速比是 "
            f"{gen_lengths[0]} 个词元时的 {rules.fmt(c_gr, 2)} 倍。", *change)

    enc_lengths = sorted(int(k[len("speedup_encoder_T"):]) for k in ev if k.startswith("speedup_encoder_T"))
    c1 = rules.claim("encoder_parallel", "The encoder processes all positions in parallel; an RNN must go in order.",
                     [check_enc, quiet], [enc_x.name, enc_s.name, f"speedup_lstm_T{t}", "sequential_steps_attention",
                                          f"sequential_steps_lstm_T{t}", "others_cores",
                                          *(f"speedup_encoder_T{x}" for x in enc_lengths if x != t)], encoder,
                     statement_zh="Encoder 对所有位置并行计算;RNN 必须按顺序计算。")
    c2 = rules.claim("decoder_training_not_parallel", "The decoder side is not parallel (the seed does not restrict "
                     "this to generation, so it is tested where it can fail: in training, one token at a time or "
                     "all at once).", [check_dec, quiet, same], [dec_x.name, dec_e.name, enc_x.name],
                     decoder_training, statement_zh="Decoder 侧不能并行(原文没有限定为生成阶段,所以在可能出错的地方"
                                                    "检验:训练时是逐词元还是一次处理全部)。")
    c2b = rules.claim("teacher_forcing_one_pass", "(Derivation check.) With teacher forcing, one causal pass computes "
                      "what decoding token by token computes, in less time.", [check_gen, quiet, same],
                      [tbt.name, diff.name], one_pass, basis="derivation",
                      statement_zh="(推导检验)用 teacher forcing 时,一次因果前向就能算出逐词元解码所算的内容,"
                                   "而且更快。")
    c3 = rules.claim("generation_sequential", "Generation decodes one token at a time, each input depending on "
                     "the previous output.", [check_gen, quiet], [g.name for g in gens], generation,
                     basis="derivation", statement_zh="生成时一次解码一个词元,每一步的输入依赖上一步的输出。")
    c4 = rules.claim("kv_cache_grows", "(Not in the seed.) The KV cache's speed-up grows with the generated length.",
                     [check_gen, quiet], [c_sp.name, c_gr.name], kv_cache,
                     statement_zh="(原文未提及)KV cache 带来的加速随生成长度增大。")
    measured = (c1.verdict, c2.verdict)
    if "inconclusive" in measured:
        verdict = "inconclusive"
    elif c1.verdict == "refuted":
        verdict = "refuted"
    elif measured == ("confirmed", "confirmed"):
        verdict = "confirmed"
    else:
        verdict = "qualified"
    checks = [check_enc, check_dec, quiet, same]
    if any(not c.passed for c in checks):
        verdict = "inconclusive"
    rule = (f"{verdict}: encoder parallel {c1.verdict}; decoder not parallel in training {c2.verdict} (measured: "
            f"2-thread speed-ups at T={t}); derivation checks, not part of the verdict: one causal pass "
            f"{c2b.verdict}, generation one token at a time {c3.verdict}; the KV cache's growing speed-up (not in "
            f"the seed): {c4.verdict}. Rule: inconclusive if a check failed or a measured sub-claim is "
            "inconclusive; refuted if the encoder's parallelism is refuted; confirmed if both measured sub-claims "
            "are confirmed; qualified otherwise (e.g. the decoder trains in parallel and is sequential only when "
            "generating, which is a derivation).")
    return Decision(verdict, rule, checks, (c1, c2, c2b, c3, c4))


def explain(evidence: list[Evidence], decision: Decision) -> Explanation:
    ev = EvidenceSet(evidence)
    t = _longest(ev, "excess_encoder_vs_lstm_T")
    n = _longest(ev, "cache_speedup_L")
    n_lo = min(int(k[len("cache_speedup_L"):]) for k in ev if k.startswith("cache_speedup_L"))
    step_lo, step_hi = ev[f"us_per_token_cached_L{n_lo}"].number, ev[f"us_per_token_cached_L{n}"].number
    sp = {a: ev[f"speedup_{a}_T{t}"] for a in ARCHS}
    gf = {a: ev[f"gflops_{a}_T{t}_threads2"] for a in ARCHS}
    summary = (
        f"One layer, batch {BATCH}, T={t}: a second thread gives the encoder block a speed-up of "
        f"{rules.fmt(sp['encoder'], 2)}, the same block with a causal mask {rules.fmt(sp['decoder'], 2)}, the "
        f"convolution {rules.fmt(sp['cnn'], 2)} and the LSTM {rules.fmt(sp['lstm'], 2)}; with 2 threads they achieve "
        + ", ".join(f"{SHORT[a]} {gf[a].number:.1f}" for a in ARCHS) + " GFLOP/s (1 thread: "
        + ", ".join(f"{ev[f'gflops_{a}_T{t}_threads1'].number:.1f}" for a in ARCHS) + "). "
        f"Feeding {n} given tokens one at a time through a causal LM takes "
        f"{rules.fmt(ev[f'token_by_token_vs_parallel_L{n}'], 1)} times as long as one pass over them, which gives "
        f"the same logits (max difference {ev['teacher_forcing_max_abs_diff'].number:.1e}); a generated token costs "
        f"{rules.fmt(ev[f'generation_vs_parallel_L{n}'], 1)} times a teacher-forced one, and generating {n} tokens "
        f"without the KV cache takes {rules.fmt(ev[f'cache_speedup_L{n}'], 2)} times as long as with it. With the "
        f"cache a generated token costs {step_lo:.0f} µs at {n_lo} tokens and {step_hi:.0f} µs at {n}"
        + (": nearly flat, so each step's cost is mostly fixed per call (a small model), which is what one pass "
           "over all positions saves. " if step_hi < 1.5 * step_lo else
           ": it grows with the keys each step attends to. ") + _device_text(ev, t)
        + load_text(ev) + (f"{_short_text(ev)[0]} " if _short_lengths(ev) else "")
        + f"Regime: one CPU process, 1 vs 2 torch threads, batch {BATCH}, one seed for the inputs; each interval is "
        "over repeats of this one process on this machine (a descriptive spread, not over machines or seeds), and "
        "two CPU threads are a narrow stand-in for parallel hardware. Timings vary from run to run. " + decision.rule)
    answer_en, answer_zh = _answer(ev, decision, t, n)
    if decision.verdict == "inconclusive":
        answer_en, answer_zh = rules.undecided_answer(decision.claims)
    return Explanation(summary=summary, answer_en=answer_en, answer_zh=answer_zh)


_ENCODER_LEAD = {
    "confirmed": ("The encoder is parallel over positions and gains more from a second core than an LSTM:",
                  "Encoder 在位置维度上并行,从第二个核得到的好处比 LSTM 多:"),
    "qualified": ("The encoder gains more than an LSTM from a second core, though its own gain is not clearly "
                  "above 1:", "Encoder 从第二个核得到的好处多于 LSTM,但它自身的加速比并不明显高于 1:"),
    "refuted": ("Here the encoder did not gain clearly more than an LSTM from a second core:",
                "这里 encoder 从第二个核得到的好处并不明显多于 LSTM:"),
    "inconclusive": ("Whether the encoder gains more than an LSTM from a second core is undecided:",
                     "Encoder 是否比 LSTM 更能利用第二个核,尚无定论:"),
}
_DECODER_LEAD = {  # for the seed's claim that the decoder is not parallel, in training
    "refuted": ("In training the decoder is parallel too:", "训练时 decoder 同样是并行的:"),
    "confirmed": ("Here the decoder did not parallelise in training, though the encoder did:",
                  "这里 decoder 在训练时没有并行起来,encoder 却并行了:"),
    "qualified": ("In training the decoder parallelises, though clearly less than the encoder:",
                  "训练时 decoder 能并行,但明显不如 encoder:"),
    "inconclusive": ("Whether the decoder parallelises in training is undecided:", "Decoder 训练时能否并行,尚无定论:"),
}
_GENERATION_LEAD = {  # a derivation check
    "confirmed": ("Generation goes one token at a time by construction (a derivation), and it costs more per token:",
                  "生成按构造是逐个词元进行的(推导),每个词元也更贵:"),
    "refuted": ("Generation goes one token at a time by construction (a derivation), yet here it did not cost more "
                "per token:", "生成按构造是逐个词元进行的(推导),但这里每个词元并没有更贵:"),
    "inconclusive": ("Generation goes one token at a time by construction (a derivation); whether it costs more per "
                     "token is undecided:", "生成按构造是逐个词元进行的(推导);每个词元是否更贵尚无定论:"),
}


def _answer(ev: EvidenceSet, decision: Decision, t: int, n: int) -> tuple[str, str]:
    """The short answer (English, Chinese) from the numbers."""
    v = {c.name: c.verdict for c in decision.claims}
    enc, lstm, enc_x = ev[f"speedup_encoder_T{t}"], ev[f"speedup_lstm_T{t}"], ev[f"excess_encoder_vs_lstm_T{t}"]
    dec_x, tbt = ev[f"excess_decoder_vs_lstm_T{t}"], ev[f"token_by_token_vs_parallel_L{n}"]
    dec_e = ev[f"excess_decoder_vs_encoder_T{t}"]
    flat = _short_lengths(ev)
    flat_en = "; at " + ", ".join(f"T={x} there is no clear gain ({rules.fmt(e, 2)})" for x, e in flat) if flat else ""
    flat_zh = ";" + ",".join(f"T={x} 时 encoder 没有明确的加速({rules.fmt(e, 2)})" for x, e in flat) if flat else ""
    gen, cache = ev[f"generation_vs_parallel_L{n}"], ev[f"cache_speedup_L{n}"]
    diff = ev["teacher_forcing_max_abs_diff"].number
    repeats = min(e.n or 0 for e in (enc_x, dec_x, tbt, gen, cache))
    lead = (_ENCODER_LEAD[v["encoder_parallel"]], _DECODER_LEAD[v["decoder_training_not_parallel"]],
            _GENERATION_LEAD[v["generation_sequential"]])
    where = load_clause(ev)
    en = (f"{lead[0][0]} with one layer at T={t} (batch {BATCH}), a second CPU thread gives the encoder block a "
          f"speed-up of {enc.number:.2f} and the LSTM one of {lstm.number:.2f}{flat_en}. "
          f"{lead[1][0]} a second thread's speed-up on the causal block (teacher forcing) is {dec_x.number:.2f} times "
          f"the LSTM's and {dec_e.number:.2f} times the encoder's; one causal pass computes the logits of all {n} "
          f"given tokens (the same as token by token, max difference {diff:.0e}), and feeding them one at a time "
          f"takes {tbt.number:.1f} times as long, which a per-call cost alone guarantees (a derivation check). "
          f"{lead[2][0]} at {n} tokens a generated token takes {gen.number:.1f} times a teacher-forced one, and "
          f"without the KV cache generation takes {cache.number:.2f} times as long. "
          f"Each ratio is a geometric mean over at least {repeats} alternating timing repeats with a 95% interval, "
          f"{where[0]}; timings vary from run to run.")
    zh = (f"{lead[0][1]}单层、T={t}(batch {BATCH})时,第二个 CPU 线程带来的加速比:encoder 块为 {enc.number:.2f},"
          f"LSTM 为 {lstm.number:.2f}{flat_zh}。"
          f"{lead[1][1]}第二个线程对因果掩码块(teacher forcing)的加速比是对 LSTM 的 {dec_x.number:.2f} 倍、对 encoder "
          f"的 {dec_e.number:.2f} 倍;一次因果前向就能算出全部 {n} 个已知词元的 logits(与逐词元计算相同,"
          f"最大差 {diff:.0e}),逐个送入则要 {tbt.number:.1f} 倍的时间,这一点仅由每次调用的固定开销就能保证(推导检验)。"
          f"{lead[2][1]}{n} 个词元时,生成一个词元的耗时是 teacher forcing 前向中一个词元的 {gen.number:.1f} 倍;"
          f"不用 KV cache 时生成耗时是使用时的 {cache.number:.2f} 倍。"
          f"每个比值都是至少 {repeats} 次交替计时重复的几何平均,带 95% 区间,{where[1]};计时结果每次运行都会有波动。")
    return en, zh


def _device_text(ev: EvidenceSet, t: int) -> str:
    """A sentence on the GPU's speed-up over the CPU, when a GPU was measured (full profile)."""
    found = {a: ev[f"device_speedup_{a}_T{t}"] for a in ARCHS if f"device_speedup_{a}_T{t}" in ev}
    if not found:
        return ""
    return ("On the GPU, one layer's forward+backward pass at T=" + str(t) + " runs "
            + ", ".join(f"{SHORT[a]} {rules.fmt(e, 1)}x" for a, e in found.items()) + " faster than on the CPU. ")


EXPERIMENT = register(Experiment(QUESTION, trials=trials, aggregate=aggregate, decide=decide, explain=explain,
                                 n_seeds={"tiny": 1, "quick": 1, "full": 1}))
