"""Phrases q7's words repeat: a cell's name, attention against the best other pooling, where attention looks,
and what the pretrained model does (English and Chinese, from the rule's values and the evidence)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from attnlab.lab.words import fmt, num
from attnlab.questions.q7_why import names
from attnlab.questions.q7_why import rule as R
from attnlab.questions.q7_why.settings import ENCODER_NAMES, MINILM, POOLING_ZH, TASK_ZH, THRESHOLD, Cell

_T = num(THRESHOLD, 1)
OUTCOME = {"en": {R.WINS: "wins", R.LOSES: "loses", R.NO_MARGIN: "no margin", R.UNCLEAR: "unclear"},
           "zh": {R.WINS: "胜出", R.LOSES: "落后", R.NO_MARGIN: "差距不足", R.UNCLEAR: "不确定"}}


def what(cell: Cell, ev, lang: str) -> str:
    """``"contrast T=48 BiLSTM"`` / ``"转折任务 T=48 BiLSTM"``."""
    task, role, encoder = cell
    length = num(ev[names.length(role)].number, 0)
    return f"{TASK_ZH[task] if lang == 'zh' else task} T={length} {ENCODER_NAMES[encoder]}"


def reach(v: Mapping[str, Any], lang: str) -> str:
    """How many seeds of attention and of the best other pooling reached the threshold."""
    best, n = v["best"], v["n"]
    if lang == "zh":
        return (f"注意力池化在 {v['att_k']}/{n} 个种子中达到 {_T}，{POOLING_ZH[best]}在 {v['other_k']}/{n} 个中达到")
    return f"attention reached {_T} in {v['att_k']}/{n} seeds, {best} in {v['other_k']}/{n}"


def cell_line(v: Mapping[str, Any], ev, lang: str) -> str:
    """One cell's comparison (``v``: :func:`attnlab.questions.q7_why.rule.compare`), with the cell's name."""
    zh, best, outcome = lang == "zh", v["best"], v["outcome"]
    cell = tuple(v["cell"])
    head = what(cell, ev, lang) + ("：" if zh else ": ")
    if outcome == R.UNLEARNED:
        return head + (f"两者都没学会（{reach(v, lang)}）" if zh else f"neither learned ({reach(v, lang)})")
    if v["by"] == R.BY_LEARNING and outcome == R.WINS:
        return head + (f"只有注意力池化学会了（{reach(v, lang)}）" if zh
                       else f"only attention learned ({reach(v, lang)})")
    if v["by"] == R.BY_LEARNING:
        return head + (f"{POOLING_ZH[best]}学会了，注意力池化没有（{reach(v, lang)}）" if zh
                       else f"{best} learned, attention did not ({reach(v, lang)})")
    ratio = fmt(ev[names.speedup(cell)], lang, 2)
    return head + (f"{POOLING_ZH[best]}所需步数是注意力池化的 {ratio} 倍（{OUTCOME['zh'][outcome]}）" if zh
                   else f"{best} needs {ratio}x attention's steps ({OUTCOME['en'][outcome]})")


def focus_line(v: Mapping[str, Any], ev, lang: str) -> str:
    """Where one cell's attention looks (``v``: :func:`attnlab.questions.q7_why.rule.focus_cell`)."""
    cell = tuple(v["cell"])
    focus, flips = fmt(ev[names.focus(cell)], lang, 2), fmt(ev[names.flips(cell)], lang, 2)
    uniform = names.uniform_acc(cell)
    if lang == "zh":
        text = f"{what(cell, ev, lang)}：决定性词上的权重是均匀份额的 {focus} 倍，打乱权重后 {flips} 的预测翻转"
        return text + (f"，改用均匀权重时准确率为 {fmt(ev[uniform], lang, 2)}" if uniform in ev else "")
    text = (f"{what(cell, ev, lang)}: {focus}x uniform on the deciding word, {flips} of decisions flip when the "
            "weights are permuted")
    return text + (f", uniform weights give {fmt(ev[uniform], lang, 2)} accuracy" if uniform in ev else "")


def minilm_line(ev, lang: str) -> str:
    """What the pretrained model gives the polar word, against the mean word and the uniform share."""
    zh = lang == "zh"
    if R.minilm_outcome(ev) == R.UNAVAILABLE:
        return f"{MINILM} 不可用" if zh else f"{MINILM} was not available"
    r, wr = ev[names.MINILM_POLAR_RATIO], ev[names.MINILM_POLAR_WORD_RATIO]
    if zh:
        return (f"{MINILM} 中极性词得到的注意力是句中平均词份额的 {fmt(wr, lang, 2)} 倍、"
                f"含 [CLS] 和 [SEP] 在内的均匀份额的 {fmt(r, lang, 2)} 倍（对层取平均；{r.n} 个取自情感词典的句子）")
    sentences = "lexicon sentence" if r.n == 1 else "sentences from a sentiment lexicon"
    return (f"in {MINILM} the polar word receives {fmt(wr, lang, 2)}x the mean word's share and {fmt(r, lang, 2)}x "
            f"the uniform share over all tokens, [CLS] and [SEP] included (mean over layers; {r.n} {sentences})")
