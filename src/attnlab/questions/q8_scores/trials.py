"""q8's trials: every score in the same lookup Transformer and LSTM encoder-decoder, trained to the threshold
for a fixed budget at rates from a sweep; the bytes an attention layer keeps for backward; and timings (run alone)."""

from __future__ import annotations

from typing import Any

import torch

from attnlab.data import make_task
from attnlab.lab.spec import Trial
from attnlab.lab.training import fit
from attnlab.lab.tuning import TUNED, Tuning
from attnlab.questions.q8_scores.settings import (
    D_MODEL,
    HEAD_DIMS,
    KERNELS,
    LAYER_BATCH,
    LOOKUP,
    LR_CENTER,
    MEM_BATCH,
    MEM_LENGTHS,
    N_HEADS,
    REVERSE,
    RNN,
    RNN_D,
    RNN_STYLE,
    SCORES,
    THRESHOLD,
    TIMING_THREADS,
    TINY_MEM_LENGTHS,
    model_name,
    profile_settings,
)

__all__ = ["TUNING", "conditions", "memory_trial", "reverse_forward",
           "rnn_trial", "saved_bytes", "timing_trial", "transformer",
           "transformer_trial", "trials"]


def transformer(score: str, head_dim: int, task: Any) -> torch.nn.Module:
    """One encoder layer, no positions, ``N_HEADS`` head(s) of width ``head_dim``, attention weights from ``score``."""
    from attnlab.models import TransformerEncoder

    return TransformerEncoder(vocab_size=task.vocab_size, d_model=D_MODEL, n_heads=N_HEADS,
                              head_dim=head_dim, n_layers=1,
                              max_len=task.seq_len, n_outputs=task.n_classes, positions="none", score=score)


def transformer_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train the lookup Transformer with one score and d_k for one seed."""
    task = make_task("lookup", **LOOKUP)
    model = transformer(config["score"], config["head_dim"], task)
    return fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
               threshold=THRESHOLD, seed=config["seed"], eval_every=config["eval_every"],
               eval_batches=config["eval_batches"], early_stop=False)


def reverse_forward(length: int, bos: int):
    """Teacher-forced forward of an :class:`RNNSeq2Seq` on :class:`ReverseTask` batches.

    The task lays a batch out as ``x_1 .. x_L SEP BLANK^L`` with the reversed symbols as targets on the
    blanks; the encoder reads ``x``, the decoder reads ``BOS y_1 .. y_{L-1}`` and predicts ``y``. The
    logits (B, L, V) are padded in front to the targets' (B, 2L + 1) layout (those targets are ignored).
    """
    def forward(model: torch.nn.Module, batch: Any) -> torch.Tensor:
        src = batch.inputs[:, :length]  # (B, L)
        y = batch.targets[:, length + 1:]  # (B, L) symbol indices
        tgt_in = torch.cat([torch.full_like(y[:, :1], bos), y[:, :-1]], dim=1)  # (B, L) shifted right
        logits = model(src, tgt_in).logits  # (B, L, V)
        return torch.cat([logits.new_zeros(logits.shape[0], length + 1, logits.shape[-1]), logits], dim=1)
    return forward


def rnn_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train the LSTM encoder-decoder with one score for one seed on reversal."""
    from attnlab.models import RNNSeq2Seq

    task = make_task("reverse", **REVERSE)
    n = REVERSE["n_symbols"]
    model = RNNSeq2Seq(src_vocab_size=task.vocab_size, tgt_vocab_size=n + 1, d_model=config["head_dim"], cell="lstm",
                       score=config["score"], style=RNN_STYLE)
    return fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
               threshold=THRESHOLD, seed=config["seed"], eval_every=config["eval_every"],
               eval_batches=config["eval_batches"], forward=reverse_forward(REVERSE["length"], n), early_stop=False)


def saved_bytes(fn: Any) -> int:
    """Bytes of the tensors autograd keeps for the backward pass while ``fn()`` runs (unique storages)."""
    storages: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        st = t.untyped_storage()
        storages[st.data_ptr()] = max(storages.get(st.data_ptr(), 0), st.nbytes())
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        fn()
    return sum(storages.values())


def memory_key(score: str, impl: str, length: int) -> str:
    """The measurement of :func:`memory_trial` for one score, kernel and length: ``"additive_auto_32"``."""
    return f"{score}_{impl}_{length}"


