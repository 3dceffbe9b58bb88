"""q4's evidence: the names (shared with the rule and the words) and ``aggregate``."""

from __future__ import annotations

from attnlab.data import make_task
from attnlab.lab import protocol, stats
from attnlab.lab.spec import Aggregate, EvidenceSet, Outcomes
from attnlab.lab.tuning import sweep_evidence, sweep_plot
from attnlab.questions.q4_variance.settings import (
    DISTS,
    FOOTNOTE,
    MINILM,
    MONTE_CARLO,
    TASK,
    THRESHOLD,
    TRAINED,
    WHEN,
)
from attnlab.questions.q4_variance.trials import loglog_slope
from attnlab.results import Evidence

__all__ = ["BASELINE_NO_LOOKUP", "D_KS", "EVAL_EVERY", "MC_DIMS", "MINILM_PER_LAYER", "MINILM_RATIO", "STEPS_READ",
           "acc", "aggregate", "lr", "mc_curve", "mc_slope", "scaled_std", "slope", "steps", "trained_dks",
           "trained_ratio"]

MC_DIMS = "mc_dims"
D_KS = "d_ks"
BUDGET = "budget_steps"
STEPS_READ = "read_at_step"  # the steps at which every trained model's logits were read
EVAL_EVERY = "eval_every"
BASELINE_NO_LOOKUP = "baseline_no_lookup"
MINILM_PER_LAYER = "minilm_scaled_std_per_layer"
MINILM_RATIO = "minilm_ratio_to_independent"


def mc_slope(dist: str) -> str:
    """Log-log slope of the Monte Carlo's Var(q·k) against d_k, for components ``dist``."""
    return f"mc_slope_{dist}"


def mc_curve(dist: str) -> str:
    return f"mc_curve_{dist}"


def steps(dk: int) -> str:
    """Steps to the threshold (read from the evaluation curve)."""
    return f"steps_dk{dk}"


def acc(dk: int) -> str:
    """Final held-out accuracy after the whole budget."""
    return f"acc_dk{dk}"


def lr(dk: int) -> str:
    """The learning rate the sweep chose for d_k."""
    return f"lr_dk{dk}"


def scaled_std(when: str, dk: int) -> str:
    """Std of q·k/√d_k, ``when`` in ``WHEN``."""
    return f"{when}_scaled_std_dk{dk}"


def trained_ratio(dk: int) -> str:
    """Trained std of q·k over what independence of q and k predicts."""
    return f"trained_ratio_dk{dk}"


def slope(when: str) -> str:
    """Log-log slope of the scaled logits' std against d_k (per seed, then over seeds)."""
    return f"{when}_scaled_std_slope"


def trained_dks(ev: EvidenceSet | dict) -> list[int]:
    """The head widths compared (d_model and the head count fixed)."""
    return [int(d) for d in ev[D_KS].value]


BASELINE_ZH = {"chance": "随机猜测", "no_lookup": "不查找（猜上下文中最常见的值）"}
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
    fixed = f"d_model={first['d_model']} and {first['n_heads']} heads fixed"
    fixed_zh = f"d_model={first['d_model']}、{first['n_heads']} 个头固定"
    ev += [Evidence(f"baseline_{k}", v, unit="accuracy", bounds=(0.0, 1.0), label=f"{k.replace('_', '-')} baseline "
                    "(exact)", label_zh=f"{BASELINE_ZH[k]}基线（精确值）")
           for k, v in make_task("lookup", **TASK).baselines().items()]
    ev.append(Evidence(D_KS, dks, unit="d_k", label=f"head widths of the trained models ({fixed})",
                       label_zh=f"训练模型的每头维度（{fixed_zh}）"))
    ev.append(Evidence(BUDGET, first["steps"], unit="steps", label="training budget per run (every run trains all "
                       "of it)", label_zh="每次训练的步数预算（每次都训练满）"))
    ev.append(Evidence(EVAL_EVERY, first["eval_every"], unit="steps", label="steps between evaluations (the fewest "
                       "in which the threshold can be reached)",
                       label_zh="两次评估之间的步数（达到阈值最少需要的步数）"))
    ev.append(protocol.budget_evidence(STEPS_READ, trained, label="steps at which every trained model's logits "
                                       "were read", label_zh="读取每个训练模型 logits 时的步数"))
    sweep = outcomes.tuning
    if sweep is not None:
        ev.extend(sweep_evidence(sweep, lambda c: lr(c.key[1]), lambda c: (
            f"learning rate chosen: d_k={c.key[1]}", f"选中的学习率：d_k={c.key[1]}")))
    for dk in dks:
        runs = outcomes.where(kind=TRAINED, d_k=dk)
        ev.append(stats.steps_evidence(steps(dk), [o.measurements["steps_to_threshold"] for o in runs],
                                       first["steps"], label=f"steps to {THRESHOLD}, d_k={dk} (read from the curve)",
                                       label_zh=f"达到 {THRESHOLD} 所需步数，d_k={dk}（从评估曲线读出）"))
        ev.append(stats.evidence_from(acc(dk), [o.measurements["accuracy"] for o in runs], unit="accuracy",
                                      bounds=(0.0, 1.0), label=f"held-out accuracy after the budget, d_k={dk}",
                                      label_zh=f"训练满预算后的留出准确率，d_k={dk}"))
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
                                      label=f"log-log slope of the scaled logits' std against d_k, {w_en} ({fixed})",
                                      label_zh=f"{w_zh}缩放后 logits 标准差对 d_k 的双对数斜率（{fixed_zh}）"))
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
              "d_ks": dks, "threshold": THRESHOLD,
              **{k: first[k] for k in ("d_model", "n_heads", "steps", "batch_size", "eval_every")},
              "lr": {f"d_k={o.config['d_k']}": o.config["lr"] for o in trained}}
    figures = plots(EvidenceSet(ev))
    if sweep is not None:
        figures.append(sweep_plot(sweep, name="q4_lr_sweep", group="kind", line="d_k",
                                  title="Each d_k at its own learning rate", title_zh="每个 d_k 各自的学习率",
                                  names_zh={"trained": "训练的模型"}))
    return Aggregate(ev, figures, config, [FOOTNOTE])
