"""Training one condition inside a trial, reporting what the evidence standard asks of it.

:func:`fit` trains with :func:`attnlab.train.train`, evaluating every ``eval_every`` steps on fixed
held-out batches, and returns the final accuracy, the first step that reached ``threshold`` (``None``
if the budget ran out first) and the learning curve, as plain JSON values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from attnlab.data.tasks import Task
from attnlab.train import TrainConfig, train
from attnlab.train.loop import ForwardFn

__all__ = ["fit"]


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
    warmup: int | None = None,
    forward: ForwardFn | None = None,
    callback: Callable[[int, nn.Module], None] | None = None,
    device: str = "cpu",
) -> dict[str, Any]:
    """Train ``model`` on ``task`` until ``threshold`` (or for ``steps``) and return the measurements.

    Returns:
        ``{"accuracy", "loss", "seq_accuracy", "steps_to_threshold", "steps", "curve", "n_parameters"}``;
        ``curve`` lists ``[step, accuracy]`` at every evaluation.
    """
    cfg = TrainConfig(steps=steps, batch_size=batch_size, lr=lr, warmup=warmup if warmup is not None else
                      max(1, min(100, steps // 10)), eval_every=eval_every, eval_batches=eval_batches,
                      threshold=threshold, early_stop=early_stop, device=device)
    r = train(model, task, cfg, seed=seed, progress=False, forward=forward, callback=callback)
    return {
        "accuracy": r.eval_accuracy,
        "loss": r.eval_loss,
        "seq_accuracy": r.eval_seq_accuracy,
        "steps_to_threshold": r.steps_to_threshold,
        "steps": r.steps,
        "curve": [[e["step"], round(e["accuracy"], 4)] for e in r.evals],
        "n_parameters": r.n_parameters,
    }
