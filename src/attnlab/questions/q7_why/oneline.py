"""q7's one-line answer (en, zh): the verdict in words and the one number that makes it stick, read off the rule.

Where attention pooling clearly beats plain pooling everywhere, the number is the weight it puts on the deciding
word; where it does not, the number is how far it got: the settings it won, or the steps ratio that falls short of
the margin or is too close to it. An undecided answer says which setting or precondition leaves it open.
"""

from __future__ import annotations

from attnlab.lab import rules
from attnlab.lab.rules import GATE_FAILED, Rulings
from attnlab.lab.words import num, pct
from attnlab.questions.q7_why import names
from attnlab.questions.q7_why import rule as R
from attnlab.questions.q7_why.settings import (
    LONG_CELLS,
    POOLING_ZH,
    POOLINGS,
    SPEEDUP,
    TASK_WORDS,
    WORD_SHARE,
)

__all__ = ["oneline", "seeds_zh"]

_M = num(SPEEDUP, 1)
FOCUS = {  # where our attention sits, by the case of "focuses on what matters" (after a ";" and after "but")
    "all_focus": (("attention focuses on the deciding word", "注意力确实落在决定性词上"), None),
    "minilm_short": (("attention focuses on the deciding word", "注意力确实落在决定性词上"), None),
    "some_focus": (("attention focuses on the deciding word only in part", "注意力只部分落在决定性词上"),
                   ("it focuses on the deciding word in only {good} of {n}",
                    "但 {n} 个设置中只有 {good} 个聚焦于决定性词")),
    "off_word": (("attention does not sit on the deciding word", "注意力没有落在决定性词上"),
                 ("it puts at most {x}x the uniform weight on the deciding word",
                  "但给决定性词的权重至多是均匀份额的 {x} 倍")),
    "no_effect": (("attention's placement barely changes decisions", "注意力放在哪里几乎不影响预测"),
                  ("moving its weight flips at most {p} of decisions", "但打乱权重至多让 {p} 的预测翻转")),
    "none_focus": (("attention focuses on what matters in no setting", "注意力没有一处聚焦于要紧处"),
                   ("its weight sits on the deciding word and matters in 0 of {n} settings",
                    "但 {n} 个设置中没有一个的权重既落在决定性词上又起作用")),
}


def seeds_zh(k: int, n: int) -> str:
    """"5 个种子中有 2 个达到" / "5 个种子都没有达到" (the glossary's wording)."""
    return f"{n} 个种子都没有达到" if k == 0 else f"{n} 个种子中有 {k} 个达到"


def _task(cell, zh: bool) -> str:
    task, role, _ = cell
    return (f"{'短' if role == 'short' else '长'}文本的{TASK_WORDS[task][1]}任务" if zh
            else f"the {role} {TASK_WORDS[task][0]} texts")


def _gate(rs: Rulings, zh: bool) -> str:
    """Why nothing is decided: the first failed precondition, in a few words."""
    g = next(g for g in rs.gates if not g.passed)
    v = g.values
    head = "尚无定论：" if zh else "Not settled yet: "
    if g.kind == "compared":
        cell, best = tuple(v["cell"]), v["best"]
        return head + (f"{_task(cell, zh)}上，注意力池化与{POOLING_ZH[best]}都没学会（达到的种子 {v['att_k']}/{v['n']}"
                       f"、{v['other_k']}/{v['n']}）。" if zh
                       else f"neither attention nor {best} pooling learned {_task(cell, zh)} ({v['att_k']} and "
                            f"{v['other_k']} of {v['n']} seeds).")
    cell = next(c for c in LONG_CELLS for p in POOLINGS if v["evidence"] == names.steps(c, p))
    pooling = next(p for p in POOLINGS if v["evidence"] == names.steps(cell, p))
    seeds = seeds_zh(v["k"], v["n"])
    return head + (f"{_task(cell, zh)}上，{POOLING_ZH[pooling]}的 {seeds}阈值（需要 {v['need']} 个）。" if zh
                   else f"{pooling} pooling learned {_task(cell, zh)} in {v['k']} of {v['n']} seeds (need "
                        f"{v['need']}).")


def _focus(rs: Rulings) -> str:
    """The case of "focuses on what matters", with "none_focus" told apart by why no setting focuses."""
    r = rs.claim(R.FOCUSES)
    if r.case == "none_focus" and not any(c["concentrated"] for c in r.values["cells"]):
        return "off_word"
    if r.case == "none_focus" and not any(c["matters"] for c in r.values["cells"]):
        return "no_effect"
    return r.case


def _ratio(cell) -> str:
    return names.speedup(tuple(cell))


