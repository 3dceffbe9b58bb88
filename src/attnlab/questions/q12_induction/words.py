"""q12's sentences, in English and Chinese, built from the rule's verdicts and numbers."""

from __future__ import annotations

from attnlab.lab.rules import Gate, Ruling, Rulings
from attnlab.lab.words import Words, fmt, num, plain
from attnlab.questions.q12_induction import evidence as names
from attnlab.questions.q12_induction.answer import answer
from attnlab.questions.q12_induction.oneline import oneline, step_text
from attnlab.questions.q12_induction.rule import CONTROL, PATCHING, PHASE, TOGETHER_CLAIM
from attnlab.questions.q12_induction.settings import (
    ABRUPT,
    GAP,
    INDUCTION_MARK,
    LOSS_MARK,
    MOST,
    NEAR,
    SOME,
    TOGETHER,
)

IM, AB, MO, SO = plain(INDUCTION_MARK), plain(ABRUPT), plain(MOST), plain(SOME)
NE, GA, LM = plain(1.0 - NEAR), plain(GAP), plain(LOSS_MARK)
UP, DOWN = num(1.0 + TOGETHER, 2), num(1.0 / (1.0 + TOGETHER), 2)

_STATEMENT = {
    PHASE: ("A two-layer attention-only LM forms induction heads in an abrupt phase change, and its loss on the "
            "repeat drops.", "2 层纯注意力语言模型在一次突然的相变中形成归纳头，重复段上的损失随之骤降。"),
    TOGETHER_CLAIM: ("The loss drop and the induction heads appear together.", "损失骤降与归纳头出现同时发生。"),
    CONTROL: ("A one-layer attention-only model cannot form induction heads: it stays near the trivial baseline.",
              "1 层纯注意力模型无法形成归纳头：它停在平凡基线附近。"),
    PATCHING: ("The heads the detector finds carry the repeat: patching them restores it, ablating them removes it, "
               "other heads do not.", "检测器找到的头承担了重复段的预测：修补它们能恢复，消融它们就失去，其余"
               "的头不起作用。"),
}


