"""q9's longer texts: the short answer (en, zh), the summary and its place beside Kazemnejad et al. 2023."""

from __future__ import annotations

from attnlab.lab import rules, stats
from attnlab.lab.rules import Rulings
from attnlab.lab.words import fmt, num, pct, plain, signed
from attnlab.questions.q9_positions import evidence as names
from attnlab.questions.q9_positions.plots import task_title
from attnlab.questions.q9_positions.rule import ALIBI, KEPT, LOST, rel_comparisons, sides, status, where
from attnlab.questions.q9_positions.settings import (
    MARGIN,
    SCHEME_EN,
    SCHEME_ZH,
    SCHEMES,
    TASK_NAMES,
    TASK_SHORT,
    TASK_ZH,
    THRESHOLD,
)

M = plain(MARGIN)
_STATE = {"kept": ("kept", "保持住了"), "lost": ("dropped", "下降了"), "unclear": ("unclear", "不确定")}
_SAME = {"kept": ("kept up to 4T", "直到 4T 都保持住了"), "lost": ("dropped at 2T and 4T", "2T 和 4T 都下降了"),
         "unclear": ("unclear at 2T and 4T", "2T 和 4T 都不确定")}


def fate(ev, scheme: str, task: str, lang: str) -> str:
    """What happened to a scheme's accuracy on ``task`` beyond T, in words."""
    i = lang == "zh"
    w = where(ev, scheme)[task]
    s2, s4 = w["2"], w["4"]
    if s2 == s4:
        return _SAME[s2][i]
    return f"2T 时{_STATE[s2][1]}，4T 时{_STATE[s4][1]}" if i else f"{_STATE[s2][0]} at 2T, {_STATE[s4][0]} at 4T"


def drops(ev, scheme: str, lang: str) -> str:
    """A scheme's paired drops from the second half of T to 2T and 4T on each task, with what they mean."""
    out = []
    for t in TASK_NAMES:
        d2, d4 = fmt(ev[names.drop_late(t, scheme, 2)], lang), fmt(ev[names.drop_late(t, scheme, 4)], lang)
        out.append(f"{TASK_SHORT[t][1]}任务 2T 时 {d2}、4T 时 {d4}，{fate(ev, scheme, t, lang)}" if lang == "zh"
                   else f"{TASK_SHORT[t][0]} task {d2} at 2T and {d4} at 4T, {fate(ev, scheme, t, lang)}")
    return "；".join(out) if lang == "zh" else "; ".join(out)


def _on_tasks(tasks: list[str]) -> str:
    """``"on the local task"``, ``"on the local and global tasks"``, ``"on neither task"``."""
    if not tasks:
        return "on neither task"
    return f"on the {' and '.join(tasks)} task" + ("s" if len(tasks) > 1 else "")


def _acc(ev, t: str, sc: str, f: int) -> str:
    return num(ev[names.acc(t, sc, f)].number, 2)


def kazemnejad(ev) -> str:
    """Where these runs agree and disagree with Kazemnejad et al. 2023 (the counter-literature), from the numbers
    at 2T, the nearest of our lengths to their test range (about twice the training length)."""
    side = {t: rules.interval(ev[names.alibi_vs("t5", t, 2)]) for t in TASK_NAMES}
    ahead = [t for t, (_, hi) in side.items() if hi < 0]
    behind = [t for t, (lo, _) in side.items() if lo > 0]
    level = [t for t in TASK_NAMES if t not in ahead and t not in behind]
    t5 = "; ".join(f"{t} {fmt(ev[names.alibi_vs('t5', t, 2)])}" for t in TASK_NAMES)
    if len(behind) == len(TASK_NAMES):
        word = "we disagree on the T5 bias, which falls clearly behind ALiBi on both tasks"
    elif len(ahead) == len(TASK_NAMES):
        word = "we agree that the T5 bias extrapolates better than ALiBi, on both tasks"
    elif len(level) == len(TASK_NAMES):
        word = "on the T5 bias, neither task shows a clear difference"
    else:
        word = "on the T5 bias, " + ", ".join(
            [f"we agree on the {t} task (it is ahead of ALiBi)" for t in ahead]
            + [f"we disagree on the {t} task (it is behind ALiBi)" for t in behind]
            + [f"the {t} task shows no clear difference" for t in level])
    absolute = [(t, sc) for t in TASK_NAMES for sc in ("sinusoidal", "learned") if status(ev, t, sc, 2) == LOST]
    lost = {sc: [t for t in TASK_NAMES if status(ev, t, sc, 2) == LOST] for sc in ("rope", "alibi", "t5")}
    return ("Kazemnejad et al. 2023 (counter-literature: decoder-only models of about 107M parameters on algorithmic "
            "tasks, tested at about twice the training length) find ALiBi, rotary and absolute positions generalise "
            "poorly and the T5 bias (with no positions at all, NoPE, which we did not run) best. At 2T, ALiBi minus "
            f"the T5 bias is {t5}: {word}. Absolute positions (sinusoidal, learned) lose their accuracy at 2T in "
            f"{len(absolute)} of {2 * len(TASK_NAMES)} (task, scheme) cases, RoPE {_on_tasks(lost['rope'])}, ALiBi "
            f"{_on_tasks(lost['alibi'])} and the T5 bias {_on_tasks(lost['t5'])} (drops from the second half of T "
            f"whose interval lies above {M}). Their models and tasks differ from these 2-layer models, so this places "
            "our numbers beside theirs rather than testing their claim.")


