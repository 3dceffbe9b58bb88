"""q2's settings: the variants, readouts and tasks compared, the profiles, every threshold and margin, the
literature."""

from __future__ import annotations

from typing import Any

from attnlab.lab.context import pick
from attnlab.results import Reference

VARIANTS = ("separate", "shared", "none")  # separate W_Q and W_K; one shared matrix; no projection (q = k = x)
# the text LM: separate, shared, and shared with wider heads so that its parameters match separate's within 1%
TEXT_VARIANTS = ("separate", "shared", "shared_matched")
READOUTS = ("attention", "block")  # one attention layer read linearly; a full Transformer block
# the cycle conditions trained (readout, task, variant): the bound's test with its symmetric control and the
# no-projection variant (q = k = x) where attention is read linearly; separate vs shared in a full block
CYCLE_CONDITIONS = (*(("attention", "asymmetric", v) for v in VARIANTS),
                    *(("attention", "symmetric", v) for v in ("separate", "shared")),
                    *(("block", "asymmetric", v) for v in ("separate", "shared")))
TASKS: dict[str, dict[str, int]] = {  # 3-cycles (one-way relations) and the symmetric control (2-cycles)
    "asymmetric": {"cycle_len": 3, "n_cycles": 4, "cycles_per_seq": 2, "n_values": 8},
    "symmetric": {"cycle_len": 2, "n_cycles": 6, "cycles_per_seq": 3, "n_values": 8},
}
TASK_ZH = {"asymmetric": "非对称（置换的 3-轮换）", "symmetric": "对称（置换的 2-轮换）"}
VARIANT_ZH = {"separate": "分开的 W_Q/W_K", "shared": "共享同一矩阵", "none": "不做投影",
              "shared_matched": "共享同一矩阵（加宽到参数量相同）"}
VARIANT_EN = {"separate": "separate W_Q/W_K", "shared": "shared W_Q = W_K", "none": "no projection",
              "shared_matched": "shared W_Q = W_K, heads widened to separate's parameter count"}
READOUT_ZH = {"attention": "注意力直接线性读出", "block": "完整 Transformer 块"}
BASELINE_ZH = {"chance": "随机猜测", "no_lookup": "不查找（猜上下文中最常见的值）"}
EXAMPLE = "The dog chased the cat because it was hungry."  # asymmetric relations, for the attention explorer

THRESHOLD = 0.95  # accuracy that counts as "learned"
MIN_REACHED = 0.8  # share of seeds that must reach the threshold (4 of 5) for a condition to count as learning
RANK_BOUND = 2 / 3  # symmetric score, 3-cycles: at most 2 of 3 tokens rank their partner first
MIN_GAIN = 0.05  # accuracy: a paired gain whose interval lies above this "helps"
MIN_SPEEDUP = 1.5  # steps-to-threshold ratio whose interval lies above this "helps"
TEXT_MARGIN = 0.02  # nats per character: a paired held-out loss difference whose interval lies above this "helps"
# the text LM has stopped improving when its held-out loss fell by less than TEXT_MARGIN over the second half of
# its budget (upper end of the interval over seeds, every arm): a difference read earlier is a difference in speed
PLATEAU = TEXT_MARGIN
MATCH = 0.01  # the parameter-matched arm's count is within this fraction of separate's
TEXT_LEARNED = 0.8  # a text LM has learned if its held-out loss is below this fraction of the unigram loss
TEXT_LAYERS = 2  # layers of the text LM
RANDOM_DRAWS = 64  # random W_Q, W_K pairs drawn for the symmetric share of random projections

REFORMER = Reference(
    "Kitaev et al. 2020 (Reformer), §2 and Fig. 3", "Shared-QK attention trained as well as separate Q and K "
    "on enwik8 and imagenet64 (bits/dim curves overlap).", "Transformer LMs, 3-12 layers, bits per dim",
    "contradicts", "https://arxiv.org/abs/2001.04451",
    finding_zh="在 enwik8 和 imagenet64 上，共享 Q、K 的注意力与分开的 Q、K "
                "训练效果一样好（每维比特数的曲线几乎重合）。",
    regime_zh="Transformer 语言模型，3 至 12 层，每维比特数")
VASWANI = Reference(
    "Vaswani et al. 2017, §3.2", "Q and K come from separate learned projections; the paper does not ablate "
    "sharing them.", "Transformer", "context", "https://arxiv.org/abs/1706.03762",
    finding_zh="Q 和 K 来自两个各自学习的投影；论文没有做共享两者的消融实验。",
    regime_zh="Transformer")
LITERATURE = [REFORMER, VASWANI]


def budget(profile: str) -> int:
    """Steps every trained run of ``profile`` takes, cycle tasks and text LM alike (no early stop), so that every
    compared run is read at one step. Quick/standard: 600, twice the steps separate projections needed to reach
    0.95 on the 3-cycle task with attention read linearly (median 300 at 3e-3; 125 at 1e-2, one tuning seed) and
    eight times a full block's (75); shared needed 200 there (250 at 1e-2)."""
    return pick(profile, tiny=40, quick=600, full=3000)


def profile_settings(profile: str) -> dict[str, Any]:
    """Model width and training budget of the cycle tasks in ``profile``."""
    return pick(profile,
                tiny=dict(d_model=16, steps=budget("tiny"), batch_size=32, eval_every=20),
                quick=dict(d_model=32, steps=budget("quick"), batch_size=32, eval_every=25),
                full=dict(d_model=64, steps=budget("full"), batch_size=64, eval_every=50))


def text_settings(profile: str) -> dict[str, Any]:
    """The character LM of ``profile``: width, heads, context, budget and held-out batches.

    Quick/standard: d_model 16 (two heads of 8), context 32, the common budget of 600 steps; measured (one seed,
    3e-3) its held-out loss still falls 0.13 nats/char over the second half of that budget, and larger models fall
    faster for longer (d_model 32, context 64: 0.20 over the second half of 500 steps), so the plateau check
    is what says whether the text comparison can be read.
    """
    return pick(profile,
                tiny=dict(d_model=16, n_heads=2, seq_len=16, steps=budget("tiny"), batch_size=16, eval_batches=2),
                quick=dict(d_model=16, n_heads=2, seq_len=32, steps=budget("quick"), batch_size=32, eval_batches=16),
                full=dict(d_model=128, n_heads=4, seq_len=128, steps=budget("full"), batch_size=64, eval_batches=32))


# the middle of each condition's learning-rate sweep. Quick/standard: 1e-2, measured on a tuning seed: the text
# LM's validation accuracy peaks there (0.328 against 0.304 at 3e-3 and 0.302 at 3e-2), shared W_Q = W_K on the
# 3-cycles too (0.586 against 0.568 and 0.572), and separate projections learn the cycle tasks at 1e-2 and 3e-2
# alike (1.0), which a grid centred on 3e-3 would only reach at its edge
LR_CENTER = {"tiny": 3e-3, "quick": 1e-2, "full": 3e-3}
