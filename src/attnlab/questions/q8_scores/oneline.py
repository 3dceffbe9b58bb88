"""q8's one-line answer (en, zh): the common scores, whether the literature's claims hold, and the one number that
makes it stick: how many runs of unscaled dot learned the lookup at large d_k (or its steps against additive)."""

from __future__ import annotations

from typing import Any

from attnlab.lab import rules
from attnlab.lab.rules import GATE_FAILED, Rulings
from attnlab.lab.words import fit_oneline, num
from attnlab.questions.q8_scores import evidence as E
from attnlab.questions.q8_scores.rule import (
    AS_GOOD,
    BRITZ,
    COST,
    FASTER,
    LUONG,
    SCALING,
    SLOWER,
    UNCLEAR,
    compare,
    memory_ratio,
)
from attnlab.questions.q8_scores.settings import (
    ADDITIVE,
    HEAD_DIMS,
    LARGE,
    RNN,
    SCALED,
    SPEEDUP,
    TRANSFORMERS,
    UNSCALED,
    head_dim,
)

DS, DL, M = min(HEAD_DIMS), max(HEAD_DIMS), num(SPEEDUP, 1)
WAYS = ("Dot, scaled dot, general, additive", "点积、缩放点积、通用、加性打分")
_NAME = {"dot": ("dot", "点积"), "general": ("general", "通用打分"), "scaled_dot": ("scaled dot", "缩放点积"),
         "additive": ("additive", "加性打分"), "cosine": ("cosine", "余弦打分")}
_WHERE = {**{m: (f"at d_k={head_dim(m)}", f"d_k={head_dim(m)} 时") for m in TRANSFORMERS},
          RNN: ("in the LSTM", "LSTM 中")}


def _name(score: str, zh: bool) -> str:
    return _NAME[score][zh]


def runs(k: int, n: int, zh: bool) -> str:
    """``"0/5 runs"`` / ``" 5 个种子都没学会"``, ``"5 个种子中有 2 个学会"``, ``"5 个种子都学会了"``."""
    if not zh:
        return f"{k}/{n} runs"
    return f" {n} 个种子都没学会" if k == 0 else f" {n} 个种子都学会了" if k == n else f" {n} 个种子中有 {k} 个学会"


def _times(c: dict[str, Any], ev) -> str:
    return num(ev[E.ratio(c["model"], c["a"], c["b"])].number, 2)


def _worst(ev) -> dict[str, Any]:
    """The unscaled score that does worst against additive at large d_k (fewest runs learned, then most steps)."""
    def steps(c: dict[str, Any]) -> float:
        e = ev[E.ratio(LARGE, c["a"], ADDITIVE)]
        return 0.0 if isinstance(e.value, str) else e.number

    return min((compare(ev, LARGE, sc, ADDITIVE) for sc in UNSCALED), key=lambda c: (c["ka"], -steps(c)))


def fact(ev, zh: bool, scaled: bool = True) -> str:
    """What unscaled multiplicative attention did at large d_k, with its number (and what scaled dot did)."""
    c = _worst(ev)
    a, n = _name(c["a"], zh), c["n"]
    if c["ka"] < c["need"]:
        ks = rules.reached_count(ev[E.steps(LARGE, SCALED)])[0]
        if zh:
            return f"d_k={DL} 时不缩放的{a}{runs(c['ka'], n, zh)}" + (f"，缩放后{runs(ks, n, zh)}" if scaled else "")
        return (f"at d_k={DL} unscaled {a} learned in {runs(c['ka'], n, zh)}"
                + (f", scaled dot in {ks}/{n}" if scaled else ""))
    return (f"d_k={DL} 时不缩放的{a}所需步数是加性打分的 {_times(c, ev)} 倍" if zh
            else f"at d_k={DL} unscaled {a} needed {_times(c, ev)}x additive's steps")


fit = fit_oneline  # the first of the texts within the one-line limit


