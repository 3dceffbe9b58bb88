"""q12's one-line answer (en, zh): the verdict in words with the number that makes it stick: the 2-layer model's
loss on the repeat falling, at the step its induction heads appear, while the 1-layer control stays."""

from __future__ import annotations

from attnlab.lab.rules import Rulings
from attnlab.lab.words import fit_oneline, num
from attnlab.questions.q12_induction import evidence as names
from attnlab.questions.q12_induction.rule import CONTROL, PATCHING, PHASE, TOGETHER_CLAIM

__all__ = ["fit", "oneline", "step_text"]

_OPEN = {PHASE: ("whether the phase change happens", "是否发生相变"),
         TOGETHER_CLAIM: ("whether loss and heads move together", "损失与归纳头是否同步"),
         CONTROL: ("what the 1-layer control does", "1 层对照的表现"),
         PATCHING: ("what patching the heads shows", "修补这些头的结果")}
_FAILS = {PHASE: ("without an abrupt drop", "下降并不突然"),
          TOGETHER_CLAIM: ("the heads and the loss do not move together", "归纳头与损失并不同步"),
          CONTROL: ("the 1-layer control also learns", "1 层对照也学会了"),
          PATCHING: ("patching does not single out the heads", "修补没有指认这些头")}


fit = fit_oneline  # the first of the texts within the one-line limit


def step_text(ev) -> str:
    """The median step at which the 2-layer model's loss on the repeat falls below its mark, or "> budget"."""
    e = ev[names.steps_loss("two_layer")]
    return str(e.value) if isinstance(e.value, str) else num(e.number, 0)


def oneline(rs: Rulings, ev, lang: str) -> str:
    """The answer in one sentence: the verdict, the step and the losses of both models on the repeat."""
    zh = lang == "zh"
    two, one = num(ev[names.loss("two_layer")].number, 2), num(ev[names.loss("one_layer")].number, 2)
    step = step_text(ev)
    v = rs.verdicts
    if rs.verdict == "inconclusive":
        first = next((c.name for c in rs.claims if c.verdict == "inconclusive"), PHASE)
        return (fit([f"尚无定论：{_OPEN[first][1]}还不清楚；2 层模型重复段损失 {two} 奈特。"], zh) if zh
                else f"Not settled yet: {_OPEN[first][0]} is unclear; the 2-layer model's repeat loss is {two} nats.")
    if rs.verdict == "refuted":
        return (fit([f"没有：2 层模型重复段损失仍为 {two} 奈特，1 层为 {one}，没有归纳头形成。"], zh) if zh
                else f"No: the 2-layer model's repeat loss stays at {two} nats (1 layer: {one}); no induction heads "
                     "formed.")
    if rs.verdict == "confirmed":
        if zh:
            return fit([f"是：第 2 层的归纳头读取第 1 层的前一词元头；约第 {step} 步重复段损失骤降到 {two} 奈"
                        f"特，1 层仍为 {one}。",
                        f"是：约第 {step} 步归纳头出现，重复段损失骤降到 {two} 奈特，1 层仍为 {one}。"], zh)
        return fit([f"Yes: a layer-2 induction head reads a layer-1 previous-token head; at step {step} the repeat "
                    f"loss drops to {two} nats (1 layer: {one}).",
                    f"Yes: at step {step} induction heads form and the repeat loss drops to {two} nats (1 layer: "
                    f"{one})."], zh)
    failing = next(c for c in rs.claims if v[c.name] != "confirmed")
    why = _FAILS[failing.name] if failing.verdict != "inconclusive" else (
        f"{_OPEN[failing.name][0]} is unclear", f"{_OPEN[failing.name][1]}还不清楚")
    if zh:
        return fit([f"大体如此：约第 {step} 步重复段损失降到 {two} 奈特（1 层 {one}），但{why[1]}。",
                    f"大体如此：重复段损失降到 {two} 奈特，但{why[1]}。"], zh)
    return fit([f"Mostly: by step {step} the repeat loss falls to {two} nats (1 layer: {one}), but {why[0]}.",
                f"Mostly: the repeat loss falls to {two} nats, but {why[0]}."], zh)
