"""q4: how does the dot product grow with the dimension, and why divide by sqrt(d_k)?

For q, k with independent components of mean 0 and variance 1,

.. math:: \\operatorname{Var}(q \\cdot k) = \\sum_{i=1}^{d_k} \\operatorname{Var}(q_i k_i) = d_k,

so the scores' standard deviation grows like sqrt(d_k) and dividing by sqrt(d_k) brings it back to 1
(Vaswani et al. 2017, footnote 4). We measure it by Monte Carlo for Gaussian and for Rademacher (+-1)
components: the log-log slope of Var(q.k) against d_k over seeds (expected 1) and after scaling
(expected 0); and, when the pretrained weights are installed, the logit statistics of a real model.

Verdict rule: *confirmed* if the mean slope lies in [0.9, 1.1] and the scaled slope in [-0.1, 0.1];
otherwise *refuted*. (The gradient half of the seed's answer is measured in q3.)
"""

from __future__ import annotations

import math

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

__all__ = ["Q4Variance", "dot_variance", "loglog_slope", "verdict_q4"]

SLOPE_RANGE = (0.9, 1.1)
SCALED_SLOPE_RANGE = (-0.1, 0.1)


def dot_variance(
    d_k: int, n_samples: int, generator: torch.Generator, *, dist: str = "gaussian", scaled: bool = False,
    chunk: int = 4096,
) -> float:
    """Monte Carlo estimate of Var(q.k) (or Var(q.k / sqrt(d_k)) when ``scaled``).

    Samples are drawn in float32; the variance is accumulated in float64.

    Args:
        d_k: dimension of q and k.
        n_samples: number of independent (q, k) pairs.
        generator: random generator (fixes the estimate).
        dist: ``"gaussian"`` (N(0, 1) components) or ``"rademacher"`` (+-1 with equal probability).
        scaled: divide each dot product by sqrt(d_k).
        chunk: pairs drawn at a time (bounds memory at ``2 * chunk * d_k`` floats).
    """
    if d_k < 1 or n_samples < 2:
        raise ValueError(f"d_k, n_samples: expected >= 1 and >= 2, got {d_k}, {n_samples}")
    if dist not in ("gaussian", "rademacher"):
        raise ValueError(f"dist: expected 'gaussian' or 'rademacher', got {dist!r}")
    dots = []
    left = n_samples
    while left > 0:
        n = min(chunk, left)
        if dist == "gaussian":
            q = torch.randn(n, d_k, generator=generator)  # (N, D)
            k = torch.randn(n, d_k, generator=generator)  # (N, D)
        else:
            q = torch.randint(0, 2, (n, d_k), generator=generator).float() * 2 - 1
            k = torch.randint(0, 2, (n, d_k), generator=generator).float() * 2 - 1
        s = (q * k).sum(-1).double()  # (N,)
        if scaled:
            s = s / math.sqrt(d_k)
        dots.append(s)
        left -= n
    return torch.cat(dots).var(unbiased=True).item()


def loglog_slope(x: list[float], y: list[float]) -> float:
    """Least-squares slope of log(y) against log(x)."""
    if len(x) != len(y) or len(x) < 2:
        raise ValueError(f"x, y: expected equal lengths >= 2, got {len(x)}, {len(y)}")
    lx = [math.log(v) for v in x]
    ly = [math.log(v) for v in y]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    sxx = sum((a - mx) ** 2 for a in lx)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sxx


def verdict_q4(slope: tuple[float, tuple[float, float]], scaled_slope: tuple[float, tuple[float, float]]
               ) -> tuple[str, str]:
    """Apply q4's rule to ``(mean, ci)`` of the unscaled and scaled slopes; returns ``(verdict, rule)``."""
    (m, ci), (ms, cis) = slope, scaled_slope
    ok = SLOPE_RANGE[0] <= m <= SLOPE_RANGE[1] and SCALED_SLOPE_RANGE[0] <= ms <= SCALED_SLOPE_RANGE[1]
    verdict = "confirmed" if ok else "refuted"
    rule = (
        f"{verdict}: slope {fmt_ci(m, ci)}, scaled slope {fmt_ci(ms, cis)}; rule: confirmed if the slope "
        f"is within [{SLOPE_RANGE[0]}, {SLOPE_RANGE[1]}] and the scaled slope within "
        f"[{SCALED_SLOPE_RANGE[0]}, {SCALED_SLOPE_RANGE[1]}], else refuted"
    )
    return verdict, rule


