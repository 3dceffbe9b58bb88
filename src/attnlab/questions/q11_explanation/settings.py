"""q11's settings: the attribution methods compared, the tasks and profiles, every threshold, the literature."""

from __future__ import annotations

from typing import Any

from attnlab.analysis.attribution import METHODS
from attnlab.lab.context import pick
from attnlab.results import Reference

REFERENCE = "erasure"  # leave-one-out erasure: what every method is checked against
POINTERS = (*METHODS, REFERENCE)  # every method scored in the pointing game, erasure last
ATTENTION = ("raw", "rollout", "flow", "norm")  # the methods read off the attention weights (no gradient)
REFINED = ("rollout", "flow", "norm")  # the literature's corrections of raw attention
METHOD_LABEL = {"raw": "raw attention", "rollout": "attention rollout", "flow": "attention flow",
                "norm": "norm-based ‖α f(x)‖", "attention_grad": "attention × gradient",
                "grad_input": "gradient × input", "erasure": "leave-one-out erasure"}
METHOD_SHORT = {"raw": "raw", "rollout": "rollout", "flow": "flow", "norm": "norm", "attention_grad": "attn×grad",
                "grad_input": "grad×input", "erasure": "erasure"}
METHOD_ZH = {"raw": "原始注意力", "rollout": "注意力展开", "flow": "注意力流", "norm": "基于范数的 ‖α f(x)‖",
             "attention_grad": "注意力 × 梯度", "grad_input": "梯度 × 输入", "erasure": "逐词删除"}
TASKS = ("needle", "contrast")  # the trained classifiers' tasks (attnlab.data): the deciding word known by construction
TASK_LABEL = {"needle": "keyword (one polar word decides)", "contrast": "contrast (the connective picks one of two "
              "polar words)"}
TASK_SHORT = {"needle": "keyword", "contrast": "contrast"}
TASK_ZH = {"needle": "关键词任务（一个极性词决定）", "contrast": "转折任务（连接词在两个极性词中选一个）"}
TASK_SHORT_ZH = {"needle": "关键词", "contrast": "转折"}
TRIVIAL = {"needle": "chance", "contrast": "bag_of_words"}  # the accuracy baseline ``learned`` asks each to beat
BASELINE_ZH = {"chance": "随机猜测", "majority": "多数类", "bag_of_words": "词袋", "first_polar": "第一个极性词",
               "last_polar": "最后一个极性词"}
MINILM = "all-MiniLM-L6-v2"
SOURCE = "CPython's documentation (pydoc_data.topics, the text behind help())"
SOURCE_ZH = "CPython 自带的文档（pydoc_data.topics，即 help() 背后的文本）"
SENTENCE = "I hate this movie."  # the seed's sentence: each method's scores on it, side by side
N_HEADS, N_LAYERS = 2, 2  # the trained classifiers

THRESHOLD = 0.9  # classifier accuracy that counts as learned
MIN_REACHED = 0.8  # share of a task's seeds that must reach the threshold
# Cohen's (1988) bands for a correlation: 0.1 small, 0.3 medium, 0.5 large
STRONG = 0.5  # a Spearman agreement whose interval lies above this (large): attention ranks the words as erasure does
WEAK = 0.3  # ... whose interval lies below this (below medium): it hardly does
FINDS = 0.8  # a pointing hit rate whose interval lies above this: the top weight is on the deciding word
HALF = 0.5  # ... below this: it misses the deciding word more often than it finds it
NO_GAIN = 0.0  # a refined method minus raw attention: above this it agrees better, below it worse
MIN_SENTENCES = 100  # MiniLM's agreement stands on at least this many sentences

# how far across a threshold a flip ("what would change it") moves a number
NUDGE = {"rho": 0.02, "hit": 0.02, "gain": 0.01}

ACC = (0.0, 1.0)
RHO = (-1.0, 1.0)
GAIN = (-2.0, 2.0)

