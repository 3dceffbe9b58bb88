"""q10's trials: all-MiniLM-L6-v2's attention on [CLS]/[SEP], and small causal LMs trained with and without a sink."""

from __future__ import annotations

from typing import Any

import torch

from attnlab import seeds
from attnlab.data import make_task
from attnlab.lab.spec import Trial
from attnlab.lab.training import fit
from attnlab.lab.tuning import TUNED, Tuning
from attnlab.questions.q10_sinks.settings import (
    DIFFERENTIAL,
    LR_CENTER,
    MINILM,
    N_HEADS,
    N_LAYERS,
    SENTENCE,
    START,
    THRESHOLD,
    VARIANT_KW,
    profile_settings,
    runs_arms,
)

__all__ = ["TUNING", "conditions", "lm_task", "lm_trial", "minilm_trial", "predictable_accuracy", "trials"]


def minilm_trial(config: dict[str, Any]) -> dict[str, Any]:
    """[CLS]/[SEP] weight and norm-based shares per sentence, layer and head of all-MiniLM-L6-v2, and the
    attention maps (L, H, T, T) of :data:`~attnlab.questions.q10_sinks.settings.SENTENCE`."""
    from attnlab.analysis.attribution import sentence_attributions
    from attnlab.analysis.corpus import load_corpus
    from attnlab.analysis.head_steps import focus_steps
    from attnlab.analysis.sinks import special_token_shares
    from attnlab.pretrained import PretrainedUnavailable, load
    from attnlab.questions.q10_sinks.explorer import explorer_focus

    try:
        model = load(MINILM)
    except PretrainedUnavailable as exc:
        return {"unavailable": str(exc)}
    texts = load_corpus(n=config["n_texts"], seed=config["seed"])
    s = special_token_shares(model, texts)
    tokens, maps = model.attentions(SENTENCE)  # for the report's explorer and its step-through
    weights = torch.stack(maps).round(decimals=4).tolist()
    return {"tokens": tokens, "weights": weights,
            "steps": focus_steps(model, SENTENCE, explorer_focus(tokens, weights)),
            "attribution": sentence_attributions(model, SENTENCE),  # the explorer's attribution view
            "weight": s.weight.mean(2).tolist(), "norm": s.norm.mean(2).tolist(),  # (N, L): mean over heads
            "weight_heads": s.weight.mean(0).tolist(), "norm_heads": s.norm.mean(0).tolist(),  # (L, H)
            "uniform": s.uniform.tolist(), "mean_tokens": float(s.n_tokens.float().mean())}


@torch.no_grad()
def predictable_accuracy(model: torch.nn.Module, batch: Any) -> float:
    """Accuracy of a causal LM on the targets marked ``batch.extra["predictable"]``."""
    was = model.training
    model.eval()
    pred = model(batch.inputs).logits.argmax(-1)  # (B, T)
    mask = batch.extra["predictable"]
    model.train(was)
    return float((pred == batch.targets)[mask].float().mean())


def lm_task(config: dict[str, Any]):
    """The dense block-copy stream with a BOS token first that the LMs learn."""
    return make_task("block_copy", n_blocks=config["n_blocks"], block_len=config["block_len"],
                     n_symbols=2 * config["block_len"], bos=True, dense=True)


def lm_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train one sink condition for one seed for a fixed budget; accuracy, steps and attention on the first token
    (after training and, as the statistic's null, at initialisation), and the learned sink logits (L, H)."""
    from attnlab.analysis.sinks import first_token_share, sink_mass
    from attnlab.attention.multihead import MultiHeadAttention
    from attnlab.models import TransformerLM

    task = lm_task(config)
    d = config["d_model"]
    model = TransformerLM(vocab_size=task.vocab_size, d_model=d, n_heads=N_HEADS, n_layers=N_LAYERS, d_ff=2 * d,
                          max_len=task.seq_len, positions="learned", tie_embeddings=False,
                          **VARIANT_KW[config["condition"]])
    test = task.sample(config["n_eval"], seeds.generator(config["seed"], "q10.heldout"))
    model.eval()
    with torch.no_grad():  # the same statistic before any training: what a max over heads gives by itself
        first_init = first_token_share(model(test.inputs, need_weights=True).attentions, START)  # (L, H)
    probe = task.sample(128, seeds.generator(config["seed"], "q10.probe_batch"))  # the learning curve's batch
    curve: list[list[float]] = []

    def track(step: int, m: torch.nn.Module) -> None:
        if step % config["eval_every"] == 0 or step == config["steps"]:
            curve.append([step, round(predictable_accuracy(m, probe), 4)])

    out = fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
              threshold=THRESHOLD, seed=config["seed"], eval_every=config["steps"], early_stop=False, callback=track)
    model.eval()
    with torch.no_grad():
        weights = model(test.inputs, need_weights=True).attentions  # per layer (B, H, T, T)
    first = first_token_share(weights, START)  # (L, H)
    sink_logits = [m.sink_logits.detach().tolist() for m in model.modules()
                   if isinstance(m, MultiHeadAttention) and m.sink_logits is not None]  # (L, H), trained from 0
    return {"accuracy": predictable_accuracy(model, test), "lm_accuracy": out["accuracy"], "loss": out["loss"],
            "steps": out["steps"],
            "steps_to_threshold": next((int(s) for s, a in curve if a >= THRESHOLD), None), "curve": curve,
            "first_share": first.tolist(), "first_share_init": first_init.tolist(),
            "sink_mass": sink_mass(weights, START).tolist(), "sink_logits": sink_logits, "seq_len": task.seq_len}


_TRAIN_KEYS = ("n_blocks", "block_len", "d_model", "steps", "batch_size", "eval_every", "n_eval")


def conditions(profile: str) -> list[dict[str, Any]]:
    """Every compared LM (one per attention variant), complete but for the learning rate and seed."""
    s = profile_settings(profile)
    train = {k: s[k] for k in _TRAIN_KEYS}
    return [{"kind": "lm", "condition": c, **train} for c in s["conditions"]]


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    """The LM trials (every condition but differential attention in the quick profile), the streaming arm (the
    same LMs retrained and evaluated with the first tokens evicted or kept; not in quick) and the encoder."""
    from attnlab.questions.q10_sinks.streaming import stream_trial

    s = profile_settings(profile)
    arms = runs_arms(profile)
    lms = [c for c in conditions(profile) if arms or c["condition"] != DIFFERENTIAL]
    streams = [Trial(stream_trial, {**c, "kind": "stream", "lr": TUNED, "seed": seed}) for c in lms
               for seed in seeds] if arms else []
    return [*[Trial(lm_trial, {**c, "lr": TUNED, "seed": seed}) for c in lms for seed in seeds], *streams,
            Trial(minilm_trial, {"kind": "minilm", "seed": 0, "n_texts": s["n_texts"]})]


TUNING = Tuning(lm_trial, conditions, keys=("condition",), center=LR_CENTER)
