"""q9's one-line answer (en, zh): which scheme extrapolates, in words, with the number that makes it stick: ALiBi's
accuracy beyond T at 4T (or 2T) beside that of sinusoidal positions."""

from __future__ import annotations

from attnlab.lab import rules
from attnlab.lab.rules import Rulings
from attnlab.lab.words import fit_oneline, fmt, num, plain
from attnlab.questions.q9_positions import evidence as names
from attnlab.questions.q9_positions.rule import (
    ABOVE_GATE,
    ALIBI,
    BEATS_REL,
    BEATS_SIN,
    LEARNED,
    SINUSOIDAL,
    UNCLEAR,
    where,
)
from attnlab.questions.q9_positions.settings import MARGIN, SCHEME_EN, SCHEME_ZH, TASK_NAMES, spaced

M = plain(MARGIN)
TASK = {"local": ("block-copy", "块复制"), "global": ("marker", "标记")}


def fit(texts: list[str], zh: bool) -> str:
    """:func:`~attnlab.lab.words.fit_oneline`, the Chinese spaced first."""
    return fit_oneline([spaced(t) for t in texts] if zh else texts, zh)


def _acc(ev, t: str, scheme: str, f: int) -> float:
    return ev[names.acc(t, scheme, f)].number


def span(ev, scheme: str, f: int) -> str:
    """``"0.75–0.94"``: the scheme's accuracy at fT over the tasks (one value when they round alike)."""
    xs = sorted(num(_acc(ev, t, scheme, f), 2) for t in TASK_NAMES)
    return xs[0] if xs[0] == xs[-1] else f"{xs[0]}–{xs[-1]}"


def _caveat(rs: Rulings, zh: bool) -> str:
    """The first sub-claim besides ALiBi's own that does not hold, in a few words."""
    v = rs.verdicts
    if v[SINUSOIDAL] != "confirmed":
        return {"qualified": ("正弦位置编码在一个任务上没有下降", "sinusoidal positions hold on one task"),
                "refuted": ("正弦位置编码也没有下降", "sinusoidal positions hold too"),
                "inconclusive": ("正弦位置编码是否下降尚不清楚", "sinusoidal's drop is unclear")}[v[SINUSOIDAL]][not zh]
    if v[LEARNED] != "confirmed":
        return {"qualified": ("可学习位置表超出 T 后仍高于基线", "a learned table beats the baseline"),
                "refuted": ("可学习位置表也保持住了", "a learned table holds too"),
                "inconclusive": ("可学习位置表尚不清楚", "the learned table is unclear")}[v[LEARNED]][not zh]
    for name, other in ((BEATS_SIN, ("正弦位置编码", "sinusoidal")), (BEATS_REL, ("RoPE 和 T5", "RoPE and T5"))):
        c = rs.claim(name)
        if c.verdict != "confirmed":
            up, n = c.values["up"], c.values["n"]
            return (f"对{other[0]}仅 {up}/{n} 组胜出" if zh else f"it beats {other[1]} in only {up}/{n} comparisons")
    return ""


def _undecided(rs: Rulings, ev, zh: bool) -> str:
    failed = [g for g in rs.gates if not g.passed and g.kind in ("reached", "above_baselines")]
    if failed and failed[0].name == ABOVE_GATE:
        k, n = failed[0].values["k"], failed[0].values["n"]
        some = "都没有" if k == 0 else f"中只有 {k} 个"
        return (fit([f"尚无定论：T 上 {n} 个（任务，编码）组合{some}胜过平凡基线。"], zh) if zh
                else f"Not settled yet: only {k}/{n} scheme-task pairs beat the trivial baseline at length T.")
    if failed:
        g = failed[0]
        t, sc = g.name.split("_")[1:3]
        k, n = g.values["k"], g.values["n"]
        if zh:
            runs = f"{n} 个种子都没有学会" if k == 0 else f"{n} 个种子中只有 {k} 个学会"
            return fit([f"尚无定论：{SCHEME_ZH[sc]}在长度 T 的{TASK[t][1]}任务上{runs}。"], zh)
        runs = f"none of {n} runs" if k == 0 else f"only {k}/{n} runs"
        return f"Not settled yet: {SCHEME_EN[sc]} learned the {TASK[t][0]} task at length T in {runs}."
    return _alibi_open(ev, zh, "尚无定论", "Not settled yet")


