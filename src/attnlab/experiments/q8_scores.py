"""q8: what are the common ways to compute attention weights?

The seed answers with a list and makes no claim about it. The built-in score functions
(:mod:`attnlab.attention.scores`) are that list: ``dot`` :math:`q^\\top k`, ``scaled_dot``
:math:`q^\\top k / \\sqrt{d_k}` (Vaswani et al. 2017), ``general`` :math:`q^\\top W k` (Luong et al. 2015; the
"multiplicative" attention of Britz et al. 2017), ``additive`` :math:`v^\\top \\tanh(W_1 q + W_2 k)`
(Bahdanau et al. 2015) and ``cosine`` with a learned temperature. What *is* claimed about them comes
from the literature, and those claims are tested:

- **Britz et al. 2017**: additive attention beats (unscaled) multiplicative attention, and the gap
  grows with the dimension; they suspected the growing variance of the dot product.
- **Vaswani et al. 2017, §3.2.1**: scaling by :math:`1/\\sqrt{d_k}` closes that gap; and dot-product
  attention is much faster and more space-efficient than additive attention in practice.
- **Luong et al. 2015**: the multiplicative scores (dot, general) work as well as concat (additive)
  for global attention in an RNN encoder-decoder.

Two models, the same for every score (an explicit list, :data:`SCORES`, never the registry's contents):
a one-layer Transformer encoder (no positions) on key-value lookup (:class:`attnlab.data.LookupTask`,
where one attention layer must retrieve by content), at :math:`d_k = 8` and :math:`d_k = 64` for a
fixed width ``d_model = 64`` (8 heads and 1 head), and an LSTM encoder-decoder with Luong-style global
attention (:class:`attnlab.models.RNNSeq2Seq`) on sequence reversal. Every condition trains to
``THRESHOLD`` accuracy or a step budget (5 seeds) and reports steps-to-threshold; comparisons rest on
the paired ratio of steps per seed. Time per training step and per attention layer (timing trials, run
alone) and the bytes an attention layer keeps for the backward pass (with the library's kernels and
with the materialising reference kernel) stand beside them.

Britz et al. measured BLEU of 1024-unit LSTM NMT models; Luong et al. BLEU of 1000-unit NMT models;
these are different regimes, so their numbers are cited as literature, not set beside ours.
"""

from __future__ import annotations

import math
import statistics
from typing import Any

import torch

from attnlab.analysis.curves import mean_curve
from attnlab.data import make_task
from attnlab.data.baselines import mode_accuracy
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
from attnlab.experiments.training import fit
from attnlab.results import Evidence, Panel, Plot, Reference, RefLine, Series

__all__ = ["QUESTION", "SCORES", "memory_trial", "rnn_trial", "saved_bytes", "timing_trial", "transformer_trial"]

QUESTION = Question(
    qid="q8",
    title="Ways to compute attention weights",
    question="What are the common ways to compute attention weights?",
    question_zh="Attention中权重的常见计算方式有哪些?",
    claim="The seed lists score functions and makes no claim about them. Tested instead: the literature's "
          "claims that additive attention beats unscaled multiplicative attention as the dimension grows "
          "(Britz et al. 2017), that scaling by 1/√d_k closes the gap and that dot products are faster and "
          "smaller (Vaswani et al. 2017), and that dot / general scores are as good as additive in an RNN "
          "encoder-decoder (Luong et al. 2015).",
    claim_zh="(种子只列举了计算方式,没有给出结论。)检验文献中的结论:维度增大时加性注意力优于未缩放的乘性注意力"
             "(Britz et al. 2017);除以√d_k可消除差距,点积更快更省内存(Vaswani et al. 2017);在RNN编码器-解码器中"
             "dot/general与加性注意力效果相当(Luong et al. 2015)。",
)

# The built-in scores, named explicitly: a score registered by a user or a test must never enter q8.
SCORES: tuple[str, ...] = ("dot", "scaled_dot", "general", "additive", "cosine")
UNSCALED = ("dot", "general")  # the multiplicative scores without 1/sqrt(d_k)
THRESHOLD = 0.9  # token accuracy every condition is trained to
SPEEDUP = 1.5  # a steps (or time) ratio whose interval clears this is a difference that matters
D_MODEL = 64  # Transformer width, fixed while d_k varies through the number of heads
HEAD_DIMS = (8, 64)  # d_k = D_MODEL / heads: small (8 heads) and large (1 head)
LOOKUP = {"n_pairs": 8, "n_keys": 16, "n_values": 16, "n_queries": 4}
REVERSE = {"length": 8, "n_symbols": 8}
RNN_D = 32  # LSTM width of the encoder-decoder (the score's d)
MEM_LENGTHS = (64, 256)  # sequence lengths of the memory measurement

