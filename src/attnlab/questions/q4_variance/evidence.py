"""q4's evidence: the names (shared with the rule and the words) and ``aggregate``."""

from __future__ import annotations

from typing import Any

from attnlab.lab import stats
from attnlab.lab.spec import Aggregate, EvidenceSet, Outcomes
from attnlab.questions.q4_variance.settings import (
    DISTS,
    FOOTNOTE,
    MINILM,
    MONTE_CARLO,
    ONE_HEAD,
    TASK,
    THRESHOLD,
    TRAINED,
    WHEN,
)
from attnlab.questions.q4_variance.trials import loglog_slope
from attnlab.results import Evidence

__all__ = ["D_KS", "MC_DIMS", "MINILM_PER_LAYER", "MINILM_RATIO", "ONE_HEAD_D_KS", "aggregate", "mc_curve",
           "mc_slope", "one_head_dks", "scaled_std", "slope", "steps", "steps_one_head", "trained_dks",
           "trained_ratio", "trained_std_one_head"]

MC_DIMS = "mc_dims"
D_KS = "d_ks"
ONE_HEAD_D_KS = "one_head_d_ks"
MINILM_PER_LAYER = "minilm_scaled_std_per_layer"
MINILM_RATIO = "minilm_ratio_to_independent"


def mc_slope(dist: str) -> str:
    """Log-log slope of the Monte Carlo's Var(q·k) against d_k, for components ``dist``."""
    return f"mc_slope_{dist}"


def mc_curve(dist: str) -> str:
    return f"mc_curve_{dist}"


def steps(dk: int) -> str:
    """Steps to the threshold at d_model fixed."""
    return f"steps_dk{dk}"


def scaled_std(when: str, dk: int) -> str:
    """Std of q·k/√d_k at d_model fixed, ``when`` in ``WHEN``."""
    return f"{when}_scaled_std_dk{dk}"


def trained_ratio(dk: int) -> str:
    """Trained std of q·k over what independence of q and k predicts."""
    return f"trained_ratio_dk{dk}"


def slope(when: str, *, one_head: bool = False) -> str:
    """Log-log slope of the scaled logits' std against d_k (per seed, then over seeds)."""
    return f"{when}_scaled_std_slope" + ("_one_head" if one_head else "")


def steps_one_head(dk: int) -> str:
    return f"steps_one_head_dk{dk}"


def trained_std_one_head(dk: int) -> str:
    return f"trained_scaled_std_one_head_dk{dk}"


def trained_dks(ev: EvidenceSet | dict) -> list[int]:
    """The head widths of the arm at d_model fixed."""
    return [int(d) for d in ev[D_KS].value]


def one_head_dks(ev: EvidenceSet | dict) -> list[int]:
    """The head widths of the one-head arm (empty when the run has none)."""
    return [int(d) for d in ev[ONE_HEAD_D_KS].value] if ONE_HEAD_D_KS in ev else []


_WHEN = {"init": ("at initialisation", "初始化时"), "trained": ("after training", "训练后")}
_MC = {"gaussian": ("Var(q·k), N(0,1) components", "Var(q·k)，分量服从 N(0,1)"),
       "rademacher": ("Var(q·k), ±1 components", "Var(q·k)，分量为 ±1"),
       "scaled": ("Var(q·k/√d_k), N(0,1) components", "Var(q·k/√d_k)，分量服从 N(0,1)")}


