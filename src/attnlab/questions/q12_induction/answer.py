"""q12's short answer (en, zh) and its summary, from the rule's verdicts and the numbers."""

from __future__ import annotations

from attnlab.lab import stats
from attnlab.lab.rules import Rulings
from attnlab.lab.words import fmt, num, pct
from attnlab.questions.q12_induction import evidence as names
from attnlab.questions.q12_induction.oneline import step_text

__all__ = ["answer"]

_LEAD = {"confirmed": ("Yes, as Olsson et al. 2022 describe it", "是的，正如 Olsson 等人 2022 年所描述的"),
         "qualified": ("In part", "部分如此"),
         "refuted": ("Not in our runs", "在我们的运行中并非如此")}


def _share(ev, name: str) -> str:
    e = ev[name]
    return "—" if isinstance(e.value, str) else num(e.number, 2)


def answer(rs: Rulings, ev, lang: str) -> str:
    """Two heads in two layers: what they do together, the phase change's step, the control, the patching."""
    zh = lang == "zh"
    lead = _LEAD[rs.verdict][zh]
    two, one = fmt(ev[names.loss("two_layer")], lang, 2), fmt(ev[names.loss("one_layer")], lang, 2)
    base = num(ev[names.loss_baseline("order_free")].number, 2)
    step, ind = step_text(ev), fmt(ev[names.induction("two_layer")], lang, 2)
    ind_step = ev[names.steps_induction("two_layer")]
    ind_at = str(ind_step.value) if isinstance(ind_step.value, str) else num(ind_step.number, 0)
    rec, rem = _share(ev, names.RECOVERED), _share(ev, names.REMOVED_FOUND)
    prev, other = _share(ev, names.REMOVED_PREVIOUS), _share(ev, names.REMOVED_OTHERS)
    rec_other = _share(ev, names.RECOVERED_OTHERS)
    n, conf = ev[names.loss("two_layer")].n, pct(stats.CONFIDENCE)
    every = num(ev[names.EVAL_EVERY].number, 0)
    if zh:
        return (f"{lead}：两个头分工合作，第 1 层的前一词元头把每个词元的前一个词元写进它的位置，第 2 层的归纳"
                f"头用当前词元去"
                f"匹配这些信息，找到它上次出现之后的那个词元并复制过来。在重复的随机词元上，2 层纯注意力模型的"
                f"重复段损失在"
                f"中位第 {step} 步降到标记线以下（归纳得分在第 {ind_at} 步达到标记；每 {every} 步评估一次），"
                f"训练后为 {two} 奈特，最"
                f"大归纳得分 {ind}；"
                f"1 层对照为 {one} 奈特，不看顺序的猜测为 {base} 奈特。把检测到的归纳头修补回去恢复了 {rec} 的损失"
                f"差距，修补其余的头只恢复 {rec_other}；均值消融归纳头去掉 {rem} 的收益"
                f"（大于 1：比不看顺序的猜测还差），"
                f"消融前一词元头去掉 {prev}"
                f"（电路的另一半），消融其余的头去掉 {other}（没有前馈层时每个头都在写第 2 层读取的残差流）。"
                f"每个模型 {n} 个种子（{conf} 区间）；"
                "这是在合成任务上只训练重复段的小模型，不同于 Olsson 等人在自然语言上预训练的模型。")
    return (f"{lead}: two heads in two layers work together. A previous-token head in layer 1 writes each token's "
            f"predecessor into its position; an induction head in layer 2 matches the current token against it, "
            f"attends to the token that followed its earlier copy, and copies it. On repeated random tokens the "
            f"2-layer attention-only model's loss on the repeat falls below the mark at median step {step} (its "
            f"induction score reaches the mark at step {ind_at}; evaluated every {every} steps) and ends at {two} "
            f"nats, largest induction score "
            f"{ind}; the 1-layer control ends at {one} nats, beside the order-free guess's {base}. Patching the "
            f"detected induction heads back in recovers {rec} of the loss gap, patching every other head "
            f"{rec_other}; mean-ablating the induction heads removes {rem} of the gain (above 1: worse than the "
            f"order-free guess), the previous-token heads "
            f"{prev} (the circuit's other half), the other heads {other} (without MLPs every head writes the "
            f"residual stream layer 2 reads). {n} seeds per model ({conf} "
            "intervals); small models trained on the repeat's loss of a synthetic task, not the natural-language "
            "pre-training of Olsson et al.")
