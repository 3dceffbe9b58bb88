"""q2's trials: the cycle tasks per readout and variant, a character LM on prose, and MiniLM's W_Q W_Kᵀ."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from attnlab.data import make_task
from attnlab.lab.spec import Trial
from attnlab.lab.training import fit
from attnlab.lab.tuning import TUNED, Tuning
from attnlab.questions.q2_qk.models import build_model
from attnlab.questions.q2_qk.settings import (
    CYCLE_CONDITIONS,
    EXAMPLE,
    LR_CENTER,
    MATCH,
    RANDOM_DRAWS,
    TASKS,
    TEXT_LAYERS,
    TEXT_VARIANTS,
    THRESHOLD,
    profile_settings,
    text_settings,
)
from attnlab.seeds import generator, stream

__all__ = ["TUNING", "conditions", "matched_head_dim", "minilm_trial", "text_model", "text_tasks", "text_trial",
           "train_trial", "trial", "trials"]


def _logits(model: nn.Module, batch: Any) -> torch.Tensor:
    return model(batch.inputs)[0]


def train_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train one (readout, variant, task) for one seed; accuracy, steps and how attention ranks partners."""
    task = make_task("cycle", **TASKS[config["task"]])
    model = build_model(config["readout"], config["variant"], vocab_size=task.vocab_size,
                        n_classes=task.n_classes, max_len=task.seq_len, d_model=config["d_model"])
    out = fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
              threshold=THRESHOLD, seed=config["seed"], eval_every=config["eval_every"], forward=_logits,
              early_stop=False)
    model.eval()
    with torch.no_grad():
        batch = task.sample(512, generator(config["seed"], "q2.probe_batch"))
        _, w = model(batch.inputs, need_weights=True)  # (B, 1, T, T)
        first = (w[:, 0].argmax(-1) == batch.extra["partner"]).float().mean()
        weight_on_partner = w[:, 0].gather(-1, batch.extra["partner"][..., None]).mean()
    out.update(partner_first=float(first), weight_on_partner=float(weight_on_partner))
    return out


def text_tasks(seq_len: int) -> tuple[Any, Any, Any]:
    """(training, validation, held-out) character LM tasks on the built-in prose: of every ten sentences the
    first is held out (the test), the sixth validates (the learning-rate sweep reads it), the rest train."""
    from attnlab.analysis.corpus import builtin_sentences
    from attnlab.data import CharLMTask

    sentences = builtin_sentences()
    train = CharLMTask(" ".join(x for i, x in enumerate(sentences) if i % 10 not in (0, 5)), seq_len)
    valid = CharLMTask(" ".join(x for i, x in enumerate(sentences) if i % 10 == 5), seq_len, alphabet=train.alphabet)
    held = CharLMTask(" ".join(x for i, x in enumerate(sentences) if i % 10 == 0), seq_len, alphabet=train.alphabet)
    return train, valid, held


def text_model(vocab_size: int, seq_len: int, d_model: int, n_heads: int, variant: str,
               head_dim: int | None = None) -> nn.Module:
    """The 2-layer causal character LM; ``variant`` "separate" or "shared"/"shared_matched" (one W_Q = W_K)."""
    from attnlab.models import TransformerLM

    return TransformerLM(vocab_size=vocab_size, d_model=d_model, n_heads=n_heads, n_layers=TEXT_LAYERS,
                         d_ff=4 * d_model, max_len=seq_len, positions="learned", head_dim=head_dim,
                         shared_qk=variant != "separate")


def _n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def matched_head_dim(vocab_size: int, seq_len: int, d_model: int, n_heads: int) -> int:
    """The head width at which the shared model's parameter count is closest to separate's (within :data:`MATCH`)."""
    target = _n_params(text_model(vocab_size, seq_len, d_model, n_heads, "separate"))
    base = d_model // n_heads
    best = min(range(base, 2 * base + 1),
               key=lambda h: abs(_n_params(text_model(vocab_size, seq_len, d_model, n_heads, "shared", h)) - target))
    got = _n_params(text_model(vocab_size, seq_len, d_model, n_heads, "shared", best))
    if abs(got - target) > MATCH * target:
        raise ValueError(f"no head width matches separate's {target} parameters within {MATCH:.0%} (best {got})")
    return best


