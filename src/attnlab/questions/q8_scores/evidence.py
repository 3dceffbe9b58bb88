"""q8's evidence: the names (defined once, read by the rule and the words) and ``aggregate``.

Per model (:data:`~attnlab.questions.q8_scores.settings.MODELS`) and score: final accuracy, steps to the
threshold (censored at the budget) and paired step ratios against additive and scaled_dot; the exact trivial
baselines; per score the bytes one attention layer keeps for backward and the time per training step and per
layer (timing evidence, which varies from run to run).
"""

from __future__ import annotations

import statistics

from attnlab.data import make_task
from attnlab.data.baselines import mode_accuracy
from attnlab.lab import protocol, stats, timings
from attnlab.lab.spec import Aggregate, Outcomes
from attnlab.lab.tuning import sweep_evidence, sweep_plot
from attnlab.lab.words import num
from attnlab.questions.q8_scores.settings import (
    ADDITIVE,
    D_MODEL,
    HEAD_DIMS,
    KERNELS,
    LAYER_BATCH,
    LITERATURE,
    LOOKUP,
    MEM_BATCH,
    MODELS,
    N_HEADS,
    REVERSE,
    RNN,
    RNN_D,
    RNN_STYLE,
    SCALED,
    SCORES,
    SPEEDUP,
    THRESHOLD,
    TIMING_THREADS,
    head_dim,
)
from attnlab.questions.q8_scores.trials import memory_key
from attnlab.results import Evidence

__all__ = ["READ_AT", "EVAL_EVERY", "OTHERS_CORES", "lr", "MACHINE_CPUS", "acc", "aggregate",
           "baseline", "budget", "describe", "memory", "ms",
           "pairs", "ratio", "score_name", "steps", "time_ratio"]

ACC = (0.0, 1.0)
OTHERS_CORES, MACHINE_CPUS = "others_cores", "machine_cpus"  # written by attnlab.lab.timings.load_evidence
READ_AT = "read_at_step"  # the step counts at which the trained runs were read (one: equal budgets)
TIMING_LENGTH = "timing_length"  # the sequence length of the per-layer timing
EVAL_EVERY = "eval_every"  # steps between evaluations (the fewest in which the threshold can be reached)


# ---- evidence names ----
def baseline(kind: str, name: str) -> str:
    """An exact trivial baseline: ``kind`` "transformer" (lookup) or "rnn" (reversal)."""
    return f"baseline_{kind}_{name}"


def budget(model: str) -> str:
    return f"budget_{model}"


def lr(model: str, score: str) -> str:
    """The learning rate the sweep chose for the condition."""
    return f"lr_{model}_{score}"


def acc(model: str, score: str) -> str:
    return f"acc_{model}_{score}"


def steps(model: str, score: str) -> str:
    return f"steps_{model}_{score}"


def ratio(model: str, a: str, b: str) -> str:
    """Paired ratio of steps to the threshold, ``a / b``, per seed (censored at the budget)."""
    return f"ratio_{model}_{a}_{b}"


def memory(score: str, impl: str) -> str:
    """MiB one layer keeps for backward at each length (a list), with kernel ``impl`` ("auto", "reference")."""
    return f"memory_{score}_{impl}"


def ms(kind: str, score: str) -> str:
    """Median ms per repeat of ``kind`` "step" (a training step), "layer" (one layer forward + backward, the
    library's fast kernels) or "layer_ref" (the same on the materialising reference kernel, every score alike)."""
    return f"ms_{kind}_{score}"


def time_ratio(kind: str, score: str) -> str:
    """Time of ``kind`` with ``score`` over scaled_dot's, over alternating repeats."""
    return f"time_ratio_{kind}_{score}"


def pairs(model: str) -> list[tuple[str, str]]:
    """The step ratios a rule or reader needs: each score against additive and against scaled_dot."""
    out = [(sc, ADDITIVE) for sc in SCORES if sc != ADDITIVE]
    return out + [(sc, SCALED) for sc in SCORES if sc not in (SCALED, ADDITIVE)]


# ---- labels ----
SCORE_ZH = {"dot": "点积", "scaled_dot": "缩放点积", "general": "通用打分", "additive": "加性"}
BASELINE_ZH = {"chance": "随机猜测", "no_lookup": "不查找（猜上下文中最常见的值）",
               "bag_of_words": "词袋（每个位置都答输入中最常见的符号）"}
TASK_ZH = {"transformer": "键值查找", "rnn": "序列反转"}


def score_name(score: str, lang: str) -> str:
    """The score as a sentence in ``lang`` names it: ``"dot"`` / ``"点积"``."""
    return SCORE_ZH[score] if lang == "zh" else score


