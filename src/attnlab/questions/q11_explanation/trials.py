"""q11's trials: every attribution of all-MiniLM-L6-v2 against erasure on independent sentences, and of small
Transformer classifiers whose deciding word is known by construction."""

from __future__ import annotations

import math
from typing import Any

import torch

from attnlab.analysis.attribution import METHODS
from attnlab.data import make_task
from attnlab.lab.spec import Trial
from attnlab.lab.training import fit
from attnlab.lab.tuning import TUNED, Tuning
from attnlab.questions.q11_explanation.settings import (
    LR_CENTER,
    MINILM,
    N_HEADS,
    N_LAYERS,
    SENTENCE,
    TASKS,
    THRESHOLD,
    profile_settings,
)
from attnlab.seeds import generator

__all__ = ["TUNING", "analysis_batch", "classifier_trial", "conditions", "embedding_target", "margin", "minilm_trial",
           "trials"]


def margin(out: Any) -> torch.Tensor:
    """What a classifier's attributions explain: the positive minus the negative logit, (B,)."""
    return out.logits[:, 1] - out.logits[:, 0]


def embedding_target(model: Any, ids: torch.Tensor):
    """What MiniLM's attributions explain for one sentence (1, T): its mean-pooled embedding projected on the
    direction of the whole sentence's own, ``y(x') = mean_t h_t(x') · u`` with ``u = e(x) / ‖e(x)‖`` fixed.

    Erasure then measures how much of the embedding's own direction is lost without a token. (The cosine with
    e(x) would be the same idea, but it is at its maximum at x, so its gradient there is zero.)"""
    with torch.no_grad():
        e = model(ids).hidden.mean(1)[0]
    u = e / e.norm()
    return lambda out: out.hidden.mean(1) @ u


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def minilm_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Per sentence of the built-in corpus (at most :data:`~attnlab.analysis.attribution.FLOW_MAX_TOKENS`
    tokens), each method's Spearman agreement with erasure of the sentence embedding, [CLS] and [SEP] left out;
    and each method's scores on :data:`~attnlab.questions.q11_explanation.settings.SENTENCE`."""
    from attnlab.analysis.attribution import FLOW_MAX_TOKENS, attribution_agreement, erasure, token_scores
    from attnlab.analysis.corpus import load_corpus
    from attnlab.analysis.head_steps import focus_steps
    from attnlab.pretrained import PretrainedUnavailable, load
    from attnlab.questions.q11_explanation.explorer import explorer_focus

    try:
        model = load(MINILM)
    except PretrainedUnavailable as exc:
        return {"unavailable": str(exc)}
    model.eval()
    texts = load_corpus(n=config["n_texts"], seed=config["seed"])
    rho: dict[str, list[float | None]] = {m: [] for m in METHODS}
    lengths = []
    for text in texts:
        ids = model.encode(text).input_ids
        if ids.shape[1] > FLOW_MAX_TOKENS:
            continue
        a = attribution_agreement(model, [ids], target=embedding_target(model, ids), skip=(0, -1), n_boot=100)
        for m in METHODS:
            rho[m].append(_finite(a[m].per_sentence[0]))
        lengths.append(int(ids.shape[1]))
    ids = model.encode(SENTENCE).input_ids
    target = embedding_target(model, ids)
    scores = token_scores(model, ids, target=target)
    scores["erasure"] = erasure(model, ids, target=target)[0].double()
    example = {m: [round(float(x), 5) for x in s.abs()] for m, s in scores.items()}
    tokens, maps = model.attentions(SENTENCE)  # for the report's explorer and its step-through
    weights = torch.stack(maps).round(decimals=4).tolist()
    return {"rho": rho, "lengths": lengths, "drawn": len(texts), "tokens": list(tokens), "weights": weights,
            "example": example, "steps": focus_steps(model, SENTENCE, explorer_focus(tokens, weights, example))}


def analysis_batch(task: Any, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` held-out texts and the position of each one's deciding word (N, T), (N,): on the contrast task only
    texts whose polar words disagree (elsewhere either word decides)."""
    g = generator(seed, "q11.analysis_batch")
    if task.name == "needle":
        b = task.sample(n, g)
        return b.inputs, b.extra["needle_pos"]
    b = task.sample(4 * n, g)
    keep = b.extra["conflict"].nonzero().squeeze(1)[:n]  # about half disagree: 4n leaves n with near certainty
    if keep.numel() < n:
        raise RuntimeError(f"analysis_batch: only {keep.numel()} of {4 * n} contrast texts disagree, need {n}")
    return b.inputs[keep], b.extra["deciding_pos"][keep]


def classifier_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train one classifier (a task, a seed) for the whole budget; then, on held-out texts, where each method puts
    its top score (the pointing game) and each method's Spearman agreement with erasure of the logit margin."""
    from attnlab.analysis.attribution import attribution_agreement, pointing_game
    from attnlab.models import SequenceClassifier

    task = make_task(config["task"], length=config["length"])
    d = config["d_model"]
    model = SequenceClassifier(vocab_size=task.vocab_size, n_classes=task.n_classes, d_model=d, n_heads=N_HEADS,
                               n_layers=N_LAYERS, d_ff=2 * d, max_len=config["length"], pooling="mean")
    out = fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
              threshold=THRESHOLD, seed=config["seed"], eval_every=config["eval_every"], early_stop=False)
    model.eval()
    inputs, deciding = analysis_batch(task, config["n_analysis"], config["seed"])
    hits = pointing_game(model, inputs, deciding, target=margin)
    agree = attribution_agreement(model, list(inputs), target=margin, n_boot=100)
    out.update(hit={m: sum(h) / len(h) for m, h in hits.items()},
               rho={m: _finite(a.rho) for m, a in agree.items()}, rho_n={m: a.n for m, a in agree.items()},
               n_analysis=len(inputs), positions=int(inputs.shape[1]))
    return out


_TRAIN_KEYS = ("length", "d_model", "steps", "batch_size", "eval_every", "n_analysis")


def conditions(profile: str) -> list[dict[str, Any]]:
    """Every trained classifier (one per task), complete but for the learning rate and seed."""
    s = profile_settings(profile)
    return [{"kind": "classifier", "task": t, **{k: s[k] for k in _TRAIN_KEYS}} for t in TASKS]


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    s = profile_settings(profile)
    return [*[Trial(classifier_trial, {**c, "lr": TUNED, "seed": seed}) for c in conditions(profile) for seed in seeds],
            Trial(minilm_trial, {"kind": "minilm", "seed": 0, "n_texts": s["n_texts"]})]


TUNING = Tuning(classifier_trial, conditions, keys=("task",), center=LR_CENTER)
