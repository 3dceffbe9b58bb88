"""The report's fixed words in English and Chinese: headings, verdicts, stances, units.

Sentences built from a result's numbers come with the result (its answers, claims and labels have
Chinese versions); these are the words around them.
"""

from __future__ import annotations

__all__ = ["UI", "VERDICT_WORDS", "STANCE_WORDS", "BASIS_WORDS", "unit_zh"]

UI: dict[str, tuple[str, str]] = {
    "title": ("attnlab report: questions about attention, measured", "attnlab 报告：关于注意力机制的问题，用实验回答"),
    "subtitle": ("Each question of the seed's interview notes becomes an experiment; the answer comes first.",
                 "面试笔记里的每个问题都变成一个实验；先给答案。"),
    "summary": ("At a glance", "一览"),
    "question": ("Question", "问题"),
    "answer": ("Short answer", "简答"),
    "why": ("Why we say so", "依据"),
    "verdict": ("Verdict", "结论"),
    "seed_says": ("The seed says", "原文观点"),
    "claims": ("Verdict by sub-claim", "分项结论"),
    "because": ("Deciding numbers", "关键数字"),
    "checks": ("Checks it stands on", "前提检查"),
    "would_change": ("What would change it", "什么会改变结论"),
    "rule": ("The rule, precisely", "判定规则(原文)"),
    "figures": ("More figures", "更多图表"),
    "explorer": ("Explore the attention", "交互查看注意力"),
    "evidence": ("Evidence", "证据"),
    "other_evidence": ("Other measurements", "其他测量"),
    "measurement": ("Measurement", "测量项"),
    "value": ("Value [95% interval]", "数值 [95% 区间]"),
    "unit": ("Unit", "单位"),
    "published": ("Published, same regime", "同一设置下的文献数值"),
    "details": ("details", "详情"),
    "per_seed": ("per seed", "每个种子"),
    "literature": ("Published findings", "相关文献"),
    "reproduce": ("How to reproduce", "如何复现"),
    "profile": ("profile", "配置"),
    "seeds": ("seeds", "种子"),
    "trials": ("trials", "试验"),
    "reused": ("reused from the cache", "来自缓存"),
    "compute": ("seconds of compute", "秒计算时间"),
    "wall": ("seconds of wall time", "秒墙钟时间"),
    "versions": ("versions", "版本"),
    "configuration": ("configuration", "配置详情"),
    "summary_text": ("Summary", "摘要"),
    "beyond": ("Beyond the seed", "原文之外"),
    "beyond_note": ("Two questions the seed does not ask. They cost more than the quick profile's ten minutes, so "
                    "`attnlab report` runs them on request: attnlab report --only q9,q10.",
                    "原文没有问的两个问题。它们超出 quick 配置十分钟的预算，所以 attnlab report 默认不运行，"
                    "需要时运行：attnlab report --only q9,q10。"),
    "seed_questions": ("The seed's questions", "原文的问题"),
    "not_run_text": ("This question has not been run yet.", "这个问题还没有运行。"),
    "run_it": ("Run it", "运行"),
    "basis": ("answered by", "依据"),
    "generated": ("generated", "生成于"),
    "language": ("Language", "语言"),
    "print": ("Print or save as PDF", "打印或存为 PDF"),
    "contents": ("Contents", "目录"),
    "anchor": ("Link to this question", "本题链接"),
    "other_in_html": ("Not printed: {n} other measurements, listed in the HTML report and in result.json.",
                      "未打印：另外 {n} 项测量，见 HTML 报告和 result.json。"),
    "no_zh": ("", "(暂无中文)"),
    "no_margin": ("Passed, but with no margin: at its threshold or inside the margin the rule asks for, so not ticked",
                  "通过，但没有余量：恰在阈值上或落在规则要求的余量之内，因此不打勾"),
    "ratios": ("How the ratios are computed", "比值的算法"),
    "zoom_hint": ("click to enlarge", "点击放大"),
    "zoom_close": ("Close ✕", "关闭 ✕"),
    "zoom_tip": ("Click the figure for full size; Esc closes", "点击图片查看原始大小；按 Esc 关闭"),
}

VERDICT_WORDS: dict[str, tuple[str, str]] = {
    "confirmed": ("confirmed", "成立"),
    "qualified": ("qualified", "有条件成立"),
    "refuted": ("refuted", "不成立"),
    "inconclusive": ("inconclusive", "无定论"),
    "not run": ("not run", "未运行"),
    "failed": ("failed", "运行失败"),
}

STANCE_WORDS: dict[str, tuple[str, str]] = {
    "supports": ("supports the seed", "支持原文"),
    "contradicts": ("counter-evidence", "反面证据"),
    "context": ("context", "背景"),
}

BASIS_WORDS: dict[str, tuple[str, str]] = {
    "measured": ("measurement", "实验测量"),
    "derivation": ("derivation (cannot fail on data)", "推导(不依赖数据)"),
}

_UNITS = {
    "accuracy": "准确率", "steps": "步", "fraction": "比例", "x": "倍", "norm": "范数", "std": "标准差",
    "slope": "斜率", "share": "占比", "weight": "权重", "s": "秒", "relations": "个关系", "heads": "个头",
    "seconds": "秒", "variance": "方差", "ratio": "比值", "tokens": "个词元", "parameters": "参数",
    "tokens/s": "词元/秒", "GFLOP/s": "GFLOP/秒",
}


def unit_zh(unit: str) -> str:
    """The unit in Chinese where a translation is known, else as it is (symbols such as d_k)."""
    return _UNITS.get(unit, unit)
