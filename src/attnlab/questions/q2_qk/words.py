"""q2's words: the rulings of :mod:`attnlab.questions.q2_qk.rule` in English and Chinese."""

from __future__ import annotations

from attnlab.lab import rules
from attnlab.lab.rules import Gate, Ruling, Rulings
from attnlab.lab.words import Words, fmt, num, pct
from attnlab.questions.q2_qk import evidence as names
from attnlab.questions.q2_qk import oneline as short
from attnlab.questions.q2_qk.rule import PLATEAU_KIND, TEXT_LEARNED_KIND
from attnlab.questions.q2_qk.settings import (
    MIN_GAIN,
    MIN_SPEEDUP,
    PLATEAU,
    TEXT_MARGIN,
    THRESHOLD,
    VARIANT_ZH,
    VARIANTS,
)

# the settings as the sentences print them (imported, never redefined)
_THRESHOLD, _MIN_GAIN, _MIN_SPEEDUP = num(THRESHOLD, 2), num(MIN_GAIN, 2), num(MIN_SPEEDUP, 1)
_TEXT_MARGIN = num(TEXT_MARGIN, 2)
STATEMENTS = {
    "expressive_power": ("Separate W_Q and W_K can express relations a single shared matrix cannot.",
                         "分开的 W_Q 和 W_K 能表达单个共享矩阵表达不了的关系。"),
    "helps_in_practice": ("The extra expressive power helps a full Transformer block learn a one-way relation (the "
                          "3-cycle task; natural text is the next sub-claim).",
                          "这种额外的表达能力能帮助完整的 Transformer 块学会单向关系"
                          "（置换的 3-轮换任务；自然文本见下一个子论断）。"),
    "helps_on_text": ("Separate W_Q and W_K help a small language model on natural text (held-out English prose, "
                      "character level) at an equal parameter count.",
                      "参数量相同时，分开的 W_Q 和 W_K 能帮助小型语言模型处理自然文本（留出的英文文本，字符级）。"),
}
BLOCK = {  # how a full block fares, by the verdict of helps_in_practice
    "confirmed": ("separate projections also help a full block", "分开投影在完整的 Transformer 块里也有帮助"),
    "qualified": ("the feed-forward layer compensates", "前馈层弥补了对称性"),
    "refuted": ("shared projections do better in a full block", "完整的 Transformer 块里共享投影更好"),
    "inconclusive": ("whether it matters in a full block is undecided", "在完整的 Transformer 块里是否有影响尚无定论"),
}
TEXT = {  # what the text LM shows, by the verdict of helps_on_text
    "confirmed": ("separate projections help on text too, at equal parameters", "参数量相同时分开投影在文本上也有帮助"),
    "refuted": (f"no gain of {_TEXT_MARGIN} nats/char or more on text at equal parameters",
                f"参数量相同时在文本上没有达到 {_TEXT_MARGIN} 奈特/字符的提升"),
    "inconclusive": ("whether they help on text is undecided", "在文本上是否有帮助尚无定论"),
}


def plateau_text(v: dict, lang: str) -> str:
    """The plateau check: how much each arm's held-out loss still fell over the second half of its budget."""
    zh = lang == "zh"
    short = {"separate": "separate", "shared": "shared", "shared_matched": "shared (matched)"}
    falls = "、".join(f"{VARIANT_ZH[k]} {num(x, 3)}" for k, x in v["falls"].items()) if zh else ", ".join(
        f"{short.get(k, k)} {num(x, 3)}" for k, x in v["falls"].items())
    bound = num(v["bound"], 2)
    if zh:
        head = "文本语言模型已不再改进" if not v["still"] else "文本语言模型在预算后半程仍在改进，比较读不出结果"
        return f"{head}：后半程留出损失下降量的区间上端为 {falls} 奈特/字符（须都低于 {bound}）"
    head = "the text LM had stopped improving" if not v["still"] else (
        "the text LM was still improving in the second half of its budget, so its comparison cannot be read")
    return f"{head}: upper ends of its held-out loss fall over the second half {falls} nats/char (each must be below " \
           f"{bound})"


