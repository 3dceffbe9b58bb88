"""q1's trials: one encoder layer per head count (with importance, pruning and roles for the pruned count), and
Michel et al.'s importance and pruning on all-MiniLM-L6-v2."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from attnlab.data import make_task
from attnlab.lab.spec import Trial
from attnlab.lab.training import fit
from attnlab.lab.tuning import TUNED, Tuning
from attnlab.questions.q1_heads.settings import (
    ARMS,
    EXAMPLE,
    FIXED_STEP,
    HEADS,
    LR_CENTER,
    MINILM_FRACTIONS,
    MINILM_KEEP,
    PRUNE_TOL,
    RANDOM_ORDERS,
    RELATIONS,
    ROLE_MASS,
    TASKS,
    THRESHOLD,
    profile_settings,
)
from attnlab.seeds import generator, stream

__all__ = ["TUNING", "conditions", "minilm_trial", "prunable_fraction", "roles", "train_trial", "trials"]


def prunable_fraction(fractions: list[float], accuracies: list[float], tol: float = PRUNE_TOL) -> float:
    """Largest fraction f such that every point up to f keeps accuracy >= accuracy(0) - ``tol``."""
    if len(fractions) != len(accuracies) or not fractions:
        raise ValueError(f"fractions, accuracies: expected equal non-empty lists, got {len(fractions)} and "
                         f"{len(accuracies)}")
    best = 0.0
    for f, a in zip(fractions, accuracies, strict=True):
        if a < accuracies[0] - tol:
            break
        best = f
    return float(best)


def roles(mass: torch.Tensor, first: torch.Tensor) -> list[str]:
    """Per head: the relation holding > ROLE_MASS of its weight ("-1", "+2", "first", other offsets) or "mixed".

    ``mass`` (H, 2T - 1): weight per relative offset; ``first`` (H,): weight on the first token.
    """
    t = (mass.shape[1] + 1) // 2
    out = []
    for h in range(mass.shape[0]):
        o = int(mass[h].argmax())
        if float(first[h]) > ROLE_MASS and float(first[h]) >= float(mass[h].max()):
            out.append("first")
        elif float(mass[h, o]) > ROLE_MASS:
            out.append(f"{o - (t - 1):+d}")
        else:
            out.append("mixed")
    return out


def train_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train one (task, arm, h) for one seed for the whole budget; for the pruned head count also importance,
    pruning, roles and whether each relation's heads are used, all read at the end of the budget."""
    from attnlab.analysis.heads import head_importance, importance_order, pruning_curve, random_order
    from attnlab.analysis.roles import offset_mass
    from attnlab.models import TransformerEncoder
    from attnlab.train import evaluate

    task = make_task("multi_relation", **TASKS[config["task"]])
    h, seed = config["heads"], config["seed"]
    model = TransformerEncoder(vocab_size=task.vocab_size, d_model=config["d_model"], n_heads=h,
                               head_dim=config["head_dim"], n_layers=1, max_len=task.seq_len, n_outputs=task.n_classes)
    out = fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
              threshold=THRESHOLD, seed=seed, eval_every=config["eval_every"], early_stop=False)
    at_fixed = [a for s, a in out["curve"] if s <= FIXED_STEP]
    out["accuracy_at_fixed_step"] = at_fixed[-1] if at_fixed else out["accuracy"]
    if h != config["prune_heads"] or config["arm"] != ARMS[0]:
        return out
    model.eval()
    g = generator(seed, "q1.importance_batches")
    batches = [task.sample(config["batch_size"], g) for _ in range(4)]  # disjoint from training and evaluation

    def loss_fn(batch: Any, mask: torch.Tensor) -> torch.Tensor:
        logits = model(batch.inputs, head_mask=mask.permute(1, 0, 2)).logits  # mask (B, L, H) -> (L, B, H)
        ce = F.cross_entropy(logits.transpose(1, 2), batch.targets, reduction="none")  # (B, T)
        valid = (batch.targets != -100).to(ce.dtype)
        return (ce * valid).sum(1) / valid.sum(1).clamp_min(1.0)  # (B,)

    imp = head_importance(loss_fn, batches, 1, h, per_example=True).normalized  # (1, H)

    def accuracy(mask: torch.Tensor) -> dict[str, float]:
        m = evaluate(model, task, n_batches=8, batch_size=64, seed=stream(seed, "q1.heldout"),
                     forward_kwargs={"head_mask": mask})
        return {"accuracy": m["accuracy"]}

    fractions = [k / h for k in range(h)]
    curve = [p.metrics["accuracy"] for p in pruning_curve(accuracy, importance_order(imp), 1, h, fractions)]
    orders = [random_order(1, h, stream(seed, "q1.prune_order", r)) for r in range(RANDOM_ORDERS)]
    rnd = [[p.metrics["accuracy"] for p in pruning_curve(accuracy, order, 1, h, fractions)] for order in orders]
    with torch.no_grad():
        batch = task.sample(256, generator(seed, "q1.probe_batch"))
        w = model(batch.inputs, need_weights=True).attentions[0]  # (B, H, T, T)
    head_roles = roles(offset_mass(w), w.mean((0, 2))[:, 0])
    drops: dict[str, float | None] = {}  # per relation: accuracy lost when its heads are masked together
    for rel in RELATIONS:
        holders = [i for i, r in enumerate(head_roles) if r == rel]
        if not holders:
            drops[rel] = None
            continue
        mask = torch.ones(1, h)
        mask[0, holders] = 0.0
        drops[rel] = curve[0] - accuracy(mask)["accuracy"]
    out.update(importance=imp[0].tolist(), prune_fractions=fractions, prune_curve=curve, relation_drops=drops,
               prune_random=[sum(c[i] for c in rnd) / len(rnd) for i in range(h)],
               prunable=prunable_fraction(fractions, curve),
               prunable_random=sum(prunable_fraction(fractions, c) for c in rnd) / len(rnd),
               one_head=curve[-1], roles=head_roles)
    return out


