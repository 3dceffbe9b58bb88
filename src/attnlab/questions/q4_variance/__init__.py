"""q4: how does the dot product grow with the dimension, and why scale by √d_k?

For q, k with independent components of mean 0 and variance 1,

.. math:: \\operatorname{Var}(q \\cdot k) = \\sum_{i=1}^{d_k} \\operatorname{Var}(q_i k_i) = d_k,

so the logits' standard deviation grows like √d_k and dividing by √d_k brings it back to 1 (Vaswani et al.
2017, footnote 4). That is a derivation: a Monte Carlo estimate can only confirm it, so it is shown as a
derivation check, not as the verdict. What can fail is whether the argument describes models that are
trained, where q and k are learned and not independent:

- **the scale no longer depends on d_k**: encoders with d_model = 64 and d_k in {8, 16, 32, 64} (8 to 1
  heads), all with 1/√d_k, trained to 0.95 on key-value lookup; per seed, the log-log slope of the std of
  the scaled logits against d_k, at initialisation and after training (0: independent of d_k; 0.5: growing
  like √d_k as unscaled logits would). Because d_model is fixed there, a larger d_k also means fewer
  heads; a second arm keeps one head and grows the model with it (d_model = d_k), so a slope that comes
  from the head count and not from d_k shows up as a disagreement between the arms;
- **the scaled logits are O(1)**: their std after training in our models and in all-MiniLM-L6-v2, beside 1,
  and beside the std that independence of q and k (with their measured means and variances) predicts.

(The seed's second half, "and so mitigates vanishing gradients", is measured in q3.)
"""

from __future__ import annotations

import math
from typing import Any

import torch

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
from attnlab.experiments.training import fit
from attnlab.results import Check, Evidence, Panel, Plot, Reference, RefLine, Series

__all__ = ["QUESTION", "dot_variance", "loglog_slope", "minilm_trial", "trained_trial", "variance_trial"]

QUESTION = Question(
    qid="q4",
    title="Dot product vs dimension; why √d_k?",
    question="How does the size of the dot product depend on the dimension, and why scale by the square root of "
             "the dimension?",
    question_zh="维度与点积大小的关系是怎么样的,为什么使用维度的根号来放缩?",
    claim="Scaling by √d_k controls the variance of the scores and so mitigates vanishing gradients.",
    claim_zh="可以控制方差,有效缓解梯度消失的问题。",
)

THRESHOLD = 0.95
TASK = {"n_pairs": 16, "n_keys": 32, "n_values": 16, "n_queries": 4}
ONE_HEAD_QUICK = [16, 32, 64]  # one head, d_model = d_k (at d_k = 8 one head does not learn the task in 800 steps)
FLAT = 0.1  # |slope| below this: the scale does not depend on d_k (unscaled logits would give 0.5)
WEAK = 0.25  # |slope| below this: it depends on d_k at most half as much as unscaled logits would
UNIT_BAND = (1 / 3, 3.0)  # "O(1)": within a factor 3 of 1
ORDER_BAND = (0.1, 10.0)  # the same order of magnitude
FOOTNOTE = Reference("Vaswani et al. 2017, §3.2.1 footnote 4", "If the components of q and k are independent "
                     "random variables with mean 0 and variance 1, q·k has mean 0 and variance d_k; dividing by "
                     "√d_k counteracts the growth.", "assumption about random vectors, not a measurement",
                     "supports", "https://arxiv.org/abs/1706.03762")


# ----------------------------------------------------------------------------------------------------
# Trials
# ----------------------------------------------------------------------------------------------------


def dot_variance(d_k: int, n_samples: int, generator: torch.Generator, *, dist: str = "gaussian",
                 scaled: bool = False, chunk: int = 4096) -> float:
    """Monte Carlo estimate of Var(q·k) (of Var(q·k/√d_k) when ``scaled``) for independent components.

    Args:
        d_k: dimension of q and k.
        n_samples: independent (q, k) pairs (>= 2).
        generator: the random source.
        dist: ``"gaussian"`` (N(0, 1) components) or ``"rademacher"`` (±1 with equal probability).
        scaled: divide each dot product by √d_k.
        chunk: pairs drawn at a time (memory ``2 * chunk * d_k`` floats).
    """
    if d_k < 1 or n_samples < 2:
        raise ValueError(f"d_k, n_samples: expected >= 1 and >= 2, got {d_k}, {n_samples}")
    if dist not in ("gaussian", "rademacher"):
        raise ValueError(f"dist: expected 'gaussian' or 'rademacher', got {dist!r}")
    dots, left = [], n_samples
    while left > 0:
        n = min(chunk, left)
        if dist == "gaussian":
            q, k = torch.randn(n, d_k, generator=generator), torch.randn(n, d_k, generator=generator)  # (N, D)
        else:
            q = torch.randint(0, 2, (n, d_k), generator=generator).float() * 2 - 1
            k = torch.randint(0, 2, (n, d_k), generator=generator).float() * 2 - 1
        s = (q * k).sum(-1).double()  # (N,)
        dots.append(s / math.sqrt(d_k) if scaled else s)
        left -= n
    return torch.cat(dots).var(unbiased=True).item()


