"""q5's settings: what is timed, the profiles, the thresholds of the rule and the literature."""

from __future__ import annotations

from typing import Any

from attnlab.lab.context import pick
from attnlab.results import Reference

# ---- conditions (the ``kind`` of a trial's config)
THREADS_KIND = "threads"  # one layer per architecture, 1 and 2 threads in alternation
GENERATION_KIND = "generation"  # a causal LM: one pass, token by token, generation with and without the cache
DEVICE_KIND = "device"  # one layer per architecture on the CPU and a GPU (full profile, when one is there)

BATCH = 1  # one sequence: the only parallelism left is across positions and inside each position's matrices
KERNEL = 3  # the convolution's kernel
THREADS = (1, 2)  # torch threads compared
TIMING_THREADS = 2  # threads an exclusive timing trial holds (and the quiet-machine gate leaves them)
GEN_THREADS = 1  # the decoder's passes are compared on one core: batching alone, no threading
GEN_VOCAB = 64  # the causal LM's vocabulary
GEN_LAYERS = 2  # the causal LM's layers
ARCHS: dict[str, str] = {  # name -> what is timed
    "encoder": "Transformer encoder block (self-attention + feed-forward)",
    "decoder": "the same block with a causal mask (a decoder in training)",
    "lstm": "LSTM layer",
    "cnn": f"convolution, kernel {KERNEL}",
}
ARCHS_ZH = {
    "encoder": "Transformer 编码器块（自注意力 + 前馈层）",
    "decoder": "加因果掩码的同一个块（训练中的解码器）",
    "lstm": "LSTM 层",
    "cnn": f"卷积层，卷积核 {KERNEL}",
}
SHORT = {"encoder": "encoder block", "decoder": "causal block", "lstm": "LSTM", "cnn": f"conv k={KERNEL}"}
LAYER_KIND = {"encoder": "transformer_block", "decoder": "transformer_block", "lstm": "lstm", "cnn": "conv"}
GEN_MODES: dict[str, str] = {
    "parallel": "one teacher-forced pass over the tokens (causal mask)",
    "token_by_token": "the same given tokens fed one at a time through the KV cache",
    "cached": "greedy generation with the KV cache",
    "uncached": "greedy generation without the cache (re-runs the prefix)",
}
GEN_MODES_ZH = {
    "parallel": "对这些词元做一次教师强制前向（因果掩码）",
    "token_by_token": "把同样的已知词元经 KV 缓存逐个送入",
    "cached": "使用 KV 缓存的贪心生成",
    "uncached": "不用 KV 缓存的贪心生成（每步重算前缀）",
}

# ---- the rule
MARGIN = 1.1  # a speed-up ratio must exceed this (interval above it) to count as more parallel
NO_GAIN = 1.0  # a speed-up or time ratio whose interval does not lie above this is no gain
MIN_REPEATS = 7  # timing repeats a verdict needs
MATCH_TOL = 1e-4  # teacher-forced vs token-by-token logits
FLIP_STEP = 0.01  # how far across a threshold a "what would change it" ratio lies
FLAT_STEP_COST = 1.5  # a cached step's cost that grows less than this from the shortest to the longest length: flat

VASWANI = Reference(
    "Vaswani et al. 2017, Table 1 and §4", "Sequential operations per layer: O(1) for self-attention and "
    "convolution, O(n) for a recurrent layer; the Transformer trains in parallel over positions (teacher forcing).",
    "per-layer analysis", "supports", "https://arxiv.org/abs/1706.03762",
    finding_zh="每层的顺序操作数：自注意力和卷积为 O(1)，循环层为 O(n)；"
                "Transformer 训练时各位置并行计算（教师强制）。",
    regime_zh="逐层分析")
LITERATURE = [
    VASWANI,
    Reference("Pope et al. 2022, Efficiently Scaling Transformer Inference", "Autoregressive decoding is "
              "sequential and memory-bandwidth bound; the KV cache avoids recomputing the prefix but each token "
              "still needs a full pass over the weights.", "PaLM inference on TPU v4", "supports",
              "https://arxiv.org/abs/2211.05102",
              finding_zh="自回归解码是串行的，瓶颈在内存带宽；KV 缓存省去了重复计算前缀，"
                          "但每生成一个词元仍要把全部权重读一遍。",
              regime_zh="PaLM 在 TPU v4 上的推理"),
    Reference("Leviathan et al. 2023, speculative decoding", "Generation can be made partly parallel by "
              "drafting several tokens with a small model and verifying them in one parallel pass: one "
              "token at a time is the default, not a law.", "T5-XXL, LaMDA", "context",
              "https://arxiv.org/abs/2211.17192",
              finding_zh="先用小模型起草几个词元，再用大模型一次并行验证，生成就能部分并行：逐个生成词元是默认做法，"
                          "不是定律。",
              regime_zh="T5-XXL、LaMDA"),
    Reference("Bradbury et al. 2017, Quasi-Recurrent Neural Networks", "Recurrent layers can be made mostly "
              "parallel (convolutions over time plus a cheap elementwise recurrence): the sequential part of "
              "an RNN is a design choice.", "QRNN vs LSTM, language modelling", "context",
              "https://arxiv.org/abs/1611.01576",
              finding_zh="循环层也可以大体并行（沿时间做卷积，再加一个开销很小的逐元素递推）：RNN "
                          "的串行部分是设计上的选择。",
              regime_zh="QRNN 与 LSTM 对比，语言建模"),
]


def profile_settings(profile: str) -> dict[str, Any]:
    """Width, lengths timed and timing repeats of ``profile``."""
    return pick(profile,
                tiny=dict(d_model=16, n_heads=4, lengths=[8, 32], gen_lengths=[4, 16], repeats=2, gen_repeats=2,
                          warmup=1, min_seconds=0.0, max_seconds=2.0),
                quick=dict(d_model=64, n_heads=4, lengths=[32, 128, 512], gen_lengths=[16, 64, 256], repeats=9,
                           gen_repeats=7, warmup=2, min_seconds=0.005, max_seconds=25.0),
                full=dict(d_model=256, n_heads=8, lengths=[64, 256, 1024, 2048], gen_lengths=[32, 128, 512],
                          repeats=15, gen_repeats=11, warmup=3, min_seconds=0.02, max_seconds=240.0))
