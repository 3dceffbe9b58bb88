"""q7: why introduce attention at all?

The seed's answer has two parts, tested separately.

**On long text, RNN + attention beats RNN + pooling.** The same LSTM encoder
(:class:`attnlab.models.RNNClassifier`) is read out four ways: the final state ("last"), the mean or the
maximum over the states, or attention pooling (Yang et al. 2016: a learned query, additive score). Two
tasks, each at a short and a long length:

- ``needle`` (:class:`attnlab.data.NeedleSentimentTask`): one polar word (*hate*, *love*, ...) hidden in
  filler, the label is its polarity. This is keyword detection: a bag of words solves it exactly, and so
  does max-pooling over anything that marks the keyword.
- ``contrast`` (:class:`attnlab.data.ContrastSentimentTask`): two polar words and a connective between
  them; "but" keeps the later clause, "although" the earlier one. When the two words disagree no bag of
  words and no single polar word decides the label (every such predictor is exactly at chance there).
  The states of an RNN are contextual, so max-pooling is *not* ruled out by construction (a state after
  the connective can carry the verdict): it is measured, not assumed.

The compositional task at the long length is also run with a bidirectional LSTM (C/2 units per
direction), the encoder of Jain & Wallace (2019). Every condition trains to ``THRESHOLD`` accuracy or a
step budget (5 seeds), and reports its steps-to-threshold and its accuracy on held-out texts. "Better"
is measured as learning the task within the budget, or reaching the threshold in fewer steps: per task x
length x encoder, attention is paired with the best other pooling (the one that reached the threshold in
most seeds, then fastest) and the paired ratio of their steps decides.

**Attention focuses on what matters ("I hate this movie.").** For the trained attention models: the
pooling weight on the word that decides the label, against the uniform share 1/T; and whether that
placement drives the output: the permutation test of Jain & Wallace (2019), which moves the weights to
random positions and counts how often the decision flips (with Wiegreffe & Pinter 2019's caveat that such
a test does not show what an explanation is). Beside it, a pretrained Transformer (all-MiniLM-L6-v2): the
share of attention that the polar word of "I hate this movie." and similar sentences receives, per
layer, against the uniform share and against the mean word.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import torch

from attnlab.analysis.curves import mean_curve
from attnlab.analysis.permutation import permutation_test
from attnlab.data import make_task
from attnlab.experiments import rules, stats
from attnlab.experiments.context import pick
from attnlab.experiments.registry import register
from attnlab.experiments.spec import (
    Aggregate,
    Decision,
    EvidenceSet,
    Experiment,
    Explanation,
    Outcomes,
    Question,
    Trial,
)
from attnlab.experiments.training import fit
from attnlab.results import AttentionMap, Check, Evidence, Panel, Plot, Reference, RefLine, Series

__all__ = ["CELLS", "POOLINGS", "QUESTION", "SENTENCES", "minilm_trial", "train_trial"]

QUESTION = Question(
    qid="q7",
    title="Why attention at all?",
    question="Why introduce the attention mechanism?",
    question_zh="为什么引入Attention机制?",
    claim="Attention lets a model focus on what matters (to classify the sentiment of \"I hate this movie.\" "
          "it should attend to \"hate\"); on long text an RNN with attention beats an RNN with plain pooling "
          "by a good margin.",
    claim_zh="让模型对重要信息重点关注并充分学习吸收……比如:I hate this movie.如果做情感分析,明显对hate这个词语应当"
             "关注更多……对于这种长文本处理,使用RNN+attention的效果比使用单纯的RNN+pooling的效果要好不少。",
)

POOLINGS = ("attention", "last", "mean", "max")
OTHERS = ("last", "mean", "max")
TASKS = ("needle", "contrast")
ENCODER_NAMES = {"lstm": "LSTM", "bilstm": "BiLSTM"}
# (task, length role, encoder): every profile runs every cell; the profile sets the lengths.
# The bidirectional encoder runs where context on both sides matters: on the compositional task a
# unidirectional state at the earlier polar word cannot know that "although" follows.
CELLS: tuple[tuple[str, str, str], ...] = (
    ("needle", "short", "lstm"), ("contrast", "short", "lstm"),
    ("needle", "long", "lstm"), ("contrast", "long", "lstm"), ("contrast", "long", "bilstm"),
)
LONG_CELLS = tuple(c for c in CELLS if c[1] == "long")
SHORT_CELLS = tuple(c for c in CELLS if c[1] == "short")
THRESHOLD = 0.9  # held-out accuracy every condition is trained to
SPEEDUP = 1.5  # "a good margin": the steps ratio's interval must clear this (or 1 / this) to decide
FOCUS = 2.0  # "focuses": the weight on the deciding word is more than this many uniform shares
FLIPS = 0.1  # "the placement matters": permuting the weights flips more than this fraction of decisions
N_PERM = 10  # permutations per text in the permutation test
ANALYSIS_SEED = 707_000  # seed offset of the held-out texts analysed after training
# (sentence, its polar word) for the pretrained model
SENTENCES: tuple[tuple[str, str], ...] = (
    ("I hate this movie.", "hate"),
    ("I love this movie.", "love"),
    ("This film was terrible.", "terrible"),
    ("What a wonderful performance.", "wonderful"),
    ("The service at this restaurant was excellent.", "excellent"),
)
EXAMPLES = ("i hate this movie", "i love this movie")  # the seed's sentence in the tasks' vocabulary

JAIN_WALLACE = Reference(
    "Jain & Wallace 2019, Attention is not Explanation, §4", "Randomly permuting the attention weights of "
    "BiLSTM+attention text classifiers often changes the output little (small median TVD), and attention "
    "correlates weakly with gradient and leave-one-out importance.", "BiLSTM + additive attention; SST, IMDB, "
    "20News, ...; output TVD", "contradicts", "https://arxiv.org/abs/1902.10186")
WIEGREFFE_PINTER = Reference(
    "Wiegreffe & Pinter 2019, Attention is not not Explanation, §3-4", "Permuting weights at test time leaves "
    "the trained encoder unchanged, so it cannot show the weights are not an explanation; on several of the "
    "same datasets uniform weights do as well as learned ones (attention not needed), elsewhere adversarial "
    "weights must be trained and hard to find.", "same models and datasets as Jain & Wallace", "context",
    "https://arxiv.org/abs/1908.04626")
YANG = Reference(
    "Yang et al. 2016, Hierarchical Attention Networks, Table 2", "GRU encoders with attention pooling beat "
    "GRU encoders with average pooling on document classification (e.g. Yelp'15 71.0 vs 69.8 accuracy, flat "
    "models).", "bi-GRU, Yelp/IMDB/Yahoo/Amazon documents", "supports", "https://aclanthology.org/N16-1174/")
CLARK = Reference(
    "Clark et al. 2019, What Does BERT Look At?, §3", "Much of BERT's attention goes to [CLS], [SEP] and "
    "punctuation; attention to [SEP] behaves like a no-op (its gradient-based importance is low).",
    "BERT-base, Wikipedia text", "context", "https://arxiv.org/abs/1906.04341")

ACC = (0.0, 1.0)
TASK_ZH = {"needle": "关键词任务", "contrast": "转折任务"}
TASK_WORDS = {"needle": ("keyword", "关键词"), "contrast": ("but/although", "转折")}  # short names for answers
POOLING_ZH = {"attention": "注意力池化", "last": "取最后状态", "mean": "平均池化", "max": "最大池化"}
BASELINE_ZH = {"chance": "随机猜测", "majority": "多数类", "bag_of_words": "词袋", "first_polar": "第一个极性词",
               "last_polar": "最后一个极性词"}
OUTCOME_ZH = {"wins": "胜出", "loses": "落后", "no margin": "差距不足", "unclear": "不确定"}


# ----------------------------------------------------------------------------------------------------
# Trials
# ----------------------------------------------------------------------------------------------------


def _task(name: str, length: int) -> Any:
    return make_task(name, length=length)


def _encode(task: Any, text: str) -> torch.Tensor:
    vocab = {w: i for i, w in enumerate(task.words)}
    return torch.tensor([[vocab[w] for w in text.split()]])


def _settings(profile: str) -> dict[str, Any]:
    return pick(profile,
                tiny=dict(lengths={"short": 6, "long": 10}, steps={"short": 20, "long": 20}, d_model=8,
                          batch_size=16, lr=1e-2, eval_every={"short": 10, "long": 10}, eval_batches=2, n_analysis=32),
                quick=dict(lengths={"short": 16, "long": 48}, steps={"short": 300, "long": 600}, d_model=32,
                           batch_size=32, lr=1e-2, eval_every={"short": 10, "long": 20}, eval_batches=4,
                           n_analysis=256),
                full=dict(lengths={"short": 16, "long": 256}, steps={"short": 1000, "long": 4000}, d_model=64,
                          batch_size=64, lr=5e-3, eval_every={"short": 20, "long": 50}, eval_batches=8,
                          n_analysis=1024))


@torch.no_grad()
def _attention_analysis(model: Any, task: Any, batch: Any, seed: int) -> dict[str, Any]:
    """Where the attention pooling puts its weight, and whether moving it changes the decision."""
    w = model(batch.inputs).pool_weights  # (B, T)
    rows = torch.arange(len(batch))
    if task.name == "needle":
        keep = torch.ones(len(batch), dtype=torch.bool)
        deciding = batch.extra["needle_pos"]
    else:  # where the polar words agree either decides: look where they disagree
        keep = batch.extra["conflict"]
        deciding = batch.extra["deciding_pos"]
    out: dict[str, Any] = {"uniform": 1.0 / task.seq_len,
                           "weight_deciding": float(w[rows, deciding][keep].mean())}
    if task.name == "contrast":
        out["weight_other"] = float(w[rows, batch.extra["other_pos"]][keep].mean())
        out["weight_connective"] = float(w[rows, batch.extra["connective_pos"]][keep].mean())
    perm = permutation_test(model, batch.inputs, targets=batch.targets, n_perm=N_PERM,
                            generator=torch.Generator().manual_seed(ANALYSIS_SEED + 1 + seed))
    out.update({f"perm_{k}": v for k, v in perm.to_dict().items()})
    if task.name == "needle":
        examples = {}
        for text in EXAMPLES:
            res = model(_encode(task, text))
            examples[text] = {"weights": res.pool_weights[0].tolist(),
                              "p_positive": float(res.logits.softmax(-1)[0, 1])}
        out["examples"] = examples
    return out


def train_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train one (task, length, encoder, pooling) for one seed; accuracy, steps, and for attention where it looks."""
    from attnlab.models import RNNClassifier

    task = _task(config["task"], config["length"])
    model = RNNClassifier(vocab_size=task.vocab_size, n_classes=task.n_classes, d_model=config["d_model"],
                          cell="lstm", bidirectional=config["encoder"] == "bilstm", pooling=config["pooling"])
    out = fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
              threshold=THRESHOLD, seed=config["seed"], eval_every=config["eval_every"],
              eval_batches=config["eval_batches"])
    model.eval()
    batch = task.sample(config["n_analysis"], torch.Generator().manual_seed(ANALYSIS_SEED + config["seed"]))
    with torch.no_grad():
        pred = model(batch.inputs).logits.argmax(-1)
    out["heldout_accuracy"] = float((pred == batch.targets).float().mean())
    if config["pooling"] == "attention":
        out.update(_attention_analysis(model, task, batch, config["seed"]))
    return out


