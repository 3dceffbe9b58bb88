"""q14's one-line answer (en, zh): whether a fixed-state mixer replaces softmax attention for recall, with the
numbers that make it stick: softmax attention's accuracy at the largest pair count beside the best fixed-state
mixer's."""

from __future__ import annotations

from attnlab.lab.rules import Rulings
from attnlab.lab.words import fit_oneline, num, plain
from attnlab.questions.q14_mixers import evidence as names
from attnlab.questions.q14_mixers.rule import SOFTMAX_RECALLS, STATES_FALL, largest
from attnlab.questions.q14_mixers.settings import MIXER_SHORT, MIXER_ZH, RECURRENT, THRESHOLD

TH = plain(THRESHOLD)


fit = fit_oneline  # the first of the texts within the one-line limit


def oneline(rs: Rulings, ev, lang: str) -> str:
    zh = lang == "zh"
    top = largest(ev)
    soft = num(ev[names.acc("softmax", top)].number, 2)
    accs = {m: ev[names.acc(m, top)].number for m in RECURRENT}
    best = max(RECURRENT, key=lambda m: accs[m])
    low = min(RECURRENT, key=lambda m: accs[m])
    b, b_name = num(accs[best], 2), (MIXER_ZH[best] if zh else MIXER_SHORT[best])
    fell = len(rs.claim(STATES_FALL).values.get("fall", [])) if rs.verdicts[STATES_FALL] != "inconclusive" else 0
    v, soft_v = rs.verdict, rs.verdicts[SOFTMAX_RECALLS]
    at = f"{top} 个键值对时" if zh else f"with {top} pairs"
    if v == "confirmed":
        return fit([f"不能：{at} softmax 达 {soft}，固定状态混合层都低于 {TH}（最好 {b}）。",
                    f"不能：{at} softmax 达 {soft}，固定状态混合层都低于 {TH}。"] if zh else
                   [f"Not for recall: {at} softmax attention recalls {soft}; every fixed-state mixer falls below "
                    f"{TH} (best {b}, {b_name})."], zh)
    if v == "refuted":
        lo = num(accs[low], 2)
        return fit([f"在此规模下可以：{at}固定状态混合层都高于 {TH}（最低 {lo}）。"] if zh else
                   [f"Yes at these sizes: {at} every fixed-state mixer stays above {TH} (lowest {lo}), softmax "
                    f"attention {soft}."], zh)
    n = len(RECURRENT)
    if v == "qualified" and soft_v != "confirmed":
        return fit([f"部分成立：{at} softmax 也只有 {soft}，固定状态混合层最好 {b}。"] if zh else
                   [f"Partly: {at} softmax attention too reaches only {soft}; the best fixed-state mixer {b} "
                    f"({b_name})."], zh)
    if v == "qualified" and rs.verdicts[STATES_FALL] == "refuted":
        lo = num(accs[low], 2)
        return fit([f"部分成立：{at}固定状态混合层也都高于 {TH}（最低 {lo}）。"] if zh else
                   [f"Partly: {at} every fixed-state mixer stays above {TH} too (lowest {lo}); softmax attention "
                    f"{soft}."], zh)
    if v == "qualified":
        return fit([f"部分成立：{at} softmax 达 {soft}，固定状态混合层 {fell}/{n} 个低于 {TH}（最好 {b}）。",
                    f"部分成立：{at} softmax 达 {soft}，固定状态混合层 {fell}/{n} 个低于 {TH}。"] if zh
                   else [f"Partly: {at} softmax attention recalls {soft}; {fell} of {n} fixed-state mixers fall below "
                         f"{TH}, the best reaches {b} ({b_name})."], zh)
    return fit([f"尚无定论：{at} softmax 为 {soft}，固定状态混合层最好 {b}，区间跨过 {TH}。",
                f"尚无定论：{at}准确率区间跨过 {TH}。"] if zh else
               [f"Undecided: {at} softmax attention recalls {soft}, the best fixed-state mixer {b}; intervals "
                f"straddle {TH}."], zh)
