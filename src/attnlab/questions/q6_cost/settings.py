"""q6's settings: the models compared, the layers timed, the profiles, every threshold and margin, the literature."""

from __future__ import annotations

from typing import Any

from attnlab.lab.context import pick
from attnlab.results import Reference

# ---- the models trained on marked recall (keys are the conditions' names)
ATTENTION, LSTM, CNN, LSTM_DEFAULT = "attention", "lstm", "cnn", "lstm_default"
ATTENTION_LAYERS = 1
MODELS: dict[str, str] = {
    ATTENTION: f"Transformer encoder ({ATTENTION_LAYERS} layer)",
    LSTM: "LSTM (chrono init)",
    CNN: "dilated CNN",
    LSTM_DEFAULT: "LSTM (torch's default init)",
}
MODELS_ZH: dict[str, str] = {
    ATTENTION: f"Transformer 编码器（{ATTENTION_LAYERS} 层）",
    LSTM: "LSTM（Chrono 初始化）",
    CNN: "空洞 CNN",
    LSTM_DEFAULT: "LSTM（PyTorch 默认初始化）",
}
RIVALS = (LSTM, CNN)  # the comparison the verdict rests on
COMPARED = (ATTENTION, *RIVALS)
TRAINED = COMPARED  # lstm_default (torch's init) is named for older results; the protocol's budget leaves it out
CNN_KERNEL, CNN_DILATION_BASE = 3, 2  # layer l has dilation 2**l; the depth is set by the longest distance
ATTENTION_HEADS = 2

# ---- the layers timed (keys are :mod:`attnlab.analysis.cost` layer kinds)
SELF_ATTENTION, LSTM_LAYER, CONV = "self_attention", "lstm", "conv"
SPEED_KERNEL = 3  # the convolution timed against self-attention
SPEED_HEADS = 4
TIMING_THREADS = 2  # threads of a timing trial (the quiet-machine check leaves them free)
SPEED_LAYERS: dict[str, str] = {SELF_ATTENTION: "self-attention layer", LSTM_LAYER: "LSTM layer",
                                CONV: f"convolution, k={SPEED_KERNEL}"}
SPEED_LAYERS_ZH: dict[str, str] = {SELF_ATTENTION: "自注意力层", LSTM_LAYER: "LSTM 层",
                                   CONV: f"卷积层，k={SPEED_KERNEL}"}
SPEED_RIVALS = (LSTM_LAYER, CONV)

# ---- thresholds and margins (the rule and the words read them here)
THRESHOLD = 0.99  # held-out accuracy that counts as "learned"
MIN_GAIN = 0.02  # accuracy: a paired gain whose interval lies above this is "better"
STEPS_MARGIN = 1.5  # a rival / attention steps ratio whose interval lies above this is "fewer steps" (as q2, q7)
MIN_REPEATS = 7  # timing repeats behind every time ratio
BUDGET_TOLERANCE = 0.1  # parameter counts within 10% of each other
MIN_REACHED = 0.8  # share of a model's seeds that must reach the threshold for it to count as learned
TIME_EQUAL = 1.0  # a time ratio's interval below this: attention faster; above: slower

# ---- how far across a threshold a flip ("what would change it") is placed
TIME_FLIP_STEP = 0.05  # time ratios at 0.95 and 1.05
GAIN_FLIP_STEP = 0.01  # accuracy gains at MIN_GAIN +- this
STEPS_FLIP_STEP = 0.1  # steps ratios at STEPS_MARGIN +- this
ACC_FLIP_STEP = 0.01  # a held-out accuracy just under THRESHOLD (leaves the ceiling)

ACC = (0.0, 1.0)
DIFF = (-1.0, 1.0)