def minilm_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Attention share of the polar word per layer of all-MiniLM-L6-v2, for each sentence in ``config``, and the
    attention maps (L, H, T, T) of "I hate this movie."."""
    from attnlab.analysis.token_attention import attention_received
    from attnlab.pretrained import PretrainedUnavailable, load

    try:
        model = load("all-MiniLM-L6-v2")
    except PretrainedUnavailable as exc:
        return {"unavailable": str(exc)}
    model.eval()
    tokens, maps = model.attentions(SENTENCES[0][0])  # the seed's sentence, for the report's explorer
    return {"sentences": [attention_received(model, text, word).to_dict() for text, word in config["sentences"]],
            "tokens": tokens, "weights": torch.stack(maps).round(decimals=4).tolist()}


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    s = _settings(profile)
    grid = []
    for task, role, encoder in CELLS:
        for pooling in POOLINGS:
            for seed in seeds:
                grid.append(Trial(train_trial, {
                    "kind": "train", "task": task, "role": role, "length": s["lengths"][role], "encoder": encoder,
                    "pooling": pooling, "seed": seed, "steps": s["steps"][role], "eval_every": s["eval_every"][role],
                    **{k: s[k] for k in ("d_model", "batch_size", "lr", "eval_batches", "n_analysis")}}))
    sentences = SENTENCES[:1] if profile == "tiny" else SENTENCES
    return [*grid, Trial(minilm_trial, {"kind": "minilm", "sentences": [list(p) for p in sentences]})]


# ----------------------------------------------------------------------------------------------------
# Evidence
# ----------------------------------------------------------------------------------------------------


def _cell(task: str, role: str, encoder: str) -> str:
    return f"{task}_{role}_{encoder}"


def _filled(steps: list[int | None], budget: int) -> list[int]:
    """Steps-to-threshold with a seed that never reached it counted as the budget (a lower bound)."""
    return [budget if s is None else s for s in steps]


def _best_other(outcomes: Outcomes, where: dict[str, Any], budget: int) -> str:
    """The pooling other than attention that reached the threshold in most seeds, then fastest, then best."""
    def key(p: str) -> tuple[int, float, float]:
        steps = outcomes.values("steps_to_threshold", pooling=p, **where)
        acc = outcomes.values("heldout_accuracy", pooling=p, **where)
        logs = [math.log(s) for s in _filled(steps, budget)]
        return (-sum(s is not None for s in steps), sum(logs) / len(logs), -sum(acc) / len(acc))
    return min(OTHERS, key=key)


def aggregate(outcomes: Outcomes) -> Aggregate:
    ev: list[Evidence] = []
    first = outcomes.where(kind="train")[0].config
    lengths = {role: outcomes.where(kind="train", role=role)[0].config["length"] for role in ("short", "long")}
    budgets = {role: outcomes.where(kind="train", role=role)[0].config["steps"] for role in ("short", "long")}
    ev.append(Evidence("length_short", lengths["short"], unit="words", label="short texts: words per text",
                       label_zh="短文本:每段的词数"))
    ev.append(Evidence("length_long", lengths["long"], unit="words", label="long texts: words per text",
                       label_zh="长文本:每段的词数"))
    for task in TASKS:
        for name, value in _task(task, lengths["long"]).baselines().items():
            ev.append(Evidence(f"baseline_{task}_{name}", value, unit="accuracy", bounds=ACC,
                               label=f"{task} task: {name.replace('_', ' ')} predictor (exact)",
                               label_zh=f"{TASK_ZH[task]}:{BASELINE_ZH[name]}预测器(精确值)"))
    for task, role, encoder in CELLS:
        cell = _cell(task, role, encoder)
        where = dict(kind="train", task=task, role=role, encoder=encoder)
        what = f"{task} task, T={lengths[role]}, {ENCODER_NAMES[encoder]}"
        what_zh = f"{TASK_ZH[task]},T={lengths[role]},{ENCODER_NAMES[encoder]}"
        for p in POOLINGS:
            ev.append(stats.evidence_from(f"acc_{cell}_{p}", outcomes.values("heldout_accuracy", pooling=p, **where),
                                          label=f"held-out accuracy: {p} pooling, {what}", unit="accuracy",
                                          bounds=ACC, label_zh=f"留出数据上的准确率:{POOLING_ZH[p]},{what_zh}"))
            ev.append(stats.steps_evidence(f"steps_{cell}_{p}", outcomes.values("steps_to_threshold", pooling=p,
                                                                                **where),
                                           budgets[role], label=f"steps to {THRESHOLD} accuracy: {p} pooling, {what}",
                                           label_zh=f"达到 {THRESHOLD} 准确率所需步数:{POOLING_ZH[p]},{what_zh}"))
        best = _best_other(outcomes, where, budgets[role])
        ev.append(Evidence(f"best_other_{cell}", best, label=f"best pooling other than attention, {what} (most "
                           "seeds reaching the threshold, then fewest steps)",
                           label_zh=f"除注意力外最好的池化方式,{what_zh}(达到阈值的种子最多,其次步数最少)"))
        a = outcomes.values("steps_to_threshold", pooling=best, **where)
        b = outcomes.values("steps_to_threshold", pooling="attention", **where)
        ratio = stats.paired_ratio_evidence(f"speedup_{cell}", a, b, unit="x", budget=budgets[role],
                                            label=f"steps to {THRESHOLD}, {best} / attention, {what}",
                                            label_zh=f"达到 {THRESHOLD} 的步数之比:{POOLING_ZH[best]} / 注意力池化,"
                                                     f"{what_zh}")
        ev.append(ratio)
        ev.append(stats.paired_evidence(
            f"gain_{cell}", outcomes.values("heldout_accuracy", pooling="attention", **where),
            outcomes.values("heldout_accuracy", pooling=best, **where), unit="accuracy", bounds=(-1.0, 1.0),
            label=f"held-out accuracy, attention - {best}, {what}",
            label_zh=f"留出准确率之差:注意力池化减去{POOLING_ZH[best]},{what_zh}"))
        att = outcomes.where(pooling="attention", **where)
        m = [o.measurements for o in att]
        ev.append(stats.evidence_from(f"focus_{cell}", [x["weight_deciding"] / x["uniform"] for x in m],
                                      label=f"attention weight on the deciding word / uniform share 1/T, {what}",
                                      unit="x uniform", bounds=(0.0, None),
                                      label_zh=f"决定性词上的注意力权重 / 均匀份额 1/T,{what_zh}"))
        if task == "contrast":
            ev.append(stats.evidence_from(f"focus_other_{cell}", [x["weight_other"] / x["uniform"] for x in m],
                                          label=f"attention weight on the other polar word / uniform, {what}",
                                          unit="x uniform", bounds=(0.0, None),
                                          label_zh=f"另一个极性词上的注意力权重 / 均匀份额,{what_zh}"))
            ev.append(stats.evidence_from(f"focus_connective_{cell}",
                                          [x["weight_connective"] / x["uniform"] for x in m],
                                          label=f"attention weight on the connective / uniform, {what}",
                                          unit="x uniform", bounds=(0.0, None),
                                          label_zh=f"连接词上的注意力权重 / 均匀份额,{what_zh}"))
        ev.append(stats.evidence_from(f"flips_{cell}", [x["perm_flip_rate"] for x in m], unit="fraction",
                                      bounds=ACC, label=f"decisions flipped by permuting the attention weights, "
                                      f"{what}", label_zh=f"随机打乱注意力权重后翻转的判决比例,{what_zh}"))
        ev.append(stats.evidence_from(f"tvd_{cell}", [x["perm_median_tvd"] for x in m], unit="TVD", bounds=ACC,
                                      label=f"median output change (TVD) under permuted weights, {what}",
                                      label_zh=f"打乱权重后输出变化(TVD)的中位数,{what_zh}"))
        ev.append(stats.evidence_from(f"uniform_acc_{cell}", [x["perm_uniform_accuracy"] for x in m],
                                      unit="accuracy", bounds=ACC,
                                      label=f"accuracy of the attention model with uniform weights, {what}",
                                      label_zh=f"注意力模型改用均匀权重时的准确率,{what_zh}"))
        if task == "needle" and role == "long":
            ex = m[0]["examples"]
            seed = att[0].config["seed"]
            for text, e in ex.items():
                ev.append(Evidence(f"example_{encoder}_{text.split()[1]}", [round(v, 4) for v in e["weights"]],
                                   unit="weight", label=f"attention weights of the {ENCODER_NAMES[encoder]} needle "
                                   f"model (seed {seed}) on \"{text}\"; P(positive) = {e['p_positive']:.3f}",
                                   label_zh=f"{ENCODER_NAMES[encoder]} 关键词任务模型(种子 {seed})在 \"{text}\" "
                                            f"上的注意力权重;P(正面)= {e['p_positive']:.3f}"))
    mini = outcomes.one(kind="minilm").measurements
    ev += _minilm_evidence(mini)
    evals = {role: outcomes.where(kind="train", role=role)[0].config["eval_every"] for role in ("short", "long")}
    config = {"cells": [list(c) for c in CELLS], "poolings": list(POOLINGS), "lengths": lengths,
              "steps": budgets, "eval_every": evals, "threshold": THRESHOLD, "speedup_margin": SPEEDUP,
              "focus": FOCUS, "flips": FLIPS,
              "n_perm": N_PERM, "cell": "lstm", "attention_score": "additive",
              **{k: first[k] for k in ("d_model", "batch_size", "lr", "eval_batches", "n_analysis")}}
    maps = []
    if "unavailable" not in mini:
        text = SENTENCES[0][0]
        maps.append(AttentionMap(f"all-MiniLM-L6-v2 on \"{text}\": how much attention does \"hate\" receive?",
                                 mini["tokens"], mini["weights"],
                                 f"all-MiniLM-L6-v2 读 \"{text}\":\"hate\" 得到了多少注意力?"))
    return Aggregate(ev, _plots(ev, outcomes, lengths), config, [YANG, JAIN_WALLACE, WIEGREFFE_PINTER, CLARK], maps)


def _minilm_evidence(mini: dict[str, Any]) -> list[Evidence]:
    if "unavailable" in mini:
        return [Evidence("minilm_available", "no", label=f"all-MiniLM-L6-v2 not analysed: {mini['unavailable']}",
                         label_zh=f"未分析 all-MiniLM-L6-v2:{mini['unavailable']}")]
    sents = mini["sentences"]
    over = "sentences"
    ratio = [sum(s["ratio"]) / len(s["ratio"]) for s in sents]
    word_ratio = [sum(s["word_ratio"]) / len(s["word_ratio"]) for s in sents]
    return [
        Evidence("minilm_available", "yes", label="all-MiniLM-L6-v2 analysed", label_zh="已分析 all-MiniLM-L6-v2"),
        Evidence("minilm_sentences", [f"{s['text']} [{s['word']}]" for s in sents], label="sentences [polar word]",
                 label_zh="句子 [极性词]"),
        stats.evidence_from("minilm_polar_ratio", ratio, over=over, unit="x uniform", bounds=(0.0, None),
                            label="all-MiniLM-L6-v2: attention share of the polar word / uniform 1/T (mean over "
                                  "layers, heads and queries; [CLS], [SEP] included in T)",
                            label_zh="all-MiniLM-L6-v2:极性词得到的注意力份额 / 均匀份额 1/T(对层、头和查询取平均;"
                                     "T 含 [CLS]、[SEP])"),
        stats.evidence_from("minilm_polar_word_ratio", word_ratio, over=over, unit="x mean word", bounds=(0.0, None),
                            label="all-MiniLM-L6-v2: attention share of the polar word / mean share of the "
                                  "sentence's tokens other than [CLS] and [SEP], mean over layers",
                            label_zh="all-MiniLM-L6-v2:极性词得到的注意力份额 / 句中除 [CLS]、[SEP] 外词元的平均份额,"
                                     "对层取平均"),
        stats.evidence_from("minilm_polar_rank", [sum(s["rank"]) / len(s["rank"]) for s in sents], over=over,
                            unit="rank", bounds=(1.0, None),
                            label="all-MiniLM-L6-v2: rank of the polar word by attention received among the "
                                  "sentence's tokens ([CLS], [SEP] left out; 1 = most), mean over layers",
                            label_zh="all-MiniLM-L6-v2:极性词按得到的注意力在句中词元里的排名(不含 [CLS]、[SEP];"
                                     "1 = 最多),对层取平均"),
        stats.evidence_from("minilm_deletion_rank", [s["deletion_rank"] for s in sents], over=over, unit="rank",
                            bounds=(1.0, None),
                            label="all-MiniLM-L6-v2: rank of the polar word by how far deleting it moves the "
                                  "sentence embedding (1 = most)",
                            label_zh="all-MiniLM-L6-v2:按删去后句向量移动的距离,极性词的排名(1 = 移动最大)"),
        Evidence("minilm_ratio_per_layer", [s["ratio"] for s in sents], unit="x uniform (sentence x layer)",
                 label="all-MiniLM-L6-v2: polar word's share / uniform, per sentence and layer",
                 label_zh="all-MiniLM-L6-v2:极性词份额 / 均匀份额,按句子和层"),
    ]


def _plots(ev: list[Evidence], outcomes: Outcomes, lengths: dict[str, int]) -> list[Plot]:
    es = EvidenceSet(ev)

    def label(role: str, encoder: str) -> str:
        return f"{ENCODER_NAMES[encoder]} T={lengths[role]}"

    panels = []
    for task in TASKS:
        cells = [c for c in CELLS if c[0] == task]
        series = []
        for p in POOLINGS:
            ys = []
            for c in cells:
                e = es[f"steps_{_cell(*c)}_{p}"]
                budget = outcomes.where(kind="train", role=c[1])[0].config["steps"]
                ys.append(e.value if not isinstance(e.value, str) else budget)
            series.append(Series(p, [label(r, e) for _, r, e in cells], ys))
        panels.append(Panel(kind="bar", title=f"{task} task", ylabel=f"median steps to {THRESHOLD} (budget if not "
                            "reached)", series=series))
    headline = Plot("steps_by_pooling", "Steps to learn the task: attention vs last / mean / max pooling", panels,
                    caption="Bars: median steps to reach the threshold over seeds; a bar at the budget means at "
                    "least half of the seeds did not reach it. Left: keyword detection; right: two polar words "
                    "and a connective (the compositional task).", headline=True,
                    title_zh="学会任务所需的步数:注意力池化与取最后状态、平均、最大池化",
                    caption_zh="柱:各种子达到阈值所需步数的中位数;柱顶在预算处表示至少一半种子没有达到。"
                               "左:关键词检测;右:两个极性词加一个连接词(组合任务)。")
    acc_panels = []
    for task in TASKS:
        cells = [c for c in CELLS if c[0] == task]
        series = []
        for p in POOLINGS:
            es_p = [es[f"acc_{_cell(*c)}_{p}"] for c in cells]
            series.append(Series(p, [label(r, e) for _, r, e in cells], [e.number for e in es_p],
                                 [rules.interval(e)[0] for e in es_p], [rules.interval(e)[1] for e in es_p]))
        lines = [RefLine(es[f"baseline_{task}_majority" if task == "contrast" else f"baseline_{task}_chance"].number,
                         "majority / chance"),
                 RefLine(es[f"baseline_{task}_bag_of_words"].number, "bag of words (exact)")]
        acc_panels.append(Panel(kind="bar", title=f"{task} task", ylabel="held-out accuracy", ylim=(0.4, 1.02),
                                series=series, lines=lines))
    accuracy = Plot("accuracy_by_pooling", "Held-out accuracy after training (early stop at the threshold)",
                    acc_panels, caption="Means over seeds with 95% intervals; dashed: exact trivial baselines.",
                    title_zh="训练后在留出数据上的准确率(达到阈值即停)",
                    caption_zh="各种子的平均值及 95% 区间;虚线:精确的平凡基线。")
    curves = []
    for c in LONG_CELLS:
        series = []
        for p in POOLINGS:
            steps, means = mean_curve([o.measurements["curve"] for o in
                                        outcomes.where(kind="train", task=c[0], role=c[1], encoder=c[2], pooling=p)])
            series.append(Series(p, steps, means))
        curves.append(Panel(title=f"{c[0]}, {label(c[1], c[2])}", xlabel="step", ylabel="accuracy", ylim=(0.4, 1.02),
                            series=series, lines=[RefLine(THRESHOLD, "threshold")]))
    plots = [headline, accuracy, Plot("learning_curves", "Learning curves on long texts (mean over seeds)", curves,
                                      ncols=2, caption="Held-out accuracy at each evaluation, mean over seeds; a run "
                                      "that stopped at the threshold counts with its last value.",
                                      title_zh="长文本上的学习曲线(各种子平均)",
                                      caption_zh="每次评估时留出数据上的准确率,对种子取平均;达到阈值而停止的运行"
                                                 "按最后一次的值计。")]

    def short(c: tuple[str, str, str]) -> str:
        return f"{c[0]} {ENCODER_NAMES[c[2]]}"

    focus_series = [Series("deciding word", [short(c) for c in LONG_CELLS],
                           [es[f"focus_{_cell(*c)}"].number for c in LONG_CELLS],
                           [rules.interval(es[f"focus_{_cell(*c)}"])[0] for c in LONG_CELLS],
                           [rules.interval(es[f"focus_{_cell(*c)}"])[1] for c in LONG_CELLS])]
    contrast_long = [c for c in LONG_CELLS if c[0] == "contrast"]
    focus_series.append(Series("other polar word", [short(c) for c in contrast_long],
                               [es[f"focus_other_{_cell(*c)}"].number for c in contrast_long]))
    focus_panels = [Panel(kind="bar", title=f"our RNN + attention, T={lengths['long']}",
                          ylabel="weight / uniform share 1/T",
                          series=focus_series, lines=[RefLine(1.0, "uniform"), RefLine(FOCUS, "focus margin")])]
    caption = ("Left: attention-pooling weight on the deciding polar word (contrast task: texts whose polar words "
               "disagree) in uniform shares.")
    caption_zh = "左:注意力池化放在决定性极性词上的权重,以均匀份额为单位(转折任务只看两个极性词相互矛盾的文本)。"
    if "minilm_ratio_per_layer" in es:
        caption += (" Right: the attention the polar word receives in each layer of all-MiniLM-L6-v2, mean over heads "
                    "and queries.")
        caption_zh += "右:all-MiniLM-L6-v2 每一层中极性词得到的注意力,对头和查询取平均。"
        rows = es["minilm_ratio_per_layer"].value
        names = es["minilm_sentences"].value
        focus_panels.append(Panel(title="all-MiniLM-L6-v2", xlabel="layer", ylabel="polar word's share / uniform",
                                  series=[Series(n, list(range(1, len(r) + 1)), r) for n, r in zip(names, rows,
                                                                                                    strict=True)],
                                  lines=[RefLine(1.0, "uniform")]))
    plots.append(Plot("focus", "Weight on the word that decides: our trained models and a pretrained Transformer",
                      focus_panels, caption=caption, title_zh="决定结果的词得到的权重:我们训练的模型与一个预训练 "
                      "Transformer", caption_zh=caption_zh))
    ex_panels = []
    for encoder in ("lstm", "bilstm"):
        for text in EXAMPLES:
            name = f"example_{encoder}_{text.split()[1]}"
            if name in es:
                ex_panels.append(Panel(kind="bar", title=f"{ENCODER_NAMES[encoder]}: \"{text}\"",
                                       ylabel="attention weight", ylim=(0, 1),
                                       series=[Series("weight", text.split(), es[name].value)]))
    if ex_panels:
        plots.append(Plot("examples", "Attention-pooling weights of our needle-task models on the seed's sentence",
                          ex_panels, caption="The models were trained on long filler texts; these four-word sentences "
                          "are written in the task's vocabulary.",
                          title_zh="我们的关键词任务模型在原文例句上的注意力池化权重",
                          caption_zh="模型是在填充词组成的长文本上训练的;这两个四词句子用任务的词表写成。"))
    return plots


# ----------------------------------------------------------------------------------------------------
# Decision
# ----------------------------------------------------------------------------------------------------


def _what(ev: EvidenceSet, cell: tuple[str, str, str]) -> str:
    return f"{cell[0]} T={ev[f'length_{cell[1]}'].number:g} {ENCODER_NAMES[cell[2]]}"


def _what_zh(ev: EvidenceSet, cell: tuple[str, str, str]) -> str:
    return f"{TASK_ZH[cell[0]]} T={ev[f'length_{cell[1]}'].number:g} {ENCODER_NAMES[cell[2]]}"


def _times(e: Evidence, digits: int = 2) -> str:
    """A ratio's point value, or its text when it is undefined."""
    return e.value if isinstance(e.value, str) else f"{e.number:.{digits}f}"


