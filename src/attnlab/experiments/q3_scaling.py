"""q3: why are the attention scores scaled by 1/sqrt(d_k)?

The seed's argument: large differences between logits saturate the softmax (softmax([1, 2, 10]) puts
0.99954 on the largest) and then the gradients vanish. Three measurements:

1. The seed's number, and the softmax Jacobian at that point. With p = softmax(z),

   .. math:: J = \\partial p / \\partial z = \\operatorname{diag}(p) - p p^\\top,

   whose Frobenius norm goes to 0 as p approaches a one-hot vector: the gradient through the softmax
   vanishes.
2. At initialisation: a query q and T keys k_j with independent unit-variance components; the logits
   q.k_j (unscaled) or q.k_j / sqrt(d_k) (scaled) for d_k in 16 ... 1024. We report the largest softmax
   weight, the entropy of the weights and ||J||_F (built from the formula above), mean over queries and
   a 95% interval over seeds.
3. Training: the same Transformer encoder (one head of width d_k, attnlab's ``score="scaled_dot"`` vs
   ``score="dot"``) trained on associative recall at d_k in {16, 64, 256} over seeds; final accuracy and
   the mean training loss over the run (lower = learns faster), mean and 95% interval.

Verdict rule (in :func:`verdict_q3`): the saturation half is *measured* when the unscaled max weight at
the largest d_k is > 0.9 and its Jacobian norm is < 1/4 of the scaled one. Training decides between:
*confirmed* when unscaled training is worse at the largest trained d_k beyond the noise (the 95%
intervals of the accuracy do not overlap, or the loss intervals do not overlap); *qualified* when
saturation is measured but the training gap is within the noise (with Adam and LayerNorm the network can
compensate, so the harm is conditional); *refuted* when saturation is not reproduced.
"""

from __future__ import annotations

import math
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
    torch_threads,
)

__all__ = ["Q3Scaling", "init_saturation", "softmax_jacobian", "softmax_jacobian_norm", "verdict_q3"]

SATURATED_MAX_WEIGHT = 0.9
JACOBIAN_RATIO = 0.25
DEAD_JACOBIAN = 1e-2
_STATS = ("max_weight", "entropy", "jacobian_norm", "jacobian_norm_median", "dead_fraction", "logit_std")


def softmax_jacobian(p: torch.Tensor) -> torch.Tensor:
    """Jacobian of the softmax, :math:`J = \\operatorname{diag}(p) - p p^\\top`.

    Args:
        p: softmax probabilities, shape (..., T).

    Returns:
        (..., T, T) with ``J[..., i, j] = dp_i / dz_j``.
    """
    return torch.diag_embed(p) - p.unsqueeze(-1) * p.unsqueeze(-2)  # (..., T, T)


def softmax_jacobian_norm(p: torch.Tensor) -> torch.Tensor:
    """Frobenius norm of :func:`softmax_jacobian` (shape (...,))."""
    return torch.linalg.matrix_norm(softmax_jacobian(p), ord="fro")


def init_saturation(
    d_k: int, n_keys: int, n_queries: int, generator: torch.Generator, *, scaled: bool
) -> dict[str, float]:
    """Softmax statistics of q.k_j (/ sqrt(d_k) if ``scaled``) for unit-variance random q, k.

    Args:
        d_k: dimension of q and k.
        n_keys: number of keys T per query.
        n_queries: number of independent queries to average over.
        generator: random generator.
        scaled: divide the logits by sqrt(d_k).

    Returns:
        dict with ``max_weight`` (mean largest weight), ``entropy`` (mean entropy in nats, at most
        log T), ``jacobian_norm`` (mean ||diag(p) - p pᵀ||_F), ``jacobian_norm_median`` (its median over
        queries: the mean is carried by the few rows with near-tied logits), ``dead_fraction`` (share of
        queries whose ||J||_F is below 1e-2, i.e. whose scores get almost no gradient) and ``logit_std``.
    """
    q = torch.randn(n_queries, 1, d_k, generator=generator, dtype=torch.float64)  # (N, 1, D)
    k = torch.randn(n_queries, n_keys, d_k, generator=generator, dtype=torch.float64)  # (N, T, D)
    z = (q * k).sum(-1)  # (N, T)
    if scaled:
        z = z / math.sqrt(d_k)
    p = torch.softmax(z, dim=-1)  # (N, T)
    entropy = -(p * torch.log(p.clamp_min(1e-300))).sum(-1)
    jac = softmax_jacobian_norm(p)  # (N,)
    return {
        "max_weight": p.max(-1).values.mean().item(),
        "entropy": entropy.mean().item(),
        "jacobian_norm": jac.mean().item(),
        "jacobian_norm_median": jac.median().item(),
        "dead_fraction": (jac < DEAD_JACOBIAN).double().mean().item(),
        "logit_std": z.std().item(),
    }


