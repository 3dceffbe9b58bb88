"""q9's tasks and trials: causal LMs trained at length T with one position scheme, tested at T, 2T and 4T."""

from __future__ import annotations

import dataclasses
import functools
import math
from typing import Any

import numpy as np
import torch

from attnlab import seeds
from attnlab.data import make_task
from attnlab.data.tasks import IGNORE_INDEX, Task
from attnlab.lab.spec import Trial
from attnlab.lab.training import fit
from attnlab.lab.tuning import TUNED, Tuning
from attnlab.questions.q9_positions.settings import (
    FACTORS,
    LR_CENTER,
    MARKER_SYMBOLS,
    N_HEADS,
    N_LAYERS,
    SCALINGS,
    SCHEMES,
    TASK_NAMES,
    THRESHOLD,
    profile_settings,
)

__all__ = ["ROPE_FIELDS", "TUNING", "accuracy_beyond", "conditions", "make_length_task", "marker_order_free_baseline",
           "only_scaling_changed", "train_rope_trial", "train_trial", "trials"]

ROPE_FIELDS = ("rotary_scaling", "rotary_factor", "rotary_original_len")  # what a RoPE scaling may change


def make_length_task(task: str, length: int, factor: int) -> Task:
    """The q9 task ``task`` ("local" or "global") at ``factor`` times the training length ``length``.

    local: :class:`attnlab.data.BlockCopyTask` with blocks of ``length // 4`` symbols and ``2 * factor``
    block pairs; global: :class:`attnlab.data.MarkerTask` of length ``factor * length`` (marker anywhere).
    """
    if task == "local":
        block = length // 4
        return make_task("block_copy", n_blocks=2 * factor, block_len=block, n_symbols=2 * block)
    if task == "global":
        return make_task("marker", length=factor * length, n_symbols=MARKER_SYMBOLS)
    raise ValueError(f"task: expected one of {TASK_NAMES}, got {task!r}")


@functools.cache
def _max_count_share(n_max: int, n_symbols: int) -> tuple[float, ...]:
    """``E[max count] / n`` for n = 0 .. n_max draws of a multinomial over ``n_symbols`` equally likely symbols.

    ``P(every count <= M) = n! / K^n [z^n] (sum_{c <= M} z^c / c!)^K`` (exponential generating function) and
    ``E[max] = sum_{j >= 1} P(max >= j)``; exact up to float rounding.
    """
    logf = [math.lgamma(c + 1) for c in range(n_max + 1)]
    at_most = np.zeros((n_max + 1, n_max + 1))  # [M, n]: P(every count <= M)
    for m in range(n_max + 1):
        base = np.zeros(n_max + 1)
        base[: m + 1] = [math.exp(-logf[c]) for c in range(m + 1)]
        poly = np.zeros(n_max + 1)
        poly[0] = 1.0
        for _ in range(n_symbols):
            poly = np.convolve(poly, base)[: n_max + 1]
        for n in range(n_max + 1):
            at_most[m, n] = poly[n] * math.exp(logf[n] - n * math.log(n_symbols)) if poly[n] > 0 else 0.0
    return (0.0, *(sum(1.0 - at_most[j - 1, n] for j in range(1, n + 1)) / n for n in range(1, n_max + 1)))


def marker_order_free_baseline(task: Task, start: int = 0) -> float:
    """The best order-free accuracy on a :class:`attnlab.data.MarkerTask`, over its targets at positions >= ``start``.

    A predictor that sees only the bag of tokens so far cannot tell which symbol followed the marker; given the
    counts, the needle is symbol s with probability ``c_s / p`` (p symbols so far, the needle among them), so the
    best such guess is the most frequent symbol so far, right with probability ``E[max_s c_s] / p``, the counts
    being multinomial over p uniform draws. Averaged over the targets: the one at position p exists for the
    ``min(p - 1, R)`` marker positions m <= p - 2 of the R = ``mark_range`` possible ones. Exact (no sampling).
    """
    length, k = task.length, task.n_symbols
    marks = task.mark_range or length - 2
    share = _max_count_share(length - 1, k)
    weights = {p: min(p - 1, marks) for p in range(max(2, start), length)}
    total = sum(weights.values())
    if not total:
        raise ValueError(f"start: expected a position with targets (< {length}), got {start}")
    return sum(w * share[p] for p, w in weights.items()) / total


@torch.no_grad()
def accuracy_beyond(model: torch.nn.Module, inputs: torch.Tensor, targets: torch.Tensor, start: int,
                    bin_size: int) -> tuple[float, float, list[float | None]]:
    """Accuracy of a causal LM on the targets at positions ``>= start``, on all targets, and per position bin.

    Args:
        model: returns logits (B, T, V) for ``inputs`` (B, T).
        targets: (B, T) with ``-100`` where nothing is predicted.
        start: first position counted as "beyond" (the training length).
        bin_size: width of the position bins of the third value (``None`` for a bin without targets).

    Returns:
        (accuracy at positions >= start, accuracy over all targets, accuracy per bin of positions).
    """
    model.eval()
    pred = model(inputs).logits.argmax(-1)  # (B, T)
    valid = targets != IGNORE_INDEX  # (B, T)
    right = (pred == targets) & valid
    beyond = valid.clone()
    beyond[:, :start] = False

    def share(mask: torch.Tensor) -> float | None:
        n = int(mask.sum())
        return float((right & mask).sum()) / n if n else None

    bins = []
    for lo in range(0, inputs.shape[1], bin_size):
        m = torch.zeros_like(valid)
        m[:, lo:lo + bin_size] = True
        bins.append(share(valid & m))
    all_acc = share(valid)
    beyond_acc = share(beyond)
    return (all_acc if beyond_acc is None else beyond_acc), float(all_acc or 0.0), bins


