"""q6: what does attention have over CNNs and RNNs?

The seed's three advantages, each a sub-claim with its own evidence and verdict:

**Fewer parameters, lower complexity** (a derivation). Per layer of width d over n positions:
self-attention 4d² + 4d parameters and 8nd² + 4n²d forward FLOPs; an LSTM 8d² + 8d and 16nd²; a
convolution of kernel k, kd² + d and 2knd² (:mod:`attnlab.analysis.cost`; a whole Transformer block with its
feed-forward layer has 12d² + 13d). So attention has fewer parameters than an LSTM at every d, fewer
than a convolution only for k >= 5, and fewer FLOPs than an LSTM only for n < 2d (the core alone, as in
Vaswani et al. 2017, Table 1: n < d). These follow from counting, so the sub-claim is labelled a
derivation; what can fail is the check that the formulas equal the real modules' counts.

**Faster (it parallelises, like a CNN; an RNN cannot).** Wall time of one layer's forward + backward pass at
width d for several n, at a fixed number of tokens per batch, self-attention vs LSTM vs convolution, in
alternation; the ratios (per repeat, summarised over the repeats) stand beside the ratios the FLOP counts
predict, and the measured crossover beside the predicted one (n = 2d).

**Better with long-range dependencies.** :class:`attnlab.data.MarkedRecallTask`: recall the one marked
symbol at a query token d positions later, among distractors, at d in {2, 4, 8, 16, 24} (sequence length
32, the marker at a random position). A one-layer Transformer encoder, an LSTM and a dilated CNN (kernel
3, dilations 1, 2, 4, ..., as many layers as the longest distance needs: 5, reaching 31 positions back, for
distance 24; checked by gradient) at about the same
parameter count, each trained until 0.99 held-out accuracy or a budget, 5 seeds; the decision rests on
paired differences per seed at the longest distance. The LSTM's forget-gate biases use the chrono
initialisation (Tallec & Ollivier 2018, with the sequence length as the longest expected dependency);
the same LSTM with torch's default initialisation is trained beside it, because the init, not the
architecture, decides whether an LSTM learns a 24-step dependency within the budget.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import torch
from torch import nn

from attnlab.analysis.cost import (
    attention_conv_params_crossover,
    attention_lstm_flops_crossover,
    build_layer,
    count_flops,
    count_params,
    layer_flops,
    layer_params,
)
from attnlab.analysis.speed import others_load, thread_timings
from attnlab.data import make_task
from attnlab.experiments import rules, stats
from attnlab.experiments.context import pick
from attnlab.experiments.registry import register
from attnlab.experiments.spec import (
    Aggregate,
    Decision,
    EvidenceSet,
    Experiment,
    Explanation,
    Outcomes,
    Question,
    Trial,
)
from attnlab.experiments.timings import load_evidence, load_text, quiet_check, ratio_evidence
from attnlab.experiments.training import fit
from attnlab.results import Check, Evidence, Panel, Plot, Reference, RefLine, Series

__all__ = ["MODELS", "QUESTION", "build_model", "chrono_init_", "cost_trial", "decide", "explain", "receptive_reach",
           "speed_trial", "train_trial"]

QUESTION = Question(
    qid="q6",
    title="Attention vs CNN and RNN",
    question="What advantages does attention have over CNNs and RNNs?",
    question_zh="Attention相较于CNN和RNN的优势有哪些?",
    claim="Fewer parameters and lower complexity; faster, because unlike an RNN it parallelises (like a CNN); "
          "better with long-range dependencies.",
    claim_zh="参数少:模型复杂度跟 CNN、RNN 相比,复杂度更小,参数也更少。"
             "速度快:Attention 解决了 RNN 不能并行计算的问题……可以和CNN一样并行处理。"
             "效果好:……长距离的信息会被弱化……Attention 是挑重点,就算文本比较长,也能从中间抓住重点。",
)

CNN_KERNEL, CNN_DILATION_BASE = 3, 2  # layer l has dilation 2**l; the depth is set by the longest distance
ATTENTION_LAYERS = 1
SPEED_KERNEL = 3  # the convolution timed against self-attention
MODELS: dict[str, str] = {
    "attention": f"Transformer encoder ({ATTENTION_LAYERS} layer)",
    "lstm": "LSTM (chrono init)",
    "cnn": "dilated CNN",
    "lstm_default": "LSTM (torch's default init)",
}
RIVALS = ("lstm", "cnn")  # the comparison the verdict rests on; lstm_default is context
SPEED_LAYERS = {"self_attention": "self-attention layer", "lstm": "LSTM layer",
                "conv": f"convolution, k={SPEED_KERNEL}"}
THRESHOLD = 0.99
MIN_GAIN = 0.02  # accuracy: a paired gain whose interval lies above this is "better"
MIN_REPEATS = 7
BUDGET_TOLERANCE = 0.1  # parameter counts within 10% of each other
ACC = (0.0, 1.0)
DIFF = (-1.0, 1.0)

LITERATURE = [
    Reference("Vaswani et al. 2017, Table 1", "Per layer: self-attention O(n²·d) operations, O(1) sequential "
              "steps, path length O(1); recurrent O(n·d²), O(n), O(n); convolutional O(k·n·d²), O(1), O(log_k n) "
              "(dilated). Self-attention is cheaper than recurrence when n < d.", "asymptotic analysis", "context",
              "https://arxiv.org/abs/1706.03762"),
    Reference("Tang et al. 2018, Why Self-Attention? (EMNLP)", "On long-range subject-verb agreement, RNNs match or "
              "beat self-attention Transformers as the distance grows; self-attention's advantage in translation "
              "comes from semantic feature extraction, not long-range modelling.", "NMT models, agreement accuracy "
              "vs distance", "contradicts", "https://arxiv.org/abs/1808.08946"),
    Reference("Tran et al. 2018, The Importance of Being Recurrent for Modeling Hierarchical Structure",
              "LSTMs beat Transformers on subject-verb agreement with many attractors and on logical inference "
              "over longer sequences.", "agreement and logical inference", "contradicts",
              "https://arxiv.org/abs/1803.03585"),
    Reference("Tallec & Ollivier 2018, Can recurrent neural networks warp time? (ICLR)", "Chrono initialisation "
              "(forget-gate bias log U(1, T_max - 1)) lets LSTMs learn long dependencies that default "
              "initialisation misses.", "copy and adding tasks", "context", "https://arxiv.org/abs/1804.11188"),
    Reference("Bai et al. 2018, An Empirical Evaluation of Generic Convolutional and Recurrent Networks",
              "Dilated temporal convolutions match or beat LSTMs across sequence tasks, including long memory.",
              "TCN vs LSTM/GRU", "context", "https://arxiv.org/abs/1803.01271"),
]


# ----------------------------------------------------------------------------------------------------
# Models
# ----------------------------------------------------------------------------------------------------


def chrono_init_(lstm: nn.LSTM, t_max: float) -> None:
    """Chrono initialisation (Tallec & Ollivier 2018) of every layer of ``lstm``, in place.

    Forget-gate bias b_f = log(u), u ~ U(1, t_max - 1), input-gate bias b_i = -b_f (torch's gate order is
    input, forget, cell, output; the recurrent biases of these two gates are zeroed so the sums are b_f, b_i).
    A forget gate near sigmoid(log u) keeps its cell for about u steps, so memories of every time scale up
    to ``t_max`` exist at initialisation.
    """
    if not t_max > 2:
        raise ValueError(f"t_max: expected a number > 2, got {t_max!r}")
    h = lstm.hidden_size
    with torch.no_grad():
        for layer in range(lstm.num_layers):
            for suffix in ("", "_reverse") if lstm.bidirectional else ("",):
                b_ih = getattr(lstm, f"bias_ih_l{layer}{suffix}")
                b_hh = getattr(lstm, f"bias_hh_l{layer}{suffix}")
                b_f = torch.log(torch.empty(h).uniform_(1.0, t_max - 1.0))
                b_ih[h:2 * h] = b_f
                b_ih[:h] = -b_f
                b_hh[: 2 * h] = 0.0


def cnn_reach(n_layers: int) -> int:
    """Positions back a centred dilated stack reaches: (k - 1)/2 · Σ_l base**l (every offset up to it is reachable
    by a signed sum of the dilations)."""
    return (CNN_KERNEL - 1) // 2 * sum(CNN_DILATION_BASE**i for i in range(n_layers))


def cnn_layers_for(distance: int) -> int:
    """The fewest dilated layers whose reach covers ``distance`` (5 for 24: reach 31)."""
    layers = 1
    while cnn_reach(layers) < distance:
        layers += 1
    return layers


def build_model(model: str, d_model: int, *, vocab_size: int, n_classes: int, max_len: int,
                cnn_layers: int = 5) -> nn.Module:
    """The q6 model ``model`` (a key of :data:`MODELS`) at width ``d_model`` with a per-token head."""
    from attnlab.models import CNNEncoder, RNNEncoder, TransformerEncoder

    if model == "attention":
        return TransformerEncoder(vocab_size=vocab_size, d_model=d_model, n_heads=2, n_layers=ATTENTION_LAYERS,
                                  max_len=max_len, n_outputs=n_classes)
    if model in ("lstm", "lstm_default"):
        m = RNNEncoder(vocab_size=vocab_size, d_model=d_model, n_layers=1, cell="lstm", n_outputs=n_classes)
        if model == "lstm":
            chrono_init_(m.rnn, max_len)
        return m
    if model == "cnn":
        return CNNEncoder(vocab_size=vocab_size, d_model=d_model, n_layers=cnn_layers, kernel_size=CNN_KERNEL,
                          dilation_base=CNN_DILATION_BASE, n_outputs=n_classes)
    raise ValueError(f"model: expected one of {tuple(MODELS)}, got {model!r}")


def _n_params(model: str, d: int, task_kw: dict[str, int], cnn_layers: int) -> int:
    task = make_task("marked_recall", **task_kw)
    with torch.device("meta"):
        m = build_model(model, d, vocab_size=task.vocab_size, n_classes=task.n_classes, max_len=task.seq_len,
                        cnn_layers=cnn_layers)
    return sum(p.numel() for p in m.parameters())


def width_for_budget(model: str, budget: int, task_kw: dict[str, int], cnn_layers: int = 5) -> int:
    """The width whose ``model`` has the parameter count closest to ``budget`` (even for attention's 2 heads)."""
    best, gap = 2, math.inf
    for d in range(2, 1025, 2 if model == "attention" else 1):
        n = _n_params(model, d, task_kw, cnn_layers)
        if abs(n - budget) < gap:
            best, gap = d, abs(n - budget)
        if n > budget:
            break
    return best


def receptive_reach(model: nn.Module, length: int, vocab_size: int) -> int:
    """How far back the output at the last position depends on the input: the largest offset whose input
    embedding gets a non-zero gradient from the last position's logits (float64, so a long chain of small
    factors does not underflow)."""
    model = model.double().eval()
    ids = torch.randint(1, vocab_size, (1, length), generator=torch.Generator().manual_seed(0))
    emb = model.embed
    x = emb(ids).detach().requires_grad_(True)  # (1, T, C)
    out = model(inputs_embeds=x).logits  # (1, T, K)
    (g,) = torch.autograd.grad(out[0, -1].sum(), x)
    reached = (g[0].abs().sum(-1) > 0).nonzero().flatten()
    model.float()
    return int(length - 1 - reached.min()) if len(reached) else 0


# ----------------------------------------------------------------------------------------------------
# Trials
# ----------------------------------------------------------------------------------------------------


def cost_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Parameters per layer kind at every d of the grid, formula and count on the real module; forward FLOPs,
    formula and count, on the (smaller) ``count_ns`` x ``count_ds`` grid (counting steps an LSTM cell n times,
    slow for long n; the formulas are exact polynomials, so a small grid checks them)."""
    kinds = (("self_attention", 3), ("transformer_block", 3), ("lstm", 3), *(("conv", k) for k in config["ks"]))
    params = [{"kind": kind, "d": d, "k": k, "formula": layer_params(kind, d, k), "counted": count_params(kind, d, k)}
              for d in config["ds"] for kind, k in kinds]
    flops = [{"kind": kind, "n": n, "d": d, "k": k, "formula": layer_flops(kind, n, d, k),
              "counted": count_flops(kind, n, d, k)}
             for d in config["count_ds"] for n in config["count_ns"] for kind, k in kinds]
    return {"params": params, "flops": flops}


def speed_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Forward + backward time of one layer per kind at length n (batch = tokens // n), in alternation."""
    n, d = config["n"], config["d_model"]
    b = max(1, config["tokens"] // n)
    g = torch.Generator().manual_seed(config["seed"])
    fns = {}
    for kind in SPEED_LAYERS:
        layer = build_layer(kind, d, k=SPEED_KERNEL, n_heads=config["n_heads"])
        x = torch.randn(b, n, d, generator=g).requires_grad_(True)  # (B, T, C)

        def step(layer: nn.Module = layer, x: torch.Tensor = x) -> None:
            layer.zero_grad(set_to_none=True)
            x.grad = None
            layer(x).sum().backward()

        fns[kind] = step
    th = config["threads"]
    with others_load() as load:
        times = thread_timings(fns, threads=(th,), repeats=config["repeats"], warmup=config["warmup"],
                               min_seconds=config["min_seconds"], max_seconds=config["max_seconds"])
    return {"batch": b, "times": {kind: times[kind][th] for kind in SPEED_LAYERS}, **load}


def _logits(model: nn.Module, batch: Any) -> torch.Tensor:
    return model(batch.inputs).logits


def train_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train one model at one distance for one seed; held-out accuracy, steps to threshold, and (CNN) reach."""
    task = make_task("marked_recall", **config["task"])
    model = build_model(config["model"], config["d_model"], vocab_size=task.vocab_size, n_classes=task.n_classes,
                        max_len=task.seq_len, cnn_layers=config["cnn_layers"])
    out = fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
              threshold=THRESHOLD, seed=config["seed"], eval_every=config["eval_every"],
              eval_batches=config["eval_batches"], forward=_logits)
    model.eval()
    with torch.no_grad():
        batch = task.sample(config["heldout"], torch.Generator().manual_seed(555_000 + config["seed"]))
        logits = _logits(model, batch)  # (N, T, K)
        q = batch.extra["query_pos"]
        pred = logits[torch.arange(len(q)), q].argmax(-1)
        heldout = float((pred == batch.targets[torch.arange(len(q)), q]).float().mean())
    out["heldout_accuracy"] = heldout
    if config["model"] == "cnn":
        out["reach"] = receptive_reach(model, max(64, 2 * task.seq_len), task.vocab_size)  # beyond T: the full reach
    return out


def _settings(profile: str) -> dict[str, Any]:
    return pick(profile,
                tiny=dict(ds=[8, 16], ns=[8, 32], ks=[3, 5], count_ns=[4, 8], count_ds=[8], speed_d=16,
                          speed_ns=[8, 32], tokens=64, repeats=2, warmup=1, min_seconds=0.0, max_seconds=2.0,
                          task=dict(length=10, n_symbols=4), distances=[2, 6], budget=3000, steps=40,
                          batch_size=32, lr=1e-2, eval_every=10, eval_batches=1, heldout=128),
                quick=dict(ds=[16, 32, 64, 128, 256, 512], ns=[16, 64, 256, 1024], ks=[3, 5, 7], count_ns=[8, 32, 64],
                           count_ds=[8, 32, 96], speed_d=64,
                           speed_ns=[16, 64, 256, 1024], tokens=4096, repeats=9, warmup=2, min_seconds=0.005,
                           max_seconds=20.0, task=dict(length=32, n_symbols=8), distances=[2, 4, 8, 16, 24],
                           budget=14000, steps=300, batch_size=32, lr=1e-2, eval_every=10, eval_batches=8,
                           heldout=2048),
                full=dict(ds=[16, 32, 64, 128, 256, 512, 1024], ns=[16, 64, 256, 1024, 4096], ks=[3, 5, 7],
                          count_ns=[8, 32, 128, 256], count_ds=[8, 64, 256],
                          speed_d=256, speed_ns=[16, 64, 256, 1024, 4096], tokens=16384, repeats=15, warmup=3,
                          min_seconds=0.02, max_seconds=120.0, task=dict(length=64, n_symbols=16),
                          distances=[2, 4, 8, 16, 24, 48], budget=60000, steps=4000, batch_size=64, lr=5e-3,
                          eval_every=20, eval_batches=16, heldout=8192))


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    s = _settings(profile)
    out = [Trial(cost_trial, {"kind": "cost", **{k: s[k] for k in ("ds", "ns", "ks", "count_ns", "count_ds")}})]
    cnn_layers = cnn_layers_for(max(s["distances"]))
    widths = {m: width_for_budget(m, s["budget"], s["task"], cnn_layers) for m in MODELS}
    train = {k: s[k] for k in ("steps", "batch_size", "lr", "eval_every", "eval_batches", "heldout", "budget")}
    train["cnn_layers"] = cnn_layers
    out += [Trial(train_trial, {"kind": "train", "model": m, "distance": dist, "d_model": widths[m], "seed": seed,
                                "task": {**s["task"], "distance": dist}, **train})
            for dist in s["distances"] for m in MODELS for seed in seeds]
    out += [Trial(speed_trial, {"kind": "speed", "n": n, "d_model": s["speed_d"], "n_heads": 4, "tokens": s["tokens"],
                                "threads": 2, "seed": seeds[0], **{k: s[k] for k in ("repeats", "warmup",
                                                                                      "min_seconds", "max_seconds")}},
                  exclusive=True, threads=2) for n in s["speed_ns"]]
    return out


# ----------------------------------------------------------------------------------------------------
# Evidence
# ----------------------------------------------------------------------------------------------------


def aggregate(outcomes: Outcomes) -> Aggregate:
    ev: list[Evidence] = []
    cost = outcomes.one(kind="cost")
    ev += _cost_evidence(cost.config, cost.measurements)
    speed_runs = sorted(outcomes.where(kind="speed"), key=lambda o: o.config["n"])
    ev += _speed_evidence(speed_runs)
    ev += load_evidence(speed_runs)
    runs = outcomes.where(kind="train")
    first = runs[0].config
    distances = sorted({o.config["distance"] for o in runs})
    task0 = make_task("marked_recall", **first["task"])
    for name, value in task0.baselines().items():
        ev.append(Evidence(f"baseline_{name}", value, unit="accuracy", bounds=ACC,
                           label=f"{name.replace('_', '-')} baseline (exact): any predictor that ignores the marked "
                                 "token" if name == "no_marker" else "chance baseline (exact)"))
    for m in MODELS:
        n_par = outcomes.values("n_parameters", model=m, distance=distances[0])[0]
        ev.append(Evidence(f"params_{m}", float(n_par), unit="parameters",
                           label=f"{MODELS[m]}: parameters (width {outcomes.where(model=m)[0].config['d_model']}"
                                 + (f", {first['cnn_layers']} layers)" if m == "cnn" else ")")))
    for dist in distances:
        here = [m for m in MODELS if outcomes.where(kind="train", model=m, distance=dist)]
        for m in here:
            where = dict(kind="train", model=m, distance=dist)
            what = f"{MODELS[m]}, distance {dist}"
            ev.append(stats.evidence_from(f"acc_{m}_d{dist}", outcomes.values("heldout_accuracy", **where),
                                          label=f"held-out accuracy: {what}", unit="accuracy", bounds=ACC))
            ev.append(stats.steps_evidence(f"steps_{m}_d{dist}", outcomes.values("steps_to_threshold", **where),
                                           first["steps"], label=f"steps to {THRESHOLD} accuracy: {what}"))
        att = dict(kind="train", model="attention", distance=dist)
        for r in here[1:]:
            rv = dict(kind="train", model=r, distance=dist)
            ev.append(stats.paired_evidence(
                f"gain_vs_{r}_d{dist}", outcomes.values("heldout_accuracy", **att),
                outcomes.values("heldout_accuracy", **rv), unit="accuracy", bounds=DIFF,
                label=f"held-out accuracy, attention - {MODELS[r]}, distance {dist} (paired by seed)"))
            ev.append(stats.paired_ratio_evidence(
                f"steps_ratio_{r}_d{dist}", outcomes.values("steps_to_threshold", **rv),
                outcomes.values("steps_to_threshold", **att), unit="x",
                label=f"steps to {THRESHOLD}, {MODELS[r]} / attention, distance {dist} (seeds where both reached it)"))
    lo, hi = distances[0], distances[-1]
    for r in RIVALS:
        def rel(dist: int, r: str = r) -> list[float | None]:
            a = outcomes.values("steps_to_threshold", kind="train", model="attention", distance=dist)
            b = outcomes.values("steps_to_threshold", kind="train", model=r, distance=dist)
            return [None if x is None or y is None else y / x for x, y in zip(a, b, strict=True)]
        ev.append(stats.paired_ratio_evidence(
            f"steps_growth_{r}", rel(hi), rel(lo), unit="x",
            label=f"({MODELS[r]} / attention steps at distance {hi}) / (the same at distance {lo}): > 1 when the "
                  "rival's learning cost grows with distance faster than attention's"))
    reach = outcomes.values("reach", kind="train", model="cnn", distance=distances[-1])
    ev.append(Evidence("cnn_reach", float(min(reach)), unit="positions", n=len(reach), per_seed=reach,
                       label=f"dilated CNN: farthest input offset the last position depends on (fewest over seeds; "
                             f"by design (k-1)/2 · Σ dilations = {cnn_reach(first['cnn_layers'])})"))
    config = {"task": {**first["task"], "distances": distances}, "threshold": THRESHOLD,
              "widths": {m: outcomes.where(model=m)[0].config["d_model"] for m in MODELS},
              **{k: first[k] for k in ("budget", "steps", "batch_size", "lr", "eval_every", "eval_batches", "heldout")},
              "cnn": {"layers": first["cnn_layers"], "kernel": CNN_KERNEL, "dilation_base": CNN_DILATION_BASE},
              "speed": {k: speed_runs[0].config[k] for k in ("d_model", "tokens", "threads", "repeats")},
              "cost_grid": {k: cost.config[k] for k in ("ds", "ns", "ks")}}
    return Aggregate(ev, _plots(EvidenceSet(ev), distances, speed_runs), config, LITERATURE)


def _cost_evidence(cfg: dict[str, Any], m: dict[str, Any]) -> list[Evidence]:
    ev: list[Evidence] = []
    p_bad = [r for r in m["params"] if r["formula"] != r["counted"]]
    f_bad = [r for r in m["flops"] if r["formula"] != r["counted"]]
    ev.append(Evidence("params_formula_mismatches", float(len(p_bad)), unit="grid points", n=len(m["params"]),
                       label="parameter formulas that differ from the real modules' counts", per_seed=p_bad or None))
    ev.append(Evidence("flops_formula_mismatches", float(len(f_bad)), unit="grid points", n=len(m["flops"]),
                       label="FLOP formulas that differ from torch's FLOP counter on the real modules",
                       per_seed=f_bad or None))
    table = {(r["kind"], r["d"], r["k"]): r["counted"] for r in m["params"]}
    ds, ks = cfg["ds"], cfg["ks"]
    ev.append(Evidence("params_table", [[d, table[("self_attention", d, 3)], table[("transformer_block", d, 3)],
                                         table[("lstm", d, 3)], *(table[("conv", d, k)] for k in ks)] for d in ds],
                       unit="parameters per layer", label="derivation, counted on the modules: rows [d, "
                       "self-attention, Transformer block, LSTM, " + ", ".join(f"conv k={k}" for k in ks) + "]"))
    d0 = 64 if 64 in ds else ds[len(ds) // 2]
    kinds = ("self_attention", "lstm", "conv")
    ev.append(Evidence("flops_table", [[n, *(layer_flops(kind, n, d0, 3) for kind in kinds)] for n in cfg["ns"]],
                       unit="forward FLOPs per layer (batch 1)",
                       label=f"derivation (formulas, checked against counts for n <= {max(cfg['count_ns'])}): rows "
                             f"[n, self-attention, LSTM, conv k=3] at d={d0}"))
    fewer_p = [(d, k) for d in ds for k in ks if table[("self_attention", d, 3)] < table[("conv", d, k)]]
    n_cases_p = len(ds) * (len(ks) + 1)
    wins_p = len(fewer_p) + sum(table[("self_attention", d, 3)] < table[("lstm", d, 3)] for d in ds)
    ev.append(Evidence("attention_fewer_params_share", wins_p / n_cases_p, unit="share of grid cases", n=n_cases_p,
                       label="derivation: share of (d, rival) cases where self-attention has fewer parameters "
                             "(rivals: LSTM and conv of each k)", bounds=ACC))
    cases_f = [(n, d, r) for n in cfg["ns"] for d in ds for r in ("lstm", "conv")]
    wins_f = sum(layer_flops("self_attention", n, d) < layer_flops(r, n, d, 3) for n, d, r in cases_f)
    ev.append(Evidence("attention_fewer_flops_share", wins_f / len(cases_f), unit="share of grid cases",
                       n=len(cases_f), bounds=ACC,
                       label="derivation: share of (n, d, rival) cases where self-attention needs fewer FLOPs "
                             "(rivals: LSTM and conv k=3)"))
    ev.append(Evidence("block_over_lstm_params", table[("transformer_block", ds[-1], 3)] / table[("lstm", ds[-1], 3)],
                       unit="ratio", label=f"derivation: a whole Transformer block's parameters / an LSTM layer's "
                                           f"at d={ds[-1]} (→ 12/8 = 1.5)"))
    ev.append(Evidence("min_kernel_attention_fewer", float(attention_conv_params_crossover(max(ds))), unit="k",
                       label="derivation: smallest conv kernel with more parameters than self-attention "
                             "(k > 4 + 3/d; 5 for every d >= 4)"))
    ev.append(Evidence("flops_crossover_lstm_over_d", attention_lstm_flops_crossover(ds[-1]) / ds[-1], unit="n / d",
                       label="derivation: self-attention needs fewer FLOPs than an LSTM iff n < 2d (the core QKᵀ, AV "
                             "alone, as in Vaswani Table 1's leading terms: n < d)"))
    return ev


def _speed_evidence(runs: list[Any]) -> list[Evidence]:
    ev: list[Evidence] = []
    if not runs:
        return ev
    d = runs[0].config["d_model"]
    for o in runs:
        n, t = o.config["n"], o.measurements["times"]
        b = o.measurements["batch"]
        for kind, what in SPEED_LAYERS.items():
            vals = [s * 1e3 for s in t[kind]]
            ev.append(Evidence(f"ms_{kind}_n{n}", statistics.median(vals), None, "ms", n=len(vals), bounds=(0, None),
                               label=f"forward+backward time, {what}, n={n}, batch {b}, d={d}",
                               ci_method=f"median of {len(vals)} repeats", per_seed=vals, timing=True))
        for r in ("lstm", "conv"):
            k = min(len(t["self_attention"]), len(t[r]))
            ev.append(ratio_evidence(f"time_ratio_{r}_n{n}", [t["self_attention"][i] / t[r][i] for i in range(k)],
                                     label=f"wall time, self-attention / {SPEED_LAYERS[r]}, n={n} (< 1: attention "
                                           "faster)"))
            ev.append(Evidence(f"flops_ratio_{r}_n{n}", layer_flops("self_attention", n, d)
                               / layer_flops(r, n, d, SPEED_KERNEL),
                               unit="x", label=f"FLOPs, self-attention / {SPEED_LAYERS[r]}, n={n} (derivation: the "
                                               "time ratio if both ran at the same FLOP/s)"))
    ns = [o.config["n"] for o in runs]
    ratios = [EvidenceSet(ev)[f"time_ratio_lstm_n{n}"].number for n in ns]
    ev.append(Evidence("measured_crossover_lstm", _crossover(ns, ratios), unit="n",
                       label=f"n where the measured time ratio self-attention / LSTM crosses 1 (log-log interpolation "
                             f"of the medians; predicted from FLOPs: n = 2d = {2 * d})", timing=True))
    return ev


def _crossover(ns: list[int], ratios: list[float]) -> float | str:
    """Where ``ratios`` (at increasing ``ns``) cross 1, interpolated in log n and log ratio; text if it does not."""
    for (n0, r0), (n1, r1) in zip(zip(ns, ratios, strict=True), zip(ns[1:], ratios[1:], strict=True), strict=False):
        if (r0 - 1) * (r1 - 1) <= 0 and r0 != r1:
            w = math.log(r0) / (math.log(r0) - math.log(r1))
            return float(math.exp(math.log(n0) + w * (math.log(n1) - math.log(n0))))
    return f"no crossing for n in [{ns[0]}, {ns[-1]}]" + (" (attention faster throughout)" if ratios[0] < 1
                                                         else " (attention slower throughout)")


def _series(es: EvidenceSet, label: str, xs: list[int], fmt: str, style: str = "solid") -> Series:
    evs = [es[fmt.format(x)] for x in xs]
    nums = [None if isinstance(e.value, str) else e.number for e in evs]
    lo = [None if isinstance(e.value, str) else rules.interval(e)[0] for e in evs]
    hi = [None if isinstance(e.value, str) else rules.interval(e)[1] for e in evs]
    return Series(label, list(xs), nums, lo, hi, style=style)


def _at(es: EvidenceSet, model: str, distances: list[int]) -> list[int]:
    """The distances at which ``model`` was trained."""
    return [d for d in distances if f"acc_{model}_d{d}" in es]


def _plots(es: EvidenceSet, distances: list[int], speed_runs: list[Any]) -> list[Plot]:
    acc = Panel(title="Held-out accuracy at the query", xlabel="distance", ylabel="accuracy", ylim=(0, 1.05),
                series=[_series(es, MODELS[m], _at(es, m, distances), f"acc_{m}_d{{}}") for m in MODELS],
                lines=[RefLine(es["baseline_no_marker"].number, "no-marker baseline (exact)"),
                       RefLine(THRESHOLD, "threshold")])
    steps = Panel(title=f"Steps to {THRESHOLD} (median; missing: not reached)", xlabel="distance", ylabel="steps",
                  series=[_series(es, MODELS[m], _at(es, m, distances), f"steps_{m}_d{{}}") for m in MODELS])
    headline = Plot("long_range", "Recall at a distance: attention vs LSTM vs dilated CNN (equal parameters)",
                    [acc, steps], caption=f"Mean over {es[f'acc_attention_d{distances[0]}'].n} seeds with 95% "
                    "intervals (left) and median steps to the threshold (right). The LSTM with torch's default init "
                    "is shown for contrast.", headline=True)
    plots = [headline]
    if speed_runs:
        ns = [o.config["n"] for o in speed_runs]
        time_panel = Panel(title="Self-attention time / rival time", xlabel="n", ylabel="ratio", xscale="log2",
                           yscale="log", lines=[RefLine(1.0, "equal")], series=[
                               _series(es, "vs LSTM (measured)", ns, "time_ratio_lstm_n{}"),
                               _series(es, "vs LSTM (FLOPs)", ns, "flops_ratio_lstm_n{}", "dashed"),
                               _series(es, f"vs conv k={SPEED_KERNEL} (measured)", ns, "time_ratio_conv_n{}"),
                               _series(es, f"vs conv k={SPEED_KERNEL} (FLOPs)", ns, "flops_ratio_conv_n{}", "dashed")])
        plots.append(Plot("speed", "One layer's forward+backward time at a fixed number of tokens", [time_panel],
                          caption="Solid: measured (geometric mean over repeats, 95% interval); dashed: what the FLOP "
                          "counts predict."))
    rows = es["params_table"].value
    pk = Panel(title="Parameters per layer", xlabel="d", ylabel="parameters", xscale="log2", yscale="log",
               series=[Series(lbl, [r[0] for r in rows], [r[i] for r in rows]) for i, lbl in
                       enumerate(["self-attention", "Transformer block", "LSTM", "conv k=3"], start=1)])
    frows = es["flops_table"].value
    fk = Panel(title="Forward FLOPs per layer", xlabel="n", ylabel="FLOPs", xscale="log2", yscale="log",
               series=[Series(lbl, [r[0] for r in frows], [r[i] for r in frows]) for i, lbl in
                       enumerate(["self-attention", "LSTM", "conv k=3"], start=1)])
    plots.append(Plot("cost", "Parameters and FLOPs per layer (derivation, counted on the modules)", [pk, fk]))
    return plots


# ----------------------------------------------------------------------------------------------------
# Decision
# ----------------------------------------------------------------------------------------------------


def _compare(gain: Evidence, ratio: Evidence) -> tuple[str, str]:
    """Attention against one rival at one distance: (accuracy, learning) outcomes.

    Accuracy: "more accurate" if the paired gain's interval lies above ``MIN_GAIN``, "no more accurate" if it lies
    below it (within the margin, or the rival ahead), else "undecided". Learning: "fewer steps" if the rival /
    attention steps ratio's interval lies above 1, "not fewer" if it does not (or no ratio: a rival that
    never reached the threshold shows up in the accuracy instead).
    """
    g_lo, g_hi = rules.interval(gain)
    acc = "more accurate" if g_lo > MIN_GAIN else "no more accurate" if g_hi < MIN_GAIN else "undecided"
    learn = "not fewer" if isinstance(ratio.value, str) or rules.interval(ratio)[0] <= 1 else "fewer steps"
    return acc, learn


def decide(evidence: list[Evidence]) -> Decision:
    ev = EvidenceSet(evidence)
    dists = sorted(int(k[len("acc_attention_d"):]) for k in ev if k.startswith("acc_attention_d"))
    d_lo, d_hi = dists[0], dists[-1]
    ns = sorted(int(k[len("time_ratio_lstm_n"):]) for k in ev if k.startswith("time_ratio_lstm_n"))

    formulas = Check("formulas_match_modules", ev["params_formula_mismatches"].number == 0
                     and ev["flops_formula_mismatches"].number == 0,
                     f"parameter formulas vs modules: {ev['params_formula_mismatches'].number:.0f} mismatches of "
                     f"{ev['params_formula_mismatches'].n}; FLOP formulas vs torch's counter: "
                     f"{ev['flops_formula_mismatches'].number:.0f} of {ev['flops_formula_mismatches'].n}")

    def params() -> tuple[str, str]:
        sp, sf = ev["attention_fewer_params_share"].number, ev["attention_fewer_flops_share"].number
        if sp == 1 and sf == 1:
            verdict = "confirmed"
        elif sp == 0 and sf == 0:
            verdict = "refuted"
        else:
            verdict = "qualified"
        return verdict, (
            f"{verdict} (derivation): self-attention has fewer parameters in {sp:.0%} of the (d, rival) cases and "
            f"fewer FLOPs in {sf:.0%} of the (n, d, rival) cases: fewer parameters than an LSTM layer at every d "
            f"(4d²+4d vs 8d²+8d) but than a convolution only for k >= {ev['min_kernel_attention_fewer'].number:.0f}; "
            f"a whole Transformer block has {ev['block_over_lstm_params'].number:.2f} times an LSTM layer's; fewer "
            f"FLOPs than an LSTM only for n < {ev['flops_crossover_lstm_over_d'].number:.0f}d, than a k=3 "
            f"convolution never. Rule: confirmed if fewer in every case, refuted if in none, else qualified.")

    fewest = min((ev[f"time_ratio_lstm_n{n}"].n or 0) for n in ns) if ns else 0
    speed_check = Check("timing_repeats", fewest >= MIN_REPEATS,
                        f"fewest timing repeats behind the time ratios: {fewest} (need {MIN_REPEATS}; a busy "
                        "machine stops a trial early)")

    quiet = quiet_check(ev)

    def faster() -> tuple[str, str]:
        status = {n: ("faster" if rules.interval(ev[f"time_ratio_lstm_n{n}"])[1] < 1 else
                      "slower" if rules.interval(ev[f"time_ratio_lstm_n{n}"])[0] > 1 else "undecided") for n in ns}
        decided = {s for s in status.values() if s != "undecided"}
        if decided == {"faster"} and "undecided" not in status.values():
            verdict = "confirmed"
        elif decided == {"slower"} and "undecided" not in status.values():
            verdict = "refuted"
        elif decided == {"faster", "slower"}:
            verdict = "qualified"
        else:
            verdict = "inconclusive"
        nums = "; ".join(f"n={n}: {rules.fmt(ev[f'time_ratio_lstm_n{n}'], 2)} (FLOPs predict "
                         f"{ev[f'flops_ratio_lstm_n{n}'].number:.2f})" for n in ns)
        cross = ev["measured_crossover_lstm"].value
        cross_txt = f"{cross:.0f}" if isinstance(cross, float) else cross
        return verdict, (
            f"{verdict}: self-attention's forward+backward time / the LSTM's: {nums}; measured crossover "
            f"{cross_txt}. Rule: faster at n if the ratio's interval lies below 1, slower if above; confirmed if "
            f"faster at every n, refuted if slower at every n, qualified if faster at some and slower at others, "
            f"else inconclusive.")

    learned = [rules.reached_check(f"learned_{m}_d{d_lo}", ev[f"steps_{m}_d{d_lo}"],
                                   what=f"{MODELS[m]}, distance {d_lo}") for m in ("attention", *RIVALS)]
    reach = Check("cnn_covers_distance", ev["cnn_reach"].number >= d_hi,
                  f"the dilated CNN's last position depends on inputs {ev['cnn_reach'].number:.0f} positions back "
                  f"(need {d_hi})")
    counts = [ev[f"params_{m}"].number for m in ("attention", *RIVALS)]
    budget = Check("equal_parameter_budget", max(counts) <= (1 + BUDGET_TOLERANCE) * min(counts),
                   "parameters: " + ", ".join(f"{m} {c:.0f}" for m, c in zip(("attention", *RIVALS), counts,
                                                                                 strict=True))
                   + f" (within {BUDGET_TOLERANCE:.0%} of each other)")

    def long_range() -> tuple[str, str]:
        res = {r: _compare(ev[f"gain_vs_{r}_d{d_hi}"], ev[f"steps_ratio_{r}_d{d_hi}"]) for r in RIVALS}
        accs = {a for a, _ in res.values()}
        if "undecided" in accs:
            verdict = "inconclusive"
        elif accs == {"more accurate"}:
            verdict = "confirmed"
        elif accs == {"no more accurate"} and all(learn == "not fewer" for _, learn in res.values()):
            verdict = "refuted"
        else:
            verdict = "qualified"
        nums = "; ".join(f"vs {MODELS[r]}: accuracy gain {rules.fmt(ev[f'gain_vs_{r}_d{d_hi}'])}, steps ratio "
                         f"{rules.fmt(ev[f'steps_ratio_{r}_d{d_hi}'], 2)} ({res[r][0]}, {res[r][1]})" for r in RIVALS)
        return verdict, (
            f"{verdict}: at distance {d_hi}, attention {nums}. Rule: more accurate than a rival if the paired "
            f"held-out accuracy gain's interval lies above {MIN_GAIN}, no more accurate if it lies below; fewer "
            f"steps if the rival / attention steps-to-{THRESHOLD} ratio's interval lies above 1. Confirmed if more "
            "accurate than both rivals; refuted if no more accurate than either and learning in no fewer steps than "
            "either; inconclusive if the accuracy comparison is undecided for one; qualified otherwise (e.g. no more "
            "accurate, but learning the longest dependency in fewer steps).")

    c1 = rules.claim("fewer_parameters", "Attention has fewer parameters and lower complexity than CNNs and RNNs.",
                     [formulas], ["attention_fewer_params_share", "attention_fewer_flops_share", "params_table",
                                  "flops_table", "block_over_lstm_params", "min_kernel_attention_fewer",
                                  "flops_crossover_lstm_over_d"], params, basis="derivation")
    c2 = rules.claim("faster", "Attention is faster than an RNN because it parallelises (like a CNN).",
                     [speed_check, quiet], [f"time_ratio_lstm_n{n}" for n in ns] + ["measured_crossover_lstm",
                                                                                    "others_cores"], faster)
    c3 = rules.claim("long_range", "Attention handles long-range dependencies better than CNNs and RNNs.",
                     [*learned, reach, budget],
                     [f"gain_vs_{r}_d{d_hi}" for r in RIVALS] + [f"steps_ratio_{r}_d{d_hi}" for r in RIVALS]
                     + [f"steps_growth_{r}" for r in RIVALS], long_range)
    measured = (c2.verdict, c3.verdict)
    if "inconclusive" in measured:
        verdict = "inconclusive"
    elif measured == ("refuted", "refuted"):
        verdict = "refuted"
    elif measured == ("confirmed", "confirmed") and c1.verdict == "confirmed":
        verdict = "confirmed"
    else:
        verdict = "qualified"
    checks = [formulas, speed_check, quiet, *learned, reach, budget]
    if any(not c.passed for c in checks):
        verdict = "inconclusive"
    rule = (f"{verdict}: fewer parameters/lower complexity {c1.verdict} (derivation), faster {c2.verdict}, better "
            f"with long-range dependencies {c3.verdict}. Rule: inconclusive if a check failed or a measured sub-claim "
            "is inconclusive; refuted if both measured sub-claims are refuted; confirmed if all three are confirmed "
            "(the derivation included); qualified otherwise.")
    return Decision(verdict, rule, checks, (c1, c2, c3))


def explain(evidence: list[Evidence], decision: Decision) -> Explanation:
    ev = EvidenceSet(evidence)
    dists = sorted(int(k[len("acc_attention_d"):]) for k in ev if k.startswith("acc_attention_d"))
    d_hi = dists[-1]
    accs = ", ".join(f"{MODELS[m]} {rules.fmt(ev[f'acc_{m}_d{d_hi}'])} ({ev[f'params_{m}'].number:.0f} parameters; "
                     f"median steps {_steps_text(ev[f'steps_{m}_d{d_hi}'])})" for m in MODELS)
    claims = {c.name: c for c in decision.claims}
    gain = ev[f"gain_vs_lstm_d{d_hi}"]
    lstm_matches = rules.interval(gain)[1] < MIN_GAIN
    tang = ("This agrees with Tang et al. 2018 and Tran et al. 2018, who found RNNs matching self-attention on "
            "long-range agreement." if lstm_matches else
            "This disagrees with Tang et al. 2018 and Tran et al. 2018, who found RNNs matching self-attention on "
            "long-range agreement in translation models; their task (agreement in natural text) differs from this "
            "synthetic recall.")
    broken = [d for d in dists if f"acc_lstm_default_d{d}" in ev
              and rules.interval(ev[f"acc_lstm_default_d{d}"])[1] < THRESHOLD]
    init = (f"The same LSTM with torch's default initialisation stays below {THRESHOLD} at distances "
            f"{', '.join(map(str, broken))} (held-out accuracy {rules.fmt(ev[f'acc_lstm_default_d{d_hi}'])} at "
            f"{d_hi}): how the LSTM is initialised, not the recurrence itself, decides whether it learns the longer "
            "dependencies within the budget." if broken else
            "The LSTM with torch's default initialisation reaches the threshold at every distance too.")
    summary = (f"{_sentence(claims['fewer_parameters'].rule)} {_sentence(claims['faster'].rule)} {load_text(ev)}"
               f"At distance {d_hi} (exact no-marker baseline {ev['baseline_no_marker'].number:.3f}): {accs}. "
               f"{_sentence(claims['long_range'].rule)} {tang} {init} " + decision.rule)
    v = {k: c.verdict for k, c in claims.items()}
    answer_en = (f"{decision.verdict.capitalize()}. Fewer parameters: {v['fewer_parameters']} by counting (fewer "
                 f"than an LSTM, more than a small-kernel convolution; fewer FLOPs only while n < 2d). Faster than an "
                 f"RNN: {v['faster']} on this machine. Better at long range: {v['long_range']} (with a covering "
                 "dilated CNN and a well-initialised LSTM at equal parameters).")
    answer_zh = (f"结论:{_ZH[decision.verdict]}。参数少:{_ZH[v['fewer_parameters']]}"
                 "(计数推导:比 LSTM 少,比小卷积核的 CNN 多;仅当 n < 2d 时计算量更小)。"
                 f"比 RNN 快:{_ZH[v['faster']]}(本机实测)。长距离依赖更好:{_ZH[v['long_range']]}"
                 "(对照为感受野覆盖距离的空洞 CNN 和初始化得当的 LSTM,参数量相同)。")
    return Explanation(summary, answer_en, answer_zh)


def _sentence(text: str) -> str:
    return text if text.endswith(".") else text + "."


def _steps_text(e: Evidence) -> str:
    k, n = rules.reached_count(e)
    value = e.value if isinstance(e.value, str) else f"{e.number:.0f}"
    return f"{value}, {k} of {n} seeds reached it"


_ZH = {"confirmed": "成立", "qualified": "有条件成立", "refuted": "不成立", "inconclusive": "证据不足"}

EXPERIMENT = register(Experiment(QUESTION, trials=trials, aggregate=aggregate, decide=decide, explain=explain))
