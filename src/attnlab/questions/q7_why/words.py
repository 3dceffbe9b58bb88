"""q7's sentences, in English and Chinese, built from the rule's verdicts and numbers."""

from __future__ import annotations

import math
from typing import Any

from attnlab.lab.rules import GATE_FAILED, Flip, Gate, Ruling, Rulings
from attnlab.lab.words import Words, fmt, num, pct, verdict
from attnlab.questions.q7_why import names
from attnlab.questions.q7_why import rule as R
from attnlab.questions.q7_why.oneline import oneline, seeds_zh
from attnlab.questions.q7_why.phrases import cell_line, focus_line, minilm_line, what
from attnlab.questions.q7_why.settings import (
    CELLS,
    ENCODER_NAMES,
    FLIPS,
    FOCUS,
    LONG_CELLS,
    MIN_REACHED,
    MINILM,
    POOLING_ZH,
    POOLINGS,
    SENTENCES,
    SPEEDUP,
    TASK_WORDS,
    THRESHOLD,
    WORD_SHARE,
)

_T, _M, _F, _P = num(THRESHOLD, 1), num(SPEEDUP, 1), num(FOCUS, 1), pct(FLIPS)
_MINI_EN = {R.SINGLES_OUT: "singles out", R.NOT_SINGLED: "no", R.UNDECIDED: "undecided", R.UNAVAILABLE: "unavailable"}


def _span(values: list[float], fmt_one) -> str:
    """``"0.4"`` or ``"0.3–0.5"``: the range of per-setting point values."""
    lo, hi = fmt_one(min(values)), fmt_one(max(values))
    return lo if lo == hi else f"{lo}–{hi}"


