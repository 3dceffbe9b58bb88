"""One trainer for every model and task, in a single process or under ``torchrun`` (DDP).

``train(model, task, cfg, seed=...)`` runs AdamW with a linear warm-up and a cosine decay of the learning
rate, clips the global gradient norm, evaluates on fresh seeded batches, shows a progress bar, writes
metrics as JSONL and saves safetensors checkpoints together with the model's config.

Model contract: ``model(inputs, key_mask=key_mask)`` (``key_mask`` is passed only when the batch has one)
returns logits (B, T, K) for ``task.kind == "tagging"`` (targets (B, T), ``-100`` = ignore) or (B, K) for
``"classification"`` (targets (B,)), either as a tensor or as an object with a ``.logits`` attribute.

Data parallelism: when ``WORLD_SIZE > 1`` (as set by ``torchrun --nproc_per_node=N``) :func:`train` joins the
process group (gloo on CPU, NCCL on CUDA), wraps the model in ``DistributedDataParallel`` and lets every
rank draw the same global batch from the seed and keep its slice ``[rank * B/N, (rank + 1) * B/N)``. The
loss of each rank is normalised by the global number of targets, so the averaged gradient equals the
single-process gradient of the same global batch: the same seed gives the same parameters (up to
floating-point summation order) with 1 or N processes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import inspect
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from attnlab.data.tasks import IGNORE_INDEX, Batch, Task

__all__ = [
    "TrainConfig",
    "TrainResult",
    "batch_loss",
    "evaluate",
    "load_checkpoint",
    "load_config_file",
    "lr_at",
    "main",
    "save_checkpoint",
    "train",
]

WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"
_EVAL_SEED_OFFSET = 1_000_003  # evaluation batches come from seed + this, a stream disjoint from training


# ----------------------------------------------------------------------------------------------------------
# Configuration and result
# ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrainConfig:
    """Training settings. Validated on construction; ``TrainConfig.from_dict`` rejects unknown keys.

    Learning rate at update ``s`` (0-based, ``S = steps``, ``W = warmup``, ``r = min_lr_ratio``)::

        lr(s) = lr * (s + 1) / W                                              if s < W
        lr(s) = lr * (r + (1 - r) * (1 + cos(pi * (s - W) / max(1, S - W - 1))) / 2)   otherwise
    """

    steps: int = 1000  # optimisation steps
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
    eval_batches: int = 4  # fresh seeded batches per evaluation
    eval_batch_size: int | None = None  # None: batch_size
    log_every: int = 1  # write a train line to log_path every N steps
    log_path: str | None = None  # JSONL metrics file (rank 0 writes it; overwritten)
    checkpoint_dir: str | None = None  # directory for model.safetensors + config.json (final, and periodic)
    checkpoint_every: int = 0  # also save every N steps (0: only at the end)
    device: str = "auto"  # "auto" (CUDA if available), "cpu", "cuda" or "cuda:N"
    find_unused_parameters: bool = False  # passed to DistributedDataParallel

    def __post_init__(self) -> None:
        for name in ("steps", "batch_size", "eval_batches", "log_every"):
            _check_int(name, getattr(self, name), 1)
        for name in ("warmup", "eval_every", "checkpoint_every"):
            _check_int(name, getattr(self, name), 0)
        if self.eval_batch_size is not None:
            _check_int("eval_batch_size", self.eval_batch_size, 1)
        for name in ("lr", "eps"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise ValueError(f"{name}: expected a positive float, got {value!r}")
        if (
            isinstance(self.weight_decay, bool)
            or not isinstance(self.weight_decay, (int, float))
            or (self.weight_decay < 0)
        ):
            raise ValueError(f"weight_decay: expected a float >= 0, got {self.weight_decay!r}")
        betas = tuple(self.betas)
        if len(betas) != 2 or not all(isinstance(b, (int, float)) and 0 <= b < 1 for b in betas):
            raise ValueError(f"betas: expected two floats in [0, 1), got {self.betas!r}")
        object.__setattr__(self, "betas", (float(betas[0]), float(betas[1])))
        if not isinstance(self.min_lr_ratio, (int, float)) or not 0 <= self.min_lr_ratio <= 1:
            raise ValueError(f"min_lr_ratio: expected a float in [0, 1], got {self.min_lr_ratio!r}")
        if self.grad_clip is not None and (
            not isinstance(self.grad_clip, (int, float)) or self.grad_clip < 0
        ):
            raise ValueError(f"grad_clip: expected None or a float >= 0, got {self.grad_clip!r}")
        if not isinstance(self.label_smoothing, (int, float)) or not 0 <= self.label_smoothing < 1:
            raise ValueError(f"label_smoothing: expected a float in [0, 1), got {self.label_smoothing!r}")
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


@dataclass(repr=False)
class TrainResult:
    """What :func:`train` returns (identical on every rank).

    ``train_loss`` / ``train_accuracy`` are means over the last ``min(10, steps)`` steps; ``eval_*`` come
    from the final evaluation. For tagging, ``*_accuracy`` is token accuracy over non-ignored targets and
    ``eval_seq_accuracy`` the fraction of sequences with every target right (for classification it equals
    ``eval_accuracy``). ``history`` has one dict per step (step, loss, accuracy, lr, grad_norm), ``evals`` one
    per evaluation. ``tokens_per_second`` counts the global batch's input tokens over the training time
    (evaluation and checkpointing excluded); ``seconds`` is the whole call.
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


