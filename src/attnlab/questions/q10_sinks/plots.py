"""q10's plot data: where the weight is parked, per head of the trained LMs and of all-MiniLM-L6-v2."""

from __future__ import annotations

from attnlab.lab import rules
from attnlab.lab.spec import EvidenceSet, Outcomes
from attnlab.lab.words import num
from attnlab.questions.q10_sinks import arm_evidence as arms
from attnlab.questions.q10_sinks import evidence as names
from attnlab.questions.q10_sinks.settings import (
    DIFFERENTIAL,
    KEEP,
    KEPT_TOKENS,
    LOSS_MARGIN,
    MINILM,
    PARK_FACTOR,
    VARIANT_LABEL,
    VARIANT_SHORT,
    VARIANT_ZH,
)
from attnlab.results import Heatmap, Panel, Plot, RefLine, Series

# VARIANT_SHORT in Chinese, the bars' names in the Chinese drawing
_SHORT_ZH = {"softmax": "softmax", "off-by-one": "off-by-one", "learned sink": "可学习汇聚", "gate": "输出门",
             "differential": "差分"}
_LMS = ("our causal LMs after training, with and without a sink, and with differential attention (its map over its "
        "row sum 1 - λ): the largest first-token share of a head and the mean over heads (mean over seeds, 95% "
        "intervals).",
        "我们训练后的因果语言模型，有无汇聚点，以及差分注意力（差分图除以行和 1 - λ）：单个头给首个词元的最大份额"
        "及各头平均份额（各种子平均，95% 区间）。")


def _bars(es: EvidenceSet, conditions: list[str], uniform: float) -> list[Panel]:
    bars = []
    for stat, title, title_zh in ((names.first_max, "largest first-token share of a head",
                                   "单个头给首个词元的最大份额"),
                                  (names.first_mean, "mean first-token share (all heads)",
                                   "首个词元的平均份额（所有头）")):
        e = [es[stat(c)] for c in conditions]
        bars.append(Panel(kind="bar", title=title, ylabel="share of attention", ylim=(0, 1),
                          series=[Series("trained LMs", [VARIANT_SHORT[c] for c in conditions], [x.number for x in e],
                                         [rules.interval(x)[0] for x in e], [rules.interval(x)[1] for x in e],
                                         label_zh="训练的语言模型")],
                          lines=[RefLine(uniform, "uniform causal attention", label_zh="均匀的因果注意力"),
                                 RefLine(PARK_FACTOR * uniform, f"{num(PARK_FACTOR, 0)}x uniform",
                                         label_zh=f"均匀的 {num(PARK_FACTOR, 0)} 倍")],
                          title_zh=title_zh, ylabel_zh="注意力份额", categories_zh=_SHORT_ZH))
    return bars


def _minilm_panel(es: EvidenceSet) -> list[Panel]:
    layers = names.layers(es)
    if not layers:
        return []
    series = []
    for key, label, label_zh in ((names.special_share, "attention weight", "注意力权重"),
                                 (names.norm_share, "weight x ‖value‖ (Kobayashi)", "权重 × ‖值向量‖（Kobayashi）")):
        e = [es[key(l)] for l in layers]
        series.append(Series(label, layers, [x.number for x in e], [rules.interval(x)[0] for x in e],
                             [rules.interval(x)[1] for x in e], label_zh=label_zh))
    return [Panel(title=f"{MINILM}: share on [CLS]+[SEP] by layer", xlabel="layer", ylabel="share", ylim=(0, 1),
                  series=series, lines=[RefLine(es[names.MINILM_UNIFORM].number, "2/T (uniform)",
                                                label_zh="2/T（均匀）")],
                  title_zh=f"{MINILM}：各层放在 [CLS]+[SEP] 上的份额", xlabel_zh="层", ylabel_zh="份额")]


