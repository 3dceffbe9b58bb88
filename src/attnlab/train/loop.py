"""One training loop for every model and task, in a single process or under ``torchrun`` (DDP).

``train(model, task, cfg, seed=...)`` runs AdamW with a linear warm-up and a cosine decay of the learning
rate, clips the global gradient norm, evaluates on fixed seeded batches (every ``eval_every`` steps and
at the end), reports the first step whose evaluation reaches ``cfg.threshold`` (and stops there with
``early_stop``), shows a progress bar, writes metrics as JSONL and saves safetensors checkpoints.

The model contract, the loss and :func:`evaluate` are in :mod:`attnlab.train.metrics`; :class:`TrainResult` in
:mod:`attnlab.train.result` (both importable from here too).
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn

from attnlab.data.base import Task
from attnlab.train.checkpoint import WEIGHTS_NAME, model_config, save_checkpoint
from attnlab.train.config import TrainConfig, lr_at
from attnlab.train.distributed import Dist, resolve_device, setup_distributed
from attnlab.train.metrics import (
    ForwardFn,
    batch_loss,
    check_logits,
    count_targets,
    evaluate,
    loss_and_counts,
    model_logits,
)
from attnlab.train.progress import JsonlLog, progress_bar
from attnlab.train.result import TrainResult
from attnlab.validation import check_int

__all__ = ["EVAL_SEED_OFFSET", "ForwardFn", "TrainResult", "batch_loss", "evaluate", "train"]

EVAL_SEED_OFFSET = 1_000_003  # evaluation batches come from seed + this, a stream disjoint from training


def train(
    model: nn.Module,
    task: Task,
    cfg: TrainConfig,
    *,
    seed: int,
    eval_task: Task | None = None,
    progress: bool = True,
    forward: ForwardFn | None = None,
    callback: Callable[[int, nn.Module], None] | None = None,
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
        callback: ``callback(step, model)`` after each update (1-based step, the unwrapped model), e.g. a
            probe that measures something during training. It must not change the model.

    Under ``torchrun`` the same call trains with DistributedDataParallel; every rank returns the same
    result, and only rank 0 writes the log and checkpoints.
    """
    if not isinstance(cfg, TrainConfig):
        raise TypeError(f"cfg: expected a TrainConfig, got {type(cfg).__name__}")
    check_int("seed", seed, 0)
    if getattr(task, "kind", None) not in ("tagging", "classification"):
        raise ValueError(
            f"task.kind: expected 'tagging' or 'classification', got {getattr(task, 'kind', None)!r}"
        )
    eval_task = task if eval_task is None else eval_task
    if eval_task.kind != task.kind:
        raise ValueError(f"eval_task.kind: expected {task.kind!r} (as task), got {eval_task.kind!r}")
    start = time.perf_counter()
    device = resolve_device(cfg.device, int(os.environ.get("LOCAL_RANK", "0")))
    if device.type == "cuda":
        torch.cuda.set_device(device)
    d = setup_distributed(device)
    try:
        return _train(model, task, eval_task, cfg, seed, progress, forward, callback, device, d, start)
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
    callback: Callable[[int, nn.Module], None] | None,
    device: torch.device,
    d: Dist,
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
    opt = torch.optim.AdamW([g for g in groups if g["params"]], lr=cfg.lr, betas=cfg.betas, eps=cfg.eps,
                            fused=True)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: lr_at(min(s, cfg.steps - 1), cfg) / cfg.lr)
    clip = cfg.grad_clip if cfg.grad_clip else math.inf
    n_params = sum(p.numel() for p in base.parameters())
    gen = torch.Generator().manual_seed(seed)
    is_main = d.rank == 0
    log = JsonlLog(cfg.log_path, is_main)
    log.write(
        {
            "event": "start",
            "seed": seed,
            "config": cfg.to_dict(),
            "task": _task_config(task),
            "model_class": type(base).__name__,
            "model_config": model_config(base),
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
    reached: int | None = None  # first evaluated step at or above cfg.threshold
    last_step = 0

    def run_eval(step: int) -> dict[str, float]:
        m = evaluate(
            base,
            eval_task,
            n_batches=cfg.eval_batches,
            batch_size=eval_bs,
            seed=seed + EVAL_SEED_OFFSET,
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
        with progress_bar(show, cfg.steps) as bar:
            for step in range(1, cfg.steps + 1):
                t0 = time.perf_counter()
                global_batch = task.sample(cfg.batch_size, gen)
                n_targets = count_targets(global_batch, task.kind)
                batch = global_batch[d.rank * per_rank : (d.rank + 1) * per_rank].to(device)
                logits = model_logits(model, batch, forward=forward)
                if step == 1:
                    check_logits(logits, batch, task.kind, task.n_classes)
                loss_sum, counts = loss_and_counts(logits, batch.targets, task.kind, cfg.label_smoothing)
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
                last_step = step
                if callback is not None:
                    callback(step, base)
                if cfg.eval_every and step % cfg.eval_every == 0 and step != cfg.steps:
                    record = run_eval(step)
                    if reached is None and cfg.threshold is not None and record["accuracy"] >= cfg.threshold:
                        reached = step
                if cfg.checkpoint_dir and cfg.checkpoint_every and step % cfg.checkpoint_every == 0:
                    checkpoint = save(step)
                if reached is not None and cfg.early_stop:
                    break
        final_eval = evals[-1] if evals and evals[-1]["step"] == last_step else run_eval(last_step)
        if reached is None and cfg.threshold is not None and final_eval["accuracy"] >= cfg.threshold:
            reached = last_step
        if cfg.checkpoint_dir:
            checkpoint = save(last_step)
        last = history[-min(10, len(history)) :]
        result = TrainResult(
            train_loss=sum(r["loss"] for r in last) / len(last),
            train_accuracy=sum(r["accuracy"] for r in last) / len(last),
            eval_loss=final_eval["loss"],
            eval_accuracy=final_eval["accuracy"],
            eval_seq_accuracy=final_eval["seq_accuracy"],
            steps=last_step,
            seconds=time.perf_counter() - start,
            tokens_per_second=tokens / max(train_seconds, 1e-9),
            n_parameters=n_params,
            world_size=d.world,
            seed=seed,
            checkpoint=checkpoint or None,
            steps_to_threshold=reached,
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
