"""q2's evidence: trial outcomes -> named evidence (the names are defined here, once) and plot data."""

from __future__ import annotations

import dataclasses

from attnlab.data import make_task
from attnlab.lab import protocol, stats
from attnlab.lab.spec import Aggregate, Outcomes
from attnlab.lab.tuning import Sweep, sweep_evidence, sweep_plot
from attnlab.lab.words import num
from attnlab.questions.q2_qk.explorer import explorer_focus
from attnlab.questions.q2_qk.settings import (
    BASELINE_ZH,
    CYCLE_CONDITIONS,
    EXAMPLE,
    LITERATURE,
    RANDOM_DRAWS,
    READOUT_ZH,
    TASK_ZH,
    TASKS,
    TEXT_LAYERS,
    TEXT_VARIANTS,
    THRESHOLD,
    VARIANT_EN,
    VARIANT_ZH,
)
from attnlab.results import AttentionMap, Evidence

# ---- evidence names ----
READ_AT = "read_at_step"  # the step counts at which every trained run was read (one when budgets are equal)
EVAL_EVERY = "eval_every"
TEXT_UNIGRAM = "text_unigram_loss"
TEXT_MAJORITY = "text_majority_accuracy"
TEXT_MODEL = "text_model"
TEXT_GAIN = "text_gain_shared"  # held-out loss, shared minus separate (paired)
TEXT_GAIN_MATCHED = "text_gain_matched"  # held-out loss, shared at separate's parameter count minus separate
TEXT_PARAM_GAP = "text_param_gap"  # parameters of the matched arm over separate's, minus 1
MINILM_SHARE = "minilm_qk_symmetric_share"
MINILM_SHARES = "minilm_qk_shares"
RANDOM_SHARE = "random_qk_symmetric_share"


def baseline(task: str, kind: str) -> str:
    return f"baseline_{task}_{kind}"


def _key(readout: str, task: str, variant: str) -> str:
    return f"{readout}_{task}_{variant}"


def acc(readout: str, task: str, variant: str) -> str:
    return f"acc_{_key(readout, task, variant)}"


def steps(readout: str, task: str, variant: str) -> str:
    return f"steps_{_key(readout, task, variant)}"


def partner_first(readout: str, task: str, variant: str) -> str:
    """Share of tokens whose partner gets the most attention."""
    return f"partner_first_{_key(readout, task, variant)}"


def speedup(readout: str, task: str, variant: str) -> str:
    """Steps to the threshold of ``variant`` over separate's (paired)."""
    return f"speedup_{_key(readout, task, variant)}"


def gain(readout: str, task: str, variant: str) -> str:
    """Accuracy of separate minus ``variant`` (paired)."""
    return f"gain_{_key(readout, task, variant)}"


def lr(readout: str, task: str, variant: str) -> str:
    """The learning rate the sweep chose for the condition (a text arm: readout "lm", task "text")."""
    return f"lr_{_key(readout, task, variant)}"


def compared(readout: str, task: str) -> list[str]:
    """The variants trained for (readout, task), separate first."""
    return [v for r, t, v in CYCLE_CONDITIONS if (r, t) == (readout, task)]


def text_params(variant: str) -> str:
    return f"text_params_{variant}"


def text_loss(variant: str) -> str:
    return f"text_loss_{variant}"


def text_init_loss(variant: str) -> str:
    return f"text_init_loss_{variant}"


def text_acc(variant: str) -> str:
    return f"text_accuracy_{variant}"


def text_fall(variant: str) -> str:
    """Held-out loss at half the budget minus at its end: how much the LM still improved in its second half."""
    return f"text_fall_{variant}"


# ---- aggregate ----
ACC = (0.0, 1.0)
DIFF = (-1.0, 1.0)


