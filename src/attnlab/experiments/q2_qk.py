"""q2: why different W_Q and W_K; why not one matrix (a token's dot product with itself)?

The seed's answer: separate projections add expressive power, which often helps in practice. Three
variants of the same Transformer encoder are trained on two tasks:

- ``separate``: the usual W_Q != W_K, scores :math:`S = (X W_Q)(X W_K)^\\top`, any bilinear form;
- ``shared``: ``shared_qk=True`` (W_Q = W_K = W), so :math:`S = X W W^\\top X^\\top` is symmetric and
  positive semi-definite per head: :math:`S_{ii} + S_{jj} \\ge 2 S_{ij}`, a token is never more similar to
  another token than to itself on average (cf. Reformer's shared-QK attention, which must forbid
  attending to oneself);
- ``none``: no query/key projection at all, q = k = x (the layer-normed input split into heads): the
  shared module with W_Q fixed to the identity and its bias to zero (frozen).

Tasks (:mod:`attnlab.data`): ``follow`` ("output the token that follows the marked one": the mark must
attend to its right neighbour, an asymmetric relation) and ``match`` ("does the query token occur in the
text": the query must find the same token, a symmetric relation). Measured: token accuracy (mean and 95%
interval over seeds, and the paired difference separate - shared), the symmetry of the score matrix
:math:`\\|S - S^\\top\\|_F / \\|S\\|_F` (0 for a symmetric S; about sqrt(2) for an unrelated pair), the
attention mass on the diagonal (a token attending to itself), and the symmetric share
:math:`\\|(M + M^\\top)/2\\|^2 / \\|M\\|^2` of :math:`M = W_Q W_K^\\top` per head
(:func:`attnlab.analysis.geometry.model_qk_symmetry`; 1 when shared, about 0.5 for random matrices), also
for a real pretrained model when its weights are installed.

Verdict rule (:func:`verdict_q2`), ``delta = 0.05`` accuracy: separate projections *help* on a task when
the mean paired gain separate - shared is >= ``delta``. *confirmed* when they help on both tasks;
*qualified* when they help on exactly one (the condition is named: an asymmetric relation); *refuted*
when they help on neither.
"""

from __future__ import annotations

from typing import Any

import torch
from einops import rearrange

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

__all__ = ["Q2QK", "VARIANTS", "build_model", "score_symmetry", "verdict_q2"]

DELTA = 0.05  # accuracy gain of separate over shared projections that counts as "helps"
VARIANTS = ("separate", "shared", "none")
TASKS = ("follow", "match")  # asymmetric, symmetric

_PROFILES: dict[str, dict[str, Any]] = {
    "tiny": dict(d_model=16, n_heads=2, n_layers=1, steps=10, batch_size=32, lr=3e-3, eval_batches=1,
                 follow=dict(length=8, n_symbols=6), match=dict(length=6, n_symbols=10)),
    "quick": dict(d_model=32, n_heads=2, n_layers=2, steps=200, batch_size=64, lr=3e-3, eval_batches=4,
                  follow=dict(length=12, n_symbols=8), match=dict(length=12, n_symbols=32)),
    "full": dict(d_model=64, n_heads=4, n_layers=2, steps=2000, batch_size=128, lr=2e-3, eval_batches=16,
                 follow=dict(length=32, n_symbols=32), match=dict(length=24, n_symbols=64)),
}


def build_model(variant: str, *, vocab_size: int, n_classes: int, max_len: int, d_model: int, n_heads: int,
                n_layers: int) -> torch.nn.Module:
    """A :class:`~attnlab.models.TransformerEncoder` with the query/key projections of ``variant``.

    Args:
        variant: ``"separate"`` (W_Q, W_K), ``"shared"`` (``shared_qk=True``) or ``"none"`` (shared, with
            W_Q frozen to the identity and a zero bias, so q = k = the block's normalised input).
    """
    from attnlab.models import TransformerEncoder

    if variant not in VARIANTS:
        raise ValueError(f"variant: expected one of {VARIANTS}, got {variant!r}")
    model = TransformerEncoder(vocab_size=vocab_size, d_model=d_model, n_heads=n_heads, n_layers=n_layers,
                               max_len=max_len, n_outputs=n_classes, shared_qk=variant != "separate")
    if variant == "none":
        with torch.no_grad():
            for layer in model.layers:
                proj = layer.attn.q_proj
                proj.weight.copy_(torch.eye(d_model))
                proj.weight.requires_grad_(False)
                if proj.bias is not None:
                    proj.bias.zero_()
                    proj.bias.requires_grad_(False)
    return model


