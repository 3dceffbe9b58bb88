"""q9's evidence: trial outcomes -> named evidence (the names are defined here, once)."""

from __future__ import annotations

import math
from collections.abc import Mapping

from attnlab.lab import protocol, stats
from attnlab.lab.spec import Aggregate, EvidenceSet, Outcomes
from attnlab.lab.tuning import sweep_evidence, sweep_plot
from attnlab.lab.words import plain
from attnlab.questions.q9_positions.settings import (
    ACC,
    BASELINE_ZH,
    DIFF,
    FACTORS,
    GLOBAL_ORDER_FREE,
    LITERATURE,
    MARGIN,
    N_HEADS,
    ROTARY_BASE,
    SCALING_EN,
    SCALING_ZH,
    SCALINGS,
    SCHEME_ZH,
    SCHEMES,
    TASK_NAMES,
    TASK_ZH,
    THRESHOLD,
    YARN_ALPHA,
    YARN_BETA,
    spaced,
)
from attnlab.questions.q9_positions.trials import make_length_task, marker_order_free_baseline
from attnlab.results import Evidence

# ---- evidence names ----
TRAIN_LENGTH = "train_length"
READ_AT = "read_at_step"  # the step counts at which the runs were read (one: equal budgets)


def lr(task: str, scheme: str) -> str:
    """The learning rate the sweep chose for the condition."""
    return f"lr_{task}_{scheme}"

HALVES = ("first", "second")
LONGER = FACTORS[1:]  # the test lengths beyond T


def baseline(task: str, kind: str, f: int) -> str:
    return f"baseline_{task}_{kind}_x{f}"


def steps(task: str, scheme: str) -> str:
    return f"steps_{task}_{scheme}"


def acc(task: str, scheme: str, f: int) -> str:  # accuracy at fT: all targets at T, those beyond T at 2T and 4T
    return f"acc_{task}_{scheme}_x{f}"


def half(task: str, scheme: str, which: str) -> str:  # accuracy at T on the first or second half of the sequence
    return f"acc_{task}_{scheme}_x1_{which}_half"


def drop(task: str, scheme: str, f: int) -> str:  # accuracy at T minus beyond T at fT (paired)
    return f"drop_{task}_{scheme}_x{f}"


def drop_late(task: str, scheme: str, f: int) -> str:
    """The drop the rules use: accuracy on the second half of T minus the accuracy beyond T at fT (paired).

    Against the whole of T, a scheme whose accuracy already falls along the training length (ALiBi on the local
    task) would count that fall as a failure to extrapolate; the second half is the trained stretch nearest to the
    positions beyond T."""
    return f"drop_late_{task}_{scheme}_x{f}"


def vs_sin(task: str, scheme: str, f: int) -> str:  # scheme minus sinusoidal beyond T at fT (paired)
    return f"vs_sin_{task}_{scheme}_x{f}"


def alibi_vs(other: str, task: str, f: int) -> str:  # ALiBi minus ``other`` beyond T at fT (paired)
    return f"alibi_vs_{other}_{task}_x{f}"


def scaled_acc(task: str, kind: str, f: int) -> str:
    """Accuracy beyond T at fT of the trained RoPE weights under scaling ``kind`` with factor s = f (no fine-tuning)."""
    return f"acc_{task}_rope_{kind}_x{f}"


def scaled_gain(task: str, kind: str, f: int) -> str:
    """RoPE under scaling ``kind`` (s = f) minus plain RoPE, beyond T at fT: the same weights, paired by seed."""
    return f"gain_{task}_rope_{kind}_x{f}"


SAME_WEIGHTS = "rope_scaled_same_weights"  # scaled RoPE models with the trained weights and only the scaling changed
# YaRN's regime here, from the settings: of a head's rotary frequencies, how many turn more than beta times in L = T
# (left unscaled), how many fewer than alpha (interpolated fully), and the most turns any of them makes
YARN_UNSCALED = "yarn_unscaled_frequencies"
YARN_FULL = "yarn_fully_interpolated_frequencies"
YARN_MAX_TURNS = "yarn_max_turns"


def baselines(ev: Mapping[str, Evidence], task: str, f: int) -> list[str]:
    """The names of every trivial baseline of ``task`` at fT."""
    return [n for n in ev if n.startswith(f"baseline_{task}_") and n.endswith(f"_x{f}")]


