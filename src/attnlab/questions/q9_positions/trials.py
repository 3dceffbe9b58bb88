"""q9's tasks and trials: causal LMs trained at length T with one position scheme, tested at T, 2T and 4T."""

from __future__ import annotations

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
    SCHEMES,
    TASK_NAMES,
    THRESHOLD,
    profile_settings,
)

__all__ = ["TUNING", "accuracy_beyond", "conditions", "make_length_task", "marker_order_free_baseline", "train_trial",
           "trials"]


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


def conditions(profile: str) -> list[dict[str, Any]]:
    """Every compared condition (task x scheme), complete but for the learning rate and seed."""
    s = profile_settings(profile)
    return [{"task": t, "scheme": sc, **s} for t in TASK_NAMES for sc in SCHEMES]


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    return [Trial(train_trial, {**c, "lr": TUNED, "seed": seed}) for c in conditions(profile) for seed in seeds]


TUNING = Tuning(train_trial, conditions, keys=("task", "scheme"), center=LR_CENTER)
