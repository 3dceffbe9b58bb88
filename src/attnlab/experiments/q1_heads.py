"""q1: why multi-head attention?

The seed's answer: heads form sub-spaces that attend to different things (an internal ensemble), but more
heads is not always better, sometimes one head is already enough, and many heads can be removed. Measured:

1. **Accuracy vs number of heads at fixed width.** The same Transformer encoder (``d_model`` fixed, so the
   head width is ``d_model / h``) trained on the multi-relation task (each output needs the symbols at
   offsets -1 and +2 and the first token at once, so heads have something to specialise in) for
   h in {1, 2, 4, 8, 16}; token accuracy, mean and 95% interval over seeds. Set beside Vaswani et al. 2017
   Table 3 rows (A).
2. **Head importance and pruning without retraining** (Michel et al. 2019) on the h=8 models: the
   importance of head h is :math:`I_h = \\mathbb{E}_x |\\partial L(x) / \\partial \\xi_h|` with
   :math:`\\xi` the ``head_mask`` of :class:`~attnlab.attention.MultiHeadAttention`, normalised per layer
   (:func:`attnlab.analysis.heads.head_importance`); heads are then gated off least-important first, or in
   random order, and the accuracy is measured on held-out batches at each fraction pruned.
3. **What heads do**: per-head attention entropy and mean attention distance
   :math:`\\sum_j a_{ij} |i - j|`, the offset each head attends to most, and the mean attention maps.
4. The same importance and pruning on a real pretrained model, when its weights are installed
   (:func:`attnlab.analysis.real_model.evidence_for`).

Verdict rule (:func:`verdict_q1`), with ``tol_more = 0.01`` and ``tol_one = 0.02`` (accuracy) and
``min_prunable = 0.2`` (Michel et al.'s ~20% of WMT heads):

- claim A "more heads is not always better" holds when the most heads tested is not better than the best
  smaller head count by more than ``tol_more``;
- claim B "many heads can be removed" holds when, pruning in importance order, the mean fraction of heads
  that can be gated off with accuracy staying within ``prune_tol = 0.02`` of the unpruned model is
  >= ``min_prunable`` (rounded to whole heads: 3 of 16);
- claim C "one head can be enough" holds when h=1 is within ``tol_one`` of the best head count.

*confirmed* when A, B and C hold; *qualified* when A or B holds (the failing parts are named);
*refuted* when neither A nor B holds.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F

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

__all__ = ["Q1Heads", "attention_stats", "head_role", "prunable_fraction", "verdict_q1"]

TOL_MORE = 0.01  # claim A: h_max may beat the best smaller h by at most this much (accuracy)
TOL_ONE = 0.02  # claim C: h=1 within this of the best head count
PRUNE_TOL = 0.02  # a pruned model "keeps" its accuracy when within this of the unpruned one
MIN_PRUNABLE = 0.2  # claim B: fraction of heads prunable (Michel et al. 2019: ~20% of WMT heads)

VASWANI_A = {1: 24.9, 4: 25.5, 8: 25.8, 16: 25.8, 32: 25.4}  # Table 3 rows (A), BLEU, EN-DE dev
VASWANI_ANCHOR = "Vaswani et al. 2017 Table 3 (A), BLEU: " + ", ".join(f"h={h} {b}" for h, b in VASWANI_A.items())
MICHEL_ANCHOR = ("Michel et al. 2019: ~20% of WMT (Transformer-large) heads and ~40% of BERT heads prunable "
                 "without notable loss")

_PROFILES: dict[str, dict[str, Any]] = {
    "tiny": dict(heads=[1, 2, 4], prune_heads=4, d_model=16, n_layers=2, steps=12, batch_size=32, lr=3e-3,
                 length=8, n_symbols=3, eval_batches=1, imp_batches=1, n_random=2),
    "quick": dict(heads=[1, 2, 4, 8, 16], prune_heads=8, d_model=64, n_layers=2, steps=500, batch_size=64,
                  lr=3e-3, length=16, n_symbols=4, eval_batches=4, imp_batches=4, n_random=3),
    "full": dict(heads=[1, 2, 4, 8, 16, 32], prune_heads=8, d_model=128, n_layers=2, steps=2000, batch_size=128,
                 lr=2e-3, length=24, n_symbols=4, eval_batches=16, imp_batches=16, n_random=10),
}


# ----------------------------------------------------------------------------------------------------
# Analysis helpers
# ----------------------------------------------------------------------------------------------------


def attention_stats(weights: torch.Tensor) -> dict[str, torch.Tensor]:
    """Per-head statistics of attention weights.

    .. math::
        \\mathrm{entropy}_h = -\\frac{1}{BT}\\sum_{b,i}\\sum_j a_{bhij}\\log a_{bhij},\\qquad
        \\mathrm{distance}_h = \\frac{1}{BT}\\sum_{b,i}\\sum_j a_{bhij}\\,|i - j|

    Args:
        weights: (B, H, T, T) attention weights of one layer (rows sum to 1).

    Returns:
        ``{"entropy": (H,), "distance": (H,), "offset_mass": (H, 2T-1), "first_mass": (H,)}`` where
        ``offset_mass[h, T-1+o]`` is the mean weight on key ``i + o`` and ``first_mass`` the mean weight on
        key 0.
    """
    if weights.dim() != 4 or weights.shape[-1] != weights.shape[-2]:
        raise ValueError(f"weights: expected (B, H, T, T), got {tuple(weights.shape)}")
    b, h, t, _ = weights.shape
    w = weights.double()
    ent = -(w * torch.log(w.clamp_min(1e-30))).sum(-1).mean(dim=(0, 2))  # (H,)
    pos = torch.arange(t, dtype=torch.float64)
    offset = pos[None, :] - pos[:, None]  # (T, T): key j minus query i
    dist = (w * offset.abs()).sum(-1).mean(dim=(0, 2))  # (H,)
    mean_map = w.mean(0)  # (H, T, T)
    idx = (offset + (t - 1)).long()  # (T, T) in [0, 2T-2]
    mass = torch.zeros(h, 2 * t - 1, dtype=torch.float64)
    mass.index_add_(1, idx.flatten(), mean_map.reshape(h, t * t))
    mass = mass / t  # mean over query positions
    first = mean_map[:, :, 0].mean(-1)  # (H,)
    return {"entropy": ent.float(), "distance": dist.float(), "offset_mass": mass.float(), "first_mass": first.float()}


def head_role(offset_mass: torch.Tensor, first_mass: float, threshold: float = 0.5) -> str:
    """A short label for a head: the relative offset (or "first") holding > ``threshold`` of its weight."""
    t = (offset_mass.numel() + 1) // 2
    o = int(offset_mass.argmax())
    if first_mass > threshold and first_mass >= float(offset_mass.max()):
        return "first"
    if float(offset_mass[o]) > threshold:
        return f"{o - (t - 1):+d}"
    return "mixed"


def prunable_fraction(fractions: list[float], accs: list[float], tol: float = PRUNE_TOL) -> float:
    """Largest fraction f such that every curve point up to f keeps accuracy >= acc(0) - ``tol``.

    Args:
        fractions: increasing fractions of heads pruned, starting at 0.
        accs: accuracy at each fraction.
        tol: allowed accuracy drop.
    """
    if len(fractions) != len(accs) or not fractions:
        raise ValueError(f"fractions, accs: expected equal non-empty lists, got {len(fractions)} and {len(accs)}")
    base = accs[0]
    best = 0.0
    for f, a in zip(fractions, accs, strict=True):
        if a < base - tol:
            break
        best = f
    return float(best)


def verdict_q1(
    heads: list[int],
    acc_means: list[float],
    prunable_mean: float,
    *,
    tol_more: float = TOL_MORE,
    tol_one: float = TOL_ONE,
    min_prunable: float = MIN_PRUNABLE,
    n_heads_total: int = 0,
) -> tuple[str, str]:
    """The q1 verdict from accuracy per head count and the mean prunable fraction (see module docstring).

    Args:
        heads: head counts, increasing (must include 1 for claim C; otherwise C is "not tested").
        acc_means: mean accuracy per head count.
        prunable_mean: mean fraction of heads prunable in importance order.
        n_heads_total: number of heads in the pruned model; the threshold ``min_prunable`` is rounded to a
            whole number of heads (``round(min_prunable * n) / n``, e.g. 3/16 for 20% of 16 heads). 0 means
            no rounding.

    Returns:
        ``(verdict, rule)``; the rule states the numbers it was applied to.
    """
    if len(heads) != len(acc_means) or len(heads) < 2:
        raise ValueError(f"heads, acc_means: expected equal lists of >= 2 entries, got {heads}, {acc_means}")
    best_i = max(range(len(heads)), key=lambda i: acc_means[i])
    best_smaller = max(acc_means[:-1])
    gain_more = acc_means[-1] - best_smaller
    a_holds = gain_more <= tol_more
    need = round(min_prunable * n_heads_total) / n_heads_total if n_heads_total else min_prunable
    b_holds = prunable_mean >= need - 1e-9
    c_holds = 1 in heads and acc_means[heads.index(1)] >= acc_means[best_i] - tol_one
    gap_one = acc_means[best_i] - acc_means[heads.index(1)] if 1 in heads else math.nan
    if a_holds and b_holds and c_holds:
        verdict = "confirmed"
    elif a_holds or b_holds:
        verdict = "qualified"
    else:
        verdict = "refuted"
    rule = (
        f"{verdict}: A (more heads not always better) {'holds' if a_holds else 'fails'}: "
        f"acc(h={heads[-1]}) - best acc(h<{heads[-1]}) = {gain_more:+.3f} (rule: <= {tol_more}); "
        f"B (many heads prunable) {'holds' if b_holds else 'fails'}: mean prunable fraction "
        f"{prunable_mean:.3f} within {PRUNE_TOL} accuracy (rule: >= {min_prunable} of the heads, rounded to whole "
        f"heads: {need:.3f}); "
        f"C (one head enough) {'holds' if c_holds else 'fails'}: best h={heads[best_i]} beats h=1 by "
        f"{gap_one:.3f} (rule: <= {tol_one}). Rule: confirmed if A, B and C hold; qualified if A or B holds; "
        f"refuted otherwise."
    )
    return verdict, rule


# ----------------------------------------------------------------------------------------------------
# The experiment
# ----------------------------------------------------------------------------------------------------


@register
class Q1Heads(Experiment):
    qid = "q1"

    def run(self, ctx: RunContext) -> Result:
        real = real_model_evidence(self.qid, ctx)  # outside single_thread: the real model is larger
        with single_thread(ctx):
            return self._run(ctx, real)

    def _run(self, ctx: RunContext, real_and_reason: tuple[Any, str]) -> Result:
        from attnlab.analysis.heads import head_importance, importance_order, pruning_curve, random_order
        from attnlab.data import make_task
        from attnlab.models import TransformerEncoder
        from attnlab.train import TrainConfig, evaluate, train

        p = _PROFILES[ctx.profile]
        task = make_task("multi_relation", length=p["length"], n_symbols=p["n_symbols"])
        cfg = TrainConfig(steps=p["steps"], batch_size=p["batch_size"], lr=p["lr"], warmup=max(1, p["steps"] // 10),
                          eval_batches=p["eval_batches"], device=ctx.device)
        heads: list[int] = p["heads"]
        if p["prune_heads"] not in heads:
            raise ValueError(f"prune_heads: expected one of {heads}, got {p['prune_heads']}")

        # 1. accuracy vs heads -------------------------------------------------------------------------
        acc: dict[int, list[float]] = {h: [] for h in heads}
        pruned_models: dict[int, Any] = {}
        jobs = [(h, s) for h in heads for s in ctx.seeds]
        for h, seed in ctx.track(jobs, "accuracy vs heads"):
            torch.manual_seed(seed)
            model = TransformerEncoder(vocab_size=task.vocab_size, d_model=p["d_model"], n_heads=h,
                                       n_layers=p["n_layers"], max_len=task.seq_len, n_outputs=task.n_classes)
            res = train(model, task, cfg, seed=seed, progress=False)
            model.cpu()  # the analyses below run on CPU whatever device trained the model
            acc[h].append(res.eval_accuracy)
            if h == p["prune_heads"]:
                pruned_models[seed] = model.eval()
        acc_ci = {h: mean_ci(acc[h]) for h in heads}

        # 2. head importance and pruning curves (Michel et al. 2019) ------------------------------------
        L, H = p["n_layers"], p["prune_heads"]
        total = L * H
        fractions = [k / total for k in range(total)]
        imp_curves, rnd_curves, prunable, importances = [], [], [], []
        stats_layers: list[dict[str, torch.Tensor]] = []
        maps = None
        for seed in ctx.track(ctx.seeds, "head importance and pruning"):
            model = pruned_models[seed]
            g = torch.Generator().manual_seed(50_000 + seed)  # importance batches: disjoint from eval batches
            batches = [task.sample(p["batch_size"], g) for _ in range(p["imp_batches"])]

            def loss_fn(batch: Any, mask: torch.Tensor, model: Any = model) -> torch.Tensor:
                logits = model(batch.inputs, head_mask=mask.permute(1, 0, 2)).logits  # mask (L, B, H)
                ce = F.cross_entropy(logits.transpose(1, 2), batch.targets, reduction="none")  # (B, T)
                valid = (batch.targets != -100).to(ce.dtype)
                return (ce * valid).sum(1) / valid.sum(1).clamp_min(1.0)  # (B,)

            imp = head_importance(loss_fn, batches, L, H, per_example=True,
                                  objective="token cross-entropy on the multi-relation task")
            importances.append(imp.normalized)

            def quality(mask: torch.Tensor, model: Any = model, seed: int = seed) -> dict[str, float]:
                m = evaluate(model, task, n_batches=p["eval_batches"], batch_size=p["batch_size"],
                             seed=90_000 + seed, forward_kwargs={"head_mask": mask})
                return {"accuracy": m["accuracy"]}

            curve = [pt.metrics["accuracy"] for pt in
                     pruning_curve(quality, importance_order(imp.normalized), L, H, fractions)]
            imp_curves.append(curve)
            prunable.append(prunable_fraction(fractions, curve))
            rnd = []
            for r in range(p["n_random"]):
                order = random_order(L, H, seed=1000 * seed + r)
                rnd.append([pt.metrics["accuracy"] for pt in pruning_curve(quality, order, L, H, fractions)])
            rnd_curves.append([sum(c[i] for c in rnd) / len(rnd) for i in range(len(fractions))])

            # 3. head statistics on held-out inputs
            with torch.no_grad():
                batch = task.sample(p["batch_size"], torch.Generator().manual_seed(70_000 + seed))
                att = model(batch.inputs, need_weights=True).attentions  # list of (B, H, T, T)
            stats_layers.append({k: torch.stack([attention_stats(a)[k] for a in att])
                                 for k in ("entropy", "distance", "first_mass")})
            stats_layers[-1]["offset_mass"] = torch.stack([attention_stats(a)["offset_mass"] for a in att])
            if maps is None:
                maps = [a.mean(0) for a in att]  # per layer (H, T, T), seed 0

        prunable_ci = mean_ci(prunable)
        rnd_prunable_ci = mean_ci([prunable_fraction(fractions, c) for c in rnd_curves])
        imp_curve_ci = [mean_ci([c[i] for c in imp_curves]) for i in range(len(fractions))]
        rnd_curve_ci = [mean_ci([c[i] for c in rnd_curves]) for i in range(len(fractions))]
        ent = torch.stack([s["entropy"] for s in stats_layers]).mean(0)  # (L, H) mean over seeds
        dist = torch.stack([s["distance"] for s in stats_layers]).mean(0)  # (L, H)
        s0 = stats_layers[0]
        roles = [[head_role(s0["offset_mass"][li, hi], float(s0["first_mass"][li, hi])) for hi in range(H)]
                 for li in range(L)]
        imp_mean = torch.stack(importances).mean(0)  # (L, H)

        # 4. verdict, evidence, figures ------------------------------------------------------------------
        verdict, rule = verdict_q1(heads, [acc_ci[h][0] for h in heads], prunable_ci[0], n_heads_total=total)
        chance = task.chance_accuracy
        evidence: list[Evidence] = []
        for h in heads:
            anchor = f"Vaswani et al. 2017 Table 3 (A): h={h} {VASWANI_A[h]} BLEU" if h in VASWANI_A else None
            evidence.append(Evidence(f"acc_h{h}", acc_ci[h][0], acc_ci[h][1],
                                     f"token accuracy, multi-relation task (chance {chance:.3f})", anchor))
        evidence.append(Evidence("acc_vs_heads", [acc_ci[h][0] for h in heads], None,
                                 f"mean accuracy for h = {heads}", VASWANI_ANCHOR))
        best_h = max(heads, key=lambda h: acc_ci[h][0])
        evidence.append(Evidence("best_heads", float(best_h), None, "head count with the best mean accuracy",
                                 "Vaswani et al. 2017: best h=8 and h=16 (25.8), h=32 worse (25.4)"))
        evidence.append(Evidence("prunable_fraction_importance", prunable_ci[0], prunable_ci[1],
                                 f"fraction of the {total} heads (h={H}) prunable within {PRUNE_TOL} accuracy, "
                                 "importance order, no retraining", MICHEL_ANCHOR))
        evidence.append(Evidence("prunable_fraction_random", rnd_prunable_ci[0], rnd_prunable_ci[1],
                                 f"same, random order (mean of {p['n_random']} orders per seed)", None))
        evidence.append(Evidence("pruning_curve_importance", [c[0] for c in imp_curve_ci], None,
                                 f"accuracy at fractions {[round(f, 3) for f in fractions]}", MICHEL_ANCHOR))
        evidence.append(Evidence("pruning_curve_random", [c[0] for c in rnd_curve_ci], None,
                                 "accuracy at the same fractions, random order", None))
        evidence.append(Evidence("head_importance", imp_mean.tolist(), None,
                                 "I_h normalised per layer (L x H), mean over seeds", "Michel et al. 2019 eq. (2)"))
        evidence.append(Evidence("head_entropy", ent.tolist(), None, "nats per head (L x H), mean over seeds",
                                 f"uniform over {task.seq_len} keys: {math.log(task.seq_len):.2f}"))
        evidence.append(Evidence("head_mean_distance", dist.tolist(), None,
                                 "mean attention distance |i - j| per head (L x H), mean over seeds", None))
        evidence.append(Evidence("head_roles_seed0", [", ".join(r) for r in roles], None,
                                 "offset (or 'first') holding > 0.5 of each head's weight, per layer",
                                 "task relations: offsets -1, +2 and the first token"))

        real, reason = real_and_reason
        if real is not None:
            evidence.extend(real.evidence)
            for f in real.figures:
                if f not in ctx.figures:
                    ctx.figures.append(f)
            real_text = " Real model: " + real.summary
        else:
            real_text = " " + reason + "."

        self._plot(ctx, heads, acc_ci, fractions, imp_curve_ci, rnd_curve_ci, ent, dist, imp_mean, maps, chance)

        acc_text = ", ".join(f"h={h}: {fmt_ci(*acc_ci[h], digits=3)}" for h in heads)
        n_roles = {r for row in roles for r in row if r != "mixed"}
        summary = (
            f"A {p['n_layers']}-layer encoder with d_model={p['d_model']} trained {p['steps']} steps on the "
            f"multi-relation task (3 relations per output, chance {chance:.3f}), {len(ctx.seeds)} seeds: {acc_text}. "
            f"Best h={best_h}. Pruning the h={H} models ({total} heads) by Michel et al. importance without "
            f"retraining keeps accuracy within {PRUNE_TOL} up to {fmt_ci(*prunable_ci)} of the heads "
            f"(random order: {fmt_ci(*rnd_prunable_ci)}). Heads specialise: in seed {ctx.seeds[0]} the dominant "
            f"relations are {sorted(n_roles) or 'none'} (per layer: "
            + "; ".join(f"layer {i + 1}: {', '.join(r)}" for i, r in enumerate(roles))
            + f"), mean attention distance {dist.min():.2f}-{dist.max():.2f}, entropy {ent.min():.2f}-{ent.max():.2f} "
            "nats." + real_text
        )
        config = {
            "task": task.config(), "heads": heads, "prune_heads": H, "d_model": p["d_model"],
            "n_layers": p["n_layers"], "steps": p["steps"], "batch_size": p["batch_size"], "lr": p["lr"],
            "eval_batches": p["eval_batches"], "importance_batches": p["imp_batches"],
            "random_orders": p["n_random"], "prune_tol": PRUNE_TOL,
        }
        return self.make_result(ctx, verdict=verdict, rule=rule, summary=summary, evidence=evidence, config=config)

    @staticmethod
    def _plot(ctx: RunContext, heads: list[int], acc_ci: dict, fractions: list[float], imp_ci: list, rnd_ci: list,
              ent: torch.Tensor, dist: torch.Tensor, imp: torch.Tensor, maps: list[torch.Tensor] | None,
              chance: float) -> None:
        from attnlab.report.plots import errorbar_line, new_figure

        def clip(ci: tuple[float, float]) -> tuple[float, float]:  # accuracy bands drawn within [0, 1]
            return (max(0.0, ci[0]), min(1.0, ci[1]))

        fig, axes = new_figure(2, width=4.4)
        errorbar_line(axes[0], heads, [acc_ci[h][0] for h in heads], [clip(acc_ci[h][1]) for h in heads],
                      label="ours")
        axes[0].axhline(chance, color="grey", linestyle=":", label="chance")
        axes[0].set_xscale("log", base=2)
        axes[0].set_xlabel("heads h (d_model fixed)")
        axes[0].set_ylabel("token accuracy")
        axes[0].set_title("Multi-relation task")
        axes[0].legend()
        hs = list(VASWANI_A)
        axes[1].plot(hs, [VASWANI_A[h] for h in hs], "o-", color="#555")
        axes[1].set_xscale("log", base=2)
        axes[1].set_xlabel("heads h")
        axes[1].set_ylabel("BLEU (EN-DE dev)")
        axes[1].set_title("Vaswani et al. 2017, Table 3 (A)")
        ctx.save_figure(fig, "accuracy_vs_heads")

        fig, ax = new_figure(1, width=5.0)
        errorbar_line(ax, fractions, [c[0] for c in imp_ci], [clip(c[1]) for c in imp_ci], label="importance order")
        errorbar_line(ax, fractions, [c[0] for c in rnd_ci], [clip(c[1]) for c in rnd_ci], label="random order",
                      linestyle="--")
        ax.axvline(0.2, color="grey", linestyle=":", label="Michel et al.: ~20% (WMT)")
        ax.axvline(0.4, color="grey", linestyle="-.", label="Michel et al.: ~40% (BERT)")
        ax.set_xlabel("fraction of heads pruned (no retraining)")
        ax.set_ylabel("token accuracy")
        ax.set_title("Pruning heads (Michel et al. 2019 importance)")
        ax.legend(fontsize=7)
        ctx.save_figure(fig, "pruning_curve")

        fig, axes = new_figure(3, width=3.6)
        for ax, mat, title in zip(axes, (imp, ent, dist), ("importance (per-layer norm.)", "entropy (nats)",
                                                             "mean attention distance"), strict=True):
            im = ax.imshow(mat.numpy(), aspect="auto", cmap="viridis")
            ax.set_xlabel("head")
            ax.set_ylabel("layer")
            ax.set_yticks(range(mat.shape[0]))
            ax.set_title(title)
            fig.colorbar(im, ax=ax, shrink=0.8)
        ctx.save_figure(fig, "head_statistics")

        if maps:
            n_l, n_h = len(maps), maps[0].shape[0]
            fig, axes = new_figure(n_h, width=1.7, height=1.8, nrows=n_l)
            axes = axes if isinstance(axes, list) else [axes]
            for li, m in enumerate(maps):
                for hi in range(n_h):
                    ax = axes[li * n_h + hi]
                    ax.imshow(m[hi].numpy(), cmap="Blues", vmin=0.0)
                    ax.set_xticks([])
                    ax.set_yticks([])
                    ax.set_title(f"L{li + 1} H{hi + 1}", fontsize=7)
            fig.suptitle("Mean attention maps (query rows, key columns), seed 0")
            ctx.save_figure(fig, "attention_maps")
