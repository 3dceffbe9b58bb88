"""q7's settings: the conditions compared, the profiles, the thresholds, the sentences and the literature."""

from __future__ import annotations

from typing import Any

from attnlab.lab.context import pick
from attnlab.results import Reference

Cell = tuple[str, str, str]  # (task, length role, encoder)

POOLINGS = ("attention", "mean", "max")
OTHERS = ("mean", "max")  # the plain poolings attention is paired against (Yang et al.'s mean, and max)
TASKS = ("needle", "contrast")
ROLES = ("long",)
ENCODER_NAMES = {"lstm": "LSTM", "bilstm": "BiLSTM"}
# (task, length role, encoder): every profile runs every cell; the profile sets the length. One cell: the keyword
# task on long texts (200 words in quick and standard) with the unidirectional LSTM. See :func:`profile_settings`
# for what the compute limit left out and why.
CELLS: tuple[Cell, ...] = (("needle", "long", "lstm"),)
LONG_CELLS = tuple(c for c in CELLS if c[1] == "long")
SHORT_CELLS = tuple(c for c in CELLS if c[1] == "short")

# ---- thresholds and margins (the rule and the words read these) ----
THRESHOLD = 0.9  # held-out accuracy every condition is trained to
TRIVIAL = {"needle": "chance", "contrast": "bag_of_words"}  # the baseline ``learned`` asks attention to beat
MIN_REACHED = 0.8  # a condition "learned" when this share of its seeds reached the threshold (4 of 5)
SPEEDUP = 1.5  # "a good margin": the steps ratio's interval must clear this (or 1 / this) to decide
FOCUS = 2.0  # "focuses": the weight on the deciding word is more than this many uniform shares
FLIPS = 0.1  # "the placement matters": permuting the weights flips more than this fraction of decisions
WORD_SHARE = 1.0  # the pretrained model "singles out" the polar word: more than the mean word's share (interval)
# how far across each threshold a "what would change it" moves a number
SPEEDUP_STEP = 0.05
FOCUS_STEP = 0.1
FLIPS_STEP = 0.01
WORD_SHARE_STEP = 0.05

N_PERM = 10  # permutations per text in the permutation test
# Seed offset of the held-out texts analysed after training (+ 1: the permutation test's generator).

# (sentence, its polar word) for the pretrained model
SENTENCES: tuple[tuple[str, str], ...] = (
    ("I hate this movie.", "hate"),
    ("I love this movie.", "love"),
    ("This film was terrible.", "terrible"),
    ("What a wonderful performance.", "wonderful"),
    ("The service at this restaurant was excellent.", "excellent"),
)
EXAMPLES = ("i hate this movie", "i love this movie")  # the seed's sentence in the tasks' vocabulary
MINILM = "all-MiniLM-L6-v2"

# ---- names of the conditions ----
TASK_ZH = {"needle": "关键词任务", "contrast": "转折任务"}
TASK_WORDS = {"needle": ("keyword", "关键词"), "contrast": ("but/although", "转折")}  # short names for answers
POOLING_ZH = {"attention": "注意力池化", "last": "取最后状态", "mean": "平均池化", "max": "最大池化"}
BASELINE_ZH = {"chance": "随机猜测", "majority": "多数类", "bag_of_words": "词袋", "first_polar": "第一个极性词",
               "last_polar": "最后一个极性词"}

# ---- literature ----
JAIN_WALLACE = Reference(
    "Jain & Wallace 2019, Attention is not Explanation, §4", "Randomly permuting the attention weights of "
    "BiLSTM+attention text classifiers often changes the output little (small median TVD), and attention "
    "correlates weakly with gradient and leave-one-out importance.", "BiLSTM + additive attention; SST, IMDB, "
    "20News, ...; output TVD", "contradicts", "https://arxiv.org/abs/1902.10186",
    finding_zh="把 BiLSTM + 注意力文本分类器的注意力权重随机打乱，输出往往变化不大（TVD 的中位数很小）；"
                "注意力与梯度、逐词删除得到的重要性也只是弱相关。",
    regime_zh="BiLSTM + 加性注意力；SST、IMDB、20News 等；输出的 TVD")