def _check_int(name: str, value: Any, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ValueError(f"{name}: expected an int >= {low}, got {value!r}")


def lr_at(step: int, cfg: TrainConfig) -> float:
    """Learning rate of update ``step`` (0-based): linear warm-up, then cosine to ``min_lr_ratio * lr``."""
    warmup = min(cfg.warmup, cfg.steps)
    if step < warmup:
        return cfg.lr * (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, cfg.steps - warmup - 1))
    r = cfg.min_lr_ratio
    return cfg.lr * (r + (1 - r) * 0.5 * (1 + math.cos(math.pi * progress)))


# ----------------------------------------------------------------------------------------------------------
# Forward, loss and metrics
# ----------------------------------------------------------------------------------------------------------
ForwardFn = Callable[[nn.Module, Batch], Any]


def _logits(
    model: nn.Module,
    batch: Batch,
    forward_kwargs: dict[str, Any] | None = None,
    forward: ForwardFn | None = None,
) -> Tensor:
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


def _check_shapes(logits: Tensor, batch: Batch, kind: str, n_classes: int | None) -> None:
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


def _sums(logits: Tensor, targets: Tensor, kind: str, label_smoothing: float = 0.0) -> tuple[Tensor, Tensor]:
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
    logits = _logits(model, batch, forward_kwargs, forward)
    _check_shapes(logits, batch, kind, None)
    loss_sum, counts = _sums(logits, batch.targets, kind)
    return loss_sum / counts[0].clamp(min=1).to(loss_sum.dtype)


def _n_targets(batch: Batch, kind: str) -> int:
    return int((batch.targets != IGNORE_INDEX).sum()) if kind == "tagging" else len(batch)


# ----------------------------------------------------------------------------------------------------------
# Distributed helpers
# ----------------------------------------------------------------------------------------------------------
@dataclass
class _Dist:
    rank: int = 0
    world: int = 1
    owns_group: bool = False

    @property
    def enabled(self) -> bool:
        return self.world > 1

    def barrier(self) -> None:
        if self.enabled:
            import torch.distributed as dist

            dist.barrier()

    def all_reduce(self, t: Tensor) -> Tensor:
        if self.enabled:
            import torch.distributed as dist

            dist.all_reduce(t)
        return t


def _resolve_device(pref: str, local_rank: int) -> torch.device:
    if pref == "auto":
        pref = "cuda" if torch.cuda.is_available() else "cpu"
    if pref.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"device: {pref!r} requested but CUDA is not available")
        if pref == "cuda":
            return torch.device("cuda", local_rank % torch.cuda.device_count())
    return torch.device(pref)


def _setup_distributed(device: torch.device) -> _Dist:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return _Dist()
    import torch.distributed as dist

    if not dist.is_available():
        raise RuntimeError("WORLD_SIZE > 1 but torch.distributed is not available in this build")
    owns = False
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
        owns = True
    return _Dist(rank=dist.get_rank(), world=dist.get_world_size(), owns_group=owns)