@torch.no_grad()
def score_symmetry(model: torch.nn.Module, inputs: torch.Tensor) -> dict[str, float]:
    """Symmetry of the raw scores and diagonal attention mass of every layer of a Transformer encoder.

    For each layer, the block's attention input x is captured with a forward pre-hook, the scores
    :math:`S_h = \\mathrm{score}(x W_{Q,h}, x W_{K,h})` are formed with the module's own score function,
    and :math:`\\|S_h - S_h^\\top\\|_F / \\|S_h\\|_F` is averaged over examples and heads. The diagonal mass is
    the mean of :math:`a_{ii}` of the attention weights.

    Args:
        model: a TransformerEncoder (``model.layers[i].attn`` is a MultiHeadAttention).
        inputs: (B, T) token ids.

    Returns:
        ``{"asym": mean ratio over layers, "diag": mean diagonal mass over layers, "asym_l{i}", "diag_l{i}"}``.
    """
    captured: list[torch.Tensor] = []
    hooks = [layer.attn.register_forward_pre_hook(lambda m, args: captured.append(args[0]))
             for layer in model.layers]
    try:
        out = model(inputs, need_weights=True)
    finally:
        for h in hooks:
            h.remove()
    res: dict[str, float] = {}
    asyms, diags = [], []
    for i, (layer, x, w) in enumerate(zip(model.layers, captured, out.attentions, strict=True)):
        attn = layer.attn
        k_proj = attn.k_proj if attn.k_proj is not None else attn.q_proj
        q = rearrange(attn.q_proj(x), "b t (h d) -> b h t d", h=attn.n_heads)  # (B, H, T, D)
        k = rearrange(k_proj(x), "b t (h d) -> b h t d", h=attn.n_heads)  # (B, H, T, D)
        s = attn.score(q, k)  # (B, H, T, T) raw logits
        ratio = (s - s.transpose(-1, -2)).flatten(2).norm(dim=-1) / s.flatten(2).norm(dim=-1).clamp_min(1e-12)
        asym = float(ratio.mean())
        diag = float(w.diagonal(dim1=-2, dim2=-1).mean())  # (B, H, T) -> mean a_ii
        res[f"asym_l{i + 1}"], res[f"diag_l{i + 1}"] = asym, diag
        asyms.append(asym)
        diags.append(diag)
    res["asym"] = sum(asyms) / len(asyms)
    res["diag"] = sum(diags) / len(diags)
    return res


def verdict_q2(gain_asym: float, gain_sym: float, *, delta: float = DELTA) -> tuple[str, str]:
    """The q2 verdict from the mean paired accuracy gains (separate - shared) on both tasks.

    Args:
        gain_asym: gain on the asymmetric task (follow).
        gain_sym: gain on the symmetric task (match).
        delta: the gain that counts as "separate projections help".
    """
    helps_a, helps_s = gain_asym >= delta, gain_sym >= delta
    if helps_a and helps_s:
        verdict = "confirmed"
    elif helps_a or helps_s:
        verdict = "qualified"
    else:
        verdict = "refuted"
    rule = (
        f"{verdict}: accuracy gain of separate over shared W_Q = W_K is {gain_asym:+.3f} on the asymmetric task "
        f"(follow) and {gain_sym:+.3f} on the symmetric task (match); separate projections help on a task when "
        f"the gain is >= {delta}. Rule: confirmed if they help on both, qualified if on exactly one, refuted if "
        f"on neither."
    )
    return verdict, rule