@register
class Q4Variance(Experiment):
    qid = "q4"

    def run(self, ctx: RunContext) -> Result:
        # one thread on CPU: these models are small, and a single thread does not stall when the cores are shared
        with torch_threads(1 if ctx.device == "cpu" else None):
            return self._run(ctx)

    def _run(self, ctx: RunContext) -> Result:
        dims = ctx.pick(tiny=[4, 16, 64, 256], quick=[2**i for i in range(2, 11)],
                        full=[2**i for i in range(1, 13)])
        n_samples = ctx.pick(tiny=2000, quick=10000, full=200000)
        per_seed: dict[str, list[list[float]]] = {"gaussian": [], "scaled": [], "rademacher": []}
        for seed in ctx.track(ctx.seeds, "Var(q·k) vs d_k"):
            g = torch.Generator().manual_seed(seed)
            per_seed["gaussian"].append([dot_variance(d, n_samples, g) for d in dims])
            per_seed["scaled"].append([dot_variance(d, n_samples, g, scaled=True) for d in dims])
            per_seed["rademacher"].append([dot_variance(d, n_samples, g, dist="rademacher") for d in dims])

        slopes = {k: mean_ci([loglog_slope(dims, v) for v in vs]) for k, vs in per_seed.items()}
        curves = {
            k: [mean_ci([vs[s][i] for s in range(len(vs))]) for i in range(len(dims))]
            for k, vs in per_seed.items()
        }
        ratio = mean_ci([vs[-1] / dims[-1] for vs in per_seed["gaussian"]])

        verdict, rule = verdict_q4(slopes["gaussian"], slopes["scaled"])
        evidence = [
            Evidence("var_loglog_slope", slopes["gaussian"][0], slopes["gaussian"][1],
                     "log-log slope of Var(q·k) vs d_k",
                     "theory: Var(q·k) = d_k for independent zero-mean unit-variance components (Vaswani et al. "
                     "2017, footnote 4): slope 1"),
            Evidence("var_loglog_slope_scaled", slopes["scaled"][0], slopes["scaled"][1],
                     "log-log slope of Var(q·k/√d_k) vs d_k", "theory: slope 0 (variance 1)"),
            Evidence("var_loglog_slope_rademacher", slopes["rademacher"][0], slopes["rademacher"][1],
                     "log-log slope, ±1 components", "theory: slope 1 (any zero-mean unit-variance law)"),
            Evidence(f"var_over_dk_at_{dims[-1]}", ratio[0], ratio[1], "Var(q·k)/d_k", "theory: 1"),
            Evidence("dims", list(dims), None, "d_k", None),
            Evidence("var_unscaled", [c[0] for c in curves["gaussian"]], None, "Var(q·k) per d_k", "theory: d_k"),
            Evidence("var_scaled", [c[0] for c in curves["scaled"]], None, "Var(q·k/√d_k) per d_k", "theory: 1"),
        ]

        self._plot(ctx, dims, curves)
        real, reason = real_model_evidence(self.qid, ctx)
        extra = ""
        if real is not None:
            evidence.extend(real.evidence)
            ctx.figures.extend(f for f in real.figures if f not in ctx.figures)
            extra = " Real model: " + real.summary
        else:
            extra = " " + reason + "."

        summary = (
            f"Monte Carlo with {n_samples} (q, k) pairs per d_k over {len(ctx.seeds)} seeds: Var(q·k) grows "
            f"linearly in d_k (log-log slope {fmt_ci(*slopes['gaussian'])} for Gaussian, "
            f"{fmt_ci(*slopes['rademacher'])} for ±1 components); after dividing by √d_k the variance stays at 1 "
            f"(slope {fmt_ci(*slopes['scaled'])}). Scaling therefore keeps the logits' spread independent of "
            f"d_k; whether that matters for the gradients is measured in q3." + extra
        )
        return self.make_result(
            ctx, verdict=verdict, rule=rule, summary=summary, evidence=evidence,
            config={"dims": dims, "n_samples": n_samples, "distributions": ["gaussian", "rademacher"]},
        )

    @staticmethod
    def _plot(ctx: RunContext, dims: list[int], curves: dict) -> None:
        from attnlab.report.plots import errorbar_line, new_figure

        fig, ax = new_figure()
        labels = {"gaussian": "q·k, N(0,1)", "rademacher": "q·k, ±1", "scaled": "q·k / √d_k"}
        for k, label in labels.items():
            errorbar_line(ax, dims, [c[0] for c in curves[k]], [c[1] for c in curves[k]], label=label)
        ax.plot(dims, dims, "k--", lw=1, label="d_k (theory)")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log", base=2)
        ax.set_xlabel("d_k")
        ax.set_ylabel("variance of the score")
        ax.set_title("Var(q·k) vs d_k")
        ax.legend()
        ctx.save_figure(fig, "variance_vs_dk")
