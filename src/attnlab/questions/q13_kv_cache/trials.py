"""q13's models, tasks and trials: causal LMs with MHA, GQA, MQA or MLA at equal parameters, trained on the
character LM and on associative recall, and one timing trial of a decoding step with a filled cache."""

from __future__ import annotations

import functools
from typing import Any

import torch
from torch import nn

from attnlab import seeds
from attnlab.data import make_task
from attnlab.data.tasks import Task
from attnlab.lab.spec import Trial
from attnlab.lab.timings import cacheable
from attnlab.lab.training import fit
from attnlab.lab.tuning import TUNED, Tuning
from attnlab.questions.q13_kv_cache.settings import (
    DTYPE_BYTES,
    FF_REFERENCE,
    KIND_KW,
    KINDS,
    LR_CENTER,
    MATCH,
    N_HEADS,
    N_LAYERS,
    RECALL_QUERIES,
    RECALL_VALUES,
    TASK_NAMES,
    profile_settings,
)

__all__ = ["DECODE_VARIANTS", "TUNING", "build_model", "cache_formula", "conditions", "decode_trial",
           "matched_d_ff", "n_parameters", "recall_task", "train_trial", "trials"]

DECODE_VARIANTS = ("mha", "gqa", "mqa", "mla_naive", "mla_absorbed")  # MLA decoded both ways, same weights
DECODE_THREADS = 1


def recall_task(n_pairs: int) -> Task:
    """Associative recall, one token per key-value pair (:class:`attnlab.data.LookupTask`): ``n_pairs`` pairs over
    ``2 n_pairs`` keys and :data:`RECALL_VALUES` values, then :data:`RECALL_QUERIES` queries, each naming a key of
    the sequence. Exact baselines: chance and "no lookup" (the most frequent value of the context)."""
    return make_task("lookup", n_pairs=n_pairs, n_keys=2 * n_pairs, n_values=RECALL_VALUES,
                     n_queries=RECALL_QUERIES)


def build_model(kind: str, vocab_size: int, max_len: int, d_model: int, d_ff: int, *,
                latent_absorb: bool = False) -> nn.Module:
    """The 2-layer, 4-head causal LM of attention kind ``kind`` (rotary positions, untied output layer)."""
    from attnlab.models import TransformerLM

    if kind not in KIND_KW:
        raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
    extra = {"latent_absorb": True} if latent_absorb else {}
    return TransformerLM(vocab_size=vocab_size, d_model=d_model, n_heads=N_HEADS, n_layers=N_LAYERS, d_ff=d_ff,
                         max_len=max_len, positions="rope", tie_embeddings=False, **KIND_KW[kind], **extra)


def n_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@functools.cache
def matched_d_ff(kind: str, vocab_size: int, max_len: int, d_model: int) -> int:
    """The feed-forward width at which ``kind``'s parameter count is closest to MHA's at ``FF_REFERENCE d_model``.

    Fewer KV heads save parameters in W_K and W_V, MLA adds its down- and up-projections; the feed-forward
    layers absorb the difference, so every kind is compared at (nearly) the same parameter count.

    Raises:
        ValueError: no width brings the count within :data:`MATCH` of MHA's.
    """
    reference = FF_REFERENCE * d_model
    target = n_parameters(build_model("mha", vocab_size, max_len, d_model, reference))
    if kind == "mha":
        return reference
    per_unit = N_LAYERS * (2 * d_model + 1)  # one more hidden unit: a row and a column of the FF layers, a bias
    guess = reference + round((target - n_parameters(build_model(kind, vocab_size, max_len, d_model, reference)))
                              / per_unit)
    best = min(range(max(1, guess - 2), guess + 3),
               key=lambda f: abs(n_parameters(build_model(kind, vocab_size, max_len, d_model, f)) - target))
    got = n_parameters(build_model(kind, vocab_size, max_len, d_model, best))
    if abs(got - target) > MATCH * target:
        raise ValueError(f"kind: no feed-forward width matches MHA's {target} parameters within {MATCH:.0%} for "
                         f"{kind!r} (best {got} at d_ff={best})")
    return best


