"""q7: why attention at all?

The seed's answer: attention lets the model focus on what matters (in "I hate this movie." a sentiment
model should look at "hate"), and on long text an RNN with attention beats an RNN with plain pooling by a
good margin. Measured on the needle sentiment task (one polar word such as *hate* / *love* hidden at a
random position among neutral filler and distractors, label = its polarity):

1. **Attention vs pooling vs length.** The same LSTM encoder (:class:`attnlab.models.RNNClassifier`) with
   ``pooling`` = ``"attention"`` (Yang et al. 2016: a learned query, additive score) vs ``"last"``,
   ``"mean"`` and ``"max"``, trained for the same number of steps at several text lengths T; accuracy,
   mean and 95% interval over seeds.
2. **Where attention looks.** The mean pooling weight on the polar word, against the uniform 1/T.
3. **Is the attention an explanation?** Jain & Wallace (2019) permute the attention weights over the
   positions and measure how much the output moves: if it hardly moves, the weights did not determine the
   decision. We recompute the attention model's output with its weights permuted (``n_perm`` random
   permutations per example, the encoder states and classifier unchanged) and report the median total
   variation distance (TVD) between the original and permuted output distributions and the fraction of
   decisions that flip.
4. Attention pooling weights of our model on "i hate this movie" / "i love this movie", and the attention
   maps of a real pretrained model on real sentences (:func:`attnlab.analysis.real_model.evidence_for`) when
   its weights are installed.

Verdict rule (:func:`verdict_q7`) at the longest length T, with ``margin = 0.02``, ``clear = 0.05`` and
``focus = 0.5``: *confirmed* when attention beats every pooling by >= ``margin`` and puts >= ``focus`` of
its weight on the polar word; *qualified* when it beats at least one pooling by >= ``clear`` (the poolings
it does not beat are named); *refuted* otherwise.
"""

from __future__ import annotations

from typing import Any

import torch

from attnlab.experiments.base import (
    Evidence,
    Experiment,
    Result,
    RunContext,
    fmt_ci,
    mean_ci,
    real_model_evidence,
    register,
    single_thread,
)

__all__ = ["POOLINGS", "Q7Why", "permutation_test", "verdict_q7"]

POOLINGS = ("attention", "last", "mean", "max")
MARGIN = 0.02  # attention must beat every pooling by this much (confirmed)
CLEAR = 0.05  # ... or at least one pooling by this much (qualified)
FOCUS = 0.5  # mean attention weight on the polar word (confirmed)
FAITHFUL_FLIPS = 0.2  # summary wording: permuting the weights flips >= this fraction -> the weights matter
JAIN_WALLACE_ANCHOR = ("Jain & Wallace 2019: on many text-classification sets, randomly permuting the attention "
                       "weights of a BiLSTM+attention model changes the output little (small median TVD), "
                       "so the weights need not explain the decision")

_PROFILES: dict[str, dict[str, Any]] = {
    "tiny": dict(lengths=[8, 16], d_model=16, steps=8, batch_size=16, lr=1e-2, eval_batches=1, n_perm=3),
    "quick": dict(lengths=[16, 64, 128], d_model=32, steps=150, batch_size=32, lr=1e-2, eval_batches=4,
                  n_perm=10),
    "full": dict(lengths=[16, 64, 256, 512], d_model=64, steps=1500, batch_size=64, lr=5e-3, eval_batches=16,
                 n_perm=100),
}