def best_baseline(ev: Mapping[str, Evidence], task: str, f: int) -> Evidence:
    """The strongest trivial baseline of ``task`` at fT."""
    return max((ev[n] for n in baselines(ev, task, f)), key=lambda e: e.number)


def times_t(f: int) -> str:
    """``"T"``, ``"2T"``, ``"4T"``: a test length as a multiple of the training length."""
    return "T" if f == 1 else f"{f}T"


# ---- aggregate ----
def _acc(outcomes: Outcomes, task: str, scheme: str, f: int) -> list[float]:
    return [o.measurements["by_factor"][str(f)]["beyond"] for o in outcomes.where(task=task, scheme=scheme)]


def _halves(bins: list[float | None]) -> tuple[float, float]:
    """Mean accuracy over the position bins of the first and of the second half of a sequence (bins without
    targets left out)."""
    mid = len(bins) // 2

    def mean(xs: list[float | None]) -> float:
        vals = [x for x in xs if x is not None]
        return sum(vals) / len(vals) if vals else 0.0

    return mean(bins[:mid]), mean(bins[mid:])


def _what(f: int) -> tuple[str, str]:
    return ("all targets", "全部目标") if f == 1 else ("targets beyond T", "超出 T 的目标")


def _baselines(t: str, length: int) -> list[Evidence]:
    task, task_zh = f"{t} task", TASK_ZH[t]
    ev = []
    for f in FACTORS:
        test = make_length_task(t, length, f)
        for base, value in test.baselines().items():
            ev.append(Evidence(baseline(t, base, f), value, unit="accuracy", bounds=ACC,
                               label=f"{task} at {times_t(f)}: {base.replace('_', '-')} baseline (exact)",
                               label_zh=f"{task_zh}在 {times_t(f)} 时：{BASELINE_ZH[base]}基线（精确值）"))
        if t == "global":  # scored as the trials score: all targets at T, those beyond T at 2T and 4T
            what, what_zh = _what(f)
            ev.append(Evidence(baseline(t, "order_free", f), marker_order_free_baseline(test, length if f > 1 else 0),
                               unit="accuracy", bounds=ACC,
                               label=f"{task} at {times_t(f)} ({what}): {GLOBAL_ORDER_FREE[0]} baseline (exact)",
                               label_zh=f"{task_zh}在 {times_t(f)} 时（{what_zh}）：{GLOBAL_ORDER_FREE[1]}"
                                        "基线（精确值）"))
    return ev


def _scheme(outcomes: Outcomes, t: str, sc: str, budget: int) -> list[Evidence]:
    task, task_zh, sc_zh = f"{t} task", TASK_ZH[t], SCHEME_ZH[sc]
    where = dict(task=t, scheme=sc)
    ev = [stats.steps_evidence(steps(t, sc), outcomes.values("steps_to_threshold", **where), budget,
                               label=f"steps to {THRESHOLD} at T, {sc}, {task}",
                               label_zh=f"在 T 上达到 {THRESHOLD} 准确率所需步数，{sc_zh}，{task_zh}")]
    for f in FACTORS:
        what, what_zh = _what(f)
        ev.append(stats.evidence_from(acc(t, sc, f), _acc(outcomes, t, sc, f), unit="accuracy", bounds=ACC,
                                      label=f"accuracy at {times_t(f)} ({what}), {sc}, {task}",
                                      label_zh=f"{times_t(f)} 时的准确率（{what_zh}），{sc_zh}，{task_zh}"))
    for f in LONGER:
        ev.append(stats.paired_evidence(
            drop(t, sc, f), _acc(outcomes, t, sc, 1), _acc(outcomes, t, sc, f), unit="accuracy", bounds=DIFF,
            label=f"accuracy lost from T to {f}T (beyond T), {sc}, {task}",
            label_zh=f"从 T 到 {f}T 损失的准确率（超出 T 的目标），{sc_zh}，{task_zh}"))
        if sc != "sinusoidal":
            ev.append(stats.paired_evidence(
                vs_sin(t, sc, f), _acc(outcomes, t, sc, f), _acc(outcomes, t, "sinusoidal", f), unit="accuracy",
                bounds=DIFF, label=f"{sc} minus sinusoidal at {f}T (beyond T), {task}",
                label_zh=spaced(f"{sc_zh}减去正弦位置编码的准确率，{f}T（超出 T 的目标），{task_zh}")))
    halves = [_halves(o.measurements["by_factor"]["1"]["bins"]) for o in outcomes.where(**where)]
    for i, (which, which_zh) in enumerate(zip(HALVES, ("前", "后"), strict=True)):
        ev.append(stats.evidence_from(half(t, sc, which), [h[i] for h in halves], unit="accuracy", bounds=ACC,
                                      label=f"accuracy at T in the {which} half of the sequence (mean over position "
                                            f"bins), {sc}, {task}",
                                      label_zh=f"T 时序列{which_zh}半段的准确率（对位置分箱取平均），{sc_zh}，"
                                               f"{task_zh}"))
    for f in LONGER:  # the drop the rules use: from the trained positions nearest to those beyond T
        ev.append(stats.paired_evidence(
            drop_late(t, sc, f), [h[1] for h in halves], _acc(outcomes, t, sc, f), unit="accuracy", bounds=DIFF,
            label=f"accuracy lost from the second half of T to beyond T at {f}T, {sc}, {task}",
            label_zh=f"从 T 的后半段到 {f}T 超出 T 的部分损失的准确率，{sc_zh}，{task_zh}"))
    return ev