class _Comparison(NamedTuple):
    """Attention against the best other pooling in one cell (see :func:`compare_cell`)."""

    outcome: str
    text: str  # with the seeds that reached the threshold and the ratio's interval
    text_zh: str
    brief: str  # a few words for the short answer
    brief_zh: str


def _compare(ev: EvidenceSet, cell: tuple[str, str, str]) -> _Comparison:
    name = _cell(*cell)
    best = ev[f"best_other_{name}"].value
    att_k, n = rules.reached_count(ev[f"steps_{name}_attention"])
    oth_k, _ = rules.reached_count(ev[f"steps_{name}_{best}"])
    need = math.ceil(0.8 * n - 1e-9)
    ratio = ev[f"speedup_{name}"]
    best_zh = POOLING_ZH.get(best, best)
    reach = f"attention reached {THRESHOLD} in {att_k}/{n} seeds, {best} in {oth_k}/{n}"
    reach_zh = f"注意力池化在 {att_k}/{n} 个种子中达到 {THRESHOLD},{best_zh}在 {oth_k}/{n} 个中达到"
    if att_k < need and oth_k < need:
        return _Comparison("unlearned", f"neither learned ({reach})", f"两者都没学会({reach_zh})",
                           "neither learned", "两者都没学会")
    if oth_k < need:
        return _Comparison("wins", f"only attention learned ({reach})", f"只有注意力池化学会了({reach_zh})",
                           f"only attention learned, {best} did not", f"只有注意力池化学会了,{best_zh}没有")
    if att_k < need:
        return _Comparison("loses", f"{best} learned, attention did not ({reach})",
                           f"{best_zh}学会了,注意力池化没有({reach_zh})",
                           f"only {best} learned, attention did not", f"只有{best_zh}学会了,注意力池化没有")
    side = rules.ratio_side(ratio, SPEEDUP)
    outcome = {"above": "wins", "below": "loses", "within": "no margin", "unclear": "unclear"}[side]
    return _Comparison(outcome, f"{best} needs {rules.fmt(ratio, 2)}x attention's steps ({outcome})",
                       f"{best_zh}所需步数是注意力池化的 {rules.fmt(ratio, 2)} 倍({OUTCOME_ZH[outcome]})",
                       f"{best} needs {_times(ratio)}x its steps", f"{best_zh}需要其 {_times(ratio)} 倍的步数")


