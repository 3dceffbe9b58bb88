"""q6's one-line answer (en, zh): the verdict in words and the one number that makes it stick, read off the rule.

A decided answer carries self-attention's time against an LSTM's at the longest length timed (where its n² cost
shows) and says in words what the recall task showed; an undecided one names the number too close to its bar,
or the precondition that failed.
"""

from __future__ import annotations

from attnlab.lab.rules import GATE_FAILED, Rulings
from attnlab.lab.words import num, pct
from attnlab.questions.q6_cost import names as N
from attnlab.questions.q6_cost import rule as R
from attnlab.questions.q6_cost.phrases import spaced
from attnlab.questions.q6_cost.settings import (
    LSTM_LAYER,
    MIN_GAIN,
    RIVALS,
    SPEED_KERNEL,
    SPEED_RIVALS,
    STEPS_MARGIN,
    TIME_EQUAL,
)

__all__ = ["oneline"]

SHORT = {"attention": ("attention", "注意力"), "lstm": ("the LSTM", "LSTM"), "cnn": ("the CNN", "空洞 CNN")}
LAYER = {"lstm": ("an LSTM", "LSTM"), "conv": (f"a k={SPEED_KERNEL} CNN", f"k={SPEED_KERNEL} 卷积")}
LEAD = {"confirmed": ("Yes, here:", "成立："), "qualified": ("Partly:", "部分成立："),
        "refuted": ("No, not here:", "不成立：")}


def seeds_zh(k: int, n: int) -> str:
    """"5 个种子中有 2 个达到" / "5 个种子都没有达到" (the glossary's wording)."""
    return f"{n} 个种子都没有达到" if k == 0 else f"{n} 个种子中有 {k} 个达到"


def _gate(rs: Rulings, ev, zh: bool) -> str:
    """Why nothing is decided: the first failed precondition, in a few words."""
    g = next(g for g in rs.gates if not g.passed)
    v = g.values
    head = "尚无定论：" if zh else "Not settled yet: "
    if g.kind == "formulas":
        bad = num(v["params_bad"] + v["flops_bad"], 0)
        return head + (f"有 {bad} 处计数公式与模块不符，先要修正代码。" if zh
                       else f"{bad} cost formulas disagree with the modules they count; the code needs fixing.")
    if g.kind == "repeats":
        return head + (f"机器繁忙，计时只重复了 {v['fewest']} 次（需要 {v['need']} 次）。" if zh
                       else f"a busy machine stopped the timings after {v['fewest']} repeats (need {v['need']}).")
    if g.kind == "quiet":
        return head + (f"计时期间其他进程平均占用 {num(v['load'], 2)} 个核，需要在空闲时重新计时。" if zh
                       else f"other processes kept {num(v['load'], 2)} cores busy while timing; time again on a "
                            "quiet machine.")
    if g.kind == "reached":  # a model did not learn the shortest distance
        model = next(m for m in SHORT if g.name == R.learned_gate(m, N.distances(ev)[0]))
        return head + (f"{SHORT[model][1]}连最短距离都没学会（{seeds_zh(v['k'], v['n'])}）。" if zh
                       else f"{SHORT[model][0]} did not learn even the shortest distance ({v['k']} of {v['n']} "
                            "seeds).")
    if g.kind == "learnable":
        return head + (f"没有一个模型学会相隔 {v['distance']} 个位置的回忆，比较的只是几次失败。" if zh
                       else f"no model learned recall over {v['distance']} positions, so only failures compare.")
    if g.kind == "reach":
        return head + (f"空洞 CNN 只看得到 {num(v['reach'], 0)} 个位置之前，够不到 {v['need']}。" if zh
                       else f"the dilated CNN sees only {num(v['reach'], 0)} positions back, short of {v['need']}.")
    if g.kind == R.EQUAL_PARAMS:
        counts = v["counts"].values()
        return head + (f"参数量相差 {pct(max(counts) / min(counts) - 1)}，超过 {pct(v['tolerance'])}。" if zh
                       else f"parameter counts differ by {pct(max(counts) / min(counts) - 1)}, over "
                            f"{pct(v['tolerance'])}.")
    return head + ("有一项前提条件未满足。" if zh else f"the check {g.name} failed.")


