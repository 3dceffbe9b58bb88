"""q5's trials: wall-clock timings only (each runs alone); the seed fixes the inputs, not the timing."""

from __future__ import annotations

from typing import Any

import torch

from attnlab.analysis.cost import build_layer, layer_flops
from attnlab.analysis.speed import others_load, thread_timings
from attnlab.lab.spec import Trial
from attnlab.lab.timings import cacheable
from attnlab.questions.q5_parallel.settings import (
    ARCHS,
    BATCH,
    DEVICE_KIND,
    GEN_LAYERS,
    GEN_MODES,
    GEN_THREADS,
    GEN_VOCAB,
    GENERATION_KIND,
    KERNEL,
    LAYER_KIND,
    THREADS,
    THREADS_KIND,
    TIMING_THREADS,
    profile_settings,
)

__all__ = ["device_trial", "generation_trial", "threads_trial", "trials"]


def _layer(arch: str, d: int, n_heads: int) -> torch.nn.Module:
    return build_layer(LAYER_KIND[arch], d, k=KERNEL, n_heads=n_heads)


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
    return 3.0 * batch * layer_flops(LAYER_KIND[arch], t, d, KERNEL)


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


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    """Timing trials only (each runs alone, with 2 threads); the seed fixes the inputs, not the timing."""
    s = profile_settings(profile)
    common = {k: s[k] for k in ("d_model", "n_heads", "repeats", "warmup", "min_seconds", "max_seconds")}
    seed = seeds[0]
    out = [Trial(threads_trial, {"kind": THREADS_KIND, "T": t, "batch": BATCH, "threads": list(THREADS), "seed": seed,
                                 **common}, exclusive=True, threads=TIMING_THREADS) for t in s["lengths"]]
    # the deciding length timed again, as its own trial after the others: a timing verdict must hold in both runs
    out.append(Trial(threads_trial, {"kind": THREADS_KIND, "T": s["lengths"][-1], "batch": BATCH,
                                     "threads": list(THREADS), "seed": seed, "replicate": 1, **common},
                     exclusive=True, threads=TIMING_THREADS))
    out.append(Trial(generation_trial, {"kind": GENERATION_KIND, "lengths": s["gen_lengths"], "vocab_size": GEN_VOCAB,
                                        "n_layers": GEN_LAYERS, "threads": GEN_THREADS, "seed": seed,
                                        **common, "repeats": s["gen_repeats"]},
                     exclusive=True, threads=TIMING_THREADS))
    if profile == "full" and torch.cuda.is_available():  # the GPU case: reported, never required
        out.append(Trial(device_trial, {"kind": DEVICE_KIND, "device": "cuda", "T": s["lengths"][-1], "batch": BATCH,
                                        "threads": TIMING_THREADS, "seed": seed, **common},
                         exclusive=True, threads=TIMING_THREADS))
    return out