def cache_formula(kind: str, d_model: int) -> int:
    """Bytes per token per sequence by the formula: ``L 2 H_kv D`` numbers for MHA, GQA and MQA, ``L (d_c + d_R)``
    for MLA (d_c = 4 D, d_R = D / 2 with rotary positions), times :data:`DTYPE_BYTES`."""
    head_dim = d_model // N_HEADS
    if kind == "mla":
        per_layer = 4 * head_dim + head_dim // 2
    else:
        per_layer = 2 * KIND_KW[kind].get("n_kv_heads", N_HEADS) * head_dim
    return N_LAYERS * per_layer * DTYPE_BYTES


def _text_tasks(seq_len: int) -> tuple[Task, Task, Task]:
    from attnlab.questions.q2_qk.trials import text_tasks

    return text_tasks(seq_len)


def _majority(train: Task, held: Task) -> float:
    """Held-out accuracy of always predicting the training text's most frequent character (exact)."""
    top = int(torch.bincount(train.ids).argmax())
    return float((held.ids[1:] == top).float().mean())


def task_for(config: dict[str, Any]) -> tuple[Task, Task | None, Task | None]:
    """(training task, validation task, held-out task) of a condition; recall draws fresh sequences, so its
    held-out set is a seeded sample of the training task itself and the last two are None."""
    if config["task"] == "text":
        return _text_tasks(config["seq_len"])
    if config["task"] == "recall":
        return recall_task(config["n_pairs"]), None, None
    raise ValueError(f"task: expected one of {TASK_NAMES}, got {config['task']!r}")