def _alibi_open(ev, zh: bool, lead_zh: str, lead_en: str) -> str:
    """ALiBi's first drop whose interval straddles the bar (or, if none does, that fewer than half are decided)."""
    w = where(ev, "alibi")
    at = next(((t, f) for f in ("2", "4") for t in TASK_NAMES if w[t][f] == UNCLEAR), None)
    if at is None:
        return (f"{lead_zh}：已下结论的子论断不到一半。" if zh
                else f"{lead_en}: fewer than half of the sub-claims are decided.")
    t, f = at
    e = ev[names.drop_late(t, "alibi", int(f))]
    d, lo, hi = fmt(e, "en", 2), *(num(x, 2) for x in rules.interval(e))
    if zh:
        return fit([f"{lead_zh}：ALiBi 在{TASK[t][1]}任务 {f}T 时的下降区间 [{lo}, {hi}] 跨过 {M}。",
                    f"{lead_zh}：ALiBi 在{TASK[t][1]}任务 {f}T 时的下降跨过 {M}。"], zh)
    return f"{lead_en}: ALiBi's drop beyond T on the {TASK[t][0]} task at {f}T, {d}, straddles the {M} bar."


def oneline(rs: Rulings, ev, lang: str) -> str:
    """The answer in one sentence: the verdict in words and ALiBi's accuracy far beyond T beside sinusoidal's."""
    zh = lang == "zh"
    if rs.verdict == "inconclusive":
        return _undecided(rs, ev, zh)
    a4, s4 = span(ev, "alibi", 4), span(ev, "sinusoidal", 4)
    sin = [f"，正弦位置编码跌到 {s4}", ""] if zh else [f", while sinusoidal positions fall to {s4}", ""]
    if rs.verdict == "refuted" or rs.verdicts[ALIBI] == "refuted":
        at_t, a2 = span(ev, "alibi", 1), span(ev, "alibi", 2)
        return (fit([f"在我们的任务上连 ALiBi 也不行：准确率从 T 内的 {at_t} 降到 2T 时的 {a2}。"], zh) if zh
                else f"Not even ALiBi on our tasks: its accuracy falls from {at_t} within T to {a2} beyond it at 2T.")
    if rs.verdicts[ALIBI] == "inconclusive":  # qualified overall: other parts hold, ALiBi's own is open
        return _alibi_open(ev, zh, "ALiBi 一项尚无定论", "ALiBi is still open")
    if rs.verdicts[ALIBI] == "qualified":
        lo, hi = sorted(TASK_NAMES, key=lambda t: _acc(ev, t, "alibi", 4))
        a_lo, a_hi = num(_acc(ev, lo, "alibi", 4), 2), num(_acc(ev, hi, "alibi", 4), 2)
        if zh:
            texts = [f"ALiBi 只能部分外推：4 倍训练长度时{TASK[hi][1]}任务 {a_hi}，{TASK[lo][1]}任务仅 {a_lo}{s}。"
                     for s in (f"；正弦位置编码 {s4}", "")]
        else:
            texts = [f"ALiBi, but only in part: at 4x the training length it scores {a_hi} accuracy on the "
                     f"{TASK[hi][0]} task but {a_lo} on {TASK[lo][0]}{s}." for s in (f"; sinusoidal {s4}", "")]
        return fit(texts, zh)
    if rs.verdict == "confirmed":
        texts = ([f"ALiBi 能外推：4 倍训练长度时准确率仍有 {a4}{s}。" for s in sin] if zh
                 else [f"ALiBi does: at 4x the training length it keeps {a4} accuracy{s}." for s in sin])
        return fit(texts, zh)
    caveat = _caveat(rs, zh)
    if rs.verdicts[SINUSOIDAL] != "confirmed":  # the caveat is about sinusoidal positions: no contrast with them
        sin = sin[1:]
    if zh:
        gap = " " if caveat[0].isascii() else ""
        texts = [f"大体是 ALiBi：4 倍训练长度时仍有 {a4}{s}，但{gap}{caveat}。" for s in sin]
        texts += [f"大体是 ALiBi：4T 时仍有 {a4}，但{gap}{caveat}。", f"大体是 ALiBi：4T 时仍有 {a4}。"]
    else:
        texts = [f"Mostly ALiBi: at 4x the training length it keeps {a4} accuracy{s}, but {caveat}." for s in sin]
        texts += [f"Mostly ALiBi: at 4T it keeps {a4} accuracy, but {caveat}."]
    return fit(texts, zh)


__all__ = ["TASK", "fit", "oneline", "span"]
