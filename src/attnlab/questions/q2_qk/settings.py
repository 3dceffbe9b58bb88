"""q2's settings: the variants, readouts and tasks compared, the profiles, every threshold and margin, the
literature."""

from __future__ import annotations

from typing import Any

from attnlab.lab.context import pick
from attnlab.results import Reference

VARIANTS = ("separate", "shared", "none")  # separate W_Q and W_K; one shared matrix; no projection (q = k = x)
TEXT_VARIANTS = ("separate", "shared")  # the variants of the text LM
READOUTS = ("attention", "block")  # one attention layer read linearly; a full Transformer block
TASKS: dict[str, dict[str, int]] = {  # 3-cycles (one-way relations) and the symmetric control (2-cycles)
    "asymmetric": {"cycle_len": 3, "n_cycles": 4, "cycles_per_seq": 2, "n_values": 8},
    "symmetric": {"cycle_len": 2, "n_cycles": 6, "cycles_per_seq": 3, "n_values": 8},
}
TASK_ZH = {"asymmetric": "非对称（置换的 3-轮换）", "symmetric": "对称（置换的 2-轮换）"}
VARIANT_ZH = {"separate": "分开的 W_Q/W_K", "shared": "共享同一矩阵", "none": "不做投影"}
READOUT_ZH = {"attention": "注意力直接线性读出", "block": "完整 Transformer 块"}
BASELINE_ZH = {"chance": "随机猜测", "no_lookup": "不查找（猜上下文中最常见的值）"}
EXAMPLE = "The dog chased the cat because it was hungry."  # asymmetric relations, for the attention explorer

THRESHOLD = 0.95  # accuracy that counts as "learned"
MIN_REACHED = 0.8  # share of seeds that must reach the threshold (4 of 5) for a condition to count as learning
RANK_BOUND = 2 / 3  # symmetric score, 3-cycles: at most 2 of 3 tokens rank their partner first
MIN_GAIN = 0.05  # accuracy: a paired gain whose interval lies above this "helps"
MIN_SPEEDUP = 1.5  # steps-to-threshold ratio whose interval lies above this "helps"
# Calibrated (one seed, 1 thread): d_model 64, 400 steps reaches 2.15 nats/char held out (separate; unigram 3.09)
# in about 25 s a trial; d_model 48 with 300 steps stays at 2.43, barely past character frequencies.
TEXT_QUICK = {"d_model": 64, "steps": 400}
TEXT_MARGIN = 0.02  # nats per character: a paired held-out loss difference whose interval lies above this "helps"
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


def profile_settings(profile: str) -> dict[str, Any]:
    """Model width and training budget of the cycle tasks in ``profile``."""
    return pick(profile,
                tiny=dict(d_model=16, steps=40, batch_size=32, lr=3e-3, eval_every=20),
                quick=dict(d_model=32, steps=800, batch_size=32, lr=3e-3, eval_every=25),
                full=dict(d_model=64, steps=4000, batch_size=64, lr=2e-3, eval_every=50))


def text_settings(profile: str) -> dict[str, Any]:
    """The character LM of ``profile``: width, heads, context, budget and held-out batches."""
    return pick(profile,
                tiny=dict(d_model=16, n_heads=2, seq_len=32, steps=30, batch_size=16, lr=3e-3, eval_every=15,
                          eval_batches=2),
                quick=dict(d_model=TEXT_QUICK["d_model"], n_heads=4, seq_len=64, steps=TEXT_QUICK["steps"],
                           batch_size=32, lr=3e-3, eval_every=100, eval_batches=16),
                full=dict(d_model=128, n_heads=4, seq_len=128, steps=3000, batch_size=64, lr=1e-3, eval_every=100,
                          eval_batches=32))