LITERATURE = [
    Reference("Vaswani et al. 2017, Table 1", "Per layer: self-attention O(n²·d) operations, O(1) sequential "
              "steps, path length O(1); recurrent O(n·d²), O(n), O(n); convolutional O(k·n·d²), O(1), O(log_k n) "
              "(dilated). Self-attention is cheaper than recurrence when n < d.", "asymptotic analysis", "context",
              "https://arxiv.org/abs/1706.03762",
              finding_zh="每层：自注意力 O(n²·d) 次运算、O(1) 步串行、路径长度 O(1)；循环层分别为 O(n·d²)、O(n)、"
                          "O(n)；卷积层为 O(k·n·d²)、O(1)、O(log_k n)（空洞卷积）。n < d "
                          "时自注意力的计算量比循环层小。",
              regime_zh="渐近分析"),
    Reference("Tang et al. 2018, Why Self-Attention? (EMNLP)", "On long-range subject-verb agreement, RNNs match or "
              "beat self-attention Transformers as the distance grows; self-attention's advantage in translation "
              "comes from semantic feature extraction, not long-range modelling.", "NMT models, agreement accuracy "
              "vs distance", "contradicts", "https://arxiv.org/abs/1808.08946",
              finding_zh="在长距离主谓一致任务上，随着距离增大，RNN 与自注意力 Transformer 持平甚至更好；"
                          "自注意力在翻译上的优势来自语义特征提取，而不是长距离建模。",
              regime_zh="神经机器翻译模型，一致准确率随距离的变化"),
    Reference("Tran et al. 2018, The Importance of Being Recurrent for Modeling Hierarchical Structure",
              "LSTMs beat Transformers on subject-verb agreement with many attractors and on logical inference "
              "over longer sequences.", "agreement and logical inference", "contradicts",
              "https://arxiv.org/abs/1803.03585",
              finding_zh="在干扰词很多的主谓一致任务和较长序列的逻辑推理任务上，LSTM 胜过 Transformer。",
              regime_zh="主谓一致与逻辑推理"),
    Reference("Tallec & Ollivier 2018, Can recurrent neural networks warp time? (ICLR)", "Chrono initialisation "
              "(forget-gate bias log U(1, T_max - 1)) lets LSTMs learn long dependencies that default "
              "initialisation misses.", "copy and adding tasks", "context", "https://arxiv.org/abs/1804.11188",
              finding_zh="用 Chrono 初始化（遗忘门偏置取 log U(1, T_max - 1)），LSTM "
                          "能学会默认初始化学不到的长距离依赖。",
              regime_zh="复制任务与加法任务"),
    Reference("Bai et al. 2018, An Empirical Evaluation of Generic Convolutional and Recurrent Networks",
              "Dilated temporal convolutions match or beat LSTMs across sequence tasks, including long memory.",
              "TCN vs LSTM/GRU", "context", "https://arxiv.org/abs/1803.01271",
              finding_zh="空洞时间卷积在各类序列任务上与 LSTM 持平或更好，包括需要长记忆的任务。",
              regime_zh="TCN 与 LSTM、GRU 对比"),
]


def profile_settings(profile: str) -> dict[str, Any]:
    """The cost grid, the timing grid and the training of ``profile``.

    Marked recall runs at distances up to 128 in sequences of 136 tokens (quick), so that a rival can fall off the
    ceiling; every run trains its whole step budget (no early stop) and is read at its last step. ``budget`` is the
    parameter budget of each model, ``steps`` the training budget.
    """
    return pick(profile,
                tiny=dict(ds=[8, 16], ns=[8, 32], ks=[3, 5], count_ns=[4, 8], count_ds=[8], speed_d=16,
                          speed_ns=[8, 32], tokens=64, repeats=2, warmup=1, min_seconds=0.0, max_seconds=2.0,
                          task=dict(length=10, n_symbols=4), distances=[2, 6], budget=3000, steps=40,
                          batch_size=32, eval_every=10, eval_batches=1, heldout=128),
                quick=dict(ds=[16, 32, 64, 128, 256, 512], ns=[16, 64, 256, 1024], ks=[3, 5, 7], count_ns=[8, 32, 64],
                           count_ds=[8, 32, 96], speed_d=64,
                           speed_ns=[16, 64, 256, 1024], tokens=4096, repeats=9, warmup=2, min_seconds=0.005,
                           max_seconds=20.0, task=dict(length=136, n_symbols=8), distances=[8, 128],
                           budget=14000, steps=STEPS_QUICK, batch_size=32, eval_every=20, eval_batches=4,
                           heldout=1024),
                full=dict(ds=[16, 32, 64, 128, 256, 512, 1024], ns=[16, 64, 256, 1024, 4096], ks=[3, 5, 7],
                          count_ns=[8, 32, 128, 256], count_ds=[8, 64, 256],
                          speed_d=256, speed_ns=[16, 64, 256, 1024, 4096], tokens=16384, repeats=15, warmup=3,
                          min_seconds=0.02, max_seconds=120.0, task=dict(length=272, n_symbols=16),
                          distances=[8, 32, 128, 256], budget=60000, steps=2000, batch_size=64,
                          eval_every=20, eval_batches=16, heldout=8192))


STEPS_QUICK = 240  # about 3x the median steps the learners need at distance 128 (measured learning curves)
LR_CENTER = {"tiny": 1e-2, "quick": 1e-2, "full": 3e-3}  # the middle of each model's learning-rate sweep