def text_trial(config: dict[str, Any]) -> dict[str, Any]:
    """A 2-layer causal character LM on English prose for the whole budget: held-out loss per character at the
    end and at each quarter of the budget (the plateau check reads the second half), validation accuracy and
    loss (what the learning-rate sweep reads), parameters."""
    from attnlab.data import unigram_cross_entropy
    from attnlab.train.loop import evaluate

    train, valid, held = text_tasks(config["seq_len"])
    model = text_model(train.vocab_size, train.seq_len, config["d_model"], config["n_heads"], config["variant"],
                       config.get("head_dim"))
    score = dict(n_batches=config["eval_batches"], batch_size=config["batch_size"],
                 seed=stream(config["seed"], "q2.text_eval"))
    init = evaluate(model, held, **score)
    quarter = max(1, config["steps"] // 4)
    curve: list[list[float]] = []

    def track(step: int, m: nn.Module) -> None:
        if step % quarter == 0 and step < config["steps"]:
            was = m.training
            m.eval()
            curve.append([step, round(float(evaluate(m, held, **score)["loss"]), 4)])
            m.train(was)

    # no threshold to reach (1.0): a fixed budget; fit's own held-out set is windows of the training text, so it
    # is kept small; the losses that count are scored on the held-out and validation sentences
    out = fit(model, train, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"], threshold=1.0,
              seed=config["seed"], eval_every=config["steps"], early_stop=False, heldout_batches=2, callback=track)
    model.eval()
    final = evaluate(model, held, **score)  # held-out sentences: never in the training text
    val = evaluate(model, valid, **score)
    curve.append([out["steps"], round(float(final["loss"]), 4)])
    half = next((loss for step, loss in curve if step == 2 * quarter), final["loss"])
    return {"heldout_loss": final["loss"], "heldout_accuracy": final["accuracy"], "accuracy": val["accuracy"],
            "loss": val["loss"], "train_loss": out["loss"], "init_loss": init["loss"], "half_loss": half,
            "unigram_loss": unigram_cross_entropy(train, held), "majority_accuracy": _majority(train, held),
            "curve": curve, "steps": out["steps"], "n_parameters": out["n_parameters"]}


def _majority(train: Any, held: Any) -> float:
    """Held-out accuracy of always predicting the training text's most frequent character (exact)."""
    top = int(torch.bincount(train.ids).argmax())
    return float((held.ids[1:] == top).float().mean())


def minilm_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Symmetric share of W_Q W_Kᵀ per head of all-MiniLM-L6-v2, and of random projections of its shape."""
    from attnlab.analysis.attribution import sentence_attributions
    from attnlab.analysis.geometry import model_qk_symmetry, random_qk_share
    from attnlab.analysis.head_steps import focus_steps
    from attnlab.pretrained import PretrainedUnavailable, load
    from attnlab.questions.q2_qk.explorer import explorer_focus

    try:
        model = load("all-MiniLM-L6-v2")
    except PretrainedUnavailable as exc:
        return {"unavailable": str(exc)}
    shares = model_qk_symmetry(model)  # (L, H)
    rnd_mean, rnd_std = random_qk_share(model.d_model, model.head_dim, n=RANDOM_DRAWS, seed=config["seed"])
    tokens, maps = model.attentions(EXAMPLE)
    weights = torch.stack(maps).round(decimals=4).tolist()
    return {"shares": shares.tolist(), "random_mean": rnd_mean, "random_std": rnd_std, "tokens": tokens,
            "weights": weights, "steps": focus_steps(model, EXAMPLE, explorer_focus(tokens, weights)),
            "attribution": sentence_attributions(model, EXAMPLE)}  # the explorer's attribution view


def trial(config: dict[str, Any]) -> dict[str, Any]:
    """The trial of ``config["kind"]``: a cycle task or the text LM (what the learning-rate sweep runs)."""
    return text_trial(config) if config["kind"] == "text" else train_trial(config)


def conditions(profile: str) -> list[dict[str, Any]]:
    """Every compared condition (cycle tasks, then the text LM's arms), complete but for the learning rate and seed.
    A text arm's readout is "lm" and its task "text", so every condition has the sweep's keys."""
    s, t = profile_settings(profile), text_settings(profile)
    out = [{"kind": "train", "readout": r, "task": k, "variant": v, **s} for r, k, v in CYCLE_CONDITIONS]
    vocab = text_tasks(t["seq_len"])[0].vocab_size
    wide = matched_head_dim(vocab, t["seq_len"], t["d_model"], t["n_heads"])
    for v in TEXT_VARIANTS:
        out.append({"kind": "text", "readout": "lm", "task": "text", "variant": v, **t,
                    "head_dim": wide if v == "shared_matched" else t["d_model"] // t["n_heads"]})
    return out


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    grid = [Trial(trial, {**c, "lr": TUNED, "seed": seed}) for c in conditions(profile) for seed in seeds]
    return [*grid, Trial(minilm_trial, {"kind": "minilm", "seed": 0})]


TUNING = Tuning(trial, conditions, keys=("kind", "readout", "task", "variant"), center=LR_CENTER)