def compare_cell(ev: EvidenceSet, cell: tuple[str, str, str]) -> tuple[str, str]:
    """Attention vs the best other pooling in one cell: ``(outcome, text)``.

    Outcomes, with r the paired ratio of steps to the threshold (best other / attention) and its interval:

    - "wins": only attention reached the threshold in 4 of 5 seeds, or r's interval lies above ``SPEEDUP``;
    - "loses": only the other pooling reached it, or r's interval lies below 1 / ``SPEEDUP``;
    - "no margin": both reached it and r's interval lies below ``SPEEDUP`` (attention is not faster by the
      margin, though it may be faster);
    - "unclear": both reached it and r's interval straddles ``SPEEDUP``;
    - "unlearned": neither reached it.
    """
    c = _compare(ev, cell)
    return c.outcome, f"{_what(ev, cell)}: {c.text}"


class _Focus(NamedTuple):
    """Where the attention model of one cell puts its weight (see :func:`decide`)."""

    concentrated: bool  # the weight on the deciding word lies above FOCUS uniform shares
    matters: bool  # permuting the weights flips more than FLIPS of the decisions
    text: str
    text_zh: str


def _focus_cell(ev: EvidenceSet, cell: tuple[str, str, str]) -> _Focus:
    name = _cell(*cell)
    focus, flips = ev[f"focus_{name}"], ev[f"flips_{name}"]
    text = (f"{_what(ev, cell)}: {rules.fmt(focus, 2)}x uniform on the deciding word, {rules.fmt(flips, 2)} of "
            "decisions flip when the weights are permuted")
    text_zh = (f"{_what_zh(ev, cell)}:决定性词上的权重是均匀份额的 {rules.fmt(focus, 2)} 倍,打乱权重后 "
               f"{rules.fmt(flips, 2)} 的判决翻转")
    if f"uniform_acc_{name}" in ev:
        text += f", uniform weights give {rules.fmt(ev[f'uniform_acc_{name}'], 2)} accuracy"
        text_zh += f",改用均匀权重时准确率为 {rules.fmt(ev[f'uniform_acc_{name}'], 2)}"
    return _Focus(rules.interval(focus)[0] > FOCUS, rules.interval(flips)[0] > FLIPS, text, text_zh)


