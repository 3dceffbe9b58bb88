"""q2's trials: the cycle tasks per readout and variant, a character LM on prose, and MiniLM's W_Q W_Kᵀ."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from attnlab.data import make_task
from attnlab.lab.spec import Trial
from attnlab.lab.training import fit
from attnlab.questions.q2_qk.models import build_model
from attnlab.questions.q2_qk.settings import (
    EXAMPLE,
    RANDOM_DRAWS,
    READOUTS,
    TASKS,
    TEXT_LAYERS,
    TEXT_VARIANTS,
    THRESHOLD,
    VARIANTS,
    profile_settings,
    text_settings,
)
from attnlab.seeds import generator, stream

__all__ = ["minilm_trial", "text_tasks", "text_trial", "train_trial", "trials"]


def _logits(model: nn.Module, batch: Any) -> torch.Tensor:
    return model(batch.inputs)[0]


def train_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train one (readout, variant, task) for one seed; accuracy, steps and how attention ranks partners."""
    task = make_task("cycle", **TASKS[config["task"]])
    model = build_model(config["readout"], config["variant"], vocab_size=task.vocab_size,
                        n_classes=task.n_classes, max_len=task.seq_len, d_model=config["d_model"])
    out = fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
              threshold=THRESHOLD, seed=config["seed"], eval_every=config["eval_every"], forward=_logits)
    model.eval()
    with torch.no_grad():
        batch = task.sample(512, generator(config["seed"], "q2.probe_batch"))
        _, w = model(batch.inputs, need_weights=True)  # (B, 1, T, T)
        first = (w[:, 0].argmax(-1) == batch.extra["partner"]).float().mean()
        weight_on_partner = w[:, 0].gather(-1, batch.extra["partner"][..., None]).mean()
    out.update(partner_first=float(first), weight_on_partner=float(weight_on_partner))
    return out


def text_tasks(seq_len: int) -> tuple[Any, Any]:
    """(training, held-out) character LM tasks on the built-in prose: every tenth sentence is held out."""
    from attnlab.analysis.corpus import builtin_sentences
    from attnlab.data import CharLMTask

    sentences = builtin_sentences()
    train = CharLMTask(" ".join(x for i, x in enumerate(sentences) if i % 10), seq_len)
    held = CharLMTask(" ".join(x for i, x in enumerate(sentences) if i % 10 == 0), seq_len, alphabet=train.alphabet)
    return train, held


def text_trial(config: dict[str, Any]) -> dict[str, Any]:
    """A 2-layer causal character LM on English prose, separate or shared W_Q/W_K: held-out loss per character."""
    from attnlab.data import unigram_cross_entropy
    from attnlab.models import TransformerLM
    from attnlab.train.loop import evaluate

    train, held = text_tasks(config["seq_len"])
    d = config["d_model"]
    model = TransformerLM(vocab_size=train.vocab_size, d_model=d, n_heads=config["n_heads"], n_layers=TEXT_LAYERS,
                          d_ff=4 * d, max_len=train.seq_len, positions="learned",
                          shared_qk=config["variant"] == "shared")
    score = dict(n_batches=config["eval_batches"], batch_size=config["batch_size"],
                 seed=stream(config["seed"], "q2.text_eval"))
    init = evaluate(model, held, **score)
    # no threshold to reach (1.0): a fixed budget; fit's own held-out set is windows of the training text, so
    # it is kept small, and the loss that counts is scored on the held-out sentences below
    out = fit(model, train, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"], threshold=1.0,
              seed=config["seed"], eval_every=config["eval_every"], early_stop=False, heldout_batches=2)
    final = evaluate(model, held, **score)  # held-out sentences: never in the training text
    return {"heldout_loss": final["loss"], "heldout_accuracy": final["accuracy"], "train_loss": out["loss"],
            "init_loss": init["loss"], "unigram_loss": unigram_cross_entropy(train, held),
            "curve": out["curve"], "n_parameters": out["n_parameters"]}


def minilm_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Symmetric share of W_Q W_Kᵀ per head of all-MiniLM-L6-v2, and of random projections of its shape."""
    from attnlab.analysis.geometry import model_qk_symmetry, random_qk_share
    from attnlab.pretrained import PretrainedUnavailable, load

    try:
        model = load("all-MiniLM-L6-v2")
    except PretrainedUnavailable as exc:
        return {"unavailable": str(exc)}
    shares = model_qk_symmetry(model)  # (L, H)
    rnd_mean, rnd_std = random_qk_share(model.d_model, model.head_dim, n=RANDOM_DRAWS, seed=config["seed"])
    tokens, maps = model.attentions(EXAMPLE)
    return {"shares": shares.tolist(), "random_mean": rnd_mean, "random_std": rnd_std, "tokens": tokens,
            "weights": torch.stack(maps).round(decimals=4).tolist()}


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    s = profile_settings(profile)
    grid = [Trial(train_trial, {"kind": "train", "readout": r, "task": t, "variant": v, "seed": seed, **s})
            for r in READOUTS for t in TASKS for v in VARIANTS for seed in seeds]
    t = text_settings(profile)
    grid += [Trial(text_trial, {"kind": "text", "variant": v, "seed": seed, **t})
             for v in TEXT_VARIANTS for seed in seeds]
    return [*grid, Trial(minilm_trial, {"kind": "minilm", "seed": 0})]
