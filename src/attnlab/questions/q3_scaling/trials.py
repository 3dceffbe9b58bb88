"""q3's trials: one encoder layer learning key-value lookup, only the logit temperature varied."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from attnlab.data import make_task
from attnlab.lab.spec import Trial
from attnlab.lab.training import fit
from attnlab.lab.tuning import TUNED, Tuning
from attnlab.questions.q3_scaling.settings import (
    LR_CENTER,
    PROBE_STEPS,
    SATURATED_AT,
    TASK,
    TEMPERATURES,
    THRESHOLD,
    profile_settings,
    temperature,
)
from attnlab.seeds import generator

__all__ = ["TUNING", "build_model", "query_softmax_stats", "train_trial", "trials"]


def build_model(*, vocab_size: int, n_classes: int, max_len: int, d_model: int, n_heads: int, d_k: int,
                factor: float):
    """One encoder layer, no positions, ``n_heads`` heads of width ``d_k``, logits ``factor · q·k``."""
    from attnlab.models import TransformerEncoder

    return TransformerEncoder(vocab_size=vocab_size, d_model=d_model, n_heads=n_heads, head_dim=d_k, n_layers=1,
                              max_len=max_len, n_outputs=n_classes, positions="none", score="dot", scale=factor)


def train_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Softmax saturation and gradients over training (query rows only), and steps to the threshold."""
    task = make_task("lookup", **TASK)
    factor = temperature(config["temperature"], config["d_k"])
    model = build_model(vocab_size=task.vocab_size, n_classes=task.n_classes, max_len=task.seq_len,
                        d_model=config["d_model"], n_heads=config["n_heads"], d_k=config["d_k"], factor=factor)
    batch = task.sample(256, generator(config["seed"], "q3.probe_batch"))
    probes: dict[str, dict[str, float]] = {"0": query_softmax_stats(model, batch)}

    def probe(step: int, m: Any) -> None:
        if step in PROBE_STEPS:
            probes[str(step)] = query_softmax_stats(m, batch)

    out = fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
              threshold=THRESHOLD, seed=config["seed"], eval_every=config["eval_every"], callback=probe,
              early_stop=False)
    probes["end"] = query_softmax_stats(model, batch)
    return {**out, "probes": probes}


def query_softmax_stats(model: Any, batch: Any) -> dict[str, float]:
    """Over the query rows of a lookup batch (heads averaged): how peaked attention is, whether it is
    saturated on the wrong key, the weight on the right key, and the gradient at the softmax input."""
    from attnlab.analysis.softmax import softmax_probe

    def loss(out: Any) -> torch.Tensor:
        return F.cross_entropy(out.logits.transpose(1, 2), batch.targets, ignore_index=-100)

    p = softmax_probe(model, lambda m: m(batch.inputs, need_weights=True), loss)
    n_pairs = TASK["n_pairs"]
    w = p["weights"][0][:, :, n_pairs + 1:, :]  # (B, H, Q, T): the query rows
    right = batch.extra["answer_pos"][:, None, :, None].expand(-1, w.shape[1], -1, 1)  # (B, H, Q, 1)
    top, arg = w.max(-1)  # (B, H, Q)
    on_right = w.gather(-1, right).squeeze(-1)  # (B, H, Q)
    wrong = (top > SATURATED_AT) & (arg != right.squeeze(-1))
    return {"max_weight": float(top.mean()), "weight_on_right_key": float(on_right.mean()),
            "saturated": float((top > SATURATED_AT).float().mean()), "saturated_wrong": float(wrong.float().mean()),
            "grad_scores": float(p["grad_scores"][0][:, :, n_pairs + 1:].mean()), "grad_w_q": p["grad_w_q"][0]}


def conditions(profile: str) -> list[dict[str, Any]]:
    """Every compared condition (head width x temperature), complete but for the learning rate and seed."""
    s = profile_settings(profile)
    dks = s.pop("dks")
    return [{"d_k": dk, "temperature": t, **s} for dk in dks for t in TEMPERATURES]


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    return [Trial(train_trial, {**c, "lr": TUNED, "seed": seed}) for c in conditions(profile) for seed in seeds]


TUNING = Tuning(train_trial, conditions, keys=("d_k", "temperature"), center=LR_CENTER)
