"""q13's longer texts: the short answer (en, zh) and the summary."""

from __future__ import annotations

from attnlab.lab import stats
from attnlab.lab.rules import Rulings
from attnlab.lab.words import fmt, load_sentence, num, pct, plain, sci
from attnlab.questions.q13_kv_cache import evidence as names
from attnlab.questions.q13_kv_cache.oneline import shares
from attnlab.questions.q13_kv_cache.settings import (
    ACC_MARGIN,
    KIND_SHORT,
    KINDS,
    LOSS_MARGIN,
    REDUCED,
    TASK_NAMES,
)

_LEAD = {"confirmed": ("Yes, at this scale: ", "在这个规模上成立："), "qualified": ("Only in part: ", "只部分成立："),
         "refuted": ("Not at this scale: ", "在这个规模上不成立：")}


def bytes_text(ev, lang: str) -> str:
    """``"MHA 512, GQA 256, ..."``: bytes per token per kind."""
    sep = "，" if lang == "zh" else ", "
    return sep.join(f"{KIND_SHORT[k]} {num(ev[names.cache_bytes(k)].number, 0)}" for k in KINDS)


def costs_text(ev, name_of, lang: str) -> str:
    """Each reduced kind's paired difference against MHA with its interval."""
    sep = "，" if lang == "zh" else ", "
    return sep.join(f"{KIND_SHORT[k]} {fmt(ev[name_of(k)], lang)}" for k in REDUCED)


def param_range(ev) -> tuple[str, str]:
    """The parameter counts over every kind and task, and the largest gap to MHA's, in percent."""
    counts = [int(ev[names.params(t, k)].number) for t in TASK_NAMES for k in KINDS]
    gap = max(abs(ev[names.param_gap(t, k)].number) for t in TASK_NAMES for k in KINDS)
    return f"{min(counts):,}–{max(counts):,}", num(100 * gap, 2)


def decode_text(ev, lang: str) -> str:
    """MHA's and MLA's decoding time per token with the regime, or "" when no timing ran."""
    if names.decode_ms("mha") not in ev:
        return ""
    mha, ab, nv = (ev[names.decode_ms(v)] for v in ("mha", "mla_absorbed", "mla_naive"))
    ratio = ev[names.decode_vs_mha("mla_absorbed")]
    b, ctx = (int(ev[n].number) for n in (names.DECODE_BATCH, names.DECODE_CONTEXT))
    load = load_sentence(ev, lang) if "others_cores" in ev else ""
    if lang == "zh":
        return (f"解码一个词元（CPU 单线程，float32，批大小 {b}，缓存中已有 {ctx} 个位置）："
                f"MHA {num(mha.number, 2)} ms，MLA 吸收路径 {num(ab.number, 2)} ms（与 MHA 之比 "
                f"{fmt(ratio, lang)}），朴素路径 {num(nv.number, 2)} ms。{load}")
    return (f"Decoding one token (CPU, one thread, float32, batch {b}, {ctx} positions already cached): MHA "
            f"{num(mha.number, 2)} ms, MLA absorbed {num(ab.number, 2)} ms (over MHA {fmt(ratio, lang)}), naive "
            f"{num(nv.number, 2)} ms. {load}").strip()


def summary(rs: Rulings, ev) -> str:
    """The summary (English) before the overall rule."""
    counts, gap = param_range(ev)
    n = ev[names.loss("mha")].n
    text = (f"Causal LMs (2 layers, 4 heads) with MHA, GQA (2 KV heads), MQA (1) and MLA (latent d_c = 4 D plus a "
            f"rotary key of D / 2) at {counts} parameters (every kind within {gap}% of MHA's on its task), each at its "
            f"own learning rate, read at the same step, {n} seeds. Bytes per token per sequence (float32, measured on "
            f"the models and equal to the formula): {bytes_text(ev, 'en')}, so the smaller caches are {shares(ev)} "
            f"of MHA's. Held-out loss (nats per character): " + ", ".join(
                f"{KIND_SHORT[k]} {fmt(ev[names.loss(k)])}" for k in KINDS)
            + f"; minus MHA's (paired): {costs_text(ev, names.loss_vs_mha, 'en')}. Recall accuracy: " + ", ".join(
                f"{KIND_SHORT[k]} {fmt(ev[names.recall(k)])}" for k in KINDS)
            + f"; minus MHA's (paired): {costs_text(ev, names.recall_vs_mha, 'en')}. ")
    if names.decode_ms("mha") in ev:
        text += (decode_text(ev, "en") + f" The absorbed and the naive MLA decode differ by at most "
                 f"{sci(ev[names.ABSORB_DIFF].number)} in a logit and "
                 + ("chose the same greedy tokens. " if ev[names.ABSORB_SAME].number == 1 else
                    "chose different greedy tokens. ")
                 + "The absorbed path reads only the latent cache, but with 4 heads of width D it attends over "
                   "d_c + d_R = 4.5 D numbers per head instead of D: at this size it trades fewer bytes read for "
                   "more arithmetic, the reverse of DeepSeek-V2's 128 heads. ")
    if ev[names.loss_vs_mha("mla")].number > LOSS_MARGIN:
        text += ("MLA carries positions only in its decoupled rotary part (d_R = D / 2 numbers per head), where the "
                 "other kinds rotate the whole head; these runs do not separate that from the latent itself. ")
    return text + (f"DeepSeek-V2 reports MLA above MHA in quality; Ainslie et al. find GQA close to MHA and MQA below "
                   f"it. These are 2-layer models of {counts} parameters on 2 CPU cores: a placing beside those "
                   "results, not a test at their scale.")


def answer(rs: Rulings, ev, lang: str) -> str:
    """The short answer of a decided question (the engine words an undecided one)."""
    zh = lang == "zh"
    lead = _LEAD[rs.verdict][zh]
    n, conf = ev[names.loss("mha")].n, pct(stats.CONFIDENCE)
    counts, gap = param_range(ev)
    if zh:
        return (f"{lead}参数量相同（{counts}，与 MHA 相差不超过 {gap}%）时，每个词元的 KV 缓存字节数："
                f"{bytes_text(ev, lang)}；更小的缓存只有 MHA 的 {shares(ev)}。留出文本损失减去 MHA 的（配对）："
                f"{costs_text(ev, names.loss_vs_mha, lang)}；关联回忆准确率减去 MHA 的："
                f"{costs_text(ev, names.recall_vs_mha, lang)}（代价以 {plain(LOSS_MARGIN)} 奈特和 {plain(ACC_MARGIN)} "
                f"准确率为界）。{decode_text(ev, lang)}每种注意力 {n} 个种子（配对 {conf} 区间）；这些是 2 层的小模型，"
                "不是 DeepSeek-V2 那样的规模。")
    return " ".join(x for x in [
        f"{lead}at equal parameters ({counts}, every kind within {gap}% of MHA's) the KV cache takes "
        f"{bytes_text(ev, lang)} bytes per token, so the smaller caches are {shares(ev)} of MHA's.",
        f"Held-out loss minus MHA's (paired): {costs_text(ev, names.loss_vs_mha, lang)}; recall accuracy minus "
        f"MHA's: {costs_text(ev, names.recall_vs_mha, lang)} (a cost counts from {plain(LOSS_MARGIN)} nats and "
        f"{plain(ACC_MARGIN)} accuracy).",
        decode_text(ev, lang),
        f"Each kind ran {n} seeds with paired {conf} intervals; these are 2-layer models, far from DeepSeek-V2's "
        "scale."] if x)
