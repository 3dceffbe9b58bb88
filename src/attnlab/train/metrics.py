"""Loss and accuracy of a model on a task: the logits a model returns, the summed loss and counts, and
:func:`evaluate` on fixed seeded batches (split across ranks under ``torchrun``).

Model contract: ``model(inputs, key_mask=key_mask)`` (``key_mask`` is passed only when the batch has one)
returns logits (B, T, K) for ``task.kind == "tagging"`` (targets (B, T), ``-100`` = ignore) or (B, K) for
``"classification"`` (targets (B,)), either as a tensor or as an object with a ``.logits`` attribute.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from attnlab.data.base import IGNORE_INDEX, Batch, Task
from attnlab.train.distributed import Dist

__all__ = [
    "ForwardFn",
    "batch_loss",
    "check_logits",
    "count_targets",
    "evaluate",
    "loss_and_counts",
    "model_logits",
]

ForwardFn = Callable[[nn.Module, Batch], Any]


def model_logits(
    model: nn.Module,
    batch: Batch,
    forward_kwargs: dict[str, Any] | None = None,
    forward: ForwardFn | None = None,
) -> Tensor:
    """Logits of ``model`` on ``batch`` (via ``forward`` when given), as float32 when computed in half precision."""
    if forward is not None:
        out = forward(model, batch)
    else:
        kwargs = dict(forward_kwargs or {})
        if batch.key_mask is not None:
            kwargs["key_mask"] = batch.key_mask
        out = model(batch.inputs, **kwargs)
    if isinstance(out, Tensor):
        logits = out
    elif isinstance(out, dict) and "logits" in out:
        logits = out["logits"]
    elif hasattr(out, "logits"):
        logits = out.logits
    elif isinstance(out, tuple) and out and isinstance(out[0], Tensor):
        logits = out[0]
    else:
        raise TypeError(
            f"model output: expected a logits tensor or an object with .logits, got {type(out).__name__}"
        )
    if logits is None:
        raise TypeError(
            "model output: logits is None (build the model with an output head, e.g. n_outputs=K)"
        )
    if logits.dtype in (torch.float16, torch.bfloat16):
        logits = logits.float()
    return logits


def check_logits(logits: Tensor, batch: Batch, kind: str, n_classes: int | None) -> None:
    """Raise ValueError when ``logits`` do not fit ``batch``'s targets for a task of ``kind``."""
    n = batch.targets.shape[0]
    if kind == "tagging":
        t = batch.targets.shape[1]
        if logits.dim() != 3 or logits.shape[:2] != (n, t):
            raise ValueError(
                f"logits: expected (B, T, K) = ({n}, {t}, K) for a tagging task, got {tuple(logits.shape)}"
            )
    elif kind == "classification":
        if logits.dim() != 2 or logits.shape[0] != n:
            raise ValueError(
                f"logits: expected (B, K) = ({n}, K) for a classification task, got {tuple(logits.shape)}"
            )
    else:
        raise ValueError(f"task.kind: expected 'tagging' or 'classification', got {kind!r}")
    if n_classes is not None and logits.shape[-1] < n_classes:
        raise ValueError(
            f"logits: expected K >= task.n_classes = {n_classes} classes, got K = {logits.shape[-1]}"
        )


def loss_and_counts(logits: Tensor, targets: Tensor, kind: str, label_smoothing: float = 0.0) -> tuple[Tensor, Tensor]:
    """Summed loss (differentiable) and counts ``[targets, correct, sequences, correct sequences]``."""
    k = logits.shape[-1]
    loss_sum = F.cross_entropy(
        logits.reshape(-1, k),
        targets.reshape(-1),
        ignore_index=IGNORE_INDEX,
        reduction="sum",
        label_smoothing=label_smoothing,
    )
    with torch.no_grad():
        pred = logits.argmax(dim=-1)
        if kind == "tagging":
            valid = targets != IGNORE_INDEX  # (B, T)
            correct = (pred == targets) & valid
            has = valid.any(dim=1)
            seq_ok = (correct | ~valid).all(dim=1) & has
            counts = torch.stack([valid.sum(), correct.sum(), has.sum(), seq_ok.sum()])
        else:
            correct = pred == targets  # (B,)
            counts = torch.stack(
                [
                    torch.tensor(targets.numel(), device=targets.device),
                    correct.sum(),
                    torch.tensor(targets.numel(), device=targets.device),
                    correct.sum(),
                ]
            )
    return loss_sum, counts.to(torch.float64)