# ----------------------------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------------------------
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
    _dist: _Dist | None = None,
) -> dict[str, float]:
    """Loss and accuracy of ``model`` on ``n_batches`` batches drawn from ``task`` with seed ``seed``.

    Args:
        forward_kwargs: extra keyword arguments for the model's forward (e.g. ``{"head_mask": mask}``).
        forward: ``forward(model, batch) -> logits`` replacing the default call (see :func:`train`).

    Returns:
        ``{"loss", "accuracy", "seq_accuracy", "n_targets"}`` (token / sequence accuracy for tagging).
    """
    d = _dist or _Dist()
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
            logits = _logits(model, batch, forward_kwargs, forward)
            _check_shapes(logits, batch, task.kind, None)
            loss_sum, counts = _sums(logits, batch.targets, task.kind)
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


# ----------------------------------------------------------------------------------------------------------
# Checkpoints
# ----------------------------------------------------------------------------------------------------------
def _model_config(model: nn.Module) -> dict[str, Any] | None:
    cfg = getattr(model, "config", None)
    if cfg is not None and dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
        return dataclasses.asdict(cfg)
    return None


def save_checkpoint(model: nn.Module, directory: str | Path, *, extra: dict[str, Any] | None = None) -> Path:
    """Write ``directory/model.safetensors`` and ``directory/config.json``; return the weights path.

    The safetensors metadata and ``config.json`` both hold the model class (``module.QualName``), its config
    (``dataclasses.asdict(model.config)`` when the model has one) and ``extra`` (e.g. step, seed). Tied
    (shared) parameters are stored once. Files are written to a temporary name and renamed.
    """
    from safetensors.torch import save_model

    model = getattr(model, "module", model)  # unwrap DistributedDataParallel
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cls = type(model)
    info = {
        "model_class": f"{cls.__module__}.{cls.__qualname__}",
        "model_config": _model_config(model),
        "extra": extra or {},
    }
    text = json.dumps(info, indent=2, sort_keys=True, default=str)
    weights = directory / WEIGHTS_NAME
    tmp = directory / (WEIGHTS_NAME + ".tmp")
    save_model(model, str(tmp), metadata={"attnlab": json.dumps(info, sort_keys=True, default=str)})
    os.replace(tmp, weights)
    tmp_cfg = directory / (CONFIG_NAME + ".tmp")
    tmp_cfg.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp_cfg, directory / CONFIG_NAME)
    return weights


def _import_class(path: str) -> type:
    module, _, qualname = path.rpartition(".")
    if not module.startswith("attnlab.") or "." in qualname:
        raise ValueError(
            f"checkpoint: cannot rebuild model class {path!r} (only attnlab classes are rebuilt); "
            f"pass model= to load_checkpoint"
        )
    obj = getattr(importlib.import_module(module), qualname, None)
    if not isinstance(obj, type) or not issubclass(obj, nn.Module):
        raise ValueError(f"checkpoint: model class {path!r} not found; pass model= to load_checkpoint")
    return obj


def load_checkpoint(
    path: str | Path, model: nn.Module | None = None, *, device: str | torch.device = "cpu"
) -> nn.Module:
    """Load a checkpoint written by :func:`save_checkpoint` (a directory or its ``model.safetensors``).

    With ``model``, its weights are replaced (strict: every tensor must match) and it is returned. Without
    it, the model is rebuilt from the stored class and config (``Model.from_config(config)`` or
    ``Model(**config)``; attnlab classes only) and returned on ``device``. Never unpickles anything.
    """
    from safetensors import safe_open
    from safetensors.torch import load_model

    path = Path(path)
    weights = path / WEIGHTS_NAME if path.is_dir() else path
    if not weights.is_file():
        raise ValueError(f"path: expected a checkpoint directory or .safetensors file, got {str(path)!r}")
    with safe_open(str(weights), framework="pt") as fh:
        meta = fh.metadata() or {}
    info = json.loads(meta["attnlab"]) if "attnlab" in meta else {}
    if model is None:
        if not info.get("model_class") or info.get("model_config") is None:
            raise ValueError(f"{weights.name}: no model class/config stored; pass model= to load_checkpoint")
        cls = _import_class(info["model_class"])
        config = info["model_config"]
        model = cls.from_config(config) if hasattr(cls, "from_config") else cls(**config)
    model = getattr(model, "module", model)
    missing, unexpected = load_model(model, str(weights), strict=False, device=str(device))
    if missing or unexpected:
        raise ValueError(
            f"{weights.name}: expected the model's tensors, got missing {sorted(missing)[:5]} and "
            f"unexpected {sorted(unexpected)[:5]}"
        )
    return model.to(device)