def _scaled_acc(outcomes: Outcomes, task: str, kind: str, f: int) -> list[float]:
    return [o.measurements["by_scaling"][kind][str(f)]["beyond"] for o in outcomes.where(task=task, scheme="rope")]


def _scalings(outcomes: Outcomes, t: str) -> list[Evidence]:
    """The trained RoPE weights under each scaling at 2T and 4T: accuracy beyond T and the paired gain over plain."""
    task, task_zh = f"{t} task", TASK_ZH[t]
    ev = []
    for kind in SCALINGS:
        en, zh = SCALING_EN[kind], SCALING_ZH[kind]
        for f in LONGER:
            ev.append(stats.evidence_from(
                scaled_acc(t, kind, f), _scaled_acc(outcomes, t, kind, f), unit="accuracy", bounds=ACC,
                label=f"accuracy at {f}T (targets beyond T), RoPE with {en} (s = {f}) at test time, {task}",
                label_zh=spaced(f"{f}T 时的准确率（超出 T 的目标），测试时对 RoPE 用{zh}（s = {f}），{task_zh}")))
            ev.append(stats.paired_evidence(
                scaled_gain(t, kind, f), _scaled_acc(outcomes, t, kind, f), _acc(outcomes, t, "rope", f),
                unit="accuracy", bounds=DIFF,
                label=f"RoPE with {en} (s = {f}) minus plain RoPE at {f}T (beyond T, same weights), {task}",
                label_zh=spaced(f"用{zh}（s = {f}）的 RoPE 减去不缩放的 RoPE，{f}T（超出 T 的目标，同一组权重），"
                                f"{task_zh}")))
    return ev


def _same_weights(outcomes: Outcomes) -> Evidence:
    runs = outcomes.where(scheme="rope")
    same, total = sum(o.measurements["same_weights"] for o in runs), sum(o.measurements["scaled_models"] for o in runs)
    return Evidence(SAME_WEIGHTS, same, None, "models", n=total, bounds=(0, total),
                    ci_method="exact: counted on the modules",
                    label="scaled RoPE models whose every weight equals the trained model's and whose config differs "
                          "only in the RoPE scaling",
                    label_zh="缩放后的 RoPE 模型中，每个权重都与训练好的模型相同、配置只在 RoPE 缩放上不同的个数")


def yarn_turns(length: int, d_model: int) -> list[float]:
    """How many turns each rotary frequency of a head makes in YaRN's L = T: :math:`r_i = L / \\lambda_i =
    L \\theta_i / 2\\pi`, :math:`\\theta_i = b^{-2i/d}` with d = d_model / heads (i = 0 .. d/2 - 1)."""
    d = d_model // N_HEADS
    return [length * ROTARY_BASE ** (-i / d) / (2 * math.pi) for i in range(0, d, 2)]