def loglog_slope(x: list[float], y: list[float]) -> float:
    """Least-squares slope of log y against log x."""
    if len(x) != len(y) or len(x) < 2:
        raise ValueError(f"x, y: expected equal lengths >= 2, got {len(x)}, {len(y)}")
    lx, ly = [math.log(v) for v in x], [math.log(v) for v in y]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum((a - mx) ** 2 for a in lx)


def variance_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Var(q·k) against d_k for one seed: Gaussian, Rademacher and scaled Gaussian components."""
    g = torch.Generator().manual_seed(config["seed"])
    dims, n = config["dims"], config["n_samples"]
    curves = {"gaussian": [dot_variance(d, n, g) for d in dims],
              "rademacher": [dot_variance(d, n, g, dist="rademacher") for d in dims],
              "scaled": [dot_variance(d, n, g, scaled=True) for d in dims]}
    return {"curves": curves, "slopes": {k: loglog_slope(dims, v) for k, v in curves.items()}}


def _logit_scale(model: Any, inputs: torch.Tensor) -> dict[str, float]:
    """Head-averaged std of the scaled logits, of the raw ones, and the std independence would predict."""
    from attnlab.analysis.logits import logit_statistics

    s = logit_statistics(model, lambda: model(inputs))
    raw = float(s.logit_std.mean())
    return {"raw_std": raw, "scaled_std": raw / s.sqrt_dk, "independent_std": float(s.independent_std.mean()),
            "ratio_to_independent": float((s.logit_std / s.independent_std).mean())}


def trained_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Logit scale at initialisation and after training to the threshold, for one d_k and seed."""
    from attnlab.models import TransformerEncoder

    task = make_task("lookup", **TASK)
    model = TransformerEncoder(vocab_size=task.vocab_size, d_model=config["d_model"],
                               n_heads=config["d_model"] // config["d_k"], n_layers=1, max_len=task.seq_len,
                               n_outputs=task.n_classes, positions="none", score="scaled_dot")
    inputs = task.sample(256, torch.Generator().manual_seed(444_000 + config["seed"])).inputs
    init = _logit_scale(model, inputs)
    out = fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
              threshold=THRESHOLD, seed=config["seed"], eval_every=config["eval_every"])
    model.eval()
    return {**out, "init": init, "trained": _logit_scale(model, inputs)}