def _caveat(rs: Rulings, ev, zh: bool) -> str:
    """The first sub-claim that does not hold as the literature says, in at most six English words."""
    v = rs.verdicts
    if v[BRITZ] == "inconclusive":
        return "加性打分是否领先尚无定论" if zh else "additive's lead is unsettled"
    if v[BRITZ] == "refuted":
        return "不缩放的乘性打分跟得上" if zh else "unscaled scores keep up"
    if v[BRITZ] == "qualified":
        kept = [c for c in rs.claim(BRITZ).values["large"] if c["outcome"] != SLOWER]
        if kept:
            return f"{_name(kept[0]['a'], zh)}跟得上加性打分" if zh else f"{_name(kept[0]['a'], zh)} keeps up"
        return f"d_k={DS} 时加性打分也领先" if zh else f"additive also leads at d_k={DS}"
    if v[SCALING] != "confirmed":
        zh_text = {"refuted": "缩放没有消除差距", "qualified": "缩放点积有时慢于加性打分"}
        en_text = {"refuted": "scaling leaves a gap", "qualified": "scaled dot sometimes trails additive"}
        return (zh_text.get(v[SCALING], "缩放能否消除差距尚无定论") if zh
                else en_text.get(v[SCALING], "scaling's effect is unsettled"))
    if v[LUONG] != "confirmed":  # here Britz's claim holds, so the small-d_k parts are as good: qualified
        parts = rs.claim(LUONG).values["parts"]
        good = sum(c["outcome"] in (AS_GOOD, FASTER) for c in parts)
        return "Luong 等人的结论只部分成立" if zh else f"only {good}/{len(parts)} of Luong's cases hold"
    c = rs.claim(COST)
    if c.case == GATE_FAILED:
        return "计时时机器太忙" if zh else "the timings were disturbed"
    mem = num(memory_ratio(ev, "reference"), 2)
    slow = num(ev[E.time_ratio("layer_ref", ADDITIVE)].number, 1)
    text = {"faster_only": (f"加性打分内存仅 {mem} 倍", f"additive's memory is only {mem}x"),
            "smaller_only": (f"加性打分只慢 {slow} 倍", f"additive is only {slow}x slower"),
            "neither": (f"成本差距都不到 {M} 倍", f"cost gaps stay under {M}x"),
            "unclear": ("速度差距尚无定论", "the speed gap is unsettled")}
    return text.get(c.case, text["unclear"])[not zh]


def _undecided(rs: Rulings, ev, zh: bool) -> str:
    failed = [g for g in rs.gates if not g.passed and g.kind == "best_learned"]
    if failed:
        g = failed[0].values
        where, best, k, n = _WHERE[g["model"]][zh], _name(g["score"], zh), g["k"], g["n"]
        if k == 0:
            return (f"尚无定论：{where}所有打分的{runs(k, n, zh)}。" if zh
                    else f"Not settled yet: {where} no score learned the task in any of {n} runs.")
        return (f"尚无定论：{where}最好的{best}也仅{runs(k, n, zh)}。" if zh
                else f"Not settled yet: {where} even the best score, {best}, learned in only {k}/{n} runs.")
    c = next((c for c in rs.claim(BRITZ).values.get("large", []) if c["outcome"] not in (SLOWER, AS_GOOD, FASTER)),
             None)
    if c is None:  # Britz's claim is decided; others are open
        return ("尚无定论：已下结论的子论断不到一半。" if zh
                else "Not settled yet: fewer than half of the literature's claims are decided here.")
    a = _name(c["a"], zh)
    if c["outcome"] == UNCLEAR:
        return (f"尚无定论：d_k={DL} 时不缩放的{a}步数是加性打分的 {_times(c, ev)} 倍，紧贴 {M} 倍的界线。" if zh
                else f"Not settled yet: at d_k={DL} unscaled {a} needs {_times(c, ev)}x additive's steps, too close "
                     f"to the {M}x bar.")
    return (f"尚无定论：d_k={DL} 时不缩放的{a}和加性打分都没学会（{c['ka']}/{c['n']} 和 {c['kb']}/{c['n']}）。" if zh
            else f"Not settled yet: at d_k={DL} neither unscaled {a} nor additive learned ({c['ka']}/{c['n']} and "
                 f"{c['kb']}/{c['n']} runs).")


def oneline(rs: Rulings, ev, lang: str) -> str:
    """The answer in one sentence: the scores, the verdict in words and the number that makes it stick (the scores
    and what scaled dot did are left out where the sentence would not fit)."""
    zh = lang == "zh"
    ways = WAYS[zh]
    if rs.verdict == "inconclusive":
        return _undecided(rs, ev, zh)
    facts = [fact(ev, zh), fact(ev, zh, scaled=False)]
    tail = ["。"] if zh else ["."]
    if rs.verdict == "refuted":
        say = ("与 Britz 等人不同，", "unlike Britz et al., ")
    elif rs.verdict == "confirmed":
        say = ("与文献一致：", "as the papers say, ")
    else:
        caveat = _caveat(rs, ev, zh)
        say = ("大体与文献一致：", "mostly as the papers say: ")
        gap = " " if caveat[0].isascii() else ""  # a space between Chinese and Latin
        tail = [f"，但{gap}{caveat}。", "。"] if zh else [f", but {caveat}.", "."]
    said = say[not zh]
    lead = [f"{ways}；{said}", said] if zh else [f"{ways}; {said}", said[0].upper() + said[1:]]
    if zh and rs.verdict == "qualified":
        lead.append("大体成立：")
    return fit([a + f + b for b in tail for a in lead for f in facts], zh)


__all__ = ["WAYS", "fact", "oneline", "runs"]
