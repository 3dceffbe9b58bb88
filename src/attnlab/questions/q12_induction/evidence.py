"""q12's evidence: trial outcomes -> named evidence (the names are defined here, once)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from attnlab.lab import protocol, stats
from attnlab.lab.spec import Aggregate, EvidenceSet, Outcomes
from attnlab.lab.tuning import Sweep, sweep_evidence, sweep_plot
from attnlab.questions.q12_induction.settings import (
    ACC,
    BASELINE_ZH,
    CONDITIONS,
    INDUCTION_MARK,
    LABEL,
    LABEL_ZH,
    LITERATURE,
    LOSS,
    LOSS_MARK,
    SHARE,
    SHORT,
)
from attnlab.questions.q12_induction.trials import lm_task
from attnlab.results import Evidence

# ---- evidence names ----
READ_AT = "read_at_step"  # the step counts at which every LM was read (one when the budgets are equal)
EVAL_EVERY = "eval_every"
LM_CONDITIONS = "lm_conditions"  # the conditions trained, the 2-layer model first
LOSS_MARK_NATS = "loss_mark"  # the repeat's loss that counts as "predicted" (LOSS_MARK x the order-free loss)
WIDTH = "drop_width_share"  # the 2-layer loss drop from 0.9 to 0.1 x the order-free loss, over the step it happens at
LAG = "induction_over_loss_steps"  # step of the induction score's mark over the step of the loss mark (paired)
GAP = "control_gap_share"  # the control's loss minus the 2-layer model's (paired), over the order-free loss
CONTROL_RATIO = "control_over_baseline"  # the control's loss over the order-free baseline's loss
RECOVERED = "patched_recovered"  # share of the loss gap recovered by patching the detected induction heads
REMOVED_FOUND = "ablated_induction_removed"  # share of the repeat's gain removed by ablating them
REMOVED_PREVIOUS = "ablated_previous_removed"  # ... by ablating the previous-token heads of layer 1
REMOVED_OTHERS = "ablated_others_removed"  # ... by ablating every other head
RECOVERED_OTHERS = "patched_others_recovered"  # share of the loss gap recovered by patching every other head
RECOVERED_PREVIOUS = "patched_previous_recovered"  # ... by patching the previous-token heads
FOUND_HEADS = "induction_heads_found"  # heads the detector finds per model


def baseline(kind: str) -> str:  # accuracy on the repeat of a trivial predictor
    return f"baseline_{kind}"


def loss_baseline(kind: str) -> str:  # its loss on the repeat, nats
    return f"loss_baseline_{kind}"


def loss(c: str) -> str:  # final loss on the repeat's targets
    return f"loss_{c}"


def acc(c: str) -> str:
    return f"acc_{c}"


def induction(c: str) -> str:  # largest induction score of a last-layer head
    return f"induction_{c}"


def previous(c: str) -> str:  # largest previous-token score of a first-layer head
    return f"previous_{c}"


def steps_loss(c: str) -> str:  # first step at which the repeat's loss is below the mark
    return f"steps_loss_{c}"


def steps_induction(c: str) -> str:  # first step at which a last-layer head's induction score reaches its mark
    return f"steps_induction_{c}"


def lr(c: str) -> str:
    return f"lr_{c}"


def conditions(ev: Mapping[str, Evidence]) -> list[str]:
    return list(ev[LM_CONDITIONS].value)


# ---- aggregate ----
def drop_width(curve: list[list[float]], base: float) -> float | None:
    """The loss drop's width over its step: steps from the first evaluation below 0.9 x ``base`` (the order-free
    baseline's loss: the model leaves the plateau) to the first below 0.1 x ``base`` (nearly done), over the step
    of the first below 0.5 x ``base`` (the mark); None when the loss never gets below 0.1 x ``base``."""

    def first(share: float) -> int | None:
        return next((int(r[0]) for r in curve if r[1] <= share * base), None)

    top, mid, bottom = first(0.9), first(LOSS_MARK), first(0.1)
    if bottom is None or not mid:
        return None
    return (bottom - top) / mid


def _condition(c: str, m: list[dict[str, Any]], budget: int) -> list[Evidence]:
    name, zh = LABEL[c], LABEL_ZH[c]
    return [
        stats.evidence_from(loss(c), [x["loss"] for x in m], unit="nats", bounds=LOSS,
                            label=f"loss on the repeat's targets after training, {name}",
                            label_zh=f"训练后重复段目标上的损失，{zh}"),
        stats.evidence_from(acc(c), [x["accuracy"] for x in m], unit="accuracy", bounds=ACC,
                            label=f"accuracy on the repeat's targets, {name}", label_zh=f"重复段目标上的准确率，{zh}"),
        stats.evidence_from(induction(c), [max(x["induction"][-1]) for x in m], unit="score", bounds=ACC,
                            label=f"largest induction score of a last-layer head, {name}",
                            label_zh=f"最后一层中单个头的最大归纳得分，{zh}"),
        stats.evidence_from(previous(c), [max(x["previous"][0]) for x in m], unit="score", bounds=ACC,
                            label=f"largest previous-token score of a first-layer head, {name}",
                            label_zh=f"第一层中单个头的最大前一词元得分，{zh}"),
        stats.steps_evidence(steps_loss(c), [x["steps_loss"] for x in m], budget,
                             label=f"steps until the repeat's loss falls below the mark, {name}",
                             label_zh=f"重复段损失降到标记线以下所需步数，{zh}"),
        stats.steps_evidence(steps_induction(c), [x["steps_induction"] for x in m], budget,
                             label=f"steps until a last-layer head's induction score reaches {INDUCTION_MARK}, {name}",
                             label_zh=f"最后一层有头的归纳得分达到 {INDUCTION_MARK} 所需步数，{zh}"),
    ]


def _circuit(m: list[dict[str, Any]]) -> list[Evidence]:
    ev = [stats.evidence_from(FOUND_HEADS, [len(x["found"]) for x in m], unit="heads", bounds=(0, None),
                              label="last-layer heads the induction detector finds (score >= the detection mark)",
                              label_zh="归纳检测器在最后一层找到的头数（得分不低于检测线）")]
    for name, key, en, zh in (
            (RECOVERED, "recovered", "share of the repeat's loss gap recovered by patching the detected induction "
             "heads' clean output into the corrupted run", "把检测到的归纳头的干净输出修补进破坏后的运行，"
             "恢复的重复段损失差距份额"),
            (REMOVED_FOUND, "removed_found", "share of the repeat's gain removed by ablating the detected induction "
             "heads", "消融检测到的归纳头后，重复段收益被去掉的份额"),
            (REMOVED_PREVIOUS, "removed_previous", "share of the repeat's gain removed by ablating the previous-token "
             "heads of layer 1 (the circuit's first half)", "消融第 1 层的前一词元头（电路的前一半）后，重复段"
             "收益被去掉的份额"),
            (REMOVED_OTHERS, "removed_others", "share of the repeat's gain removed by ablating every other head",
             "消融其余所有头后，重复段收益被去掉的份额"),
            (RECOVERED_OTHERS, "recovered_others", "share of the repeat's loss gap recovered by patching every other "
             "head's clean output into the corrupted run",
             "把其余所有头的干净输出修补进破坏后的运行，恢复的重复段损失差距份额"),
            (RECOVERED_PREVIOUS, "recovered_previous", "share of the repeat's loss gap recovered by patching the "
             "previous-token heads' clean output into the corrupted run",
             "把前一词元头的干净输出修补进破坏后的运行，恢复的重复段损失差距份额")):
        values = [x[key] for x in m if x.get(key) is not None]  # a kind of head no model has: none
        if values:
            ev.append(stats.evidence_from(name, values, unit="share", bounds=SHARE, label=en, label_zh=zh))
        else:
            ev.append(Evidence(name, "—", unit="share", label=f"{en}: no such head in any model",
                               label_zh=f"{zh}：没有模型有这样的头", n=0))
    return ev


def aggregate(outcomes: Outcomes) -> Aggregate:
    from attnlab.questions.q12_induction.plots import plots

    lms = outcomes.where(kind="lm")
    first = lms[0].config
    conds = [c for c in CONDITIONS if outcomes.where(kind="lm", condition=c)]
    budget = first["steps"]
    task = lm_task(first)
    base_loss = task.loss_baselines()
    per = {c: [o.measurements for o in outcomes.where(kind="lm", condition=c)] for c in conds}
    ev: list[Evidence] = [
        Evidence(LM_CONDITIONS, conds, label="models trained", label_zh="训练的模型"),
        Evidence(LOSS_MARK_NATS, LOSS_MARK * base_loss["order_free"], unit="nats", bounds=LOSS,
                 label=f"the repeat's loss mark: {LOSS_MARK} x the order-free baseline's loss",
                 label_zh=f"重复段损失的标记线：不看顺序基线损失的 {LOSS_MARK} 倍"),
    ]
    for kind, value in task.baselines().items():
        ev.append(Evidence(baseline(kind), value, unit="accuracy", bounds=ACC,
                           label=f"repeat's targets: {kind.replace('_', '-')} baseline accuracy (exact)",
                           label_zh=f"重复段目标：{BASELINE_ZH[kind]}基线的准确率（精确值）"))
        ev.append(Evidence(loss_baseline(kind), base_loss[kind], unit="nats", bounds=LOSS,
                           label=f"repeat's targets: {kind.replace('_', '-')} baseline loss (exact)",
                           label_zh=f"重复段目标：{BASELINE_ZH[kind]}基线的损失（精确值）"))
    for c in conds:
        ev.extend(_condition(c, per[c], budget))
    two = per["two_layer"]
    widths = [w for w in (drop_width(x["curve"], base_loss["order_free"]) for x in two) if w is not None]
    width_label = ("2-layer model: steps from 0.9 to 0.1 x the order-free loss over the step at 0.5 x (the "
                   "drop's width over its step)",
                   "2 层模型：损失从不看顺序基线的 0.9 倍降到 0.1 倍所用步数，除以降到 0.5 倍时的步数")
    if len(widths) >= 2:
        ev.append(stats.evidence_from(WIDTH, widths, unit="share", bounds=(0, None), label=width_label[0],
                                      label_zh=width_label[1]))
    else:
        ev.append(Evidence(WIDTH, "undefined", unit="share", label=width_label[0], label_zh=width_label[1],
                           n=len(widths), ci_method=f"fewer than 2 seeds whose loss fell ({len(widths)})"))
    ev.append(stats.paired_ratio_evidence(LAG, [x["steps_induction"] for x in two], [x["steps_loss"] for x in two],
                                          label="2-layer model: step at which the induction score reaches its mark "
                                                "over the step at which the loss falls below its mark",
                                          label_zh="2 层模型：归纳得分达到标记的步数 / 损失降到标记以下的步数"))
    if "one_layer" in per:
        one = per["one_layer"]
        o = base_loss["order_free"]
        ev.append(stats.evidence_from(CONTROL_RATIO, [x["loss"] / o for x in one], unit="x baseline", bounds=(0, None),
                                      label="1-layer control: loss on the repeat over the order-free baseline's",
                                      label_zh="1 层对照：重复段损失 / 不看顺序基线的损失"))
        ev.append(stats.paired_evidence(GAP, [x["loss"] / o for x in one], [x["loss"] / o for x in two],
                                        unit="x baseline", bounds=SHARE,
                                        label="1-layer minus 2-layer loss on the repeat (paired), over the order-free "
                                              "baseline's loss",
                                        label_zh="1 层减 2 层模型的重复段损失（配对），以不看顺序基线的损失为单位"))
    ev.extend(_circuit(two))
    ev.append(protocol.budget_evidence(READ_AT, lms, label="steps at which every LM was read (loss, detectors, "
                                       "patching)", label_zh="每个语言模型被读取时的步数（损失、检测器、修补）"))
    ev.append(Evidence(EVAL_EVERY, first["eval_every"], unit="steps", label="steps between evaluations of the "
                       "learning curve", label_zh="学习曲线两次评估之间的步数"))
    sweep = outcomes.tuning
    if sweep is not None:
        ev.extend(sweep_evidence(sweep, lambda c: lr(c.key[0]), lambda c: (
            f"learning rate chosen: {LABEL[c.key[0]]}", f"选中的学习率：{LABEL_ZH[c.key[0]]}")))
    config = {"task": task.config(), "conditions": conds, "loss_mark": LOSS_MARK, "induction_mark": INDUCTION_MARK,
              "model": f"TransformerLM, attention-only (mlp=False), RoPE, {first['n_heads']} heads per layer, "
                       "untied output layer; 2 layers, and 1 layer as the control",
              **{k: first[k] for k in ("d_model", "n_heads", "steps", "batch_size", "eval_every", "n_eval")},
              "lr": {c: outcomes.where(kind="lm", condition=c)[0].config["lr"] for c in conds}}
    figures = plots(EvidenceSet(ev), outcomes, conds)
    if sweep is not None:
        one = Sweep(("model", "condition"), sweep.metric, tuple(
            dataclasses.replace(c, key=("attention-only LM", SHORT[c.key[0]])) for c in sweep.conditions))
        figures.append(sweep_plot(one, name="q12_lr_sweep", group="model", line="condition",
                                  title="Each model at its own learning rate", title_zh="每个模型各自的学习率",
                                  metric_label="final accuracy on the repeat's targets",
                                  metric_label_zh="重复段目标上的最终准确率",
                                  names_zh={"attention-only LM": "纯注意力语言模型", "2 layers": "2 层",
                                            "1 layer": "1 层"}))
    return Aggregate(ev, figures, config, list(LITERATURE))