class WhyWords(Words):
    def statement(self, r: Ruling, ev, lang: str) -> str:
        if r.name == R.BEATS:
            return ("长文本上，带注意力池化的 RNN 比同一 RNN 加平均或最大池化好不少。" if lang == "zh" else
                    "On long text an RNN with attention pooling beats the same RNN with mean or max pooling by a good "
                    "margin.")
        text, word = SENTENCES[0]
        return (f"注意力把权重放在决定结果的词上（`{text}` 中的 `{word}`）。" if lang == "zh" else
                f"Attention puts its weight on the word that decides (\"{word}\" in \"{text}\").")

    def rule(self, r: Ruling, ev) -> str:
        v = r.values
        if r.name == R.BEATS:
            return (f"{r.verdict}: on long texts " + "; ".join(cell_line(c, ev, "en") for c in v["cells"])
                    + f". Rule: in each long cell attention wins if only it reaches {_T} in at least "
                    f"{pct(MIN_REACHED)} of the seeds, or if the paired ratio of steps (best other pooling / "
                    f"attention) has its interval above {_M}; it has no margin when that interval lies below {_M}. "
                    "Confirmed if attention wins in every long cell, qualified if in some, refuted if in none and "
                    "every long cell shows no margin (or a loss), inconclusive if it wins nowhere and some interval "
                    "straddles the margin.")
        return (f"{r.verdict}: " + "; ".join(focus_line(c, ev, "en") for c in v["cells"])
                + f"; {minilm_line(ev, 'en')} ({_MINI_EN[v['minilm']]}). Rule: our attention focuses where the "
                f"weight on the deciding word has its interval above {_F}x uniform and permuting the weights flips "
                f"more than {num(FLIPS, 1)} of the decisions (interval above); confirmed if it does in every long "
                "cell and the pretrained model gives the polar word more than both the uniform share 1/T ([CLS] and "
                f"[SEP] counted) and the mean word's share (both intervals above {num(WORD_SHARE, 0)}; below on either "
                "counts against), refuted if it does in no cell, qualified otherwise.")

    def because(self, r: Ruling, ev, lang: str) -> str:
        v, zh = r.values, lang == "zh"
        if r.name == R.BEATS:
            lines = (("；" if zh else "; ").join(cell_line(c, ev, lang) for c in v["cells"]))
            if zh:
                return (f"长文本上，注意力池化以足够差距（对方达到 {_T} 所需步数是它的 {_M} 倍以上，或对方学不会）"
                        f"胜过最好的其他池化方式的设置有 {v['wins']} 个（共 {v['n']} 个）：{lines}。")
            return (f"On long texts attention pooling beat the best other pooling by the margin (the other needing "
                    f"over {_M}x its steps to {_T}, or not learning) in {v['wins']} of {v['n']} settings: {lines}.")
        cells = ("；" if zh else "; ").join(focus_line(c, ev, lang) for c in v["cells"])
        if zh:
            return (f"我们的注意力落在决定性词上（超过均匀份额的 {_F} 倍）且位置确实起作用"
                    f"（打乱后超过 {_P} 的预测翻转）的长文本设置有 {v['good']} 个（共 {v['n']} 个）："
                    f"{cells}；{minilm_line(ev, lang)}。")
        return (f"Our attention sits on the deciding word (above {_F}x uniform) and its placement matters (over {_P} "
                f"of decisions flip when permuted) in {v['good']} of {v['n']} long-text settings: {cells}; "
                f"{minilm_line(ev, lang)}.")

    def gate(self, g: Gate, ev, lang: str) -> str:
        if g.kind == "compared":
            return cell_line(g.values, ev, lang)
        v = g.values
        for c in CELLS:  # "attention pooling, needle T=16 LSTM: 4 of 5 seeds ..."
            for p in POOLINGS:
                if g.kind == "reached" and v["evidence"] == names.steps(c, p):
                    if lang == "zh":
                        return (f"{POOLING_ZH[p]}，{what(c, ev, lang)}：{seeds_zh(v['k'], v['n'])}阈值"
                                f"（需要 {v['need']} 个）")
                    return (f"{p} pooling, {what(c, ev, lang)}: {v['k']} of {v['n']} seeds reached the threshold "
                            f"(need {v['need']})")
        return super().gate(g, ev, lang)

    def flip(self, f: Flip, ev, lang: str) -> str:
        zh, then = lang == "zh", verdict(f.verdict, lang)
        end = f"，结论将是「{then}」" if zh else f": {then}"
        for c in LONG_CELLS:
            w = what(c, ev, lang)
            best = ev[names.best_other(c)].value
            if f.evidence == names.speedup(c):
                x = num(f.value, 2)
                return (f"若{w} 中{POOLING_ZH[best]}达到 {_T} 所需步数是注意力池化的 {x} 倍{end}" if zh
                        else f"if {best} pooling needed {x}x attention's steps to {_T} ({w}){end}")
            for p in ("attention", best):
                if f.evidence == names.steps(c, p) and math.isinf(f.value):
                    return (f"若{w} 中{POOLING_ZH[p]}没有一个种子达到 {_T}{end}" if zh
                            else f"if {p} pooling reached {_T} in no seed ({w}){end}")
            if f.evidence == names.focus(c):
                x = num(f.value, 1)
                return (f"若{w} 中决定性词上的权重是均匀份额的 {x} 倍{end}" if zh
                        else f"if the weight on the deciding word were {x}x uniform ({w}){end}")
            if f.evidence == names.flips(c):
                return (f"若{w} 中打乱权重后有 {pct(f.value)} 的预测翻转{end}" if zh
                        else f"if permuting the weights flipped {pct(f.value)} of the decisions ({w}){end}")
        if f.evidence == names.MINILM_POLAR_RATIO:
            x = num(f.value, 2)
            return (f"若 {MINILM} 给极性词的注意力是均匀份额的 {x} 倍{end}" if zh
                    else f"if {MINILM} gave the polar word {x}x the uniform share{end}")
        if f.evidence == names.MINILM_POLAR_WORD_RATIO:
            x = num(f.value, 2)
            return (f"若 {MINILM} 给极性词的注意力是句中平均词份额的 {x} 倍{end}" if zh
                    else f"if {MINILM} gave the polar word {x}x the mean word's share{end}")
        return super().flip(f, ev, lang)

    def would_change(self, r: Ruling, ev, lang: str) -> str:
        zh = lang == "zh"
        if r.case == R.UNCLEAR:
            more = (f"增加种子数，使跨过 {_M} 的步数比区间落到它的一侧" if zh else
                    f"More seeds, so that the step ratios whose intervals straddle {_M} fall on one side of it")
            flips = ("；" if zh else "; ").join(self.flip(f, ev, lang) for f in r.flips)
            if not flips:
                return f"{more}。" if zh else f"{more}."
            return f"{more}；或者：{flips}。" if zh else f"{more}; or else: {flips}."
        if r.case != GATE_FAILED and not r.flips:  # no one number moves it: say what would
            if r.name == R.FOCUSES:
                return (f"某个长文本设置中决定性词上的权重高于均匀份额的 {_F} 倍，"
                        f"且打乱权重后超过 {_P} 的预测翻转。" if zh
                        else f"A long-text setting where the weight on the deciding word lies above {_F}x uniform and "
                             f"permuting it flips more than {_P} of the decisions.")
            return (f"某个长文本设置中，两种池化都学会了任务，且步数比的区间落在 {_M} 的另一侧。" if zh
                    else f"A long-text setting where both poolings learn and the step ratio's interval lies on the "
                         f"other side of {_M}.")
        return super().would_change(r, ev, lang)

    def summary(self, rs: Rulings, ev) -> str:
        parts = [f"{what(c, ev, 'en')}: " + ", ".join(
            f"{p} {fmt(ev[names.steps(c, p)])}" for p in POOLINGS)
            for c in LONG_CELLS]
        v = rs.verdicts
        compared = [R.compare(ev, c) for c in LONG_CELLS]
        bow = [num(ev[names.baseline(t, "bag_of_words")].number, 2) for t in ("needle", "contrast")]
        return (f"Median steps to {_T} held-out accuracy on long texts: " + "; ".join(parts) + ". "
                f"On the keyword task a bag of words is exact ({bow[0]}); on the compositional task every order-free "
                f"predictor and every single-polar-word predictor scores {bow[1]}. Attention against the best other "
                "pooling: " + "; ".join(cell_line(c, ev, "en") for c in compared)
                + f". On long text, RNN + attention beats RNN + pooling by a good margin is {v[R.BEATS]}. Where our "
                "attention looks: " + "; ".join(focus_line(R.focus_cell(ev, c), ev, "en") for c in LONG_CELLS)
                + f"; {minilm_line(ev, 'en')}. Attention focuses on what matters is {v[R.FOCUSES]}. "
                "Permuting the weights at test time leaves the trained encoder as it is: it shows that this model's "
                "output depends on where the weight sits, not that the weights explain the decision (Wiegreffe & "
                "Pinter 2019); uniform weights are their test of whether attention is needed at all. "
                + self.overall(rs, ev))

    def answer(self, rs: Rulings, ev, lang: str) -> str:
        return _answer(rs, ev, lang)

    def oneline(self, rs: Rulings, ev, lang: str) -> str:
        return oneline(rs, ev, lang)