# ----------------------------------------------------------------------------------------------------------
# Progress and logging
# ----------------------------------------------------------------------------------------------------------
class _JsonlLog:
    def __init__(self, path: str | None, enabled: bool) -> None:
        self.fh = None
        if path is not None and enabled:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.fh = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def write(self, record: dict[str, Any]) -> None:
        if self.fh is not None:
            self.fh.write(json.dumps(record, default=str) + "\n")
            self.fh.flush()

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None


@contextlib.contextmanager
def _progress_bar(enabled: bool, total: int) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("train"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[info]}"),
        console=Console(stderr=True),
        transient=False,
    )
    with bar:
        task_id = bar.add_task("train", total=total, info="")
        yield lambda advance, info: bar.update(task_id, advance=advance, info=info)


# ----------------------------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------------------------
def train(
    model: nn.Module,
    task: Task,
    cfg: TrainConfig,
    *,
    seed: int,
    eval_task: Task | None = None,
    progress: bool = True,
    forward: ForwardFn | None = None,
) -> TrainResult:
    """Train ``model`` in place on batches drawn from ``task`` and return the final metrics.

    Args:
        model: maps ``inputs`` (B, T) long (and ``key_mask`` (B, T) bool when the batch has one) to logits
            (B, T, K) for tagging or (B, K) for classification (see the module docstring).
        task: anything with the task interface (``sample``, ``kind``, ``n_classes``), e.g.
            ``attnlab.data.make_task("copy")`` or a ``TextClassificationDataset``.
        cfg: a :class:`TrainConfig`.
        seed: fixes the training batches (``torch.Generator().manual_seed(seed)``), the evaluation batches
            (seed + 1000003) and the global torch RNG (dropout); the model's initialisation is the
            caller's (seed before building it).
        eval_task: where evaluation batches come from (default: ``task``).
        progress: show a progress bar (only on rank 0 and when stderr is a terminal).
        forward: optional ``forward(model, batch) -> logits`` (tensor or object with ``.logits``) replacing
            ``model(batch.inputs, key_mask=...)``, for models with another signature, e.g. an encoder-decoder
            fed ``batch.inputs`` and teacher-forced decoder inputs from ``batch.extra``. Tagging logits must
            match ``batch.targets`` (B, T'), which may differ in length from the inputs. Under DDP ``model``
            is the DistributedDataParallel wrapper (call it, do not reach into ``.module``, so gradients
            are synchronised).

    Under ``torchrun`` the same call trains with DistributedDataParallel; every rank returns the same
    result, and only rank 0 writes the log and checkpoints.
    """
    if not isinstance(cfg, TrainConfig):
        raise TypeError(f"cfg: expected a TrainConfig, got {type(cfg).__name__}")
    _check_int("seed", seed, 0)
    if getattr(task, "kind", None) not in ("tagging", "classification"):
        raise ValueError(
            f"task.kind: expected 'tagging' or 'classification', got {getattr(task, 'kind', None)!r}"
        )
    eval_task = task if eval_task is None else eval_task
    if eval_task.kind != task.kind:
        raise ValueError(f"eval_task.kind: expected {task.kind!r} (as task), got {eval_task.kind!r}")
    start = time.perf_counter()
    device = _resolve_device(cfg.device, int(os.environ.get("LOCAL_RANK", "0")))
    if device.type == "cuda":
        torch.cuda.set_device(device)
    d = _setup_distributed(device)
    try:
        return _train(model, task, eval_task, cfg, seed, progress, forward, device, d, start)
    finally:
        if d.owns_group:
            import torch.distributed as dist

            dist.destroy_process_group()