def bin_size(length: int) -> int:
    """Width of the position bins at training length ``length``."""
    return max(1, length // 4)


def train_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train one (task, scheme) at length T for one seed; accuracy at T and beyond T at 2T and 4T."""
    from attnlab.models import TransformerLM

    length, seed = config["length"], config["seed"]
    task = make_length_task(config["task"], length, 1)
    d = config["d_model"]
    model = TransformerLM(vocab_size=task.vocab_size, d_model=d, n_heads=N_HEADS, n_layers=N_LAYERS, d_ff=2 * d,
                          max_len=max(FACTORS) * length, positions=config["scheme"], tie_embeddings=False)
    out = fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
              threshold=THRESHOLD, seed=seed, eval_every=config["eval_every"], early_stop=False)
    by_factor = {}
    for f in FACTORS:
        test = make_length_task(config["task"], length, f)
        batch = test.sample(config["n_eval"], seeds.generator(seed, "q9.extrapolation_eval", f))
        beyond, overall, bins = accuracy_beyond(model, batch.inputs, batch.targets, length if f > 1 else 0,
                                                bin_size(length))
        by_factor[str(f)] = {"beyond": beyond, "all": overall, "bins": bins}
    out.update(by_factor=by_factor)
    return out


def only_scaling_changed(trained: torch.nn.Module, scaled: torch.nn.Module) -> bool:
    """Whether ``scaled`` holds exactly the weights of ``trained`` (every tensor equal) and its config differs from
    ``trained``'s only in the RoPE scaling fields (:data:`ROPE_FIELDS`)."""
    a, b = trained.state_dict(), scaled.state_dict()
    same = a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    plain = {f: getattr(trained.config.attention, f) for f in ROPE_FIELDS}  # the scaling undone, configs must match
    undone = dataclasses.replace(scaled.config, attention=dataclasses.replace(scaled.config.attention, **plain))
    return same and undone == trained.config


def _fit_lm(config: dict[str, Any]) -> tuple[torch.nn.Module, dict[str, Any]]:
    """The trained LM of ``config`` (at length T, max_len 4T) and what :func:`~attnlab.lab.training.fit` returns."""
    from attnlab.models import TransformerLM

    task, width = make_length_task(config["task"], config["length"], 1), config["d_model"]
    model = TransformerLM(vocab_size=task.vocab_size, d_model=width, n_heads=N_HEADS, n_layers=N_LAYERS,
                          d_ff=2 * width, max_len=max(FACTORS) * config["length"], positions=config["scheme"],
                          tie_embeddings=False)
    return model, fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
                      threshold=THRESHOLD, seed=config["seed"], eval_every=config["eval_every"], early_stop=False)


def _scores(model: torch.nn.Module, batch: Any, start: int, length: int) -> dict[str, Any]:
    """:func:`accuracy_beyond` on ``batch`` as a trial stores it: ``{"beyond", "all", "bins"}``."""
    beyond, overall, bins = accuracy_beyond(model, batch.inputs, batch.targets, start, bin_size(length))
    return {"beyond": beyond, "all": overall, "bins": bins}


def train_rope_trial(config: dict[str, Any]) -> dict[str, Any]:
    """:func:`train_trial` for RoPE (the same training, the same ``by_factor``), and the same trained weights under
    each RoPE scaling at test time.

    At fT (f > 1) each scaling of :data:`~attnlab.questions.q9_positions.settings.SCALINGS` is applied with factor
    s = f (YaRN with L = T) by :func:`attnlab.models.with_rope_scaling`, with no fine-tuning, and scored on the
    very batch plain RoPE is scored on: ``by_scaling[kind][str(f)]`` as ``by_factor[str(f)]``. ``same_weights``
    counts the scaled models that :func:`only_scaling_changed` passes, of ``scaled_models``.

    (:func:`train_trial` is not rewritten in terms of the helpers here: its source is part of its trials' cache
    key, and the other schemes' trials are reused as they are.)
    """
    from attnlab.models import with_rope_scaling

    if config["scheme"] != "rope":
        raise ValueError(f"config['scheme']: train_rope_trial scales RoPE, got {config['scheme']!r}")
    length, seed = config["length"], config["seed"]
    model, out = _fit_lm(config)
    by_factor, by_scaling, same = {}, {kind: {} for kind in SCALINGS}, 0
    for f in FACTORS:
        batch = make_length_task(config["task"], length, f).sample(
            config["n_eval"], seeds.generator(seed, "q9.extrapolation_eval", f))
        by_factor[str(f)] = _scores(model, batch, length if f > 1 else 0, length)
        for kind in SCALINGS if f > 1 else ():
            scaled = with_rope_scaling(model, kind, float(f), original_len=length if kind == "yarn" else None)
            same += only_scaling_changed(model, scaled)
            by_scaling[kind][str(f)] = _scores(scaled, batch, length, length)
    out.update(by_factor=by_factor, by_scaling=by_scaling, same_weights=same,
               scaled_models=len(SCALINGS) * (len(FACTORS) - 1))
    return out


def conditions(profile: str) -> list[dict[str, Any]]:
    """Every compared condition (task x scheme), complete but for the learning rate and seed."""
    s = profile_settings(profile)
    return [{"task": t, "scheme": sc, **s} for t in TASK_NAMES for sc in SCHEMES]


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    """Every condition on every seed; RoPE's trials also score its weights under each scaling at test time."""
    return [Trial(train_rope_trial if c["scheme"] == "rope" else train_trial, {**c, "lr": TUNED, "seed": seed})
            for c in conditions(profile) for seed in seeds]


TUNING = Tuning(train_trial, conditions, keys=("task", "scheme"), center=LR_CENTER)