def _disjoint(a: tuple[float, tuple[float, float]], b: tuple[float, tuple[float, float]]) -> bool:
    return a[1][1] < b[1][0] or b[1][1] < a[1][0]


def verdict_q3(
    *,
    d_sat: int,
    max_weight_unscaled: float,
    jac_unscaled: float,
    jac_scaled: float,
    d_train: int | None,
    acc_scaled: tuple[float, tuple[float, float]] | None,
    acc_unscaled: tuple[float, tuple[float, float]] | None,
    loss_scaled: tuple[float, tuple[float, float]] | None,
    loss_unscaled: tuple[float, tuple[float, float]] | None,
) -> tuple[str, str]:
    """q3's rule; returns ``(verdict, rule text with the numbers)``. See the module docstring."""
    ratio = jac_unscaled / jac_scaled if jac_scaled > 0 else float("inf")
    saturated = max_weight_unscaled > SATURATED_MAX_WEIGHT and ratio < JACOBIAN_RATIO
    sat_text = (
        f"at d_k={d_sat} unscaled max weight {max_weight_unscaled:.3f} (saturated if > {SATURATED_MAX_WEIGHT}), "
        f"median Jacobian norm ratio unscaled/scaled {ratio:.3g} (vanishing if < {JACOBIAN_RATIO})"
    )
    rule_tail = (
        "rule: refuted if saturation is not reproduced; confirmed if in addition unscaled training is "
        "worse at the largest d_k beyond the 95% intervals (accuracy or mean loss); qualified otherwise"
    )
    if not saturated:
        return "refuted", f"refuted: {sat_text}; {rule_tail}"
    if acc_scaled is None or acc_unscaled is None or loss_scaled is None or loss_unscaled is None:
        return "qualified", f"qualified: {sat_text}; training not measured; {rule_tail}"
    worse_acc = acc_unscaled[0] < acc_scaled[0] and _disjoint(acc_unscaled, acc_scaled)
    worse_loss = loss_unscaled[0] > loss_scaled[0] and _disjoint(loss_unscaled, loss_scaled)
    train_text = (
        f"training at d_k={d_train}: accuracy scaled {fmt_ci(*acc_scaled, digits=3)} vs unscaled "
        f"{fmt_ci(*acc_unscaled, digits=3)}, mean loss scaled {fmt_ci(*loss_scaled, digits=3)} vs unscaled "
        f"{fmt_ci(*loss_unscaled, digits=3)}"
    )
    verdict = "confirmed" if (worse_acc or worse_loss) else "qualified"
    return verdict, f"{verdict}: {sat_text}; {train_text}; {rule_tail}"