BRITZ = Reference(
    "Britz et al. 2017, Massive Exploration of NMT Architectures, §4.5 (attention mechanism)", "Multiplicative "
    "(Luong's general) attention scored 22.03, 22.33, 21.78 and 18.22 BLEU at attention dimension 128, 256, 512 and "
    "1024, additive attention 22.23, 22.33, 22.47 and 22.10: additive slightly but consistently better, and the "
    "multiplicative score collapsed at 1024; scaling was not tried.",
    "2-layer LSTM NMT, WMT'15 En-De, newstest2013 BLEU, attention dimension 128-1024", "supports",
    "https://arxiv.org/abs/1703.03906")
VASWANI = Reference(
    "Vaswani et al. 2017, Attention Is All You Need, §3.2.1", "For small d_k the two perform similarly; additive "
    "outperforms dot-product attention without scaling for larger d_k (citing Britz et al.); scaling by 1/√d_k "
    "counteracts it; dot-product attention is much faster and more space-efficient in practice.",
    "Transformer, d_k = 64 (an argument, not an ablation)", "supports", "https://arxiv.org/abs/1706.03762")
LUONG = Reference(
    "Luong et al. 2015, Effective Approaches to Attention-based NMT, Table 4 and its discussion",
    "Global attention with the dot score reached 18.6 BLEU, with general 17.3 (local-p with general was best, "
    "19.0); their concat (additive) score 'did not yield good performances' and is not in the table.",
    "4-layer LSTM NMT, 1000 units, WMT'14 En-De, newstest2014 BLEU", "supports", "https://arxiv.org/abs/1508.04025")

ACC = (0.0, 1.0)


# ----------------------------------------------------------------------------------------------------
# Trials
# ----------------------------------------------------------------------------------------------------


def _settings(profile: str) -> dict[str, Any]:
    return pick(profile,
                tiny=dict(steps={8: 20, 64: 20}, rnn_steps=20, batch_size=16, lr=3e-3, rnn_lr=1e-2, eval_every=10,
                          eval_batches=2, timing_repeats=2, timing_length=32),
                # Calibrated: the slowest score that learns needs ~250 steps at d_k=8 (additive) and ~125 at
                # d_k=64 (cosine); unscaled dot at d_k=64 sits near 0.5 from step ~300 on (0.53 after 800).
                quick=dict(steps={8: 400, 64: 300}, rnn_steps=400, batch_size=32, lr=3e-3, rnn_lr=1e-2, eval_every=25,
                           eval_batches=4, timing_repeats=7, timing_length=256),
                full=dict(steps={8: 3000, 64: 3000}, rnn_steps=3000, batch_size=64, lr=2e-3, rnn_lr=5e-3,
                          eval_every=50, eval_batches=8, timing_repeats=21, timing_length=1024))


def _transformer(score: str, head_dim: int, task: Any) -> torch.nn.Module:
    from attnlab.models import TransformerEncoder

    return TransformerEncoder(vocab_size=task.vocab_size, d_model=D_MODEL, n_heads=D_MODEL // head_dim, n_layers=1,
                              max_len=task.seq_len, n_outputs=task.n_classes, positions="none", score=score)


def transformer_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train the lookup Transformer with one score and d_k for one seed."""
    task = make_task("lookup", **LOOKUP)
    model = _transformer(config["score"], config["head_dim"], task)
    return fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
               threshold=THRESHOLD, seed=config["seed"], eval_every=config["eval_every"],
               eval_batches=config["eval_batches"])


def _reverse_forward(length: int, bos: int):
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
    model = RNNSeq2Seq(src_vocab_size=task.vocab_size, tgt_vocab_size=n + 1, d_model=config["d_model"], cell="lstm",
                       score=config["score"], style="luong")
    return fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
               threshold=THRESHOLD, seed=config["seed"], eval_every=config["eval_every"],
               eval_batches=config["eval_batches"], forward=_reverse_forward(REVERSE["length"], n))


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


def memory_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Bytes one attention layer keeps for backward, per score and length, with the default and reference kernels."""
    from attnlab.attention import MultiHeadAttention

    out: dict[str, Any] = {}
    for score in config["scores"]:
        for impl in ("auto", "reference"):
            for t in config["lengths"]:
                mha = MultiHeadAttention(D_MODEL, 1, score=score, impl=impl)
                x = torch.randn(2, t, D_MODEL, requires_grad=True)
                out[f"{score}_{impl}_{t}"] = saved_bytes(lambda m=mha, x=x: m(x)[0])
    return out