JAIN_WALLACE = Reference(
    "Jain & Wallace 2019, Attention is not Explanation, §4.1", "In BiLSTM text classifiers with "
    "additive attention, attention weights correlate only weakly with leave-one-out and gradient importance "
    "(Kendall τ), and very different attention distributions give the same prediction.",
    "BiLSTM + additive attention over the hidden states; SST, IMDB, 20News, AgNews, MIMIC, SNLI, bAbI; Kendall τ",
    "supports", "https://arxiv.org/abs/1902.10186",
    finding_zh="在带加性注意力的 BiLSTM 文本分类器中，注意力权重与逐词删除、梯度得到的重要性只是弱相关（Kendall τ），"
               "而且差别很大的注意力分布可以给出同样的预测。",
    regime_zh="BiLSTM + 对隐状态的加性注意力；SST、IMDB、20News、AgNews、MIMIC、SNLI、bAbI；Kendall τ")
WIEGREFFE_PINTER = Reference(
    "Wiegreffe & Pinter 2019, Attention is not not Explanation, §3-4", "Whether attention explains depends on the "
    "definition: on several of Jain & Wallace's datasets uniform weights do as well (attention is not needed "
    "there), and adversarial weights that keep the prediction must be trained and do not transfer; attention "
    "can be an explanation, not the explanation.", "the same BiLSTM models and datasets", "contradicts",
    "https://arxiv.org/abs/1908.04626",
    finding_zh="注意力能否解释模型，取决于怎么定义解释：在 Jain 和 Wallace 的几个数据集上，均匀权重效果一样好（那里根本"
               "用不着注意力）；保持预测不变的对抗权重得专门训练，而且换个模型就不管用；注意力可以是一种解释，但不是"
               "唯一的解释。",
    regime_zh="与 Jain 和 Wallace 相同的 BiLSTM 模型和数据集")
ABNAR_ZUIDEMA = Reference(
    "Abnar & Zuidema 2020, Quantifying Attention Flow in Transformers, §4", "Raw attention of the upper layers "
    "correlates poorly with blank-out (erasure) and input-gradient importance; attention rollout and attention "
    "flow, which follow the weights through the layers and the residual, correlate much better.",
    "a 6-layer Transformer trained on subject-verb agreement; Spearman over test examples", "supports",
    "https://arxiv.org/abs/2005.00928",
    finding_zh="高层的原始注意力与遮盖（删除）和输入梯度给出的重要性相关性很差；沿层和残差连接追踪权重的注意力展开和"
               "注意力流相关性好得多。",
    regime_zh="在主谓一致任务上训练的 6 层 Transformer；对测试样本计算的 Spearman 相关")
KOBAYASHI = Reference(
    "Kobayashi et al. 2020, Attention is Not Only a Weight, §4-5", "A weight says how much of a vector is taken, "
    "not how much arrives: weighting each α by ‖f(x)‖ shrinks the attention on [CLS], [SEP] and punctuation, and "
    "the norm-based view agrees better with gradient-based importance than the weights do.",
    "BERT-base, Wikipedia; Spearman with gradient saliency", "supports", "https://arxiv.org/abs/2004.10102",
    finding_zh="权重只说明取了多少向量，不说明到达了多少：把每个 α 乘上 ‖f(x)‖ 后，[CLS]、[SEP] 和标点上的注意力大幅"
               "缩小，基于范数的分析也比权重本身更符合梯度给出的重要性。",
    regime_zh="BERT-base，维基百科；与梯度显著性的 Spearman 相关")
LITERATURE = [JAIN_WALLACE, WIEGREFFE_PINTER, ABNAR_ZUIDEMA, KOBAYASHI]


def profile_settings(profile: str) -> dict[str, Any]:
    """The classifiers' length, width, budget and analysis set, and MiniLM's sentence count, of ``profile``.

    Quick/standard: 800 steps, measured at 3e-3 (one seed, early stop at 0.9) as about 2.5x what the contrast
    task needs (325 steps; the keyword task 50): every classifier trains the same budget, and every probe reads it
    after the last step. MiniLM draws 200 sentences of which those of at most 64 tokens (flow's bound) count.
    """
    return pick(profile,
                tiny=dict(length=8, d_model=16, steps=40, batch_size=16, eval_every=10, n_analysis=6, n_texts=3),
                quick=dict(length=16, d_model=32, steps=800, batch_size=32, eval_every=25, n_analysis=100,
                           n_texts=200),
                full=dict(length=32, d_model=64, steps=3000, batch_size=64, eval_every=50, n_analysis=300,
                          n_texts=600))


LR_CENTER = {"tiny": 3e-3, "quick": 3e-3, "full": 1e-3}  # the middle of each task's learning-rate sweep