def _train(
    model: nn.Module,
    task: Task,
    eval_task: Task,
    cfg: TrainConfig,
    seed: int,
    progress: bool,
    forward: ForwardFn | None,
    device: torch.device,
    d: _Dist,
    start: float,
) -> TrainResult:
    eval_bs = cfg.eval_batch_size or cfg.batch_size
    for name, value in (("batch_size", cfg.batch_size), ("eval_batch_size", eval_bs)):
        if value % d.world:
            raise ValueError(f"{name}: expected a multiple of the world size {d.world}, got {value}")
    per_rank = cfg.batch_size // d.world
    torch.manual_seed(seed)
    model.to(device)
    model.train()
    base = model
    if d.enabled:
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(
            base,
            device_ids=[device.index] if device.type == "cuda" else None,
            find_unused_parameters=cfg.find_unused_parameters,
        )
    params = [p for p in base.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model: expected trainable parameters, got none")
    groups = [
        {"params": [p for p in params if p.dim() >= 2], "weight_decay": cfg.weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]
    opt = torch.optim.AdamW([g for g in groups if g["params"]], lr=cfg.lr, betas=cfg.betas, eps=cfg.eps)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_at(min(s, cfg.steps - 1), cfg) / cfg.lr)
    clip = cfg.grad_clip if cfg.grad_clip else math.inf
    n_params = sum(p.numel() for p in base.parameters())
    gen = torch.Generator().manual_seed(seed)
    is_main = d.rank == 0
    log = _JsonlLog(cfg.log_path, is_main)
    log.write(
        {
            "event": "start",
            "seed": seed,
            "config": cfg.to_dict(),
            "task": _task_config(task),
            "model_class": type(base).__name__,
            "model_config": _model_config(base),
            "n_parameters": n_params,
            "world_size": d.world,
            "device": str(device),
        }
    )
    history: list[dict[str, float]] = []
    evals: list[dict[str, float]] = []
    tokens = 0
    train_seconds = 0.0
    checkpoint: str | None = None

    def run_eval(step: int) -> dict[str, float]:
        m = evaluate(
            base,
            eval_task,
            n_batches=cfg.eval_batches,
            batch_size=eval_bs,
            seed=seed + _EVAL_SEED_OFFSET,
            device=device,
            forward=forward,
            _dist=d,
        )
        record = {"step": step, **{k: m[k] for k in ("loss", "accuracy", "seq_accuracy")}}
        evals.append(record)
        log.write({"event": "eval", **record})
        return record

    def save(step: int) -> str:
        if is_main:
            extra = {"step": step, "seed": seed, "task": _task_config(task), "train_config": cfg.to_dict()}
            save_checkpoint(base, cfg.checkpoint_dir, extra=extra)
        d.barrier()  # other ranks see the files once this returns
        return str(Path(cfg.checkpoint_dir) / WEIGHTS_NAME)

    try:
        show = progress and is_main and sys.stderr.isatty()
        with _progress_bar(show, cfg.steps) as bar:
            for step in range(1, cfg.steps + 1):
                t0 = time.perf_counter()
                global_batch = task.sample(cfg.batch_size, gen)
                n_targets = _n_targets(global_batch, task.kind)
                batch = global_batch[d.rank * per_rank : (d.rank + 1) * per_rank].to(device)
                logits = _logits(model, batch, forward=forward)
                if step == 1:
                    _check_shapes(logits, batch, task.kind, task.n_classes)
                loss_sum, counts = _sums(logits, batch.targets, task.kind, cfg.label_smoothing)
                # Normalise by the GLOBAL target count; DDP averages over ranks, hence the factor world.
                loss = loss_sum * (d.world / max(n_targets, 1))
                opt.zero_grad(set_to_none=True)
                loss.backward()
                grad_norm = float(torch.nn.utils.clip_grad_norm_(params, clip))
                lr = opt.param_groups[0]["lr"]
                opt.step()
                sched.step()
                stats = d.all_reduce(torch.cat([loss_sum.detach().to(torch.float64)[None], counts])).tolist()
                train_seconds += time.perf_counter() - t0
                tokens += global_batch.inputs.numel()
                rec = {
                    "step": step,
                    "loss": stats[0] / max(stats[1], 1.0),
                    "accuracy": stats[2] / max(stats[1], 1.0),
                    "lr": lr,
                    "grad_norm": grad_norm,
                }
                history.append(rec)
                if step % cfg.log_every == 0 or step == cfg.steps:
                    log.write({"event": "train", **rec, "time": time.perf_counter() - start})
                if bar is not None:
                    bar(1, f"loss {rec['loss']:.4f} acc {rec['accuracy']:.3f}")
                if cfg.eval_every and step % cfg.eval_every == 0 and step != cfg.steps:
                    run_eval(step)
                if cfg.checkpoint_dir and cfg.checkpoint_every and step % cfg.checkpoint_every == 0:
                    checkpoint = save(step)
        final_eval = run_eval(cfg.steps)
        if cfg.checkpoint_dir:
            checkpoint = save(cfg.steps)
        last = history[-min(10, len(history)) :]
        result = TrainResult(
            train_loss=sum(r["loss"] for r in last) / len(last),
            train_accuracy=sum(r["accuracy"] for r in last) / len(last),
            eval_loss=final_eval["loss"],
            eval_accuracy=final_eval["accuracy"],
            eval_seq_accuracy=final_eval["seq_accuracy"],
            steps=cfg.steps,
            seconds=time.perf_counter() - start,
            tokens_per_second=tokens / max(train_seconds, 1e-9),
            n_parameters=n_params,
            world_size=d.world,
            seed=seed,
            checkpoint=checkpoint or None,
            history=history,
            evals=evals,
        )
        log.write({"event": "final", **result.summary()})
        return result
    finally:
        log.close()


def _task_config(task: Task) -> dict[str, Any]:
    config = getattr(task, "config", None)
    return config() if callable(config) else {"name": type(task).__name__}


# ----------------------------------------------------------------------------------------------------------
# Config files and the `attnlab train CONFIG` entry point
# ----------------------------------------------------------------------------------------------------------
_TOP_KEYS = ("task", "data", "model", "train", "seed", "eval_task")


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a JSON (``.json``) or TOML (``.toml``) run config into a dict."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"config: expected an existing .json or .toml file, got {str(path)!r}")
    if path.suffix.lower() == ".toml":
        try:
            import tomllib
        except ImportError as exc:  # Python 3.10
            raise ValueError("config: TOML needs Python >= 3.11 (tomllib); use a .json config") from exc
        with path.open("rb") as fh:
            try:
                data = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"{path.name}: invalid TOML ({exc})") from None
    elif path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path.name}: invalid JSON ({exc.msg} at line {exc.lineno})") from None
    else:
        raise ValueError(f"config: expected a .json or .toml file, got {path.name!r}")
    if not isinstance(data, dict):
        raise ValueError(
            f"{path.name}: expected a JSON/TOML object at the top level, got {type(data).__name__}"
        )
    return data