def _minilm_outcome(ev: EvidenceSet) -> tuple[str, str, str]:
    """("singles out" | "no" | "undecided" | "unavailable", text, text in Chinese) for the pretrained model.

    Judged against the mean word's share: [CLS] and [SEP] take a large part of every row (q10), so the
    uniform share 1/T, which counts them, would hold the polar word to a bar no word reaches.
    """
    if ev["minilm_available"].value != "yes":
        return "unavailable", "all-MiniLM-L6-v2 was not available", "all-MiniLM-L6-v2 不可用"
    r, wr = ev["minilm_polar_ratio"], ev["minilm_polar_word_ratio"]
    text = (f"in all-MiniLM-L6-v2 the polar word receives {rules.fmt(wr, 2)}x the mean word's share and "
            f"{rules.fmt(r, 2)}x the uniform share over all tokens, [CLS] and [SEP] included (mean over layers; "
            f"{r.n} hand-picked sentences)")
    text_zh = (f"all-MiniLM-L6-v2 中极性词得到的注意力是句中平均词份额的 {rules.fmt(wr, 2)} 倍、含 [CLS] 和 [SEP] "
               f"在内的均匀份额的 {rules.fmt(r, 2)} 倍(对层取平均;{r.n} 个挑选的句子)")
    lo, hi = rules.interval(wr)
    return ("singles out" if lo > 1.0 else "no" if hi < 1.0 else "undecided"), text, text_zh


