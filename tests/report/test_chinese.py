"""The Chinese page in Chinese: interval methods, published findings, units and the verdict's rule."""

from __future__ import annotations

import importlib
import json
import pkgutil
from pathlib import Path

import pytest

from attnlab.lab.words.lint import zh_problems
from attnlab.report import write_report
from attnlab.report.i18n import ci_method_zh, unit_zh
from attnlab.results import Claim, Evidence, Reference, Result, write_result

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = [*(ROOT / "docs" / "report-quick").glob("*/result.json"),
           *(ROOT / "src" / "attnlab" / "shipped_report").glob("*/result.json")]


def _shipped_evidence() -> list[dict]:
    return [e for p in SHIPPED for e in json.loads(p.read_text(encoding="utf-8"))["evidence"]]


@pytest.mark.parametrize(("en", "zh"), [
    ("95% t interval over 5 seeds", "5 个种子的 95% t 区间"),
    ("paired differences: 95% t interval over 5 seeds, clipped to [0, 1]",
     "配对差：5 个种子的 95% t 区间，截断到 [0, 1]"),
    ("geometric mean, 95% t interval over 9 repeats on the log scale",
     "几何平均，区间在对数尺度上求得（9 次重复的 95% t 区间）"),
    ("median over 5 seeds; 0 of 5 reached it within 800", "5 个种子的中位数；5 个都没有在 800 步内达到"),
    ("median over 5 seeds; 3 of 5 reached it within 800", "5 个种子的中位数；5 个中有 3 个在 800 步内达到"),
    ("range over the 72 heads of one model (a spread, not a confidence interval)",
     "同一模型 72 个头的范围（这是离散程度，不是置信区间）"),
    ("median of 7 repeats (range 10.76 to 17.87)", "7 次重复的中位数（范围 10.76 至 17.87）"),
    ("a method nobody wrote a translation for", ""),  # the report then shows the English
    ("paired differences: something new", ""),
    ("", ""),
])
def test_interval_methods_in_chinese(en, zh):
    assert ci_method_zh(en) == zh


def test_every_interval_method_and_unit_of_the_shipped_results_has_clean_chinese():
    evidence = _shipped_evidence()
    assert evidence, "no shipped results to read"
    missing = sorted({e["ci_method"] for e in evidence if e.get("ci_method") and not ci_method_zh(e["ci_method"])})
    assert missing == []
    for e in evidence:
        for text in (ci_method_zh(e.get("ci_method", "")), unit_zh(e.get("unit", ""))):
            assert not zh_problems(text), (text, zh_problems(text))


def _references() -> list[tuple[str, Reference]]:
    import attnlab.questions as questions

    out = []
    for m in pkgutil.iter_modules(questions.__path__):
        settings = importlib.import_module(f"attnlab.questions.{m.name}.settings")
        for name, value in vars(settings).items():
            for r in value if isinstance(value, (list, tuple)) else [value]:
                if isinstance(r, Reference):
                    out.append((f"{m.name}.{name}", r))
    return out


def test_every_published_finding_has_a_chinese_summary_in_chinese_punctuation():
    refs = _references()
    assert len(refs) >= 30
    for where, r in refs:
        assert r.finding_zh and r.regime_zh, f"{where} ({r.source}) has no Chinese summary"
        for text in (r.finding_zh, r.regime_zh):
            assert not zh_problems(text), (where, text, zh_problems(text))
        assert r.finding_zh.endswith("。"), where


def _result(**kw) -> Result:
    d = dict(qid="q3", question="Why scale?", claim="saturation", verdict="qualified",
             rule="qualified: the precise English rule", summary="an English summary",
             answer={"en": "Yes.", "zh": "是的。"},
             claims=[Claim("sat", "Logits saturate.", "confirmed", "the English rule of one claim", (), ("acc",),
                           statement_zh="logits 会饱和。"),
                     Claim("count", "Counting says so.", "refuted", "rule", basis="derivation",
                           statement_zh="计数如此。")],
             evidence=[Evidence("acc", 0.91, (0.9, 0.92), "accuracy", label="accuracy", label_zh="准确率",
                                ci_method="paired differences: 95% t interval over 5 seeds", n=5),
                       Evidence("odd", 0.5, (0.4, 0.6), "x uniform", label="odd", label_zh="奇怪的量",
                                ci_method="a method with no translation", n=5)],
             literature=[Reference("Paper 2020, §1", "found it", "big models", "supports", "https://x.y",
                                   finding_zh="发现了它。", regime_zh="大模型"),
                         Reference("Old 2019", "no Chinese yet", "old data", "context")])
    d.update(kw)
    return Result(**d)


