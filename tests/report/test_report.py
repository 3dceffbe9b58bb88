"""The HTML report: the answer first in both languages, self-contained, escaped, every question present."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

from attnlab.report import format_value, render_report, reproduce_command, write_report
from attnlab.report.figures import draw_result
from attnlab.results import (
    Anchor,
    AttentionMap,
    Check,
    Claim,
    Evidence,
    Panel,
    Plot,
    Reference,
    Result,
    Series,
    write_result,
)

EVIL = '<script>window.__pwned = 1</script>'


@dataclass
class Meta:
    qid: str
    title: str = "T"
    question: str = "Question?"
    question_zh: str = "问题?"
    claim: str = "claim"
    claim_zh: str = "原文"
    group: str = "seed"


def _result(qid: str = "q3", **kw) -> Result:
    d = dict(qid=qid, title="Why scale?", question="Why is attention scaled?", question_zh="为什么要缩放?",
             claim="saturation", claim_zh="饱和", verdict="qualified", rule="qualified: rule text",
             summary="a summary",
             answer={"en": "Scaling matters at large d_k (0.61).", "zh": "大 d_k 时缩放很重要(0.61)。"},
             checks=[Check("learned", True, "5 of 5 seeds", "5 个种子中 5 个")],
             claims=[Claim("sat", "Logits saturate.", "confirmed", "rule", (Check("learned", True, "5 of 5"),),
                           ("acc",), statement_zh="logits 会饱和。", because="0.61 of rows", because_zh="0.61 的行",
                           would_change="below 0.1", would_change_zh="低于 0.1"),
                     Claim("count", "Counting says so.", "confirmed", "rule", basis="derivation")],
             evidence=[Evidence("acc", 0.91, (0.9, 0.92), "accuracy", Anchor("Paper 2017, Table 1", "0.9", "same task",
                                                                           "https://arxiv.org/abs/1"),
                                label="accuracy of x", label_zh="x 的准确率", ci_method="95% t interval over 5 seeds",
                                n=5, per_seed=[0.9, 0.91, 0.92, 0.91, 0.91]),
                       Evidence("curve", [1, 2, 3], unit="u", label="a curve", label_zh="曲线")],
             literature=[Reference("Someone 2020", "found the opposite", "other data", "contradicts", "https://x.y")],
             plots=[Plot("curve", "A curve", [Panel(series=[Series("a", [1, 2, 3], [1, 2, 3])])], headline=True,
                         title_zh="一条曲线"),
                    Plot("bars", "Bars", [Panel(kind="bar", series=[Series("s", ["a", "b"], [1, 2])])])],
             seeds=[0, 1, 2, 3, 4], profile="tiny", seconds=2.5, versions={"torch": "2"},
             trials={"total": 10, "run": 4, "reused": 6})
    d.update(kw)
    return Result(**d)


def _write(tmp_path, result: Result) -> None:
    write_result(result, tmp_path)
    draw_result(result, tmp_path)


def test_answer_first_in_both_languages_and_self_contained(tmp_path):
    _write(tmp_path, _result())
    html = write_report(tmp_path, questions=[Meta(f"q{i}") for i in range(1, 9)],
                        errors={"q5": "RuntimeError: boom"}, wall_seconds=12.0).read_text(encoding="utf-8")
    for i in range(1, 9):
        assert f'<section class="q" id="q{i}">' in html
    q3 = html[html.index('id="q3"'):html.index('id="q4"')]
    assert q3.index('class="answer" lang="en"') < q3.index('figure class="headline"') < q3.index("Logits saturate")
    assert 'lang="zh-CN">大 d_k 时缩放很重要(0.61)。' in q3 and "logits 会饱和" in q3 and "x 的准确率" in q3
    assert "RuntimeError: boom" in html and "0.910 [0.900, 0.920]" in html
    assert '<a href="https://arxiv.org/abs/1">Paper 2017, Table 1</a>' in html
    assert "data:image/svg+xml;base64," in html  # the SVG: sharp on a projector and when zoomed
    assert not re.search(r'(src|href)="(https?:)?//', html.replace('href="https://', 'href="LINK'))
    assert "<link" not in html and "@import" not in html and "default-src 'none'" in html
    assert "attnlab run q3 --profile tiny --seeds 5" in html


def test_every_string_from_data_is_escaped(tmp_path):
    r = _result(summary=EVIL, rule=EVIL, claim=EVIL, answer={"en": EVIL, "zh": EVIL}, config={"x": EVIL},
                evidence=[Evidence("x", EVIL, None, EVIL, Anchor(EVIL, EVIL, EVIL), label=EVIL, label_zh=EVIL)],
                claims=[Claim("c", EVIL, "confirmed", EVIL, statement_zh=EVIL, because=EVIL)])
    _write(tmp_path, r)
    html = write_report(tmp_path).read_text(encoding="utf-8")
    assert "window.__pwned" not in html.replace("&lt;script&gt;window.__pwned = 1&lt;/script&gt;", "")


def test_explorer_is_embedded_once_with_its_code(tmp_path):
    w = [[[[0.5, 0.5], [0.25, 0.75]]]]  # (L, H, T, T)
    _write(tmp_path, _result(attention_maps=[AttentionMap("model on 'hi there'", ["hi", "there"], w, "模型")]))
    _write(tmp_path, _result("q2", attention_maps=[AttentionMap("again", ["a", "b"], w)]))
    html = write_report(tmp_path).read_text(encoding="utf-8")
    assert html.count('class="attnlab-explorer') == 2
    # the explorer's code once, the data of each, the figure zoom, the language switch and q3's softmax panel
    assert html.count("<script") == 6


def test_only_the_questions_own_figures_are_inlined(tmp_path):
    (tmp_path / "secret.png").write_bytes(b"\x89PNG secret")
    with pytest.raises(ValueError, match="Plot.name"):
        Plot("../secret", "x", [Panel()])
    r = _result()  # its plots were never drawn: nothing to inline, and nothing else is read
    write_result(r, tmp_path)
    html = render_report({"q3": r}, tmp_path)
    assert "data:image" not in html


def test_questions_beyond_the_seed_come_after_under_their_own_heading(tmp_path):
    _write(tmp_path, _result("q9", group="beyond"))
    _write(tmp_path, _result("q1"))
    html = write_report(tmp_path).read_text(encoding="utf-8")
    assert html.index('id="q1"') < html.index('id="beyond"') < html.index('id="q9"')


def test_format_value_and_command():
    assert format_value(0.5, (0.4, 0.6)) == "0.500 [0.400, 0.600]"
    assert format_value(list(range(20)), max_items=3) == "[0, 1, 2, … (20 items)]"
    assert format_value("text") == "text" and format_value(1e-7) == "1e-07" and format_value(800.0) == "800"
    r = _result("q4", seeds=[3, 4], profile="quick")
    assert reproduce_command(r, "out dir") == "attnlab run q4 --profile quick --out 'out dir'"


@pytest.mark.parametrize("verdict", ["confirmed", "qualified", "refuted", "inconclusive"])
def test_verdict_badges_in_both_languages(tmp_path, verdict):
    _write(tmp_path, _result(verdict=verdict, checks=[]))
    html = write_report(tmp_path).read_text(encoding="utf-8")
    assert f'<span lang="en">{verdict}</span>' in html
    zh = {"confirmed": "成立", "qualified": "有条件成立", "refuted": "不成立", "inconclusive": "无定论"}[verdict]
    assert f'<span lang="zh-CN">{zh}</span>' in html


def test_contents_anchors_and_links_to_the_other_language(tmp_path):
    _write(tmp_path, _result("q1"))
    _write(tmp_path, _result("q3", verdict="refuted"))
    html = write_report(tmp_path).read_text(encoding="utf-8")
    toc = html[html.index('<nav class="toc"'):html.index("</nav>")]
    for qid, verdict in (("q1", "qualified"), ("q3", "refuted")):  # a line each: id, question, verdict
        line = toc[toc.index(f'href="#{qid}"'):]
        line = line[:line.index("</li>")]
        assert "Why is attention scaled?" in line and "为什么要缩放?" in line and f">{verdict}<" in line
        head = html[html.index(f'<section class="q" id="{qid}">'):]
        head = head[:head.index("</h2>")]
        assert f'class="anchor no-print" href="#{qid}"' in head  # ¶ beside the heading
        assert f'href="?lang=zh#{qid}"' in head and f'href="?lang=en#{qid}"' in head
    assert 'href="?lang=zh"' in html and 'href="?lang=en"' in html  # the switch is a pair of links
    assert "beforeprint" in html and "afterprint" in html and "@media print" in html


def test_a_quick_verdict_that_differs_from_the_shipped_standard_one_is_marked_provisional(tmp_path, monkeypatch):
    import attnlab.shipped

    standard = _result(verdict="refuted", profile="standard")
    monkeypatch.setattr(attnlab.shipped, "read_shipped", lambda qid: standard if qid == "q3" else None)
    _write(tmp_path, _result(profile="quick"))
    html = write_report(tmp_path, questions=[Meta("q3")], wall_seconds=1.0).read_text(encoding="utf-8")
    assert 'class="provisional differs"' in html and "Provisional: the standard run" in html and "暂定" in html
    monkeypatch.setattr(attnlab.shipped, "read_shipped", lambda qid: _result(verdict="qualified", profile="standard"))
    html = write_report(tmp_path, questions=[Meta("q3")], wall_seconds=1.0).read_text(encoding="utf-8")
    assert 'class="provisional"' in html and "gives the same verdict" in html and "Provisional" not in html
    _write(tmp_path, _result(profile="standard"))  # the standard report itself is not marked
    html = write_report(tmp_path, questions=[Meta("q3")], wall_seconds=1.0).read_text(encoding="utf-8")
    assert 'class="provisional' not in html
