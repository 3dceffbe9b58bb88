"""q10's longer texts: the short answer (en, zh) and the summary's paragraphs, from the rulings and evidence."""

from __future__ import annotations

from attnlab.lab import rules, stats
from attnlab.lab.rules import Rulings
from attnlab.lab.words import fmt, num, pct, plain, signed
from attnlab.questions.q10_sinks import arm_evidence as arms
from attnlab.questions.q10_sinks import arm_words
from attnlab.questions.q10_sinks import evidence as names
from attnlab.questions.q10_sinks.rule import (
    CARRIES_LITTLE,
    DIFF_COST,
    DIFF_REMOVES,
    EVICTION,
    LM_SINK,
    NO_COST,
    SINK_REMOVES,
    at_ceiling,
)
from attnlab.questions.q10_sinks.settings import (
    CEILING,
    DIFFERENTIAL,
    KEEP,
    MINILM,
    PARK_FACTOR,
    SINK_MOVED,
    STEP_MARGIN,
    THRESHOLD,
    VARIANT_LABEL,
)


def span(values: list[float], digits: int = 1) -> str:
    """``"2.3–6.3"`` (or one value when they round alike): the range of point values."""
    lo, hi = num(min(values), digits), num(max(values), digits)
    return lo if lo == hi else f"{lo}–{hi}"


PF, CEIL, TH, SM = plain(PARK_FACTOR), plain(CEILING), plain(THRESHOLD), plain(STEP_MARGIN)


def learned_logits(ev, lang: str) -> str:
    """Where the learned sink logits ended, in words, or "" without that evidence."""
    if names.SINK_LOGIT_HEADS not in ev:
        return ""
    flat = [v for row in ev[names.SINK_LOGIT_HEADS].value for v in row]
    big = ev[names.SINK_LOGIT_MAX_ABS]
    lo, hi, moved = signed(min(flat)), signed(max(flat)), plain(SINK_MOVED)
    near = rules.interval(big)[1] < SINK_MOVED
    if lang == "zh":
        tail = (f"在 0 的 ±{moved} 以内：可学习的汇聚点几乎停在 off-by-one 汇聚点（logit 为 0）上，"
                "因此并不是独立的第二个检验" if near else f"离开 0 超过 ±{moved}")
        return (f"可学习的汇聚 logit（初始值为 0）训练后每个头在 {lo} 到 {hi} 之间（各种子平均；每个模型的最大绝对值 "
                f"{fmt(big, lang)}），{tail}")
    tail = (f"within ±{moved} of 0: the learned sink stayed close to the off-by-one sink (logit 0), so it is not an "
            "independent second test" if near else f"moved beyond ±{moved} from 0")
    return (f"the learned sink logits (initialised at 0) end at {lo} to {hi} per head (mean over seeds; largest "
            f"|logit| per model {fmt(big)}), {tail}")


