"""q10's sentences, in English and Chinese, built from the rule's verdicts and numbers."""

from __future__ import annotations

from attnlab.lab.rules import Flip, Gate, Ruling, Rulings
from attnlab.lab.words import Words, fmt, num, plain, verdict
from attnlab.questions.q10_sinks import arm_words
from attnlab.questions.q10_sinks import evidence as names
from attnlab.questions.q10_sinks.answer import answer, learned_logits, span, summary_parts, up_to
from attnlab.questions.q10_sinks.oneline import oneline, spaced
from attnlab.questions.q10_sinks.rule import (
    ARM_CLAIMS,
    CARRIES_LITTLE,
    ENCODER_PARKS,
    LM_SINK,
    NO_COST,
    SINK_REMOVES,
    with_sinks,
)
from attnlab.questions.q10_sinks.settings import (
    ACC_MARGIN,
    CEILING,
    LITTLE,
    MINILM,
    PARK_FACTOR,
    SAME,
    STEP_MARGIN,
    THRESHOLD,
    VARIANT_LABEL,
    VARIANT_SHORT,
    VARIANT_ZH,
)

PF, AM, SM, CEIL = plain(PARK_FACTOR), plain(ACC_MARGIN), plain(STEP_MARGIN), plain(CEILING)
LIT, ONE, TH = plain(LITTLE), plain(SAME), plain(THRESHOLD)

_STATEMENT = {
    ENCODER_PARKS: ("Heads of a pretrained encoder park their weight on [CLS]/[SEP].",
                    "预训练编码器的注意力头把权重停放在 [CLS]/[SEP] 上。"),
    CARRIES_LITTLE: ("The parked weight carries little (weight x ‖value‖).",
                     "停放的权重几乎不传递信息（按权重 × 值向量范数计）。"),
    LM_SINK: ("Causal LMs trained with softmax park weight on the first token.",
              "用 softmax 训练的因果语言模型把权重停放在首个词元上。"),
    SINK_REMOVES: ("A sink (off-by-one or learned logit) removes the parking.",
                   "加一个汇聚点（off-by-one 或可学习的 logit）就能消除这种停放。"),
    NO_COST: ("The sink variants learn as well and as fast.", "带汇聚点的变体学得一样好、一样快。"),
}

# what each verdict needs (English, Chinese), for "what would change it" when no single number can
_NEEDS = {
    ENCODER_PARKS: {
        "confirmed": (f"at least half of the layers' intervals lie above {PF}x uniform",
                      f"至少一半的层的区间高于均匀份额的 {PF} 倍"),
        "qualified": (f"some but fewer than half of the layers' intervals lie above {PF}x uniform",
                      f"有层的区间高于均匀份额的 {PF} 倍，但不到一半"),
        "refuted": (f"every layer's interval lies below {PF}x uniform", f"每一层的区间都低于均匀份额的 {PF} 倍")},
    CARRIES_LITTLE: {
        "confirmed": (f"every parking layer's interval lies below {LIT}", f"每个停放层的区间都低于 {LIT}"),
        "qualified": (f"every parking layer's interval lies below {ONE}, not all below {LIT}",
                      f"每个停放层的区间都低于 {ONE}，但并非都低于 {LIT}"),
        "refuted": (f"every parking layer's interval lies above {ONE}", f"每个停放层的区间都高于 {ONE}")},
    LM_SINK: {
        "confirmed": (f"the ratio's interval lies above {PF} and the rise's above 0",
                      f"该比值的区间高于 {PF}，且增幅的区间高于 0"),
        "qualified": (f"the ratio's interval lies above {PF} and the rise's does not lie above 0",
                      f"该比值的区间高于 {PF}，但增幅的区间不高于 0"),
        "refuted": (f"the ratio's interval lies below {PF}", f"该比值的区间低于 {PF}")},
    SINK_REMOVES: {
        "confirmed": (f"with every variant the largest first-token share lies below {PF}x uniform",
                      f"每个变体中单个头给首个词元的最大份额都低于均匀份额的 {PF} 倍"),
        "qualified": (f"with some but not all variants it lies below {PF}x uniform",
                      f"部分（而非全部）变体中它低于均匀份额的 {PF} 倍"),
        "refuted": (f"with every variant it lies above {PF}x uniform", f"每个变体中它都高于均匀份额的 {PF} 倍")},
    NO_COST: {
        "confirmed": (f"every variant stays within -{AM} accuracy and {SM}x the steps (intervals) while some "
                      f"condition's mean accuracy lies below {CEIL}",
                      f"每个变体的准确率差都在 -{AM} 以内、步数都在 {SM} 倍以内（区间），"
                      f"且有条件的平均准确率低于 {CEIL}"),
        "qualified": ("some variants stay within those margins", "部分变体在这些界限之内"),
        "refuted": ("every variant is beyond them", "每个变体都超出这些界限")},
}

