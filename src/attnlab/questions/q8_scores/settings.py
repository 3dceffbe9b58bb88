"""q8's settings: the scores compared, the two models and their tasks, the profiles, every threshold and
margin of the rule, the names of the conditions, and the literature."""

from __future__ import annotations

from typing import Any

from attnlab.lab.context import pick
from attnlab.results import Reference

# ---- the scores (an explicit list: a score registered by a user or a test must never enter q8) ----
SCORES: tuple[str, ...] = ("dot", "scaled_dot", "general", "additive")  # the four Britz/Vaswani/Luong compare
UNSCALED: tuple[str, ...] = ("dot", "general")  # the multiplicative scores without 1/sqrt(d_k)
ADDITIVE = "additive"  # Britz's and Luong's reference score
SCALED = "scaled_dot"  # the score every time is compared against

# ---- the models and tasks ----
D_MODEL = 64  # Transformer width, fixed
N_HEADS = 1  # the head count, fixed while d_k (``head_dim``) alone varies
HEAD_DIMS: tuple[int, ...] = (8, 32, 128)  # d_k at one head: a factor 4 apart, from small to Britz's range
LOOKUP = {"n_pairs": 8, "n_keys": 16, "n_values": 16, "n_queries": 4}  # key-value lookup (Transformer)
REVERSE = {"length": 8, "n_symbols": 8}  # sequence reversal (RNN encoder-decoder)
RNN_D = 32  # LSTM width of the encoder-decoder (the score's d)
RNN_STYLE = "luong"  # global attention after the decoder step (Luong et al. 2015)
MEM_LENGTHS: tuple[int, ...] = (64, 256)  # sequence lengths of the memory measurement
TINY_MEM_LENGTHS: tuple[int, ...] = (16, 32)  # the same in the tiny profile
MEM_BATCH = 2  # batch of the memory measurement
LAYER_BATCH = 4  # batch of the per-layer timing
KERNELS: tuple[str, ...] = ("auto", "reference")  # the library's kernels, and the materialising reference
TIMING_THREADS = 2  # torch threads of the timing trial (run alone)
TIMING_LENGTH = 256  # sequence length of the per-layer timing (quick and standard)


def model_name(head_dim: int) -> str:
    """The condition name of the lookup Transformer at ``d_k = head_dim`` (one head): ``"transformer_dk8"``."""
    return f"transformer_dk{head_dim}"


def head_dim(model: str) -> int:
    """``d_k`` of a Transformer condition name (inverse of :func:`model_name`)."""
    return int(model.removeprefix("transformer_dk"))


RNN = "rnn"  # the LSTM encoder-decoder on reversal
SMALL, LARGE = model_name(min(HEAD_DIMS)), model_name(max(HEAD_DIMS))
TRANSFORMERS: tuple[str, ...] = tuple(model_name(hd) for hd in HEAD_DIMS)
MODELS: tuple[str, ...] = tuple(model_name(hd) for hd in HEAD_DIMS) + (RNN,)

# ---- thresholds and margins of the rule ----
THRESHOLD = 0.9  # token accuracy every condition is trained to
SPEEDUP = 1.5  # a steps (or time, or memory) ratio whose interval clears this is a difference that matters
MIN_REACHED = 0.8  # share of the seeds that must reach the threshold for a score to count as learned (4 of 5)
FLIP_OVER = 1.1  # "what would change it" moves a ratio to SPEEDUP * FLIP_OVER (just above the margin) ...
AS_GOOD_RATIO = 1.0  # ... or to 1 (no difference), or to 1 / (SPEEDUP * FLIP_OVER) (faster by the margin)


def profile_settings(profile: str) -> dict[str, Any]:
    """Budget, batch, evaluation and timing sizes of ``profile``.

    Every run trains the whole budget (no early stop; steps to the threshold are read off the curve), the same
    for every score, width and model. Measured at 3e-3 (quick, one seed): scaled_dot reaches 0.9 at 75 steps at
    every d_k, additive at 100-175; in the LSTM additive at 125 and scaled_dot at 250 (at 1e-2): 300 steps is
    about 3x the reference scores' steps and lets every score that can learn do so.
    """
    return pick(profile,
                tiny=dict(steps=20, batch_size=16, eval_every=10, eval_batches=2, timing_repeats=2,
                          timing_length=32),
                quick=dict(steps=300, batch_size=32, eval_every=25, eval_batches=4, timing_repeats=7,
                           timing_length=TIMING_LENGTH),
                full=dict(steps=1500, batch_size=64, eval_every=50, eval_batches=8, timing_repeats=21,
                          timing_length=1024))


LR_CENTER = {"tiny": 3e-3, "quick": 3e-3, "full": 1e-3}  # the middle of each condition's learning-rate sweep


# ---- literature (different regimes: cited, not set beside ours) ----
BRITZ = Reference(
    "Britz et al. 2017, Massive Exploration of NMT Architectures, §4.5 (attention mechanism)", "Multiplicative "
    "(Luong's general) attention scored 22.03, 22.33, 21.78 and 18.22 BLEU at attention dimension 128, 256, 512 and "
    "1024, additive attention 22.23, 22.33, 22.47 and 22.10: additive slightly but consistently better, and the "
    "multiplicative score collapsed at 1024; scaling was not tried.",
    "2-layer LSTM NMT, WMT'15 En-De, newstest2013 BLEU, attention dimension 128-1024", "supports",
    "https://arxiv.org/abs/1703.03906",
    finding_zh="注意力维度为 128、256、512、1024 时，乘性注意力（Luong 的通用打分）得到 22.03、22.33、21.78、18.22 "
                "BLEU，加性注意力为 22.23、22.33、22.47、22.10：加性略好且一贯如此，乘性打分在 1024 维时崩溃；"
                "论文没有试缩放。",
    regime_zh="2 层 LSTM 神经机器翻译，WMT'15 英德，newstest2013 BLEU，注意力维度 128 至 1024")
VASWANI = Reference(
    "Vaswani et al. 2017, Attention Is All You Need, §3.2.1", "For small d_k the two perform similarly; additive "
    "outperforms dot-product attention without scaling for larger d_k (citing Britz et al.); scaling by 1/√d_k "
    "counteracts it; dot-product attention is much faster and more space-efficient in practice.",
    "Transformer, d_k = 64 (an argument, not an ablation)", "supports", "https://arxiv.org/abs/1706.03762",
    finding_zh="d_k 较小时两者效果相近；d_k 较大时，加性注意力胜过不缩放的点积注意力（引用 Britz 等人）；按 1/√d_k "
                "缩放可以抵消这一点；实际运行中点积注意力快得多，也省内存得多。",
    regime_zh="Transformer，d_k = 64（是论证，不是消融实验）")
LUONG = Reference(
    "Luong et al. 2015, Effective Approaches to Attention-based NMT, Table 4 and its discussion",
    "Global attention with the dot score reached 18.6 BLEU, with general 17.3 (local-p with general was best, "
    "19.0); their concat (additive) score 'did not yield good performances' and is not in the table.",
    "4-layer LSTM NMT, 1000 units, WMT'14 En-De, newstest2014 BLEU", "supports", "https://arxiv.org/abs/1508.04025",
    finding_zh="全局注意力用点积打分得到 18.6 BLEU，用通用打分得到 17.3（最好的是局部预测式注意力加通用打分，19.0）"
                "；他们的拼接（加性）打分「效果不好」，没有列进表里。",
    regime_zh="4 层 LSTM 神经机器翻译，1000 个单元，WMT'14 英德，newstest2014 BLEU")
LITERATURE = (BRITZ, VASWANI, LUONG)