def _highest(ev, f: int) -> str:
    out = []
    for t in TASK_NAMES:
        top = sorted(SCHEMES, key=lambda sc: -ev[names.acc(t, sc, f)].number)[:2]
        out.append(" then ".join(f"{sc} {_acc(ev, t, sc, f)}" for sc in top) + f" ({t})")
    return "; ".join(out)


def summary(rs: Rulings, ev, rel: list[tuple[str, str, str]]) -> str:
    """The summary (English) before the overall rule."""
    length = int(ev[names.TRAIN_LENGTH].number)
    parts = [f"{task_title(t, length)}: " + ", ".join(f"{sc} {_acc(ev, t, sc, 1)} → {_acc(ev, t, sc, 2)} → "
                                                      f"{_acc(ev, t, sc, 4)}" for sc in SCHEMES) for t in TASK_NAMES]
    text = (f"Causal LMs trained at T = {length}, accuracy at T → 2T → 4T (beyond T; mean over "
            f"{ev[names.acc('local', 'alibi', 1)].n} seeds). " + "; ".join(parts) + f". Highest at 2T: "
            f"{_highest(ev, 2)}; at 4T: {_highest(ev, 4)}. ")
    behind = [(n, what) for n, what, _ in rel if rules.interval(ev[n])[1] < 0]
    if behind:
        text += ("ALiBi is clearly behind " + "; ".join(f"{what} ({fmt(ev[n])})" for n, what in behind)
                 + ", so the comparison depends on the length it is made at. ")
    if rs.verdicts[ALIBI] in ("qualified", "refuted"):
        lost = [t for t in TASK_NAMES if status(ev, t, "alibi", 2) != KEPT]
        text += ("Press et al. 2021 find that ALiBi keeps its perplexity on longer inputs; here it does not "
                 + _on_tasks(lost) + ". ALiBi has no position parameters, so beyond T only the amount of context "
                 "changes, and its accuracy already falls within T: " + "; ".join(
                     f"{num(ev[names.half(t, 'alibi', 'first')].number, 2)} in the first half of the sequence and "
                     f"{num(ev[names.half(t, 'alibi', 'second')].number, 2)} in the second ({t} task); measured "
                     f"from the second half, the drop is {fmt(ev[names.drop_late(t, 'alibi', 2)])} at 2T and "
                     f"{fmt(ev[names.drop_late(t, 'alibi', 4)])} at 4T (from the whole of T: "
                     f"{num(ev[names.drop(t, 'alibi', 2)].number)} and {num(ev[names.drop(t, 'alibi', 4)].number)})"
                     for t in lost) + ". ")
        for t in lost:
            steps = ev[names.steps(t, "alibi")]
            others = [ev[names.steps(t, sc)] for sc in SCHEMES if sc != "alibi"]
            if not isinstance(steps.value, str) and all(not isinstance(o.value, str) and o.number < steps.number
                                                        for o in others):
                text += (f"ALiBi was also the slowest to learn the {t} task at T (median {num(steps.number, 0)} steps "
                         f"to {THRESHOLD}, the other schemes {num(min(o.number for o in others), 0)}-"
                         f"{num(max(o.number for o in others), 0)}) and stopped there, at "
                         f"{num(ev[names.acc(t, 'alibi', 1)].number)}: it extrapolates from a training accuracy just "
                         "past the threshold, which these runs cannot separate from its position scheme. ")
    return text + kazemnejad(ev)


