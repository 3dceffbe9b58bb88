"""The report's fixed words in English and Chinese: headings, verdicts, stances, units.

Sentences built from a result's numbers come with the result (its answers, claims and labels have
Chinese versions); these are the words around them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["UI", "VERDICT_WORDS", "STANCE_WORDS", "BASIS_WORDS", "ci_method_zh", "unit_zh"]

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
    "rule": ("The rule, precisely", "判定规则"),
    "overall_from": ("", "各分项："),
    "overall_is": ("", "总体结论由它们合成："),
    "rule_en_only": ("", "各分项和总体判定规则的完整表述（含全部阈值和代入的数字）目前只有英文版；"
                         "上面的「关键数字」和「什么会改变结论」依据的是同一套规则。"),
    "read_in_en": ("", "切换到英文查看"),
    "figures": ("More figures", "更多图表"),
    "explorer": ("Explore the attention", "交互查看注意力"),
    "explorer_in_html": ("Not printed: the interactive explorer (every layer and head, step by step) is in the HTML "
                         "report.", "未打印：可交互的注意力查看器（每一层、每个头，逐步查看）在 HTML 报告中。"),
    "softmax": ("Move the scale: softmax([1, 2, 10])", "调整缩放：softmax([1, 2, 10])"),
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
    "trials": ("trials", "次试验"),
    "reused": ("reused from the cache", "来自缓存"),
    "compute": ("seconds of compute", "秒计算时间"),
    "wall": ("seconds of wall time", "秒墙钟时间"),
    "versions": ("versions", "版本"),
    "configuration": ("configuration", "配置详情"),
    "summary_text": ("Summary", "摘要"),
    "beyond": ("Beyond the seed", "原文之外"),
    "beyond_note": ("Questions the seed does not ask. They cost more than the quick profile's ten minutes, so "
                    "`attnlab report` runs them on request: attnlab report --only q9,q10,q11,q12,q13,q14.",
                    "原文没有问的问题。它们超出 quick 配置十分钟的预算，所以 attnlab report 默认不运行，"
                    "需要时运行：attnlab report --only q9,q10,q11,q12,q13,q14。"),
    "seed_questions": ("The seed's questions", "原文的问题"),
    "beyond_not_run": ("Not run for this report; each runs on request:", "本报告没有运行以下问题，需要时可运行："),
    "not_run_text": ("This question has not been run yet.", "这个问题还没有运行。"),
    "provisional": ("Provisional: the standard run (five seeds, every learning rate swept; docs/report) says "
                    "“{v}”. This quick run has fewer seeds.",
                    "暂定：标准运行（五个种子，每个学习率都扫描过；见 docs/report）的结论是「{v}」。"
                    "这次快速运行的种子更少。"),
    "as_standard": ("The standard run (five seeds, every learning rate swept; docs/report) gives the same verdict.",
                    "标准运行（五个种子，每个学习率都扫描过；见 docs/report）给出同样的结论。"),
    "run_it": ("Run it", "运行"),
    "basis": ("answered by", "依据"),
    "generated": ("generated", "生成于"),
    "language": ("Language", "语言"),
    "print": ("Print or save as PDF", "打印或存为 PDF"),
    "contents": ("Contents", "目录"),
    "anchor": ("Link to this question", "本题链接"),
    "other_in_html": ("Not printed: {n} other measurements, listed in the HTML report and in result.json.",
                      "未打印：另外 {n} 项测量，见 HTML 报告和 result.json。"),
    "no_zh": ("", "（暂无中文）"),
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
    "derivation": ("derivation (cannot fail on data)", "推导（不依赖数据）"),
}

_UNITS = {
    "accuracy": "准确率", "steps": "步", "fraction": "比例", "x": "倍", "norm": "范数", "std": "标准差",
    "slope": "斜率", "share": "占比", "weight": "权重", "s": "秒", "relations": "个关系", "heads": "个头",
    "seconds": "秒", "variance": "方差", "ratio": "比值", "tokens": "个词元", "parameters": "参数",
    "tokens/s": "词元/秒", "GFLOP/s": "GFLOP/秒", "agreement": "一致率", "cores": "个核",
    "dependent steps per layer": "每层相互依赖的步数",
    "forward FLOPs per layer (batch 1)": "每层前向 FLOPs（批大小 1）",
    "grid points": "个网格点", "layers": "层", "logit (layer x head)": "logit（层 × 头）", "nats/char": "奈特/字符",
    "parameters per layer": "每层参数", "positions": "个位置", "rank": "秩", "role per head": "每个头的角色",
    "share (layer x head)": "占比（层 × 头）", "share of grid cases": "网格情形的占比", "words": "个词",
    "x mean word": "倍（相对词的平均）", "x uniform": "倍（相对均匀分布）",
    "x uniform (sentence x layer)": "倍（相对均匀分布；句子 × 层）", "µs per token": "µs/词元",
    "lr": "学习率", "hit rate": "命中率", "sentences": "个句子",
    "|score| (method x token)": "分数绝对值（方法 × 词元）",
    "nats": "奈特", "score": "得分", "x baseline": "倍（相对基线）",
    "bytes": "字节", "sequences": "个序列", "bool": "是否",
    "multiply-adds": "次乘加", "numbers": "个数", "width": "宽度", "models": "个模型",
    "frequencies": "个频率", "turns": "圈",
}


def unit_zh(unit: str) -> str:
    """The unit in Chinese where a translation is known, else as it is (symbols such as d_k)."""
    return _UNITS.get(unit, unit)


# ----------------------------------------------------------------------------------------------------
# How an interval was computed (an evidence's ``ci_method``), in Chinese
# ----------------------------------------------------------------------------------------------------

_N = r"(\d+)"
_X = r"([-+]?[\d.]+(?:e[-+]?\d+)?|[-−+]?∞)"
_OVER = {"seeds": "个种子", "sentences": "个句子", "repeats": "次重复", "heads": "个头", "layers": "层",
         "texts": "段文本", "models": "个模型", "draws": "次抽取", "trials": "次试验"}
_WORD = "(" + "|".join(_OVER) + ")"
_SIDE = {"at least this": "所以真实比值至少是这个数", "at most this": "所以真实比值至多是这个数",
         "the direction of the true ratio is unknown where both are": "两者都未达到时真实比值偏向哪边未知"}


def _k_of_n(k: str, n: str, unit: str) -> str:
    """"k of n" as the glossary writes it: "5 个种子都…", "…中有 3 个…", "…都没有…" (the verb follows)."""
    return f"{n} {unit}都" if k == n else f"{n} {unit}都没有" if k == "0" else f"{n} {unit}中有 {k} 个"


def _over(n: str, what: str) -> str:
    return f"{n} {_OVER[what]}"


# One clause of a method (clauses are separated by "; "): a pattern and its Chinese; the Chinese of a method
# nested in a clause ("paired differences: ...", "geometric mean, ... on the log scale") is translated in turn.
_CLAUSES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]]] = [(re.compile(p + "$"), f) for p, f in [
    (rf"{_N}% t interval over {_N} {_WORD}(?:, clipped to \[{_X}, {_X}\])?",
     lambda m: f"{_over(m[2], m[3])}的 {m[1]}% t 区间" + (f"，截断到 [{m[4]}, {m[5]}]" if m[4] else "")),
    (rf"all {_N} {_WORD} equal", lambda m: f"{_over(m[1], m[2])}的值全部相同，无区间"),
    (rf"percentile bootstrap over {_WORD}(?: \({_N} resamples\))?",
     lambda m: f"对{_OVER[m[1]].lstrip('个次')}的百分位自助法区间" + (f"（{m[2]} 次重抽样）" if m[2] else "")),
    (r"a single seed: no interval", lambda m: "只有一个种子：无区间"),
    (r"paired differences: (.+)", lambda m: _join(m[1], "配对差：")),
    (r"geometric mean, (.+) on the log scale", lambda m: _join(m[1], "几何平均，区间在对数尺度上求得（", "）")),
    (rf"{_N} of {_N} seeds left out \(a value missing\)", lambda m: f"{_k_of_n(m[1], m[2], '个种子')}缺值，未计入"),
    (r"fewer than 2 seeds with both values", lambda m: "两个值都有的种子不足 2 个"),
    (rf"censored: the numerator never reached the threshold in {_N} of {_N} seeds, the denominator in {_N} of {_N}",
     lambda m: f"截尾：在 {m[2]} 个种子中，分子始终没有达到阈值的有 {m[1]} 个，分母有 {m[3]} 个"),
    (rf"those count as the budget of {_X} steps, so (?:the true ratio is )?(.+)",
     lambda m: f"这些种子按预算 {m[1]} 步计，{_SIDE[m[2]]}" if m[2] in _SIDE else None),
    (rf"median over {_N} {_WORD}", lambda m: f"{_over(m[1], m[2])}的中位数"),
    (rf"{_N} of {_N} reached it within {_N}", lambda m: f"{_k_of_n(m[1], m[2], '个')}在 {m[3]} 步内达到"),
    (rf"median of {_N} (alternating )?repeats(?: \(fastest {_X} ms\)| \(range {_X} to {_X}\))?",
     lambda m: f"{m[1]} 次{'交替' if m[2] else ''}重复的中位数"
               + (f"（最快 {m[3]} ms）" if m[3] else f"（范围 {m[4]} 至 {m[5]}）" if m[4] else "")),
    (rf"range over the {_N} {_WORD} of one model \(a spread, not a confidence interval\)",
     lambda m: f"同一模型 {_over(m[1], m[2])}的范围（这是离散程度，不是置信区间）"),
    (rf"std over draws {_X}", lambda m: f"多次随机抽取的标准差为 {m[1]}"),
    (rf"the most over {_N} timing trials", lambda m: f"{m[1]} 次计时试验中的最大值"),
    (r"exact", lambda m: "精确值"),
    (r"exact: counted from the layer formulas", lambda m: "精确值：由各层的公式算出"),
    (r"exact: counted on the modules", lambda m: "精确值：在模块上逐一数出"),
    (r"one model, one corpus sample: no interval", lambda m: "一个模型、一份语料样本：无区间"),
    (rf"chosen from ([\d.e\-, ]+?)(?: in the (\w+) profile's sweep)? by the highest mean final held-out (\w+) over "
     rf"{_N} tuning seeds? \(ties within {_X}: lowest held-out loss, within {_X} the middle rate\)",
     lambda m: f"从 {m[1]} 中选出{f'（沿用{_PROFILE_ZH.get(m[2], m[2])}档的扫描）' if m[2] else ''}："
               f"{m[4]} 个调参种子上最终留出集{_UNITS.get(m[3], m[3])}均值最高者"
               f"（相差 {m[5]} 以内时看留出集损失，损失相差 {m[6]} 以内时取中间的学习率）"),
    (rf"geometric mean of {_N} alternating repeats in one process",
     lambda m: f"同一进程中 {m[1]} 次交替重复的几何平均"),
    (r"the bracket is the spread of those repeats \(a t interval on the log scale\), not an interval over "
     r"independent runs", lambda m: "括号里是这些重复的离散程度（对数尺度上的 t 区间），不是多次独立运行的区间"),
    (rf"the step counts of {_N} trials, every condition and seed",
     lambda m: f"{m[1]} 次试验（每个条件、每个种子）的步数"),
]]
_PROFILE_ZH = {"quick": "快速", "standard": "标准", "full": "完整", "tiny": "微型"}


def _clause(text: str) -> str | None:
    for pattern, zh in _CLAUSES:
        m = pattern.match(text.strip())
        if m:
            return zh(m)
    return None


def _join(text: str, prefix: str = "", suffix: str = "") -> str | None:
    parts = [_clause(c) for c in text.split("; ")]
    return None if any(p is None for p in parts) else prefix + "；".join(parts) + suffix  # type: ignore[arg-type]


def ci_method_zh(method: str) -> str:
    """``method`` (how an interval was computed, as :mod:`attnlab.lab.stats` and the questions write it) in
    Chinese, or ``""`` where a part of it has no known translation (the report then shows the English).

    >>> ci_method_zh("paired differences: 95% t interval over 5 seeds, clipped to [0, 1]")
    '配对差值：5 个种子的 95% t 区间，截断到 [0, 1]'
    """
    if not method:
        return ""
    return _join(method) or ""