def decide(evidence: list[Evidence]) -> Decision:
    ev = EvidenceSet(evidence)
    calibrated = []
    for cell in SHORT_CELLS:
        for p in POOLINGS:
            calibrated.append(rules.reached_check(f"learned_{_cell(*cell)}_{p}", ev[f"steps_{_cell(*cell)}_{p}"],
                                                  what=f"{p} pooling, {_what(ev, cell)}",
                                                  what_zh=f"{POOLING_ZH[p]},{_what_zh(ev, cell)}"))
    compared = {cell: _compare(ev, cell) for cell in LONG_CELLS}
    outcomes = {cell: (c.outcome, f"{_what(ev, cell)}: {c.text}") for cell, c in compared.items()}
    learned = [Check(f"compared_{_cell(*cell)}", c.outcome != "unlearned", outcomes[cell][1],
                     f"{_what_zh(ev, cell)}:{c.text_zh}") for cell, c in compared.items()]
    att_learned = [rules.reached_check(f"attention_learned_{_cell(*c)}", ev[f"steps_{_cell(*c)}_attention"],
                                       what=f"attention, {_what(ev, c)}", what_zh=f"注意力池化,{_what_zh(ev, c)}")
                   for c in LONG_CELLS]

    def beats() -> rules.Ruling:
        wins = [c for c, (o, _) in outcomes.items() if o == "wins"]
        unclear = [c for c, (o, _) in outcomes.items() if o == "unclear"]
        if len(wins) == len(outcomes):
            verdict = "confirmed"
        elif wins:
            verdict = "qualified"
        elif unclear:
            verdict = "inconclusive"
        else:  # every long cell shows attention short of the margin, or losing
            verdict = "refuted"
        short = [compare_cell(ev, c)[1] for c in SHORT_CELLS]
        rule = (
            f"{verdict}: on long texts " + "; ".join(t for _, t in outcomes.values())
            + ". Short texts, for comparison: " + "; ".join(short)
            + f". Rule: in each long cell attention wins if only it reaches {THRESHOLD} in 4 of 5 seeds, or if "
            f"the paired ratio of steps (best other pooling / attention) has its interval above {SPEEDUP}; it has "
            f"no margin when that interval lies below {SPEEDUP}. Confirmed if attention wins in every long cell, "
            "qualified if in some, refuted if in none and every long cell shows no margin (or a loss), "
            "inconclusive if it wins nowhere and some interval straddles the margin.")
        k, n = len(wins), len(outcomes)
        because = (f"On long texts attention pooling beat the best other pooling by the margin (the other needing "
                   f"over {SPEEDUP}x its steps to {THRESHOLD}, or not learning) in {k} of {n} settings: "
                   + "; ".join(t for _, t in outcomes.values()) + ".")
        because_zh = (f"长文本上,注意力池化以足够差距(对方达到 {THRESHOLD} 所需步数是它的 {SPEEDUP} 倍以上,"
                      f"或对方学不会)胜过最好的其他池化方式的设置有 {k} 个(共 {n} 个):"
                      + ";".join(f"{_what_zh(ev, cell)}:{c.text_zh}" for cell, c in compared.items()) + "。")
        change = {
            "confirmed": (f"A long-text setting where the best plain pooling reaches {THRESHOLD} in less than "
                          f"{SPEEDUP}x attention's steps (interval below {SPEEDUP}).",
                          f"某个长文本设置中,最好的普通池化达到 {THRESHOLD} 所需步数不到注意力池化的 {SPEEDUP} 倍"
                          f"(区间低于 {SPEEDUP})。"),
            "qualified": (f"Step ratios clearing {SPEEDUP} in every long-text setting (confirmed), or in none "
                          "(refuted).",
                          f"所有长文本设置中步数比都超过 {SPEEDUP}(成立),或一个都没有(不成立)。"),
            "refuted": (f"A long-text setting where the best plain pooling needs more than {SPEEDUP}x attention's "
                        "steps (interval above) or does not learn while attention does, for instance with longer "
                        "texts.",
                        f"某个长文本设置中,最好的普通池化需要注意力池化 {SPEEDUP} 倍以上的步数(区间高于 {SPEEDUP}),"
                        "或它学不会而注意力池化学会了,例如文本更长时。"),
            "inconclusive": (f"More seeds, so that the step ratios whose intervals straddle {SPEEDUP} fall on one "
                             "side of it.",
                             f"增加种子数,使跨过 {SPEEDUP} 的步数比区间落到它的一侧。"),
        }[verdict]
        return rules.Ruling(verdict, rule, because, because_zh, *change)

    def focuses() -> rules.Ruling:
        per_cell = {c: _focus_cell(ev, c) for c in LONG_CELLS}
        good = [c for c, f in per_cell.items() if f.concentrated and f.matters]
        mini, mini_text, mini_zh = _minilm_outcome(ev)
        if not good:
            verdict = "refuted"
        elif len(good) == len(per_cell) and mini in ("singles out", "unavailable"):
            verdict = "confirmed"
        else:
            verdict = "qualified"
        rule = (
            f"{verdict}: " + "; ".join(f.text for f in per_cell.values()) + f"; {mini_text} ({mini}). Rule: our "
            f"attention focuses where the weight on the deciding word has its interval above {FOCUS}x uniform "
            f"and permuting the weights flips more than {FLIPS} of the decisions (interval above); confirmed if it "
            "does in every long cell and the pretrained model gives the polar word more than the mean word's "
            "share (interval above 1), refuted if it does in no cell, qualified otherwise.")
        k, n = len(good), len(per_cell)
        because = (f"Our attention sits on the deciding word (above {FOCUS}x uniform) and its placement matters "
                   f"(over {FLIPS:.0%} of decisions flip when permuted) in {k} of {n} long-text settings: "
                   + "; ".join(f.text for f in per_cell.values()) + f"; {mini_text}.")
        because_zh = (f"我们的注意力落在决定性词上(超过均匀份额的 {FOCUS} 倍)且位置确实起作用(打乱后超过 {FLIPS:.0%} "
                      f"的判决翻转)的长文本设置有 {k} 个(共 {n} 个):" + ";".join(f.text_zh for f in per_cell.values())
                      + f";{mini_zh}。")
        change = {
            "confirmed": (f"A setting where the weight on the deciding word is no more than {FOCUS}x uniform or "
                          f"permuting it flips at most {FLIPS:.0%} of the decisions, or a pretrained model giving the "
                          "polar word no more than its uniform share.",
                          f"某个设置中决定性词上的权重不超过均匀份额的 {FOCUS} 倍,或打乱权重后翻转的判决不超过 "
                          f"{FLIPS:.0%};或预训练模型给极性词的注意力不超过均匀份额。"),
            "qualified": (f"Focus (above {FOCUS}x uniform, over {FLIPS:.0%} flips) in every setting together with a "
                          "pretrained model giving the polar word more than its uniform share (confirmed), or focus "
                          "in no setting (refuted).",
                          f"每个设置都聚焦(超过均匀份额的 {FOCUS} 倍、翻转超过 {FLIPS:.0%}),且预训练模型给极性词的"
                          "注意力超过均匀份额(成立);或没有一个设置聚焦(不成立)。"),
            "refuted": (f"A setting where the weight on the deciding word lies above {FOCUS}x uniform and permuting "
                        f"it flips more than {FLIPS:.0%} of the decisions.",
                        f"某个设置中决定性词上的权重高于均匀份额的 {FOCUS} 倍,且打乱权重后超过 {FLIPS:.0%} "
                        "的判决翻转。"),
        }[verdict]
        return rules.Ruling(verdict, rule, because, because_zh, *change)

    long_names = [_cell(*c) for c in LONG_CELLS]
    c1 = rules.claim("beats_pooling_on_long_text", "On long text an RNN with attention pooling beats the same RNN "
                     "with last / mean / max pooling by a good margin.", [*calibrated, *learned],
                     [n for c in long_names for n in (f"speedup_{c}", f"best_other_{c}", f"steps_{c}_attention",
                                                      f"steps_{c}_{ev[f'best_other_{c}'].value}", f"gain_{c}")],
                     beats, statement_zh="长文本上,带注意力池化的 RNN 比同一 RNN 加取最后状态、平均或最大池化好不少。")
    c2 = rules.claim("focuses_on_what_matters", "Attention puts its weight on the word that decides (\"hate\" in "
                     "\"I hate this movie.\").", att_learned,
                     [f"focus_{c}" for c in long_names] + [f"flips_{c}" for c in long_names]
                     + ["minilm_polar_ratio", "minilm_polar_word_ratio"], focuses,
                     statement_zh="注意力把权重放在决定结果的词上(\"I hate this movie.\" 中的 \"hate\")。")
    checks = [*calibrated, *learned, *att_learned]
    if any(not c.passed for c in checks) or c1.verdict == "inconclusive":
        verdict = "inconclusive"
    elif c1.verdict == "refuted":
        verdict = "refuted"
    elif c1.verdict == "confirmed" and c2.verdict == "confirmed":
        verdict = "confirmed"
    else:
        verdict = "qualified"
    rule = (f"{verdict}: beats pooling on long text {c1.verdict}, focuses on what matters {c2.verdict}. Rule: "
            "inconclusive if a check failed or the first is inconclusive; refuted if the first is refuted; "
            "confirmed if both are confirmed; qualified otherwise.")
    return Decision(verdict, rule, checks, (c1, c2))