def _not_compared(ev, lang: str) -> str:
    """How many seeds reached the threshold in a full block, where too few did in both to form a steps ratio."""
    k_sep, n = rules.reached_count(ev[names.steps("block", "asymmetric", "separate")])
    k_sha, _ = rules.reached_count(ev[names.steps("block", "asymmetric", "shared")])
    return (f"分开 {k_sep}/{n}、共享 {k_sha}/{n} 个种子达到 {_THRESHOLD}" if lang == "zh"
            else f"{k_sep}/{n} seeds reached {_THRESHOLD} with separate, {k_sha}/{n} with shared")


def needs(ev, lang: str, digits: int = 3) -> str:
    """"shared needs 2.715 [2.315, 3.184] times the steps of separate" in a full block (or why there is no ratio)."""
    s = ev[names.speedup("block", "asymmetric", "shared")]
    if isinstance(s.value, str):
        return (f"共享与分开投影的步数无法比较（{_not_compared(ev, lang)}）" if lang == "zh"
                else f"the steps of shared and separate cannot be compared ({_not_compared(ev, lang)})")
    x = fmt(s, lang, digits) if digits else num(s.number, 1)
    return (f"共享矩阵所需步数是分开投影的 {x} 倍" if lang == "zh"
            else f"shared needs {x} times the steps of separate")