def minilm_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Per layer of all-MiniLM-L6-v2 on the built-in corpus: scaled-logit std and the independence prediction."""
    from attnlab.analysis.corpus import load_corpus
    from attnlab.analysis.logits import logit_statistics
    from attnlab.pretrained import PretrainedUnavailable, load

    try:
        model = load("all-MiniLM-L6-v2")
    except PretrainedUnavailable as exc:
        return {"unavailable": str(exc)}
    texts = load_corpus(n=config["n_texts"], seed=config["seed"])
    s = logit_statistics(model, lambda: model.embed(texts, batch_size=16))
    return {"d_k": s.head_dim, "layer_scaled_std": (s.layer_logit_std / s.sqrt_dk).tolist(),
            "ratio_to_independent": (s.logit_std / s.independent_std).mean(1).tolist(), "n_texts": len(texts)}


def _settings(profile: str) -> dict[str, Any]:
    return pick(profile,
                tiny=dict(d_model=16, dks=[2, 4, 8, 16], one_head_dks=[4, 8, 16], steps=30, batch_size=32,
                          lr=3e-3, eval_every=10, dims=[4, 16, 64, 256], n_samples=2000, n_texts=8),
                quick=dict(d_model=64, dks=[8, 16, 32, 64], one_head_dks=ONE_HEAD_QUICK, steps=800, batch_size=32,
                           lr=3e-3, eval_every=25, dims=[2**i for i in range(2, 11)], n_samples=20000, n_texts=64),
                full=dict(d_model=256, dks=[8, 16, 32, 64, 128, 256], one_head_dks=[16, 32, 64, 128, 256],
                          steps=4000, batch_size=64, lr=2e-3, eval_every=50, dims=[2**i for i in range(1, 13)],
                          n_samples=200000, n_texts=800))


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    s = _settings(profile)
    train = {k: s[k] for k in ("d_model", "steps", "batch_size", "lr", "eval_every")}
    return [
        *[Trial(variance_trial, {"kind": "monte_carlo", "seed": seed, "dims": s["dims"],
                                 "n_samples": s["n_samples"]}) for seed in seeds],
        *[Trial(trained_trial, {"kind": "trained", "d_k": dk, "seed": seed, **train})
          for dk in s["dks"] for seed in seeds],
        # one head, d_model = d_k (at d_k = d_model that is the model above: its trials are reused)
        *[Trial(trained_trial, {"kind": "one_head", "d_k": dk, "seed": seed, **train, "d_model": dk})
          for dk in s["one_head_dks"] if dk != s["d_model"] for seed in seeds],
        Trial(minilm_trial, {"kind": "minilm", "seed": 0, "n_texts": s["n_texts"]}),
    ]


# ----------------------------------------------------------------------------------------------------
# Evidence
# ----------------------------------------------------------------------------------------------------


_WHEN = {"init": ("at initialisation", "初始化时"), "trained": ("after training", "训练后")}
_MC = {"gaussian": ("Var(q·k), N(0,1) components", "Var(q·k),分量服从 N(0,1)"),
       "rademacher": ("Var(q·k), ±1 components", "Var(q·k),分量为 ±1"),
       "scaled": ("Var(q·k/√d_k), N(0,1) components", "Var(q·k/√d_k),分量服从 N(0,1)")}


def aggregate(outcomes: Outcomes) -> Aggregate:
    mc = outcomes.where(kind="monte_carlo")
    dims = mc[0].config["dims"]
    ev: list[Evidence] = [Evidence("mc_dims", dims, unit="d_k", label="dimensions of the Monte Carlo",
                                   label_zh="蒙特卡洛实验的维度")]
    for dist, (label, label_zh) in _MC.items():
        ev.append(stats.evidence_from(f"mc_slope_{dist}", [o.measurements["slopes"][dist] for o in mc],
                                      label=f"log-log slope of {label} against d_k", unit="slope",
                                      label_zh=f"{label_zh} 对 d_k 的双对数斜率"))
        ev.append(Evidence(f"mc_curve_{dist}", [sum(o.measurements["curves"][dist][i] for o in mc) / len(mc)
                                                for i in range(len(dims))], unit="variance",
                           label=f"{label}, mean over seeds per d_k", label_zh=f"{label_zh},各 d_k 下种子平均"))
    trained = outcomes.where(kind="trained")
    first = trained[0].config
    dks = sorted({o.config["d_k"] for o in trained})
    ev.append(Evidence("d_ks", dks, unit="d_k", label="head widths of the trained models (d_model fixed)",
                       label_zh="训练模型的每头维度(d_model 固定)"))
    for dk in dks:
        runs = outcomes.where(kind="trained", d_k=dk)
        ev.append(stats.steps_evidence(f"steps_dk{dk}", [o.measurements["steps_to_threshold"] for o in runs],
                                       first["steps"], label=f"steps to {THRESHOLD}, d_k={dk}",
                                       label_zh=f"达到 {THRESHOLD} 所需步数,d_k={dk}"))
        for when, (w_en, w_zh) in _WHEN.items():
            ev.append(stats.evidence_from(f"{when}_scaled_std_dk{dk}",
                                          [o.measurements[when]["scaled_std"] for o in runs],
                                          label=f"std of q·k/√d_k {w_en}, d_k={dk}", unit="std", bounds=(0, None),
                                          label_zh=f"{w_zh} q·k/√d_k 的标准差,d_k={dk}"))
        ev.append(stats.evidence_from(f"trained_ratio_dk{dk}", [o.measurements["trained"]["ratio_to_independent"]
                                                                for o in runs],
                                      label=f"std of q·k over the std independence predicts, after training, d_k={dk}",
                                      unit="x", bounds=(0, None),
                                      label_zh=f"训练后 q·k 的标准差与独立假设预测值之比,d_k={dk}"))
    seeds = sorted({o.config["seed"] for o in trained})
    for when, (w_en, w_zh) in _WHEN.items():
        slopes = []
        for seed in seeds:
            ys = [outcomes.one(kind="trained", d_k=dk, seed=seed).measurements[when]["scaled_std"] for dk in dks]
            slopes.append(loglog_slope(dks, ys))
        ev.append(stats.evidence_from(f"{when}_scaled_std_slope", slopes, unit="slope",
                                      label=f"log-log slope of the scaled logits' std against d_k, {w_en}",
                                      label_zh=f"{w_zh}缩放后 logits 标准差对 d_k 的双对数斜率"))
    ev += _one_head_evidence(outcomes, first, seeds)
    mini = outcomes.one(kind="minilm").measurements
    if "unavailable" not in mini:
        ev.append(Evidence("minilm_scaled_std_per_layer", mini["layer_scaled_std"], unit="std",
                           label=f"all-MiniLM-L6-v2 (d_k={mini['d_k']}): std of q·k/√d_k per layer, "
                                 f"{mini['n_texts']} sentences",
                           label_zh=f"all-MiniLM-L6-v2(d_k={mini['d_k']}):每层 q·k/√d_k 的标准差,"
                                    f"{mini['n_texts']} 个句子"))
        ev.append(stats.evidence_from("minilm_ratio_to_independent", mini["ratio_to_independent"], unit="x",
                                      bounds=(0, None), over="layers",
                                      label="all-MiniLM-L6-v2: std of q·k over the std independence predicts",
                                      label_zh="all-MiniLM-L6-v2:q·k 的标准差与独立假设预测值之比"))
    config = {"monte_carlo": {"dims": dims, "n_samples": mc[0].config["n_samples"]}, "task": {"name": "lookup", **TASK},
              "d_ks": dks, "threshold": THRESHOLD, **{k: first[k] for k in ("d_model", "steps", "batch_size", "lr")}}
    return Aggregate(ev, _plots(EvidenceSet(ev), dks), config, [FOOTNOTE])


def _one_head_runs(outcomes: Outcomes, d_k: int, d_model: int) -> list[Any]:
    """The one-head arm at ``d_k``: its own trials, or the main arm's where d_k = d_model (the same model)."""
    return outcomes.where(kind="trained", d_k=d_k) if d_k == d_model else outcomes.where(kind="one_head", d_k=d_k)