def _kept(fractions: list[float], values: list[float]) -> float:
    """The largest share removed before MiniLM first drops below MINILM_KEEP."""
    best = 0.0
    for f, v in zip(fractions, values, strict=True):
        if v < MINILM_KEEP:
            break
        best = f
    return best


def minilm_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Michel et al. importance and pruning curves of all-MiniLM-L6-v2 on held-out corpus sentences."""
    from attnlab.analysis import heads
    from attnlab.analysis.attribution import sentence_attributions
    from attnlab.analysis.corpus import load_corpus
    from attnlab.analysis.head_steps import focus_steps
    from attnlab.pretrained import PretrainedUnavailable, load
    from attnlab.questions.q1_heads.explorer import explorer_focus

    try:
        model = load("all-MiniLM-L6-v2")
    except PretrainedUnavailable as exc:
        return {"unavailable": str(exc)}
    corpus = load_corpus(n=config["n_importance"] + config["n_eval"], seed=config["seed"])
    imp_texts, eval_texts = corpus[:config["n_importance"]], corpus[config["n_importance"]:]
    n_layers, n_heads = model.n_layers, model.n_heads
    imp = heads.encoder_head_importance(model, imp_texts, batch_size=16)
    quality = heads.embedding_quality(model, eval_texts, batch_size=16)
    fractions = list(MINILM_FRACTIONS)
    by_imp = heads.pruning_curve(quality, heads.importance_order(imp.normalized), n_layers, n_heads, fractions)
    rnd = [heads.pruning_curve(quality, heads.random_order(n_layers, n_heads, s), n_layers, n_heads, fractions)
           for s in range(config["n_random"])]
    curve = [p.metrics["retrieval_at_1"] for p in by_imp]
    random_curve = [sum(c[i].metrics["retrieval_at_1"] for c in rnd) / len(rnd) for i in range(len(fractions))]
    tokens, maps = model.attentions(EXAMPLE)
    weights = torch.stack(maps).round(decimals=4).tolist()
    return {"fractions": fractions, "curve": curve, "random_curve": random_curve, "prunable": _kept(fractions, curve),
            "prunable_random": _kept(fractions, random_curve), "importance": imp.normalized.tolist(),
            "n_importance": len(imp_texts), "n_eval": len(eval_texts), "objective": imp.objective,
            "tokens": tokens, "weights": weights,
            "steps": focus_steps(model, EXAMPLE, explorer_focus(tokens, weights)),  # the explorer's step-through
            "attribution": sentence_attributions(model, EXAMPLE)}  # and its attribution view


def conditions(profile: str) -> list[dict[str, Any]]:
    """Every compared condition, complete but for the learning rate and seed: each task, each head count at a fixed
    d_model (width d_model / h) and at a fixed head width d_k (the count whose width is d_k already is the first
    arm's, so it is not trained twice)."""
    s = profile_settings(profile)
    s.pop("minilm")
    steps, d_k = s.pop("steps"), s["d_k"]
    heads = [h for h in HEADS if s["d_model"] % h == 0]
    out = []
    for t in TASKS:
        out += [{"kind": "train", "task": t, "arm": ARMS[0], "heads": h, "head_dim": s["d_model"] // h,
                 "steps": steps[t], **s} for h in heads]
        out += [{"kind": "train", "task": t, "arm": ARMS[1], "heads": h, "head_dim": d_k, "steps": steps[t], **s}
                for h in heads if s["d_model"] // h != d_k]
    return out


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    s = profile_settings(profile)
    grid = [Trial(train_trial, {**c, "lr": TUNED, "seed": seed}) for c in conditions(profile) for seed in seeds]
    return [*grid, Trial(minilm_trial, {"kind": "minilm", "seed": 0, **s["minilm"]})]


TUNING = Tuning(train_trial, conditions, keys=("task", "arm", "heads"), center=LR_CENTER)