@torch.no_grad()
def permutation_test(model: Any, inputs: torch.Tensor, key_mask: torch.Tensor | None, n_perm: int,
                     generator: torch.Generator) -> dict[str, Any]:
    """Jain & Wallace (2019) permutation test of an attention-pooling :class:`~attnlab.models.RNNClassifier`.

    The encoder states h (B, T, C) and attention weights a (B, T) are computed once; for each of
    ``n_perm`` random permutations :math:`\\pi` of the (real) positions the output is recomputed as
    :math:`\\mathrm{softmax}(W \\sum_t a_{\\pi(t)} h_t)`.

    Returns:
        ``{"median_tvd", "mean_tvd", "flip_rate", "tvd": (B,) per-example median TVD}`` where the TVD of two
        distributions is :math:`\\tfrac12 \\sum_c |p_c - p'_c|`.
    """
    if model.config.pooling != "attention":
        raise ValueError(f"model: expected an RNNClassifier with pooling='attention', got {model.config.pooling!r}")
    h, _ = model.encoder.encode(inputs, key_mask=key_mask)  # (B, T, C)
    pooled, a = model.pool(h, key_mask)  # (B, C), (B, T)
    p0 = model.classifier(pooled).softmax(-1)  # (B, K)
    b, t = a.shape
    lengths = key_mask.sum(1) if key_mask is not None else torch.full((b,), t)
    tvds, flips = [], []
    for _ in range(n_perm):
        perm_a = a.clone()
        for i in range(b):  # permute within each example's real positions (padding keeps weight 0)
            n = int(lengths[i])
            perm_a[i, :n] = a[i, :n][torch.randperm(n, generator=generator)]
        pooled_p = torch.einsum("bt,btc->bc", perm_a, h)  # (B, C)
        p1 = model.classifier(pooled_p).softmax(-1)
        tvds.append(0.5 * (p0 - p1).abs().sum(-1))  # (B,)
        flips.append((p0.argmax(-1) != p1.argmax(-1)).float())
    tvd = torch.stack(tvds).median(0).values  # (B,) median over permutations
    return {"median_tvd": float(tvd.median()), "mean_tvd": float(torch.stack(tvds).mean()),
            "flip_rate": float(torch.stack(flips).mean()), "tvd": tvd}


def verdict_q7(acc_by_pool: dict[str, float], focus_weight: float, length: int, *, margin: float = MARGIN,
               clear: float = CLEAR, focus: float = FOCUS) -> tuple[str, str]:
    """The q7 verdict from the mean accuracies at the longest length and the weight on the polar word.

    Args:
        acc_by_pool: mean accuracy per pooling (must include ``"attention"``).
        focus_weight: mean attention weight on the polar word.
        length: the text length the numbers are for (for the rule text).
    """
    if "attention" not in acc_by_pool or len(acc_by_pool) < 2:
        raise ValueError(f"acc_by_pool: expected 'attention' and at least one pooling, got {sorted(acc_by_pool)}")
    att = acc_by_pool["attention"]
    gaps = {k: att - v for k, v in acc_by_pool.items() if k != "attention"}
    beats_all = all(g >= margin for g in gaps.values())
    beaten = [k for k, g in gaps.items() if g >= clear]
    not_beaten = [k for k, g in gaps.items() if g < margin]
    focused = focus_weight >= focus
    if beats_all and focused:
        verdict = "confirmed"
    elif beaten:
        verdict = "qualified"
    else:
        verdict = "refuted"
    gap_text = ", ".join(f"{k} {g:+.3f}" for k, g in gaps.items())
    rule = (
        f"{verdict}: at T={length}, accuracy of attention minus pooling: {gap_text}; weight on the polar word "
        f"{focus_weight:.3f}. Rule: confirmed if attention beats every pooling by >= {margin} and puts >= {focus} "
        f"on the polar word; qualified if it beats at least one pooling by >= {clear}"
        + (f" (here it beats {', '.join(beaten)}; not {', '.join(not_beaten)})" if beaten and not_beaten else "")
        + "; refuted otherwise."
    )
    return verdict, rule