class QKWords(Words):
    def statement(self, r: Ruling, ev, lang: str) -> str:
        return STATEMENTS[r.name][lang == "zh"]

    def gate(self, g: Gate, ev, lang: str) -> str:
        if g.kind == PLATEAU_KIND:
            return plateau_text(dict(g.values), lang)
        if g.kind != TEXT_LEARNED_KIND:
            return super().gate(g, ev, lang)
        v = g.values
        loss, unigram, factor = num(v["loss"]), num(v["unigram"]), num(v["factor"], 1)
        if lang == "zh":
            return (f"文本语言模型，{VARIANT_ZH[v['variant']]}：留出损失 {loss} 奈特/字符，"
                    f"须低于一元预测器 {unigram} 的 {factor} 倍")
        return (f"text LM, {v['variant']}: held-out loss {loss} nats/char against {factor} x the unigram predictor's "
                f"{unigram} (must be below)")

    def rule(self, r: Ruling, ev) -> str:
        if r.name == "expressive_power":
            g, g_sym = ev[names.gain("attention", "asymmetric", "shared")], ev[names.gain("attention", "symmetric",
                                                                                        "shared")]
            pf = ev[names.partner_first("attention", "asymmetric", "shared")]
            return (f"{r.verdict}: with attention read linearly, separate beats shared on the asymmetric task by "
                    f"{fmt(g)} accuracy (paired, {g.n} seeds) and by {fmt(g_sym)} on the symmetric control; shared "
                    f"ranks the partner first for {fmt(pf)} of tokens (bound 2/3). Rule: confirmed if the gain's "
                    f"interval lies above {_MIN_GAIN}, refuted if below, else inconclusive.")
        if r.name == "helps_in_practice":
            g = ev[names.gain("block", "asymmetric", "shared")]
            return (f"{r.verdict}: in a full Transformer block on the asymmetric task, separate beats shared by "
                    f"{fmt(g)} accuracy at the end (paired) and {needs(ev, 'en')} to reach {_THRESHOLD}. "
                    f"Rule: confirmed if the accuracy gain's interval lies above {_MIN_GAIN} or the "
                    f"step ratio's above {_MIN_SPEEDUP}; refuted if shared is better beyond these margins; qualified "
                    f"(no difference that matters: a feed-forward layer compensates) if both intervals lie within "
                    f"them; else inconclusive.")
        gain, sep = ev[names.TEXT_GAIN_MATCHED], ev[names.text_loss("separate")]
        wide = ev[names.text_loss("shared_matched")]
        return (f"{r.verdict}: a 2-layer character LM on held-out English prose reaches {fmt(sep)} nats/char with "
                f"separate W_Q/W_K and {fmt(wide)} with one shared matrix whose heads are widened to the same "
                f"parameter count ({_gap(ev)}); shared minus separate, paired over {gain.n} seeds: {fmt(gain)} "
                f"(unmatched, shared with fewer parameters: {fmt(ev[names.TEXT_GAIN])}). Rule: confirmed if the "
                f"matched difference's interval lies above {_TEXT_MARGIN} nats/char, refuted if it lies below (no "
                f"gain that large, or shared better), else inconclusive; read only if every arm's held-out loss fell "
                f"by less than {num(PLATEAU, 2)} over the second half of the budget (it had stopped improving).")

    def because(self, r: Ruling, ev, lang: str) -> str:
        zh = lang == "zh"
        if r.name == "expressive_power":
            g = fmt(ev[names.gain("attention", "asymmetric", "shared")], lang)
            g_sym = fmt(ev[names.gain("attention", "symmetric", "shared")], lang)
            pf = fmt(ev[names.partner_first("attention", "asymmetric", "shared")], lang)
            return (f"分开投影在置换的 3-轮换任务上的准确率高出 {g}，在对称对照任务上高出 {g_sym}；"
                    f"共享矩阵只让 {pf} 的词元把最高注意力给了正确的伙伴（理论上最多 2/3）。" if zh else
                    f"Separate projections are {g} more accurate on the 3-cycle task, {g_sym} on the symmetric "
                    f"control; a shared matrix ranks the right partner first for only {pf} of tokens (at most 2/3 is "
                    "possible).")
        if r.name == "helps_in_practice":
            g = fmt(ev[names.gain("block", "asymmetric", "shared")], lang)
            return (f"在完整的 Transformer 块里，达到 {_THRESHOLD} 时{needs(ev, lang)}，最终准确率分开投影高出 {g}"
                    "（配对）。" if zh else
                    f"In a full Transformer block, to reach {_THRESHOLD} {needs(ev, lang)}, and separate ends {g} more "
                    "accurate (paired).")
        gain, raw = fmt(ev[names.TEXT_GAIN_MATCHED], lang), fmt(ev[names.TEXT_GAIN], lang)
        sep, wide = num(ev[names.text_loss("separate")].number), num(ev[names.text_loss("shared_matched")].number)
        fall = num(max(rules.interval(ev[names.text_fall(v)])[1] for v in ("separate", "shared", "shared_matched")), 3)
        return (f"在留出的英文文本上，小型字符级语言模型用分开的 W_Q/W_K 时损失为 {sep} 奈特/字符；共享一个矩阵、"
                f"把头加宽到参数量相同时为 {wide}（配对差 {gain}；不加宽、参数更少时为 {raw}）。后半程损失仍下降最多 "
                f"{fall} 奈特/字符。" if zh else
                f"On held-out English prose a small character LM reaches {sep} nats/char with separate W_Q/W_K and "
                f"{wide} with one shared matrix widened to the same parameter count (paired difference {gain}; "
                f"{raw} unwidened, with fewer parameters). Its loss still fell by up to {fall} nats/char over the "
                "second half of the budget.")

    def summary(self, rs: Rulings, ev) -> str:
        acc = {v: fmt(ev[names.acc("attention", "asymmetric", v)]) for v in VARIANTS}

        def reached(variant: str) -> str:
            k, n = rules.reached_count(ev[names.steps("attention", "symmetric", variant)])
            return f"{k}/{n}"

        control = "; ".join(f"{v} {fmt(ev[names.acc('attention', 'symmetric', v)])} ({reached(v)} seeds reached "
                            f"{_THRESHOLD})" for v in ("separate", "shared"))
        out = (f"On a relation no symmetric score can express (follow a 3-cycle), one attention layer read linearly "
               f"reaches {acc['separate']} held-out accuracy with separate W_Q and W_K, {acc['shared']} with one "
               f"shared matrix and {acc['none']} with no projection (paired gain of separate over shared "
               f"{fmt(ev[names.gain('attention', 'asymmetric', 'shared')])}). On the symmetric control: {control}. "
               f"With a full Transformer block the accuracy gain is "
               f"{fmt(ev[names.gain('block', 'asymmetric', 'shared')])} and {needs(ev, 'en')}: "
               f"{BLOCK[rs.verdicts['helps_in_practice']][0]}. "
               "The 3-cycle task isolates the one case where a symmetric score provably fails inside one layer (a "
               "cyclic one-way relation between token representations); a multi-layer model on natural data can "
               "route such relations through positions, other heads and other layers. ")
        if names.TEXT_GAIN in ev:
            p_sep, p_sha = ev[names.text_params("separate")].number, ev[names.text_params("shared")].number
            reading = TEXT.get(rs.verdicts.get("helps_on_text", "inconclusive"), TEXT["inconclusive"])[0]
            fall = max(rules.interval(ev[names.text_fall(v)])[1] for v in ("separate", "shared", "shared_matched"))
            out += (f"On natural text (a small character LM, {ev[names.TEXT_MODEL].value}, on held-out English prose): "
                    f"{fmt(ev[names.text_loss('separate')])} nats/char with separate W_Q/W_K, "
                    f"{fmt(ev[names.text_loss('shared')])} shared (unigram predictor "
                    f"{num(ev[names.TEXT_UNIGRAM].number)}). Sharing removes W_K: {num(p_sha, 0)} parameters against "
                    f"{num(p_sep, 0)} ({pct(1 - p_sha / p_sep)} fewer), so the unmatched difference "
                    f"{fmt(ev[names.TEXT_GAIN])} mixes symmetry with size; at equal parameters ({_gap(ev)}) shared "
                    f"minus separate is {fmt(ev[names.TEXT_GAIN_MATCHED])}: {reading}. The held-out loss still fell "
                    f"by up to {num(fall, 3)} nats/char over the second half of the budget (the comparison is read "
                    f"only below {num(PLATEAU, 2)}). Kitaev et al. 2020 found shared-QK Reformers train as well as "
                    "separate ones on enwik8 and imagenet64, at a far larger scale. ")
        out += self.overall(rs, ev)
        if names.MINILM_SHARE in ev:
            out += (f" In all-MiniLM-L6-v2 the symmetric share of W_Q W_Kᵀ is {fmt(ev[names.MINILM_SHARE])}; random "
                    f"projections give {num(ev[names.RANDOM_SHARE].number)}, one shared matrix 1.")
        return out

    def answer(self, rs: Rulings, ev, lang: str) -> str:
        zh = lang == "zh"
        acc = {v: num(ev[names.acc("attention", "asymmetric", v)].number, 2) for v in VARIANTS}
        g_att = ev[names.gain("attention", "asymmetric", "shared")]
        gain, n = fmt(g_att, lang, 2), g_att.n
        block = _block_answer(rs.verdicts["helps_in_practice"], ev, lang)
        text = _text_answer(rs.verdicts.get("helps_on_text"), ev, lang) if names.TEXT_GAIN in ev else ""
        share = _share_answer(ev, lang) if names.MINILM_SHARE in ev else ""
        if zh:
            return (f"只用一个矩阵时打分 q·k 是对称的，注意力表达不了“a 找 b、b 找 c、c 找 a”这种单向关系："
                    f"在这个任务上，分开的 W_Q、W_K 准确率 {acc['separate']}，共享矩阵只有 {acc['shared']}"
                    f"（{n} 个种子，配对提升 {gain}）。" + block + text + share)
        return ("With one matrix the score q·k is symmetric, so attention cannot express a one-way relation such as "
                f"\"a looks for b, b looks for c, c looks for a\": on that task separate W_Q and W_K reach "
                f"{acc['separate']} accuracy and a shared matrix {acc['shared']} ({n} seeds, paired gain {gain}). "
                + block + text + share)

    def oneline(self, rs: Rulings, ev, lang: str) -> str:
        return short.oneline(rs, ev, lang)


