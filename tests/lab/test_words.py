"""The words engine: numbers rounded one way, one language per sentence, generic gates and flips worded."""

from __future__ import annotations

import pytest

from attnlab.lab import rules, stats, words
from attnlab.lab.words import Evidences
from attnlab.lab.words.lint import ascii_punctuation, english_words, zh_problems
from attnlab.results import Evidence


def test_one_value_is_rounded_one_way_everywhere():
    assert words.num(0.225, 2) == "0.23" and words.pct(0.225) == "23%"
    assert words.num(0.125, 2) == "0.13" and words.pct(0.125, 1) == "12.5%"
    assert words.num(-0.0001, 2) == "0.00" and words.num(149.5, 0) == "150"


def test_intervals_spreads_censored_counts_and_undefined_ratios_in_both_languages():
    ci = Evidence("a", 0.9123, ci=(0.901, 0.923))
    assert words.fmt(ci, "en") == words.fmt(ci, "zh") == "0.912 [0.901, 0.923]"
    steps = stats.steps_evidence("s", [100, 200, 150, None, 120], 800, label="steps")
    assert words.fmt(steps, "en") == "150 (4/5 seeds reached it)"
    assert words.fmt(steps, "zh") == "150（4/5 个种子达到）"
    ratio = stats.paired_ratio_evidence("r", [None, None, 3], [1, 2, 3], label="ratio")
    assert ratio.value == "undefined"
    assert "fewer than 2 seeds" in words.fmt(ratio, "en") and "无法计算" in words.fmt(ratio, "zh")
    assert not zh_problems(words.fmt(ratio, "zh")) and not zh_problems(words.fmt(steps, "zh"))
    with pytest.raises(ValueError, match="lang"):
        words.fmt(ci, "fr")


def test_the_chinese_lint_finds_english_words_and_ascii_punctuation():
    assert english_words("不缩放时 token 的 softmax 与 W_Q、d_k，Vaswani 等人") == ["token"]
    assert ascii_punctuation("准确率:0.9,很高") == [":", ","]
    assert ascii_punctuation("softmax([1, 2, 10]) 中最大项（原文）") == []
    assert ascii_punctuation("最大项(原文的例子)") == ["( )"]
    assert zh_problems("区间 [0.1, 0.2] 与 https://arxiv.org/abs/1706.03762") == []


class _Words(words.Words):
    def statement(self, r, ev, lang):
        return "说法。" if lang == "zh" else "claim"


def test_generic_gates_and_flips_are_worded_from_the_rule():
    steps = stats.steps_evidence("s", [100, None, None], 800, label="steps to 0.9", label_zh="达到 0.9 的步数")
    acc = Evidence("acc", 0.7, ci=(0.6, 0.8), label="accuracy", label_zh="准确率")
    ev = Evidences(s=steps, acc=acc)
    w = _Words()
    gate = rules.reached_gate("learned", steps)
    assert w.gate(gate, ev, "en") == "steps to 0.9: 1 of 3 seeds reached the threshold (need 3)"
    assert w.gate(gate, ev, "zh") == "达到 0.9 的步数：3 个种子中有 1 个达到阈值（需要 3 个）"
    r = rules.Ruling("c", "refuted", "interval", {}, ("acc",), (), (rules.Flip("acc", 0.91, "confirmed"),))
    assert w.would_change(r, ev, "en") == "If accuracy were 0.910: confirmed."
    assert w.would_change(r, ev, "zh") == "若「准确率」为 0.910，结论将是「成立」。"
    gated = rules.sub_claim("c", [gate], ["s"], lambda: ("confirmed", "", {}, []))
    assert "1 of 3 seeds" in w.would_change(gated, ev, "en")
    assert not zh_problems(w.would_change(gated, ev, "zh"))
    with pytest.raises(NotImplementedError, match="gate kind"):
        w.gate(rules.Gate("g", True, "unknown"), ev, "en")