def _cycle_evidence(outcomes: Outcomes, budget: int) -> list[Evidence]:
    ev: list[Evidence] = []
    for name, kw in TASKS.items():
        for base, value in make_task("cycle", **kw).baselines().items():
            ev.append(Evidence(baseline(name, base), value, unit="accuracy", label=f"{name} task: "
                               f"{base.replace('_', '-')} baseline (exact)", bounds=ACC,
                               label_zh=f"{TASK_ZH[name]}任务：{BASELINE_ZH[base]}基线（精确值）"))
    for r, t, v in CYCLE_CONDITIONS:
        where = dict(readout=r, task=t, variant=v)
        what = f"{v} W_Q/W_K, {t} task, {r} readout"
        what_zh = f"{VARIANT_ZH[v]}，{TASK_ZH[t]}任务，{READOUT_ZH[r]}"
        ev.append(stats.evidence_from(acc(r, t, v), outcomes.values("accuracy", **where),
                                      label=f"accuracy: {what}", unit="accuracy", bounds=ACC,
                                      label_zh=f"准确率：{what_zh}"))
        ev.append(stats.steps_evidence(steps(r, t, v), outcomes.values("steps_to_threshold", **where),
                                       budget, label=f"steps to {THRESHOLD} accuracy: {what}",
                                       label_zh=f"达到 {THRESHOLD} 准确率所需步数：{what_zh}"))
        ev.append(stats.evidence_from(partner_first(r, t, v), outcomes.values("partner_first", **where),
                                      label=f"tokens whose partner gets the most attention: {what}",
                                      unit="fraction", bounds=ACC,
                                      label_zh=f"把最多注意力给了正确伙伴的词元比例：{what_zh}"))
        if v == "separate":
            continue
        ev.append(stats.paired_ratio_evidence(
            speedup(r, t, v), outcomes.values("steps_to_threshold", **where),
            outcomes.values("steps_to_threshold", readout=r, task=t, variant="separate"),
            label=f"steps to {THRESHOLD}, {v} / separate, {t} task, {r} readout (seeds where both "
                  "reached it)", unit="x",
            label_zh=f"达到 {THRESHOLD} 的步数之比（{VARIANT_ZH[v]} / 分开投影），{TASK_ZH[t]}任务，"
                     f"{READOUT_ZH[r]}（仅计两者都达到的种子）"))
        ev.append(stats.paired_evidence(
            gain(r, t, v), outcomes.values("accuracy", readout=r, task=t, variant="separate"),
            outcomes.values("accuracy", **where),
            label=f"accuracy gain of separate over {v}, {t} task, {r} readout", unit="accuracy",
            label_zh=f"分开投影相对{VARIANT_ZH[v]}的准确率提升，{TASK_ZH[t]}任务，{READOUT_ZH[r]}",
            bounds=DIFF))
    return ev