def _one_head_evidence(outcomes: Outcomes, first: dict[str, Any], seeds: list[int]) -> list[Evidence]:
    d_model = first["d_model"]
    dks = sorted({o.config["d_k"] for o in outcomes.where(kind="one_head")} | {d_model})
    ev = [Evidence("one_head_d_ks", dks, unit="d_k", label="head widths of the one-head arm (d_model = d_k)",
                   label_zh="单头对照组的每头维度(d_model = d_k)")]
    per_seed: dict[str, list[float]] = {"init": [], "trained": []}
    for dk in dks:
        runs = _one_head_runs(outcomes, dk, d_model)
        ev.append(stats.steps_evidence(f"steps_one_head_dk{dk}", [o.measurements["steps_to_threshold"] for o in runs],
                                       first["steps"], label=f"steps to {THRESHOLD}, one head, d_model = d_k = {dk}",
                                       label_zh=f"达到 {THRESHOLD} 所需步数,单头,d_model = d_k = {dk}"))
        ev.append(stats.evidence_from(f"trained_scaled_std_one_head_dk{dk}",
                                      [o.measurements["trained"]["scaled_std"] for o in runs],
                                      label=f"std of q·k/√d_k after training, one head, d_model = d_k = {dk}",
                                      unit="std", bounds=(0, None),
                                      label_zh=f"训练后 q·k/√d_k 的标准差,单头,d_model = d_k = {dk}"))
    for when in per_seed:
        for seed in seeds:
            ys = [next(o for o in _one_head_runs(outcomes, dk, d_model) if o.config["seed"] == seed)
                  .measurements[when]["scaled_std"] for dk in dks]
            per_seed[when].append(loglog_slope(dks, ys))
        w_en, w_zh = _WHEN[when]
        ev.append(stats.evidence_from(f"{when}_scaled_std_slope_one_head", per_seed[when], unit="slope",
                                      label=f"log-log slope of the scaled logits' std against d_k, {w_en}, one head "
                                            "(d_model = d_k)",
                                      label_zh=f"{w_zh}缩放后 logits 标准差对 d_k 的双对数斜率,单头(d_model = d_k)"))
    return ev