def plots(es: EvidenceSet, outcomes: Outcomes, conditions: list[str]) -> list[Plot]:
    uniform = es[names.LM_UNIFORM].number
    panels = _minilm_panel(es)
    if panels:
        caption = ("Left: a pretrained encoder's attention on [CLS]/[SEP], by weight and by weight x norm of the "
                   "transformed value (mean over sentences, 95% intervals). Right: " + _LMS[0])
        caption_zh = ("左：预训练编码器放在 [CLS]/[SEP] 上的注意力，按权重和按权重 × 变换后值向量的范数计"
                      "（各句子平均，95% 区间）。右：" + _LMS[1])
    else:
        caption, caption_zh = _LMS[0][0].upper() + _LMS[0][1:], _LMS[1]
    headline = Plot("first_token_share", "Where the weight is parked", [*panels, *_bars(es, conditions, uniform)],
                    headline=True, caption=caption, title_zh="权重停放在哪里", caption_zh=caption_zh)
    heat, scale = _head_maps(outcomes, conditions)
    result = [headline, Plot(
        "first_token_heads", "First-token share per head of the trained LMs (heads sorted within each layer, mean "
        "over seeds)", heat,
        caption=f"In each seed the heads of a layer are sorted by their share, largest first, before the mean over "
                f"seeds: a head's index is arbitrary and heads do not line up across seeds. The colour scale is "
                f"centred at 0 (from -{num(scale, 2)} to {num(scale, 2)}): differential attention's share, read on "
                f"its map over its row sum 1 - λ, can be negative. Uniform causal attention gives {num(uniform)}.",
        title_zh="训练的语言模型中每个头给首个词元的份额（每层内按份额排序，各种子平均）",
        caption_zh=f"每个种子中，同一层的头先按份额从大到小排序，再对各种子取平均：头的编号本身没有意义，"
                   f"不同种子的头也不一一对应。色标以 0 为中心（从 -{num(scale, 2)} 到 {num(scale, 2)}）："
                   f"差分注意力的份额按差分图除以行和 1 - λ 读出，可以是负数。均匀因果注意力给出 {num(uniform)}。")]
    if names.MINILM_SPECIAL_HEADS in es:
        two_t = num(es[names.MINILM_UNIFORM].number, 2)
        for key, name, title, title_zh in (("special", names.MINILM_SPECIAL_HEADS, "weight", "权重"),
                                           ("norm", names.MINILM_NORM_HEADS, "weight x ‖value‖", "权重 × 值向量范数")):
            values = es[name].value
            result.append(Plot(
                f"minilm_{key}_heads", f"{MINILM}: {title} on [CLS]+[SEP] per head",
                [Panel(kind="heatmap", title=title, xlabel="head", ylabel="layer", title_zh=title_zh, xlabel_zh="头",
                       ylabel_zh="层",
                       heatmap=Heatmap(values, [str(i + 1) for i in range(len(values))],
                                       [str(i + 1) for i in range(len(values[0]))], vmin=0.0, vmax=1.0))],
                caption=f"Mean over sentences and query tokens; uniform attention gives 2/T, {two_t} on average.",
                title_zh=f"{MINILM}：每个头在 [CLS]+[SEP] 上的{title_zh}",
                caption_zh=f"对句子和查询词元取平均；均匀注意力给出 2/T，平均为 {two_t}。"))
    result.extend(_stream_plot(es))
    return result


def _head_maps(outcomes: Outcomes, conditions: list[str]) -> tuple[list[Panel], float]:
    """One heatmap per condition of the first-token share per head: in each seed the heads of a layer sorted by
    their share (largest first), then the mean over seeds; one colour scale centred at 0 for all of them (the
    differential map's share can be negative). Returns (panels, the scale's half-width)."""
    means = {}
    for c in conditions:
        runs = [(arms.as_shares(o.measurements) if c == DIFFERENTIAL else o.measurements)["first_share"]
                for o in outcomes.where(kind="lm", condition=c)]
        ranked = [[sorted(layer, reverse=True) for layer in run] for run in runs]  # (seed, layer, rank)
        means[c] = [[sum(r[l][h] for r in ranked) / len(ranked) for h in range(len(ranked[0][0]))]
                    for l in range(len(ranked[0]))]
    scale = max([0.5, *(abs(v) for m in means.values() for row in m for v in row)])
    panels = [Panel(kind="heatmap", title=VARIANT_LABEL[c], xlabel="head rank in its layer (largest first)",
                    ylabel="layer", title_zh=VARIANT_ZH[c], xlabel_zh="层内排名（份额从大到小）", ylabel_zh="层",
                    heatmap=Heatmap(m, [str(i + 1) for i in range(len(m))], [str(i + 1) for i in range(len(m[0]))],
                                    vmin=-scale, vmax=scale, cmap="RdBu_r"))
              for c, m in means.items()]
    return panels, scale


