"""q8's short answer (en, zh) of a decided run, and where unscaled attention collapses against Britz et al."""

from __future__ import annotations

from attnlab.lab import rules
from attnlab.lab.rules import Rulings
from attnlab.lab.words import num
from attnlab.questions.q8_scores import evidence as E
from attnlab.questions.q8_scores import phrases as P
from attnlab.questions.q8_scores.rule import BRITZ, COST, LUONG, SCALING, SLOWER, compare, memory_ratio
from attnlab.questions.q8_scores.settings import (
    ADDITIVE,
    HEAD_DIMS,
    LARGE,
    RNN,
    SCALED,
    SCORES,
    SMALL,
    SPEEDUP,
    head_dim,
)

M = num(SPEEDUP, 1)
DS, DL = min(HEAD_DIMS), max(HEAD_DIMS)

# What each sub-claim's verdict says, for the short answer (English, Chinese).
_SAYS = {
    BRITZ: {"confirmed": ("additive beats unscaled multiplicative attention at large d_k, as Britz et al. found",
                          "大 d_k 时加性注意力胜过未缩放的乘性注意力，与 Britz 等人的结果一致"),
            "qualified": ("additive beats unscaled multiplicative attention only in part",
                          "加性注意力只在部分情形下胜过未缩放的乘性注意力"),
            "refuted": ("unscaled multiplicative attention keeps up with additive here, unlike in Britz et al.",
                        "这里未缩放的乘性注意力跟得上加性注意力，与 Britz 等人的结果不同"),
            "inconclusive": ("whether additive beats unscaled multiplicative attention is undecided",
                             "加性注意力是否胜过未缩放的乘性注意力尚无定论")},
    SCALING: {"confirmed": ("scaling by 1/√d_k closes the gap", "除以 √d_k 消除了差距"),
              "qualified": ("scaling by 1/√d_k closes the gap in some places and not in others",
                            "除以 √d_k 只在部分情形下消除了差距"),
              "refuted": ("scaling by 1/√d_k does not close the gap", "除以 √d_k 没有消除差距"),
              "inconclusive": ("whether scaling closes the gap is undecided", "缩放能否消除差距尚无定论")},
    LUONG: {"confirmed": ("the multiplicative scores are as good as additive there, as Luong et al. report",
                          "乘性打分在这些情形下与加性打分一样好，与 Luong 等人的报告一致"),
            "qualified": ("the multiplicative scores are as good as additive in only some of these cases",
                          "乘性打分只在其中部分情形下与加性打分一样好"),
            "refuted": ("the multiplicative scores are slower than additive there, unlike in Luong et al.",
                        "乘性打分在这些情形下比加性打分慢，与 Luong 等人的报告不同"),
            "inconclusive": ("whether they are as good as additive there is undecided",
                             "它们是否与加性打分一样好尚无定论")},
    COST: {"confirmed": ("dot products are both faster and smaller, as Vaswani et al. say",
                         "点积确实更快也更省内存，与 Vaswani 等人的说法一致"),
           "faster_only": (f"dot products are faster, but the memory gap stays within {M}x",
                           f"点积更快，但内存差距不到 {M} 倍"),
           "smaller_only": (f"dot products need less memory, but are not clearly {M}x faster",
                            f"点积更省内存，但并不明显快 {M} 倍"),
           "refuted": (f"neither gap reaches {M}x here", f"这里两项差距都没有达到 {M} 倍"),
           "inconclusive": (f"whether dot products are {M}x faster is undecided", f"点积是否快 {M} 倍尚无定论")},
}


def _says(rs: Rulings, name: str, lang: str) -> str:
    c = rs.claim(name)
    key = c.case if name == COST and c.verdict == "qualified" else c.verdict
    return _SAYS[name][key][lang == "zh"]