class InductionWords(Words):
    def statement(self, r: Ruling, ev, lang: str) -> str:
        return _STATEMENT[r.name][lang == "zh"]

    def gate(self, g: Gate, ev, lang: str) -> str:
        zh, v = lang == "zh", g.values
        if g.kind == "heads_found":
            e = ev[v["evidence"]]
            return (f"2 层模型最大归纳得分 {fmt(e, lang, 2)}（检测需要至少 {plain(v['bound'])}）" if zh
                    else f"2-layer models' largest induction score {fmt(e, lang, 2)} (the detector needs at least "
                         f"{plain(v['bound'])})")
        return super().gate(g, ev, lang)

    def rule(self, r: Ruling, ev) -> str:
        if r.name == PHASE:
            return (f"{r.verdict}: the 2-layer model's loss on the repeat {fmt(ev[names.loss('two_layer')], 'en', 2)} "
                    f"nats against the mark {num(ev[names.LOSS_MARK_NATS].number, 2)} ({LM} x the order-free "
                    f"baseline's); its largest induction score {fmt(ev[names.induction('two_layer')], 'en', 2)}; the "
                    f"drop's width over its step {fmt(ev[names.WIDTH], 'en', 2)}. Rule: confirmed if the loss interval "
                    f"lies below the mark, the score's above {IM} and the width's below {AB}; refuted if the loss lies "
                    f"above the mark and the score below {IM}; qualified if the loss fell or the heads formed; else "
                    "inconclusive.")
        if r.name == TOGETHER_CLAIM:
            return (f"{r.verdict}: step at which the induction score reaches {IM} over the step at which the l"
                    f"oss falls "
                    f"below its mark, paired per seed: {fmt(ev[names.LAG], 'en', 2)}. Rule: confirmed if the interval "
                    f"lies within [{DOWN}, {UP}]; refuted if it lies beyond either end; else inconclusive.")
        if r.name == CONTROL:
            return (f"{r.verdict}: the 1-layer control's loss over the order-free baseline's "
                    f"{fmt(ev[names.CONTROL_RATIO], 'en', 2)}, its largest induction score "
                    f"{fmt(ev[names.induction('one_layer')], 'en', 2)}, its loss minus the 2-layer model's (paired, "
                    f"over the baseline's) {fmt(ev[names.GAP], 'en', 2)}. Rule: confirmed if the ratio lies ab"
                    f"ove {NE}, "
                    f"the score below {IM} and the gap above {GA}; refuted if the gap lies below {GA}; qualified if "
                    "the gap lies above it otherwise; else inconclusive.")
        return (f"{r.verdict}: patching the detected induction heads' clean output into the corrupted run recovers "
                f"{fmt(ev[names.RECOVERED], 'en', 2)} of the repeat's loss gap, patching every other head "
                f"{fmt(ev[names.RECOVERED_OTHERS], 'en', 2)} (the previous-token heads alone: "
                f"{fmt(ev[names.RECOVERED_PREVIOUS], 'en', 2)}); mean-ablating the induction heads removes "
                f"{fmt(ev[names.REMOVED_FOUND], 'en', 2)} of the gain over the order-free guess (the previous-token "
                f"heads: {fmt(ev[names.REMOVED_PREVIOUS], 'en', 2)}; every other head: "
                f"{fmt(ev[names.REMOVED_OTHERS], 'en', 2)}, reported, not ruled on). Rule: confirmed if the induction "
                f"heads' recovery and removal lie above {MO} and the other heads' recovery below {SO}; refuted if "
                f"the induction heads' recovery and removal lie below {SO}; qualified if one of those two lies above "
                f"{MO}; else inconclusive.")

    def because(self, r: Ruling, ev, lang: str) -> str:
        zh = lang == "zh"
        if r.name == PHASE:
            step = step_text(ev)
            args = (fmt(ev[names.loss("two_layer")], lang, 2), num(ev[names.LOSS_MARK_NATS].number, 2),
                    fmt(ev[names.induction("two_layer")], lang, 2), fmt(ev[names.WIDTH], lang, 2), step)
            if zh:
                return ("2 层模型训练后重复段损失 {} 奈特（标记线 {}），最大归纳得分 {}；损失下降的宽度为其步数的 {}，"
                        "中位第 {} 步降到标记线以下。".format(*args))
            return ("The 2-layer model ends at {} nats on the repeat (mark {}) with a largest induction score of {}; "
                    "its drop takes {} of the step it happens at, median step {}.".format(*args))
        if r.name == TOGETHER_CLAIM:
            lag = fmt(ev[names.LAG], lang, 2)
            s_loss, s_ind = fmt(ev[names.steps_loss("two_layer")], lang, 0), fmt(
                ev[names.steps_induction("two_layer")], lang, 0)
            if zh:
                return (f"归纳得分达到 {IM} 的中位步数为 {s_ind}，损失降到标记线以下为 {s_loss}；逐种子之比为 {lag}"
                        f"（同步的范围是 [{DOWN}, {UP}]）。")
            return (f"The induction score reaches {IM} at median step {s_ind}, the loss falls below its mark at "
                    f"{s_loss}; their per-seed ratio is {lag} (together: within [{DOWN}, {UP}]).")
        if r.name == CONTROL:
            args = (fmt(ev[names.loss("one_layer")], lang, 2), num(ev[names.loss_baseline("order_free")].number, 2),
                    fmt(ev[names.induction("one_layer")], lang, 2), fmt(ev[names.GAP], lang, 2))
            if zh:
                return ("1 层对照训练后重复段损失 {} 奈特（不看顺序的猜测为 {}），最大归纳得分 {}；"
                        "它比 2 层模型高出基线损失的 {}。".format(*args))
            return ("The 1-layer control ends at {} nats on the repeat (the order-free guess: {}), largest induction "
                    "score {}; it stays {} of the baseline's loss above the 2-layer model.".format(*args))
        args = (fmt(ev[names.FOUND_HEADS], lang, 1), fmt(ev[names.RECOVERED], lang, 2),
                fmt(ev[names.RECOVERED_OTHERS], lang, 2), fmt(ev[names.REMOVED_FOUND], lang, 2),
                fmt(ev[names.REMOVED_PREVIOUS], lang, 2), fmt(ev[names.REMOVED_OTHERS], lang, 2))
        if zh:
            return ("检测器每个模型找到 {} 个归纳头；把它们的干净输出修补进破坏后的运行，恢复 {} 的损失差距，"
                    "修补其余所有头只恢复 {}；均值消融归纳头去掉 {} 的收益，消融前一词元头去掉 {}，"
                    "消融其余的头去掉 {}。".format(*args))
        return ("The detector finds {} induction heads per model; patching their clean output into the corrupted run "
                "recovers {} of the loss gap, patching every other head {}; mean-ablating them removes {} of the "
                "gain, the previous-token heads {}, the other heads {}.".format(*args))

    def summary(self, rs: Rulings, ev) -> str:
        first = self.undecided_answer(rs, ev, "en") if rs.verdict == "inconclusive" else answer(rs, ev, "en")
        return first + " " + self.overall(rs, ev)

    def answer(self, rs: Rulings, ev, lang: str) -> str:
        return answer(rs, ev, lang)

    def oneline(self, rs: Rulings, ev, lang: str) -> str:
        return oneline(rs, ev, lang)


WORDS = InductionWords()
