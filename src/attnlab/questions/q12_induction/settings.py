"""q12's settings: the two models compared, the task and profiles, every threshold, the literature."""

from __future__ import annotations

from typing import Any

from attnlab.lab.context import pick
from attnlab.results import Reference

CONDITIONS = ("two_layer", "one_layer")  # the model that can form induction heads, and the control that cannot
N_LAYERS = {"two_layer": 2, "one_layer": 1}
LABEL = {"two_layer": "2-layer attention-only", "one_layer": "1-layer attention-only (control)"}
SHORT = {"two_layer": "2 layers", "one_layer": "1 layer"}
LABEL_ZH = {"two_layer": "2 层纯注意力模型", "one_layer": "1 层纯注意力模型（对照）"}
BASELINE_ZH = {"chance": "随机猜测", "order_free": "不看顺序（在只出现过一次的符号中均匀猜）"}

LOSS_MARK = 0.5  # the repeat's loss below this share of the order-free baseline's: the repeat is being predicted
INDUCTION_MARK = 0.4  # a head's induction score at or above this: an induction head (uniform attention: ~1/t)
DETECT = 0.3  # heads scoring at least this (induction; previous-token in layer 1) are the detected ones
MIN_REACHED = 0.8  # share of seeds that must cross a mark for its step to count
ABRUPT = 0.5  # a loss drop from 0.9 to 0.1 x the order-free loss in under this share of its step is abrupt
TOGETHER = 0.2  # the induction score's step within this share of the loss step (either side): together
NEAR = 0.1  # the control's loss within this share of the order-free baseline's (either side): near the baseline
GAP = 0.5  # the control's repeat loss above the 2-layer model's by at least this share of the baseline: far above
MOST = 0.5  # patching the detected heads recovers, and ablating them removes, more than this share: most
SOME = 0.25  # ablating the other heads removes less than this share: they do not carry it

# how far across a threshold a flip ("what would change it") moves a number
NUDGE = {"share": 0.05, "ratio": 0.05, "score": 0.05}

LOSS = (0.0, None)  # nats
ACC = (0.0, 1.0)
SHARE = (None, None)  # recovered / removed shares: can overshoot 0 and 1 a little

OLSSON = Reference(
    "Olsson et al. 2022, §3 and Argument 1", "Induction heads form in a sudden phase change early in training; "
    "the in-context learning score (loss at token 500 minus at token 50) improves at the same moment; one-layer "
    "attention-only models form no induction heads and show no phase change.",
    "attention-only and full Transformers, 1-40 layers, up to 13B parameters, natural-language pre-training; "
    "induction measured on repeated random tokens", "supports", "https://arxiv.org/abs/2209.11895",
    finding_zh="归纳头在训练早期的一次突然相变中形成；上下文学习得分（第 500 个词元与第 50 个词元的损失之差）"
               "在同一时刻改善；"
                "1 层纯注意力模型不形成归纳头，也没有相变。",
    regime_zh="纯注意力模型和完整 Transformer，1 至 40 层，最大 13B 参数，在自然语言上预训练；归纳用重复的随机词元测量")
ELHAGE = Reference(
    "Elhage et al. 2021, \"A Mathematical Framework for Transformer Circuits\"", "In two-layer attention-only "
    "models an induction head in layer 2 reads, through K-composition, a previous-token head in layer 1; "
    "one-layer models can only learn bigrams and skip-trigrams.", "attention-only models, 1-2 layers, "
    "natural-language pre-training", "supports", "https://transformer-circuits.pub/2021/framework/index.html",
    finding_zh="在 2 层纯注意力模型中，第 2 层的归纳头通过键组合读取第 1 层的前一词元头；1 层模型只能学到二元"
               "组和跳跃三元组。",
    regime_zh="纯注意力模型，1 至 2 层，在自然语言上预训练")
SINGH = Reference(
    "Singh et al. 2024, \"What needs to go right for an induction head?\"", "The induction circuit's parts are "
    "learned together: the previous-token and induction sub-circuits interact, and clamping either delays the "
    "phase change.", "2-layer attention-only models on a synthetic in-context task", "context",
    "https://arxiv.org/abs/2404.07129",
    finding_zh="归纳电路的各部分一起学成：前一词元子电路和归纳子电路相互作用，固定其中任一个都会推迟相变。",
    regime_zh="在合成的上下文任务上训练的 2 层纯注意力模型")
LITERATURE = [OLSSON, ELHAGE, SINGH]


def profile_settings(profile: str) -> dict[str, Any]:
    """The task, model width, training budget and test set of ``profile``.

    Quick/standard: sequences of 32 tokens over 32 symbols with a segment of 4-10 repeated at random places, a model
    of width 64 with 4 heads of 16 and RoPE. Learning curves measured first (rate 3e-3): the 2-layer model's loss on
    the repeat sits on a plateau near 3.1 nats (the order-free guess: 2.63), then falls to 2.1 at step 450, 0.74 at
    500 and 0.05 at 550, while the largest induction score of a layer-2 head rises from 0.11 to 0.23, 0.43 and 0.78;
    the 1-layer model stays near 2.9 nats for 1500 steps; at 1e-3 the 2-layer model had not finished the drop by
    1500. 1500 steps is three times the step of the drop at 3e-3 (2 cores: about 2 minutes per model).
    """
    return pick(profile,
                tiny=dict(length=16, min_repeat=3, max_repeat=6, n_symbols=16, d_model=16, n_heads=2, steps=40,
                          batch_size=16, eval_every=10, n_eval=32),
                quick=dict(length=32, min_repeat=4, max_repeat=10, n_symbols=32, d_model=64, n_heads=4, steps=1500,
                           batch_size=32, eval_every=50, n_eval=256),
                full=dict(length=64, min_repeat=4, max_repeat=24, n_symbols=64, d_model=128, n_heads=4, steps=6000,
                          batch_size=64, eval_every=100, n_eval=1024))


LR_CENTER = {"tiny": 3e-3, "quick": 3e-3, "full": 1e-3}  # the middle of each condition's learning-rate sweep