def describe(model: str, lang: str = "en") -> str:
    """``"Transformer d_k=8 (1 head), lookup"`` / ``"Transformer d_k=8（1 个头），键值查找"``."""
    if model == RNN:
        if lang == "zh":
            return f"LSTM 编码器-解码器（d={RNN_D}），序列反转"
        return f"LSTM encoder-decoder (d={RNN_D}), reversal"
    hd = head_dim(model)
    heads = N_HEADS
    if lang == "zh":
        return f"Transformer d_k={hd}（{heads} 个头），键值查找"
    return f"Transformer d_k={hd} ({heads} head{'s' if heads > 1 else ''}), lookup"


def where(model: str) -> dict:
    """The trial configs of ``model``."""
    return {"kind": RNN} if model == RNN else {"kind": "transformer", "head_dim": head_dim(model)}


# ---- aggregate ----
def aggregate(outcomes: Outcomes) -> Aggregate:
    from attnlab.questions.q8_scores.plots import plots

    ev: list[Evidence] = []
    lookup, reverse = make_task("lookup", **LOOKUP), make_task("reverse", **REVERSE)
    base = {"transformer": {**lookup.baselines()},
            "rnn": {"chance": reverse.chance_accuracy,
                    # answering, at every position, the most frequent input symbol: order dropped, exact
                    "bag_of_words": mode_accuracy(REVERSE["length"], REVERSE["n_symbols"])}}
    for kind, bs in base.items():
        for name, value in bs.items():
            ev.append(Evidence(baseline(kind, name), value, unit="accuracy", bounds=ACC,
                               label=f"{'lookup' if kind == 'transformer' else 'reversal'}: {name.replace('_', ' ')} "
                                     "predictor (exact)",
                               label_zh=f"{TASK_ZH[kind]}：{BASELINE_ZH[name]}基线（精确值）"))
    budgets = {}
    trained = [o for o in outcomes if o.config.get("kind") in ("transformer", RNN)]
    ev.append(protocol.budget_evidence(READ_AT, trained, label="steps at which every trained run was read",
                                       label_zh="每次训练运行被读取时的步数"))
    ev.append(Evidence(EVAL_EVERY, trained[0].config["eval_every"], unit="steps",
                       label="steps between evaluations (the fewest in which the threshold can be reached)",
                       label_zh="两次评估之间的步数（达到阈值最少需要的步数）"))
    if outcomes.tuning is not None:
        ev.extend(sweep_evidence(outcomes.tuning, lambda c: lr(*c.key), lambda c: (
            f"learning rate chosen: {c.key[1]}, {describe(c.key[0])}",
            f"选中的学习率：{SCORE_ZH[c.key[1]]}，{describe(c.key[0], 'zh')}")))
    for model in MODELS:
        w = where(model)
        budgets[model] = outcomes.where(**w)[0].config["steps"]
        ev.append(Evidence(budget(model), budgets[model], unit="steps", label=f"step budget, {describe(model)}",
                           label_zh=f"步数预算，{describe(model, 'zh')}"))
        for sc in SCORES:
            what, what_zh = f"{sc}, {describe(model)}", f"{SCORE_ZH[sc]}，{describe(model, 'zh')}"
            ev.append(stats.evidence_from(acc(model, sc), outcomes.values("accuracy", score=sc, **w),
                                          label=f"token accuracy: {what}", unit="accuracy", bounds=ACC,
                                          label_zh=f"词元准确率：{what_zh}"))
            ev.append(stats.steps_evidence(steps(model, sc), outcomes.values("steps_to_threshold", score=sc, **w),
                                           budgets[model], label=f"steps to {THRESHOLD} accuracy: {what}",
                                           label_zh=f"达到 {THRESHOLD} 准确率所需步数：{what_zh}"))
        for a, b in pairs(model):
            ev.append(stats.paired_ratio_evidence(
                ratio(model, a, b), outcomes.values("steps_to_threshold", score=a, **w),
                outcomes.values("steps_to_threshold", score=b, **w), unit="x", budget=budgets[model],
                label=f"steps to {THRESHOLD}, {a} / {b}, {describe(model)}",
                label_zh=f"达到 {THRESHOLD} 的步数之比：{SCORE_ZH[a]} / {SCORE_ZH[b]}，{describe(model, 'zh')}"))
    ev += _cost_evidence(outcomes)
    transformers, rnns = outcomes.where(kind="transformer"), outcomes.where(kind=RNN)
    first = transformers[0].config
    config = {"scores": list(SCORES), "threshold": THRESHOLD, "speedup_margin": SPEEDUP, "d_model": D_MODEL,
              "head_dims": list(HEAD_DIMS), "lookup": LOOKUP, "reverse": REVERSE, "rnn_d": RNN_D,
              "rnn_style": RNN_STYLE, "positions": "none", "n_layers": 1, "n_heads": N_HEADS, "steps": budgets,
              **{k: first[k] for k in ("batch_size", "eval_every", "eval_batches")},
              "lr": {f"{o.config['model']}, {o.config['score']}": o.config["lr"] for o in (*transformers, *rnns)}}
    figures = plots(ev, outcomes)
    if outcomes.tuning is not None:
        figures.append(sweep_plot(outcomes.tuning, name="q8_lr_sweep", group="model", line="score",
                                  title="Each score at its own learning rate", title_zh="每种打分函数各自的学习率",
                                  names_zh={**SCORE_ZH, **{m: describe(m, "zh") for m in MODELS}}))
    return Aggregate(ev, figures, config, list(LITERATURE))