def oneline(rs: Rulings, ev, lang: str) -> str:
    """One sentence: the verdict in words and its number (at most 25 words / 50 characters)."""
    zh = lang == "zh"
    if rs.case == GATE_FAILED:
        return _gate(rs, zh)
    beats, focus = rs.claim(R.BEATS), rs.claim(R.FOCUSES)
    cells = beats.values["cells"]
    if rs.verdict == "inconclusive":  # attention won nowhere, and some steps ratio straddles the margin
        ratios = [ev[_ratio(c["cell"])].number for c in cells if c["outcome"] == R.UNCLEAR]
        k, x = len(ratios), num(max(ratios), 2)
        if zh:
            return (f"尚无定论：长文本上注意力池化无一明显胜出，{k} 个设置难以判定（普通池化步数"
                    + (f"为其 {x} 倍）。" if k == 1 else f"至多为其 {x} 倍）。"))
        return ("Not settled yet: attention pooling wins clearly in no long-text setting; "
                + (f"one is too close to call (plain pooling needs {x}x its steps)." if k == 1
                   else f"{k} are too close to call (plain pooling needs up to {x}x its steps)."))
    ratios = [ev[_ratio(c["cell"])].number for c in cells if c["by"] == R.BY_RATIO]
    focus_words = FOCUS[_focus(rs)][0][1 if zh else 0]
    if rs.verdict == "refuted" and beats.verdict == "refuted":
        x = num(max(ratios), 2)  # every long setting was compared by its ratio (attention and the other learned)
        return (f"不成立：长文本上普通池化所需步数至多是注意力池化的 {x} 倍，不到 {_M} 倍。" if zh
                else f"No, not by a good margin: on long text plain pooling needs at most {x}x attention's steps, "
                     f"under the {_M}x margin.")
    if rs.verdict == "refuted":  # whether attention beats pooling is open; where it looks does not hold
        x = num(max(ev[_ratio(c["cell"])].number for c in cells if c["outcome"] == R.UNCLEAR), 2)
        return (f"不成立：{focus_words}；是否胜过普通池化尚难判定（{x} 倍）。" if zh
                else f"No: {focus_words}; whether it beats plain pooling on long text is open ({x}x its steps).")
    if beats.verdict == "refuted":  # qualified: where attention looks holds at least in part
        x = num(max(ratios), 2)
        return (f"部分成立：{focus_words}；长文本上普通池化步数至多是它的 {x} 倍，不足 {_M} 倍。" if zh
                else f"Partly: {focus_words}, but on long text plain pooling needs at most {x}x attention's steps, "
                     f"under the {_M}x margin.")
    if beats.verdict == "inconclusive":
        x = num(max(ev[_ratio(c["cell"])].number for c in cells if c["outcome"] == R.UNCLEAR), 2)
        return (f"部分成立：{focus_words}；是否明显胜过普通池化尚难判定（{x} 倍）。" if zh
                else f"Partly: {focus_words}; whether it clearly beats plain pooling on long text is open ({x}x its "
                     "steps).")
    wins, n = beats.values["wins"], beats.values["n"]
    if beats.verdict != "confirmed":  # attention wins in some settings only
        return (f"部分成立：长文本上注意力池化在 {n} 个设置中有 {wins} 个明显胜出；{FOCUS[_focus(rs)][0][1]}。" if zh
                else f"Partly: attention pooling clearly beats plain pooling in {wins} of {n} long-text settings; "
                     f"{FOCUS[_focus(rs)][0][0]}.")
    if focus.verdict == "confirmed":
        x = num(min(ev[names.focus(tuple(c["cell"]))].number for c in focus.values["cells"]), 1)
        return (f"成立：注意力给决定性词的权重至少是均匀份额的 {x} 倍，长文本上明显胜过普通池化。" if zh
                else f"Yes: attention puts at least {x}x the uniform weight on the deciding word and clearly beats "
                     f"plain pooling in all {n} long-text settings.")
    head = ("部分成立：长文本上注意力池化处处明显胜出，" if zh
            else "Partly: attention pooling clearly beats plain pooling on long text, but ")
    if focus.case == "minilm_short" and rules.interval(ev[names.MINILM_POLAR_RATIO])[0] <= WORD_SHARE:
        r = num(ev[names.MINILM_POLAR_RATIO].number, 2)
        return head + (f"但预训练模型给极性词的注意力只是均匀份额的 {r} 倍。" if zh
                       else f"MiniLM gives the polar word {r}x the uniform share of attention, not more.")
    if focus.case == "minilm_short":
        wr = num(ev[names.MINILM_POLAR_WORD_RATIO].number, 2)
        return head + (f"但预训练模型给极性词的注意力只是平均词的 {wr} 倍。" if zh
                       else f"MiniLM gives the polar word {wr}x an average word's attention, not clearly more.")
    cells = [tuple(c["cell"]) for c in focus.values["cells"]]
    x = num(max(ev[names.focus(c)].number for c in cells), 1)
    p = pct(max(ev[names.flips(c)].number for c in cells))
    text = FOCUS[_focus(rs)][1][zh].format(good=focus.values["good"], n=focus.values["n"], x=x, p=p)
    return head + text + ("。" if zh else ".")
