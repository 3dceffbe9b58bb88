"""q13's plot data: cache bytes, held-out loss and recall per attention kind; the paired costs against MHA; the
decoding time per token."""

from __future__ import annotations

from attnlab.lab import rules
from attnlab.lab.spec import EvidenceSet
from attnlab.questions.q13_kv_cache import evidence as names
from attnlab.questions.q13_kv_cache.settings import ACC_MARGIN, KIND_SHORT, KINDS, LOSS_MARGIN, REDUCED
from attnlab.results import Panel, Plot, RefLine, Series


def _bars(es: EvidenceSet, label: str, label_zh: str, keys: list[str], name_of) -> Series:
    e = [es[name_of(k)] for k in keys]
    return Series(label, [KIND_SHORT.get(k, k) for k in keys], [x.number for x in e],
                  [rules.interval(x)[0] for x in e], [rules.interval(x)[1] for x in e], label_zh=label_zh)


def plots(es: EvidenceSet) -> list[Plot]:
    kinds = list(KINDS)
    cache = Panel(kind="bar", title="KV cache per token (float32, 2 layers)", ylabel="bytes per token",
                  series=[_bars(es, "measured (= formula)", "实测（等于公式）", kinds, names.cache_bytes)],
                  title_zh="每个词元的 KV 缓存（float32，2 层）", ylabel_zh="每个词元的字节数")
    unigram = es[names.baseline("text", "unigram")].number
    loss = Panel(kind="bar", title="character LM: held-out loss", ylabel="nats per character",
                 series=[_bars(es, "mean, 95% interval", "平均值，95% 区间", kinds, names.loss)],
                 lines=[RefLine(unigram, "character frequencies (unigram)", label_zh="只看字符频率")],
                 title_zh="字符语言模型：留出文本上的损失", ylabel_zh="每个字符的奈特数")
    best = names.best_recall_baseline(es)
    recall = Panel(kind="bar", title="associative recall: accuracy", ylabel="accuracy", ylim=(0, 1.05),
                   series=[_bars(es, "mean, 95% interval", "平均值，95% 区间", kinds, names.recall)],
                   lines=[RefLine(best.number, "best trivial baseline", label_zh="最好的平凡基线")],
                   title_zh="关联回忆：准确率", ylabel_zh="准确率")
    headline = Plot("kv_cache_cost", "What a smaller KV cache costs at equal parameters", [cache, loss, recall],
                    headline=True,
                    caption="Left: bytes each token adds to the cache of one sequence (exact). Middle and right: "
                            "mean over seeds with 95% intervals, every model at its own learning rate and read at "
                            "the same step.",
                    title_zh="参数量相同时，更小的 KV 缓存要付出什么代价",
                    caption_zh="左：每个词元给一个序列的缓存增加的字节数（精确值）。中、右：各种子平均值及 95% "
                               "区间，每个模型用各自的学习率，在同一步读取。")
    reduced = list(REDUCED)
    d_loss = Panel(kind="bar", title="held-out loss minus MHA's (paired)", ylabel="nats per character",
                   series=[_bars(es, "mean, 95% interval", "平均值，95% 区间", reduced, names.loss_vs_mha)],
                   lines=[RefLine(0.0, "MHA", label_zh="MHA"),
                          RefLine(LOSS_MARGIN, f"+{LOSS_MARGIN}: cost", label_zh=f"+{LOSS_MARGIN}：有代价")],
                   title_zh="留出文本上的损失减去 MHA 的（配对）", ylabel_zh="每个字符的奈特数")
    d_recall = Panel(kind="bar", title="recall accuracy minus MHA's (paired)", ylabel="accuracy",
                     series=[_bars(es, "mean, 95% interval", "平均值，95% 区间", reduced, names.recall_vs_mha)],
                     lines=[RefLine(0.0, "MHA", label_zh="MHA"),
                            RefLine(-ACC_MARGIN, f"-{ACC_MARGIN}: cost", label_zh=f"-{ACC_MARGIN}：有代价")],
                     title_zh="关联回忆准确率减去 MHA 的（配对）", ylabel_zh="准确率")
    costs = Plot("cost_vs_mha", "The cost of each smaller cache, paired against MHA", [d_loss, d_recall],
                 caption=f"Per-seed differences against MHA (same seed), mean with 95% intervals. A cost counts as "
                         f"little when the interval stays on MHA's side of the dashed line ({LOSS_MARGIN} nats per "
                         f"character; {ACC_MARGIN} accuracy).",
                 title_zh="每种更小的缓存相对 MHA 的代价（配对）",
                 caption_zh=f"与 MHA 的逐种子配对差（同一种子），平均值及 95% 区间。区间停在虚线靠 MHA 的一侧"
                            f"（每字符 {LOSS_MARGIN} 奈特；准确率 {ACC_MARGIN}）时，代价算作很小。")
    out = [headline, costs]
    if names.decode_ms("mha") in es:
        variants = ["mha", "gqa", "mqa", "mla_naive", "mla_absorbed"]
        short = {"mha": "MHA", "gqa": "GQA", "mqa": "MQA", "mla_naive": "MLA naive", "mla_absorbed": "MLA absorbed"}
        e = [es[names.decode_ms(v)] for v in variants]
        time = Panel(kind="bar", title="decoding one token with a filled cache", ylabel="ms per token",
                     series=[Series("mean over repeats, 95% interval", [short[v] for v in variants],
                                    [x.number for x in e], [rules.interval(x)[0] for x in e],
                                    [rules.interval(x)[1] for x in e], label_zh="各次重复的平均值，95% 区间")],
                     title_zh="缓存已填满时解码一个词元", ylabel_zh="每个词元的毫秒数",
                     categories_zh={"MLA naive": "MLA 直接解码", "MLA absorbed": "MLA 吸收后解码"})
        b, ctx = (int(es[n].number) for n in (names.DECODE_BATCH, names.DECODE_CONTEXT))
        out.append(Plot("decode_time", "Decoding time per token, MLA absorbed and naive against MHA", [time],
                        caption=f"CPU, one thread, float32, batch {b}, {ctx} positions already cached at every "
                                "measured step (rewound after it), random weights at the trained models' widths. "
                                "Other processes' load is recorded beside it.",
                        title_zh="每个词元的解码时间：MLA 吸收路径与朴素路径对比 MHA",
                        caption_zh=f"CPU，单线程，float32，批大小 {b}，每个计时步骤时缓存中已有 {ctx} 个位置（计时后"
                                   "回退），随机权重，宽度与训练的模型相同。同时记录了其他进程的负载。"))
    return out
