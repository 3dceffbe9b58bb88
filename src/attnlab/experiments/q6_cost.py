"""q6: what does attention have over CNNs and RNNs?

The seed claims three advantages: fewer parameters and lower complexity, speed (no sequential
dependency), and better handling of long-range dependencies. Measured here:

1. Cost per layer at width d and length n. Parameters are counted from the modules; FLOPs are counted by
   ``torch.utils.flop_counter.FlopCounterMode`` on meta tensors (no arithmetic is run) for an attnlab
   ``MultiHeadAttention`` (``impl="reference"``, so the n x n products are visible to the counter), the
   attention core alone (QKᵀ and AV), a full pre-LN Transformer block (attention + feed-forward 4d), an
   LSTM layer (an ``nn.LSTMCell`` unrolled over n: the same arithmetic as ``nn.LSTM``, whose fused
   kernel the counter cannot see) and a ``Conv1d`` of kernel k. From the counts we fit
   ``flops = a n^2 d + b n d^2`` and find where the attention layer becomes more expensive than each
   alternative, to set beside Vaswani et al. 2017 Table 1 (O(n^2 d), O(n d^2), O(k n d^2)).
2. Maximum path length, measured: the fewest layers after which the output at position n-1 depends on
   the input at position 0 (a non-zero gradient), for self-attention, plain and dilated CNN stacks. For
   the LSTM the path is the recurrence itself: n-1 dependent steps.
3. Accuracy against dependency distance on ``long_range`` (the target at i is the token at i - delta) for
   a Transformer encoder, an LSTM and a CNN with about the same number of parameters, trained identically
   over seeds (mean and 95% interval).

Verdict rule (:func:`verdict_q6`): *qualified* when the three claims do not all hold without conditions:
"fewer parameters" fails against a CNN of kernel < 4 or against an LSTM once the feed-forward is
counted, "lower complexity" holds only for n below the measured crossover; *confirmed* only if attention
had the fewest parameters and FLOPs at every measured size and the best long-range accuracy; *refuted* if
it had neither the parameter/FLOP advantage anywhere nor better long-range accuracy.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from attnlab.experiments.base import (
    Evidence,
    Experiment,
    Result,
    RunContext,
    fmt_ci,
    mean_ci,
    register,
    torch_threads,
)

__all__ = ["Q6Cost", "count_flops", "fit_cost", "layer_costs", "path_length", "verdict_q6"]

VASWANI_TABLE1 = (
    "Vaswani et al. 2017 Table 1: per-layer complexity self-attention O(n²·d), recurrent O(n·d²), "
    "convolutional O(k·n·d²); maximum path length O(1), O(n), O(log_k n)"
)


def count_flops(fn: Any, *args: Any) -> int:
    """FLOPs of ``fn(*args)`` counted by ``FlopCounterMode`` (a multiply-add counts 2)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as fc:
        fn(*args)
    return int(fc.get_total_flops())


def _lstm_unrolled(cell: nn.LSTMCell, x: torch.Tensor) -> torch.Tensor:
    h = c = x.new_zeros(x.shape[0], cell.hidden_size)
    for t in range(x.shape[1]):
        h, c = cell(x[:, t], (h, c))
    return h


