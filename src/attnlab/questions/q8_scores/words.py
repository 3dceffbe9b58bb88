"""q8's sentences, in English and Chinese, built from the rule's verdicts and numbers."""

from __future__ import annotations

from attnlab.lab.rules import Flip, Gate, Ruling, Rulings
from attnlab.lab.words import Words, fmt, num, pct
from attnlab.questions.q8_scores import evidence as E
from attnlab.questions.q8_scores import phrases as P
from attnlab.questions.q8_scores.answer import answer, britz_onset, rnn_counter
from attnlab.questions.q8_scores.oneline import oneline
from attnlab.questions.q8_scores.rule import BRITZ, COST, LUONG, SCALING, memory_ratio
from attnlab.questions.q8_scores.settings import (
    ADDITIVE,
    HEAD_DIMS,
    LARGE,
    MIN_REACHED,
    MODELS,
    SCALED,
    SCORES,
    SPEEDUP,
    UNSCALED,
)

M, T = num(SPEEDUP, 1), P.T  # the margin and the threshold as the sentences print them
DS, DL = min(HEAD_DIMS), max(HEAD_DIMS)

_STATEMENTS = {
    BRITZ: ("Additive attention beats unscaled multiplicative attention as d_k grows (Britz et al. 2017).",
            "d_k 增大时，加性注意力优于未缩放的乘性注意力（Britz et al. 2017）。"),
    SCALING: ("Scaling the dot product by 1/√d_k closes the gap to additive attention (Vaswani et al. 2017), at "
              "every d_k and in the RNN encoder-decoder.",
              "把点积除以 √d_k 就能消除与加性注意力的差距（Vaswani et al. 2017），在每个 d_k 下以及 RNN "
              "编码器-解码器中都如此。"),
    LUONG: ("Dot and general scores are as good as additive in an RNN encoder-decoder and at small d_k "
            "(Luong et al. 2015).",
            "在 RNN 编码器-解码器中以及 d_k 较小时，点积和通用打分与加性打分一样好（Luong et al. 2015）。"),
    COST: ("Dot-product attention is much faster and more space-efficient than additive attention "
           "(Vaswani et al. 2017).", "点积注意力比加性注意力快得多，也更省内存（Vaswani et al. 2017）。"),
}
_RULES = {
    BRITZ: f"Rule: confirmed if additive beats both unscaled multiplicative scores ({', '.join(UNSCALED)}) at d_k={DL} "
           f"(they reach {T} in fewer than {pct(MIN_REACHED)} of the seeds while additive does, or need more than "
           f"{M}x its steps, the paired interval above {M}) while at d_k={DS} they are as good (interval below {M}); "
           "qualified if it beats them only partly or also at small d_k; refuted if at large d_k they are as good "
           "as additive; inconclusive otherwise.",
    SCALING: f"Rule: at each d_k of the Transformer and in the LSTM the gap is closed where scaled_dot reaches {T} "
             f"and needs less than {M}x additive's steps (interval below), open where it is slower by the margin or "
             "does not learn: confirmed if closed everywhere, refuted if open everywhere, qualified if closed in "
             "some places and open or undecided in others, inconclusive otherwise.",
    LUONG: f"Rule: dot and general are competitive where they reach {T} and need less than {M}x additive's steps "
           f"(interval below): confirmed if so in the RNN encoder-decoder and in the Transformer at d_k={DS}, "
           "qualified if in some, refuted if slower everywhere, inconclusive otherwise.",
    COST: f"Rule, on the same materialising kernel for every score (the score function's cost, not a kernel's): "
          f"confirmed if additive is slower by more than {M}x per layer (interval above) and keeps more than {M}x "
          f"the memory for backward; qualified if only one holds; refuted if the time ratio's interval lies below "
          f"{M} and memory does not differ by it; inconclusive otherwise. The library's fast kernels are reported "
          "beside it.",
}


def _cmps(cs, ev, lang: str, *, where: bool = False) -> list[str]:
    sep = "：" if lang == "zh" else ": "
    return [(E.describe(c["model"], lang) + sep if where else "") + P.comparison(c, ev, lang) for c in cs]


