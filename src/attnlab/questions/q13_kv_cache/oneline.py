"""q13's one-line answer (en, zh): how small the cache got and what it cost, with the numbers that make it stick."""

from __future__ import annotations

from attnlab.lab.rules import Rulings
from attnlab.lab.words import num, plain
from attnlab.questions.q9_positions.oneline import fit  # the first text within the one-line limit
from attnlab.questions.q13_kv_cache import evidence as names
from attnlab.questions.q13_kv_cache.rule import COSTLY, LM_COST, PARAMS_GATE, RECALL_COST, UNCLEAR, statuses
from attnlab.questions.q13_kv_cache.settings import ACC_MARGIN, KIND_SHORT, LOSS_MARGIN, REDUCED

__all__ = ["cost_of", "fit", "oneline", "shares"]


def shares(ev) -> str:
    """``"25–56%"``: the reduced kinds' caches as a share of MHA's (smallest to largest)."""
    xs = sorted(ev[names.cache_share(k)].number for k in REDUCED)
    lo, hi = (num(100 * x, 0) for x in (xs[0], xs[-1]))
    return f"{lo}%" if lo == hi else f"{lo}–{hi}%"


def cost_of(ev, name: str, kind: str) -> str:
    """The paired cost of ``kind`` under sub-claim ``name``, to two decimals (signed as measured)."""
    e = ev[names.loss_vs_mha(kind) if name == LM_COST else names.recall_vs_mha(kind)]
    return num(e.number, 2)


def _first_problem(ev, status: str) -> tuple[str, str] | None:
    """(sub-claim, kind) of the first reduced kind whose cost has ``status``."""
    for name in (RECALL_COST, LM_COST):
        s = statuses(ev, name)
        for k in REDUCED:
            if s[k] == status:
                return name, k
    return None


def _problem_words(ev, name: str, kind: str, zh: bool) -> str:
    k = KIND_SHORT[kind]
    if name == RECALL_COST:
        return f"{k} 的回忆准确率差 {cost_of(ev, name, kind)}" if zh else \
            f"{k}'s recall accuracy moves by {cost_of(ev, name, kind)}"
    return f"{k} 的损失高 {cost_of(ev, name, kind)} 奈特" if zh else \
        f"{k}'s loss rises by {cost_of(ev, name, kind)} nats per character"


def _undecided(rs: Rulings, ev, zh: bool) -> str:
    failed = [g for g in rs.gates if not g.passed and g.name == PARAMS_GATE]
    if failed:
        gap = num(100 * abs(failed[0].values["gap"]), 1)
        return (fit([f"尚无定论：参数量与 MHA 相差 {gap}%，不算参数量相同。"], zh) if zh
                else f"Not settled yet: parameter counts differ from MHA's by {gap}%, so the kinds are not compared "
                     "at equal parameters.")
    open_ = _first_problem(ev, UNCLEAR)
    if open_ is None:
        return ("尚无定论：已下结论的子论断不到一半。" if zh
                else "Not settled yet: fewer than half of the parts are decided.")
    name, kind = open_
    bar = plain(LOSS_MARGIN if name == LM_COST else ACC_MARGIN)
    if zh:
        return fit([f"尚无定论：{_problem_words(ev, name, kind, zh)}，区间跨过 {bar}。"], zh)
    return f"Not settled yet: {_problem_words(ev, name, kind, zh)}, an interval that straddles the {bar} bar."


def oneline(rs: Rulings, ev, lang: str) -> str:
    """The answer in one sentence: the cache's share of MHA's and what it cost."""
    zh = lang == "zh"
    if rs.verdict == "inconclusive":
        return _undecided(rs, ev, zh)
    share = shares(ev)
    if rs.verdict == "confirmed":
        if zh:
            return fit([f"可以：缓存缩到 MHA 的 {share}，损失和回忆的代价都在 {plain(LOSS_MARGIN)} 以内。",
                         f"可以：缓存缩到 MHA 的 {share}，代价很小。"], zh)
        return (f"Yes: GQA, MQA and MLA shrink the cache to {share} of MHA's at under {plain(LOSS_MARGIN)} nats "
                f"and {plain(ACC_MARGIN)} recall accuracy.")
    problem = _first_problem(ev, COSTLY) or _first_problem(ev, UNCLEAR)
    if rs.verdict == "refuted":
        return (fit([f"不行：缓存缩到 MHA 的 {share}，但质量明显下降。"], zh) if zh
                else f"No: the cache shrinks to {share} of MHA's, but quality clearly drops with it.")
    if problem is None:  # qualified with every cost little: only the cache sizes are partial
        return (fit([f"部分可以：缓存缩到 MHA 的 {share}，代价很小。"], zh) if zh
                else f"Partly: the cache shrinks to {share} of MHA's at little cost.")
    said = _problem_words(ev, *problem, zh)
    if zh:
        return fit([f"部分可以：缓存缩到 MHA 的 {share}，但{said}。", f"部分可以：缓存缩到 {share}，但{said}。"], zh)
    return fit([f"Partly: the cache shrinks to {share} of MHA's, but {said}.",
                f"Partly: the cache shrinks to {share}, but {said}."], zh)