def _brief(v: dict[str, Any], ev, lang: str) -> str:
    """A few words on one long cell for the short answer."""
    zh, best = lang == "zh", v["best"]
    best_zh = POOLING_ZH[best]
    if v["outcome"] == R.UNLEARNED:
        return "两者都没学会" if zh else "neither learned"
    if v["by"] == R.BY_LEARNING:
        if v["outcome"] == R.WINS:
            return f"只有注意力池化学会了，{best_zh}没有" if zh else f"only attention learned, {best} did not"
        return f"只有{best_zh}学会了，注意力池化没有" if zh else f"only {best} learned, attention did not"
    ratio = ev[names.speedup(tuple(v["cell"]))]
    x = fmt(ratio, lang) if isinstance(ratio.value, str) else num(ratio.number, 2)
    return f"{best_zh}需要其 {x} 倍的步数" if zh else f"{best} needs {x}x its steps"


def _answer(rs: Rulings, ev, lang: str) -> str:
    zh = lang == "zh"
    length = num(ev[names.length("long")].number, 0)
    n_seeds = len(ev[names.steps(LONG_CELLS[0], "attention")].per_seed or [])
    compared = [R.compare(ev, c) for c in LONG_CELLS]
    wins = sum(v["outcome"] == R.WINS for v in compared)
    cells = ("；" if zh else "; ").join(
        (f"{TASK_WORDS[c[0]][1]}任务、{ENCODER_NAMES[c[2]]}：" if zh else f"{TASK_WORDS[c[0]][0]} task, "
         f"{ENCODER_NAMES[c[2]]}: ") + _brief(v, ev, lang) for c, v in zip(LONG_CELLS, compared, strict=True))
    lead = {"confirmed": ("Yes, on our tasks: ", "在我们的任务上成立："),
            "qualified": ("Only in part: ", "只部分成立："),
            "refuted": ("Not by a good margin: ", "差距没有原文说的那么大：")}[rs.verdict][1 if zh else 0]
    focus = [ev[names.focus(c)].number for c in LONG_CELLS]
    flips = [ev[names.flips(c)].number for c in LONG_CELLS]
    good = sum(v["concentrated"] and v["matters"] for v in (R.focus_cell(ev, c) for c in LONG_CELLS))
    fs, ps, k = _span(focus, lambda x: num(x, 1)), _span(flips, pct), len(LONG_CELLS)
    bow = [num(ev[names.baseline(t, "bag_of_words")].number, 2) for t in ("needle", "contrast")]
    mini = R.minilm_outcome(ev)
    if zh:
        out = [f"{lead}在长文本（T={length} 个词）上，带注意力池化的 LSTM 明显胜过平均、最大池化中较好的一种"
               f"（对方达到 {_T} 准确率需要其 {_M} 倍以上的步数，或学不会）的设置有 {wins} 个（共 {len(compared)} 个；"
               f"{cells}）。",
               f"训练后的注意力在决定标签的词上放了均匀份额 1/T 的 {fs} 倍权重，把权重随机换位会让 {ps} 的预测翻转"
               f"（{k} 个设置中有 {good} 个同时越过 {_F} 倍和 {_P} 两条线）。"]
    else:
        out = [f"{lead}on long texts (T={length} words) an LSTM with attention pooling beat the better of mean and max "
               f"pooling by a clear margin (the other needing over {_M}x its steps to {_T} accuracy, or not "
               f"learning) in {wins} of {len(compared)} settings ({cells}).",
               f"The trained attention puts {fs} times the uniform share 1/T on the word that decides the label, and "
               f"moving the weights to random positions flips {ps} of the decisions ({good} of {k} settings clear "
               f"both the {_F}x and the {_P} bar)."]
        out[0] = out[0][0].upper() + out[0][1:]
    if mini != R.UNAVAILABLE:
        out.append(_minilm_answer(ev, mini, lang))
    if zh:
        out.append(f"每个条件 {n_seeds} 个种子（配对 95% 区间），文本是合成的：词袋在关键词任务上得 {bow[0]}，"
                   f"在转折任务上得 {bow[1]}；置换检验只能说明输出是否取决于权重放在哪里，不能说明权重解释了预测。")
        return "".join(out)
    out.append(f"Each condition ran {n_seeds} seeds (paired 95% intervals) on synthetic texts, where a bag of words "
               f"scores {bow[0]} on the keyword task and {bow[1]} on the but/although task; a permutation test shows "
               "only whether the output depends on where the weight sits, not that the weights explain it.")
    return " ".join(out)