def _gap(ev) -> str:
    """"8,664 against 8,608 parameters" of the matched arm and separate."""
    wide, sep = ev[names.text_params("shared_matched")].number, ev[names.text_params("separate")].number
    return f"{num(wide, 0)} against {num(sep, 0)} parameters"


def _steps_phrase(ev, lang: str) -> str:
    """"it needs 2.7 times the steps" (or why the steps cannot be compared)."""
    s = ev[names.speedup("block", "asymmetric", "shared")]
    if isinstance(s.value, str):
        why = _not_compared(ev, lang)
        return f"步数无法比较（{why}）" if lang == "zh" else f"its steps cannot be compared ({why})"
    return f"需要 {num(s.number, 1)} 倍的步数" if lang == "zh" else f"it needs {num(s.number, 1)} times the steps"


def _block_answer(helps: str, ev, lang: str) -> str:
    steps, g = _steps_phrase(ev, lang), fmt(ev[names.gain("block", "asymmetric", "shared")], lang, 2)
    if lang == "zh":
        both = f"{steps}，分开投影的准确率高出 {g}"
        return {"confirmed": f"完整的 Transformer 块只能部分弥补：共享版本也能学会，但{both}。",
                "qualified": f"完整的 Transformer 块能弥补：共享版本学得一样好（{both}）。",
                "refuted": f"在完整的 Transformer 块里共享版本反而更好（{both}）。",
                "inconclusive": f"完整的 Transformer 块能否弥补尚无定论（{both}）。"}[helps]
    both = f"{steps}, and separate ends {g} more accurate"
    return {"confirmed": f"A full Transformer block only partly compensates: the shared version still learns, but "
                         f"{both}.",
            "qualified": f"A full Transformer block compensates: the shared version learns as well ({both}).",
            "refuted": f"In a full Transformer block the shared version does better ({both}).",
            "inconclusive": f"Whether a full Transformer block compensates is undecided ({both})."}[helps]