def _resolve(base: Path, value: Any) -> Any:
    if isinstance(value, str) and value and not Path(value).is_absolute():
        return str(base / value)
    return value


def _build_task(spec: Any, what: str) -> Task:
    from attnlab.data import make_task

    if isinstance(spec, str):
        return make_task(spec)
    if isinstance(spec, dict) and isinstance(spec.get("name"), str):
        kwargs = {k: v for k, v in spec.items() if k != "name"}
        return make_task(spec["name"], **kwargs)
    raise ValueError(f'{what}: expected a task name or {{"name": ..., **kwargs}}, got {spec!r}')


def _build_text_data(spec: Any, base: Path, seed: int) -> tuple[Task, Task]:
    from attnlab.data import TextClassificationDataset

    if not isinstance(spec, dict) or "train" not in spec:
        raise ValueError(f'data: expected {{"train": PATH, "eval": PATH?, ...}}, got {spec!r}')
    allowed = {"train", "eval", "text_column", "label_column", "max_len", "eval_fraction", "format"}
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise ValueError(f"data: unknown key(s) {unknown}; expected a subset of {sorted(allowed)}")
    opts = {k: spec[k] for k in ("text_column", "label_column", "format") if k in spec}
    train_ds = TextClassificationDataset.from_file(
        _resolve(base, spec["train"]), max_len=spec.get("max_len", 128), **opts
    )
    if spec.get("eval"):
        eval_ds = TextClassificationDataset.from_file(
            _resolve(base, spec["eval"]),
            tokenizer=train_ds.tokenizer,
            max_len=train_ds.max_len,
            label_names=train_ds.label_names,
            **opts,
        )
        return train_ds, eval_ds
    return train_ds.split(float(spec.get("eval_fraction", 0.1)), seed=seed)