def _plots(es: EvidenceSet, dks: list[int]) -> list[Plot]:
    trained_series = []
    for when, (label, _) in _WHEN.items():
        e = [es[f"{when}_scaled_std_dk{dk}"] for dk in dks]
        trained_series.append(Series(label, dks, [x.number for x in e], [rules.interval(x)[0] for x in e],
                                     [rules.interval(x)[1] for x in e]))
    if "one_head_d_ks" in es:
        ones = [int(d) for d in es["one_head_d_ks"].value]
        e = [es[f"trained_scaled_std_one_head_dk{dk}"] for dk in ones]
        trained_series.append(Series("after training, one head (d_model = d_k)", ones, [x.number for x in e],
                                     [rules.interval(x)[0] for x in e], [rules.interval(x)[1] for x in e],
                                     style="dashed"))
    if "minilm_scaled_std_per_layer" in es:
        layers = es["minilm_scaled_std_per_layer"].value
        trained_series.append(Series("all-MiniLM-L6-v2 layers (d_k=32)", [32] * len(layers), layers, style="points"))
    headline = Plot("scaled_logit_std", "The std of q·k/√d_k in trained models, against d_k", [
        Panel(title="our encoders (mean, 95% interval over seeds) and MiniLM", xlabel="d_k",
              ylabel="std of q·k/√d_k", xscale="log2", yscale="log2", series=trained_series,
              lines=[RefLine(1.0, "1 (the derivation's premise)")])],
        caption="Flat in d_k means the scaling removed the dependence on d_k; the height shows how far trained "
                "logits are from unit variance.", headline=True,
        title_zh="训练后模型中 q·k/√d_k 的标准差随 d_k 的变化",
        caption_zh="曲线平坦说明缩放去掉了对 d_k 的依赖;高度表示训练后的 logits 离单位方差有多远。")
    dims = es["mc_dims"].value
    mc = Plot("variance_vs_dk", "Derivation check: Var(q·k) for independent components", [
        Panel(title="Monte Carlo, mean over seeds", xlabel="d_k", ylabel="variance", xscale="log2", yscale="log2",
              series=[Series("q·k, N(0,1)", dims, es["mc_curve_gaussian"].value),
                      Series("q·k, ±1", dims, es["mc_curve_rademacher"].value, style="dashed"),
                      Series("q·k/√d_k", dims, es["mc_curve_scaled"].value),
                      Series("d_k (theory)", dims, dims, style="dotted")])],
        title_zh="推导检验:分量独立时的 Var(q·k)")
    return [headline, mc]


# ----------------------------------------------------------------------------------------------------
# Decision
# ----------------------------------------------------------------------------------------------------