def _text_evidence(outcomes: Outcomes) -> list[Evidence]:
    runs = {v: outcomes.where(kind="text", variant=v) for v in TEXT_VARIANTS}
    first = runs["separate"][0]
    cfg, wide = first.config, runs["shared_matched"][0].config["head_dim"]
    ev = [Evidence(TEXT_UNIGRAM, first.measurements["unigram_loss"], unit="nats/char", bounds=(0, None),
                   label="text LM: held-out loss of the unigram predictor (character frequencies; exact)",
                   label_zh="文本语言模型：一元（字符频率）预测器在留出文本上的损失（精确值）"),
          Evidence(TEXT_MAJORITY, first.measurements["majority_accuracy"], unit="accuracy", bounds=ACC,
                   label="text LM: held-out accuracy of always predicting the most frequent character (exact)",
                   label_zh="文本语言模型：总是预测最常见字符在留出文本上的准确率（精确值）"),
          Evidence(TEXT_MODEL, f"{cfg['n_heads']} heads of {cfg['head_dim']} (matched arm: {wide}), "
                   f"d_model={cfg['d_model']}, {TEXT_LAYERS} layers, T={cfg['seq_len']}, {cfg['steps']} steps",
                   unit="", label="text LM: the model and budget", label_zh="文本语言模型：模型与训练预算")]
    for v, rs in runs.items():  # sharing drops W_K: the matched arm widens its heads to win the parameters back
        ev.append(Evidence(text_params(v), float(rs[0].measurements["n_parameters"]), unit="parameters",
                           label=f"text LM: parameters, {VARIANT_EN[v]}",
                           label_zh=f"文本语言模型：参数量，{VARIANT_ZH[v]}"))
    sep_p, wide_p = (float(runs[v][0].measurements["n_parameters"]) for v in ("separate", "shared_matched"))
    ev.append(Evidence(TEXT_PARAM_GAP, wide_p / sep_p - 1, unit="fraction",
                       label="text LM: parameters of the matched shared arm over separate's, minus 1",
                       label_zh="文本语言模型：参数匹配的共享版本与分开版本的参数量之比减 1"))
    for v, rs in runs.items():
        m = [o.measurements for o in rs]
        ev.append(stats.evidence_from(text_loss(v), [x["heldout_loss"] for x in m],
                                      label=f"text LM: held-out loss, {VARIANT_EN[v]}", unit="nats/char",
                                      bounds=(0, None), label_zh=f"文本语言模型：留出损失，{VARIANT_ZH[v]}"))
        ev.append(stats.evidence_from(text_acc(v), [x["heldout_accuracy"] for x in m],
                                      label=f"text LM: held-out next-character accuracy, {VARIANT_EN[v]}",
                                      unit="accuracy", bounds=ACC,
                                      label_zh=f"文本语言模型：留出文本上预测下一个字符的准确率，{VARIANT_ZH[v]}"))
        ev.append(stats.evidence_from(text_init_loss(v), [x["init_loss"] for x in m],
                                      label=f"text LM: held-out loss at initialisation, {VARIANT_EN[v]}",
                                      unit="nats/char", bounds=(0, None),
                                      label_zh=f"文本语言模型：初始化时的留出损失，{VARIANT_ZH[v]}"))
        ev.append(stats.evidence_from(text_fall(v), [x["half_loss"] - x["heldout_loss"] for x in m],
                                      label=f"text LM: held-out loss at half the budget minus at its end (how much "
                                            f"it still improved), {VARIANT_EN[v]}", unit="nats/char",
                                      label_zh=f"文本语言模型：预算过半时与结束时的留出损失之差（后半程还在改进多少），"
                                               f"{VARIANT_ZH[v]}"))
    sep = [o.measurements["heldout_loss"] for o in runs["separate"]]
    ev.append(stats.paired_evidence(TEXT_GAIN, [o.measurements["heldout_loss"] for o in runs["shared"]], sep,
                                    label="text LM: held-out loss of shared minus separate (positive: separate is "
                                          "better; shared has fewer parameters)", unit="nats/char",
                                    label_zh="文本语言模型：共享减分开的留出损失（为正表示分开更好；共享的参数更少）"))
    ev.append(stats.paired_evidence(TEXT_GAIN_MATCHED, [o.measurements["heldout_loss"] for o in runs["shared_matched"]],
                                    sep, label="text LM: held-out loss of shared at separate's parameter count minus "
                                               "separate (positive: separate is better)", unit="nats/char",
                                    label_zh="文本语言模型：参数量相同时共享减分开的留出损失（为正表示分开更好）"))
    return ev


def _minilm_evidence(mini: dict) -> list[Evidence]:
    if "unavailable" in mini:
        return []
    flat = [x for row in mini["shares"] for x in row]
    return [stats.evidence_from(MINILM_SHARE, flat, label="all-MiniLM-L6-v2: symmetric share of W_Q W_Kᵀ, mean over "
                                f"its {len(flat)} heads", unit="share", bounds=(0.0, 1.0), over="heads",
                                label_zh=f"all-MiniLM-L6-v2：W_Q W_Kᵀ 的对称部分占比，{len(flat)} 个头的均值"),
            Evidence(MINILM_SHARES, mini["shares"], unit="share",
                     label="all-MiniLM-L6-v2: symmetric share per head (layer × head)",
                     label_zh="all-MiniLM-L6-v2：每个头的对称部分占比（层 × 头）"),
            Evidence(RANDOM_SHARE, mini["random_mean"], unit="share",
                     label=f"random independent W_Q, W_K of the same shape ({RANDOM_DRAWS} draws)",
                     label_zh=f"同形状的随机独立 W_Q、W_K（{RANDOM_DRAWS} 次抽样）",
                     ci_method=f"std over draws {num(mini['random_std'], 3)}")]


