"""What :func:`attnlab.train.train` returns."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

__all__ = ["TrainResult"]


@dataclass(repr=False)
class TrainResult:
    """What :func:`train` returns (identical on every rank).

    ``train_loss`` / ``train_accuracy`` are means over the last ``min(10, steps)`` steps; ``eval_*`` come
    from the final evaluation. For tagging, ``*_accuracy`` is token accuracy over non-ignored targets and
    ``eval_seq_accuracy`` the fraction of sequences with every target right (for classification it equals
    ``eval_accuracy``). ``history`` has one dict per step (step, loss, accuracy, lr, grad_norm), ``evals`` one
    per evaluation. ``tokens_per_second`` counts the global batch's input tokens over the training time
    (evaluation and checkpointing excluded); ``seconds`` is the whole call. ``steps`` is the number of
    updates made (fewer than ``cfg.steps`` after an early stop); ``steps_to_threshold`` the first evaluated
    step whose accuracy reached ``cfg.threshold`` (``None``: not reached, or no threshold).
    """

    train_loss: float
    train_accuracy: float
    eval_loss: float
    eval_accuracy: float
    eval_seq_accuracy: float
    steps: int
    seconds: float
    tokens_per_second: float
    n_parameters: int
    world_size: int
    seed: int
    checkpoint: str | None = None
    steps_to_threshold: int | None = None
    history: list[dict[str, float]] = field(default_factory=list)
    evals: list[dict[str, float]] = field(default_factory=list)

    def __repr__(self) -> str:  # compact: the per-step history can be long
        fields = ", ".join(
            f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v!r}" for k, v in self.summary().items()
        )
        return f"TrainResult({fields}, history=[{len(self.history)} steps], evals=[{len(self.evals)}])"

    def summary(self) -> dict[str, Any]:
        """Final metrics without the per-step history."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k not in ("history", "evals")}

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)