def decide(evidence: list[Evidence]) -> Decision:
    ev = EvidenceSet(evidence)
    dks = [int(d) for d in ev["d_ks"].value]
    g, sc = ev["mc_slope_gaussian"], ev["mc_slope_scaled"]
    derivation_ok = Check("derivation_check", abs(g.number - 1) < 0.05 and abs(sc.number) < 0.05,
                          f"Monte Carlo slopes {g.number:.3f} (expected 1) and {sc.number:.3f} (expected 0); a "
                          "failure would mean a bug, not a finding",
                          f"蒙特卡洛斜率 {g.number:.3f}(应为 1)和 {sc.number:.3f}(应为 0);"
                          "不符说明代码有错,而不是新发现")
    learned = [rules.reached_check(f"learned_dk{dk}", ev[f"steps_dk{dk}"], what=f"d_k={dk}") for dk in dks]
    one_dks = [int(d) for d in ev["one_head_d_ks"].value] if "one_head_d_ks" in ev else []
    learned_one = [rules.reached_check(f"learned_one_head_dk{dk}", ev[f"steps_one_head_dk{dk}"],
                                       what=f"one head, d_model = d_k = {dk}") for dk in one_dks]

    def derivation() -> rules.Ruling:
        return rules.Ruling(
            "confirmed",
            f"confirmed (derivation): Var(q·k) grows with slope {rules.fmt(g)} in d_k and {rules.fmt(sc)} after "
            "dividing by √d_k, as the algebra says for independent unit-variance components.",
            f"For independent unit-variance components, Var(q·k) grows as d_k (Monte Carlo slope {g.number:.3f}) "
            f"and 1/√d_k brings it back to 1 (slope {sc.number:.3f}).",
            f"分量独立且方差为 1 时,Var(q·k) 随 d_k 线性增长(蒙特卡洛斜率 {g.number:.3f}),乘以 1/√d_k 后回到 1"
            f"(斜率 {sc.number:.3f})。",
            "Nothing measured can: this is algebra; a different slope would be a bug.",
            "任何测量都改变不了:这是代数推导;斜率不符只能说明代码有错。")

    def independent_of_dk() -> rules.Ruling:
        slope = ev["trained_scaled_std_slope"]
        lo, hi = rules.interval(slope)
        verdict = _slope_verdict(slope)
        trend = (("still grows", "仍随 d_k 增长") if lo > 0 else ("shrinks", "随 d_k 减小") if hi < 0
                 else ("does not measurably change", "没有可测的变化"))
        arm = arm_en = arm_zh = ""
        if one_dks:
            one = ev["trained_scaled_std_slope_one_head"]
            verdict = _combine(verdict, _slope_verdict(one))
            arm = (f" With one head and d_model = d_k in {one_dks} (the head count held at 1) the slope is "
                   f"{rules.fmt(one)}, {_slope_verdict(one)} on the same rule; the sub-claim takes both arms: the "
                   "same verdict if they agree, qualified if they differ (the answer then depends on how d_k "
                   "grows), inconclusive if either is.")
            arm_en = f" With one head and d_model = d_k the slope is {rules.fmt(one, 2)}."
            arm_zh = f"只用一个头、让 d_model = d_k 时,斜率为 {rules.fmt(one, 2)}。"
        return rules.Ruling(
            verdict,
            f"{verdict}: after training, the std of q·k/√d_k has log-log slope {rules.fmt(slope)} against d_k in "
            f"{dks} at d_model fixed (at initialisation {rules.fmt(ev['init_scaled_std_slope'])}; unscaled logits "
            f"would add 0.5).{arm} Rule per arm: confirmed if the interval lies inside ±{FLAT} (no dependence on "
            f"d_k), qualified if inside ±{WEAK} (a weak one), refuted if outside ±{WEAK}, else inconclusive.",
            f"After training, the scaled logits' std {trend[0]} with d_k: log-log slope {rules.fmt(slope, 2)}, "
            "(0 means no dependence; without the 1/√d_k the same logits' slope would be 0.5 higher)." + arm_en,
            f"训练后,缩放后 logits 的标准差{trend[1]}:对 d_k 的双对数斜率为 {rules.fmt(slope, 2)},"
            "(0 表示不依赖 d_k;去掉 1/√d_k,同样的 logits 斜率会再高 0.5)。" + arm_zh,
            f"A slope whose interval lies inside ±{FLAT} (confirmed) or beyond ±{WEAK} (refuted).",
            f"斜率区间落在 ±{FLAT} 以内(成立)或超出 ±{WEAK}(不成立)。")

    def unit_scale() -> rules.Ruling:
        values = [ev[f"trained_scaled_std_dk{dk}"].number for dk in dks]
        names = [f"d_k={dk}" for dk in dks]
        if "minilm_scaled_std_per_layer" in ev:
            layers = ev["minilm_scaled_std_per_layer"].value
            values += layers
            names += [f"MiniLM layer {i + 1}" for i in range(len(layers))]
        lo, hi = min(values), max(values)
        if UNIT_BAND[0] <= lo and hi <= UNIT_BAND[1]:
            verdict = "confirmed"
        elif ORDER_BAND[0] <= lo and hi <= ORDER_BAND[1]:
            verdict = "qualified"
        else:
            verdict = "refuted"
        ratio = ev.get("minilm_ratio_to_independent")
        extra = (f"; in MiniLM the logits' std is {rules.fmt(ratio)} times what independent q and k would give"
                 if ratio is not None else "")
        extra_zh = (f";MiniLM 中 logits 的标准差是独立假设预测值的 {ratio.number:.2f} 倍"
                    f"({ratio.n} 层中从 {ratio.ci[0]:.2f} 到 {ratio.ci[1]:.2f})"
                    if ratio is not None and ratio.ci is not None else "")
        return rules.Ruling(
            verdict,
            f"{verdict}: trained scaled logits have std {lo:.2f} ({names[values.index(lo)]}) to {hi:.2f} "
            f"({names[values.index(hi)]}){extra}. Rule: confirmed if all lie within [{UNIT_BAND[0]:.2f}, "
            f"{UNIT_BAND[1]:.0f}], qualified if within [{ORDER_BAND[0]}, {ORDER_BAND[1]:.0f}] (the same order of "
            "magnitude), refuted otherwise.",
            f"Trained scaled logits have std {lo:.2f} to {hi:.2f}{extra}: q and k are learned, correlated vectors, "
            "not the independent unit-variance ones of the derivation.",
            f"训练后缩放 logits 的标准差在 {lo:.2f} 到 {hi:.2f} 之间{extra_zh}:q 和 k 是学出来的、相关的向量,"
            "不是推导里独立、单位方差的向量。",
            f"All stds within [{UNIT_BAND[0]:.2f}, {UNIT_BAND[1]:.0f}] (confirmed), or any beyond "
            f"[{ORDER_BAND[0]}, {ORDER_BAND[1]:.0f}] (refuted).",
            f"所有标准差都在 [{UNIT_BAND[0]:.2f}, {UNIT_BAND[1]:.0f}] 内(成立),或有超出 "
            f"[{ORDER_BAND[0]}, {ORDER_BAND[1]:.0f}] 的(不成立)。")

    c0 = rules.claim("variance_grows_as_dk", "Var(q·k) = d_k for independent unit-variance components, so 1/√d_k "
                     "restores unit variance.", [derivation_ok], ["mc_slope_gaussian", "mc_slope_scaled",
                                                                 "mc_slope_rademacher"], derivation,
                     basis="derivation", statement_zh="分量独立且方差为 1 时 Var(q·k) = d_k,所以 1/√d_k 让方差回到 1。")
    c1 = rules.claim("scale_independent_of_dk", "With 1/√d_k the logits' scale does not depend on d_k in trained "
                     "models.", [*learned, *learned_one],
                     ["trained_scaled_std_slope", "init_scaled_std_slope",
                      *(f"trained_scaled_std_dk{dk}" for dk in dks),
                      *(["trained_scaled_std_slope_one_head"] if one_dks else [])], independent_of_dk,
                     statement_zh="用 1/√d_k 缩放后,训练好的模型中 logits 的尺度不再依赖 d_k。")
    c2 = rules.claim("unit_scale", "The scaled logits of trained models are of order 1.", learned,
                     ["minilm_scaled_std_per_layer", "minilm_ratio_to_independent",
                      *(f"trained_ratio_dk{dk}" for dk in dks)], unit_scale,
                     statement_zh="训练好的模型中,缩放后的 logits 是 1 的量级。")
    checks = [derivation_ok, *learned, *learned_one]
    if any(not c.passed for c in checks) or c1.verdict == "inconclusive":
        verdict = "inconclusive"
    elif c1.verdict == "refuted":
        verdict = "refuted"
    elif c1.verdict == "confirmed" and c2.verdict == "confirmed":
        verdict = "confirmed"
    else:
        verdict = "qualified"
    rule = (f"{verdict}: derivation {c0.verdict}; scale independent of d_k {c1.verdict}; order 1 {c2.verdict}. "
            "Rule: inconclusive if a check failed or the d_k comparison is inconclusive; refuted if the trained "
            "scale still grows with d_k as much as unscaled logits would; confirmed if it does not depend on d_k "
            "and is of order 1; qualified otherwise (a weak dependence, or not of unit scale).")
    return Decision(verdict, rule, checks, (c0, c1, c2))


