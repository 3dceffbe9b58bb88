"""q9's sentences, in English and Chinese, built from the rule's verdicts and numbers."""

from __future__ import annotations

from attnlab.lab.rules import Flip, Gate, Ruling, Rulings
from attnlab.lab.words import Words, fit_oneline, fmt, num, plain, verdict
from attnlab.questions.q9_positions import evidence as names
from attnlab.questions.q9_positions import scaling_words
from attnlab.questions.q9_positions.answer import answer, drops, summary
from attnlab.questions.q9_positions.evidence import LONGER
from attnlab.questions.q9_positions.oneline import oneline
from attnlab.questions.q9_positions.rule import (
    ALIBI,
    BEATS_REL,
    BEATS_SIN,
    LEARNED,
    RELATIVE,
    SCALED,
    SINUSOIDAL,
    rel_comparisons,
    sin_comparisons,
)
from attnlab.questions.q9_positions.settings import (
    MARGIN,
    NEAR_BASELINE,
    SCALING_EN,
    SCALING_ZH,
    SCALINGS,
    SCHEME_EN,
    SCHEME_ZH,
    SCHEMES,
    TASK_NAMES,
    TASK_SHORT,
    TASK_ZH,
    THRESHOLD,
    spaced,
)

M, NB, TH = plain(MARGIN), plain(NEAR_BASELINE), plain(THRESHOLD)

_STATEMENT = {
    ALIBI: ("ALiBi keeps its accuracy at 2T and 4T.", "ALiBi 在 2T 和 4T 上保持住准确率。"),
    SINUSOIDAL: ("Sinusoidal positions lose accuracy beyond T.", "正弦位置编码超出 T 后准确率下降。"),
    LEARNED: ("A learned table cannot represent positions it never trained.",
              "可学习的位置表无法表示训练中从未见过的位置。"),
    BEATS_SIN: ("ALiBi extrapolates better than sinusoidal positions.", "ALiBi 比正弦位置编码外推得更好。"),
    BEATS_REL: ("ALiBi extrapolates further than RoPE and the T5 bias (Press et al.).",
                "ALiBi 比 RoPE 和 T5 相对位置偏置外推得更远（Press 等人）。"),
    SCALED: scaling_words.STATEMENT,
}
# what each verdict needs (English, Chinese), for "what would change it" when no single number can
_VERSUS = {"confirmed": ("every paired difference's interval lies above 0", "所有配对差的区间都高于 0"),
           "qualified": ("some, not all, paired differences' intervals lie above 0",
                         "部分（而非全部）配对差的区间高于 0"),
           "refuted": ("every paired difference's interval lies below 0", "所有配对差的区间都低于 0")}
_NEEDS = {
    ALIBI: {"confirmed": (f"every drop's interval lies below {M} on both tasks at 2T and 4T",
                          f"两个任务在 2T 和 4T 上的下降区间都低于 {M}"),
            "qualified": (f"the 2T drop's interval lies below {M} on one task, not everywhere up to 4T",
                          f"某个任务在 2T 上的下降区间低于 {M}，但并非直到 4T 处处如此"),
            "refuted": (f"the 2T drop's interval lies above {M} on both tasks",
                        f"两个任务在 2T 上的下降区间都高于 {M}")},
    SINUSOIDAL: {"confirmed": (f"the 2T drop's interval lies above {M} on both tasks",
                               f"两个任务在 2T 上的下降区间都高于 {M}"),
                 "qualified": (f"the 2T drop's interval lies above {M} on one task only",
                               f"只有一个任务在 2T 上的下降区间高于 {M}"),
                 "refuted": (f"every drop's interval lies below {M} on both tasks up to 4T",
                             f"两个任务直到 4T 的下降区间都低于 {M}")},
    LEARNED: {"confirmed": (f"the 2T accuracy's interval lies below the best trivial baseline + {NB} on both tasks",
                            f"两个任务 2T 时准确率的区间都低于最好的平凡基线 + {NB}"),
              "qualified": (f"the 2T drop's interval lies above {M} on both tasks, the accuracy not near the baseline "
                            "on both", f"两个任务在 2T 上的下降区间都高于 {M}，且准确率并非都接近基线"),
              "refuted": (f"the 2T drop's interval lies below {M} on a task, the accuracy not near the baseline on "
                          "both", f"某个任务在 2T 上的下降区间低于 {M}，且准确率并非都接近基线")},
    BEATS_SIN: _VERSUS, BEATS_REL: _VERSUS, SCALED: scaling_words.NEEDS,
}
_LEGEND = (f"from the accuracy on the second half of T; kept: interval below {M}; dropped: above",
           f"相对 T 后半段的准确率；保持：区间低于 {M}；下降：区间高于 {M}")