def timing_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Wall time of a training step of the lookup Transformer (d_k = 64) and of one attention layer's
    forward and backward at a longer length, per score, timed in alternation (run alone)."""
    from attnlab.attention import MultiHeadAttention
    from attnlab.timing import compare

    task = make_task("lookup", **LOOKUP)
    batch = task.sample(config["batch_size"], torch.Generator().manual_seed(0))
    steps, layers = {}, {}
    for score in config["scores"]:
        model = _transformer(score, max(HEAD_DIMS), task)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

        def step(model=model, opt=opt) -> None:
            logits = model(batch.inputs).logits
            loss = torch.nn.functional.cross_entropy(logits.flatten(0, 1), batch.targets.flatten(), ignore_index=-100)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
        steps[score] = step
        mha = MultiHeadAttention(D_MODEL, 1, score=score)
        x = torch.randn(4, config["length"], D_MODEL, requires_grad=True)

        def layer(mha=mha, x=x) -> None:
            mha(x)[0].sum().backward()
        layers[score] = layer
    t_step = compare(steps, warmup=2, repeats=config["repeats"])
    t_layer = compare(layers, warmup=1, repeats=config["repeats"])
    return {"step_s": {k: list(v.times) for k, v in t_step.items()},
            "layer_s": {k: list(v.times) for k, v in t_layer.items()}}


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    s = _settings(profile)
    common = {k: s[k] for k in ("batch_size", "eval_every", "eval_batches")}
    grid = [Trial(transformer_trial, {"kind": "transformer", "score": sc, "head_dim": hd, "seed": seed,
                                      "steps": s["steps"][hd], "lr": s["lr"], **common})
            for hd in HEAD_DIMS for sc in SCORES for seed in seeds]
    grid += [Trial(rnn_trial, {"kind": "rnn", "score": sc, "d_model": RNN_D, "seed": seed, "steps": s["rnn_steps"],
                               "lr": s["rnn_lr"], **common}) for sc in SCORES for seed in seeds]
    lengths = list(MEM_LENGTHS) if profile != "tiny" else [16, 32]
    grid.append(Trial(memory_trial, {"kind": "memory", "scores": list(SCORES), "lengths": lengths}))
    grid.append(Trial(timing_trial, {"kind": "timing", "scores": list(SCORES), "batch_size": s["batch_size"],
                                     "length": s["timing_length"], "repeats": s["timing_repeats"]},
                      exclusive=True, threads=2))
    return grid


# ----------------------------------------------------------------------------------------------------
# Evidence
# ----------------------------------------------------------------------------------------------------

MODELS = tuple(f"transformer_dk{hd}" for hd in HEAD_DIMS) + ("rnn",)


def _where(model: str) -> dict[str, Any]:
    if model == "rnn":
        return {"kind": "rnn"}
    return {"kind": "transformer", "head_dim": int(model.removeprefix("transformer_dk"))}


def _describe(model: str) -> str:
    if model == "rnn":
        return f"LSTM encoder-decoder (d={RNN_D}), reversal"
    hd = int(model.removeprefix("transformer_dk"))
    heads = D_MODEL // hd
    return f"Transformer d_k={hd} ({heads} head{'s' if heads > 1 else ''}), lookup"


def _filled(steps: list[int | None], budget: int) -> list[int]:
    return [budget if s is None else s for s in steps]


def aggregate(outcomes: Outcomes) -> Aggregate:
    ev: list[Evidence] = []
    lookup, reverse = make_task("lookup", **LOOKUP), make_task("reverse", **REVERSE)
    base = {"transformer": {**lookup.baselines()},
            "rnn": {"chance": reverse.chance_accuracy,
                    # answering, at every position, the most frequent input symbol: order dropped, exact
                    "bag_of_words": mode_accuracy(REVERSE["length"], REVERSE["n_symbols"])}}
    for kind, bs in base.items():
        for name, value in bs.items():
            ev.append(Evidence(f"baseline_{kind}_{name}", value, unit="accuracy", bounds=ACC,
                               label=f"{'lookup' if kind == 'transformer' else 'reversal'}: {name.replace('_', ' ')} "
                                     "predictor (exact)"))
    budgets = {}
    for model in MODELS:
        where = _where(model)
        budget = outcomes.where(**where)[0].config["steps"]
        budgets[model] = budget
        ev.append(Evidence(f"budget_{model}", budget, unit="steps", label=f"step budget, {_describe(model)}"))
        for sc in SCORES:
            what = f"{sc}, {_describe(model)}"
            ev.append(stats.evidence_from(f"acc_{model}_{sc}", outcomes.values("accuracy", score=sc, **where),
                                          label=f"token accuracy: {what}", unit="accuracy", bounds=ACC))
            ev.append(stats.steps_evidence(f"steps_{model}_{sc}", outcomes.values("steps_to_threshold", score=sc,
                                                                                  **where),
                                           budget, label=f"steps to {THRESHOLD} accuracy: {what}"))
        for a, b in _pairs(model):
            ra = _filled(outcomes.values("steps_to_threshold", score=a, **where), budget)
            rb = _filled(outcomes.values("steps_to_threshold", score=b, **where), budget)
            e = stats.paired_ratio_evidence(f"ratio_{model}_{a}_{b}", ra, rb, unit="x",
                                            label=f"steps to {THRESHOLD}, {a} / {b}, {_describe(model)}")
            e.ci_method += f"; a seed that never reached it counts as the budget ({budget} steps)"
            ev.append(e)
    ev += _cost_evidence(outcomes)
    plots = _plots(ev, outcomes)
    first = outcomes.where(kind="transformer")[0].config
    rnn_first = outcomes.where(kind="rnn")[0].config
    config = {"scores": list(SCORES), "threshold": THRESHOLD, "speedup_margin": SPEEDUP, "d_model": D_MODEL,
              "head_dims": list(HEAD_DIMS), "lookup": LOOKUP, "reverse": REVERSE, "rnn_d": RNN_D, "rnn_style": "luong",
              "positions": "none", "n_layers": 1, "steps": budgets,
              **{k: first[k] for k in ("batch_size", "lr", "eval_every", "eval_batches")}, "rnn_lr": rnn_first["lr"]}
    return Aggregate(ev, plots, config, [BRITZ, VASWANI, LUONG])


def _pairs(model: str) -> list[tuple[str, str]]:
    """The step ratios a rule or reader needs: each score against additive and against scaled_dot."""
    pairs = [(sc, "additive") for sc in SCORES if sc != "additive"]
    return pairs + [(sc, "scaled_dot") for sc in SCORES if sc not in ("scaled_dot", "additive")]


def _cost_evidence(outcomes: Outcomes) -> list[Evidence]:
    ev: list[Evidence] = []
    mem = outcomes.one(kind="memory")
    lengths = mem.config["lengths"]
    for sc in SCORES:
        for impl in ("auto", "reference"):
            ev.append(Evidence(f"memory_{sc}_{impl}", [mem.measurements[f"{sc}_{impl}_{t}"] / 2**20 for t in lengths],
                               unit="MiB", label=f"MiB one attention layer keeps for backward ({sc}, kernel {impl}; "
                               f"B=2, d={D_MODEL}, 1 head) at T = {lengths}"))
    tm = outcomes.one(kind="timing")
    cfg = tm.config
    for kind, what in (("step", f"a training step of the lookup Transformer (d_k={max(HEAD_DIMS)}, batch "
                                f"{cfg['batch_size']})"),
                       ("layer", f"forward + backward of one attention layer (B=4, T={cfg['length']}, d={D_MODEL})")):
        times = tm.measurements[f"{kind}_s"]
        for sc in SCORES:  # the median: robust to a repeat slowed by other work on the machine
            ms = sorted(1000 * t for t in times[sc])
            ev.append(Evidence(f"ms_{kind}_{sc}", statistics.median(ms), unit="ms", bounds=(0.0, None), n=len(ms),
                               label=f"ms per {what}: {sc}", per_seed=ms, timing=True,
                               ci_method=f"median of {len(ms)} alternating repeats (fastest {ms[0]:.2f} ms)"))
        for sc in SCORES:
            if sc == "scaled_dot":
                continue
            e = stats.paired_ratio_evidence(f"time_ratio_{kind}_{sc}", times[sc], times["scaled_dot"], unit="x",
                                            label=f"time of {what}, {sc} / scaled_dot (alternating repeats)")
            e.ci_method = e.ci_method.replace("seeds", "repeats")
            e.timing = True
            ev.append(e)
    return ev


def _plots(ev: list[Evidence], outcomes: Outcomes) -> list[Plot]:
    es = EvidenceSet(ev)
    panels = []
    for model in MODELS:
        budget = es[f"budget_{model}"].number
        ys = [es[f"steps_{model}_{sc}"].value for sc in SCORES]
        panels.append(Panel(kind="bar", title=_describe(model), ylabel=f"median steps to {THRESHOLD} (budget if not "
                            "reached)", series=[Series("median steps", list(SCORES),
                                                       [budget if isinstance(y, str) else y for y in ys])],
                            lines=[RefLine(budget, "budget")]))
    headline = Plot("steps_by_score", "Steps to learn with each score: a Transformer at small and large d_k, and an "
                    "RNN encoder-decoder", panels, caption="Bars at the budget: at least half of the seeds did not "
                    "reach the threshold. Unscaled multiplicative scores (dot, general) at d_k = 64 are the case of "
                    "Britz et al. 2017.", headline=True)
    acc_panels = []
    for model in MODELS:
        es_m = [es[f"acc_{model}_{sc}"] for sc in SCORES]
        kind = "rnn" if model == "rnn" else "transformer"
        lines = [RefLine(es[f"baseline_{kind}_chance"].number, "chance")]
        lines.append(RefLine(es["baseline_transformer_no_lookup"].number, "no-lookup (exact)") if kind == "transformer"
                     else RefLine(es["baseline_rnn_bag_of_words"].number, "most frequent input symbol (exact)"))
        acc_panels.append(Panel(kind="bar", title=_describe(model), ylabel="token accuracy at the end", ylim=(0, 1.02),
                                series=[Series("accuracy", list(SCORES), [e.number for e in es_m],
                                               [rules.interval(e)[0] for e in es_m],
                                               [rules.interval(e)[1] for e in es_m])], lines=lines))
    curves = []
    for model in MODELS:
        series = []
        for sc in SCORES:
            runs = outcomes.where(score=sc, **_where(model))
            steps, means = mean_curve([o.measurements["curve"] for o in runs])
            series.append(Series(sc, steps, means))
        curves.append(Panel(title=_describe(model), xlabel="step", ylabel="accuracy", ylim=(0, 1.02), series=series,
                            lines=[RefLine(THRESHOLD, "threshold")]))
    t_mem = outcomes.one(kind="memory").config["lengths"][-1]
    cost = [Panel(kind="bar", title="time per training step (lookup, d_k=64)", ylabel="ms (median of repeats)",
                  series=[Series("ms", list(SCORES), [es[f"ms_step_{sc}"].number for sc in SCORES])]),
            Panel(kind="bar", title="time per attention layer, forward + backward", ylabel="ms (median of repeats)",
                  series=[Series("ms", list(SCORES), [es[f"ms_layer_{sc}"].number for sc in SCORES])]),
            Panel(kind="bar", title=f"memory kept for backward, one layer, T={t_mem}", ylabel="MiB", yscale="log",
                  series=[Series("library's kernel", list(SCORES),
                                 [es[f"memory_{sc}_auto"].value[-1] for sc in SCORES]),
                          Series("reference (materialised)", list(SCORES),
                                 [es[f"memory_{sc}_reference"].value[-1] for sc in SCORES])])]
    return [headline,
            Plot("accuracy_by_score", "Accuracy at the end of training (early stop at the threshold)", acc_panels,
                 caption="Means over seeds with 95% intervals; dashed: exact trivial baselines."),
            Plot("learning_curves", "Learning curves (mean over seeds)", curves),
            Plot("cost_by_score", "Time and memory per score", cost,
                 caption="Timings from one trial run after the others (2 threads, alternating repeats); memory is "
                 "what autograd keeps for backward, measured, with the library's kernels (SDPA for the bilinear "
                 "scores, the chunked kernel for additive) and with the materialising reference kernel.")]


# ----------------------------------------------------------------------------------------------------
# Decision
# ----------------------------------------------------------------------------------------------------


def compare_scores(ev: EvidenceSet, model: str, a: str, b: str) -> tuple[str, str]:
    """Score ``a`` against score ``b`` in ``model`` by steps to the threshold: ``(outcome, text)``.

    With r = steps(a) / steps(b) per seed (censored at the budget) and its interval: "slower" if only b
    reached the threshold in 4 of 5 seeds or r's interval lies above ``SPEEDUP``; "faster" in the mirror
    case; "as good" if both reached it and r's interval lies below ``SPEEDUP`` (a is not slower by the
    margin); "unclear" if it straddles the margin; "unlearned" if neither reached it.
    """
    ka, n = rules.reached_count(ev[f"steps_{model}_{a}"])
    kb, _ = rules.reached_count(ev[f"steps_{model}_{b}"])
    need = math.ceil(0.8 * n - 1e-9)
    reach = f"{a} reached {THRESHOLD} in {ka}/{n} seeds, {b} in {kb}/{n}"
    if ka < need and kb < need:
        return "unlearned", f"{_describe(model)}: neither {a} nor {b} learned ({reach})"
    if ka < need:
        return "slower", f"{_describe(model)}: {a} did not learn, {b} did ({reach})"
    if kb < need:
        return "faster", f"{_describe(model)}: {a} learned, {b} did not ({reach})"
    r = ev[f"ratio_{model}_{a}_{b}"]
    lo, hi = rules.interval(r)
    shown = _ratio_text(r)
    if lo > SPEEDUP:
        outcome = "slower"
    elif hi < 1 / SPEEDUP:
        outcome = "faster"
    elif hi < SPEEDUP:
        outcome = "as good"
    else:
        outcome = "unclear"
    return outcome, f"{_describe(model)}: {a} needs {shown}x the steps of {b} ({outcome})"


def _ratio_text(e: Evidence) -> str:
    """``"0.81 [0.67, 0.96]"``, or ``"0.75 (all seeds equal)"``."""
    return rules.fmt(e, 2) if e.ci is not None else f"{e.number:.2f} (all seeds equal)"


def decide(evidence: list[Evidence]) -> Decision:
    ev = EvidenceSet(evidence)
    small, large = f"transformer_dk{min(HEAD_DIMS)}", f"transformer_dk{max(HEAD_DIMS)}"
    best_learned = []
    for model in MODELS:
        best = min(SCORES, key=lambda sc: _speed_key(ev[f"steps_{model}_{sc}"], ev[f"budget_{model}"].number))
        best_learned.append(rules.reached_check(f"best_learned_{model}", ev[f"steps_{model}_{best}"],
                                                what=f"best score ({best}), {_describe(model)}"))
    below = _below_baseline(ev)

    def britz() -> tuple[str, str]:
        at_large = {sc: compare_scores(ev, large, sc, "additive") for sc in UNSCALED}
        at_small = {sc: compare_scores(ev, small, sc, "additive") for sc in UNSCALED}
        beaten = [sc for sc, (o, _) in at_large.items() if o == "slower"]
        grows = [sc for sc in beaten if at_small[sc][0] in ("as good", "faster")]
        if len(grows) == len(UNSCALED):
            verdict = "confirmed"
        elif beaten:
            verdict = "qualified"
        elif all(o in ("as good", "faster") for o, _ in at_large.values()):
            verdict = "refuted"
        else:
            verdict = "inconclusive"
        return verdict, (
            f"{verdict}: " + "; ".join(t for _, t in [*at_large.values(), *at_small.values()])
            + f". Rule: confirmed if additive beats both unscaled multiplicative scores ({', '.join(UNSCALED)}) at "
            f"d_k={max(HEAD_DIMS)} (they fail to reach {THRESHOLD}, or need more than {SPEEDUP}x its steps, "
            f"interval above) while at d_k={min(HEAD_DIMS)} they are as good (interval below {SPEEDUP}); "
            "qualified if it beats them only partly or also at small d_k; refuted if at large d_k they are as "
            "good as additive; inconclusive otherwise.")

    def scaling() -> tuple[str, str]:
        o, t = compare_scores(ev, large, "scaled_dot", "additive")
        dot_o, dot_t = compare_scores(ev, large, "dot", "scaled_dot")
        if o in ("as good", "faster"):
            verdict = "confirmed"
        elif o == "slower":
            verdict = "refuted"
        else:
            verdict = "inconclusive"
        return verdict, (
            f"{verdict}: {t}; {dot_t}. Rule: at d_k={max(HEAD_DIMS)} the gap is closed if scaled_dot reaches "
            f"{THRESHOLD} and needs less than {SPEEDUP}x additive's steps (interval below); refuted if it is "
            "slower by the margin or does not learn.")

    def luong() -> tuple[str, str]:
        parts = {(m, sc): compare_scores(ev, m, sc, "additive") for m in ("rnn", small) for sc in UNSCALED}
        good = [k for k, (o, _) in parts.items() if o in ("as good", "faster")]
        if len(good) == len(parts):
            verdict = "confirmed"
        elif good:
            verdict = "qualified"
        elif all(o == "slower" for o, _ in parts.values()):
            verdict = "refuted"
        else:
            verdict = "inconclusive"
        return verdict, (
            f"{verdict}: " + "; ".join(t for _, t in parts.values())
            + f". Rule: dot and general are competitive where they reach {THRESHOLD} and need less than {SPEEDUP}x "
            f"additive's steps (interval below): confirmed if so in the RNN encoder-decoder and in the "
            f"Transformer at d_k={min(HEAD_DIMS)}, qualified if in some, refuted if slower everywhere.")

    def cost() -> tuple[str, str]:
        t_step, t_layer = ev["time_ratio_step_additive"], ev["time_ratio_layer_additive"]
        mem_auto = ev["memory_additive_auto"].value[-1] / ev["memory_scaled_dot_auto"].value[-1]
        mem_ref = ev["memory_additive_reference"].value[-1] / ev["memory_scaled_dot_reference"].value[-1]
        faster = rules.interval(t_layer)[0] > SPEEDUP
        smaller = mem_auto > SPEEDUP
        if faster and smaller:
            verdict = "confirmed"
        elif faster or smaller:
            verdict = "qualified"
        elif rules.interval(t_layer)[1] < SPEEDUP:
            verdict = "refuted"
        else:
            verdict = "inconclusive"
        return verdict, (
            f"{verdict}: additive / scaled_dot time per attention layer {_ratio_text(t_layer)}, per training step "
            f"of the small lookup model {_ratio_text(t_step)}; memory kept for backward at the longest length "
            f"{mem_auto:.2f}x with the library's kernels ({mem_ref:.2f}x when both are materialised). Rule: "
            f"confirmed if additive is slower by more than {SPEEDUP}x per layer (interval above) and needs more "
            f"than {SPEEDUP}x the memory with the library's kernels; qualified if only one holds; refuted if the "
            f"time ratio's interval lies below {SPEEDUP} and memory does not differ by it.")

    c_britz = rules.claim("additive_beats_unscaled_at_large_d", "Additive attention beats unscaled multiplicative "
                          "attention as d_k grows (Britz et al. 2017).", best_learned[:2],
                          [f"ratio_{m}_{sc}_additive" for m in (small, large) for sc in UNSCALED], britz)
    c_scale = rules.claim("scaling_closes_the_gap", "Scaling the dot product by 1/√d_k closes the gap to additive "
                          "attention (Vaswani et al. 2017).", best_learned[1:2],
                          [f"ratio_{large}_scaled_dot_additive", f"ratio_{large}_dot_scaled_dot"], scaling)
    c_luong = rules.claim("multiplicative_competitive_at_small_d", "Dot and general scores are as good as additive "
                          "in an RNN encoder-decoder and at small d_k (Luong et al. 2015).",
                          [best_learned[0], best_learned[2]],
                          [f"ratio_{m}_{sc}_additive" for m in ("rnn", small) for sc in UNSCALED], luong)
    c_cost = rules.claim("dot_faster_and_smaller", "Dot-product attention is much faster and more space-efficient "
                         "than additive attention (Vaswani et al. 2017).", [],
                         ["time_ratio_layer_additive", "time_ratio_step_additive", "memory_additive_auto",
                          "memory_scaled_dot_auto"], cost)
    claims = (c_britz, c_scale, c_luong, c_cost)
    checks = [*best_learned]
    verdicts = [c.verdict for c in claims]
    if any(not c.passed for c in checks):
        verdict = "inconclusive"
    elif c_britz.verdict == "refuted":
        verdict = "refuted"
    elif all(v == "confirmed" for v in verdicts):
        verdict = "confirmed"
    elif c_britz.verdict == "inconclusive":
        verdict = "inconclusive"
    else:
        verdict = "qualified"
    rule = (f"{verdict}: " + ", ".join(f"{c.name.replace('_', ' ')} {c.verdict}" for c in claims)
            + (f"; below their trivial baseline (not learned, flagged): {', '.join(below)}" if below else
               "; every condition beats its trivial baselines")
            + ". Rule (the seed makes no claim; this is the literature's): inconclusive if a check failed or "
            "Britz's claim is inconclusive; refuted if Britz's claim is refuted; confirmed if every sub-claim "
            "is confirmed; qualified otherwise.")
    return Decision(verdict, rule, checks, claims)


def _speed_key(steps: Evidence, budget: float) -> tuple[int, float]:
    """Order scores by seeds that reached the threshold (most first), then by mean log steps (budget if not)."""
    per_seed = steps.per_seed or []
    logs = [math.log(budget if s is None else s) for s in per_seed] or [math.inf]
    return -sum(s is not None for s in per_seed), sum(logs) / len(logs)


def _below_baseline(ev: EvidenceSet) -> list[str]:
    """Conditions whose accuracy interval does not lie above their best trivial baseline."""
    out = []
    for model in MODELS:
        if model == "rnn":
            bar = max(ev["baseline_rnn_chance"].number, ev["baseline_rnn_bag_of_words"].number)
        else:
            bar = max(ev["baseline_transformer_chance"].number, ev["baseline_transformer_no_lookup"].number)
        out += [f"{sc} ({_describe(model)})" for sc in SCORES if rules.interval(ev[f"acc_{model}_{sc}"])[0] <= bar]
    return out


def explain(evidence: list[Evidence], decision: Decision) -> Explanation:
    ev = EvidenceSet(evidence)
    large = f"transformer_dk{max(HEAD_DIMS)}"
    lines = []
    for model in MODELS:
        parts = []
        for sc in SCORES:
            s = ev[f"steps_{model}_{sc}"]
            parts.append(f"{sc} {s.value if isinstance(s.value, str) else f'{s.value:.0f}'}")
        lines.append(f"{_describe(model)}: " + ", ".join(parts))
    verdicts = {c.name: c.verdict for c in decision.claims}
    acc = {sc: rules.fmt(ev[f"acc_{large}_{sc}"], 2) for sc in SCORES}
    mem = ev["memory_additive_auto"].value[-1] / ev["memory_scaled_dot_auto"].value[-1]
    mem_ref = ev["memory_additive_reference"].value[-1] / ev["memory_scaled_dot_reference"].value[-1]
    summary = (
        f"The five built-in scores in the same models; median steps to {THRESHOLD} accuracy (\"> N\": at least half "
        f"of the seeds did not reach it within N): " + "; ".join(lines) + ". "
        f"At d_k={max(HEAD_DIMS)} the unscaled scores end at {acc['dot']} (dot) and {acc['general']} (general) "
        f"accuracy against {acc['additive']} for additive and {acc['scaled_dot']} for scaled_dot (no-lookup "
        f"baseline {ev['baseline_transformer_no_lookup'].number:.2f}): additive beats unscaled multiplicative at "
        f"large d_k (Britz et al. 2017) is {verdicts['additive_beats_unscaled_at_large_d']}, scaling closes the gap "
        f"is {verdicts['scaling_closes_the_gap']}. Dot and general as good as additive in the RNN encoder-decoder "
        f"and at d_k={min(HEAD_DIMS)} (Luong et al. 2015) is {verdicts['multiplicative_competitive_at_small_d']}. "
        f"Additive attention takes {_ratio_text(ev['time_ratio_layer_additive'])}x scaled_dot's time per layer and "
        f"keeps {mem:.2f}x its memory for backward on the chunked kernel ({mem_ref:.2f}x when materialised): dot "
        f"products faster and smaller (Vaswani et al. 2017) is {verdicts['dot_faster_and_smaller']}. Britz et al. "
        "measured BLEU of LSTM translation models with attention dimensions up to 1024, a different regime: "
        "their numbers are literature here, not anchors. " + decision.rule)
    return Explanation(summary=summary)


EXPERIMENT = register(Experiment(QUESTION, trials=trials, aggregate=aggregate, decide=decide, explain=explain))