def _slope_verdict(slope: Evidence) -> str:
    """The rule for one arm's slope: confirmed inside ±FLAT, qualified inside ±WEAK, refuted beyond ±WEAK."""
    lo, hi = rules.interval(slope)
    if lo > -FLAT and hi < FLAT:
        return "confirmed"
    if lo > -WEAK and hi < WEAK:
        return "qualified"
    if lo > WEAK or hi < -WEAK:
        return "refuted"
    return "inconclusive"


def _combine(a: str, b: str) -> str:
    """Two arms' verdicts on one sub-claim: agreement stands, disagreement is qualified, doubt is doubt."""
    if "inconclusive" in (a, b):
        return "inconclusive"
    return a if a == b else "qualified"


def _one_head_sentence(ev: EvidenceSet) -> str:
    if "one_head_d_ks" not in ev:
        return "this run has no one-head arm to tell them apart."
    ones = [int(d) for d in ev["one_head_d_ks"].value]
    stds = ", ".join(f"{rules.fmt(ev[f'trained_scaled_std_one_head_dk{dk}'], 2)} at d_k={dk}" for dk in ones)
    one, main = ev["trained_scaled_std_slope_one_head"], ev["trained_scaled_std_slope"]
    same = _slope_verdict(one) == _slope_verdict(main)
    return (f"the one-head arm (d_model = d_k, the head count held at 1) gives {stds}, slope {rules.fmt(one)}: "
            + ("the same reading, so the head count does not drive it." if same else
               "a different reading, so how d_k grows (more heads or a wider model) matters."))


JOB = {"confirmed": ("even so the scaling keeps their scale independent of d_k", "但缩放仍让其尺度与 d_k 无关"),
       "qualified": ("even so the scaling does most of its job", "但缩放仍起了大部分作用"),
       "refuted": ("and the scaling does not keep their scale independent of d_k", "缩放也没能让其尺度与 d_k 无关"),
       "inconclusive": ("whether the scaling still keeps their scale in check is undecided",
                        "缩放是否仍控制住尺度尚无定论")}