def comparisons(name: str) -> list[tuple[str, str, str]]:
    """A versus sub-claim's paired differences: (evidence name, English, Chinese)."""
    if name == BEATS_SIN:
        return [(n, f"{TASK_SHORT[t][0]} task at {f}T", f"{TASK_SHORT[t][1]}任务 {f}T 时")
                for n, (t, f) in zip(sin_comparisons(), [(t, f) for t in TASK_NAMES for f in LONGER], strict=True)]
    where = [(o, t, f) for t in TASK_NAMES for f in LONGER for o in RELATIVE]
    return [(n, f"{SCHEME_EN[o]}, {TASK_SHORT[t][0]} task at {f}T", f"{SCHEME_ZH[o]}，{TASK_SHORT[t][1]}任务 {f}T 时")
            for n, (o, t, f) in zip(rel_comparisons(), where, strict=True)]


def _describe(ev, scheme: str) -> str:
    return "; ".join(f"{t}: {fmt(ev[names.half(t, scheme, 'second')])} on the second half of T "
                     f"({fmt(ev[names.acc(t, scheme, 1)])} on all of it), drop to 2T "
                     f"{fmt(ev[names.drop_late(t, scheme, 2)])}, to 4T {fmt(ev[names.drop_late(t, scheme, 4)])}"
                     for t in TASK_NAMES)


def _at(t: str, f: int, zh: bool) -> str:
    return f"在{TASK_SHORT[t][1]}任务 {f}T 时" if zh else f"on the {TASK_SHORT[t][0]} task at {f}T"


def _quantities() -> dict[str, tuple[str, str]]:
    """Each number a flip can move, as the subject of "if ... were x" (English) and "若……为 x" (Chinese)."""
    out = {}
    for t in TASK_NAMES:
        for f in LONGER:
            en, zh = _at(t, f, False), _at(t, f, True)
            for sc in SCHEMES:
                out[names.drop_late(t, sc, f)] = (
                    f"the accuracy drop of {SCHEME_EN[sc]} on the {TASK_SHORT[t][0]} task from the second half of T "
                    f"to beyond T at {f}T",
                    f"{SCHEME_ZH[sc]}在{TASK_SHORT[t][1]}任务上从 T 的后半段到 {f}T 超出 T 部分的准确率下降")
                out[names.acc(t, sc, f)] = (f"the accuracy beyond T of {SCHEME_EN[sc]} {en}",
                                            f"{SCHEME_ZH[sc]}{zh}超出 T 部分的准确率")
                out[names.vs_sin(t, sc, f)] = (
                    f"the accuracy beyond T of {SCHEME_EN[sc]} minus that of sinusoidal positions {en}",
                    f"{SCHEME_ZH[sc]}与正弦位置编码{zh}超出 T 部分的准确率之差")
            for o in RELATIVE:
                out[names.alibi_vs(o, t, f)] = (f"ALiBi's accuracy beyond T minus that of {SCHEME_EN[o]} {en}",
                                                f"ALiBi 与{SCHEME_ZH[o]}{zh}超出 T 部分的准确率之差")
            for k in SCALINGS:
                out[names.scaled_gain(t, k, f)] = (f"the gain of {SCALING_EN[k]} over plain RoPE {en}",
                                                   f"{SCALING_ZH[k]}{zh}相对原始 RoPE 的增益")
                out[names.scaled_acc(t, k, f)] = (f"RoPE's accuracy beyond T with {SCALING_EN[k]} {en}",
                                                  f"RoPE 用{SCALING_ZH[k]}后{zh}超出 T 部分的准确率")
    return out


_QUANTITY = _quantities()


