"""q8: what are the common ways to compute attention weights?

The seed answers with a list of score functions; attnlab registers them (``attnlab.attention.list_scores()``):
``dot`` :math:`q^\\top k`, ``scaled_dot`` :math:`q^\\top k / \\sqrt{d}` (Vaswani et al. 2017), ``general``
:math:`q^\\top W k` (Luong et al. 2015), ``additive`` / concat :math:`v^\\top \\tanh(W_1 q + W_2 k)` (Bahdanau
et al. 2015) and ``cosine`` with a learned temperature. Every registered score is put in the same two
models and compared on:

1. **Accuracy**: a small Transformer encoder (:class:`attnlab.models.TransformerEncoder`, ``score=``) on
   associative recall (content-based lookup, where the score function does the matching), and an LSTM
   encoder-decoder with Luong-style global attention (:class:`attnlab.models.RNNSeq2Seq`, ``score=``) on
   sequence reversal, teacher-forced token accuracy; mean and 95% interval over seeds.
2. **Time per training step**, from the trainer's measured throughput (CPU, single thread, on a machine
   shared with other jobs: the ratios are meaningful, the absolute numbers pessimistic).
3. **Memory**: the bytes of activations autograd saves for the backward pass, *measured* by counting the
   unique storages packed through ``torch.autograd.graph.saved_tensors_hooks`` during one training forward
   (the dominant part of training memory; it excludes parameters, optimizer state and transient
   buffers), for the whole models and for one attention layer at T = 64 and 256, set against the analytic
   size of the materialised scores (B·H·T² floats for a bilinear score, B·H·T²·A for additive).
4. **Larger width** (Britz et al. 2017: additive beats unscaled multiplicative at 1024 units): the RNN
   encoder-decoder again at a larger width with ``dot``, ``scaled_dot`` and ``additive``.

Verdict rule (:func:`verdict_q8`): a score *works* in a model when its mean accuracy reaches at least half
of the best score's gain over chance; the scores are *interchangeable* in a model when every mean accuracy is
within ``gap = 0.05`` of the best. *confirmed* (the listed functions are all usable, equivalent choices) when
every score works and the scores are interchangeable in both models; *qualified* when every score works but
accuracy differs by more than ``gap`` in some model (which one is named); *refuted* when some score does not
work in some model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from attnlab.data.tasks import IGNORE_INDEX, Batch, Task
from attnlab.experiments.base import (
    Evidence,
    Experiment,
    Result,
    RunContext,
    fmt_ci,
    mean_ci,
    register,
    single_thread,
)

__all__ = ["Q8Scores", "Seq2SeqReverseTask", "TeacherForcedSeq2Seq", "saved_activation_bytes", "verdict_q8"]

GAP = 0.05  # scores are interchangeable when every mean accuracy is within this of the best
LUONG_ANCHOR = ("Luong et al. 2015 Table 4 (BLEU): global attention with dot 18.6 vs general 17.3; local-p with "
                "general best, 19.0")
BRITZ_ANCHOR = "Britz et al. 2017: additive 22.10 vs multiplicative (unscaled) 18.22 BLEU at 1024 units"

_PROFILES: dict[str, dict[str, Any]] = {
    "tiny": dict(d_model=16, n_heads=2, n_layers=1, steps=8, batch_size=16, lr=3e-3, eval_batches=1,
                 recall=dict(n_pairs=3, n_keys=6, n_values=6), reverse=dict(length=5, n_symbols=6),
                 rnn_d=16, rnn_lr=1e-2, large_d=32, large_scores=["dot", "additive"], large_steps=8,
                 mem_lengths=[16, 32]),
    "quick": dict(d_model=32, n_heads=2, n_layers=2, steps=200, batch_size=64, lr=3e-3, eval_batches=4,
                  recall=dict(n_pairs=4, n_keys=8, n_values=8), reverse=dict(length=8, n_symbols=8),
                  rnn_d=32, rnn_lr=1e-2, large_d=128, large_scores=["dot", "additive"], large_steps=150,
                  mem_lengths=[64, 256]),
    "full": dict(d_model=64, n_heads=4, n_layers=2, steps=2000, batch_size=128, lr=2e-3, eval_batches=16,
                 recall=dict(n_pairs=8, n_keys=16, n_values=16), reverse=dict(length=16, n_symbols=16),
                 rnn_d=64, rnn_lr=5e-3, large_d=1024, large_scores=["dot", "scaled_dot", "general", "additive"],
                 large_steps=2000, mem_lengths=[64, 256, 1024]),
}


# ----------------------------------------------------------------------------------------------------
# The RNN encoder-decoder as a tagging model for the trainer
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seq2SeqReverseTask(Task):
    """Reversal laid out for teacher forcing: inputs ``src (L) | BOS y_0 .. y_{L-2}``, targets ``-100 (L) | y``.

    Built on :class:`attnlab.data.ReverseTask`'s samples. Ids: 0 pad, 1..n_symbols symbols, n_symbols + 1
    BOS. Targets are symbol ids (1..n_symbols) on the second half. Chance is 1 / n_symbols.
    """

    length: int = 8  # symbols per sequence
    n_symbols: int = 8  # alphabet size

    kind: ClassVar[str] = "tagging"
    name: ClassVar[str] = "seq2seq_reverse"

    def __post_init__(self) -> None:
        for field_name in ("length", "n_symbols"):
            value = getattr(self, field_name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 2:
                raise ValueError(f"{field_name}: expected an int >= 2, got {value!r}")

    @property
    def vocab_size(self) -> int:
        return self.n_symbols + 2

    @property
    def n_classes(self) -> int:
        return self.n_symbols + 2

    @property
    def seq_len(self) -> int:
        return 2 * self.length

    @property
    def chance_accuracy(self) -> float:
        return 1.0 / self.n_symbols

    @property
    def bos(self) -> int:
        return self.n_symbols + 1

    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        from attnlab.data import make_task

        base = make_task("reverse", length=self.length, n_symbols=self.n_symbols).sample(n, generator)
        src = base.inputs[:, : self.length] - 2  # ReverseTask ids start at 3 -> symbols 1..n
        y = base.targets[:, self.length + 1 :] + 1  # (N, L) reversed symbols as ids 1..n
        tgt_in = torch.cat([torch.full((n, 1), self.bos, dtype=torch.long), y[:, :-1]], dim=1)  # (N, L)
        inputs = torch.cat([src, tgt_in], dim=1)  # (N, 2L)
        targets = torch.cat([torch.full_like(src, IGNORE_INDEX), y], dim=1)  # (N, 2L)
        return Batch(inputs, targets)


class TeacherForcedSeq2Seq(nn.Module):
    """Wraps :class:`attnlab.models.RNNSeq2Seq` for the trainer's tagging contract.

    forward(inputs (B, 2L)) splits ``src | tgt_in``, runs ``model(src, tgt_in)`` -> (B, L, V) and returns
    (B, 2L, V) logits with zeros on the source half (whose targets are ignored).
    """

    def __init__(self, model: nn.Module, src_len: int) -> None:
        super().__init__()
        self.model = model
        self.src_len = src_len
        self.config = model.config

    def forward(self, inputs: torch.Tensor, key_mask: torch.Tensor | None = None) -> torch.Tensor:
        src, tgt_in = inputs[:, : self.src_len], inputs[:, self.src_len :]
        logits = self.model(src, tgt_in)  # (B, L, V)
        return torch.cat([logits.new_zeros(logits.shape[0], self.src_len, logits.shape[-1]), logits], dim=1)


# ----------------------------------------------------------------------------------------------------
# Measurements
# ----------------------------------------------------------------------------------------------------


def saved_activation_bytes(fn: Any) -> tuple[int, Any]:
    """Bytes of the tensors autograd saves for backward while ``fn()`` runs, and ``fn``'s return value.

    Every tensor packed by autograd passes through ``torch.autograd.graph.saved_tensors_hooks``; unique
    storages are counted once (views of one storage share it).
    """
    storages: dict[int, int] = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        try:
            st = t.untyped_storage()
            storages[st.data_ptr()] = max(storages.get(st.data_ptr(), 0), st.nbytes())
        except (RuntimeError, NotImplementedError):  # tensors without a storage (e.g. sparse)
            storages[id(t)] = t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        out = fn()
    return sum(storages.values()), out


def verdict_q8(acc: dict[str, dict[str, float]], chance: dict[str, float], *, gap: float = GAP) -> tuple[str, str]:
    """The q8 verdict from mean accuracies ``acc[model][score]`` and each model's chance accuracy.

    Args:
        acc: ``{"transformer": {"dot": 0.9, ...}, "rnn": {...}}``.
        chance: chance accuracy per model key.
        gap: the accuracy spread below which scores count as interchangeable.
    """
    if not acc:
        raise ValueError("acc: expected at least one model, got none")
    failing, spread_models, parts = [], [], []
    for m, per in acc.items():
        best_s = max(per, key=per.get)
        best, c = per[best_s], chance[m]
        threshold = c + 0.5 * (best - c)
        worst_s = min(per, key=per.get)
        failing += [f"{s} in {m}" for s, a in per.items() if a < threshold]
        spread = best - per[worst_s]
        if spread > gap:
            spread_models.append(m)
        parts.append(f"{m}: best {best_s} {best:.3f}, worst {worst_s} {per[worst_s]:.3f} (spread {spread:.3f}, "
                     f"works-threshold {threshold:.3f})")
    if failing:
        verdict = "refuted"
    elif spread_models:
        verdict = "qualified"
    else:
        verdict = "confirmed"
    rule = (
        f"{verdict}: " + "; ".join(parts)
        + (f"; not working: {', '.join(failing)}" if failing else "")
        + f". A score works when its accuracy reaches chance + half the best score's gain over chance; scores are "
        f"interchangeable when all are within {gap} of the best. Rule: confirmed if all work and are "
        f"interchangeable in every model; qualified if all work but the spread exceeds {gap} in some model"
        + (f" (here: {', '.join(spread_models)})" if spread_models else "")
        + "; refuted if some score does not work."
    )
    return verdict, rule


@register
class Q8Scores(Experiment):
    qid = "q8"

    def run(self, ctx: RunContext) -> Result:
        with single_thread(ctx):
            return self._run(ctx)

    def _run(self, ctx: RunContext) -> Result:
        from attnlab.attention import MultiHeadAttention, list_scores
        from attnlab.data import make_task
        from attnlab.models import RNNSeq2Seq, TransformerEncoder
        from attnlab.train import TrainConfig, train

        p = _PROFILES[ctx.profile]
        scores = list(list_scores())
        recall = make_task("assoc_recall", **p["recall"])
        rev = Seq2SeqReverseTask(**p["reverse"])
        warm = max(1, p["steps"] // 10)
        cfg_t = TrainConfig(steps=p["steps"], batch_size=p["batch_size"], lr=p["lr"], warmup=warm,
                            eval_batches=p["eval_batches"], device=ctx.device)
        cfg_r = TrainConfig(steps=p["steps"], batch_size=p["batch_size"], lr=p["rnn_lr"], warmup=warm,
                            eval_batches=p["eval_batches"], device=ctx.device)
        cfg_l = TrainConfig(steps=p["large_steps"], batch_size=p["batch_size"], lr=p["rnn_lr"],
                            warmup=max(1, p["large_steps"] // 10), eval_batches=p["eval_batches"], device=ctx.device)

        def transformer(score: str) -> nn.Module:
            return TransformerEncoder(vocab_size=recall.vocab_size, d_model=p["d_model"], n_heads=p["n_heads"],
                                      n_layers=p["n_layers"], max_len=recall.seq_len, n_outputs=recall.n_classes,
                                      score=score)

        def rnn(score: str, d: int) -> nn.Module:
            return TeacherForcedSeq2Seq(RNNSeq2Seq(src_vocab_size=rev.vocab_size, tgt_vocab_size=rev.vocab_size,
                                                   d_model=d, cell="lstm", score=score), rev.length)

        runs: dict[tuple[str, str], dict[str, list[float]]] = {}
        mem: dict[tuple[str, str], int] = {}
        alignments: dict[str, torch.Tensor] = {}
        setups = [("transformer", s, recall, cfg_t, lambda s: transformer(s)) for s in scores]
        setups += [("rnn", s, rev, cfg_r, lambda s: rnn(s, p["rnn_d"])) for s in scores]
        setups += [(f"rnn_d{p['large_d']}", s, rev, cfg_l, lambda s: rnn(s, p["large_d"])) for s in p["large_scores"]]
        jobs = [(su, seed) for su in setups for seed in ctx.seeds]
        for (mkey, score, task, cfg, build), seed in ctx.track(jobs, "score functions"):
            torch.manual_seed(seed)
            model = build(score)
            if seed == ctx.seeds[0]:
                batch = task.sample(cfg.batch_size, torch.Generator().manual_seed(1))
                mem[(mkey, score)], _ = saved_activation_bytes(lambda m=model, b=batch: m(b.inputs))
            res = train(model, task, cfg, seed=seed, progress=False)
            model.cpu()  # the analyses below run on CPU whatever device trained the model
            if mkey == "rnn" and seed == ctx.seeds[0]:
                ex = task.sample(1, torch.Generator().manual_seed(2))
                src, tgt_in = ex.inputs[:, : rev.length], ex.inputs[:, rev.length :]
                with torch.no_grad():
                    alignments[score] = model.eval().model(src, tgt_in, need_weights=True).attentions[0]  # (T, S)
            rec = runs.setdefault((mkey, score), {"acc": [], "ms": []})
            rec["acc"].append(res.eval_accuracy)
            rec["ms"].append(1000.0 * cfg.batch_size * task.seq_len / max(res.tokens_per_second, 1e-9))

        # one attention layer at longer sequences: saved activations vs T
        layer_mem: dict[tuple[str, int], int] = {}
        b_mem, d_mem, h_mem = 2, p["d_model"], p["n_heads"]
        layer_mem_ref: dict[tuple[str, int], int] = {}
        for score in scores:
            for T in p["mem_lengths"]:
                for impl, store in (("auto", layer_mem), ("reference", layer_mem_ref)):
                    torch.manual_seed(0)
                    mha = MultiHeadAttention(d_mem, h_mem, score=score, impl=impl)
                    x = torch.randn(b_mem, T, d_mem, requires_grad=True)
                    store[(score, T)], _ = saved_activation_bytes(lambda m=mha, x=x: m(x)[0])

        acc_ci = {k: mean_ci(v["acc"]) for k, v in runs.items()}
        ms_ci = {k: mean_ci(v["ms"]) for k, v in runs.items()}
        main_models = {"transformer": recall.chance_accuracy, "rnn": rev.chance_accuracy}
        verdict, rule = verdict_q8({m: {s: acc_ci[(m, s)][0] for s in scores} for m in main_models}, main_models)

        large = f"rnn_d{p['large_d']}"
        evidence: list[Evidence] = []
        model_desc = {"transformer": f"Transformer encoder, associative recall (chance {recall.chance_accuracy:.3f})",
                      "rnn": f"LSTM encoder-decoder d={p['rnn_d']}, reversal (chance {rev.chance_accuracy:.3f})",
                      large: f"LSTM encoder-decoder d={p['large_d']}, reversal"}
        for (m, s), (mean, ci) in acc_ci.items():
            anchor = None
            if m == "rnn" and s in ("dot", "general", "additive"):
                anchor = LUONG_ANCHOR
            elif m == large and s in ("dot", "additive"):
                anchor = BRITZ_ANCHOR
            evidence.append(Evidence(f"acc_{m}_{s}", mean, ci, f"token accuracy, {model_desc[m]}", anchor))
        for (m, s), (mean, ci) in ms_ci.items():
            evidence.append(Evidence(f"ms_per_step_{m}_{s}", mean, ci,
                                     "ms per training step (CPU, 1 thread, shared machine)", None))
        for (m, s), v in mem.items():
            evidence.append(Evidence(f"saved_activation_mib_{m}_{s}", v / 2**20, None,
                                     "MiB of activations saved for backward, one training forward (measured)", None))
        for (s, T), v in layer_mem.items():
            hd = d_mem // h_mem
            analytic = b_mem * h_mem * T * T * 4 * (hd if s == "additive" else 1)
            evidence.append(Evidence(f"layer_saved_mib_{s}_T{T}", v / 2**20, None,
                                     f"MiB saved for backward by one attention layer (impl='auto'), B={b_mem}, "
                                     f"H={h_mem}, D={hd} (measured)",
                                     f"the materialised scores alone: {analytic / 2**20:.3f} MiB "
                                     f"({'B·H·T²·A' if s == 'additive' else 'B·H·T²'} floats)"))
            evidence.append(Evidence(f"layer_saved_mib_{s}_T{T}_reference", layer_mem_ref[(s, T)] / 2**20, None,
                                     "same with the materialising reference kernel (impl='reference')", None))
        if ("rnn", "dot") in acc_ci and ("rnn", "general") in acc_ci:
            diff = [a - b for a, b in zip(runs[("rnn", "dot")]["acc"], runs[("rnn", "general")]["acc"], strict=True)]
            evidence.append(Evidence("rnn_dot_minus_general", *mean_ci(diff), "accuracy difference (paired)",
                                     "Luong et al. 2015 Table 4: dot - general = +1.3 BLEU (global)"))
        for m in ("rnn", large):
            if (m, "additive") in acc_ci and (m, "dot") in acc_ci:
                diff = [a - b for a, b in zip(runs[(m, "additive")]["acc"], runs[(m, "dot")]["acc"], strict=True)]
                d = p["rnn_d"] if m == "rnn" else p["large_d"]
                evidence.append(Evidence(f"additive_minus_dot_d{d}", *mean_ci(diff), "accuracy difference (paired)",
                                         "Britz et al. 2017: additive - multiplicative = +3.88 BLEU at 1024 units"))

        self._plot(ctx, scores, acc_ci, ms_ci, layer_mem, layer_mem_ref, p["mem_lengths"], large)
        self._plot_alignments(ctx, alignments)

        def line(m: str, ss: list[str]) -> str:
            return ", ".join(f"{s} {fmt_ci(*acc_ci[(m, s)], digits=3)} ({ms_ci[(m, s)][0]:.1f} ms)" for s in ss)

        T_big = p["mem_lengths"][-1]
        bil = [layer_mem[(s, T_big)] for s in scores if s != "additive"]
        add_text = ""
        if "additive" in scores and bil:
            add_mib = layer_mem[("additive", T_big)] / 2**20
            add_text = (f" At T={T_big} one additive attention layer saves {add_mib:.2f} "
                        f"MiB for backward with the library's default kernel "
                        f"({layer_mem_ref[('additive', T_big)] / 2**20:.2f} MiB with the materialising reference "
                        f"kernel) vs {min(bil) / 2**20:.2f}-{max(bil) / 2**20:.2f} MiB for the bilinear scores.")
        large_text = ""
        if (large, "additive") in acc_ci and (large, "dot") in acc_ci:
            large_text = (f" At d={p['large_d']}, {p['large_steps']} steps (Britz et al.: additive > unscaled "
                          "multiplicative at 1024 units): "
                          + line(large, p["large_scores"]) + ".")
        summary = (
            f"Every registered score ({', '.join(scores)}) in the same models, {p['steps']} steps, "
            f"{len(ctx.seeds)} seeds (accuracy, time per step). Transformer (d_model={p['d_model']}, "
            f"{p['n_heads']} heads, {p['n_layers']} layers) on associative recall: {line('transformer', scores)}. "
            f"LSTM encoder-decoder (d={p['rnn_d']}, Luong global attention) on reversal: {line('rnn', scores)}."
            + large_text + add_text
            + " Memory is measured as activations saved for backward, not peak RSS."
        )
        config = {"scores": scores, "transformer_task": recall.config(), "rnn_task": rev.config(),
                  **{k: p[k] for k in ("d_model", "n_heads", "n_layers", "steps", "batch_size", "lr", "eval_batches",
                                       "rnn_d", "rnn_lr", "large_d", "large_scores", "large_steps", "mem_lengths")},
                  "rnn_style": "luong", "cell": "lstm", "gap": GAP}
        return self.make_result(ctx, verdict=verdict, rule=rule, summary=summary, evidence=evidence, config=config)

    @staticmethod
    def _plot(ctx: RunContext, scores: list[str], acc_ci: dict, ms_ci: dict, layer_mem: dict, layer_mem_ref: dict,
              lengths: list[int], large: str) -> None:
        from attnlab.report.plots import new_figure

        fig, axes = new_figure(3, width=4.0)
        models = ["transformer", "rnn"] + ([large] if any((large, s) in acc_ci for s in scores) else [])
        width = 0.8 / len(models)
        for j, m in enumerate(models):
            ss = [s for s in scores if (m, s) in acc_ci]
            xs = [scores.index(s) + (j - (len(models) - 1) / 2) * width for s in ss]
            for ax, d in ((axes[0], acc_ci), (axes[1], ms_ci)):
                means = [d[(m, s)][0] for s in ss]
                errs = [[mu - d[(m, s)][1][0] for s, mu in zip(ss, means, strict=True)],
                        [d[(m, s)][1][1] - mu for s, mu in zip(ss, means, strict=True)]]
                ax.bar(xs, means, width, yerr=errs, capsize=2, label=m)
        for ax, title in ((axes[0], "accuracy"), (axes[1], "ms per training step")):
            ax.set_xticks(range(len(scores)))
            ax.set_xticklabels(scores, rotation=30, fontsize=8)
            ax.set_title(title)
        axes[0].legend(fontsize=7)
        for s in scores:
            line = axes[2].plot(lengths, [layer_mem[(s, T)] / 2**20 for T in lengths], "o-", label=s)[0]
            axes[2].plot(lengths, [layer_mem_ref[(s, T)] / 2**20 for T in lengths], "x:", color=line.get_color())
        axes[2].set_xscale("log", base=2)
        axes[2].set_yscale("log")
        axes[2].set_xlabel("sequence length T")
        axes[2].set_title("one layer: MiB saved for backward\n(solid: default kernel, dotted: reference)",
                          fontsize=9)
        axes[2].legend(fontsize=7)
        ctx.save_figure(fig, "scores_compared")

    @staticmethod
    def _plot_alignments(ctx: RunContext, alignments: dict[str, torch.Tensor]) -> None:
        from attnlab.report.plots import new_figure

        if not alignments:
            return
        fig, axes = new_figure(len(alignments), width=2.4, height=2.6)
        axes = axes if isinstance(axes, list) else [axes]
        for ax, (score, w) in zip(axes, alignments.items(), strict=True):
            ax.imshow(w.numpy(), cmap="Blues", vmin=0.0, vmax=1.0)
            ax.set_title(score, fontsize=9)
            ax.set_xlabel("source position")
            ax.set_ylabel("target step")
            ax.grid(False)
        fig.suptitle("LSTM encoder-decoder attention on one reversal example (anti-diagonal = correct)")
        ctx.save_figure(fig, "rnn_alignments")