def _times(e, lang: str) -> str:
    """A ratio as "1.23 [1.01, 1.50]x" / "1.23 [1.01, 1.50] 倍" (a text value stands as it is)."""
    text = fmt(e, lang, 2)
    if isinstance(e.value, str):
        return text
    return f"{text} 倍" if lang == "zh" else f"{text}x"


class SinkWords(Words):
    def statement(self, r: Ruling, ev, lang: str) -> str:
        return {**_STATEMENT, **arm_words.STATEMENT}[r.name][lang == "zh"]

    def gate(self, g: Gate, ev, lang: str) -> str:
        zh, v = lang == "zh", g.values
        if g.kind == "available":
            if g.passed:
                return f"已测量 {MINILM}" if zh else f"{MINILM} measured"
            return (f"未安装 {MINILM} 的权重：无法测量编码器的子结论" if zh
                    else f"{MINILM} weights not installed: the encoder sub-claims cannot be measured")
        if g.kind == "parks_somewhere":
            some = "都没有" if v["k"] == 0 else f"中有 {v['k']} 层"
            return (f"{v['n']} 层{some}停放权重（基于范数的分析需要至少一层）" if zh
                    else f"{v['k']} of {v['n']} layers park (needed for the norm-based view)")
        if g.kind == "above":
            e = ev[v["evidence"]]
            return (f"softmax 语言模型：单个头给首个词元的最大份额是均匀份额的 {fmt(e, lang)} 倍（区间须高于 "
                    f"{plain(v['bound'])}）" if zh else
                    f"softmax LMs: largest first-token share {fmt(e, lang)}x uniform (need an interval above "
                    f"{plain(v['bound'])})")
        if g.kind == "same_weights":
            return arm_words.same_weights_gate(v, lang)
        if g.kind == "reached" and g.name.startswith("learned_"):
            c = g.name.removeprefix("learned_")
            if zh:
                some = "都没有" if v["k"] == 0 else f"中有 {v['k']} 个"
                return (f"{VARIANT_ZH[c]}：{v['n']} 个种子{some}在可预测词元上达到 {TH} 准确率"
                        f"（需要 {v['need']} 个）")
            return (f"{VARIANT_LABEL[c]}: {v['k']} of {v['n']} seeds reached {TH} accuracy on the predictable tokens "
                    f"(need {v['need']})")
        return super().gate(g, ev, lang)

    def flip(self, f: Flip, ev, lang: str) -> str:
        if f.evidence.startswith("acc_") and f.evidence in {names.acc(c) for c in names.conditions(ev)}:
            e, below = ev[f.evidence], f.value < CEILING
            if lang == "zh":
                where = ("低于", "上限以下的准确率代价才可能显现") if below else ("不低于",
                                                                                "在上限处准确率代价无法显现")
                return (f"若「{e.label_zh or e.label or e.name}」为 {num(f.value)}（{where[0]}上限 {CEIL}，"
                        f"{where[1]}），结论将是「{verdict(f.verdict, lang)}」")
            where = (("below", "a task hard enough for an accuracy cost to show") if below
                     else ("at or above", "where no accuracy cost can show"))
            return (f"if {e.label or e.name} were {num(f.value)} ({where[0]} the ceiling {CEIL}: {where[1]}): "
                    f"{f.verdict}")
        return super().flip(f, ev, lang)

    def needs(self, r: Ruling, ev, lang: str) -> list[tuple[str, str]]:
        if r.verdict == "inconclusive":
            return []
        return [(v, text[lang == "zh"]) for v, text in {**_NEEDS, **arm_words.NEEDS}[r.name].items()]

    def rule(self, r: Ruling, ev) -> str:
        v = r.values
        if r.name in ARM_CLAIMS:
            return arm_words.rule_text(r, ev)
        if r.name == ENCODER_PARKS:
            per = ", ".join(fmt(ev[names.special_ratio(l)], "en", 1) for l in v["layers"])
            return (f"{r.verdict}: weight on [CLS]+[SEP] over the uniform share 2/T ({fmt(ev[names.MINILM_UNIFORM])}), "
                    f"layers 1-{len(v['layers'])}: {per}. Rule: confirmed if at least half of the layers lie above "
                    f"{PF}x (interval), refuted if every layer lies below, qualified if some layers park, else "
                    "inconclusive.")
        if r.name == CARRIES_LITTLE:
            per = ", ".join(f"layer {l}: {fmt(ev[names.norm_over_weight(l)], 'en', 2)}" for l in v["parked"])
            return (f"{r.verdict}: in the parking layers, the norm-based share over the weight share is {per}. Rule: "
                    f"confirmed if every interval lies below {LIT}; qualified if below {ONE} (smaller, not by half); "
                    f"refuted if every one lies above {ONE}; else inconclusive.")
        if r.name == LM_SINK:
            ratio, u = ev[names.first_max_ratio("softmax")], num(ev[names.LM_UNIFORM].number)
            return (f"{r.verdict}: in causal LMs trained with softmax, the head that attends most to the first token "
                    f"gives it {fmt(ev[names.first_max('softmax')])} of its weight, {fmt(ratio, 'en', 2)} times the "
                    f"uniform share {u}; {fmt(ev[names.sink_heads('softmax')], 'en', 1)} heads reach {PF}x; the same "
                    "statistic of the untrained models (the null of a maximum over heads) is "
                    f"{fmt(ev[names.first_max_ratio_init('softmax')], 'en', 2)}, a paired rise of "
                    f"{fmt(ev[names.first_max_growth('softmax')], 'en', 2)}. Rule: confirmed if the ratio's interval "
                    f"lies above {PF} and the rise's above 0; qualified if above {PF} without a rise over the "
                    f"untrained models; refuted if below {PF}; else inconclusive.")
        variants = names.sink_variants(ev)
        if r.name == SINK_REMOVES:
            per = "; ".join(f"{VARIANT_LABEL[c]}: largest head {fmt(ev[names.first_max_ratio(c)], 'en', 2)}x uniform, "
                            f"paired drop of its share {fmt(ev[names.first_max_drop(c)])} (mean over heads "
                            f"{fmt(ev[names.first_mean_drop(c)])}), the sink takes {fmt(ev[names.sink_mass(c)])}"
                            for c in variants)
            logit = learned_logits(ev, "en")
            return (f"{r.verdict}: {per}{'; ' + logit if logit else ''}. Rule: confirmed if with every variant the "
                    f"largest first-token share lies below {PF}x uniform (interval: no head parks any more), refuted "
                    "if with every variant it still lies above, qualified if it is gone with some variants, else "
                    "inconclusive.")
        per = "; ".join(f"{VARIANT_LABEL[c]}: accuracy {fmt(ev[names.acc_diff(c)])}, steps "
                        f"{_times(ev[names.steps_ratio(c)], 'en')}" for c in variants)
        accs = ", ".join(f"{VARIANT_SHORT[c]} {num(ev[names.acc(c)].number)}" for c in with_sinks(ev))
        return (f"{r.verdict}: variant minus softmax (paired): {per}; mean accuracy {accs}. Rule: confirmed if for "
                f"every variant the accuracy interval lies above -{AM} and the step ratio's below {SM}, and some "
                f"condition's mean accuracy lies below the ceiling {CEIL}; qualified if every variant is fine but "
                "every condition is at the ceiling (the accuracy test cannot fail there, so the answer is that the "
                "variants need at most the step ratios' upper bound times as many steps), or if some variants are "
                "fine; refuted if every "
                "variant is worse beyond these; else inconclusive.")

    def because(self, r: Ruling, ev, lang: str) -> str:
        zh, v = lang == "zh", r.values
        if r.name in ARM_CLAIMS:
            return arm_words.because(r, ev, lang)
        if r.name == ENCODER_PARKS:
            n, k, m = len(v["layers"]), len(v["parked"]), len(v["not_parked"])
            s, sent = span([ev[names.special_ratio(l)].number for l in v["layers"]]), ev[names.MINILM_UNIFORM].n
            if zh:
                return (f"在 {sent} 个句子上，{MINILM} 各层给 [CLS] 和 [SEP] 的注意力是均匀份额 2/T 的 {s} 倍；"
                        f"{n} 层中区间高于 {PF} 倍的有 {k} 层，低于的有 {m} 层。")
            return (f"Over {sent} sentences, the layers of {MINILM} give [CLS] and [SEP] {s} times their uniform "
                    f"share 2/T; the interval lies above {PF}x in {k} of {n} layers and below it in {m}.")
        if r.name == CARRIES_LITTLE:
            n, a, b, c = len(v["parked"]), len(v["little"]), len(v["less"]), len(v["more"])
            s = span([ev[names.norm_over_weight(l)].number for l in v["parked"]], 2)
            if zh:
                return (f"把每个注意力权重乘上变换后值向量的范数，{n} 个停放层中 [CLS]/[SEP] 的份额变为权重份额的 "
                        f"{s} 倍（低于 {LIT} 的 {a} 层，低于 {ONE} 的 {b} 层，高于 {ONE} 的 {c} 层）。")
            return (f"Weighting each attention weight by the norm of its transformed value turns the share on "
                    f"[CLS]/[SEP] into {s} times the weight share in the {n} parking layers (below {LIT} in {a}, "
                    f"below {ONE} in {b}, above {ONE} in {c}).")
        if r.name == LM_SINK:
            ratio, u = fmt(ev[names.first_max_ratio("softmax")], lang, 2), num(ev[names.LM_UNIFORM].number)
            init = fmt(ev[names.first_max_ratio_init("softmax")], lang, 2)
            growth = fmt(ev[names.first_max_growth("softmax")], lang, 2)
            if zh:
                return (f"在用 softmax 训练的因果语言模型中，最关注首个词元的头给它的注意力是均匀因果份额 {u} 的 "
                        f"{ratio} 倍；训练前同一统计量为 {init}（配对增幅 {growth}）。")
            return (f"In our causal LMs trained with softmax, the head that attends most to the first token gives it "
                    f"{ratio} times the uniform causal share {u}; before training the same statistic is {init} "
                    f"(paired rise {growth}).")
        if r.name == SINK_REMOVES:
            return self._removes(r, ev, lang)
        return self._cost(r, ev, lang)

    def _removes(self, r: Ruling, ev, lang: str) -> str:
        variants = names.sink_variants(ev)
        ratio = fmt(ev[names.first_max_ratio("softmax")], lang, 2)
        k, n = len(r.values["gone"]), len(variants)
        logit = learned_logits(ev, lang)

        def mass(c: str) -> str:
            return num(ev[names.sink_mass(c)].number)

        def ratio_of(c: str) -> str:
            return fmt(ev[names.first_max_ratio(c)], lang, 2)

        def mean_drop(c: str) -> str:
            return fmt(ev[names.first_mean_drop(c)], lang)

        if lang == "zh":
            per = "；".join(f"{VARIANT_ZH[c]}为 {ratio_of(c)}（汇聚点拿走 {mass(c)} 的权重）" for c in variants)
            drops = "、".join(f"{mean_drop(c)}（{VARIANT_ZH[c]}）" for c in variants)
            some = f"都没有低于 {PF} 倍" if k == 0 else f"有 {k} 个低于 {PF} 倍"
            return spaced(f"单个头给首个词元的最大份额（以均匀份额为单位）：softmax 为 {ratio}；{per}；{n} 个汇聚点变体"
                          f"{some}{'；' + logit if logit else ''}。各头平均的首词元份额下降 {drops}："
                          "这是在小型 2 层语言模型上的测量，不是文献报告汇聚点接过权重的那种规模。")
        per = "; ".join(f"with {VARIANT_LABEL[c]} {ratio_of(c)} (the sink takes {mass(c)} of the weight)"
                        for c in variants)
        drops = ", ".join(f"{mean_drop(c)} ({VARIANT_SHORT[c]})" for c in variants)
        return (f"The largest first-token share of a head, in uniform shares: with softmax {ratio}; {per}; it lies "
                f"below {PF}x with {k} of {n} sink variants{'; ' + logit if logit else ''}. The mean first-token "
                f"share over heads drops by {drops}: measured in these small 2-layer LMs, not at the scale where "
                "sinks are reported to take the weight.")

    def _cost(self, r: Ruling, ev, lang: str) -> str:
        variants, conds = names.sink_variants(ev), with_sinks(ev)
        k, n = len(r.values["fine"]), len(variants)
        if lang == "zh":
            per = "；".join(f"{VARIANT_ZH[c]}：准确率差 {fmt(ev[names.acc_diff(c)], lang)}，步数为 "
                           f"{_times(ev[names.steps_ratio(c)], lang)}" for c in variants)
            accs = "、".join(f"{VARIANT_ZH[c]} {num(ev[names.acc(c)].number)}" for c in conds)
            ceil = (f"所有条件都在准确率上限处（平均准确率 {accs}，均 ≥ {CEIL}），在那里不可能出现超过 {AM} 的准确率"
                    f"代价；真正被检验的只有步数比：达到 {TH} 的步数至多为 softmax 的 {up_to(ev)} 倍"
                    f"（没有超出 {SM} 倍界限的代价），准确率上显示不出差别。"
                    ) if r.values["ceiling"] else ""
            some = f"{n} 个变体都不在" if k == 0 else f"{n} 个变体中有 {k} 个在"
            return spaced(f"与 softmax 相比（配对；可预测词元上的准确率和达到 {TH} 的步数）：{per}；{some} "
                          f"-{AM} 准确率和 {SM} 倍步数以内。" + ceil)
        per = "; ".join(f"{VARIANT_LABEL[c]}: accuracy {fmt(ev[names.acc_diff(c)])}, steps "
                        f"{_times(ev[names.steps_ratio(c)], lang)}" for c in variants)
        accs = ", ".join(f"{VARIANT_SHORT[c]} {num(ev[names.acc(c)].number)}" for c in conds)
        ceil = (f" Every condition is at the ceiling (mean accuracy {accs}, all >= {CEIL}), where no accuracy cost "
                f"beyond {AM} can show; only the step ratios are tested: every variant needs at most {up_to(ev)}x as "
                f"many steps as softmax to reach {TH} (no cost beyond the {SM}x margin), and no accuracy cost could "
                "show." if r.values["ceiling"] else "")
        return (f"Against softmax (paired, accuracy on the predictable tokens and steps to {TH}): {per}; {k} of {n} "
                f"variants stay within -{AM} accuracy and {SM}x the steps." + ceil)

    def summary(self, rs: Rulings, ev) -> str:
        return " ".join(summary_parts(rs, ev)) + " " + self.overall(rs, ev)

    def answer(self, rs: Rulings, ev, lang: str) -> str:
        return answer(rs, ev, lang)

    def oneline(self, rs: Rulings, ev, lang: str) -> str:
        return oneline(rs, ev, lang)


WORDS = SinkWords()