def _minilm_answer(ev, mini: str, lang: str) -> str:
    zh = lang == "zh"
    r, wr = ev[names.MINILM_POLAR_RATIO].number, ev[names.MINILM_POLAR_WORD_RATIO].number
    below = r < 1.0  # less than the uniform share (the unit of r): [CLS] and [SEP] take more than theirs
    if mini == R.SINGLES_OUT:
        how = ("明显多于句中平均的词" + ("，但少于均匀份额，因为 [CLS] 和 [SEP] 拿走了更多" if below else "") if zh else
               "clearly more than the average word" + (", though less than the uniform share, as [CLS] and [SEP] "
                                                       "take more than theirs" if below else ""))
    elif mini == R.NOT_SINGLED:
        how = ("少于均匀份额或句中平均的词" if zh else "less than the uniform share or the average word")
    else:
        how = "并不明显多于句中平均的词" if zh else "not clearly more than the average word"
    n_sent = ev[names.MINILM_POLAR_RATIO].n or 1
    if zh:
        more = f"（{n_sent} 个取自情感词典的句子）" if n_sent > 1 else ""
        return (f"在预训练的 {MINILM} 中{more}，极性词得到的注意力是均匀份额的 {num(r, 2)} 倍、平均词份额的 "
                f"{num(wr, 2)} 倍：{how}。")
    more = f" ({n_sent} sentences from a sentiment lexicon)" if n_sent > 1 else ""
    return (f"In the pretrained {MINILM} the polar word{more} receives {num(r, 2)}x the "
            f"uniform share of attention and {num(wr, 2)}x the average word's share: {how}.")


WORDS = WhyWords()