WIEGREFFE_PINTER = Reference(
    "Wiegreffe & Pinter 2019, Attention is not not Explanation, §3-4", "Permuting weights at test time leaves "
    "the trained encoder unchanged, so it cannot show the weights are not an explanation; on several of the "
    "same datasets uniform weights do as well as learned ones (attention not needed), elsewhere adversarial "
    "weights must be trained and hard to find.", "same models and datasets as Jain & Wallace", "context",
    "https://arxiv.org/abs/1908.04626",
    finding_zh="测试时打乱权重，训练好的编码器并没有变，所以这证明不了权重不是解释；在其中几个相同的数据集上，"
                "均匀权重与学到的权重效果一样（根本用不着注意力），在其余数据集上，对抗权重得专门训练，而且很难找到。",
    regime_zh="与 Jain & Wallace 相同的模型和数据集")
YANG = Reference(
    "Yang et al. 2016, Hierarchical Attention Networks, Table 2", "GRU encoders with attention pooling beat "
    "GRU encoders with average pooling on document classification (e.g. Yelp'15 71.0 vs 69.8 accuracy, flat "
    "models).", "bi-GRU, Yelp/IMDB/Yahoo/Amazon documents", "supports", "https://aclanthology.org/N16-1174/",
    finding_zh="在文档分类上，用注意力池化的 GRU 编码器胜过用平均池化的 GRU 编码器（例如扁平模型在 Yelp'15 上准确率 "
                "71.0 对 69.8）。",
    regime_zh="双向 GRU，Yelp、IMDB、Yahoo、Amazon 文档")
CLARK = Reference(
    "Clark et al. 2019, What Does BERT Look At?, §3", "Much of BERT's attention goes to [CLS], [SEP] and "
    "punctuation; attention to [SEP] behaves like a no-op (its gradient-based importance is low).",
    "BERT-base, Wikipedia text", "context", "https://arxiv.org/abs/1906.04341",
    finding_zh="BERT 的注意力有很大一部分落在 [CLS]、[SEP] 和标点上；落在 [SEP] "
                "上的注意力相当于空操作（按梯度算的重要性很低）。",
    regime_zh="BERT-base，维基百科文本")
LITERATURE = (YANG, JAIN_WALLACE, WIEGREFFE_PINTER, CLARK)


def profile_settings(profile: str) -> dict[str, Any]:
    """Text length, step budget and model size of ``profile``.

    quick and standard read texts of 200 words. At that length one LSTM training step (batch 32, width 32) takes
    about 0.07 s on one shared core, so a 300-step trial with its probes takes about 20-25 s, and the tuned grid
    (a sweep of 3-4 rates on one tuning seed, then 5 evaluation seeds, per condition) fits the limit of about
    700 trial-seconds only for a few conditions. The grid was reduced accordingly, and these are stated choices:

    - only the long texts: the short cells (T=16, where every pooling tied before) are dropped;
    - only the keyword (needle) task: on the but/although task at T=200 neither attention nor max pooling
      reached 0.9 within 600 steps (0.785 and 0.734, the order-free predictors score 0.75), and a budget at which
      it would be learned does not fit;
    - only the unidirectional LSTM (the BiLSTM cell is dropped) and three poolings: attention against mean
      (Yang et al.'s comparison) and max (the strongest plain pooling on this task); "last" is dropped.

    Every run trains its whole budget (no early stop): 300 steps, 3x the steps attention (and max pooling) needed
    to reach 0.9 at T=200, batch 32, rate 1e-2 in a pilot run (100), so steps-to-threshold is read off the curve
    and every probe at step 300.
    """
    return pick(profile,
                tiny=dict(lengths={"long": 10}, steps={"long": 20}, d_model=8, batch_size=16,
                          eval_every={"long": 10}, eval_batches=2, n_analysis=32),
                quick=dict(lengths={"long": 200}, steps={"long": 300}, d_model=32, batch_size=32,
                           eval_every={"long": 25}, eval_batches=4, n_analysis=256),
                full=dict(lengths={"long": 256}, steps={"long": 2000}, d_model=64, batch_size=32,
                          eval_every={"long": 50}, eval_batches=8, n_analysis=1024))


LR_CENTER = {"tiny": 1e-2, "quick": 1e-2, "full": 3e-3}  # the middle of each condition's learning-rate sweep