def aggregate(outcomes: Outcomes) -> Aggregate:
    from attnlab.questions.q4_variance.plots import plots

    mc = outcomes.where(kind=MONTE_CARLO)
    dims = mc[0].config["dims"]
    ev: list[Evidence] = [Evidence(MC_DIMS, dims, unit="d_k", label="dimensions of the Monte Carlo",
                                   label_zh="蒙特卡洛实验的维度")]
    for dist in DISTS:
        label, label_zh = _MC[dist]
        ev.append(stats.evidence_from(mc_slope(dist), [o.measurements["slopes"][dist] for o in mc],
                                      label=f"log-log slope of {label} against d_k", unit="slope",
                                      label_zh=f"{label_zh} 对 d_k 的双对数斜率"))
        ev.append(Evidence(mc_curve(dist), [sum(o.measurements["curves"][dist][i] for o in mc) / len(mc)
                                            for i in range(len(dims))], unit="variance",
                           label=f"{label}, mean over seeds per d_k", label_zh=f"{label_zh}，各 d_k 下种子平均"))
    trained = outcomes.where(kind=TRAINED)
    first = trained[0].config
    dks = sorted({o.config["d_k"] for o in trained})
    ev.append(Evidence(D_KS, dks, unit="d_k", label="head widths of the trained models (d_model fixed)",
                       label_zh="训练模型的每头维度（d_model 固定）"))
    for dk in dks:
        runs = outcomes.where(kind=TRAINED, d_k=dk)
        ev.append(stats.steps_evidence(steps(dk), [o.measurements["steps_to_threshold"] for o in runs],
                                       first["steps"], label=f"steps to {THRESHOLD}, d_k={dk}",
                                       label_zh=f"达到 {THRESHOLD} 所需步数，d_k={dk}"))
        for when in WHEN:
            w_en, w_zh = _WHEN[when]
            ev.append(stats.evidence_from(scaled_std(when, dk), [o.measurements[when]["scaled_std"] for o in runs],
                                          label=f"std of q·k/√d_k {w_en}, d_k={dk}", unit="std", bounds=(0, None),
                                          label_zh=f"{w_zh} q·k/√d_k 的标准差，d_k={dk}"))
        ev.append(stats.evidence_from(trained_ratio(dk), [o.measurements["trained"]["ratio_to_independent"]
                                                          for o in runs],
                                      label=f"std of q·k over the std independence predicts, after training, d_k={dk}",
                                      unit="x", bounds=(0, None),
                                      label_zh=f"训练后 q·k 的标准差与独立假设预测值之比，d_k={dk}"))
    seeds = sorted({o.config["seed"] for o in trained})
    for when in WHEN:
        w_en, w_zh = _WHEN[when]
        slopes = []
        for seed in seeds:
            ys = [outcomes.one(kind=TRAINED, d_k=dk, seed=seed).measurements[when]["scaled_std"] for dk in dks]
            slopes.append(loglog_slope(dks, ys))
        ev.append(stats.evidence_from(slope(when), slopes, unit="slope",
                                      label=f"log-log slope of the scaled logits' std against d_k, {w_en}",
                                      label_zh=f"{w_zh}缩放后 logits 标准差对 d_k 的双对数斜率"))
    ev += _one_head_evidence(outcomes, first, seeds)
    mini = outcomes.one(kind=MINILM).measurements
    if "unavailable" not in mini:
        ev.append(Evidence(MINILM_PER_LAYER, mini["layer_scaled_std"], unit="std",
                           label=f"all-MiniLM-L6-v2 (d_k={mini['d_k']}): std of q·k/√d_k per layer, "
                                 f"{mini['n_texts']} sentences",
                           label_zh=f"all-MiniLM-L6-v2（d_k={mini['d_k']}）：每层 q·k/√d_k 的标准差，"
                                    f"{mini['n_texts']} 个句子"))
        ev.append(stats.evidence_from(MINILM_RATIO, mini["ratio_to_independent"], unit="x",
                                      bounds=(0, None), over="layers",
                                      label="all-MiniLM-L6-v2: std of q·k over the std independence predicts",
                                      label_zh="all-MiniLM-L6-v2：q·k 的标准差与独立假设预测值之比"))
    config = {"monte_carlo": {"dims": dims, "n_samples": mc[0].config["n_samples"]}, "task": {"name": "lookup", **TASK},
              "d_ks": dks, "threshold": THRESHOLD, **{k: first[k] for k in ("d_model", "steps", "batch_size", "lr")}}
    return Aggregate(ev, plots(EvidenceSet(ev)), config, [FOOTNOTE])


def _one_head_runs(outcomes: Outcomes, d_k: int, d_model: int) -> list[Any]:
    """The one-head arm at ``d_k``: its own trials, or the main arm's where d_k = d_model (the same model)."""
    return outcomes.where(kind=TRAINED, d_k=d_k) if d_k == d_model else outcomes.where(kind=ONE_HEAD, d_k=d_k)


def _one_head_evidence(outcomes: Outcomes, first: dict[str, Any], seeds: list[int]) -> list[Evidence]:
    d_model = first["d_model"]
    dks = sorted({o.config["d_k"] for o in outcomes.where(kind=ONE_HEAD)} | {d_model})
    ev = [Evidence(ONE_HEAD_D_KS, dks, unit="d_k", label="head widths of the one-head arm (d_model = d_k)",
                   label_zh="单头对照组的每头维度（d_model = d_k）")]
    for dk in dks:
        runs = _one_head_runs(outcomes, dk, d_model)
        ev.append(stats.steps_evidence(steps_one_head(dk), [o.measurements["steps_to_threshold"] for o in runs],
                                       first["steps"], label=f"steps to {THRESHOLD}, one head, d_model = d_k = {dk}",
                                       label_zh=f"达到 {THRESHOLD} 所需步数，单头，d_model = d_k = {dk}"))
        ev.append(stats.evidence_from(trained_std_one_head(dk), [o.measurements["trained"]["scaled_std"] for o in runs],
                                      label=f"std of q·k/√d_k after training, one head, d_model = d_k = {dk}",
                                      unit="std", bounds=(0, None),
                                      label_zh=f"训练后 q·k/√d_k 的标准差，单头，d_model = d_k = {dk}"))
    for when in WHEN:
        per_seed = []
        for seed in seeds:
            ys = [next(o for o in _one_head_runs(outcomes, dk, d_model) if o.config["seed"] == seed)
                  .measurements[when]["scaled_std"] for dk in dks]
            per_seed.append(loglog_slope(dks, ys))
        w_en, w_zh = _WHEN[when]
        ev.append(stats.evidence_from(slope(when, one_head=True), per_seed, unit="slope",
                                      label=f"log-log slope of the scaled logits' std against d_k, {w_en}, one head "
                                            "(d_model = d_k)",
                                      label_zh=f"{w_zh}缩放后 logits 标准差对 d_k 的双对数斜率，单头（d_model = d_k）"))
    return ev
