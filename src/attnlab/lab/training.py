"""Training one condition inside a trial, reporting what the evidence standard asks of it.

:func:`fit` trains with :func:`attnlab.train.train`, evaluating every ``eval_every`` steps on fixed
held-out batches, and returns the first step that reached ``threshold`` (``None`` if the budget ran out
first), the learning curve, and the final accuracy scored afterwards on a separate, larger held-out set, as
plain JSON values. The separate set matters: a run stops at the first evaluation that reaches the threshold,
so the stopping evaluation is at or above it by selection; the final accuracy must not be that number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from attnlab.data.tasks import Task
from attnlab.train import TrainConfig, train
from attnlab.train.loop import ForwardFn, evaluate

__all__ = ["HELDOUT_SEED_OFFSET", "fit"]

HELDOUT_SEED_OFFSET = 2_000_003  # the final held-out set: a stream disjoint from training and from the evaluations


def fit(
    model: nn.Module,
    task: Task,
    *,
    steps: int,
    lr: float,
    batch_size: int,
    threshold: float,
    seed: int,
    eval_every: int = 25,
    eval_batches: int = 4,
    early_stop: bool = True,
    heldout_batches: int = 16,
    warmup: int | None = None,
    forward: ForwardFn | None = None,
    callback: Callable[[int, nn.Module], None] | None = None,
    device: str = "cpu",
) -> dict[str, Any]:
    """Train ``model`` on ``task`` until ``threshold`` (or for ``steps``) and return the measurements.

    Args:
        heldout_batches: batches of ``batch_size`` in the final held-out set that ``accuracy`` is scored on.

    Returns:
        ``{"accuracy", "loss", "seq_accuracy", "stop_accuracy", "heldout_sequences", "steps_to_threshold",
        "steps", "curve", "n_parameters"}``: ``accuracy``, ``loss`` and ``seq_accuracy`` on the final held-out
        set, ``stop_accuracy`` at the last evaluation (where an early stop happened); ``curve`` lists
        ``[step, accuracy]`` at every evaluation.
    """
    if not isinstance(heldout_batches, int) or heldout_batches < 1:
        raise ValueError(f"heldout_batches: expected an int >= 1, got {heldout_batches!r}")
    cfg = TrainConfig(steps=steps, batch_size=batch_size, lr=lr, warmup=warmup if warmup is not None else
                      max(1, min(100, steps // 10)), eval_every=eval_every, eval_batches=eval_batches,
                      threshold=threshold, early_stop=early_stop, device=device)
    r = train(model, task, cfg, seed=seed, progress=False, forward=forward, callback=callback)
    final = evaluate(model, task, n_batches=heldout_batches, batch_size=batch_size, seed=seed + HELDOUT_SEED_OFFSET,
                     device=device, forward=forward)
    return {
        "accuracy": final["accuracy"],
        "loss": final["loss"],
        "seq_accuracy": final["seq_accuracy"],
        "stop_accuracy": r.eval_accuracy,
        "heldout_sequences": heldout_batches * batch_size,
        "steps_to_threshold": r.steps_to_threshold,
        "steps": r.steps,
        "curve": [[e["step"], round(e["accuracy"], 4)] for e in r.evals],
        "n_parameters": r.n_parameters,
    }