def _span(values: list[float], fmt: str) -> str:
    """``"0.4"`` or ``"0.3–0.5"``: the range of per-setting point values."""
    lo, hi = format(min(values), fmt), format(max(values), fmt)
    return lo if lo == hi else f"{lo}–{hi}"


def explain(evidence: list[Evidence], decision: Decision) -> Explanation:
    ev = EvidenceSet(evidence)
    parts = []
    for cell in LONG_CELLS:
        name = _cell(*cell)
        steps = {p: ev[f"steps_{name}_{p}"] for p in POOLINGS}
        parts.append(f"{_what(ev, cell)}: " + ", ".join(
            f"{p} {s.value if isinstance(s.value, str) else f'{s.value:.0f}'}" for p, s in steps.items()))
    verdicts = {c.name: c.verdict for c in decision.claims}
    focus = "; ".join(_focus_cell(ev, c).text for c in LONG_CELLS)
    summary = (
        f"Median steps to {THRESHOLD} held-out accuracy on long texts (\"> N\": at least half of the seeds did not "
        "reach it within N): " + "; ".join(parts) + ". "
        f"On the keyword task a bag of words is exact ({ev['baseline_needle_bag_of_words'].number:.2f}); on the "
        f"compositional task every order-free predictor and every single-polar-word predictor scores "
        f"{ev['baseline_contrast_bag_of_words'].number:.2f}. Attention against the best other pooling: "
        + "; ".join(compare_cell(ev, c)[1] for c in LONG_CELLS)
        + f". On long text, RNN + attention beats RNN + pooling by a good margin is "
        f"{verdicts['beats_pooling_on_long_text']}. Where our attention looks: {focus}; "
        f"{_minilm_outcome(ev)[1]}. Attention focuses on what matters is {verdicts['focuses_on_what_matters']}. "
        "Permuting the weights at test time leaves the trained encoder as it is: it shows that this model's "
        "output depends on where the weight sits, not that the weights explain the decision (Wiegreffe & Pinter "
        "2019); uniform weights are their test of whether attention is needed at all. " + decision.rule)
    answer_en, answer_zh = _answer(ev, decision)
    if decision.verdict == "inconclusive":
        answer_en, answer_zh = rules.undecided_answer(decision.claims)
    return Explanation(summary=summary, answer_en=answer_en, answer_zh=answer_zh)


