"""Words for the standard checks (:mod:`attnlab.lab.protocol`) and the one combination rule, en and zh."""

from __future__ import annotations

from collections.abc import Mapping

from attnlab.lab.rules import COMBINATION, Gate, Rulings
from attnlab.lab.words.numerals import num, verdict
from attnlab.results import Evidence

__all__ = ["COMBINATION_ZH", "STANDARD_KINDS", "combination_text", "standard_gate"]

STANDARD_KINDS = ("learned", "lr_tuned", "equal_budget", "below_ceiling")
COMBINATION_ZH = ("只计原文论断中靠测量判定的子论断（推导和原文之外的子论断只列出、不计入）：若有检查未通过，"
                  "或已下结论的不到一半，则为「无定论」；每个都成立则为「成立」；已下结论的全都不成立则为「不成立」；"
                  "其余情况为「有条件成立」")


def _label(ev: Mapping[str, Evidence], name: str, zh: bool) -> str:
    e = ev[name]
    return (e.label_zh or e.label or name) if zh else (e.label or name)


def _some(ev: Mapping[str, Evidence], names: list[str], zh: bool, limit: int = 3) -> str:
    """Up to ``limit`` labels, then how many more."""
    shown = [_label(ev, n, zh) for n in names[:limit]]
    more = len(names) - len(shown)
    if zh:
        joined = "、".join(shown)
        # a space before 等 where the last label ends in a Latin letter or digit (Chinese technical prose)
        gap = " " if more and joined and joined[-1].isascii() and joined[-1].isalnum() else ""
        return joined + (f"{gap}等 {len(names)} 项" if more else "")
    return ", ".join(shown) + (f" and {more} more" if more else "")


def standard_gate(g: Gate, ev: Mapping[str, Evidence], lang: str) -> str:
    """One standard check and whether it held, in ``lang``."""
    v, zh = g.values, lang == "zh"
    if g.kind == "learned":
        bad = [r for r in v["items"] if not r["ok"]]
        exempt = v.get("exempt") or []
        if exempt:
            names = "、".join(_label(ev, n, zh) for n in exempt) if zh else ", ".join(_label(ev, n, zh) for n in exempt)
            note = (f"；不要求{names}学会，它学不会正是论断的预言" if zh
                    else f"; not required of {names}, whose failure to learn is what the claim predicts")
        else:
            note = ""
        if not bad:
            return (f"每个比较的条件都超过了它的平凡基线（{len(v['items'])} 项，区间下端均高于基线）{note}" if zh
                    else f"every compared condition beats its trivial baseline ({len(v['items'])} of them, each "
                         f"interval's lower end above it){note}")
        parts = [f"{_label(ev, r['evidence'], zh)}（区间下端 {num(r['lo'], 3)}，基线 {num(r['baseline'], 3)}）" if zh
                 else f"{_label(ev, r['evidence'], zh)} (lower end {num(r['lo'], 3)}, baseline {num(r['baseline'], 3)})"
                 for r in bad]
        return ("未超过平凡基线：" + "；".join(parts) if zh else "not above the trivial baseline: " + "; ".join(parts))
    if g.kind == "lr_tuned":
        if v.get("missing"):
            return ("这些结果没有学习率扫描（每个条件用同一个学习率）" if zh
                    else "these results have no learning-rate sweep (one rate for every condition)")
        if not v["edge"]:
            return (f"{v['n']} 个条件选中的学习率都在扫描范围之内，不在边缘" if zh
                    else f"each of {v['n']} conditions chose a learning rate inside its sweep, not at an edge")
        parts = [_label(ev, n, zh) for n in v["edge"]]
        return ("选中的学习率落在扫描范围的边缘：" + "、".join(parts) if zh
                else "the chosen learning rate sits at the edge of the sweep for " + ", ".join(parts))
    if g.kind == "equal_budget":
        steps = ", ".join(str(s) for s in v["steps"])
        if g.passed:
            return (f"每个条件、每个种子都训练 {steps} 步，所有测量都在同一步读取" if zh
                    else f"every condition and seed trained {steps} steps and was read at that step")
        return (f"各条件在不同步数读取（{steps}）" if zh else f"conditions were read at different steps ({steps})")
    if g.kind == "below_ceiling":
        below = _some(ev, v["below"], zh)
        if not v.get("higher_is_better", True):  # steps: the ceiling is reaching it at the first evaluation
            first = num(v["best"], 0)
            if g.passed:
                return (f"至少有一个条件在第一次评估（第 {first} 步）之后才达到阈值：{below}" if zh
                        else f"at least one condition needs more than the first evaluation ({first} steps) to reach "
                             f"the threshold: {below}")
            return (f"所有条件都在第一次评估（第 {first} 步）就达到阈值，比较分不出差别" if zh
                    else f"every condition reached the threshold at the first evaluation ({first} steps), so the "
                         "comparison cannot show a difference")
        best, margin = num(v["best"], 3), num(v["margin"])
        if g.passed:
            return (f"至少有一个条件离上限 {best} 超过 {margin}：{below}" if zh
                    else f"at least one condition is more than {margin} from the ceiling {best}: {below}")
        return (f"所有条件都在上限 {best} 的 {margin} 之内，比较分不出差别" if zh
                else f"every condition is within {margin} of the ceiling {best}, so the comparison "
                     "cannot show a difference")
    raise ValueError(f"standard_gate: expected a kind in {STANDARD_KINDS}, got {g.kind!r}")


def combination_text(rs: Rulings, lang: str) -> str:
    """The verdicts of the sub-claims and the one rule that combines them."""
    def counted(c) -> bool:
        return c.counted and c.basis == "measured"

    if lang == "zh":
        parts = "；".join(f"{c.name}：{verdict(c.verdict, 'zh')}{'' if counted(c) else '（不计入）'}"
                          for c in rs.claims)
        return f"{verdict(rs.verdict, 'zh')}（{parts}）。合并规则：{COMBINATION_ZH}。"
    parts = "; ".join(f"{c.name.replace('_', ' ')} {c.verdict}{'' if counted(c) else ' (not counted)'}"
                      for c in rs.claims)
    return f"{rs.verdict} ({parts}). Combination rule (the same in every question): {COMBINATION}."


def standard_oneline(g: Gate, lang: str) -> str:
    """The one-line answer of a question left open by a failed standard check."""
    zh = lang == "zh"
    if g.kind == "learned":
        return ("尚无定论：有一个比较的模型没有超过平凡基线。" if zh
                else "Not settled yet: a compared model did not beat its trivial baseline.")
    if g.kind == "lr_tuned":
        if g.values.get("missing"):
            return ("尚无定论：这些运行所有条件共用一个学习率。" if zh
                    else "Not settled yet: these runs trained every condition at one learning rate.")
        return ("尚无定论：有条件的学习率选在了扫描范围的边缘。" if zh
                else "Not settled yet: a condition's best learning rate sits at the edge of its sweep.")
    if g.kind == "equal_budget":
        return ("尚无定论：各条件不是在同一步读取的。" if zh
                else "Not settled yet: the conditions were not read at the same step.")
    return ("尚无定论：所有条件都到了上限，比较分不出差别。" if zh
            else "Not settled yet: every condition is at the ceiling, so no difference can show.")
