"""q14's plot data: recall accuracy against the number of pairs per mixer, the learning curves at the largest
count, and the decoding cost (state kept and multiply-adds per token) beside it."""

from __future__ import annotations

from attnlab.lab import rules
from attnlab.lab.spec import EvidenceSet, Outcomes
from attnlab.questions.q14_mixers import evidence as names
from attnlab.questions.q14_mixers.settings import MIXER_SHORT, MIXER_ZH, MIXERS, THRESHOLD
from attnlab.questions.q14_mixers.trials import recall_task
from attnlab.results import Panel, Plot, RefLine, Series


def _label(m: str) -> tuple[str, str]:
    return MIXER_SHORT[m], MIXER_ZH[m]


def plots(es: EvidenceSet, outcomes: Outcomes) -> list[Plot]:
    counts = names.pair_counts(es)
    series = []
    for m in MIXERS:
        e = [es[names.acc(m, p)] for p in counts]
        en, zh = _label(m)
        series.append(Series(en, counts, [x.number for x in e], [rules.interval(x)[0] for x in e],
                             [rules.interval(x)[1] for x in e], label_zh=zh))
    base = [es[names.baseline("no_lookup", p)].number for p in counts]
    series.append(Series("no-lookup baseline", counts, base, style="dashed", label_zh="不查键基线"))
    recall = Panel(title="recall as the pairs grow", xlabel="key-value pairs (as many queries)",
                   ylabel="held-out recall accuracy", xscale="log2", ylim=(0, 1.02), series=series,
                   lines=[RefLine(THRESHOLD, f"{THRESHOLD}: recalls", label_zh=f"{THRESHOLD}：能回忆")],
                   title_zh="键值对增多时的回忆", xlabel_zh="键值对数（查询数相同）", ylabel_zh="留出集回忆准确率")
    headline = Plot("recall_vs_pairs", "Multi-query associative recall by mixer as the number of pairs grows",
                    [recall], headline=True,
                    caption=f"Mean over seeds with 95% intervals, every model at its own learning rate and the same "
                            f"budget. Dashed: the best guess that does not look keys up (the most frequent value). "
                            f"Line: the {THRESHOLD} bar.",
                    title_zh="键值对增多时各混合层的多查询联想回忆",
                    caption_zh=f"各种子平均值及 95% 区间，每个模型用各自的学习率、相同的训练预算。虚线：不查键的最好"
                               f"猜法（猜出现最多的值）。横线：{THRESHOLD} 的门槛。")
    top = counts[-1]
    curves = []
    for m in MIXERS:
        runs = [o.measurements["curve"] for o in outcomes.where(mixer=m, pairs=top)]
        xs = [s for s, _ in runs[0]]
        ys = [sum(r[i][1] for r in runs) / len(runs) for i in range(len(xs))]
        en, zh = _label(m)
        curves.append(Series(en, xs, ys, label_zh=zh))
    curve = Plot("learning_curves", f"Learning curves with {top} pairs",
                 [Panel(title=f"{top} pairs", xlabel="step", ylabel="accuracy (evaluation batches)", ylim=(0, 1.02),
                        series=curves, lines=[RefLine(THRESHOLD, str(THRESHOLD))], title_zh=f"{top} 个键值对",
                        xlabel_zh="步数", ylabel_zh="准确率（评估批次）")],
                 caption="Mean over seeds of the accuracy at each evaluation during training.",
                 title_zh=f"{top} 个键值对时的学习曲线", caption_zh="训练中每次评估的准确率，各种子平均。")
    tokens = [recall_task(p).seq_len for p in counts]
    cost_panels = []
    for what, name, title, title_zh in (("numbers kept", names.state, "state kept to decode the next token",
                                         "解码下一个词元要保存的状态"),
                                        ("multiply-adds", names.flops, "mixer multiply-adds per decoded token",
                                         "每解码一个词元混合层的乘加次数")):
        s = [Series(_label(m)[0], tokens, [es[name(m, p)].number for p in counts], label_zh=_label(m)[1])
             for m in MIXERS]
        cost_panels.append(Panel(title=title, xlabel="tokens read (sequence length)", ylabel=what, xscale="log2",
                                 yscale="log", series=s, title_zh=title_zh, xlabel_zh="已读词元数（序列长度）",
                                 ylabel_zh="数量" if what == "numbers kept" else "乘加次数"))
    cost = Plot("decoding_cost", "Decoding cost per token (exact counts, every layer)", cost_panels,
                caption="Softmax attention's cache grows with the tokens read; the recurrent states keep their size.",
                title_zh="每个词元的解码开销（精确计数，所有层）",
                caption_zh="softmax 注意力的缓存随已读词元增长；循环状态大小不变。")
    return [headline, curve, cost]
