"""q5: how does the Transformer parallelise?

The seed: the encoder processes all tokens in parallel (unlike an RNN, which must go step by step); the
decoder "is not parallel", it decodes one token at a time. Two measurements:

1. Encoders. Forward + backward wall time of one layer at the same width C against sequence length T:
   an attnlab Transformer encoder layer (self-attention + feed-forward), a one-layer LSTM and a one-layer
   CNN (kernel 3). Median of several timed runs after warm-up. The number of *sequential* steps is
   structural: 1 pass for attention and the CNN, T dependent cell updates for the LSTM.
2. Decoder (attnlab ``TransformerLM``). A training step with teacher forcing (causal mask: all T
   positions in one forward + backward pass) against generation, which feeds its own output back one
   token at a time, with and without the KV cache (``generate(use_cache=True/False)``). We also check
   that the single causal pass gives the same logits as the token-by-token cached pass (what makes
   teacher forcing a faithful parallel version of decoding).

Verdict rule (:func:`verdict_q5`): *qualified* when the decoder's training pass matches the sequential
logits and costs less per token than cached generation: the decoder is parallel in training and
sequential only in generation, which the seed's "the decoder is not parallel" leaves out; *confirmed* if
training were not cheaper per token than generation; *inconclusive* if the logits disagree.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from attnlab.experiments.base import (
    Evidence,
    Experiment,
    Result,
    RunContext,
    fmt_ci,
    mean_ci,
    register,
    torch_threads,
)

__all__ = ["Q5Parallel", "median_time", "time_runs", "verdict_q5"]

MATCH_TOL = 1e-4


def time_runs(fn: Callable[[], Any], *, repeats: int, warmup: int = 1) -> list[float]:
    """Wall times (seconds) of ``repeats`` calls of ``fn()`` after ``warmup`` untimed calls."""
    if repeats < 1:
        raise ValueError(f"repeats: expected >= 1, got {repeats}")
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def median_time(fn: Callable[[], Any], *, repeats: int, warmup: int = 1) -> float:
    """Median wall time (seconds) of ``fn()`` over ``repeats`` runs after ``warmup`` untimed runs."""
    return statistics.median(time_runs(fn, repeats=repeats, warmup=warmup))


def verdict_q5(*, max_logit_diff: float, train_per_token: float, gen_cached_per_token: float,
               gen_uncached_per_token: float) -> tuple[str, str]:
    """q5's rule on the decoder measurements; returns ``(verdict, rule text)``."""
    ratio = gen_cached_per_token / train_per_token if train_per_token > 0 else float("inf")
    nums = (
        f"teacher-forced logits vs token-by-token logits max |diff| {max_logit_diff:.2e} (tol {MATCH_TOL:g}); "
        f"per token: training step (forward+backward, one causal pass) {train_per_token * 1e6:.1f} µs, "
        f"generation with KV cache {gen_cached_per_token * 1e6:.1f} µs (×{ratio:.1f}), without cache "
        f"{gen_uncached_per_token * 1e6:.1f} µs"
    )
    rule = ("rule: inconclusive if the logits differ; qualified if training is cheaper per token than cached "
            "generation (decoder parallel in training, sequential in generation); confirmed otherwise")
    if max_logit_diff > MATCH_TOL:
        return "inconclusive", f"inconclusive: {nums}; {rule}"
    verdict = "qualified" if train_per_token < gen_cached_per_token else "confirmed"
    return verdict, f"{verdict}: {nums}; {rule}"


def _speed_note(t: dict[str, float], T: int, threads: int) -> str:
    """One sentence on whether the parallel encoder was also the faster one here."""
    if t["lstm"] < t["attention"]:
        return (
            f"Parallel is not the same as fast: on {threads} CPU thread(s) the LSTM layer took "
            f"{t['attention'] / t['lstm']:.1f}× less time than the Transformer layer at T={T}, because attention "
            f"does more arithmetic once n > 2d (q6) and the hardware has few parallel lanes to spend on it; the "
            f"encoder's advantage is its O(1) sequential depth, which pays off on parallel hardware."
        )
    return (
        f"At T={T} the Transformer layer took {t['lstm'] / t['attention']:.1f}× less time than the LSTM layer "
        f"on {threads} CPU thread(s)."
    )


