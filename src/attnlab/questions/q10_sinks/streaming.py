"""q10's streaming arm (Xiao et al. 2023, StreamingLLM): the trained LMs evaluated with only some keys visible.

Each query sees (a) the recent window of W keys (itself included) and nothing older: the first tokens are
evicted; (b) the first k tokens and the same window (k in :data:`~.settings.KEPT_TOKENS`); (c) every earlier key
(full causal attention). The visibility is :func:`attnlab.attention.streaming_visibility`, applied as the
attention mask of the full computation (decoding with :class:`attnlab.attention.StreamingKVCache` gives the same
logits; tested in ``tests/questions/test_q10_streaming.py``, not in the trial). The LMs use learned absolute
positions and keys keep their positions, so only the visibility changes between arms: same weights, same
inputs, same positions.

The trial trains the LM exactly as :func:`~.trials.lm_trial` does (same config, seed and call sequence, so the
same weights; that function is left as it is so its cached outcomes stay valid) and records the full-attention
accuracy, which the aggregate checks against the LM trial's (``same_weights``).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from attnlab import seeds
from attnlab.attention.streaming import streaming_visibility
from attnlab.data.tasks import IGNORE_INDEX
from attnlab.lab.training import fit
from attnlab.questions.q10_sinks.settings import (
    KEPT_TOKENS,
    N_HEADS,
    N_LAYERS,
    START,
    THRESHOLD,
    VARIANT_KW,
    WINDOW_FRACTION,
)

__all__ = ["arm_names", "stream_scores", "stream_trial", "train_lm", "window_of"]


def window_of(seq_len: int) -> int:
    """The recent window W: :data:`~.settings.WINDOW_FRACTION` of the training length (16 of 33 tokens)."""
    return max(1, int(seq_len * WINDOW_FRACTION))


def arm_names(kept: tuple[int, ...] = KEPT_TOKENS) -> list[str]:
    """The arms' names: ``"window"`` (first tokens evicted), ``"keep{k}"`` per k, ``"full"``."""
    return ["window", *(f"keep{k}" for k in kept), "full"]


def train_lm(config: dict[str, Any]):
    """The LM of :func:`~.trials.lm_trial` for ``config``, trained by the same calls in the same order (the runner
    seeds torch with ``config["seed"]`` before each trial, so the initial weights match too).

    Returns:
        (model in eval mode, task, held-out test batch of ``n_eval`` sequences)
    """
    from attnlab.models import TransformerLM
    from attnlab.questions.q10_sinks.trials import lm_task, predictable_accuracy

    task = lm_task(config)
    d = config["d_model"]
    model = TransformerLM(vocab_size=task.vocab_size, d_model=d, n_heads=N_HEADS, n_layers=N_LAYERS, d_ff=2 * d,
                          max_len=task.seq_len, positions="learned", tie_embeddings=False,
                          **VARIANT_KW[config["condition"]])
    test = task.sample(config["n_eval"], seeds.generator(config["seed"], "q10.heldout"))
    model.eval()
    with torch.no_grad():  # lm_trial reads the untrained maps here; kept so both runs make the same calls
        model(test.inputs, need_weights=True)
    probe = task.sample(128, seeds.generator(config["seed"], "q10.probe_batch"))

    def track(step: int, m: torch.nn.Module) -> None:  # lm_trial's learning curve, read the same way
        if step % config["eval_every"] == 0 or step == config["steps"]:
            predictable_accuracy(m, probe)

    fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"], threshold=THRESHOLD,
        seed=config["seed"], eval_every=config["steps"], early_stop=False, callback=track)
    model.eval()
    return model, task, test


@torch.no_grad()
def stream_scores(model: torch.nn.Module, batch: Any, visible: torch.Tensor | None, first_query: int
                  ) -> dict[str, float]:
    """Held-out loss (nats, every target) and accuracy and loss on the predictable targets, over the queries
    ``i >= first_query``, with the (T, T) boolean ``visible`` as the attention mask (None: causal, all keys)."""
    logits = model(batch.inputs, attn_mask=visible).logits  # (B, T, V)
    targets = batch.targets.clone()
    targets[:, :first_query] = IGNORE_INDEX  # only the queries beyond the window differ between the arms
    pred_mask = batch.extra["predictable"].clone()
    pred_mask[:, :first_query] = False
    nll = F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=IGNORE_INDEX, reduction="none")  # (B, T)
    real = targets != IGNORE_INDEX
    return {"loss": float(nll[real].mean()), "pred_loss": float(nll[pred_mask].mean()),
            "pred_accuracy": float((logits.argmax(-1) == batch.targets)[pred_mask].float().mean())}


def stream_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train the LM of ``config`` as :func:`~.trials.lm_trial` does, then score a held-out stream with the first
    tokens evicted, kept (k of :data:`~.settings.KEPT_TOKENS`) or all keys visible (module docstring)."""
    from attnlab.analysis.sinks import first_token_share
    from attnlab.questions.q10_sinks.trials import predictable_accuracy

    model, task, test = train_lm(config)
    t = task.seq_len
    w = window_of(t)
    stream = task.sample(config["n_eval"], seeds.generator(config["seed"], "q10.stream"))
    arms: dict[str, Any] = {}
    for name, kept in zip(arm_names(), [0, *KEPT_TOKENS, None], strict=True):
        visible = None if kept is None else streaming_visibility(t, t, kept, w)
        arms[name] = stream_scores(model, stream, visible, w)
    with torch.no_grad():  # the same-weights check: what lm_trial reports for the same model
        first = first_token_share(model(test.inputs, need_weights=True).attentions, START)
    return {"arms": arms, "window": w, "seq_len": t, "first_query": w, "kept": list(KEPT_TOKENS),
            "accuracy_full": predictable_accuracy(model, test), "first_share": first.tolist()}