def batch_loss(
    model: nn.Module,
    batch: Batch,
    kind: str,
    *,
    forward_kwargs: dict[str, Any] | None = None,
    forward: ForwardFn | None = None,
) -> Tensor:
    """Mean cross-entropy of ``model`` on ``batch`` over its non-ignored targets (differentiable).

    The loss :func:`train` minimises, for analyses that need gradients, e.g. head importance
    ``|dL/d head_mask|`` with ``forward_kwargs={"head_mask": mask.requires_grad_()}``.
    """
    logits = model_logits(model, batch, forward_kwargs, forward)
    check_logits(logits, batch, kind, None)
    loss_sum, counts = loss_and_counts(logits, batch.targets, kind)
    return loss_sum / counts[0].clamp(min=1).to(loss_sum.dtype)


def count_targets(batch: Batch, kind: str) -> int:
    """Number of targets in ``batch``: non-ignored tokens (tagging) or sequences (classification)."""
    return int((batch.targets != IGNORE_INDEX).sum()) if kind == "tagging" else len(batch)


@torch.no_grad()
def evaluate(
    model: nn.Module,
    task: Task,
    *,
    n_batches: int = 4,
    batch_size: int = 64,
    seed: int = 0,
    device: torch.device | str | None = None,
    forward_kwargs: dict[str, Any] | None = None,
    forward: ForwardFn | None = None,
    _dist: Dist | None = None,
) -> dict[str, float]:
    """Loss and accuracy of ``model`` on ``n_batches`` batches drawn from ``task`` with seed ``seed``.

    Args:
        forward_kwargs: extra keyword arguments for the model's forward (e.g. ``{"head_mask": mask}``).
        forward: ``forward(model, batch) -> logits`` replacing the default call (see :func:`train`).

    Returns:
        ``{"loss", "accuracy", "seq_accuracy", "n_targets"}`` (token / sequence accuracy for tagging).
    """
    d = _dist or Dist()
    if batch_size % d.world:
        raise ValueError(
            f"eval_batch_size: expected a multiple of the world size {d.world}, got {batch_size}"
        )
    if device is None:
        device = next((p.device for p in model.parameters()), torch.device("cpu"))
    was_training = model.training
    model.eval()
    g = torch.Generator().manual_seed(seed)
    per = batch_size // d.world
    loss_total = torch.zeros((), dtype=torch.float64, device=device)
    counts_total = torch.zeros(4, dtype=torch.float64, device=device)
    try:
        for _ in range(n_batches):
            batch = task.sample(batch_size, g)[d.rank * per : (d.rank + 1) * per].to(device)
            logits = model_logits(model, batch, forward_kwargs, forward)
            check_logits(logits, batch, task.kind, None)
            loss_sum, counts = loss_and_counts(logits, batch.targets, task.kind)
            loss_total += loss_sum.to(torch.float64)
            counts_total += counts
    finally:
        model.train(was_training)
    stats = d.all_reduce(torch.cat([loss_total[None], counts_total])).tolist()
    n_tok, n_ok, n_seq, n_seq_ok = stats[1:]
    return {
        "loss": stats[0] / max(n_tok, 1.0),
        "accuracy": n_ok / max(n_tok, 1.0),
        "seq_accuracy": n_seq_ok / max(n_seq, 1.0),
        "n_targets": n_tok,
    }