def _build_model(spec: Any, task: Task) -> nn.Module:
    import attnlab.models as models

    if not isinstance(spec, dict):
        raise ValueError(f'model: expected {{"class": NAME, **kwargs}}, got {spec!r}')
    kwargs = dict(spec)
    name = kwargs.pop("class", None) or kwargs.pop("name", None)
    cls = getattr(models, name, None) if isinstance(name, str) else None
    if not isinstance(cls, type) or not issubclass(cls, nn.Module):
        available = sorted(
            n
            for n in dir(models)
            if isinstance(getattr(models, n), type) and issubclass(getattr(models, n), nn.Module)
        )
        raise ValueError(f"model.class: expected one of {available}, got {name!r}")
    fields: set[str] = set()
    config_class = getattr(cls, "config_class", None)
    if config_class is not None and dataclasses.is_dataclass(config_class):
        fields = {f.name for f in dataclasses.fields(config_class)}
    else:
        fields = set(inspect.signature(cls).parameters)
    defaults = {"vocab_size": task.vocab_size, "max_len": task.seq_len}
    if task.kind == "tagging":
        defaults["n_outputs"] = task.n_classes
    else:
        defaults["n_classes"] = task.n_classes
    for key, value in defaults.items():
        if key in fields and key not in kwargs:
            kwargs[key] = value
    return cls(**kwargs)


def main(config_path: str | Path) -> TrainResult:
    """Train from a JSON/TOML config and print the final metrics (``attnlab train CONFIG``).

    Config keys::

        {"seed": 0,
         "task": {"name": "copy", "length": 8},            # a registered task and its arguments, or
         "data": {"train": "train.csv", "eval": "dev.csv",  # labelled text (CSV/TSV/JSONL, text,label
                  "max_len": 128},                          # columns; no "eval": a 10% split of "train")
         "eval_task": {...},                                # optional, defaults to the task
         "model": {"class": "TransformerEncoder", "d_model": 64, "n_heads": 4, "n_layers": 2},
         "train": {"steps": 500, "batch_size": 64, "lr": 1e-3, "log_path": "runs/copy.jsonl"}}

    ``vocab_size``, ``max_len`` and ``n_outputs`` (tagging) or ``n_classes`` (classification) are filled in
    from the task when the model accepts them and the config leaves them out. Relative paths (data files,
    ``log_path``, ``checkpoint_dir``) are relative to the config file. The model is initialised after
    ``torch.manual_seed(seed)``. Works unchanged under ``torchrun``.
    """
    config_path = Path(config_path)
    data = load_config_file(config_path)
    base = config_path.resolve().parent
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise ValueError(
            f"{config_path.name}: unknown key(s) {unknown}; expected a subset of {list(_TOP_KEYS)}"
        )
    seed = data.get("seed", 0)
    _check_int("seed", seed, 0)
    if ("task" in data) == ("data" in data):
        raise ValueError(
            f"{config_path.name}: expected exactly one of 'task' or 'data', got "
            f"{[k for k in ('task', 'data') if k in data]}"
        )
    if "task" in data:
        task = _build_task(data["task"], "task")
        eval_task = _build_task(data["eval_task"], "eval_task") if "eval_task" in data else None
    else:
        task, eval_task = _build_text_data(data["data"], base, seed)
    train_section = dict(data.get("train", {}))
    for key in ("log_path", "checkpoint_dir"):
        if key in train_section:
            train_section[key] = _resolve(base, train_section[key])
    cfg = TrainConfig.from_dict(train_section)
    if "model" not in data:
        raise ValueError(f"{config_path.name}: expected a 'model' section, got none")
    torch.manual_seed(seed)
    model = _build_model(data["model"], task)
    result = train(model, task, cfg, seed=seed, eval_task=eval_task)
    if int(os.environ.get("RANK", "0")) == 0:
        print(json.dumps(result.summary(), indent=2))
    return result