def answer(rs: Rulings, ev, lang: str) -> str:
    """The short answer of a decided run: what each literature claim does here, with the deciding numbers."""
    zh = lang == "zh"
    n = rules.reached_count(ev[E.steps(LARGE, ADDITIVE)])[1]
    k = {sc: rules.reached_count(ev[E.steps(LARGE, sc)])[0] for sc in SCORES}
    acc = {sc: num(ev[E.acc(LARGE, sc)].number, 2) for sc in SCORES}
    vs = {m: {sc: P.brief(compare(ev, m, sc, ADDITIVE), ev, lang) for sc in ("dot", "general")} for m in (SMALL, RNN)}
    time = P.times(ev[E.time_ratio("layer_ref", ADDITIVE)], lang)
    fast = P.times(ev[E.time_ratio("layer", ADDITIVE)], lang)
    mem, mem_fast = num(memory_ratio(ev, "reference"), 2), num(memory_ratio(ev, "auto"), 2)
    regime = P.regime(ev, lang)
    rnn_sd = P.brief(compare(ev, RNN, SCALED, ADDITIVE), ev, lang)
    britz, scaling, luong, cost = (_says(rs, c, lang) for c in (BRITZ, SCALING, LUONG, COST))
    T = P.T
    if zh:
        return (
            f"原文列出了点积、缩放点积（除以 √d_k）、通用（qᵀWk）、加性（vᵀtanh（W₁q + W₂k））等打分方式（还有余弦"
            f"打分，这里没有训练），但没有给出结论；这里在相同的模型里逐一训练，检验文献中的结论（1 个头，只变 d_k；"
            f"每个条件用自己扫描选出的学习率训练同样的步数，{n} 个种子，达到 {T} 准确率的步数之比取配对 95% 区间）。"
            f"d_k={DL} 时，未缩放的点积和通用打分分别在 {k['dot']}/{n} 和 "
            f"{k['general']}/{n} 个种子中达到 {T}，加性为 {k['additive']}/{n}，缩放点积为 {k['scaled_dot']}/{n}"
            f"（最终准确率 {acc['dot']}、{acc['general']}，对比 {acc['additive']}、{acc['scaled_dot']}）：{britz}，"
            f"而且{scaling}。d_k={DS} 时点积{vs[SMALL]['dot']}，通用打分{vs[SMALL]['general']}；"
            f"在 LSTM 编码器-解码器中点积{vs[RNN]['dot']}，通用打分{vs[RNN]['general']}：{luong}；而缩放点积在 LSTM "
            f"中{rnn_sd}。所有打分都用同一个显式构造打分矩阵的内核时（{regime}），加性注意力每层（前向加反向）的耗时"
            f"是缩放点积的 {time} 倍，为反向传播保存的内存是 {mem} 倍；用库的快速内核（分块加性内核对比融合的 SDPA，"
            f"比较的是实现而不是打分函数）时为 {fast} 倍和 {mem_fast} 倍：{cost}。")
    return (
        f"The seed lists dot, scaled dot (÷√d_k), general (qᵀWk), additive (vᵀtanh(W₁q + W₂k)) (and cosine, not "
        f"trained here) and claims nothing about them; the literature's claims were tested by training each in the "
        f"same models (one head, d_k alone varying; each condition at the rate its own sweep chose for the same "
        f"budget; {n} seeds each, paired 95% intervals on the ratios of steps to {T} accuracy). "
        f"At d_k={DL}, unscaled dot and "
        f"general reached {T} in {k['dot']}/{n} and {k['general']}/{n} seeds, additive in {k['additive']}/{n} and "
        f"scaled dot in {k['scaled_dot']}/{n} (final accuracy {acc['dot']} and {acc['general']} against "
        f"{acc['additive']} and {acc['scaled_dot']}): {britz}, and {scaling}. At d_k={DS} dot {vs[SMALL]['dot']} and "
        f"general {vs[SMALL]['general']}, in an LSTM encoder-decoder dot {vs[RNN]['dot']} and general "
        f"{vs[RNN]['general']}: {luong}; but scaled dot in the LSTM {rnn_sd}. With every score on the same "
        f"materialising kernel ({regime}) additive attention took {time}x scaled dot's time per layer (forward and "
        f"backward) and kept {mem}x its memory for backward; on the library's fast kernels (chunked additive "
        f"against fused SDPA, a comparison of implementations rather than of scores) {fast}x and {mem_fast}x: "
        f"{cost}.")


def britz_onset(rs: Rulings, ev) -> str:
    """Where unscaled multiplicative attention starts to fall behind additive here, with the interval of each
    width's step ratio, against Britz et al.'s 1024."""
    values = rs.claim(BRITZ).values
    if "onset" not in values:
        return ""
    parts = []
    for sc, o in values["onset"].items():
        first = o["first"]
        ratios = ", ".join(f"d_k={head_dim(m)} {P.ratio_text(ev[E.ratio(m, sc, ADDITIVE)], 'en')}" for m in o["by"])
        where = (f"from d_k={head_dim(first)} on" if first is not None else "at none of the widths")
        parts.append(f"unscaled {sc} falls behind additive {where} (steps ratio to additive: {ratios})")
    return ("Where the collapse begins: " + "; ".join(parts) + ". Britz et al. saw multiplicative attention keep up "
            "at 128-512 units and fall behind only at 1024; their 1024 is an LSTM attention layer's size, ours one "
            "head's width on an exact lookup, so the two onsets are not directly comparable. ")


def rnn_counter(ev) -> str:
    """The counter-result the LSTM gives: scaled dot against additive and against unscaled dot."""
    sd = compare(ev, RNN, SCALED, ADDITIVE)
    if sd["outcome"] not in (SLOWER,) or E.ratio(RNN, "dot", SCALED) not in ev:
        return ""
    return (f"A counter-result: in the LSTM encoder-decoder scaled dot {P.brief(sd, ev, 'en')} (ratio "
            f"{P.ratio_text(ev[E.ratio(RNN, SCALED, ADDITIVE)], 'en')}), and unscaled dot needed "
            f"{P.ratio_text(ev[E.ratio(RNN, 'dot', SCALED)], 'en')}x scaled dot's steps: there the 1/√d scaling "
            "slows learning. ")