def _answer(ev: EvidenceSet, decision: Decision) -> tuple[str, str]:
    """The short answer (English, Chinese) from the numbers."""
    length = f"{ev['length_long'].number:g}"
    n_seeds = rules.reached_count(ev[f"steps_{_cell(*LONG_CELLS[0])}_attention"])[1]
    compared = {c: _compare(ev, c) for c in LONG_CELLS}
    wins = sum(c.outcome == "wins" for c in compared.values())
    cells_en = "; ".join(f"{TASK_WORDS[c[0]][0]} task, {ENCODER_NAMES[c[2]]}: {x.brief}" for c, x in compared.items())
    cells_zh = ";".join(f"{TASK_WORDS[c[0]][1]}任务、{ENCODER_NAMES[c[2]]}:{x.brief_zh}" for c, x in compared.items())
    lead = {"confirmed": ("Yes, on our tasks: ", "在我们的任务上成立:"),
            "qualified": ("Only in part: ", "只部分成立:"),
            "refuted": ("Not by a good margin: ", "差距没有原文说的那么大:")}.get(decision.verdict, ("", ""))
    first = (f"{lead[0]}on long texts (T={length} words) an LSTM with attention pooling beat the best of last, "
             f"mean and max pooling by a clear margin (the other needing over {SPEEDUP}x its steps to {THRESHOLD} "
             f"accuracy, or not learning) in {wins} of {len(compared)} settings ({cells_en}).")
    en = [first[0].upper() + first[1:]]
    zh = [f"{lead[1]}在长文本(T={length} 个词)上,带注意力池化的 LSTM 明显胜过取最后状态、平均、最大池化中最好一种"
          f"(对方达到 {THRESHOLD} 准确率需要其 {SPEEDUP} 倍以上的步数,或学不会)的设置有 {wins} 个(共 {len(compared)} "
          f"个;{cells_zh})。"]
    focus = [ev[f"focus_{_cell(*c)}"].number for c in LONG_CELLS]
    flips = [ev[f"flips_{_cell(*c)}"].number for c in LONG_CELLS]
    good = sum(f.concentrated and f.matters for f in (_focus_cell(ev, c) for c in LONG_CELLS))
    en.append(f"The trained attention puts {_span(focus, '.1f')} times the uniform share 1/T on the word that "
              f"decides the label, and moving the weights to random positions flips {_span(flips, '.0%')} of the "
              f"decisions ({good} of {len(LONG_CELLS)} settings clear both the {FOCUS}x and the {FLIPS:.0%} bar).")
    zh.append(f"训练后的注意力在决定标签的词上放了均匀份额 1/T 的 {_span(focus, '.1f')} 倍权重,把权重随机换位会让 "
              f"{_span(flips, '.0%')} 的判决翻转({len(LONG_CELLS)} 个设置中有 {good} 个同时越过 {FOCUS} 倍和 "
              f"{FLIPS:.0%} 两条线)。")
    mini = _minilm_outcome(ev)[0]
    if mini != "unavailable":
        r, wr = ev["minilm_polar_ratio"].number, ev["minilm_polar_word_ratio"].number
        if mini == "singles out":
            how = (("clearly more than the average word" + (", though less than the uniform share, as [CLS] and "
                    "[SEP] take more than theirs" if r < 1.0 else "")),
                   "明显多于句中平均的词" + (",但少于均匀份额,因为 [CLS] 和 [SEP] 拿走了更多" if r < 1.0 else ""))
        elif mini == "no":
            how = ("less than the average word", "少于句中平均的词")
        else:
            how = ("not clearly more than the average word", "并不明显多于句中平均的词")
        text, n_sent = SENTENCES[0][0], ev["minilm_polar_ratio"].n or 1
        more = ("", "")
        if n_sent > 1:
            more = (f" and of {n_sent - 1} similar sentences", f"及另外 {n_sent - 1} 个类似句子")
        en.append(f"In the pretrained all-MiniLM-L6-v2 the polar word of \"{text}\"{more[0]} receives {r:.2f}x the "
                  f"uniform share of attention and {wr:.2f}x the average word's share: {how[0]}.")
        zh.append(f"在预训练的 all-MiniLM-L6-v2 中,\"{text}\"{more[1]}的极性词得到的注意力是均匀份额的 {r:.2f} 倍、"
                  f"平均词份额的 {wr:.2f} 倍:{how[1]}。")
    en.append(f"Each condition ran {n_seeds} seeds (paired 95% intervals) on synthetic texts, where a bag of words "
              f"scores {ev['baseline_needle_bag_of_words'].number:.2f} on the keyword task and "
              f"{ev['baseline_contrast_bag_of_words'].number:.2f} on the but/although task; a permutation test shows "
              "only whether the output depends on where the weight sits, not that the weights explain it.")
    zh.append(f"每个条件 {n_seeds} 个种子(配对 95% 区间),文本是合成的:词袋在关键词任务上得 "
              f"{ev['baseline_needle_bag_of_words'].number:.2f},在转折任务上得 "
              f"{ev['baseline_contrast_bag_of_words'].number:.2f};置换检验只能说明输出是否取决于权重放在哪里,"
              "不能说明权重解释了判决。")
    return " ".join(en), "".join(zh)


EXPERIMENT = register(Experiment(QUESTION, trials=trials, aggregate=aggregate, decide=decide, explain=explain))