def summary_parts(rs: Rulings, ev) -> list[str]:
    """The summary's sentences before the overall rule (English)."""
    conds, variants = names.conditions(ev), names.sink_variants(ev)
    parts = []
    layers = names.layers(ev)
    if layers:
        w = [ev[names.special_share(l)].number for l in layers]
        nb = [ev[names.norm_share(l)].number for l in layers]
        parts.append(f"{MINILM} puts {span(w, 2)} of each layer's attention on [CLS]/[SEP] (uniform: "
                     f"{num(ev[names.MINILM_UNIFORM].number, 2)}); weighted by the norm of the transformed values "
                     f"that becomes {span(nb, 2)}.")
    lm = "; ".join(f"{VARIANT_LABEL[c]}: largest head {fmt(ev[names.first_max(c)])}, accuracy {fmt(ev[names.acc(c)])}"
                   for c in conds)
    parts.append(f"Causal LMs (first-token share; uniform {num(ev[names.LM_UNIFORM].number)}): {lm}.")
    kept = [c for c in variants if rules.interval(ev[names.first_max_ratio(c)])[0] > PARK_FACTOR]
    if rs.verdicts[SINK_REMOVES] in ("refuted", "qualified") and kept:
        parts.append("Xiao et al. 2023 report that in 160M-parameter LMs pre-trained with it a learnable sink token "
                     "takes the parked weight, while the off-by-one softmax only partly does (Qiu et al. 2025: a gate "
                     "cuts the first-token share); in our small LMs, with "
                     + " and with ".join(f"{VARIANT_LABEL[c]} the largest first-token share stays at "
                                         f"{num(ev[names.first_max_ratio(c)].number, 1)}x uniform while the sink takes "
                                         f"{num(ev[names.sink_mass(c)].number)} of the weight" for c in kept)
                     + ": within this training budget most of the weight parked on the first token did not move to "
                       "the sink.")
    if names.first_max_ratio_init("softmax") in ev and names.LM_HEADS in ev:
        parts.append(f"The null for the largest-head statistic (a maximum over {num(ev[names.LM_HEADS].number, 0)} "
                     f"heads) is the same statistic before training: "
                     f"{fmt(ev[names.first_max_ratio_init('softmax')], 'en', 2)}x uniform with softmax, a paired rise "
                     f"of {fmt(ev[names.first_max_growth('softmax')], 'en', 2)} with training; no control key "
                     "position was measured in the trained models.")
        drops = [c for c in variants if rules.interval(ev[names.first_max_drop(c)])[0] <= 0]
        if drops:
            parts.append("The paired drop of that share with a sink does not lie above 0 ("
                         + "; ".join(f"{VARIANT_LABEL[c]} {fmt(ev[names.first_max_drop(c)])}" for c in drops)
                         + f"), so the verdict on the sinks rests on the level staying above {PF}x uniform, not on a "
                           "measured absence of change.")
    else:
        parts.append("The largest-head statistic (a maximum over heads) has no null reference in these runs.")
    logit = learned_logits(ev, "en")
    if logit:
        parts.append(logit[0].upper() + logit[1:] + ".")
    return [*parts, *_arms(rs, ev, False)]


# Each sub-claim's verdict in a few words (English, Chinese), for the short answer.
_CARRIES = {"confirmed": ("so the parked weight changes the output little", "所以停放的权重对输出影响很小"),
            "qualified": ("so the parked weight changes the output less than its size suggests, though not by half",
                          "所以停放的权重对输出的影响小于其大小所示，但不到一半"),
            "refuted": ("so by this measure the parked weight is not small", "所以按这个度量停放的权重并不小"),
            "inconclusive": ("so it is not settled how much the parked weight changes the output",
                             "所以还不能判断停放的权重对输出影响多大")}
_LM_SINK = {"confirmed": ("a first-token sink", "出现了首词元汇聚点"), "refuted": ("no sink", "没有汇聚点"),
            "qualified": ("high, but no higher than before training", "偏高，但不高于训练前"),
            "inconclusive": ("not clearly a sink", "是否汇聚尚不明确")}
_REMOVES = {"confirmed": ("no head parks any more", "不再有头停放权重"),
            "qualified": ("the parking is gone with some sinks only", "只有部分汇聚点消除了停放"),
            "refuted": ("the parking stays", "停放依然存在"),
            "inconclusive": ("whether the parking goes is not settled", "停放是否消失尚无定论")}
_COST = {"confirmed": ("no cost", "没有代价"), "qualified": ("a cost with some sinks only", "只有部分汇聚点变体有代价"),
         "refuted": ("a cost", "有代价"), "inconclusive": ("the cost is not settled", "代价尚无定论")}
_WITH = {"zero": ("an off-by-one softmax", "用 off-by-one softmax 时"),
         "learned": ("a learned sink logit", "用可学习的汇聚 logit 时"),
         "gate": ("a sigmoid gate", "用 sigmoid 门时")}
_LEAD = {"confirmed": ("Our measurements support", "我们的测量支持常见的解释"),
         "qualified": ("Our measurements support only part of", "我们的测量只支持常见解释中的一部分"),
         "refuted": ("Our measurements do not support", "我们的测量不支持常见的解释")}


