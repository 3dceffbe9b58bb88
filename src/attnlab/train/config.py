"""Training settings and the learning-rate schedule."""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from typing import Any

from attnlab.validation import check_float, check_int

__all__ = ["TrainConfig", "lr_at"]


@dataclass(frozen=True)
class TrainConfig:
    """Training settings. Validated on construction; ``TrainConfig.from_dict`` rejects unknown keys.

    Learning rate at update ``s`` (0-based, ``S = steps``, ``W = warmup``, ``r = min_lr_ratio``)::

        lr(s) = lr * (s + 1) / W                                              if s < W
        lr(s) = lr * (r + (1 - r) * (1 + cos(pi * (s - W) / max(1, S - W - 1))) / 2)   otherwise

    Convergence: with ``threshold`` set, every evaluation (each ``eval_every`` steps and after the last)
    is compared with it and the first step whose evaluation accuracy reaches it is reported as
    ``TrainResult.steps_to_threshold``; with ``early_stop`` the run also ends there.
    """

    steps: int = 1000  # optimisation steps (the budget)
    batch_size: int = 64  # global batch size (split evenly across ranks under torchrun)
    lr: float = 1e-3  # peak learning rate
    weight_decay: float = 0.01  # AdamW decoupled weight decay, applied to tensors with >= 2 dims only
    betas: tuple[float, float] = (0.9, 0.98)  # AdamW moment coefficients
    eps: float = 1e-8  # AdamW epsilon
    warmup: int = 100  # linear warm-up steps (clipped to `steps`)
    min_lr_ratio: float = 0.1  # the cosine decays the learning rate to min_lr_ratio * lr at the last step
    grad_clip: float | None = 1.0  # maximum global gradient L2 norm; None or 0 disables clipping
    label_smoothing: float = 0.0  # cross-entropy label smoothing
    eval_every: int = 0  # evaluate every N steps (0: only after the last step)
    eval_batches: int = 4  # fresh seeded batches per evaluation (the same batches every time)
    eval_batch_size: int | None = None  # None: batch_size
    threshold: float | None = None  # evaluation accuracy whose first reaching step is reported
    early_stop: bool = False  # stop at the first evaluation that reaches `threshold`
    log_every: int = 1  # write a train line to log_path every N steps
    log_path: str | None = None  # JSONL metrics file (rank 0 writes it; overwritten)
    checkpoint_dir: str | None = None  # directory for model.safetensors + config.json (final, and periodic)
    checkpoint_every: int = 0  # also save every N steps (0: only at the end)
    device: str = "auto"  # "auto" (CUDA if available), "cpu", "cuda" or "cuda:N"
    find_unused_parameters: bool = False  # passed to DistributedDataParallel

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "eval_batches", "log_every"):
            check_int(name, getattr(self, name), 1)
        for name in ("warmup", "eval_every", "checkpoint_every"):
            check_int(name, getattr(self, name), 0)
        check_int("eval_batch_size", self.eval_batch_size, 1, optional=True)
        for name in ("lr", "eps"):
            check_float(name, getattr(self, name), 0.0, low_open=True)
        check_float("weight_decay", self.weight_decay, 0.0)
        betas = tuple(self.betas)
        if len(betas) != 2:
            raise ValueError(f"betas: expected two floats in [0, 1), got {self.betas!r}")
        for i, b in enumerate(betas):
            check_float(f"betas[{i}]", b, 0.0, 1.0, high_open=True)
        object.__setattr__(self, "betas", (float(betas[0]), float(betas[1])))
        check_float("min_lr_ratio", self.min_lr_ratio, 0.0, 1.0)
        check_float("grad_clip", self.grad_clip, 0.0, optional=True)
        check_float("label_smoothing", self.label_smoothing, 0.0, 1.0, high_open=True)
        check_float("threshold", self.threshold, 0.0, 1.0, optional=True)
        if self.early_stop and self.threshold is None:
            raise ValueError("early_stop: expected a threshold to stop at; set threshold=... or early_stop=False")
        for name in ("log_path", "checkpoint_dir"):
            value = getattr(self, name)
            if isinstance(value, os.PathLike):
                object.__setattr__(self, name, os.fspath(value))
            elif value is not None and not isinstance(value, str):
                raise TypeError(f"{name}: expected None, a str or a path, got {type(value).__name__}")
        if not isinstance(self.device, str) or not (
            self.device in ("auto", "cpu", "cuda") or self.device.startswith("cuda:")
        ):
            raise ValueError(f"device: expected 'auto', 'cpu', 'cuda' or 'cuda:N', got {self.device!r}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Build from a dict (e.g. a JSON/TOML section); unknown keys raise ValueError."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"train config: unknown key(s) {unknown}; expected a subset of {sorted(names)}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Learning rate of update ``step`` (0-based): linear warm-up, then cosine to ``min_lr_ratio * lr``."""
    warmup = min(cfg.warmup, cfg.steps)
    if step < warmup:
        return cfg.lr * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, cfg.steps - warmup - 1))
    r = cfg.min_lr_ratio
    return cfg.lr * (r + (1 - r) * 0.5 * (1 + math.cos(math.pi * progress)))