def _per_seed_panel(es: EvidenceSet, conds: list[str]) -> Panel:
    """evicted - kept (the rule's KEEP) of each seed, one set of points per condition, beside the margin."""
    series = []
    for i, c in enumerate(conds):
        per = list(es[arms.evict_cost(c, KEEP)].per_seed or [])
        shift = (i - (len(conds) - 1) / 2) * 0.08  # side by side within a seed, so that points do not hide
        series.append(Series(VARIANT_SHORT[c], [round(s + 1 + shift, 3) for s in range(len(per))], per,
                             style="points", label_zh=_SHORT_ZH[VARIANT_SHORT[c]]))
    return Panel(title=f"per seed, first {KEEP} kept", xlabel="seed", ylabel="evicted minus kept (nats)",
                 series=series, lines=[RefLine(0.0, "no change", label_zh="没有变化"),
                                       RefLine(LOSS_MARGIN, f"{num(LOSS_MARGIN, 1)} nats: the rule's margin",
                                               label_zh=f"{num(LOSS_MARGIN, 1)} 奈特：规则的界限")],
                 title_zh=f"各种子，保留前 {KEEP} 个", xlabel_zh="种子", ylabel_zh="逐出减保留（奈特）")


def _stream_plot(es: EvidenceSet) -> list[Plot]:
    """What evicting the first tokens costs each LM: held-out loss with them evicted minus with the first k kept
    (paired, per condition), against the rule's margin."""
    conds = arms.stream_conditions(es)
    if not conds:
        return []
    series = []
    for k in KEPT_TOKENS:
        e = [es[arms.evict_cost(c, k)] for c in conds]
        series.append(Series(f"first {k} kept", [VARIANT_SHORT[c] for c in conds], [x.number for x in e],
                             [rules.interval(x)[0] for x in e], [rules.interval(x)[1] for x in e],
                             label_zh=f"保留前 {k} 个"))
    w = num(es[arms.STREAM_WINDOW].number, 0)
    panel = Panel(kind="bar", title=f"loss with the first tokens evicted minus kept (window {w})",
                  ylabel="held-out loss difference (nats)", series=series,
                  lines=[RefLine(0.0, "no change", label_zh="没有变化"),
                         RefLine(LOSS_MARGIN, f"{num(LOSS_MARGIN, 1)} nats: the rule's margin",
                                 label_zh=f"{num(LOSS_MARGIN, 1)} 奈特：规则的界限")],
                  title_zh=f"逐出开头词元与保留时的损失之差（窗口 {w}）", ylabel_zh="留出损失之差（奈特）",
                  categories_zh=_SHORT_ZH)
    scale, scale_zh = "", ""
    if arms.STREAM_SEQ_LEN in es and arms.STREAM_LOOKBACK in es:
        t, b = num(es[arms.STREAM_SEQ_LEN].number, 0), num(es[arms.STREAM_LOOKBACK].number, 0)
        scale = (f" These are {t}-token sequences on a task that looks {b} tokens back, far from the thousands of "
                 "tokens of Xiao et al.: a placing of our small LMs, not a test at their scale.")
        scale_zh = (f"这里的序列只有 {t} 个词元，任务只需回看 {b} 个词元，远不及 Xiao 等人的数千个词元："
                    "这只是给我们的小模型定位，不是在他们的规模上检验。")
    return [Plot("streaming_eviction", "What evicting the first tokens costs, with the same weights",
                 [panel, _per_seed_panel(es, conds)],
                 caption=f"Left: held-out loss beyond a window of the last {w} keys, first tokens evicted minus kept "
                         "(paired over seeds, 95% intervals); only the visible keys change, the weights and positions "
                         f"stay. Right: the same difference with the first {KEEP} kept, per seed. Xiao et al. 2023 "
                         "saw perplexity explode in large softmax LMs when the first tokens were evicted." + scale,
                 title_zh="逐出开头词元的代价（权重不变）",
                 caption_zh=f"左：最近 {w} 个键的窗口之外的留出损失，逐出开头词元减去保留（各种子配对，95% 区间）；"
                            f"只改变可见的键，权重和位置不变。右：保留前 {KEEP} 个时的同一差值，逐个种子画出。"
                            "Xiao 等人 2023 年在大型 softmax 语言模型中看到，逐出开头词元会让困惑度暴涨。" + scale_zh)]