def _encoder(rs: Rulings, ev, zh: bool) -> str:
    layers = names.layers(ev)
    ratios = [ev[names.special_ratio(l)] for l in layers]
    parked = [l for l, r in zip(layers, ratios, strict=True) if rules.interval(r)[0] > PARK_FACTOR]
    norm = [ev[names.norm_over_weight(l)].number for l in (parked or layers)]
    s, norm_s = span([r.number for r in ratios]), span(norm, 2)
    carry = _CARRIES[rs.verdicts[CARRIES_LITTLE]][zh]
    if zh:
        where = "各停放层" if parked else "各层"
        return (f"在 {MINILM} 中，[CLS] 和 [SEP] 得到的注意力是其均匀份额的 {s} 倍（{len(layers)} 层中 "
                f"{len(parked)} 层明显超过 {PF} 倍）；把每个权重乘上变换后值向量的范数，{where}的份额变为权重份额的 "
                f"{norm_s} 倍，{carry}。")
    where = "the parking layers" if parked else "the layers"
    return (f"In {MINILM}, [CLS] and [SEP] receive {s} times their uniform share of attention ({len(parked)} of "
            f"{len(layers)} layers clearly above {PF}x), and weighting each weight by the norm of its transformed "
            f"value turns that into {norm_s} of the weight share in {where}, {carry}.")


_DIFF = {"confirmed": ("no head parks any more", "不再有头停放权重"),
         "qualified": ("the parking shrinks but stays", "停放减弱但仍在"),
         "refuted": ("the parking stays", "停放依然存在"),
         "inconclusive": ("whether it goes is not settled", "停放是否消失尚无定论")}
_DIFF_COST = {"confirmed": ("at no cost", "没有代价"), "qualified": ("no cost that could show at the ceiling",
                                                                    "在上限处显示不出代价"),
              "refuted": ("at a cost", "有代价"), "inconclusive": ("its cost is not settled", "代价尚无定论")}
_EVICT = {"confirmed": ("as Xiao et al. 2023 found in large LMs", "与 Xiao 等人 2023 年在大型语言模型中的发现一致"),
          "qualified": ("only part of what Xiao et al. 2023 found in large LMs",
                        "只部分符合 Xiao 等人 2023 年在大型语言模型中的发现"),
          "refuted": ("unlike the perplexity explosion Xiao et al. 2023 saw in large LMs",
                      "不同于 Xiao 等人 2023 年在大型语言模型中看到的困惑度暴涨"),
          "inconclusive": ("its interval spans the margin, so whether evicting hurts is not settled",
                           "其区间跨过界限，逐出是否有害尚无定论")}


def _arms(rs: Rulings, ev, zh: bool) -> list[str]:
    """The sentences of the two arms that ran: differential attention, and the streaming window."""
    out, v = [], rs.verdicts
    if DIFF_REMOVES in v:
        d = DIFFERENTIAL
        ratio, acc = num(ev[names.first_max_ratio(d)].number, 1), signed(ev[names.acc_diff(d)].number)
        removes, cost = _DIFF[v[DIFF_REMOVES]][zh], _DIFF_COST[v[DIFF_COST]][zh]
        out.append(f"用差分注意力（Ye 等人，2025）时，该头给首个词元均匀份额 {ratio} 倍的注意力（差分图按行和归一），"
                   f"{removes}；准确率变化 {acc}，{cost}。" if zh else
                   f"With differential attention (Ye et al. 2025) that head gives the first token {ratio}x the uniform "
                   f"share (its map over its row sum): {removes}, and accuracy changes by {acc}, {cost}.")
    if EVICTION in v:
        w = num(ev[arms.STREAM_WINDOW].number, 0)
        conds = arms.stream_conditions(ev)
        verdict = _EVICT[v[EVICTION]][zh]
        if zh:
            per = "、".join(arm_words.evict_text(ev, c, "zh") for c in conds)
            out.append(arm_words.regime(ev, "zh") + f"权重不变、只留最近 {w} 个键时，逐出开头词元比保留前 "
                       f"{KEEP} 个使留出损失（奈特）变化 {per}；就 softmax 而言，{verdict}。"
                       + arm_words.sinks_still_pay(ev, "zh"))
        else:
            per = ", ".join(arm_words.evict_text(ev, c, "en") for c in conds)
            tail = arm_words.sinks_still_pay(ev, "en")
            lead = arm_words.regime(ev, "en")
            out.append((lead + " " if lead else "") + f"With the same weights and only the last {w} keys visible, "
                       f"evicting the first tokens instead of keeping {KEEP} changes the held-out loss (nats) by "
                       f"{per}; for softmax, {verdict}." + (" " + tail if tail else ""))
    return out