_LEAD = {"confirmed": ("Yes, on our tasks: ", "在我们的任务上成立："), "qualified": ("Only in part: ", "只部分成立："),
         "refuted": ("Not on our tasks: ", "在我们的任务上不成立：")}


def answer(rs: Rulings, ev, lang: str, rel: list[tuple[str, str, str]]) -> str:
    """The short answer of a decided question (the engine words an undecided one)."""
    zh = lang == "zh"
    length = int(ev[names.TRAIN_LENGTH].number)
    lead = _LEAD[rs.verdict][zh]
    up, down = sides(ev, rel_comparisons())
    behind = [(n, en, z) for n, en, z in rel if rules.interval(ev[n])[1] < 0]
    n, conf = ev[names.acc("local", "alibi", 1)].n, pct(stats.CONFIDENCE)

    def late(t: str) -> str:
        return num(ev[names.half(t, "alibi", "second")].number, 2)

    if zh:
        alibi = "，".join(f"在{TASK_SHORT[t][1]}任务上从 T 时的 {_acc(ev, t, 'alibi', 1)}（后半段 {late(t)}）"
                         f"变为 2T 时的 {_acc(ev, t, 'alibi', 2)}、4T 时的 {_acc(ev, t, 'alibi', 4)}（相对后半段："
                         f"{fate(ev, 'alibi', t, lang)}）" for t in TASK_NAMES)
        others = "，".join(f"{SCHEME_ZH[sc]}在" + "、".join(TASK_ZH[t] for t in TASK_NAMES) + "上分别为 "
                          + " 和 ".join(_acc(ev, t, sc, 4) for t in TASK_NAMES) for sc in ("sinusoidal", "learned"))
        late_zh = ("（" + "；".join(f"{z}：{signed(ev[x].number)}" for x, _, z in behind) + "）") if behind else ""
        return (f"{lead}训练长度为 {length}、只统计超出训练长度的位置时，ALiBi 的准确率{alibi}。"
                f"4T 时，{others}；在 2T 和 4T 上与 RoPE、T5 相对位置偏置的 {len(rel)} 组配对比较中，ALiBi 在 {up} 组中"
                f"明显领先（区间高于 0），在 {down} 组中明显落后{late_zh}。"
                f"每种编码 {n} 个种子（配对 {conf} 区间），下降的区间越过 {M} 才算数；这些是在合成任务上训练的小模型，"
                "不是 Press 等人 2021 年研究的语言模型。")
    alibi = " and ".join(f"from {_acc(ev, t, 'alibi', 1)} at T ({late(t)} on its second half) to "
                         f"{_acc(ev, t, 'alibi', 2)} at 2T and {_acc(ev, t, 'alibi', 4)} at 4T on the "
                         f"{TASK_SHORT[t][0]} task ({fate(ev, 'alibi', t, lang)} against that second half)"
                         for t in TASK_NAMES)
    others = "; ".join(f"{SCHEME_EN[sc]} scored " + " and ".join(f"{_acc(ev, t, sc, 4)} ({t})" for t in TASK_NAMES)
                       for sc in ("sinusoidal", "learned"))
    late_en = (" (" + "; ".join(f"{e}: {signed(ev[x].number)}" for x, e, _ in behind) + ")") if behind else ""
    first = (f"{lead}trained on {length} tokens and scored only on the positions beyond them, ALiBi's accuracy went "
             f"{alibi}.")
    return " ".join([first[0].upper() + first[1:],
                     f"At 4T, {others}; against RoPE and the T5 bias at 2T and 4T, ALiBi is clearly ahead (interval "
                     f"above 0) in {up} of {len(rel)} paired comparisons and clearly behind in {down}{late_en}.",
                     f"Each scheme ran {n} seeds with paired {conf} intervals, and a drop counts only when its "
                     f"interval clears {M}; these are small models on synthetic tasks, not the language models of "
                     "Press et al. 2021."])
