"""q14's settings: the mixers compared, the recall task and profiles, every threshold, the literature."""

from __future__ import annotations

from typing import Any

from attnlab.lab.context import pick
from attnlab.results import Reference

MIXERS = ("softmax", "linear", "delta", "gated_delta", "lstm")
RECURRENT = MIXERS[1:]  # a state of fixed size: the claim predicts they fall as the pairs grow
LM_MIXERS = MIXERS[:4]  # the ``mixer=`` switch of TransformerLM; the LSTM is attnlab.models.RNNEncoder
MIXER_EN = {"softmax": "softmax attention", "linear": "linear attention", "delta": "the delta rule",
            "gated_delta": "the gated delta rule", "lstm": "an LSTM"}
MIXER_SHORT = {"softmax": "softmax", "linear": "linear", "delta": "delta", "gated_delta": "gated delta",
               "lstm": "LSTM"}
MIXER_ZH = {"softmax": "softmax 注意力", "linear": "线性注意力", "delta": "增量规则", "gated_delta": "门控增量规则",
            "lstm": "LSTM"}
BASELINE_ZH = {"chance": "随机猜测", "no_lookup": "不查键（猜上下文中出现最多的值）"}
BASELINE_EN = {"chance": "chance", "no_lookup": "no lookup (guess the most frequent value in the context)"}

N_HEADS, N_LAYERS = 2, 2  # the Transformer-style models (head dim = d_model / N_HEADS)
LSTM_LAYERS = 2  # the LSTM: its width is the one whose parameter count is nearest the softmax model's
SHIFT = 2  # the causal per-channel convolution on the embeddings of every model: kernel 2 (a token shift)
N_KEYS = N_VALUES = 64  # key and value alphabets of the recall task

THRESHOLD = 0.9  # held-out recall accuracy that counts as recalling
MIN_REACHED = 0.8  # share of softmax's seeds that must reach the threshold at every pair count
EVEN = 0.0  # softmax minus a mixer whose interval lies above this: softmax is ahead
LR_CENTER = {"tiny": 3e-3, "quick": 3e-3, "full": 1e-3}  # the middle of each mixer's learning-rate sweep
TUNE_SEEDS = {"tiny": 1, "quick": 1, "full": 2}  # tuning seeds per profile (standard runs the quick settings)

# how far across a threshold a flip ("what would change it") moves a number
NUDGE = {"acc": 0.01, "difference": 0.01}

ACC = (0.0, 1.0)
DIFF = (-1.0, 1.0)

ARORA = Reference(
    "Arora et al. 2023 (Zoology), §3-4 and Figure 2", "On multi-query associative recall (MQAR) attention solves "
    "every setting at every width, while gated-convolution and linear-recurrent models fall as the number of "
    "key-value pairs and the sequence grow, unless their state grows with them; the gap to attention explains most "
    "of their perplexity gap on the Pile.", "2-layer models, d_model 64-512, 4-256 pairs, sequences 64-512",
    "supports", "https://arxiv.org/abs/2312.04927",
    finding_zh="在多查询联想回忆（MQAR）上，注意力在每种宽度、每种设置下都能解决；门控卷积和线性循环模型随键值对数和序列"
                "长度增加而下降，除非状态随之增大；它们在 Pile 上与注意力的困惑度差距大部分来自这一点。",
    regime_zh="两层模型，d_model 为 64 至 512，4 至 256 个键值对，序列长 64 至 512")
ARORA_BASED = Reference(
    "Arora et al. 2024 (Based), §3 and Figure 2", "Recall is bounded by state size: across attention, linear "
    "attention, Mamba and others, MQAR accuracy rises with the recurrent state's size along one trade-off curve; "
    "attention's 'state' (the KV cache) grows with the sequence.", "MQAR, 2-layer models", "supports",
    "https://arxiv.org/abs/2402.18668",
    finding_zh="回忆能力受状态大小限制：在注意力、线性注意力、Mamba 等模型上，MQAR 准确率都随循环状态的大小沿同一条"
                "权衡曲线上升；注意力的“状态”（KV 缓存）随序列增长。",
    regime_zh="MQAR，两层模型")
YANG = Reference(
    "Yang et al. 2024 (DeltaNet) §5.1; Yang, Kautz & Hatamizadeh 2024 (Gated DeltaNet)", "The delta rule recalls "
    "far better than linear attention on MQAR at the same state size (it overwrites instead of only adding), and "
    "the gate helps it forget; both still trail softmax attention as the pairs grow.",
    "MQAR, 2-layer models with short convolutions", "supports", "https://arxiv.org/abs/2406.06484",
    finding_zh="在同样的状态大小下，增量规则在 MQAR 上的回忆远好于线性注意力（它覆盖旧内容，而不只是累加），"
                "门控让它能够遗忘；但随着键值对增多，两者仍落后于 softmax 注意力。",
    regime_zh="MQAR，带短卷积的两层模型")
KATHAROPOULOS = Reference(
    "Katharopoulos et al. 2020, §3", "Linear attention (feature map elu + 1) is an RNN whose state is a D x D "
    "matrix per head: constant memory and time per generated token, against a cache that grows with the context "
    "for softmax attention.", "image generation, speech", "context", "https://arxiv.org/abs/2006.16236",
    finding_zh="线性注意力（特征映射为 elu + 1）就是一个循环网络，每个头的状态是 D x D 矩阵：每生成一个词元的内存和时间"
                "都是常数，而 softmax 注意力的缓存随上下文增长。",
    regime_zh="图像生成，语音")
LITERATURE = [ARORA, ARORA_BASED, YANG, KATHAROPOULOS]


def profile_settings(profile: str) -> dict[str, Any]:
    """The pair counts, model width and training budget of ``profile``.

    Every model trains the whole budget at its own learning rate and is read after it. Measured before (one seed,
    3e-3, d_model 32, 2 layers, with the embedding shift, as many queries as pairs): softmax attention reached 0.9
    on 8 pairs and on 16 pairs in 400 steps; after 800 steps linear attention had 0.95 on 2 pairs and 0.82 on 4,
    the gated delta rule 0.56 on 4, the delta rule 0.51 on 2 and 0.26 on 4, the LSTM 0.46 on 2 and 0.21 on 4. The
    budget, 1000 steps, is 2.5 times what softmax attention needed. Without the shift, softmax attention needed
    d_model 64 to learn 8 pairs (750 steps), and linear attention and the gated delta rule stayed at the no-lookup
    baseline (0.16) on 8 pairs after 1000.
    """
    return pick(profile,
                tiny=dict(pairs=[2, 4], d_model=16, steps=30, batch_size=16, eval_every=10, tune_pairs=4),
                quick=dict(pairs=[2, 4, 8], d_model=32, steps=1000, batch_size=32, eval_every=50, tune_pairs=4),
                full=dict(pairs=[2, 4, 8, 16, 32], d_model=64, steps=4000, batch_size=64, eval_every=100,
                          tune_pairs=8))