def memory_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Bytes one attention layer keeps for backward, per score and length, with the default and reference kernels."""
    from attnlab.attention import MultiHeadAttention

    out: dict[str, Any] = {}
    for score in config["scores"]:
        for impl in KERNELS:
            for t in config["lengths"]:
                mha = MultiHeadAttention(D_MODEL, 1, score=score, impl=impl)
                x = torch.randn(MEM_BATCH, t, D_MODEL, requires_grad=True)
                out[memory_key(score, impl, t)] = saved_bytes(lambda m=mha, x=x: m(x)[0])
    return out


def timing_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Wall time of a training step of the lookup Transformer (the largest d_k) and of one attention layer's
    forward and backward at a longer length, per score, timed in alternation (run alone). The layer is timed
    with every score on the same materialising reference kernel (an explicit scores matrix, one code path:
    the cost of the score function) and on the library's fast kernels (fused SDPA for the bilinear scores,
    the chunked kernel for additive: the cost of the implementations)."""
    from attnlab.attention import MultiHeadAttention
    from attnlab.lab.timings import cacheable
    from attnlab.timing import compare, others_load

    task = make_task("lookup", **LOOKUP)
    batch = task.sample(config["batch_size"], torch.Generator().manual_seed(0))
    steps, layers, refs = {}, {}, {}
    for score in config["scores"]:
        model = transformer(score, max(HEAD_DIMS), task)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

        def step(model=model, opt=opt) -> None:
            logits = model(batch.inputs).logits
            loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), batch.targets.flatten(), ignore_index=-100)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
        steps[score] = step
        x = torch.randn(LAYER_BATCH, config["length"], D_MODEL, requires_grad=True)
        for impl, into in (("auto", layers), ("reference", refs)):
            mha = MultiHeadAttention(D_MODEL, 1, score=score, impl=impl)

            def layer(mha=mha, x=x) -> None:
                mha(x)[0].sum().backward()
            into[score] = layer
    with others_load() as load:  # how busy the rest of the machine was: the quiet check
        t_step = compare(steps, warmup=2, repeats=config["repeats"])
        t_layer = compare(layers, warmup=1, repeats=config["repeats"])
        t_ref = compare(refs, warmup=1, repeats=config["repeats"])
    return {"step_s": {k: list(v.times) for k, v in t_step.items()},
            "layer_s": {k: list(v.times) for k, v in t_layer.items()},
            "layer_ref_s": {k: list(v.times) for k, v in t_ref.items()}, **load, "cache": cacheable(load)}


def conditions(profile: str) -> list[dict[str, Any]]:
    """Every compared condition (score x Transformer width, score x LSTM), complete but for the rate and seed."""
    s = profile_settings(profile)
    common = {k: s[k] for k in ("steps", "batch_size", "eval_every", "eval_batches")}
    grid = [{"kind": "transformer", "model": model_name(hd), "score": sc, "head_dim": hd, **common}
            for hd in HEAD_DIMS for sc in SCORES]
    return grid + [{"kind": "rnn", "model": RNN, "score": sc, "head_dim": RNN_D, **common} for sc in SCORES]


def _trained(config: dict[str, Any]) -> dict[str, Any]:
    """The trial function of a condition: the Transformer's or the LSTM's."""
    return (rnn_trial if config["kind"] == "rnn" else transformer_trial)(config)


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    """Every condition x seed at its tuned rate, then one memory and one timing trial."""
    s = profile_settings(profile)
    grid = [Trial(rnn_trial if c["kind"] == "rnn" else transformer_trial, {**c, "lr": TUNED, "seed": seed})
            for c in conditions(profile) for seed in seeds]
    lengths = list(MEM_LENGTHS) if profile != "tiny" else list(TINY_MEM_LENGTHS)
    grid.append(Trial(memory_trial, {"kind": "memory", "scores": list(SCORES), "lengths": lengths}))
    grid.append(Trial(timing_trial, {"kind": "timing", "scores": list(SCORES), "batch_size": s["batch_size"],
                                     "length": s["timing_length"], "repeats": s["timing_repeats"]},
                      exclusive=True, threads=TIMING_THREADS))
    return grid


TUNING = Tuning(_trained, conditions, keys=("model", "score"), center=LR_CENTER)