def up_to(ev) -> str:
    """The largest upper end of the sink variants' step-ratio intervals (how much slower they could be): the X of
    "at most X times as many steps" when accuracy is at its ceiling."""
    his = [rules.interval(ev[names.steps_ratio(c)])[1] for c in names.sink_variants(ev)
           if not isinstance(ev[names.steps_ratio(c)].value, str)]
    return num(max(his), 2) if his else "?"


def answer(rs: Rulings, ev, lang: str) -> str:
    """The short answer of a decided question (the engine words an undecided one)."""
    zh, v = lang == "zh", rs.verdicts
    variants = names.sink_variants(ev)
    lead = _LEAD[rs.verdict][zh]
    if zh:
        out = [f"{lead}：softmax 的权重之和必须为 1，无事可做的头只能把权重停放在每个查询都能看到的词元上，"
               "而那里几乎不改变输出。"]
    else:
        out = [f"{lead} the usual explanation: softmax weights must sum to one, so a head with nothing to look up "
               "parks them on a token every query sees, where they change little."]
    n_sent = ev[names.MINILM_UNIFORM].n if names.layers(ev) else 0
    if n_sent:
        out.append(_encoder(rs, ev, zh))
    r0 = num(ev[names.first_max_ratio("softmax")].number, 1)
    ratio = {c: num(ev[names.first_max_ratio(c)].number, 1) for c in variants}
    acc = [signed(ev[names.acc_diff(c)].number) for c in variants]
    lm, removes, cost = _LM_SINK[v[LM_SINK]][zh], _REMOVES[v[SINK_REMOVES]][zh], _COST[v[NO_COST]][zh]
    if v[NO_COST] == "qualified" and at_ceiling(ev):
        cost = (f"达到 {TH} 的步数至多为 softmax 的 {up_to(ev)} 倍（没有超出 {SM} 倍界限的代价），准确率在上限处"
                f"（每个变体都 ≥ {CEIL}）显示不出代价" if zh
                else f"they need at most {up_to(ev)}x as many steps as softmax to reach {TH} (no cost beyond the "
                     f"{SM}x margin), and accuracy is at the ceiling (every variant >= {CEIL}) where no cost could "
                     "show")
    n, conf = ev[names.acc("softmax")].n, pct(stats.CONFIDENCE)
    if zh:
        with_sink = "、".join(f"{_WITH[c][1]}为 {ratio[c]} 倍" for c in variants)
        each = "分别" if len(variants) > 1 else ""
        out.append(f"在我们用 softmax 训练的小型因果语言模型中，最关注首个词元的头给它均匀份额 {r0} 倍的注意力"
                   f"（{lm}）；加汇聚键后，{with_sink}，{removes}；可预测词元上的准确率{each}变化 "
                   f"{'、'.join(acc)}：{cost}。")
        out.extend(_arms(rs, ev, zh))
        encoder = f"，编码器读了 {n_sent} 个句子" if n_sent else ""
        out.append(f"每个语言模型变体 {n} 个种子{encoder}（{conf} 区间）；我们的语言模型小、训练时间短，"
                   "不同于 Xiao 等人 2023 年观察到可学习汇聚词元接过停放权重的预训练语言模型（160M 参数）。")
        return "".join(out)
    with_sink = " and ".join(f"{ratio[c]}x with {_WITH[c][0]}" for c in variants)
    each = " respectively" if len(variants) > 1 else ""
    out.append(f"In our small causal LMs trained with softmax, the head that attends most to the first token gives it "
               f"{r0}x the uniform share ({lm}); with a sink key it is {with_sink}, so {removes}, and accuracy on the "
               f"predictable tokens changes by {' and '.join(acc)}{each}: {cost}.")
    out.extend(_arms(rs, ev, zh))
    encoder = f" and the encoder read {n_sent} sentences" if n_sent else ""
    out.append(f"Each LM variant ran {n} seeds{encoder} ({conf} intervals); our LMs are small and briefly trained, "
               "unlike the pre-trained 160M-parameter LMs in which Xiao et al. 2023 saw a learnable sink token take "
               "the parked weight.")
    return " ".join(out)
