"""q4's trials: Var(q·k) of random vectors (a derivation check), and the logits' scale of trained models."""

from __future__ import annotations

import math
from typing import Any

import torch

from attnlab.data import make_task
from attnlab.lab.spec import Trial
from attnlab.lab.training import fit
from attnlab.lab.tuning import TUNED, Tuning
from attnlab.questions.q4_variance.settings import (
    LR_CENTER,
    MINILM,
    MONTE_CARLO,
    PROBE_BATCH,
    TASK,
    THRESHOLD,
    TRAINED,
    profile_settings,
)
from attnlab.seeds import generator

__all__ = ["TUNING", "conditions", "dot_variance", "loglog_slope", "minilm_trial", "trained_trial", "trials",
           "variance_trial"]


def dot_variance(d_k: int, n_samples: int, generator: torch.Generator, *, dist: str = "gaussian",
                 scaled: bool = False, chunk: int = 4096) -> float:
    """Monte Carlo estimate of Var(q·k) (of Var(q·k/√d_k) when ``scaled``) for independent components.

    Args:
        d_k: dimension of q and k.
        n_samples: independent (q, k) pairs (>= 2).
        generator: the random source.
        dist: ``"gaussian"`` (N(0, 1) components) or ``"rademacher"`` (±1 with equal probability).
        scaled: divide each dot product by √d_k.
        chunk: pairs drawn at a time (memory ``2 * chunk * d_k`` floats).
    """
    if d_k < 1 or n_samples < 2:
        raise ValueError(f"d_k, n_samples: expected >= 1 and >= 2, got {d_k}, {n_samples}")
    if dist not in ("gaussian", "rademacher"):
        raise ValueError(f"dist: expected 'gaussian' or 'rademacher', got {dist!r}")
    dots, left = [], n_samples
    while left > 0:
        n = min(chunk, left)
        if dist == "gaussian":
            q, k = torch.randn(n, d_k, generator=generator), torch.randn(n, d_k, generator=generator)  # (N, D)
        else:
            q = torch.randint(0, 2, (n, d_k), generator=generator).float() * 2 - 1
            k = torch.randint(0, 2, (n, d_k), generator=generator).float() * 2 - 1
        s = (q * k).sum(-1).double()  # (N,)
        dots.append(s / math.sqrt(d_k) if scaled else s)
        left -= n
    return torch.cat(dots).var(unbiased=True).item()


def loglog_slope(x: list[float], y: list[float]) -> float:
    """Least-squares slope of log y against log x."""
    if len(x) != len(y) or len(x) < 2:
        raise ValueError(f"x, y: expected equal lengths >= 2, got {len(x)}, {len(y)}")
    lx, ly = [math.log(v) for v in x], [math.log(v) for v in y]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum((a - mx) ** 2 for a in lx)


def variance_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Var(q·k) against d_k for one seed: Gaussian, Rademacher and scaled Gaussian components."""
    g = torch.Generator().manual_seed(config["seed"])
    dims, n = config["dims"], config["n_samples"]
    curves = {"gaussian": [dot_variance(d, n, g) for d in dims],
              "rademacher": [dot_variance(d, n, g, dist="rademacher") for d in dims],
              "scaled": [dot_variance(d, n, g, scaled=True) for d in dims]}
    return {"curves": curves, "slopes": {k: loglog_slope(dims, v) for k, v in curves.items()}}


def _logit_scale(model: Any, inputs: torch.Tensor) -> dict[str, float]:
    """Head-averaged std of the scaled logits, of the raw ones, and the std independence would predict."""
    from attnlab.analysis.logits import logit_statistics

    s = logit_statistics(model, lambda: model(inputs))
    raw = float(s.logit_std.mean())
    return {"raw_std": raw, "scaled_std": raw / s.sqrt_dk, "independent_std": float(s.independent_std.mean()),
            "ratio_to_independent": float((s.logit_std / s.independent_std).mean())}


def trained_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Logit scale at initialisation and after the whole budget (no early stop), for one d_k and seed: d_model
    and the head count fixed, heads of width d_k."""
    from attnlab.models import TransformerEncoder

    task = make_task("lookup", **TASK)
    model = TransformerEncoder(vocab_size=task.vocab_size, d_model=config["d_model"], n_heads=config["n_heads"],
                               head_dim=config["d_k"], n_layers=1, max_len=task.seq_len,
                               n_outputs=task.n_classes, positions="none", score="scaled_dot")
    inputs = task.sample(PROBE_BATCH, generator(config["seed"], "q4.probe_batch")).inputs
    init = _logit_scale(model, inputs)
    out = fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
              threshold=THRESHOLD, seed=config["seed"], eval_every=config["eval_every"], early_stop=False)
    model.eval()
    return {**out, "init": init, "trained": _logit_scale(model, inputs)}


def minilm_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Per layer of all-MiniLM-L6-v2 on the built-in corpus: scaled-logit std and the independence prediction."""
    from attnlab.analysis.corpus import load_corpus
    from attnlab.analysis.logits import logit_statistics
    from attnlab.pretrained import PretrainedUnavailable, load

    try:
        model = load("all-MiniLM-L6-v2")
    except PretrainedUnavailable as exc:
        return {"unavailable": str(exc)}
    texts = load_corpus(n=config["n_texts"], seed=config["seed"])
    s = logit_statistics(model, lambda: model.embed(texts, batch_size=16))
    return {"d_k": s.head_dim, "layer_scaled_std": (s.layer_logit_std / s.sqrt_dk).tolist(),
            "ratio_to_independent": (s.logit_std / s.independent_std).mean(1).tolist(), "n_texts": len(texts)}


def conditions(profile: str) -> list[dict[str, Any]]:
    """Every trained condition (one per d_k), complete but for the learning rate and seed."""
    s = profile_settings(profile)
    train = {k: s[k] for k in ("d_model", "n_heads", "steps", "batch_size", "eval_every")}
    return [{"kind": TRAINED, "d_k": dk, **train} for dk in s["dks"]]


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    """The Monte Carlo per seed, each d_k per seed at its tuned rate, and MiniLM once."""
    s = profile_settings(profile)
    return [
        *[Trial(variance_trial, {"kind": MONTE_CARLO, "seed": seed, "dims": s["dims"],
                                 "n_samples": s["n_samples"]}) for seed in seeds],
        *[Trial(trained_trial, {**c, "lr": TUNED, "seed": seed}) for c in conditions(profile) for seed in seeds],
        Trial(minilm_trial, {"kind": MINILM, "seed": 0, "n_texts": s["n_texts"]}),
    ]


TUNING = Tuning(trained_trial, conditions, keys=("kind", "d_k"), center=LR_CENTER)