@register
class Q2QK(Experiment):
    qid = "q2"

    def run(self, ctx: RunContext) -> Result:
        real = real_model_evidence(self.qid, ctx)  # outside single_thread: the real model is larger
        with single_thread(ctx):
            return self._run(ctx, real)

    def _run(self, ctx: RunContext, real_and_reason: tuple[Any, str]) -> Result:
        from attnlab.analysis.geometry import model_qk_symmetry, random_qk_share
        from attnlab.data import make_task
        from attnlab.train import TrainConfig, train

        p = _PROFILES[ctx.profile]
        tasks = {name: make_task(name, **p[name]) for name in TASKS}
        cfg = TrainConfig(steps=p["steps"], batch_size=p["batch_size"], lr=p["lr"], warmup=max(1, p["steps"] // 10),
                          eval_batches=p["eval_batches"], device=ctx.device)
        acc: dict[tuple[str, str], list[float]] = {}
        sym: dict[tuple[str, str], list[dict[str, float]]] = {}
        share: dict[tuple[str, str], list[float]] = {}
        maps: dict[tuple[str, str], torch.Tensor] = {}
        jobs = [(t, v, s) for t in TASKS for v in VARIANTS for s in ctx.seeds]
        for tname, variant, seed in ctx.track(jobs, "separate / shared / no Q-K projection"):
            task = tasks[tname]
            torch.manual_seed(seed)
            model = build_model(variant, vocab_size=task.vocab_size, n_classes=task.n_classes,
                                max_len=task.seq_len, d_model=p["d_model"], n_heads=p["n_heads"],
                                n_layers=p["n_layers"])
            res = train(model, task, cfg, seed=seed, progress=False)
            model.cpu()  # the analyses below run on CPU whatever device trained the model
            acc.setdefault((tname, variant), []).append(res.eval_accuracy)
            model.eval()
            batch = task.sample(64, torch.Generator().manual_seed(70_000 + seed))
            sym.setdefault((tname, variant), []).append(score_symmetry(model, batch.inputs))
            share.setdefault((tname, variant), []).append(float(model_qk_symmetry(model).mean()))
            if seed == ctx.seeds[0]:
                with torch.no_grad():
                    w = model(batch.inputs[:1], need_weights=True).attentions[0][0, 0]  # (T, T) layer 1 head 1
                maps[(tname, variant)] = w

        acc_ci = {k: mean_ci(v) for k, v in acc.items()}
        gains = {t: mean_ci([a - b for a, b in zip(acc[(t, "separate")], acc[(t, "shared")], strict=True)])
                 for t in TASKS}
        asym_ci = {k: mean_ci([d["asym"] for d in v]) for k, v in sym.items()}
        diag_ci = {k: mean_ci([d["diag"] for d in v]) for k, v in sym.items()}
        share_ci = {k: mean_ci(v) for k, v in share.items()}
        rand_share = random_qk_share(p["d_model"], p["d_model"] // p["n_heads"], n=32, seed=0)

        verdict, rule = verdict_q2(gains["follow"][0], gains["match"][0])
        evidence: list[Evidence] = []
        for t in TASKS:
            chance = tasks[t].chance_accuracy
            for v in VARIANTS:
                evidence.append(Evidence(f"acc_{t}_{v}", acc_ci[(t, v)][0], acc_ci[(t, v)][1],
                                         f"token accuracy, {t} task (chance {chance:.3f})", None))
            evidence.append(Evidence(f"gain_separate_vs_shared_{t}", gains[t][0], gains[t][1],
                                     "paired accuracy difference over seeds", None))
        for t in TASKS:
            for v in VARIANTS:
                evidence.append(Evidence(f"score_asymmetry_{t}_{v}", asym_ci[(t, v)][0], asym_ci[(t, v)][1],
                                         "||S - Sᵀ||_F / ||S||_F, mean over layers, heads, examples",
                                         "0 for symmetric S; ~1.41 for unrelated S and Sᵀ"))
                evidence.append(Evidence(f"diag_mass_{t}_{v}", diag_ci[(t, v)][0], diag_ci[(t, v)][1],
                                         "mean attention weight a_ii on the token itself",
                                         f"uniform: 1/T = {1 / tasks[t].seq_len:.3f}; Reformer (Kitaev et al. 2020) "
                                         "masks self-attention under shared QK"))
            evidence.append(Evidence(f"qk_symmetric_share_{t}_separate", share_ci[(t, "separate")][0],
                                     share_ci[(t, "separate")][1], "||sym(W_Q W_Kᵀ)||² / ||W_Q W_Kᵀ||², trained",
                                     f"random W_Q, W_K: {rand_share[0]:.3f}; shared: 1"))

        real, reason = real_and_reason
        if real is not None:
            evidence.extend(real.evidence)
            for f in real.figures:
                if f not in ctx.figures:
                    ctx.figures.append(f)
            real_text = " Real model: " + real.summary
        else:
            real_text = " " + reason + "."

        self._plot(ctx, acc_ci, asym_ci, diag_ci, maps)

        def a(t: str, v: str) -> str:
            return fmt_ci(*acc_ci[(t, v)], digits=3)

        summary = (
            f"A {p['n_layers']}-layer, {p['n_heads']}-head encoder (d_model={p['d_model']}, {p['steps']} steps, "
            f"{len(ctx.seeds)} seeds). Asymmetric task (follow): separate {a('follow', 'separate')}, shared "
            f"{a('follow', 'shared')}, no projection {a('follow', 'none')} (gain separate - shared "
            f"{fmt_ci(*gains['follow'], digits=3)}). Symmetric task (match): separate {a('match', 'separate')}, "
            f"shared {a('match', 'shared')}, no projection {a('match', 'none')} (gain "
            f"{fmt_ci(*gains['match'], digits=3)}). Score asymmetry ||S - Sᵀ||/||S|| on follow: separate "
            f"{asym_ci[('follow', 'separate')][0]:.2f}, shared {asym_ci[('follow', 'shared')][0]:.2g}, none "
            f"{asym_ci[('follow', 'none')][0]:.2g}; attention on the token itself: separate "
            f"{diag_ci[('follow', 'separate')][0]:.3f}, shared {diag_ci[('follow', 'shared')][0]:.3f}, none "
            f"{diag_ci[('follow', 'none')][0]:.3f} (uniform {1 / tasks['follow'].seq_len:.3f}). Trained separate "
            f"W_Q W_Kᵀ has symmetric share {share_ci[('follow', 'separate')][0]:.2f} (random "
            f"{rand_share[0]:.2f}). Tying W_Q = W_K restricts every head to a symmetric score matrix (measured "
            f"||S - Sᵀ||/||S|| = {max(asym_ci[(t, 'shared')][0] for t in TASKS):.1g}); whether that costs accuracy is "
            f"what the gains above measure." + real_text
        )
        config = {"tasks": {t: tasks[t].config() for t in TASKS}, "variants": list(VARIANTS),
                  **{k: p[k] for k in ("d_model", "n_heads", "n_layers", "steps", "batch_size", "lr", "eval_batches")},
                  "delta": DELTA}
        return self.make_result(ctx, verdict=verdict, rule=rule, summary=summary, evidence=evidence, config=config)

    @staticmethod
    def _plot(ctx: RunContext, acc_ci: dict, asym_ci: dict, diag_ci: dict, maps: dict) -> None:
        from attnlab.report.plots import new_figure

        fig, axes = new_figure(3, width=3.8)
        x = range(len(TASKS))
        width = 0.25
        for j, v in enumerate(VARIANTS):
            for ax, d in zip(axes, (acc_ci, asym_ci, diag_ci), strict=True):
                means = [d[(t, v)][0] for t in TASKS]
                errs = [[m - d[(t, v)][1][0] for t, m in zip(TASKS, means, strict=True)],
                        [d[(t, v)][1][1] - m for t, m in zip(TASKS, means, strict=True)]]
                ax.bar([i + (j - 1) * width for i in x], means, width, yerr=errs, capsize=3, label=v)
        for ax, title in zip(axes, ("token accuracy", "||S - Sᵀ|| / ||S||", "attention on itself (a_ii)"),
                             strict=True):
            ax.set_xticks(list(x))
            ax.set_xticklabels(["follow (asym.)", "match (sym.)"])
            ax.set_title(title)
        axes[0].legend(fontsize=7)
        ctx.save_figure(fig, "qk_variants")

        if maps:
            fig, axes = new_figure(len(VARIANTS), width=2.4, height=2.5, nrows=len(TASKS))
            for i, t in enumerate(TASKS):
                for j, v in enumerate(VARIANTS):
                    ax = axes[i * len(VARIANTS) + j]
                    ax.imshow(maps[(t, v)].numpy(), cmap="Blues", vmin=0.0)
                    ax.set_title(f"{t}: {v}", fontsize=8)
                    ax.set_xticks([])
                    ax.set_yticks([])
            fig.suptitle("Layer 1, head 1 attention, one example (rows: queries)")
            ctx.save_figure(fig, "attention_maps")
