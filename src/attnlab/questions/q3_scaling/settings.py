"""q3's settings: the temperatures compared, the task, the profiles, the thresholds and the literature."""

from __future__ import annotations

import math
from typing import Any

from attnlab.lab.context import pick
from attnlab.results import Reference

TEMPERATURES = ("1", "1/sqrt(d_k)", "1/d_k")  # the logit multipliers compared
REFERENCE = "1/sqrt(d_k)"  # every comparison is paired against this one
THRESHOLD = 0.95  # accuracy that counts as "learned"
SATURATED_AT = 0.9  # a row is saturated when its largest weight exceeds this
PROBE_STEPS = (10, 25, 50, 100, 200, 400)  # steps at which saturation and gradients are measured
EARLY = ("25", "50", "100")  # probes of early training, before any model here reaches the threshold
TASK = {"n_pairs": 16, "n_keys": 32, "n_values": 16, "n_queries": 4}  # key-value lookup, 16 pairs
MIN_RATIO = 1.5  # "training is harder": steps ratio whose interval lies above this
SIMILAR = (1 / 1.5, 1.5)  # "perform similarly": steps ratio interval inside this
MIN_SATURATION_GAIN = 0.1  # paired difference in rows saturated on a wrong key that counts as "saturates"
MAX_GRAD_RATIO = 0.5  # gradient ratio whose interval lies below this counts as "vanishes"
BUDGET_FACTOR = 3  # the budget must be at least this many times the reference's median steps
MIN_REACHED = 0.8  # share of the reference's seeds that must reach the threshold

VASWANI = Reference("Vaswani et al. 2017, §3.2.1", "Additive and dot-product attention perform similarly for "
                    "small d_k; additive outperforms unscaled dot products for larger d_k, which the authors "
                    "attribute to large dot products pushing the softmax into regions of extremely small "
                    "gradients.", "WMT translation (no table for the unscaled variant)", "supports",
                    "https://arxiv.org/abs/1706.03762",
                    finding_zh="d_k 较小时，加性注意力与点积注意力效果相近；d_k 较大时，"
                                "加性注意力胜过不缩放的点积注意力。作者认为原因是点积太大，把 softmax "
                                "推进了梯度极小的区域。",
                    regime_zh="WMT 翻译（论文没有给出不缩放版本的表格）")


def temperature(name: str, d_k: int) -> float:
    """The logit multiplier called ``name`` ("1", "1/sqrt(d_k)", "1/d_k") for head width ``d_k``."""
    factors = {"1": 1.0, "1/sqrt(d_k)": 1.0 / math.sqrt(d_k), "1/d_k": 1.0 / d_k}
    if name not in factors:
        raise ValueError(f"temperature: expected one of {TEMPERATURES}, got {name!r}")
    return factors[name]


def profile_settings(profile: str) -> dict[str, Any]:
    """Model width, head count, head widths compared and the training budget of ``profile``.

    The head count is fixed and d_k varies (``head_dim``), so d_k is the only factor that changes between
    widths; every run trains the whole budget (no early stop), so every probe is read at the same step.
    """
    return pick(profile,
                tiny=dict(d_model=16, n_heads=2, dks=[2, 16], steps=30, batch_size=32, eval_every=10),
                quick=dict(d_model=64, n_heads=2, dks=[8, 64], steps=800, batch_size=32, eval_every=25),
                full=dict(d_model=256, n_heads=4, dks=[8, 64, 256], steps=3000, batch_size=64, eval_every=50))


LR_CENTER = {"tiny": 3e-3, "quick": 3e-3, "full": 1e-3}  # the middle of each condition's learning-rate sweep
