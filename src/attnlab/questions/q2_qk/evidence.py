"""q2's evidence: trial outcomes -> named evidence (the names are defined here, once) and plot data."""

from __future__ import annotations

from attnlab.data import make_task
from attnlab.lab import stats
from attnlab.lab.spec import Aggregate, Outcomes
from attnlab.lab.words import num
from attnlab.questions.q2_qk.explorer import explorer_focus
from attnlab.questions.q2_qk.settings import (
    BASELINE_ZH,
    EXAMPLE,
    LITERATURE,
    RANDOM_DRAWS,
    READOUT_ZH,
    READOUTS,
    TASK_ZH,
    TASKS,
    TEXT_LAYERS,
    TEXT_VARIANTS,
    THRESHOLD,
    VARIANT_ZH,
    VARIANTS,
)
from attnlab.results import AttentionMap, Evidence

# ---- evidence names ----
TEXT_UNIGRAM = "text_unigram_loss"
TEXT_MODEL = "text_model"
TEXT_GAIN = "text_gain_shared"  # held-out loss, shared minus separate (paired)
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


def text_params(variant: str) -> str:
    return f"text_params_{variant}"


def text_loss(variant: str) -> str:
    return f"text_loss_{variant}"


def text_init_loss(variant: str) -> str:
    return f"text_init_loss_{variant}"


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
    for r in READOUTS:
        for t in TASKS:
            for v in VARIANTS:
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
            for v in VARIANTS[1:]:
                ev.append(stats.paired_ratio_evidence(
                    speedup(r, t, v), outcomes.values("steps_to_threshold", readout=r, task=t, variant=v),
                    outcomes.values("steps_to_threshold", readout=r, task=t, variant="separate"),
                    label=f"steps to {THRESHOLD}, {v} / separate, {t} task, {r} readout (seeds where both "
                          "reached it)", unit="x",
                    label_zh=f"达到 {THRESHOLD} 的步数之比（{VARIANT_ZH[v]} / 分开投影），{TASK_ZH[t]}任务，"
                             f"{READOUT_ZH[r]}（仅计两者都达到的种子）"))
                ev.append(stats.paired_evidence(
                    gain(r, t, v), outcomes.values("accuracy", readout=r, task=t, variant="separate"),
                    outcomes.values("accuracy", readout=r, task=t, variant=v),
                    label=f"accuracy gain of separate over {v}, {t} task, {r} readout", unit="accuracy",
                    label_zh=f"分开投影相对{VARIANT_ZH[v]}的准确率提升，{TASK_ZH[t]}任务，{READOUT_ZH[r]}",
                    bounds=DIFF))
    return ev


def _text_evidence(outcomes: Outcomes) -> list[Evidence]:
    runs = {v: outcomes.where(kind="text", variant=v) for v in TEXT_VARIANTS}
    first = runs["separate"][0]
    cfg = first.config
    ev = [Evidence(TEXT_UNIGRAM, first.measurements["unigram_loss"], unit="nats/char", bounds=(0, None),
                   label="text LM: held-out loss of the unigram predictor (character frequencies; exact)",
                   label_zh="文本语言模型：一元（字符频率）预测器在留出文本上的损失（精确值）"),
          Evidence(TEXT_MODEL, f"{cfg['n_heads']} heads, d_model={cfg['d_model']}, {TEXT_LAYERS} layers, "
                   f"T={cfg['seq_len']}, {cfg['steps']} steps", unit="", label="text LM: the model and budget",
                   label_zh="文本语言模型：模型与训练预算")]
    for v, rs in runs.items():  # sharing drops W_K: fewer parameters is part of the choice, said beside the loss
        ev.append(Evidence(text_params(v), float(rs[0].measurements["n_parameters"]), unit="parameters",
                           label=f"text LM: parameters, {v} W_Q/W_K",
                           label_zh=f"文本语言模型：参数量，{VARIANT_ZH[v]}"))
    for v, rs in runs.items():
        ev.append(stats.evidence_from(text_loss(v), [o.measurements["heldout_loss"] for o in rs],
                                      label=f"text LM: held-out loss, {v} W_Q/W_K", unit="nats/char", bounds=(0, None),
                                      label_zh=f"文本语言模型：留出损失，{VARIANT_ZH[v]}"))
        ev.append(stats.evidence_from(text_init_loss(v), [o.measurements["init_loss"] for o in rs],
                                      label=f"text LM: held-out loss at initialisation, {v} W_Q/W_K",
                                      unit="nats/char", bounds=(0, None),
                                      label_zh=f"文本语言模型：初始化时的留出损失，{VARIANT_ZH[v]}"))
    ev.append(stats.paired_evidence(TEXT_GAIN, [o.measurements["heldout_loss"] for o in runs["shared"]],
                                    [o.measurements["heldout_loss"] for o in runs["separate"]],
                                    label="text LM: held-out loss of shared minus separate (positive: separate is "
                                          "better)", unit="nats/char",
                                    label_zh="文本语言模型：共享减分开的留出损失（为正表示分开更好）"))
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


def aggregate(outcomes: Outcomes) -> Aggregate:
    from attnlab.questions.q2_qk.plots import plots

    first = outcomes.where(readout="attention", task="asymmetric", variant="separate")[0].config
    ev = _cycle_evidence(outcomes, first["steps"]) + _text_evidence(outcomes)
    mini = outcomes.one(kind="minilm").measurements
    ev += _minilm_evidence(mini)
    config = {"tasks": TASKS, "variants": list(VARIANTS), "readouts": list(READOUTS), "threshold": THRESHOLD,
              **{k: first[k] for k in ("d_model", "steps", "batch_size", "lr", "eval_every")}}
    maps = []
    if "unavailable" not in mini:
        maps.append(AttentionMap(f"all-MiniLM-L6-v2 on \"{EXAMPLE}\": does \"it\" look at \"dog\" while \"dog\" "
                                 "looks elsewhere?", mini["tokens"], mini["weights"],
                                 f"all-MiniLM-L6-v2 读“{EXAMPLE}”：“it”看向“dog”时，“dog”是否看向别处？",
                                 **explorer_focus(mini["tokens"], mini["weights"])))
    return Aggregate(ev, plots(ev, outcomes), config, list(LITERATURE), maps)