def yarn_regime(length: int, d_model: int) -> list[Evidence]:
    """Where YaRN's ramp puts each of a head's rotary frequencies here: YaRN (Peng et al. 2023) leaves a frequency
    alone when it turns more than beta times in L, interpolates it fully below alpha; with few frequencies and a short
    L, none may be left alone, and YaRN is then position interpolation (with its temperature)."""
    r = yarn_turns(length, d_model)
    n, a, b = len(r), plain(YARN_ALPHA), plain(YARN_BETA)
    return [
        Evidence(YARN_UNSCALED, sum(x > YARN_BETA for x in r), None, "frequencies", n=n, bounds=(0, n),
                 ci_method="exact",
                 label=f"rotary frequencies per head that YaRN leaves unscaled (more than beta = {b} turns in L = T)",
                 label_zh=f"每个头中 YaRN 不缩放的旋转频率个数（在 L = T 内转过超过 β = {b} 圈）"),
        Evidence(YARN_FULL, sum(x < YARN_ALPHA for x in r), None, "frequencies", n=n, bounds=(0, n),
                 ci_method="exact",
                 label=f"rotary frequencies per head that YaRN interpolates fully (fewer than alpha = {a} turns in "
                       "L = T)",
                 label_zh=f"每个头中 YaRN 完全插值的旋转频率个数（在 L = T 内转过不到 α = {a} 圈）"),
        Evidence(YARN_MAX_TURNS, max(r), None, "turns", ci_method="exact",
                 label="the most turns any rotary frequency of a head makes in L = T (YaRN's r = L / wavelength)",
                 label_zh="每个头中转得最快的旋转频率在 L = T 内转过的圈数（YaRN 的 r = L / 波长）"),
    ]


def aggregate(outcomes: Outcomes) -> Aggregate:
    from attnlab.questions.q9_positions.plots import plots

    first = outcomes.where(task=TASK_NAMES[0], scheme=SCHEMES[0])[0].config
    length, budget = first["length"], first["steps"]
    ev: list[Evidence] = [Evidence(TRAIN_LENGTH, length, unit="tokens", label="training length T",
                                   label_zh="训练长度 T")]
    for t in TASK_NAMES:
        ev.extend(_baselines(t, length))
        for sc in SCHEMES:
            ev.extend(_scheme(outcomes, t, sc, budget))
        ev.extend(_scalings(outcomes, t))
        for f in LONGER:
            for other in ("rope", "t5"):
                ev.append(stats.paired_evidence(
                    alibi_vs(other, t, f), _acc(outcomes, t, "alibi", f), _acc(outcomes, t, other, f),
                    unit="accuracy", bounds=DIFF, label=f"alibi minus {other} at {f}T (beyond T), {t} task",
                    label_zh=spaced(f"ALiBi 减去{SCHEME_ZH[other]}的准确率，{f}T（超出 T 的目标），{TASK_ZH[t]}")))
    ev.append(_same_weights(outcomes))
    ev.extend(yarn_regime(length, first["d_model"]))
    ev.append(protocol.budget_evidence(READ_AT, outcomes, label="steps at which every run's extrapolation was read",
                                       label_zh="读取每次运行外推表现时的步数"))
    if outcomes.tuning is not None:
        ev.extend(sweep_evidence(outcomes.tuning, lambda c: lr(*c.key), lambda c: (
            f"learning rate chosen: {c.key[1]}, {c.key[0]} task",
            spaced(f"选中的学习率：{SCHEME_ZH[c.key[1]]}，{TASK_ZH[c.key[0]]}"))))
    lrs = {f"{o.config['task']}, {o.config['scheme']}": o.config["lr"] for o in outcomes}
    config = {"tasks": {t: make_length_task(t, length, 1).config() for t in TASK_NAMES}, "schemes": list(SCHEMES),
              "factors": list(FACTORS), "threshold": THRESHOLD, "margin": MARGIN,
              "rope_scalings": {"kinds": list(SCALINGS), "factor": "s = test length / T", "yarn": "L = T, alpha = 1, "
                                "beta = 32", "fine_tuning": "none: the trained RoPE weights, scaled at test time"},
              "model": "TransformerLM, 2 layers, "
              "4 heads, d_ff = 2 d_model, untied output layer, max_len = 4T",
              "lr": lrs, **{k: first[k] for k in ("length", "d_model", "steps", "batch_size", "eval_every", "n_eval")}}
    figures = plots(EvidenceSet(ev), outcomes, length)
    if outcomes.tuning is not None:
        figures.append(sweep_plot(outcomes.tuning, name="q9_lr_sweep", group="task", line="scheme",
                                  title="Each position scheme at its own learning rate",
                                  title_zh="每种位置编码各自的学习率", metric_label="final held-out accuracy at T",
                                  names_zh={**TASK_ZH, **SCHEME_ZH}))
    return Aggregate(ev, figures, config, list(LITERATURE))