def explain(evidence: list[Evidence], decision: Decision) -> Explanation:
    ev = EvidenceSet(evidence)
    dks = [int(d) for d in ev["d_ks"].value]
    stds = ", ".join(f"{rules.fmt(ev[f'trained_scaled_std_dk{dk}'], 2)} at d_k={dk}" for dk in dks)
    slope = ev["trained_scaled_std_slope"]
    summary = (f"Monte Carlo: Var(q·k) grows with slope {rules.fmt(ev['mc_slope_gaussian'])} in d_k, and "
               f"{rules.fmt(ev['mc_slope_scaled'])} after 1/√d_k (a derivation check). Trained encoders with "
               f"1/√d_k: std of the scaled logits {stds}; slope against d_k {rules.fmt(slope)}. At d_model fixed the "
               "encoders have d_model/d_k heads (fewer, larger heads as d_k grows), so the slope could measure the "
               "head count as much as d_k; " + _one_head_sentence(ev) + " What unscaled logits would do is "
               "computed from the scaled models (the same weights without the 1/√d_k), not measured on models "
               "trained unscaled, which adapt their weights (q3 trains them).")
    mini_en = mini_zh = ""
    if "minilm_scaled_std_per_layer" in ev:
        layers = ev["minilm_scaled_std_per_layer"].value
        summary += (f" all-MiniLM-L6-v2: {min(layers):.2f} to {max(layers):.2f} per layer, "
                    f"{rules.fmt(ev['minilm_ratio_to_independent'], 2)} times what independent q and k predict.")
        mini_en = f" In all-MiniLM-L6-v2 the scaled logits have std {min(layers):.1f} to {max(layers):.1f}, not 1."
        mini_zh = f"在 all-MiniLM-L6-v2 中,缩放后 logits 的标准差为 {min(layers):.1f} 到 {max(layers):.1f},并不是 1。"
    lo_std, hi_std = (ev[f"trained_scaled_std_dk{dks[0]}"].number, ev[f"trained_scaled_std_dk{dks[-1]}"].number)
    job_en, job_zh = JOB[decision.claims[1].verdict]
    arm_en = arm_zh = ""
    if "one_head_d_ks" in ev:
        ones = [int(d) for d in ev["one_head_d_ks"].value]
        one = ev["trained_scaled_std_slope_one_head"]
        a, b = (ev[f"trained_scaled_std_one_head_dk{ones[0]}"].number, ev[f"trained_scaled_std_one_head_dk{ones[-1]}"]
                .number)
        if _slope_verdict(one) != _slope_verdict(slope):  # the arms disagree: the lead must not pick one
            job_en, job_zh = ("and how their scale depends on d_k depends on how d_k grows",
                              "而且尺度如何随 d_k 变化,取决于 d_k 是怎样变大的")
        arm_en = (f" With one head and d_model = d_k instead, it goes from {a:.2f} at d_k={ones[0]} to {b:.2f} at "
                  f"d_k={ones[-1]} (slope {one.number:.2f}).")
        arm_zh = (f"若只用一个头并让 d_model = d_k,则从 d_k={ones[0]} 时的 {a:.2f} 变为 d_k={ones[-1]} 时的 {b:.2f}"
                  f"(斜率 {one.number:.2f})。")
    answer_en = (f"If q and k had d_k independent unit-variance components, Var(q·k) = d_k, so the logits' std grows "
                 f"as √d_k and dividing by √d_k brings it back to 1: that is algebra, and a Monte Carlo confirms it. "
                 f"In trained models the premise does not hold; {job_en}: at d_model fixed the "
                 f"scaled logits' std goes from {lo_std:.2f} at d_k={dks[0]} to {hi_std:.2f} at d_k={dks[-1]} "
                 f"(log-log slope {slope.number:.2f}: 0 would mean no dependence, and without the 1/√d_k it would be "
                 f"0.5 higher).{arm_en} The seed's second half, that this mitigates vanishing gradients, is tested in "
                 "q3." + mini_en)
    answer_zh = (f"如果 q 和 k 有 d_k 个独立、方差为 1 的分量,则 Var(q·k) = d_k,logits 的标准差随 √d_k 增长,"
                 f"除以 √d_k 就回到 1:这是代数推导,蒙特卡洛实验也验证了。训练好的模型不满足这个前提,"
                 f"{job_zh}:d_model 固定时,缩放后 logits 的标准差从 d_k={dks[0]} 时的 {lo_std:.2f} 变为 "
                 f"d_k={dks[-1]} 时的 {hi_std:.2f}(双对数斜率 {slope.number:.2f}:0 表示不依赖 d_k,"
                 f"去掉 1/√d_k 会再高 0.5)。{arm_zh}"
                 "原文后半句“因而缓解梯度消失”在 q3 中检验。" + mini_zh)
    if decision.verdict == "inconclusive":
        answer_en, answer_zh = rules.undecided_answer(decision.claims)
    return Explanation(summary=summary + " " + decision.rule, answer_en=answer_en, answer_zh=answer_zh)


EXPERIMENT = register(Experiment(QUESTION, trials=trials, aggregate=aggregate, decide=decide, explain=explain))