def test_the_chinese_page_shows_methods_findings_and_the_rule_in_chinese(tmp_path):
    write_result(_result(), tmp_path)
    html = write_report(tmp_path).read_text(encoding="utf-8")
    assert '<span lang="zh-CN" class="muted small">配对差：5 个种子的 95% t 区间</span>' in html
    assert '<span lang="zh-CN" class="muted small fallback">a method with no translation</span>' in html
    assert '<span lang="zh-CN">倍（相对均匀分布）</span>' in html
    lit = html[html.index('<ul class="literature">'):]
    lit = lit[:lit.index("</ul>")]
    assert '<span lang="zh-CN">：发现了它。<span class="muted">（大模型）</span></span>' in lit
    assert '<span lang="zh-CN" class="fallback">：no Chinese yet' in lit  # a result written before finding_zh
    # the English rules and summary are English-only elements; the Chinese page composes the verdict in Chinese
    assert '<details class="rule-details" lang="en">' in html and '<details class="summary-text" lang="en">' in html
    zh_rule = html[html.index('<details class="rule-details" lang="zh-CN">'):]
    zh_rule = zh_rule[:zh_rule.index("</details>")]
    assert "「logits 会饱和」成立；「计数如此」不成立（推导）。总体结论由它们合成：有条件成立。" in zh_rule
    assert "English" not in zh_rule and 'href="?lang=en#q3"' in zh_rule


def test_a_result_written_before_the_chinese_summaries_still_reads(tmp_path):
    d = _result().to_dict()
    for ref in d["literature"]:
        ref.pop("finding_zh"), ref.pop("regime_zh")
    r = Result.from_dict(d)
    assert [x.finding_zh for x in r.literature] == ["", ""]
    assert Reference(**{"source": "s", "finding": "f"}).to_dict()["finding_zh"] == ""


def test_q3_and_q4_get_the_softmax_panel_with_the_seeds_five_digits(tmp_path):
    from attnlab.report.softmax import format_weight, softmax, softmax_panel

    assert format_weight(softmax([1, 2, 10])[2]) == "0.99954"
    assert format_weight(softmax([1, 2, 10], 2.0)[2]) == "0.99999987"  # never rounded to 1
    panel = softmax_panel()
    assert '<td class="num">0.99954</td><td class="num">0.00046</td>' in panel  # saturated: the gradient is tiny
    assert '<td>1/√d_k = 1/8</td>' in panel and '<td class="num">0.59083</td><td class="num">0.24</td>' in panel
    write_result(_result(), tmp_path)
    write_result(_result(qid="q4"), tmp_path)
    write_result(_result(qid="q5"), tmp_path)
    html = write_report(tmp_path).read_text(encoding="utf-8")
    assert 'id="q3-softmax"' in html and 'id="q4-softmax"' in html and 'id="q5-softmax"' not in html
    assert html.count("attnlab softmax panel") == 1  # its script once


def test_a_published_anchor_shows_its_figure_and_regime_in_the_page_language(tmp_path):
    from attnlab.results import Anchor

    anchor = Anchor("Vaswani et al. 2017, Table 3 (A)", "h=1: 24.9 BLEU", "Transformer-base, WMT14 EN-DE dev",
                    "https://arxiv.org/abs/1706.03762", value_zh="h=1：24.9 BLEU",
                    regime_zh="Transformer-base，WMT14 英德开发集")
    ev = Evidence("acc", 0.91, (0.9, 0.92), "accuracy", anchor, label="accuracy", label_zh="准确率", n=5,
                  ci_method="95% t interval over 5 seeds")
    write_result(_result(evidence=[ev]), tmp_path)
    html = write_report(tmp_path).read_text(encoding="utf-8")
    assert '<span lang="en" class="muted small">Transformer-base, WMT14 EN-DE dev</span>' in html
    assert '<span lang="zh-CN" class="muted small">Transformer-base，WMT14 英德开发集</span>' in html
    assert '<span lang="zh-CN">h=1：24.9 BLEU</span>' in html
    assert Anchor.from_any(anchor.to_dict()) == anchor  # the Chinese survives result.json


def test_the_run_line_and_text_values_read_as_chinese_on_the_chinese_page(tmp_path):
    import re

    from attnlab.lab.words.lint import zh_problems

    r = _result(evidence=[Evidence("available", "yes", label="model analysed", label_zh="已分析模型")],
                trials={"total": 43, "run": 0, "reused": 43}, versions={"python": "3.11", "torch": "2.0"})
    write_result(r, tmp_path)
    html = write_report(tmp_path).read_text(encoding="utf-8")
    assert "（其中 43 次来自缓存）" in html and '<span lang="zh-CN">：</span>' in html
    assert '<span lang="zh-CN">是</span>' in html and '<span lang="en">yes</span>' in html
    run_lines = re.findall(r'<p class="[^"]*small[^"]*">(.*?)</p>', html, re.S)
    zh = [re.sub(r"<[^>]+>", "", re.sub(r'<span lang="en">.*?</span>', "", line)) for line in run_lines]
    assert zh and not [p for line in zh for p in zh_problems(line) if "ASCII" in p], zh