def layer_costs(n: int, d: int, *, n_heads: int = 4, kernel_size: int = 3) -> dict[str, dict[str, int]]:
    """Parameters and forward FLOPs of one layer of each kind at length ``n`` and width ``d`` (batch 1).

    Returns ``{kind: {"params": int, "flops": int}}`` for kinds ``attention`` (multi-head self-attention
    with its four projections), ``attention_core`` (softmax(QKᵀ)V only), ``transformer_block`` (pre-LN
    block: attention + feed-forward of width 4d), ``lstm`` and ``conv``.
    """
    from attnlab.attention import MultiHeadAttention, attention
    from attnlab.models.blocks import EncoderBlock

    with torch.device("meta"):
        x = torch.empty(1, n, d)  # (B, T, C)
        mha = MultiHeadAttention(d, n_heads, impl="reference")
        block = EncoderBlock(d, n_heads, 4 * d, attn_impl="reference")
        cell = nn.LSTMCell(d, d)
        conv = nn.Conv1d(d, d, kernel_size, padding=kernel_size // 2)
        q = torch.empty(1, n_heads, n, d // n_heads)  # (B, H, T, D)

    def params(m: nn.Module) -> int:
        return sum(p.numel() for p in m.parameters())

    return {
        "attention": {"params": params(mha), "flops": count_flops(mha, x)},
        "attention_core": {"params": 0, "flops": count_flops(lambda t: attention(t, t, t, impl="reference"), q)},
        "transformer_block": {"params": params(block), "flops": count_flops(block, x)},
        "lstm": {"params": params(cell), "flops": count_flops(_lstm_unrolled, cell, x)},
        "conv": {"params": params(conv), "flops": count_flops(lambda t: conv(t.transpose(1, 2)), x)},
    }


def fit_cost(points: list[tuple[int, int, int]]) -> tuple[float, float]:
    """Least-squares fit of ``flops = a n^2 d + b n d^2`` to ``(n, d, flops)`` points; returns ``(a, b)``."""
    A = torch.tensor([[n * n * d, n * d * d] for n, d, _ in points], dtype=torch.float64)
    y = torch.tensor([f for _, _, f in points], dtype=torch.float64)
    sol = torch.linalg.lstsq(A, y[:, None]).solution[:, 0]
    return float(sol[0]), float(sol[1])


def path_length(kind: str, n: int, *, kernel_size: int = 3, d: int = 2, max_layers: int = 512) -> int:
    """Fewest layers after which output position n-1 depends on input position 0 (non-zero gradient).

    Args:
        kind: ``"attention"`` (attnlab Transformer encoder), ``"cnn"`` (plain stack) or ``"cnn_dilated"``
            (dilation ``2 ** layer``: with a centred kernel of 3 every offset is a signed sum of powers of 2,
            reachable through positions inside the sequence; a base of 3 would step outside it).
        n: sequence length.
    """
    from attnlab.models import CNNEncoder, TransformerEncoder

    def reaches(layers: int) -> bool:
        torch.manual_seed(0)
        if kind == "attention":
            model = TransformerEncoder(vocab_size=None, d_model=d, n_heads=1, n_layers=layers, max_len=n,
                                       positions="none")
        elif kind in ("cnn", "cnn_dilated"):
            model = CNNEncoder(vocab_size=None, d_model=d, n_layers=layers, kernel_size=kernel_size,
                               dilation_base=2 if kind == "cnn_dilated" else 1)
        else:
            raise ValueError(f"kind: expected 'attention', 'cnn' or 'cnn_dilated', got {kind!r}")
        model = model.double()  # float64: a long chain of small factors must not underflow to 0
        x = torch.randn(1, n, d, dtype=torch.float64, requires_grad=True)
        w = torch.randn(d, dtype=torch.float64)  # random read-out: a LayerNorm output's channel sum is constant
        out = model(inputs_embeds=x).hidden  # (1, n, d)
        (g,) = torch.autograd.grad((out[0, -1] * w).sum(), x)
        return bool(g[0, 0].abs().max() > 0)  # no path gives an exact 0

    lo, hi = 1, 1
    while not reaches(hi):  # exponential search, then bisection (reachability is monotone in depth)
        lo = hi + 1
        hi *= 2
        if hi > max_layers:
            raise ValueError(f"path_length: {kind} needs more than {max_layers} layers at n={n}")
        if kind == "cnn_dilated" and 2 ** (hi - 1) > 4 * n:
            raise ValueError(f"path_length: {kind} does not reach position 0 from {n - 1}")
    while lo < hi:
        mid = (lo + hi) // 2
        if reaches(mid):
            hi = mid
        else:
            lo = mid + 1
    return hi


def verdict_q6(
    *,
    params: dict[str, int],
    crossover_lstm: float,
    crossover_conv: float,
    long_acc: dict[str, tuple[float, tuple[float, float]]],
    d: int,
    delta: int,
) -> tuple[str, str]:
    """q6's rule; ``params`` per layer kind at width ``d``, crossovers as n/d, ``long_acc`` at distance
    ``delta`` per model. Returns ``(verdict, rule text)``."""
    fewer_than = [k for k in ("lstm", "conv") if params["attention"] < params[k]]
    block_vs_lstm = params["transformer_block"] / params["lstm"]
    att = long_acc["attention"]
    best_other = max((k for k in long_acc if k != "attention"), key=lambda k: long_acc[k][0])
    long_better = att[0] > long_acc[best_other][0] and att[1][0] > long_acc[best_other][1][1]
    nums = (
        f"params per layer at d={d}: attention {params['attention']}, Transformer block {params['transformer_block']} "
        f"(×{block_vs_lstm:.2f} an LSTM), LSTM {params['lstm']}, conv k=3 {params['conv']}; attention FLOPs "
        f"exceed the LSTM's {_ratio_text(crossover_lstm)} and the conv's {_ratio_text(crossover_conv)}; "
        f"long-range accuracy "
        f"at distance {delta}: attention {fmt_ci(*att, digits=3)} vs {best_other} "
        f"{fmt_ci(*long_acc[best_other], digits=3)}"
    )
    rule = ("rule: confirmed if attention has fewer parameters than both the LSTM and the conv layer, never "
            "more FLOPs, and the best long-range accuracy (95% intervals apart); refuted if it has more parameters "
            "than both and no long-range advantage; qualified otherwise")
    if len(fewer_than) == 2 and long_better and math.isinf(crossover_conv) and math.isinf(crossover_lstm):
        verdict = "confirmed"
    elif not fewer_than and not long_better:
        verdict = "refuted"
    else:
        verdict = "qualified"
    return verdict, f"{verdict}: {nums}; {rule}"


def _crossover(a1: float, b1: float, a2: float, b2: float) -> float:
    """The ratio n/d above which ``a1 n²d + b1 nd²`` exceeds ``a2 n²d + b2 nd²``.

    0.0 means "at every n", ``inf`` means "never" (also when the first is larger only for short n).
    """
    # a1 n²d + b1 nd² > a2 n²d + b2 nd²  <=>  (a1 - a2) r + (b1 - b2) > 0 with r = n / d > 0
    da, db = a1 - a2, b1 - b2
    tol = 1e-6 * max(abs(a1), abs(a2), abs(b1), abs(b2), 1.0)
    if da > tol:
        return max(-db / da, 0.0)
    if abs(da) <= tol:
        return 0.0 if db > tol else math.inf
    return math.inf


def _ratio_text(r: float) -> str:
    if r == 0.0:
        return "at every n"
    if math.isinf(r):
        return "never"
    return f"for n > {r:.2f}·d"


@register
class Q6Cost(Experiment):
    qid = "q6"

    def run(self, ctx: RunContext) -> Result:
        # one thread on CPU: these models are small, and a single thread does not stall when the cores are shared
        with torch_threads(1 if ctx.device == "cpu" else None):
            return self._run(ctx)

    def _run(self, ctx: RunContext) -> Result:
        cost = self._costs(ctx)
        paths = self._paths(ctx)
        acc = self._accuracy(ctx)

        d0 = cost["d_ref"]
        params = {k: v["params"] for k, v in cost["at_ref"].items()}
        delta = acc["distances"][-1]
        long_acc = {m: acc["acc"][m][-1] for m in acc["models"]}
        verdict, rule = verdict_q6(params=params, crossover_lstm=cost["cross_lstm"],
                                   crossover_conv=cost["cross_conv"], long_acc=long_acc, d=d0, delta=delta)

        ev = [
            Evidence(f"params_attention_d{d0}", params["attention"], None, "parameters (W_Q, W_K, W_V, W_O + biases)",
                     f"4d² + 4d = {4 * d0 * d0 + 4 * d0}"),
            Evidence(f"params_transformer_block_d{d0}", params["transformer_block"], None,
                     "parameters (attention + FFN 4d + 2 LayerNorms)", "≈ 12d²"),
            Evidence(f"params_lstm_d{d0}", params["lstm"], None, "parameters", "8d² + 8d (torch: two bias vectors)"),
            Evidence(f"params_conv_k3_d{d0}", params["conv"], None, "parameters", "k·d² + d"),
        ]
        for kind, (a, b) in cost["fits"].items():
            ev.append(Evidence(f"flops_fit_{kind}", [round(a, 3) + 0.0, round(b, 3) + 0.0], None,
                               "[a, b] in flops = a·n²·d + b·n·d²", cost["fit_hint"][kind]))
        ev += [
            Evidence("crossover_attention_vs_lstm", _ratio_value(cost["cross_lstm"]), None,
                     "n/d above which attention costs more FLOPs",
                     VASWANI_TABLE1 + " (self-attention cheaper when n < d)"),
            Evidence("crossover_attention_core_vs_lstm", _ratio_value(cost["cross_core_lstm"]), None,
                     "n/d, attention core only (no projections)", "Table 1 counts only this part: n < d"),
            Evidence("crossover_attention_vs_conv_k3", _ratio_value(cost["cross_conv"]), None,
                     "n/d above which attention costs more FLOPs (0: at every n)",
                     "Table 1: convolution O(k·n·d²); with k=3 the 6nd² of a conv is below attention's 8nd² alone"),
            Evidence("path_length_lengths", list(paths["lengths"]), None, "n", None),
            *[Evidence(f"path_length_{k}", v, None, "layers for position n-1 to depend on position 0",
                       VASWANI_TABLE1.split("; ")[1]) for k, v in paths["layers"].items()],
            Evidence("path_length_lstm", "n - 1 dependent recurrent steps in one layer", None, "steps", "O(n)"),
            Evidence("long_range_distances", list(acc["distances"]), None, "dependency distance δ", None),
        ]
        for m in acc["models"]:
            ev.append(Evidence(f"long_range_params_{m}", acc["params"][m], None, "parameters", None))
            for i, dist in enumerate(acc["distances"]):
                ev.append(Evidence(f"long_range_acc_{m}_dist{dist}", acc["acc"][m][i][0], acc["acc"][m][i][1],
                                   "token accuracy", f"chance {acc['chance']:.3f}"))

        self._plot(ctx, cost, paths, acc)
        summary = (
            f"Per layer at d={d0}: multi-head attention has {params['attention']} parameters, an LSTM "
            f"{params['lstm']} and a k=3 convolution {params['conv']}; a whole Transformer block (with its "
            f"feed-forward) has {params['transformer_block']}, more than the LSTM. Counted FLOPs fit "
            f"attention {cost['fits']['attention'][0]:.2f}·n²d + {cost['fits']['attention'][1]:.2f}·nd², LSTM "
            f"{cost['fits']['lstm'][1]:.2f}·nd², conv {cost['fits']['conv'][1]:.2f}·nd²: attention costs more than "
            f"the LSTM {_ratio_text(cost['cross_lstm'])} (the core alone: {_ratio_text(cost['cross_core_lstm'])}; "
            f"Table 1: n > d) and more than a k=3 convolution {_ratio_text(cost['cross_conv'])}"
            + f". Measured path length at n={paths['lengths'][-1]}: attention "
            f"{paths['layers']['attention'][-1]} layer, plain CNN {paths['layers']['cnn'][-1]} layers, dilated CNN "
            f"{paths['layers']['cnn_dilated'][-1]} layers; the LSTM needs n-1 steps. At about "
            f"{acc['budget']} parameters each, trained for {acc['steps']} steps over {len(ctx.seeds)} seeds on "
            f"long_range (length {acc['length']}): "
            + "; ".join(
                f"δ={dist}: " + ", ".join(f"{m} {fmt_ci(*acc['acc'][m][i], digits=2)}" for m in acc["models"])
                for i, dist in enumerate(acc["distances"])
            )
            + ". So \"fewer parameters\" and \"less computation\" depend on d, n and k; speed is measured in q5."
        )
        return self.make_result(
            ctx, verdict=verdict, rule=rule, summary=summary, evidence=ev,
            config={"cost_ns": cost["ns"], "cost_ds": cost["ds"], "path_lengths": paths["lengths"],
                    "long_range": acc["config"]},
        )

    # --------------------------------------------------------------------------------------------- cost
    def _costs(self, ctx: RunContext) -> dict[str, Any]:
        ds = ctx.pick(tiny=[32, 64], quick=[32, 64, 128, 256], full=[32, 64, 128, 256, 512, 1024])
        ns = ctx.pick(tiny=[16, 64], quick=[16, 64, 256, 1024], full=[16, 64, 256, 1024, 4096])
        d_ref = 64 if 64 in ds else ds[0]
        table: dict[str, list[tuple[int, int, int]]] = {}
        at_ref = {}
        for d in ctx.track(ds, "FLOPs per layer"):
            for n in ns:
                costs = layer_costs(n, d)
                for kind, c in costs.items():
                    table.setdefault(kind, []).append((n, d, c["flops"]))
                if d == d_ref and n == ns[0]:
                    at_ref = costs
        fits = {kind: fit_cost(pts) for kind, pts in table.items()}
        a_att, b_att = fits["attention"]
        return {
            "ds": ds, "ns": ns, "d_ref": d_ref, "at_ref": at_ref, "table": table, "fits": fits,
            "fit_hint": {"attention": "4 projections 8nd² + QKᵀ and AV 4n²d", "attention_core": "4n²d",
                         "transformer_block": "attention + FFN 16nd²", "lstm": "4 gates × 2 matmuls: 16nd²",
                         "conv": "2knd² (k=3: 6nd²)"},
            "cross_lstm": _crossover(a_att, b_att, *fits["lstm"]),
            "cross_core_lstm": _crossover(*fits["attention_core"], *fits["lstm"]),
            "cross_conv": _crossover(a_att, b_att, *fits["conv"]),
        }

    def _paths(self, ctx: RunContext) -> dict[str, Any]:
        lengths = ctx.pick(tiny=[8, 16], quick=[8, 16, 32], full=[8, 16, 32, 64, 128])
        layers: dict[str, list[int]] = {"attention": [], "cnn": [], "cnn_dilated": []}
        for n in ctx.track(lengths, "path length"):
            for kind in layers:
                layers[kind].append(path_length(kind, n))
        return {"lengths": lengths, "layers": layers}

    # ----------------------------------------------------------------------------------------- accuracy
    def _accuracy(self, ctx: RunContext) -> dict[str, Any]:
        from attnlab.data import make_task
        from attnlab.models import CNNEncoder, RNNEncoder, TransformerEncoder
        from attnlab.train import TrainConfig, train

        length = ctx.pick(tiny=16, quick=32, full=64)
        distances = ctx.pick(tiny=[1, 8], quick=[2, 16], full=[1, 4, 16, 32, 48])
        budget = ctx.pick(tiny=6000, quick=20000, full=100000)
        steps = ctx.pick(tiny=20, quick=200, full=2000)
        n_symbols = 8
        n_layers = 2
        cfg = TrainConfig(steps=steps, batch_size=ctx.pick(tiny=16, quick=32, full=64), lr=3e-3,
                          warmup=max(1, steps // 10), eval_batches=ctx.pick(tiny=1, quick=4, full=16),
                          device=ctx.device)
        vocab = n_symbols + 1

        builders = {
            "attention": lambda d: TransformerEncoder(vocab_size=vocab, d_model=d, n_heads=2, n_layers=n_layers,
                                                      max_len=length, n_outputs=n_symbols),
            "lstm": lambda d: RNNEncoder(vocab_size=vocab, d_model=d, n_layers=n_layers, cell="lstm",
                                         n_outputs=n_symbols),
            "cnn": lambda d: CNNEncoder(vocab_size=vocab, d_model=d, n_layers=n_layers, kernel_size=3,
                                        n_outputs=n_symbols),
        }
        widths = {m: _width_for_budget(b, budget) for m, b in builders.items()}
        with torch.device("meta"):
            params = {m: sum(p.numel() for p in builders[m](widths[m]).parameters()) for m in builders}

        acc: dict[str, list[tuple[float, tuple[float, float]]]] = {m: [] for m in builders}
        jobs = [(dist, m) for dist in distances for m in builders]
        chance = 1.0 / n_symbols
        for dist, m in ctx.track(jobs, "accuracy vs distance"):
            task = make_task("long_range", length=length, distance=dist, n_symbols=n_symbols)
            vals = []
            for seed in ctx.seeds:
                torch.manual_seed(seed)
                model = builders[m](widths[m])
                res = train(model, task, cfg, seed=seed, progress=False)
                vals.append(res.eval_accuracy)
            acc[m].append(mean_ci(vals))
        return {
            "models": list(builders), "distances": distances, "acc": acc, "params": params, "widths": widths,
            "budget": budget, "steps": steps, "length": length, "chance": chance,
            "config": {"length": length, "distances": distances, "n_symbols": n_symbols, "n_layers": n_layers,
                       "budget": budget, "widths": widths, "params": params, "steps": steps,
                       "batch_size": cfg.batch_size, "lr": cfg.lr, "cnn_kernel": 3, "attention_heads": 2},
        }

    @staticmethod
    def _plot(ctx: RunContext, cost: dict, paths: dict, acc: dict) -> None:
        from attnlab.report.plots import errorbar_line, new_figure

        fig, axes = new_figure(3, width=4.3)
        ax = axes[0]
        d = cost["d_ref"]
        for kind in ("attention", "attention_core", "lstm", "conv"):
            pts = [(n, f) for n, dd, f in cost["table"][kind] if dd == d]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", label=kind)
        ax.axvline(d, color="k", lw=0.8, ls=":", label="n = d")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel("n")
        ax.set_ylabel("forward FLOPs per layer")
        ax.set_title(f"Cost per layer, d = {d}")
        ax.legend(fontsize=8)

        ax = axes[1]
        for kind, v in paths["layers"].items():
            ax.plot(paths["lengths"], v, marker="o", label=kind)
        ax.plot(paths["lengths"], [n - 1 for n in paths["lengths"]], "k--", lw=1, label="LSTM: n-1 steps")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log", base=2)
        ax.set_xlabel("n")
        ax.set_ylabel("layers (steps) from position 0 to n-1")
        ax.set_title("Maximum path length")
        ax.legend(fontsize=8)

        ax = axes[2]
        for m in acc["models"]:
            cis = [(max(a[1][0], 0.0), min(a[1][1], 1.0)) for a in acc["acc"][m]]  # accuracies live in [0, 1]
            errorbar_line(ax, acc["distances"], [a[0] for a in acc["acc"][m]], cis,
                          label=f"{m} ({acc['params'][m]} params)")
        ax.axhline(acc["chance"], color="k", lw=0.8, ls=":", label="chance")
        ax.set_xlabel("dependency distance δ")
        ax.set_ylabel("token accuracy")
        ax.set_ylim(0, 1.05)
        ax.set_title("Equal parameter budget")
        ax.legend(fontsize=8)
        ctx.save_figure(fig, "cost_and_range")


def _ratio_value(r: float) -> float | str:
    return r if math.isfinite(r) else "never"


def _width_for_budget(build: Any, budget: int, lo: int = 4, hi: int = 512) -> int:
    """The even width (multiple of 2) whose model's parameter count is closest to ``budget``."""
    best, best_gap = lo, None
    for d in range(lo, hi + 1, 2):
        with torch.device("meta"):
            n = sum(p.numel() for p in build(d).parameters())
        gap = abs(n - budget)
        if best_gap is None or gap < best_gap:
            best, best_gap = d, gap
        if n > budget:
            break
    return best