def _undecided(rs: Rulings, ev, zh: bool) -> str:
    """The first measured number too close to its bar."""
    head = "尚无定论：" if zh else "Not settled yet: "
    fast = rs.claim(R.FASTER)
    if fast.verdict == "inconclusive":
        ns, st = fast.values["ns"], fast.values["status"]
        r, n = next((r, n) for r in SPEED_RIVALS for n, s in zip(ns, st[r], strict=True) if s == R.T_UNDECIDED)
        x, e = num(ev[N.time_ratio(r, n)].number, 2), num(TIME_EQUAL, 0)
        return head + (f"n={n} 时自注意力耗时是{LAYER[r][1]}的 {x} 倍，离 {e} 倍太近。" if zh
                       else f"at n={n} self-attention takes {x}x {LAYER[r][0]}'s time, too close to {e} to call.")
    v = rs.claim(R.LONG_RANGE).values
    d = v["distance"]
    r = next((r for r in RIVALS if v["accuracy"][r] == R.ACC_UNDECIDED), None)
    if r is not None:
        g, bar = num(ev[N.gain(r, d)].number, 3), num(MIN_GAIN, 2)
        return head + (f"长距离回忆中注意力比{SHORT[r][1]}准确率高 {g}，离 {bar} 太近。" if zh
                       else f"at recall over {d} positions attention beats {SHORT[r][0]} by {g} accuracy, too close "
                            f"to the {bar} bar.")
    r = next(r for r in RIVALS if v["learning"][r] == R.STEPS_UNDECIDED)
    x, m = num(ev[N.steps_ratio(r, d)].number, 2), num(STEPS_MARGIN, 1)
    if v["ceiling"]:
        return head + (f"三者都学会了长距离回忆，{SHORT[r][1]}步数是注意力的 {x} 倍，离 {m} 倍太近。" if zh
                       else f"all three models learn recall over {d} positions; {SHORT[r][0]} needs {x}x "
                            f"attention's steps, too close to the {m}x bar.")
    return head + (f"长距离回忆中{SHORT[r][1]}同样准确，步数是注意力的 {x} 倍，离 {m} 倍太近。" if zh
                   else f"at recall over {d} positions {SHORT[r][0]} is as accurate and needs {x}x attention's "
                        f"steps, too close to the {m}x bar.")


def _speed(rs: Rulings, ev, zh: bool) -> str:
    """Self-attention's time against the LSTM's at the longest length timed."""
    n = rs.claim(R.FASTER).values["ns"][-1]
    x = num(ev[N.time_ratio(LSTM_LAYER, n)].number, 2)
    return (f"n={n} 时注意力耗时是 LSTM 的 {x} 倍" if zh
            else f"on CPU at n={n} self-attention takes {x}x an LSTM's time")


def _long_range(rs: Rulings, zh: bool) -> str:
    """What the recall task showed, in words (its numbers are in the answer below)."""
    r = rs.claim(R.LONG_RANGE)
    v, recall = r.values, f"recall over {r.values['distance']} positions"
    if r.verdict == "confirmed":
        return "长距离回忆也更准确" if zh else f"more accurate at {recall}"
    if r.verdict == "refuted":
        return "长距离回忆并不更好" if zh else f"no better at {recall}"
    if r.verdict == "inconclusive":
        return "长距离回忆是否更好未定" if zh else f"whether it is better at {recall} is open"
    better = [m for m in RIVALS if v["accuracy"][m] == R.MORE_ACCURATE]
    if better:
        worse = next(m for m in RIVALS if m not in better)
        return (f"长距离回忆只胜过{SHORT[better[0]][1]}" if zh
                else f"more accurate than {SHORT[better[0]][0]} but not {SHORT[worse][0]} at {recall}")
    return "长距离回忆同样准确但学得更快" if zh else f"as accurate at {recall}, only quicker to learn"


def _sentence(rs: Rulings, ev, zh: bool) -> str:
    if rs.case == GATE_FAILED:
        return _gate(rs, ev, zh)
    if rs.verdict == "inconclusive":
        return _undecided(rs, ev, zh)
    lead = LEAD[rs.verdict][zh]
    if zh:
        return f"{lead}{_speed(rs, ev, zh)}；{_long_range(rs, zh)}。"
    return f"{lead} {_speed(rs, ev, zh)}; {_long_range(rs, zh)}."


def oneline(rs: Rulings, ev, lang: str) -> str:
    """One sentence: the verdict in words and its number (at most 25 words / 50 characters)."""
    return spaced(_sentence(rs, ev, True)) if lang == "zh" else _sentence(rs, ev, False)