def _cost_evidence(outcomes: Outcomes) -> list[Evidence]:
    ev: list[Evidence] = []
    mem = outcomes.one(kind="memory")
    lengths = mem.config["lengths"]
    for sc in SCORES:
        for impl in KERNELS:
            kernel_zh = "库的默认内核" if impl == "auto" else "参考实现（显式构造权重矩阵）"
            ev.append(Evidence(memory(sc, impl), [mem.measurements[memory_key(sc, impl, t)] / 2**20 for t in lengths],
                               unit="MiB", label=f"MiB one attention layer keeps for backward ({sc}, kernel {impl}; "
                               f"B={MEM_BATCH}, d={D_MODEL}, 1 head) at T = {lengths}",
                               label_zh=f"一层注意力为反向传播保存的 MiB（{SCORE_ZH[sc]}，{kernel_zh}；B={MEM_BATCH}，"
                                        f"d={D_MODEL}，1 个头），T = {lengths}"))
    tm = outcomes.one(kind="timing")
    cfg = tm.config
    ev.append(Evidence(TIMING_LENGTH, cfg["length"], unit="tokens", label="sequence length of the per-layer timing",
                       label_zh="每层计时的序列长度"))
    for kind, what, what_zh in (
            ("step", f"a training step of the lookup Transformer (d_k={max(HEAD_DIMS)}, batch {cfg['batch_size']})",
             f"键值查找 Transformer 的一个训练步（d_k={max(HEAD_DIMS)}，批大小 {cfg['batch_size']}）"),
            ("layer", f"forward + backward of one attention layer, the library's fast kernels (CPU, "
                      f"{TIMING_THREADS} threads, B={LAYER_BATCH}, T={cfg['length']}, d={D_MODEL}, 1 head)",
             f"一层注意力的前向加反向，库的快速内核（CPU，{TIMING_THREADS} 个线程，B={LAYER_BATCH}，T={cfg['length']}，"
             f"d={D_MODEL}，1 个头）"),
            ("layer_ref", f"forward + backward of one attention layer, every score on the same materialising "
                          f"kernel (CPU, {TIMING_THREADS} threads, B={LAYER_BATCH}, T={cfg['length']}, d={D_MODEL}, "
                          "1 head)",
             f"一层注意力的前向加反向，所有打分都用同一个显式构造打分矩阵的内核（CPU，{TIMING_THREADS} 个线程，"
             f"B={LAYER_BATCH}，T={cfg['length']}，d={D_MODEL}，1 个头）")):
        if f"{kind}_s" not in tm.measurements:
            continue
        times = tm.measurements[f"{kind}_s"]
        for sc in SCORES:  # the median: robust to a repeat slowed by other work on the machine
            t_ms = sorted(1000 * t for t in times[sc])
            ev.append(Evidence(ms(kind, sc), statistics.median(t_ms), unit="ms", bounds=(0.0, None), n=len(t_ms),
                               label=f"ms per {what}: {sc}", per_seed=t_ms, timing=True,
                               ci_method=f"median of {len(t_ms)} alternating repeats (fastest {num(t_ms[0], 2)} ms)",
                               label_zh=f"{what_zh}的毫秒数：{SCORE_ZH[sc]}"))
        for sc in SCORES:
            if sc == SCALED:
                continue
            e = stats.paired_ratio_evidence(time_ratio(kind, sc), times[sc], times[SCALED], unit="x",
                                            label=f"time of {what}, {sc} / scaled_dot (alternating repeats)",
                                            label_zh=f"{what_zh}的耗时之比：{SCORE_ZH[sc]} / 缩放点积（交替重复测量）")
            e.ci_method = e.ci_method.replace("seeds", "repeats")
            e.timing = True
            ev.append(e)
    if OTHERS_CORES in tm.measurements:  # results from before the load was recorded have no quiet check
        ev += timings.load_evidence([tm], label_zh="计时期间其他进程平均占用的 CPU 核数（取各计时试验中的最大值）")
    return ev