class _LSTMLayer(nn.Module):
    def __init__(self, d: int) -> None:
        super().__init__()
        self.rnn = nn.LSTM(d, d, batch_first=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.rnn(x)[0]


class _ConvLayer(nn.Module):
    def __init__(self, d: int, k: int) -> None:
        super().__init__()
        self.conv = nn.Conv1d(d, d, k, padding=k // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x.transpose(1, 2)).transpose(1, 2)  # (B, C, T) for Conv1d, back to (B, T, C)


class _AttnLayer(nn.Module):
    def __init__(self, d: int, n_heads: int) -> None:
        super().__init__()
        from attnlab.models import TransformerEncoder

        self.enc = TransformerEncoder(vocab_size=None, d_model=d, n_heads=n_heads, n_layers=1, max_len=4096,
                                      positions="none")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.enc(inputs_embeds=x).hidden


@register
class Q5Parallel(Experiment):
    qid = "q5"
    n_seeds = {"tiny": 1, "quick": 1, "full": 3}

    def run(self, ctx: RunContext) -> Result:
        # tiny/quick on CPU: one thread, so that the timings do not collapse when the cores are shared
        # (OpenMP threads spin-wait when oversubscribed); full: every thread torch is configured with
        with torch_threads(1 if ctx.device == "cpu" and ctx.profile != "full" else None):
            return self._run(ctx)

    def _run(self, ctx: RunContext) -> Result:
        torch.manual_seed(ctx.seeds[0])
        d = ctx.pick(tiny=32, quick=64, full=256)
        heads = 4
        batch = ctx.pick(tiny=2, quick=4, full=16)
        lengths = ctx.pick(tiny=[16, 32, 64], quick=[64, 256, 1024], full=[64, 128, 256, 512, 1024, 2048, 4096])
        repeats = ctx.pick(tiny=2, quick=3, full=7)

        enc = self._encoders(ctx, d, heads, batch, lengths, repeats)
        dec = self._decoder(ctx, d, heads, repeats)

        verdict, rule = verdict_q5(
            max_logit_diff=dec["max_diff"], train_per_token=dec["train_per_token"][-1],
            gen_cached_per_token=dec["cached_per_token"][-1], gen_uncached_per_token=dec["uncached_per_token"][-1],
        )
        T = lengths[-1]
        t = {name: enc["times"][name][-1] for name in enc["times"]}
        evidence = [
            Evidence("lengths", list(lengths), None, "T", None),
            *[Evidence(f"encoder_time_{name}", [round(x, 6) for x in v], None, "s per forward+backward, per T",
                       None) for name, v in enc["times"].items()],
            *[Evidence(f"encoder_time_{name}_T{T}", t[name], None, "s (median)", None) for name in t],
            Evidence(f"lstm_over_attention_time_T{T}", t["lstm"] / t["attention"], None, "ratio", None),
            *[Evidence(f"time_loglog_slope_{name}", s, None, "d log time / d log T", hint)
              for (name, s), hint in zip(enc["slopes"].items(),
                                         ("attention: ~1 while projections dominate, → 2 when n ≫ d",
                                          "LSTM: 1 (T sequential steps)", "CNN: 1"), strict=True)],
            Evidence("sequential_steps", f"attention 1, CNN 1, LSTM T (= {T})", None,
                     "dependent steps per layer", "Vaswani et al. 2017 Table 1: sequential operations O(1) "
                     "self-attention and convolution, O(n) recurrent"),
            Evidence("decoder_lengths", list(dec["lengths"]), None, "generated tokens", None),
            Evidence("decoder_train_per_token", dec["train_per_token"], None, "s per token (forward+backward)",
                     None),
            Evidence("decoder_generate_cached_per_token", dec["cached_per_token"], None,
                     "s per generated token (KV cache)", None),
            Evidence("decoder_generate_uncached_per_token", dec["uncached_per_token"], None,
                     "s per generated token (no cache: re-runs the prefix)", None),
            Evidence("teacher_forcing_vs_sequential_max_abs_diff", dec["max_diff"], None, "logits", "0 up to float "
                     "rounding: a causal mask makes one parallel pass equal to T sequential steps"),
            Evidence("kv_cache_speedup", dec["cache_speedup"][0], dec["cache_speedup"][1],
                     f"uncached / cached time, {dec['lengths'][-1]} tokens", None),
        ]
        self._plot(ctx, lengths, enc, dec)
        n = dec["lengths"][-1]
        summary = (
            f"Encoders at C={d}, batch {batch}, {torch.get_num_threads()} CPU thread(s): one forward+backward pass "
            f"at T={T} takes "
            f"{t['attention'] * 1e3:.1f} ms for a Transformer layer, {t['lstm'] * 1e3:.1f} ms for an LSTM layer and "
            f"{t['cnn'] * 1e3:.1f} ms for a conv layer (medians of {repeats}); the LSTM needs T dependent steps, "
            f"attention and convolution one. On this CPU the time ratio reflects FLOPs and kernel efficiency as "
            f"much as parallelism (time-vs-T slopes: " + ", ".join(f"{k} {v:.2f}" for k, v in enc["slopes"].items())
            + f"). Decoder (TransformerLM, {dec['config']['n_layers']} layers): a teacher-forced training step "
            f"processes all {n} positions in one causal pass ({dec['train_per_token'][-1] * 1e6:.1f} µs per token "
            f"incl. backward) and gives the same logits as decoding token by token (max |diff| "
            f"{dec['max_diff']:.1e}); generation is sequential: {dec['cached_per_token'][-1] * 1e6:.1f} µs per token "
            f"with the KV cache, {dec['uncached_per_token'][-1] * 1e6:.1f} µs without (cache speed-up "
            f"{fmt_ci(*dec['cache_speedup'])}×). " + _speed_note(t, T, torch.get_num_threads())
            + " The seed is right that generation is sequential and that the encoder has no sequential dependency "
            "between tokens; it is too strong about the decoder, which is parallel in training."
        )
        return self.make_result(
            ctx, verdict=verdict, rule=rule, summary=summary, evidence=evidence,
            config={"d_model": d, "n_heads": heads, "batch": batch, "lengths": lengths, "repeats": repeats,
                    "decoder": dec["config"], "threads": torch.get_num_threads()},
        )

    # ------------------------------------------------------------------------------------------ encoders
    def _encoders(self, ctx: RunContext, d: int, heads: int, batch: int, lengths: list[int],
                  repeats: int) -> dict[str, Any]:
        layers = {"attention": _AttnLayer(d, heads), "lstm": _LSTMLayer(d), "cnn": _ConvLayer(d, 3)}
        times: dict[str, list[float]] = {name: [] for name in layers}
        g = torch.Generator().manual_seed(ctx.seeds[0])
        x = torch.randn(batch, lengths[0], d, generator=g)
        for layer in layers.values():  # first calls pay for lazy initialisation: keep them out
            layer(x).sum().backward()
        for T in ctx.track(lengths, "encoder time vs T"):
            x = torch.randn(batch, T, d, generator=g)
            for name, layer in layers.items():
                def step(layer: nn.Module = layer, x: torch.Tensor = x) -> None:
                    layer.zero_grad(set_to_none=True)
                    layer(x).sum().backward()

                times[name].append(median_time(step, repeats=repeats))
        from attnlab.experiments.q4_variance import loglog_slope

        half = len(lengths) // 2  # slope over the longer half of the range
        slopes = {name: loglog_slope(lengths[half:], v[half:]) for name, v in times.items()}
        return {"times": times, "slopes": slopes}

    # ------------------------------------------------------------------------------------------- decoder
    def _decoder(self, ctx: RunContext, d: int, heads: int, repeats: int) -> dict[str, Any]:
        from attnlab.models import TransformerLM

        vocab = 64
        n_layers = 2
        lengths = ctx.pick(tiny=[8, 16], quick=[32, 128], full=[32, 128, 512])
        batch = ctx.pick(tiny=2, quick=2, full=8)
        max_len = lengths[-1] + 1
        torch.manual_seed(ctx.seeds[0])
        lm = TransformerLM(vocab_size=vocab, d_model=d, n_heads=heads, n_layers=n_layers, max_len=max_len)
        g = torch.Generator().manual_seed(ctx.seeds[0])
        opt = torch.optim.SGD(lm.parameters(), lr=0.0)  # lr 0: time a real step, keep the weights fixed

        train_pt, cached_pt, uncached_pt = [], [], []
        speedups = []
        for n in ctx.track(lengths, "decoder: training vs generation"):
            ids = torch.randint(0, vocab, (batch, n + 1), generator=g)
            lm.train()

            def train_step(ids: torch.Tensor = ids) -> None:
                opt.zero_grad(set_to_none=True)
                logits = lm(ids[:, :-1])  # (B, n, V): all positions in one causal pass
                loss = nn.functional.cross_entropy(logits.reshape(-1, vocab), ids[:, 1:].reshape(-1))
                loss.backward()
                opt.step()

            train_pt.append(median_time(train_step, repeats=repeats) / (batch * n))
            lm.eval()
            prompt = ids[:, :1]
            tc = time_runs(lambda p=prompt, n=n: lm.generate(p, n, use_cache=True), repeats=repeats)
            tu = time_runs(lambda p=prompt, n=n: lm.generate(p, n, use_cache=False), repeats=repeats)
            cached_pt.append(statistics.median(tc) / (batch * n))
            uncached_pt.append(statistics.median(tu) / (batch * n))
            if n == lengths[-1]:
                speedups = [b / a for a, b in zip(tc, tu, strict=True)]

        # one causal pass == token-by-token decoding with the KV cache
        lm.eval()
        n = lengths[-1]
        ids = torch.randint(0, vocab, (batch, n), generator=g)
        with torch.no_grad():
            parallel = lm(ids)  # (B, n, V)
            caches = lm.make_caches(batch, n)
            steps = [lm(ids[:, i : i + 1], caches=caches) for i in range(n)]  # n x (B, 1, V)
            sequential = torch.cat(steps, dim=1)  # (B, n, V)
        max_diff = (parallel - sequential).abs().max().item()
        return {
            "lengths": lengths, "train_per_token": train_pt, "cached_per_token": cached_pt,
            "uncached_per_token": uncached_pt, "max_diff": max_diff, "cache_speedup": mean_ci(speedups),
            "config": {"vocab_size": vocab, "d_model": d, "n_heads": heads, "n_layers": n_layers, "batch": batch,
                       "lengths": lengths},
        }

    @staticmethod
    def _plot(ctx: RunContext, lengths: list[int], enc: dict, dec: dict) -> None:
        from attnlab.report.plots import new_figure

        fig, axes = new_figure(2, width=4.8)
        ax = axes[0]
        for name, v in enc["times"].items():
            ax.plot(lengths, [x * 1e3 for x in v], marker="o", label=name)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("sequence length T")
        ax.set_ylabel("forward+backward time (ms)")
        ax.set_title("One encoder layer")
        ax.legend()
        ax = axes[1]
        for key, label in (("train_per_token", "training step (teacher forcing)"),
                           ("cached_per_token", "generation, KV cache"),
                           ("uncached_per_token", "generation, no cache")):
            ax.plot(dec["lengths"], [x * 1e6 for x in dec[key]], marker="o", label=label)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("tokens")
        ax.set_ylabel("time per token (µs)")
        ax.set_title("Decoder: training vs generation")
        ax.legend()
        ctx.save_figure(fig, "parallelism")