@register
class Q7Why(Experiment):
    qid = "q7"

    def run(self, ctx: RunContext) -> Result:
        real = real_model_evidence(self.qid, ctx)  # outside single_thread: the real model is larger
        with single_thread(ctx):
            return self._run(ctx, real)

    def _run(self, ctx: RunContext, real_and_reason: tuple[Any, str]) -> Result:
        from attnlab.data import make_task
        from attnlab.models import RNNClassifier
        from attnlab.train import TrainConfig, train

        p = _PROFILES[ctx.profile]
        lengths: list[int] = p["lengths"]
        cfg = TrainConfig(steps=p["steps"], batch_size=p["batch_size"], lr=p["lr"], warmup=max(1, p["steps"] // 10),
                          eval_batches=p["eval_batches"], device=ctx.device)
        acc: dict[tuple[int, str], list[float]] = {}
        focus: dict[int, list[float]] = {}
        perm: dict[int, list[dict[str, Any]]] = {}
        examples: dict[str, Any] = {}
        jobs = [(L, pool, s) for L in lengths for pool in POOLINGS for s in ctx.seeds]
        task = None
        for L, pool, seed in ctx.track(jobs, "RNN + attention vs pooling"):
            task = make_task("needle", length=L)
            torch.manual_seed(seed)
            model = RNNClassifier(vocab_size=task.vocab_size, n_classes=task.n_classes, d_model=p["d_model"],
                                  cell="lstm", pooling=pool)
            res = train(model, task, cfg, seed=seed, progress=False)
            model.cpu()  # the analyses below run on CPU whatever device trained the model
            acc.setdefault((L, pool), []).append(res.eval_accuracy)
            if pool != "attention":
                continue
            model.eval()
            batch = task.sample(128, torch.Generator().manual_seed(70_000 + seed))
            with torch.no_grad():
                w = model(batch.inputs, key_mask=batch.key_mask, return_weights=True).pool_weights  # (B, T)
            needle = batch.extra["needle_pos"]
            focus.setdefault(L, []).append(float(w[torch.arange(len(batch)), needle].mean()))
            g = torch.Generator().manual_seed(80_000 + seed)
            perm.setdefault(L, []).append(permutation_test(model, batch.inputs, batch.key_mask, p["n_perm"], g))
            if seed == ctx.seeds[0] and lengths[0] == L:
                examples = self._examples(model, task)

        acc_ci = {k: mean_ci(v) for k, v in acc.items()}
        focus_ci = {L: mean_ci(v) for L, v in focus.items()}
        tvd_ci = {L: mean_ci([d["median_tvd"] for d in v]) for L, v in perm.items()}
        flip_ci = {L: mean_ci([d["flip_rate"] for d in v]) for L, v in perm.items()}
        longest = lengths[-1]
        verdict, rule = verdict_q7({pool: acc_ci[(longest, pool)][0] for pool in POOLINGS},
                                   focus_ci[longest][0], longest)

        evidence: list[Evidence] = []
        for L in lengths:
            for pool in POOLINGS:
                evidence.append(Evidence(f"acc_T{L}_{pool}", acc_ci[(L, pool)][0], acc_ci[(L, pool)][1],
                                         "accuracy, needle sentiment (chance 0.5)",
                                         "seed: RNN+attention beats RNN+pooling on long text" if pool == "attention"
                                         else None))
            evidence.append(Evidence(f"polar_weight_T{L}", focus_ci[L][0], focus_ci[L][1],
                                     "mean attention-pooling weight on the polar word", f"uniform: 1/T = {1 / L:.4f}"))
            evidence.append(Evidence(f"perm_median_tvd_T{L}", tvd_ci[L][0], tvd_ci[L][1],
                                     "median TVD of the output under permuted attention weights (0..1)",
                                     JAIN_WALLACE_ANCHOR))
            evidence.append(Evidence(f"perm_flip_rate_T{L}", flip_ci[L][0], flip_ci[L][1],
                                     "fraction of decisions flipped by permuting the weights", None))
        for name, ex in examples.items():
            evidence.append(Evidence(f"our_weights_{name.replace(' ', '_')}",
                                     [f"{w}:{a:.3f}" for w, a in zip(ex["words"], ex["weights"], strict=True)], None,
                                     f"attention-pooling weights (T={lengths[0]} model, seed {ctx.seeds[0]}); "
                                     f"P(positive) = {ex['p_pos']:.3f}", "seed: 'hate' deserves the attention"))

        real, reason = real_and_reason
        if real is not None:
            evidence.extend(real.evidence)
            for f in real.figures:
                if f not in ctx.figures:
                    ctx.figures.append(f)
            real_text = " Real model: " + real.summary
        else:
            real_text = " " + reason + "."

        self._plot(ctx, lengths, acc_ci, focus_ci, tvd_ci, flip_ci, examples)

        per_len = "; ".join(
            f"T={L}: " + ", ".join(f"{pool} {fmt_ci(*acc_ci[(L, pool)], digits=3)}" for pool in POOLINGS)
            for L in lengths
        )
        ex_text = ""
        if "i hate this movie" in examples:
            ex = examples["i hate this movie"]
            top = ex["words"][max(range(len(ex["weights"])), key=lambda i: ex["weights"][i])]
            ex_text = (f" On 'i hate this movie' our T={lengths[0]} model puts the most weight on '{top}' "
                       f"({max(ex['weights']):.2f}), P(positive) = {ex['p_pos']:.3f}.")
        summary = (
            f"LSTM (d_model={p['d_model']}) classifiers trained {p['steps']} steps on the needle sentiment task, "
            f"{len(ctx.seeds)} seeds, accuracy: {per_len}. Attention puts {fmt_ci(*focus_ci[longest], digits=3)} of "
            f"its weight on the polar word at T={longest} (uniform {1 / longest:.4f}). Permuting the attention "
            f"weights (Jain & Wallace 2019) moves the output by a median TVD of {fmt_ci(*tvd_ci[longest], digits=3)} "
            f"and flips {fmt_ci(*flip_ci[longest], digits=3)} of the decisions at T={longest}: "
            + (f"here the weights carry the decision (flip rate >= {FAITHFUL_FLIPS}), unlike Jain & Wallace's "
               "finding on real text classifiers." if flip_ci[longest][0] >= FAITHFUL_FLIPS else
               f"the output barely depends on where the weight sits (flip rate < {FAITHFUL_FLIPS}), as Jain & "
               "Wallace found: the weights are not an explanation of the decision.")
            + ex_text + real_text
        )
        config = {"task": task.config() if task is not None else None, "lengths": lengths, "poolings": list(POOLINGS),
                  "cell": "lstm", "score": "additive",
                  **{k: p[k] for k in ("d_model", "steps", "batch_size", "lr", "eval_batches", "n_perm")}}
        return self.make_result(ctx, verdict=verdict, rule=rule, summary=summary, evidence=evidence, config=config)

    @staticmethod
    @torch.no_grad()
    def _examples(model: Any, task: Any) -> dict[str, Any]:
        """Attention-pooling weights of ``model`` on two short sentences written in the task's vocabulary."""
        vocab = {w: i for i, w in enumerate(task.words)}
        out = {}
        for text in ("i hate this movie", "i love this movie"):
            words = text.split()
            if not all(w in vocab for w in words):
                continue
            ids = torch.tensor([[vocab[w] for w in words]])
            res = model(ids, return_weights=True)
            out[text] = {"words": words, "weights": res.pool_weights[0].tolist(),
                         "p_pos": float(res.logits.softmax(-1)[0, 1])}
        return out

    @staticmethod
    def _plot(ctx: RunContext, lengths: list[int], acc_ci: dict, focus_ci: dict, tvd_ci: dict, flip_ci: dict,
              examples: dict) -> None:
        from attnlab.report.plots import errorbar_line, new_figure

        def clip(ci: tuple[float, float]) -> tuple[float, float]:  # every quantity here lies in [0, 1]
            return (max(0.0, ci[0]), min(1.0, ci[1]))

        fig, axes = new_figure(3, width=4.0)
        for pool, style in zip(POOLINGS, ("-", "--", "-.", ":"), strict=True):
            errorbar_line(axes[0], lengths, [acc_ci[(L, pool)][0] for L in lengths],
                          [clip(acc_ci[(L, pool)][1]) for L in lengths], label=pool, linestyle=style)
        axes[0].axhline(0.5, color="grey", linestyle=":", label="chance")
        axes[0].set_title("accuracy vs text length")
        axes[0].legend(fontsize=7)
        errorbar_line(axes[1], lengths, [focus_ci[L][0] for L in lengths], [clip(focus_ci[L][1]) for L in lengths],
                      label="attention on the polar word")
        axes[1].plot(lengths, [1 / L for L in lengths], ":", color="grey", label="uniform 1/T")
        axes[1].set_title("weight on the polar word")
        axes[1].legend(fontsize=7)
        errorbar_line(axes[2], lengths, [tvd_ci[L][0] for L in lengths], [clip(tvd_ci[L][1]) for L in lengths],
                      label="median TVD")
        errorbar_line(axes[2], lengths, [flip_ci[L][0] for L in lengths], [clip(flip_ci[L][1]) for L in lengths],
                      label="decision flips")
        axes[2].set_title("permuted attention (Jain & Wallace)")
        axes[2].legend(fontsize=7)
        for ax in axes:
            ax.set_xscale("log", base=2)
            ax.set_xlabel("text length T")
        ctx.save_figure(fig, "attention_vs_pooling")

        if examples:
            fig, axes = new_figure(len(examples), width=3.6, height=2.6)
            axes = axes if isinstance(axes, list) else [axes]
            for ax, (text, ex) in zip(axes, examples.items(), strict=True):
                ax.bar(range(len(ex["words"])), ex["weights"], color="#3a6ea5")
                ax.set_xticks(range(len(ex["words"])))
                ax.set_xticklabels(ex["words"])
                ax.set_ylim(0, 1)
                ax.set_title(f"\"{text}\"  P(pos)={ex['p_pos']:.2f}", fontsize=9)
            fig.suptitle("Attention-pooling weights of our RNN + attention model")
            ctx.save_figure(fig, "our_attention_examples")