def train_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train one (task, kind) for one seed for the whole budget; held-out loss and accuracy, parameters, cache bytes.

    Text: ``accuracy`` and ``loss`` are on the validation sentences (what the learning-rate sweep reads),
    ``heldout_loss`` and ``heldout_accuracy`` on the held-out sentences (what the verdict reads). Recall: both on
    sequences drawn from a seed no training batch uses.
    """
    from attnlab.models import kv_cache_bytes
    from attnlab.train.loop import evaluate

    train, valid, held = task_for(config)
    d = config["d_model"]
    d_ff = matched_d_ff(config["kind"], train.vocab_size, train.seq_len, d)
    model = build_model(config["kind"], train.vocab_size, train.seq_len, d, d_ff)
    out = fit(model, train, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"], threshold=1.0,
              seed=config["seed"], eval_every=config["eval_every"], early_stop=False, heldout_batches=2)
    score = dict(n_batches=config["eval_batches"], batch_size=config["batch_size"],
                 seed=seeds.stream(config["seed"], "q13.heldout"))
    model.eval()
    result = {"steps": out["steps"], "curve": out["curve"], "n_parameters": n_parameters(model), "d_ff": d_ff,
              "cache_bytes": kv_cache_bytes(model, torch.float32), "train_loss": out["loss"]}
    if valid is not None and held is not None:
        final, val = evaluate(model, held, **score), evaluate(model, valid, **score)
        from attnlab.data import unigram_cross_entropy

        result.update(heldout_loss=final["loss"], heldout_accuracy=final["accuracy"], accuracy=val["accuracy"],
                      loss=val["loss"], unigram_loss=unigram_cross_entropy(train, held),
                      majority_accuracy=_majority(train, held))
    else:
        final = evaluate(model, train, **score)
        result.update(heldout_loss=final["loss"], heldout_accuracy=final["accuracy"], accuracy=final["accuracy"],
                      loss=final["loss"])
    return result


# ---- decoding time ----
def _decoders(config: dict[str, Any]) -> dict[str, nn.Module]:
    """The five decoders of :data:`DECODE_VARIANTS`, random weights (time does not depend on them), the text
    task's vocabulary and widths; the absorbed MLA has the naive one's weights."""
    vocab, d, max_len = config["vocab_size"], config["d_model"], config["context"] + config["tokens"] + 1
    torch.manual_seed(config["seed"])
    models = {}
    for v in DECODE_VARIANTS:
        kind = "mla" if v.startswith("mla") else v
        d_ff = matched_d_ff(kind, vocab, config["seq_len"], d)
        models[v] = build_model(kind, vocab, max_len, d, d_ff, latent_absorb=v == "mla_absorbed").eval()
    models["mla_absorbed"].load_state_dict(models["mla_naive"].state_dict())
    return models


@torch.no_grad()
def _absorbed_check(naive: nn.Module, absorbed: nn.Module, prompt: torch.Tensor, tokens: int) -> tuple[float, bool]:
    """Largest |logit difference| between MLA decoded naively and absorbed, over ``tokens`` greedy steps after
    ``prompt``, and whether both chose the same greedy tokens."""
    out = []
    for m in (naive, absorbed):
        caches = m.make_caches(prompt.shape[0], prompt.shape[1] + tokens + 1)
        logits = m(prompt, caches=caches).logits[:, -1]  # (B, V)
        steps, chosen = [logits], []
        for _ in range(tokens):
            nxt = logits.argmax(-1, keepdim=True)  # (B, 1)
            chosen.append(nxt)
            logits = m(nxt, caches=caches).logits[:, -1]
            steps.append(logits)
        out.append((torch.stack(steps), torch.cat(chosen, 1)))
    return float((out[0][0] - out[1][0]).abs().max()), bool(torch.equal(out[0][1], out[1][1]))


def decode_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Seconds per decoded token of each of :data:`DECODE_VARIANTS` with a cache already holding ``context``
    positions (batch ``batch``, ``DECODE_THREADS`` CPU thread, float32), the cache rewound after each step so
    every measured step reads the same length; MLA's absorbed path checked against its naive one."""
    from attnlab.timing import others_load, thread_timings

    models = _decoders(config)
    g = torch.Generator().manual_seed(config["seed"])
    b, ctx = config["batch"], config["context"]
    prompt = torch.randint(1, config["vocab_size"], (b, ctx), generator=g)  # (B, T)
    token = torch.randint(1, config["vocab_size"], (b, 1), generator=g)  # (B, 1)
    fns = {}
    for v, m in models.items():
        caches = m.make_caches(b, ctx + 2)
        with torch.no_grad():
            m(prompt, caches=caches)

        @torch.no_grad()
        def step(m: nn.Module = m, caches: list = caches) -> None:
            m(token, caches=caches)
            for c in caches:  # rewind: the next step reads the same ``ctx`` positions again
                c.length = ctx

        fns[v] = step
    with others_load() as load:
        times = thread_timings(fns, threads=(DECODE_THREADS,), repeats=config["repeats"], warmup=2,
                               min_seconds=0.05, max_seconds=config["max_seconds"])
    diff, same = _absorbed_check(models["mla_naive"], models["mla_absorbed"], prompt[:, : min(ctx, 32)],
                                 config["tokens"])
    from attnlab.models import kv_cache_bytes

    return {"times": {v: times[v][DECODE_THREADS] for v in DECODE_VARIANTS}, "absorb_max_diff": diff,
            "absorb_same_tokens": same, "cache_bytes": {v: kv_cache_bytes(m, torch.float32) for v, m in models.items()},
            **load, "cache": cacheable(load)}


_TRAIN_KEYS = ("d_model", "steps", "batch_size", "eval_every", "eval_batches")


def conditions(profile: str) -> list[dict[str, Any]]:
    """Every compared condition (task x kind), complete but for the learning rate and seed."""
    s = profile_settings(profile)
    train = {k: s[k] for k in _TRAIN_KEYS}
    size = {"text": {"seq_len": s["seq_len"]}, "recall": {"n_pairs": s["n_pairs"]}}
    return [{"task": t, "kind": k, **size[t], **train} for t in TASK_NAMES for k in KINDS]


def decode_config(profile: str, seed: int) -> dict[str, Any]:
    s = profile_settings(profile)
    train, _, _ = _text_tasks(s["seq_len"])
    return {"task": "decode", "d_model": s["d_model"], "seq_len": s["seq_len"], "vocab_size": train.vocab_size,
            "tokens": 8, "seed": seed, "max_seconds": 60.0, **s["decode"]}


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    out = [Trial(train_trial, {**c, "lr": TUNED, "seed": seed}) for c in conditions(profile) for seed in seeds]
    out.append(Trial(decode_trial, decode_config(profile, seeds[0]), exclusive=True, threads=DECODE_THREADS))
    return out


TUNING = Tuning(train_trial, conditions, keys=("task", "kind"), center=LR_CENTER)
