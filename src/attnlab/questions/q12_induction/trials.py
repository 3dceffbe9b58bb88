"""q12's trials: attention-only LMs (2 layers, and the 1-layer control) trained on repeated random tokens, with
their learning curves, head detectors, and patching and ablation of the heads the detectors find."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from attnlab import seeds
from attnlab.data import RepeatedTokensTask, make_task
from attnlab.lab.spec import Trial
from attnlab.lab.training import fit
from attnlab.lab.tuning import TUNED, Tuning
from attnlab.questions.q12_induction.settings import (
    DETECT,
    INDUCTION_MARK,
    LOSS_MARK,
    LR_CENTER,
    N_LAYERS,
    profile_settings,
)

__all__ = ["TUNING", "ablated_loss", "conditions", "corrupt", "lm_task", "lm_trial", "patched_share", "repeat_loss",
           "trials"]


def lm_task(config: dict[str, Any]) -> RepeatedTokensTask:
    """The repeated-random-tokens task the LMs learn (targets: the repeat's next tokens)."""
    return make_task("repeated_tokens", length=config["length"], min_repeat=config["min_repeat"],
                     max_repeat=config["max_repeat"], n_symbols=config["n_symbols"])


def _nll(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Per-example mean negative log-likelihood over the set targets: logits (B, T, V), targets (B, T) -> (B,)."""
    lp = -F.cross_entropy(logits.transpose(1, 2), targets, reduction="none", ignore_index=-100)  # (B, T)
    mask = targets != -100
    return -(lp * mask).sum(1) / mask.sum(1).clamp(min=1)


@torch.no_grad()
def repeat_loss(model: torch.nn.Module, batch: Any, **kw: Any) -> tuple[float, float, list[torch.Tensor]]:
    """(loss in nats, accuracy) on the repeat's targets, and the attention patterns per layer (B, H, T, T)."""
    model.eval()
    out = model(batch.inputs, need_weights=True, **kw)
    mask = batch.targets != -100
    acc = float((out.logits.argmax(-1) == batch.targets)[mask].float().mean())
    return float(_nll(out.logits, batch.targets).mean()), acc, out.attentions


def corrupt(batch: Any, generator: torch.Generator) -> torch.Tensor:
    """The inputs with the segment's first copy replaced by other random symbols: the same tokens and targets at
    the repeat, but nothing earlier to copy them from (B, T)."""
    x = batch.inputs.clone()
    start, reps = batch.extra["repeat_start"], batch.extra["repeat_len"]
    pos = torch.arange(x.shape[1])[None, :]
    first = batch.inputs.new_zeros(x.shape, dtype=torch.bool)
    for b in range(x.shape[0]):  # the first copy is where the repeat's tokens occurred before it
        s2, length = int(start[b]), int(reps[b])
        seg = x[b, s2:s2 + length]
        first[b] = (pos[0] < s2) & torch.isin(x[b], seg)
    n_sym = int(batch.inputs.max())
    fresh = 1 + torch.randint(0, n_sym, x.shape, generator=generator)
    return torch.where(first, fresh, x)


def _heads_hook(heads: Sequence[tuple[int, int]], source: dict[str, torch.Tensor], *, mean: bool = False):
    """Hooks on ``blocks.{l}.attn.z`` (B, H, T, D) that set ``heads`` to their ``source`` activation (patching),
    or with ``mean`` to its mean over the batch at each position (mean-ablation: the head's typical output stays,
    what it says about this sequence goes)."""
    by_layer: dict[int, list[int]] = {}
    for l, h in heads:
        by_layer.setdefault(l, []).append(h)

    def make(layer: int, hs: list[int]):
        name = f"blocks.{layer}.attn.z"
        src = source[name][:, hs]  # (B, h, T, D)
        if mean:
            src = src.mean(0, keepdim=True)  # (1, h, T, D): broadcast over the batch

        def fn(z: torch.Tensor, _name: str) -> torch.Tensor:
            z = z.clone()
            z[:, hs] = src
            return z

        return name, fn

    return dict(make(l, hs) for l, hs in by_layer.items())


@torch.no_grad()
def patched_share(model: Any, batch: Any, bad: torch.Tensor, heads: Sequence[tuple[int, int]]) -> float:
    """The share of the repeat's loss gap recovered when ``heads`` take their clean output in the corrupted run:
    ``(loss(corrupt) - loss(patched)) / (loss(corrupt) - loss(clean))``, the activation patching of Vig et al. 2020
    and Meng et al. 2022 on the loss of the repeat's targets."""
    names = sorted({f"blocks.{l}.attn.z" for l, _ in heads})
    out, cache = model.run_with_cache(batch.inputs, names=names)
    clean = float(_nll(out.logits, batch.targets).mean())
    bad_loss = float(_nll(model(bad).logits, batch.targets).mean())
    with model.hooks(_heads_hook(heads, cache)):
        patched = float(_nll(model(bad).logits, batch.targets).mean())
    return (bad_loss - patched) / (bad_loss - clean)


@torch.no_grad()
def ablated_loss(model: Any, batch: Any, heads: Sequence[tuple[int, int]]) -> float:
    """The repeat's loss with ``heads`` mean-ablated: each one's output replaced by its mean over the batch."""
    if not heads:
        return float(_nll(model(batch.inputs).logits, batch.targets).mean())
    _, cache = model.run_with_cache(batch.inputs, names=sorted({f"blocks.{l}.attn.z" for l, _ in heads}))
    with model.hooks(_heads_hook(heads, cache, mean=True)):
        return float(_nll(model(batch.inputs).logits, batch.targets).mean())


def _first(curve: list[list[float]], column: int, test) -> int | None:
    return next((int(row[0]) for row in curve if test(row[column])), None)


def lm_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train one attention-only LM for one seed for a fixed budget. Its learning curve (repeat loss, accuracy, the
    largest induction score of the last layer, the largest previous-token score of the first); the steps at which
    the loss and the induction score cross their marks; and, after training, the detectors' scores per head and
    the share of the repeat's loss carried by the detected heads (patching and ablation)."""
    from attnlab.analysis.circuits import induction_scores, previous_token_scores
    from attnlab.models import TransformerLM

    task = lm_task(config)
    layers = N_LAYERS[config["condition"]]
    model = TransformerLM(vocab_size=task.vocab_size, d_model=config["d_model"], n_heads=config["n_heads"],
                          n_layers=layers, max_len=task.seq_len, positions="rope", tie_embeddings=False, mlp=False)
    base = task.loss_baselines()["order_free"]
    probe = task.sample(128, seeds.generator(config["seed"], "q12.probe_batch"))  # the learning curve's batch
    curve: list[list[float]] = []

    def track(step: int, m: torch.nn.Module) -> None:
        if step % config["eval_every"] == 0 or step == config["steps"]:
            loss, acc, pats = repeat_loss(m, probe)
            ind = induction_scores(pats, probe.inputs)  # (L, H)
            prev = previous_token_scores(pats)
            curve.append([step, round(loss, 4), round(acc, 4), round(float(ind[-1].max()), 4),
                          round(float(prev[0].max()), 4)])
            m.train()

    track(0, model)
    out = fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"], threshold=None,
              seed=config["seed"], eval_every=config["steps"], early_stop=False, callback=track)
    test = task.sample(config["n_eval"], seeds.generator(config["seed"], "q12.heldout"))
    loss, acc, pats = repeat_loss(model, test)
    ind, prev = induction_scores(pats, test.inputs), previous_token_scores(pats)  # (L, H)
    result = {"accuracy": acc, "loss": loss, "lm_loss": out["loss"], "steps": out["steps"], "curve": curve,
              "steps_loss": _first(curve, 1, lambda v: v <= LOSS_MARK * base),
              "steps_induction": _first(curve, 3, lambda v: v >= INDUCTION_MARK),
              "induction": ind.tolist(), "previous": prev.tolist()}
    if layers > 1:
        result.update(_circuit(model, test, ind, prev, config["seed"], base))
    return result


@torch.no_grad()
def _circuit(model: Any, test: Any, ind: torch.Tensor, prev: torch.Tensor, seed: int,
             base: float) -> dict[str, Any]:
    """Which heads the detectors find, and what they carry: the share of the repeat's loss gap recovered when their
    clean output is patched into the corrupted run; and, mean-ablated, the share of the model's gain over the
    order-free baseline's loss ``base`` that goes, beside the previous-token heads of the earlier layers (the
    circuit's other half) and every other head."""
    n_layers, n_heads = ind.shape
    last = n_layers - 1
    found = [(last, h) for h in range(n_heads) if ind[last, h] >= DETECT] or [(last, int(ind[last].argmax()))]
    previous = [(l, h) for l in range(last) for h in range(n_heads) if prev[l, h] >= DETECT]
    others = [(l, h) for l in range(n_layers) for h in range(n_heads) if (l, h) not in found + previous]
    bad = corrupt(test, seeds.generator(seed, "q12.corrupt"))
    clean = ablated_loss(model, test, [])
    bad_loss = float(_nll(model(bad).logits, test.targets).mean())

    def removed(heads: list[tuple[int, int]]) -> float | None:
        return (ablated_loss(model, test, heads) - clean) / (base - clean) if heads else None

    return {"found": found, "others": others, "previous_heads": previous, "clean_loss": clean,
            "corrupt_loss": bad_loss, "recovered": patched_share(model, test, bad, found),
            "recovered_others": patched_share(model, test, bad, others) if others else None,
            "recovered_previous": patched_share(model, test, bad, previous) if previous else None,
            "removed_found": removed(found), "removed_others": removed(others),
            "removed_previous": removed(previous)}


_TRAIN_KEYS = ("length", "min_repeat", "max_repeat", "n_symbols", "d_model", "n_heads", "steps", "batch_size",
               "eval_every", "n_eval")


def conditions(profile: str) -> list[dict[str, Any]]:
    """Every compared LM (2 layers, 1 layer), complete but for the learning rate and seed."""
    s = profile_settings(profile)
    train = {k: s[k] for k in _TRAIN_KEYS}
    return [{"kind": "lm", "condition": c, **train} for c in N_LAYERS]


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    return [Trial(lm_trial, {**c, "lr": TUNED, "seed": seed}) for c in conditions(profile) for seed in seeds]


TUNING = Tuning(lm_trial, conditions, keys=("condition",), center=LR_CENTER)
