"""q7's trials: one LSTM read out four ways per task and length, and a pretrained Transformer's attention."""

from __future__ import annotations

from typing import Any

import torch

from attnlab.analysis.permutation import permutation_test
from attnlab.data import make_task
from attnlab.lab.spec import Trial
from attnlab.lab.training import fit
from attnlab.lab.tuning import TUNED, Tuning
from attnlab.questions.q7_why.settings import (
    CELLS,
    EXAMPLES,
    LR_CENTER,
    MINILM,
    N_PERM,
    POOLINGS,
    SENTENCES,
    THRESHOLD,
    profile_settings,
)
from attnlab.seeds import generator

__all__ = ["TUNING", "conditions", "make_cell_task", "minilm_trial", "train_trial", "trials"]


def make_cell_task(name: str, length: int) -> Any:
    """The task ``name`` ("needle" or "contrast") with texts of ``length`` words."""
    return make_task(name, length=length)


def _encode(task: Any, text: str) -> torch.Tensor:
    vocab = {w: i for i, w in enumerate(task.words)}
    return torch.tensor([[vocab[w] for w in text.split()]])


@torch.no_grad()
def _attention_analysis(model: Any, task: Any, batch: Any, seed: int) -> dict[str, Any]:
    """Where the attention pooling puts its weight, and whether moving it changes the decision."""
    w = model(batch.inputs).pool_weights  # (B, T)
    rows = torch.arange(len(batch))
    if task.name == "needle":
        keep = torch.ones(len(batch), dtype=torch.bool)
        deciding = batch.extra["needle_pos"]
    else:  # where the polar words agree either decides: look where they disagree
        keep = batch.extra["conflict"]
        deciding = batch.extra["deciding_pos"]
    out: dict[str, Any] = {"uniform": 1.0 / task.seq_len,
                           "weight_deciding": float(w[rows, deciding][keep].mean())}
    if task.name == "contrast":
        out["weight_other"] = float(w[rows, batch.extra["other_pos"]][keep].mean())
        out["weight_connective"] = float(w[rows, batch.extra["connective_pos"]][keep].mean())
    perm = permutation_test(model, batch.inputs, targets=batch.targets, n_perm=N_PERM,
                            generator=generator(seed, "q7.permutation"))
    out.update({f"perm_{k}": v for k, v in perm.to_dict().items()})
    if task.name == "needle":
        examples = {}
        for text in EXAMPLES:
            res = model(_encode(task, text))
            examples[text] = {"weights": res.pool_weights[0].tolist(),
                              "p_positive": float(res.logits.softmax(-1)[0, 1])}
        out["examples"] = examples
    return out


def train_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train one (task, length, encoder, pooling) for one seed; accuracy, steps, and for attention where it looks."""
    from attnlab.models import RNNClassifier

    task = make_cell_task(config["task"], config["length"])
    model = RNNClassifier(vocab_size=task.vocab_size, n_classes=task.n_classes, d_model=config["d_model"],
                          cell="lstm", bidirectional=config["encoder"] == "bilstm", pooling=config["pooling"])
    out = fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
              threshold=THRESHOLD, seed=config["seed"], eval_every=config["eval_every"],
              eval_batches=config["eval_batches"], early_stop=False)
    model.eval()
    batch = task.sample(config["n_analysis"], generator(config["seed"], "q7.analysis_batch"))
    with torch.no_grad():
        pred = model(batch.inputs).logits.argmax(-1)
    out["heldout_accuracy"] = float((pred == batch.targets).float().mean())
    if config["pooling"] == "attention":
        out.update(_attention_analysis(model, task, batch, config["seed"]))
    return out


def minilm_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Attention share of the polar word per layer of all-MiniLM-L6-v2, for each sentence in ``config``, and the
    attention maps (L, H, T, T) of "I hate this movie."."""
    from attnlab.analysis.attribution import sentence_attributions
    from attnlab.analysis.head_steps import focus_steps
    from attnlab.analysis.token_attention import attention_received
    from attnlab.pretrained import PretrainedUnavailable, load
    from attnlab.questions.q7_why.explorer import explorer_focus
    from attnlab.questions.q7_why.lexicon import LEXICON, LexiconUnavailable, sentences

    try:
        version, pairs = sentences(config["max_sentences"])
        model = load(MINILM)
    except (PretrainedUnavailable, LexiconUnavailable) as exc:
        return {"unavailable": str(exc)}
    model.eval()
    text, word = SENTENCES[0]  # the seed's sentence, for the report's explorer and its step-through
    tokens, maps = model.attentions(text)
    weights = torch.stack(maps).round(decimals=4).tolist()
    single = [(t, w) for t, w in pairs if w in list(model.encode(t).tokens[0])]  # one WordPiece each
    return {"sentences": [attention_received(model, t, w).to_dict() for t, w in single],
            "source": f"{LEXICON} {version}", "candidates": len(pairs), "tokens": tokens, "weights": weights,
            "steps": focus_steps(model, text, explorer_focus(tokens, weights, word)),
            "attribution": sentence_attributions(model, text)}  # the explorer's attribution view


def conditions(profile: str) -> list[dict[str, Any]]:
    """Every compared condition (cell x pooling), complete but for the learning rate and seed."""
    s = profile_settings(profile)
    return [{"kind": "train", "task": task, "role": role, "length": s["lengths"][role], "encoder": encoder,
             "pooling": pooling, "steps": s["steps"][role], "eval_every": s["eval_every"][role],
             **{k: s[k] for k in ("d_model", "batch_size", "eval_batches", "n_analysis")}}
            for task, role, encoder in CELLS for pooling in POOLINGS]


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    grid = [Trial(train_trial, {**c, "lr": TUNED, "seed": seed}) for c in conditions(profile) for seed in seeds]
    return [*grid, Trial(minilm_trial, {"kind": "minilm", "max_sentences": 3 if profile == "tiny" else None})]


# a pooling at the accuracy ceiling keeps lowering its loss as the rate grows: let its grid grow until it diverges
TUNING = Tuning(train_trial, conditions, keys=("task", "role", "encoder", "pooling"), center=LR_CENTER, max_extend=3)