def _text_answer(on_text: str | None, ev, lang: str) -> str:
    on_text = on_text or "inconclusive"
    reading = TEXT.get(on_text, TEXT["inconclusive"])[lang == "zh"]
    sep, wide = num(ev[names.text_loss("separate")].number), num(ev[names.text_loss("shared_matched")].number)
    gain = fmt(ev[names.TEXT_GAIN_MATCHED], lang, 3)
    still = max(rules.interval(ev[names.text_fall(v)])[1] for v in ("separate", "shared", "shared_matched")) >= PLATEAU
    if lang == "zh":
        reformer = "，与 Reformer 发现的共享在文本上代价很小一致" if on_text == "refuted" else ""
        why = "（模型在预算后半程仍在改进）" if still else ""
        return (f"在留出的英文文本上，参数量相同时，小型字符级语言模型用分开的 W_Q/W_K 损失 {sep} 奈特/字符，共享时 "
                f"{wide}（配对差 {gain}）：{reading}{why}{reformer}。")
    reformer = ", in line with Reformer's finding that sharing costs little on text" if on_text == "refuted" else ""
    why = " (the models were still improving at the end of their budget)" if still else ""
    return (f" On held-out English prose at equal parameters a small character-level LM gets {sep} nats/char with "
            f"separate and {wide} with shared W_Q/W_K (paired difference {gain}): {reading}{why}{reformer}.")


def _share_answer(ev, lang: str) -> str:
    m, rnd = ev[names.MINILM_SHARE].number, ev[names.RANDOM_SHARE].number
    if lang == "zh":
        return (f"训练好的模型里 W_Q 和 W_K 远不是同一个矩阵：all-MiniLM-L6-v2 中 W_Q W_Kᵀ 的对称部分占 {num(m, 2)}"
                f"（{'高于' if m > rnd else '低于'}随机投影的 {num(rnd, 2)}；共享矩阵为 1）。")
    return (f" A trained model keeps W_Q and W_K far from one matrix: in all-MiniLM-L6-v2 the symmetric part of "
            f"W_Q W_Kᵀ is {num(m, 2)} of the whole ({'more' if m > rnd else 'less'} than random projections' "
            f"{num(rnd, 2)}; a shared matrix gives 1).")


WORDS = QKWords()