class PositionWords(Words):
    def statement(self, r: Ruling, ev, lang: str) -> str:
        return _STATEMENT[r.name][lang == "zh"]

    def gate(self, g: Gate, ev, lang: str) -> str:
        zh, v = lang == "zh", g.values
        if g.kind == "learned" and g.passed:  # what it checks: the trained conditions at T, not the results beyond T
            n = len(v["items"])
            return (f"每个训练过的条件在训练长度 T 上都超过了平凡基线：{n} 个（任务，位置编码）在 T 上的准确率，"
                    "区间下端都高于该任务最好的平凡基线（超出 T 的准确率，包括缩放后的 RoPE，"
                    "是要检验的结果，不属于这项检查）" if zh
                    else f"every trained condition beats its trivial baseline at T, the length it was trained on: {n} "
                         "(task, scheme) accuracies at T, each interval's lower end above the task's best trivial "
                         "baseline (the accuracies beyond T, scaled RoPE's included, are the results under test, not "
                         "this check)")
        if g.kind == "above_baselines":
            some = "都没有" if v["k"] == 0 else f"中有 {v['k']} 个"
            return (f"{v['n']} 个（任务，位置编码）组合{some}在 T 上的准确率高于该任务最好的平凡基线" if zh
                    else f"{v['k']} of {v['n']} (task, scheme) accuracies at T lie above the task's best trivial "
                         "baseline")
        if g.kind == "same_weights":
            return (f"缩放后的 {v['n']} 个 RoPE 模型中有 {v['k']} 个与训练好的模型权重完全相同，"
                    "配置只在 RoPE 缩放上不同" if zh
                    else f"{v['k']} of {v['n']} scaled RoPE models hold exactly the trained weights, their config "
                         "changed only in the RoPE scaling")
        if g.kind == "reached" and g.name.startswith("learned_"):
            t, sc = g.name.split("_")[1:3]
            some = "都没有" if v["k"] == 0 else f"中有 {v['k']} 个"
            return (f"{SCHEME_ZH[sc]}，{TASK_ZH[t]}，长度 T：{v['n']} 个种子{some}达到 {TH} 准确率（需要 "
                    f"{v['need']} 个）" if zh else
                    f"{sc}, {t} task at T: {v['k']} of {v['n']} seeds reached {TH} accuracy (need {v['need']})")
        return super().gate(g, ev, lang)

    def flip(self, f: Flip, ev, lang: str) -> str:
        """One way the verdict could change, as a sentence: the number, the value it would need and the one
        measured, and the verdict it would give."""
        if f.evidence not in _QUANTITY:
            return super().flip(f, ev, lang)
        what, now, word = _QUANTITY[f.evidence][lang == "zh"], num(ev[f.evidence].number), verdict(f.verdict, lang)
        if lang == "zh":
            return spaced(f"若{what}为 {num(f.value)}（而不是测得的 {now}），结论将是「{word}」")
        return f"if {what} were {num(f.value)} instead of {now}, the verdict would be {word}"

    def needs(self, r: Ruling, ev, lang: str) -> list[tuple[str, str]]:
        if r.verdict == "inconclusive":
            return []
        return [(v, text[lang == "zh"]) for v, text in _NEEDS[r.name].items()]

    def rule(self, r: Ruling, ev) -> str:
        if r.name == SCALED:
            return scaling_words.rule(r, ev)
        head = "Rule (drop = accuracy on the second half of T minus the accuracy beyond T, paired): "
        if r.name == ALIBI:
            return (f"{r.verdict}: ALiBi {_describe(ev, 'alibi')}. {head}confirmed if the drop's interval lies below "
                    f"{M} on both tasks at 2T and 4T; refuted if it lies above {M} on both tasks already at 2T; "
                    "qualified if it is kept at 2T on some task (the others named above); else inconclusive.")
        if r.name == SINUSOIDAL:
            return (f"{r.verdict}: sinusoidal {_describe(ev, 'sinusoidal')}. {head}confirmed if the drop's interval "
                    f"lies above {M} on both tasks at 2T; refuted if it lies below {M} everywhere up to 4T; qualified "
                    "if lost on one task only; else inconclusive.")
        if r.name == LEARNED:
            accs = "; ".join(f"{t}: {fmt(ev[names.acc(t, 'learned', 2)])} beyond T at 2T (best trivial baseline "
                             f"{num(names.best_baseline(ev, t, 2).number)})" for t in TASK_NAMES)
            return (f"{r.verdict}: learned table, {accs}. Rule: confirmed if on both tasks the beyond-T accuracy at 2T "
                    f"stays below the best trivial baseline + {NB} (nothing represented at untrained rows); else "
                    f"refuted if it is kept on a task (a drop whose interval lies below {M}); qualified if it drops by "
                    f"more than {M} (from the second half of T) on both tasks without staying near the baseline on "
                    "both; else inconclusive. The global (marker) task can partly be solved from content alone, so "
                    "its drop tests positions less directly than the local one.")
        others = "sinusoidal" if r.name == BEATS_SIN else " and ".join(RELATIVE)
        text = "; ".join(f"{ev[n].label}: {fmt(ev[n])}" for n, _, _ in comparisons(r.name))
        return (f"{r.verdict}: {text}. Rule: confirmed if every paired difference's interval lies above 0 (alibi "
                f"better than {others}), refuted if every one lies below 0, qualified if some lie above 0, else "
                "inconclusive.")

    def because(self, r: Ruling, ev, lang: str) -> str:
        zh = lang == "zh"
        if r.name == SCALED:
            return scaling_words.because(r, ev, lang)
        if r.name == ALIBI:
            whole = [(fmt(ev[names.drop(t, "alibi", f)], lang), t, f) for t in TASK_NAMES for f in LONGER]
            if zh:
                return (f"ALiBi 在 T 后半段的准确率减去超出 T 部分的准确率（配对）：{drops(ev, 'alibi', lang)}"
                        f"（{_LEGEND[1]}）；相对整个 T 的下降为 " + "、".join(f"{d}（{TASK_ZH[t]}，{f}T）"
                                                                      for d, t, f in whole) + "。")
            return (f"ALiBi's accuracy on the second half of T minus its accuracy beyond T (paired): "
                    f"{drops(ev, 'alibi', lang)} ({_LEGEND[0]}); from the whole of T the drops are "
                    + ", ".join(f"{d} ({t}, {f}T)" for d, t, f in whole) + ".")
        if r.name == SINUSOIDAL:
            if zh:
                return ("正弦位置编码在 T 后半段的准确率减去超出 T 部分的准确率（配对）："
                        f"{drops(ev, 'sinusoidal', lang)}（{_LEGEND[1]}）。")
            return (f"Sinusoidal positions' accuracy on the second half of T minus their accuracy beyond T (paired): "
                    f"{drops(ev, 'sinusoidal', lang)} ({_LEGEND[0]}).")
        if r.name == LEARNED:
            def parts(t: str) -> tuple[str, str, str]:
                return (fmt(ev[names.acc(t, "learned", 2)], lang), num(names.best_baseline(ev, t, 2).number),
                        fmt(ev[names.drop_late(t, "learned", 2)], lang))

            if zh:
                return ("2T 时，可学习位置表在超出 T 的位置上的准确率：" + "；".join(
                    "{}任务 {}（最好的平凡基线 {}，相对 T 后半段下降 {}）".format(TASK_SHORT[t][1], *parts(t))
                    for t in TASK_NAMES) + "。")
            return ("A learned table's accuracy beyond T at 2T: " + "; ".join(
                "{} task {} (best trivial baseline {}; drop from the second half of T {})".format(TASK_SHORT[t][0],
                                                                                                  *parts(t))
                for t in TASK_NAMES) + ".")
        v = r.values
        if zh:
            others = "、".join(SCHEME_ZH[o] for o in (("sinusoidal",) if r.name == BEATS_SIN else RELATIVE))
            items = "；".join(f"{z}：{fmt(ev[n], lang)}" for n, _, z in comparisons(r.name))
            return spaced(f"ALiBi 超出 T 部分的准确率减去{others}的（配对），{items}：{v['n']} 组比较中区间高于 0 的 "
                          f"{v['up']} 组，低于 0 的 {v['down']} 组。")
        others = " and ".join(SCHEME_EN[o] for o in (("sinusoidal",) if r.name == BEATS_SIN else RELATIVE))
        items = "; ".join(f"{e}: {fmt(ev[n], lang)}" for n, e, _ in comparisons(r.name))
        return (f"ALiBi's accuracy beyond T minus that of {others} (paired), {items}: the interval lies above 0 in "
                f"{v['up']} of {v['n']} comparisons and below 0 in {v['down']}.")

    def summary(self, rs: Rulings, ev) -> str:
        return " ".join([summary(rs, ev, comparisons(BEATS_REL)), scaling_words.summary_paragraph(rs, ev),
                         self.overall(rs, ev)])

    def answer(self, rs: Rulings, ev, lang: str) -> str:
        return (answer(rs, ev, lang, comparisons(BEATS_REL)) + ("" if lang == "zh" else " ")
                + scaling_words.answer_sentence(rs, ev, lang))

    def oneline(self, rs: Rulings, ev, lang: str) -> str:
        """The one-line answer; with the scalings' clause after it when it fits in both languages (the two
        one-line answers say the same)."""
        both = {}
        for zh in (False, True):
            text, clause = oneline(rs, ev, "zh" if zh else "en"), scaling_words.oneline_clause(rs, ev, zh)
            longer = text + ("" if zh else " ") + clause
            both[zh] = (text, longer if clause and fit_oneline([longer, text], zh) == longer else None)
        text, longer = both[lang == "zh"]
        return longer if all(x[1] is not None for x in both.values()) else text


WORDS = PositionWords()