@register
class Q3Scaling(Experiment):
    qid = "q3"

    def run(self, ctx: RunContext) -> Result:
        # one thread on CPU: these models are small, and a single thread does not stall when the cores are shared
        with torch_threads(1 if ctx.device == "cpu" else None):
            return self._run(ctx)

    def _run(self, ctx: RunContext) -> Result:
        evidence: list[Evidence] = []
        # 1. the seed's number
        z = torch.tensor([1.0, 2.0, 10.0], dtype=torch.float64)
        p = torch.softmax(z, -1)
        top = p.max().item()
        jac_seed = softmax_jacobian_norm(p).item()
        jac_uniform = softmax_jacobian_norm(torch.full((3,), 1 / 3, dtype=torch.float64)).item()
        evidence.append(Evidence("softmax_top_1_2_10", top, None, "largest softmax weight",
                                 "seed: softmax([1,2,10]) -> 0.999541338035342"))
        evidence.append(Evidence("jacobian_norm_1_2_10", jac_seed, None, "||diag(p) - p pᵀ||_F at [1,2,10]",
                                 f"uniform p over 3: {jac_uniform:.4f}"))

        # 2. saturation at initialisation vs d_k
        dims = ctx.pick(tiny=[16, 64, 256], quick=[16, 32, 64, 128, 256, 512, 1024],
                        full=[16, 32, 64, 128, 256, 512, 1024])
        n_keys = 64
        n_queries = ctx.pick(tiny=64, quick=256, full=2048)
        stats: dict[str, dict[str, list[list[float]]]] = {
            mode: {m: [] for m in _STATS}
            for mode in ("scaled", "unscaled")
        }
        for seed in ctx.track(ctx.seeds, "softmax saturation vs d_k"):
            for mode in ("scaled", "unscaled"):
                g = torch.Generator().manual_seed(seed)  # same q, k for both modes
                rows = [init_saturation(d, n_keys, n_queries, g, scaled=mode == "scaled") for d in dims]
                for m in stats[mode]:
                    stats[mode][m].append([r[m] for r in rows])
        curves = {
            mode: {m: [mean_ci([s[i] for s in per]) for i in range(len(dims))] for m, per in ms.items()}
            for mode, ms in stats.items()
        }
        d_sat = dims[-1]
        for mode in ("unscaled", "scaled"):
            for m, unit in (("max_weight", "largest softmax weight"), ("entropy", "nats"),
                            ("jacobian_norm", "||diag(p) - p pᵀ||_F, mean over queries"),
                            ("jacobian_norm_median", "||diag(p) - p pᵀ||_F, median over queries"),
                            ("dead_fraction", f"share of queries with ||J||_F < {DEAD_JACOBIAN:g}")):
                mean, ci = curves[mode][m][-1]
                anchor = None
                if m == "entropy":
                    anchor = f"uniform over {n_keys} keys: log {n_keys} = {math.log(n_keys):.3f}"
                evidence.append(Evidence(f"init_{m}_{mode}_dk{d_sat}", mean, ci, unit, anchor))
        evidence.append(Evidence("init_dims", list(dims), None, "d_k", None))
        for mode in ("unscaled", "scaled"):
            evidence.append(Evidence(f"init_max_weight_{mode}", [c[0] for c in curves[mode]["max_weight"]],
                                     None, "largest weight per d_k", None))
            evidence.append(Evidence(f"init_jacobian_norm_median_{mode}",
                                     [c[0] for c in curves[mode]["jacobian_norm_median"]], None,
                                     "median ||J||_F per d_k", None))

        # 3. training with and without scaling
        train = self._train(ctx)
        evidence.extend(train["evidence"])

        self._plot(ctx, dims, curves, train)
        real, reason = real_model_evidence(self.qid, ctx)
        if real is not None:
            evidence.extend(real.evidence)
            ctx.figures.extend(f for f in real.figures if f not in ctx.figures)
            real_text = " Real model: " + real.summary
        else:
            real_text = " " + reason + "."

        d_train = train["dims"][-1] if train["dims"] else None
        verdict, rule = verdict_q3(
            d_sat=d_sat,
            max_weight_unscaled=curves["unscaled"]["max_weight"][-1][0],
            jac_unscaled=curves["unscaled"]["jacobian_norm_median"][-1][0],
            jac_scaled=curves["scaled"]["jacobian_norm_median"][-1][0],
            d_train=d_train,
            acc_scaled=train["acc"]["scaled"][-1] if d_train else None,
            acc_unscaled=train["acc"]["unscaled"][-1] if d_train else None,
            loss_scaled=train["loss"]["scaled"][-1] if d_train else None,
            loss_unscaled=train["loss"]["unscaled"][-1] if d_train else None,
        )
        mu, ms = curves["unscaled"], curves["scaled"]
        summary = (
            f"softmax([1,2,10]) puts {top:.5f} on the largest logit (the seed's 0.99954) and the softmax "
            f"Jacobian norm there is {jac_seed:.4f} vs {jac_uniform:.4f} for a uniform p. With unit-variance "
            f"q, k and {n_keys} keys, unscaled logits have std √d_k: at d_k={d_sat} the largest weight is "
            f"{mu['max_weight'][-1][0]:.3f} (scaled: {ms['max_weight'][-1][0]:.3f}), the entropy "
            f"{mu['entropy'][-1][0]:.2f} nats (scaled {ms['entropy'][-1][0]:.2f}, uniform {math.log(n_keys):.2f}) "
            f"and ||J||_F has median {mu['jacobian_norm_median'][-1][0]:.2g} (scaled "
            f"{ms['jacobian_norm_median'][-1][0]:.2g}; means {mu['jacobian_norm'][-1][0]:.3f} vs "
            f"{ms['jacobian_norm'][-1][0]:.3f}, carried by the rows with near-tied logits); "
            f"{mu['dead_fraction'][-1][0]:.0%} of unscaled queries have ||J||_F < {DEAD_JACOBIAN:g} "
            f"(scaled {ms['dead_fraction'][-1][0]:.0%}). "
            + train["summary"] + real_text
        )
        return self.make_result(
            ctx, verdict=verdict, rule=rule, summary=summary, evidence=evidence,
            config={"init_dims": dims, "n_keys": n_keys, "n_queries": n_queries, "train": train["config"]},
        )

    # ------------------------------------------------------------------------------------------ training
    def _train(self, ctx: RunContext) -> dict[str, Any]:
        from attnlab.data import make_task
        from attnlab.models import TransformerEncoder
        from attnlab.train import TrainConfig, train

        dims = ctx.pick(tiny=[16], quick=[16, 64, 256], full=[16, 64, 256, 512])
        steps = ctx.pick(tiny=20, quick=100, full=2000)
        task_kw = ctx.pick(tiny=dict(n_pairs=3, n_keys=8, n_values=8),
                           quick=dict(n_pairs=3, n_keys=8, n_values=8),
                           full=dict(n_pairs=6, n_keys=16, n_values=16))
        task = make_task("assoc_recall", **task_kw)
        cfg = TrainConfig(steps=steps, batch_size=ctx.pick(tiny=16, quick=32, full=64), lr=3e-3,
                          warmup=max(1, steps // 10), eval_batches=ctx.pick(tiny=1, quick=4, full=16),
                          device=ctx.device)
        acc: dict[str, list] = {"scaled": [], "unscaled": []}
        loss: dict[str, list] = {"scaled": [], "unscaled": []}
        curves: dict[str, list[list[float]]] = {}
        logit_std: dict[str, float] = {}
        jobs = [(d, mode) for d in dims for mode in ("scaled", "unscaled")]
        for d, mode in ctx.track(jobs, "training with/without scaling"):
            accs, losses, hist = [], [], []
            for seed in ctx.seeds:
                torch.manual_seed(seed)
                model = TransformerEncoder(
                    vocab_size=task.vocab_size, d_model=d, n_heads=1, n_layers=2, d_ff=d,
                    max_len=task.seq_len, n_outputs=task.n_classes,
                    score="scaled_dot" if mode == "scaled" else "dot",
                )
                if seed == ctx.seeds[0]:
                    logit_std[f"{d}_{mode}"] = _init_logit_std(model, task, seed, scaled=mode == "scaled")
                res = train(model, task, cfg, seed=seed, progress=False)
                accs.append(res.eval_accuracy)
                h = [float(x["loss"]) for x in res.history]
                losses.append(sum(h) / len(h))
                hist.append(h)
            acc[mode].append(mean_ci(accs))
            loss[mode].append(mean_ci(losses))
            n = min(len(h) for h in hist)
            curves[f"{d}_{mode}"] = [sum(h[i] for h in hist) / len(hist) for i in range(n)]

        evidence = []
        chance = task.chance_accuracy
        for i, d in enumerate(dims):
            for mode in ("scaled", "unscaled"):
                evidence.append(Evidence(f"train_acc_{mode}_dk{d}", acc[mode][i][0], acc[mode][i][1],
                                         "accuracy (associative recall)", f"chance {chance:.3f}"))
                evidence.append(Evidence(f"train_mean_loss_{mode}_dk{d}", loss[mode][i][0], loss[mode][i][1],
                                         "mean training loss over the run", None))
        for key, v in logit_std.items():
            d, mode = key.split("_")
            ref = math.sqrt(int(d)) if mode == "unscaled" else 1.0
            evidence.append(Evidence(f"model_init_logit_std_{mode}_dk{d}", v, None,
                                     "std of attention logits at init (attnlab encoder, block 1)",
                                     f"unit-variance q, k would give {ref:.3g}"))
        parts = []
        for i, d in enumerate(dims):
            parts.append(
                f"d_k={d}: accuracy {fmt_ci(*acc['scaled'][i], digits=3)} scaled vs "
                f"{fmt_ci(*acc['unscaled'][i], digits=3)} unscaled (mean loss {acc_fmt(loss['scaled'][i])} vs "
                f"{acc_fmt(loss['unscaled'][i])})"
            )
        summary = (
            f"Training a 2-layer, 1-head encoder (AdamW, pre-LN) on associative recall for {steps} steps over "
            f"{len(ctx.seeds)} seeds: " + "; ".join(parts) + "."
        )
        return {
            "dims": dims, "acc": acc, "loss": loss, "curves": curves, "evidence": evidence, "summary": summary,
            "config": {"task": task.config(), "steps": steps, "dims": dims, "n_layers": 2, "n_heads": 1, "d_ff": "d_k",
                       "batch_size": cfg.batch_size, "lr": cfg.lr},
        }

    @staticmethod
    def _plot(ctx: RunContext, dims: list[int], curves: dict, train: dict) -> None:
        from attnlab.report.plots import errorbar_line, new_figure

        fig, axes = new_figure(3, width=4.2)
        for mode, style in (("unscaled", "-"), ("scaled", "--")):
            for ax, m, label in zip(axes, ("max_weight", "entropy", "jacobian_norm_median"),
                                    ("largest softmax weight", "entropy (nats)", "median ||diag(p) - p pᵀ||_F"),
                                    strict=True):
                errorbar_line(ax, dims, [c[0] for c in curves[mode][m]], [c[1] for c in curves[mode][m]],
                              label=f"{mode}", linestyle=style)
                ax.set_xscale("log", base=2)
                ax.set_xlabel("d_k")
                ax.set_title(label)
        axes[2].set_yscale("log")
        axes[0].legend()
        fig.suptitle("Softmax at initialisation: q·k vs q·k/√d_k (64 keys)")
        ctx.save_figure(fig, "saturation_vs_dk")

        if train["curves"]:
            fig, axes = new_figure(len(train["dims"]), width=4.0)
            axes = axes if isinstance(axes, list) else [axes]
            for ax, d in zip(axes, train["dims"], strict=True):
                for mode, style in (("scaled", "--"), ("unscaled", "-")):
                    h = train["curves"][f"{d}_{mode}"]
                    ax.plot(range(1, len(h) + 1), h, style, label=mode)
                ax.set_title(f"d_k = {d}")
                ax.set_xlabel("step")
                ax.set_ylabel("training loss (mean over seeds)")
                ax.legend()
            fig.suptitle("Training with and without 1/√d_k")
            ctx.save_figure(fig, "training_curves")


def acc_fmt(m: tuple[float, tuple[float, float]]) -> str:
    return fmt_ci(*m, digits=3)


def _init_logit_std(model: Any, task: Any, seed: int, *, scaled: bool) -> float:
    """Std of the first block's attention logits at initialisation, computed from its projections.

    z_ij = q_i.k_j (divided by sqrt(D) when ``scaled``) with q = W_Q LN(x), k = W_K LN(x) of the first
    pre-LN block, over a batch of task inputs (all heads pooled).
    """
    batch = task.sample(32, torch.Generator().manual_seed(10_000 + seed))
    block = model.layers[0]
    attn = block.attn
    with torch.no_grad():
        x = model.embed(batch.inputs)  # (B, T, C)
        h = block.norm1(x) if block.norm_first else x
        q = attn.q_proj(h)  # (B, T, C)
        k = (attn.k_proj or attn.q_proj)(h)  # (B, T, C)
        B, T, _ = q.shape
        q = q.view(B, T, attn.n_heads, attn.head_dim).transpose(1, 2)  # (B, H, T, D)
        k = k.view(B, T, attn.n_heads, attn.head_dim).transpose(1, 2)  # (B, H, T, D)
        z = q @ k.transpose(-1, -2)  # (B, H, T, T)
        if scaled:
            z = z / math.sqrt(attn.head_dim)
    return z.std().item()
