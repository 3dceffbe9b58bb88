"""q6's trials: the cost derivation counted on the modules, one layer's time per kind, and marked recall trained."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from attnlab import seeds
from attnlab.analysis.cost import build_layer, count_flops, count_params, layer_flops, layer_params
from attnlab.analysis.speed import others_load, thread_timings
from attnlab.data import make_task
from attnlab.lab.spec import Trial
from attnlab.lab.timings import cacheable
from attnlab.lab.training import fit
from attnlab.lab.tuning import TUNED, Tuning
from attnlab.questions.q6_cost.models import build_model, cnn_layers_for, receptive_reach, width_for_budget
from attnlab.questions.q6_cost.settings import (
    CNN,
    LR_CENTER,
    SPEED_HEADS,
    SPEED_KERNEL,
    SPEED_LAYERS,
    THRESHOLD,
    TIMING_THREADS,
    TRAINED,
    profile_settings,
)

__all__ = ["TUNING", "conditions", "cost_trial", "speed_trial", "train_trial", "trials"]


def cost_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Parameters per layer kind at every d of the grid, formula and count on the real module; forward FLOPs,
    formula and count, on the (smaller) ``count_ns`` x ``count_ds`` grid (counting steps an LSTM cell n times,
    slow for long n; the formulas are exact polynomials, so a small grid checks them)."""
    kinds = (("self_attention", 3), ("transformer_block", 3), ("lstm", 3), *(("conv", k) for k in config["ks"]))
    params = [{"kind": kind, "d": d, "k": k, "formula": layer_params(kind, d, k), "counted": count_params(kind, d, k)}
              for d in config["ds"] for kind, k in kinds]
    flops = [{"kind": kind, "n": n, "d": d, "k": k, "formula": layer_flops(kind, n, d, k),
              "counted": count_flops(kind, n, d, k)}
             for d in config["count_ds"] for n in config["count_ns"] for kind, k in kinds]
    return {"params": params, "flops": flops}


def speed_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Forward + backward time of one layer per kind at length n (batch = tokens // n), in alternation."""
    n, d = config["n"], config["d_model"]
    b = max(1, config["tokens"] // n)
    g = torch.Generator().manual_seed(config["seed"])
    fns = {}
    for kind in SPEED_LAYERS:
        layer = build_layer(kind, d, k=SPEED_KERNEL, n_heads=config["n_heads"])
        x = torch.randn(b, n, d, generator=g).requires_grad_(True)  # (B, T, C)

        def step(layer: nn.Module = layer, x: torch.Tensor = x) -> None:
            layer.zero_grad(set_to_none=True)
            x.grad = None
            layer(x).sum().backward()

        fns[kind] = step
    th = config["threads"]
    with others_load() as load:
        times = thread_timings(fns, threads=(th,), repeats=config["repeats"], warmup=config["warmup"],
                               min_seconds=config["min_seconds"], max_seconds=config["max_seconds"])
    return {"batch": b, "times": {kind: times[kind][th] for kind in SPEED_LAYERS}, **load, "cache": cacheable(load)}


def _logits(model: nn.Module, batch: Any) -> torch.Tensor:
    return model(batch.inputs).logits


def train_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train one model at one distance for one seed; held-out accuracy, steps to threshold, and (CNN) reach."""
    task = make_task("marked_recall", **config["task"])
    model = build_model(config["model"], config["d_model"], vocab_size=task.vocab_size, n_classes=task.n_classes,
                        max_len=task.seq_len, cnn_layers=config["cnn_layers"])
    out = fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
              threshold=THRESHOLD, seed=config["seed"], eval_every=config["eval_every"],
              eval_batches=config["eval_batches"], forward=_logits, early_stop=False)
    model.eval()
    with torch.no_grad():
        batch = task.sample(config["heldout"], seeds.generator(config["seed"], "q6.heldout"))
        logits = _logits(model, batch)  # (N, T, K)
        q = batch.extra["query_pos"]
        pred = logits[torch.arange(len(q)), q].argmax(-1)
        heldout = float((pred == batch.targets[torch.arange(len(q)), q]).float().mean())
    out["heldout_accuracy"] = heldout
    if config["model"] == CNN:
        out["reach"] = receptive_reach(model, max(64, 2 * task.seq_len), task.vocab_size)  # beyond T: the full reach
    return out


def _train_configs(profile: str) -> list[dict[str, Any]]:
    """Every model at every distance, complete but for the learning rate and seed."""
    s = profile_settings(profile)
    cnn_layers = cnn_layers_for(max(s["distances"]))
    widths = {m: width_for_budget(m, s["budget"], s["task"], cnn_layers) for m in TRAINED}
    train = {k: s[k] for k in ("steps", "batch_size", "eval_every", "eval_batches", "heldout", "budget")}
    train["cnn_layers"] = cnn_layers
    return [{"kind": "train", "model": m, "distance": dist, "d_model": widths[m],
             "task": {**s["task"], "distance": dist}, **train} for dist in s["distances"] for m in TRAINED]


def conditions(profile: str) -> list[dict[str, Any]]:
    """The compared conditions the sweep tunes: each model at the longest distance (where the verdict is read);
    its chosen rate trains it at every distance."""
    longest = max(profile_settings(profile)["distances"])
    return [c for c in _train_configs(profile) if c["distance"] == longest]


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    """The cost trial, every model at every distance for every seed (at its tuned rate), one timing trial per
    length."""
    s = profile_settings(profile)
    out = [Trial(cost_trial, {"kind": "cost", **{k: s[k] for k in ("ds", "ns", "ks", "count_ns", "count_ds")}})]
    out += [Trial(train_trial, {**c, "lr": TUNED, "seed": seed}) for c in _train_configs(profile) for seed in seeds]
    timing = {k: s[k] for k in ("repeats", "warmup", "min_seconds", "max_seconds")}
    out += [Trial(speed_trial, {"kind": "speed", "n": n, "d_model": s["speed_d"], "n_heads": SPEED_HEADS,
                                "tokens": s["tokens"], "threads": TIMING_THREADS, "seed": seeds[0], **timing},
                  exclusive=True, threads=TIMING_THREADS) for n in s["speed_ns"]]
    return out


TUNING = Tuning(train_trial, conditions, keys=("model",), center=LR_CENTER)
