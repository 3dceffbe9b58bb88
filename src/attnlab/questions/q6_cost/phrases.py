"""Phrases q6's words share: a steps ratio, how many lengths were faster, the measured crossover, where the timings
were taken. ``lang`` is ``"en"`` or ``"zh"``."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from attnlab.lab.rules import Flip, Ruling
from attnlab.lab.words import fmt, num, verdict
from attnlab.questions.q6_cost import names as N
from attnlab.questions.q6_cost import rule as R
from attnlab.questions.q6_cost.rule import T_FASTER, T_SLOWER
from attnlab.questions.q6_cost.settings import (
    COMPARED,
    LSTM_LAYER,
    MIN_GAIN,
    MODELS,
    MODELS_ZH,
    RIVALS,
    SPEED_LAYERS,
    SPEED_LAYERS_ZH,
    SPEED_RIVALS,
    STEPS_MARGIN,
    THRESHOLD,
    TIME_EQUAL,
)
from attnlab.results import Evidence

__all__ = ["count_side", "crossover_text", "flip_text", "no_single_flip", "regime", "spaced", "steps_times"]

_HAN = "\u4e00-\u9fff"


def spaced(text: str) -> str:
    """A Chinese text with one space between a Chinese character and a Latin letter or digit, and none beside
    full-width punctuation: model names such as "LSTM（Chrono 初始化）" sit in a sentence without stray spaces."""
    text = re.sub(rf"(?<=[{_HAN}])(?=[A-Za-z0-9])|(?<=[A-Za-z0-9%])(?=[{_HAN}])", " ", text)
    return re.sub(r" *([，。；：（）、]) *", r"\1", text)


def regime(ev: Mapping[str, Evidence], lang: str) -> str:
    """"on CPU, 2 threads, 4096 tokens per batch, d=64" (the timings' regime), as far as the evidence says."""
    zh = lang == "zh"
    if N.TIMING_REGIME not in ev:
        return "在 CPU 上" if zh else "on CPU"
    threads, tokens, d = ev[N.TIMING_REGIME].value
    return (f"在 CPU 上用 {threads} 个线程、每批 {tokens} 个词元（批大小 {tokens}/n）、d={d}" if zh
            else f"on CPU, {threads} threads, {tokens} tokens per batch (batch {tokens}/n), d={d}")


def steps_times(ratio: Evidence, rival: str, lang: str, *, interval: bool = True) -> str:
    """"the LSTM (chrono init) needs 1.44 [1.2, 1.7] times attention's steps", or why there is no ratio."""
    zh = lang == "zh"
    if isinstance(ratio.value, str):
        t = num(THRESHOLD, 2)
        return (spaced(f"{MODELS_ZH[rival]}：没有步数比（两者都达到 {t} 的种子不足两个）") if zh
                else f"the {MODELS[rival]}: no step ratio (fewer than two seeds where both reached {t})")
    x = fmt(ratio, lang, 2) if interval else num(ratio.number, 2)
    return (spaced(f"{MODELS_ZH[rival]}所需步数是注意力的 {x} 倍") if zh
            else f"the {MODELS[rival]} needs {x} times attention's steps")


def count_side(status: Sequence[str], lang: str) -> str:
    """"slower at every length timed" / "faster at 1 and slower at 3 of the 4 lengths timed"."""
    zh = lang == "zh"
    k_fast, k_slow, n = sum(x == T_FASTER for x in status), sum(x == T_SLOWER for x in status), len(status)
    if k_slow == n:
        return "在每个测量长度上都更慢" if zh else "slower at every length timed"
    if k_fast == n:
        return "在每个测量长度上都更快" if zh else "faster at every length timed"
    return (f"在测量的 {n} 个长度中，更快的有 {k_fast} 个，更慢的有 {k_slow} 个" if zh
            else f"faster at {k_fast} and slower at {k_slow} of the {n} lengths timed")


def crossover_text(ev: Mapping[str, Evidence], lang: str) -> str:
    """The measured crossover n (self-attention / LSTM time = 1), or that there is none in the lengths timed."""
    cross = ev[N.MEASURED_CROSSOVER]
    if not isinstance(cross.value, str):
        return num(cross.number, 0)
    if lang != "zh":
        return cross.value
    ns = N.lengths(ev)
    faster = ev[N.time_ratio(LSTM_LAYER, ns[0])].number < 1
    return (f"在 n 从 {ns[0]} 到 {ns[-1]} 的范围内没有交点（自注意力始终" + ("更快" if faster else "更慢") + "）")


def flip_text(f: Flip, ev: Mapping[str, Evidence], lang: str) -> str:
    """One flip of q6's rule in words ("if the LSTM (chrono init) needed 1.600 times attention's steps: qualified"),
    or "" for evidence these words do not know."""
    zh, x, v = lang == "zh", num(f.value), verdict(f.verdict, lang)
    for r in SPEED_RIVALS:
        for n in N.lengths(ev):
            if f.evidence == N.time_ratio(r, n):
                return (f"若 n={n} 时自注意力的耗时是 {SPEED_LAYERS_ZH[r]} 的 {x} 倍，结论将是「{v}」" if zh
                        else f"if self-attention took {x} times the {SPEED_LAYERS[r]}'s time at n={n}: {v}")
    for d in N.distances(ev):
        for r in RIVALS:
            if f.evidence == N.gain(r, d):
                return (f"若距离 {d} 时注意力相对 {MODELS_ZH[r]} 的配对准确率提升为 {x}，结论将是「{v}」" if zh
                        else f"if attention's paired accuracy gain over the {MODELS[r]} at distance {d} were {x}: {v}")
            if f.evidence == N.steps_ratio(r, d):
                return (f"若距离 {d} 时 {MODELS_ZH[r]} 所需步数是注意力的 {x} 倍，结论将是「{v}」" if zh
                        else f"if the {MODELS[r]} needed {x} times attention's steps at distance {d}: {v}")
        for m in COMPARED:
            if f.evidence == N.acc(m, d):
                return (f"若 {MODELS_ZH[m]} 在距离 {d} 的留出准确率为 {x}，结论将是「{v}」" if zh
                        else f"if the {MODELS[m]}'s held-out accuracy at distance {d} were {x}: {v}")
    return ""


def no_single_flip(r: Ruling, lang: str) -> str:
    """What would change a measured sub-claim that no single number can."""
    zh, e = lang == "zh", num(TIME_EQUAL, 0)
    g, m, t = num(MIN_GAIN, 2), num(STEPS_MARGIN, 1), num(THRESHOLD, 2)
    if r.name == R.FASTER and r.verdict == "qualified":
        return ("没有哪一个长度能单独改变它：自注意力要在每个长度上都比其余两种模型快（成立），"
                "或都比它们慢（不成立）。" if zh
                else "No single length changes it: self-attention would have to be faster than both rivals at every "
                     "length (confirmed) or slower at every length (refuted).")
    if r.name == R.FASTER:
        return (f"增加计时重复次数，使每个耗时之比的区间都落到 {e} 的一侧。" if zh
                else f"More timing repeats, so that every time ratio's interval falls on one side of {e}.")
    if r.verdict == "qualified":
        return (f"没有哪一个数能单独改变它：要让每个步数比都低于 {m}（没有差别：不成立），"
                f"或在某个比较的模型低于 {t} 时，对其余两种模型的准确率提升都高于 {g}（成立）。" if zh else
                f"No single number changes it: it would take every steps ratio below {m} (no difference: refuted), or "
                f"accuracy gains above {g} against both rivals once a rival falls below {t} (confirmed).")
    return (f"增加种子数，使每个准确率提升的区间都落到 {g} 的一侧、每个步数比的区间都落到 {m} 的一侧；或更长的距离，"
            f"让某个比较的模型低于 {t}。" if zh else
            f"More seeds, so that each accuracy gain's interval falls on one side of {g} and each steps ratio's on one "
            f"side of {m}; or longer distances, where a rival falls below {t}.")