class ScoresWords(Words):
    def statement(self, r: Ruling, ev, lang: str) -> str:
        en, zh = _STATEMENTS[r.name]
        return zh if lang == "zh" else en

    def rule(self, r: Ruling, ev) -> str:
        v = r.values
        if r.name == BRITZ:
            parts = _cmps([*v["large"], *v["small"]], ev, "en", where=True)
        elif r.name == SCALING:
            parts = _cmps([*v["parts"], v["dot"]], ev, "en", where=True)
        elif r.name == LUONG:
            parts = _cmps(v["parts"], ev, "en", where=True)
        else:
            t_ref, t_layer = ev[E.time_ratio("layer_ref", ADDITIVE)], ev[E.time_ratio("layer", ADDITIVE)]
            t_step = ev[E.time_ratio("step", ADDITIVE)]
            parts = [f"additive / scaled_dot time per attention layer on the same materialising kernel "
                     f"{P.ratio_text(t_ref, 'en')} ({P.regime(ev, 'en')}); "
                     f"memory kept for backward at the longest length "
                     f"{num(v['memory'], 2)}x; beside it, the library's fast kernels (chunked additive against fused "
                     f"SDPA) {P.ratio_text(t_layer, 'en')} in time and {num(v['memory_fast'], 2)}x in memory, "
                     f"{P.ratio_text(t_step, 'en')} per training step of the small lookup model"]
        return f"{r.verdict}: " + "; ".join(parts) + ". " + _RULES[r.name]

    def because(self, r: Ruling, ev, lang: str) -> str:
        v, zh = r.values, lang == "zh"
        if r.name == BRITZ:
            big, little = _cmps(v["large"], ev, lang), _cmps(v["small"], ev, lang)
            if zh:
                return f"与加性打分相比，d_k={DL} 时：" + "；".join(big) + f"；d_k={DS} 时：" + "；".join(little) + "。"
            return f"Against additive, at d_k={DL}: " + "; ".join(big) + f"; at d_k={DS}: " + "; ".join(little) + "."
        if r.name == SCALING:
            parts = _cmps(v["parts"], ev, lang, where=True)
            dot = _cmps([v["dot"]], ev, lang)[0]
            return ("缩放点积与加性打分相比：" + "；".join(parts) + f"。d_k={DL} 时去掉缩放：{dot}。" if zh
                    else "Scaled dot against additive: " + "; ".join(parts) + f". At d_k={DL} without the scaling: "
                         f"{dot}.")
        if r.name == LUONG:
            by = {}
            for c in v["parts"]:
                by.setdefault(c["model"], []).append(P.comparison(c, ev, lang))
            if zh:
                return "与加性打分相比：" + "；".join(f"{E.describe(m, lang)}：" + "，".join(t)
                                                for m, t in by.items()) + "。"
            return "Against additive: " + "; ".join(f"{E.describe(m)}: " + ", ".join(t) for m, t in by.items()) + "."
        t_ref = P.ratio_x(ev[E.time_ratio("layer_ref", ADDITIVE)], lang)
        t_layer = P.ratio_x(ev[E.time_ratio("layer", ADDITIVE)], lang)
        mem, fast = num(v["memory"], 2), num(v["memory_fast"], 2)
        if zh:
            return (f"{P.regime(ev, 'zh')}，所有打分都用同一个显式构造打分矩阵的内核时，加性打分每层注意力的耗时是缩放"
                    f"点积打分的 {t_ref}，为反向传播保存的内存是 {mem} 倍；用库的快速内核（分块加性内核对比融合的 "
                    f"SDPA）时为 {t_layer}，内存 {fast} 倍。")
        return (f"With every score on the same materialising kernel ({P.regime(ev, 'en')}), additive takes {t_ref} "
                f"scaled_dot's time per attention layer and keeps {mem}x its memory for backward; on the library's "
                f"fast kernels (chunked additive against fused SDPA) {t_layer} and {fast}x.")

    def gate(self, g: Gate, ev, lang: str) -> str:
        v, zh = g.values, lang == "zh"
        if g.kind == "best_learned":
            best, where = P.sc(v["score"], lang), E.describe(v["model"], lang)
            some = f"{v['n']} 个种子都没有达到" if v["k"] == 0 else f"{v['n']} 个种子中有 {v['k']} 个达到"
            return (f"最好的打分函数（{best}），{where}：{some}阈值（需要 {v['need']} 个）"
                    if zh else f"best score ({best}), {where}: {v['k']} of {v['n']} seeds reached the threshold "
                               f"(need {v['need']})")
        return super().gate(g, ev, lang)  # the standard checks and the quiet check: the engine's words

    def flip(self, f: Flip, ev, lang: str) -> str:
        return P.flip(f, ev, lang) or super().flip(f, ev, lang)

    def summary(self, rs: Rulings, ev) -> str:
        lines = [f"{E.describe(m)}: " + ", ".join(f"{sc} {fmt(ev[E.steps(m, sc)])}" for sc in SCORES) for m in MODELS]
        acc = {sc: fmt(ev[E.acc(LARGE, sc)], "en", 2) for sc in SCORES}
        v = rs.verdicts
        mem = [num(memory_ratio(ev, "auto"), 2), num(memory_ratio(ev, "reference"), 2)]
        return (
            f"The four scores in the same models (one head, d_k alone varying; every run trains the same budget at "
            f"the rate its own sweep chose); median steps to {T} accuracy, with the seeds that reached "
            "it (\"not reached within N steps\": at least half of the seeds did not): " + "; ".join(lines) + ". "
            f"At d_k={DL} the unscaled scores end at {acc['dot']} (dot) and {acc['general']} (general) accuracy "
            f"against {acc['additive']} for additive and {acc['scaled_dot']} for scaled_dot (no-lookup baseline "
            f"{num(ev[E.baseline('transformer', 'no_lookup')].number, 2)}): additive beats unscaled multiplicative at "
            f"large d_k (Britz et al. 2017) is {v[BRITZ]}, scaling closes the gap is {v[SCALING]}. Dot and general as "
            f"good as additive in the RNN encoder-decoder and at d_k={DS} (Luong et al. 2015) is {v[LUONG]}. "
            f"On the same materialising kernel ({P.regime(ev, 'en')}) additive attention takes "
            f"{P.ratio_x(ev[E.time_ratio('layer_ref', ADDITIVE)], 'en')} {SCALED}'s time per layer and keeps "
            f"{mem[1]}x its memory for backward (fast kernels: "
            f"{P.ratio_x(ev[E.time_ratio('layer', ADDITIVE)], 'en')}, {mem[0]}x): dot products faster and smaller "
            f"(Vaswani et al. 2017) is {v[COST]}. Britz et al. "
            "measured BLEU of LSTM translation models with attention dimensions up to 1024, a different regime: "
            "their numbers are literature here, not anchors. " + britz_onset(rs, ev) + rnn_counter(ev)
            + self.overall(rs, ev))

    def answer(self, rs: Rulings, ev, lang: str) -> str:
        return answer(rs, ev, lang)

    def oneline(self, rs: Rulings, ev, lang: str) -> str:
        return oneline(rs, ev, lang)


WORDS = ScoresWords()
__all__ = ["WORDS", "ScoresWords"]