def _sweep(sweep: Sweep) -> list[Evidence]:
    return sweep_evidence(sweep, lambda c: lr(*c.key[1:]), lambda c: (
        f"learning rate chosen: {VARIANT_EN[c.key[3]]}, " + ("text LM" if c.key[0] == "text" else
                                                             f"{c.key[2]} task, {c.key[1]} readout"),
        f"选中的学习率：{VARIANT_ZH[c.key[3]]}，" + ("文本语言模型" if c.key[0] == "text" else
                                                 f"{TASK_ZH[c.key[2]]}任务，{READOUT_ZH[c.key[1]]}")))


def _sweep_plot(sweep: Sweep):
    """The sweep, one panel per (readout, task), one line per variant."""
    conds = tuple(dataclasses.replace(c, key=("text LM" if c.key[0] == "text" else f"{c.key[1]}, {c.key[2]}",
                                              c.key[3])) for c in sweep.conditions)
    return sweep_plot(Sweep(("where", "variant"), sweep.metric, conds), name="q2_lr_sweep", group="where",
                      line="variant", title="Each variant at its own learning rate",
                      title_zh="每个变体各自的学习率",
                      metric_label="final accuracy (text LM: validation next-character accuracy)",
                      names_zh={"text LM": "文本语言模型", **VARIANT_ZH,
                                **{f"{r}, {t}": f"{READOUT_ZH[r]}，{TASK_ZH[t]}任务"
                                   for r in READOUT_ZH for t in TASK_ZH}})


def aggregate(outcomes: Outcomes) -> Aggregate:
    from attnlab.questions.q2_qk.plots import plots

    first = outcomes.where(readout="attention", task="asymmetric", variant="separate")[0].config
    ev = _cycle_evidence(outcomes, first["steps"]) + _text_evidence(outcomes)
    trained = [o for o in outcomes if o.config.get("kind") in ("train", "text")]
    ev.append(protocol.budget_evidence(READ_AT, trained, label="steps at which every trained run (cycle tasks and "
                                       "text LM) was read",
                                       label_zh="每个训练过的运行（轮换任务与文本语言模型）被读取时的步数"))
    ev.append(Evidence(EVAL_EVERY, first["eval_every"], unit="steps",
                       label="steps between evaluations on the cycle tasks (the fewest in which the threshold can be "
                             "reached)", label_zh="轮换任务上两次评估之间的步数（达到阈值最少需要的步数）"))
    sweep = outcomes.tuning
    if sweep is not None:
        ev.extend(_sweep(sweep))
    mini = outcomes.one(kind="minilm").measurements
    ev += _minilm_evidence(mini)
    config = {"tasks": TASKS, "conditions": [list(c) for c in CYCLE_CONDITIONS], "threshold": THRESHOLD,
              **{k: first[k] for k in ("d_model", "steps", "batch_size", "eval_every")},
              "lr": {", ".join(str(o.config[k]) for k in ("readout", "task", "variant")): o.config["lr"]
                     for o in outcomes if o.config.get("kind") in ("train", "text")}}
    maps = []
    if "unavailable" not in mini:
        maps.append(AttentionMap(f"all-MiniLM-L6-v2 on \"{EXAMPLE}\": does \"it\" look at \"dog\" while \"dog\" "
                                 "looks elsewhere?", mini["tokens"], mini["weights"],
                                 f"all-MiniLM-L6-v2 读“{EXAMPLE}”：“it”看向“dog”时，“dog”是否看向别处？",
                                 steps=mini.get("steps"), attribution=mini.get("attribution"),
                                 **explorer_focus(mini["tokens"], mini["weights"])))
    figures = plots(ev, outcomes)
    if sweep is not None:
        figures.append(_sweep_plot(sweep))
    return Aggregate(ev, figures, config, list(LITERATURE), maps)
