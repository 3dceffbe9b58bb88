"""q4's settings: the task, the profiles, the thresholds of the rule and the literature."""

from __future__ import annotations

from typing import Any

from attnlab.lab.context import pick
from attnlab.results import Reference

# ---- conditions (the ``kind`` of a trial's config)
MONTE_CARLO = "monte_carlo"  # Var(q·k) of independent random vectors
TRAINED = "trained"  # encoders at d_model and head count fixed, heads of width d_k
MINILM = "minilm"  # all-MiniLM-L6-v2 on the built-in corpus
DISTS = ("gaussian", "rademacher", "scaled")  # the Monte Carlo's components: N(0,1), ±1, N(0,1) over √d_k
WHEN = ("init", "trained")  # when the logits of a trained model are measured

# ---- the task and the models
THRESHOLD = 0.95  # accuracy that counts as "learned"
TASK = {"n_pairs": 16, "n_keys": 32, "n_values": 16, "n_queries": 4}  # key-value lookup
PROBE_BATCH = 256  # inputs whose logits are measured

# ---- the rule
DERIVATION_TOL = 0.05  # Monte Carlo slopes within this of 1 (Var(q·k)) and 0 (scaled): else a bug
FLAT = 0.1  # |slope| below this: the scale does not depend on d_k (unscaled logits would give 0.5)
WEAK = 0.25  # |slope| below this: it depends on d_k at most half as much as unscaled logits would
UNSCALED_EXTRA = 0.5  # what removing the 1/√d_k adds to the log-log slope of the logits' std
UNIT_BAND = (0.5, 2.0)  # "O(1)": within a factor 2 of 1
# "Of order one" where it matters to a softmax: Gaussian logits of std 4 over the 16 to 33 keys of our inputs put
# 0.64 to 0.70 of their weight on one key before anything is learned (std 10: 0.85 to 0.88, saturated), and 4 is
# the std unscaled independent logits have at d_k = 16; at std 1/4 the weights are within 1.6x of uniform.
# Beyond (1/4, 4) the scaled logits are not of order one in any sense the scaling is for.
ORDER_BAND = (0.25, 4.0)
MIN_REACHED = 0.8  # share of a condition's seeds that must reach the threshold
FLIP_STEP = 0.01  # how far across a slope threshold a "what would change it" value lies
FLIP_FACTOR = 1.1  # how far (a factor) across a std band a "what would change it" value lies

FOOTNOTE = Reference("Vaswani et al. 2017, §3.2.1 footnote 4", "If the components of q and k are independent "
                     "random variables with mean 0 and variance 1, q·k has mean 0 and variance d_k; dividing by "
                     "√d_k counteracts the growth.", "assumption about random vectors, not a measurement",
                     "supports", "https://arxiv.org/abs/1706.03762",
                     finding_zh="若 q 和 k 的各分量是均值为 0、方差为 1 的独立随机变量，q·k 的均值为 0、方差为 d_k；"
                                 "除以 √d_k 正好抵消这种增长。",
                     regime_zh="对随机向量的假设，不是测量")


def profile_settings(profile: str) -> dict[str, Any]:
    """Model width, head count, head widths, training budget, Monte Carlo dimensions and corpus size of ``profile``.

    d_model and the head count are fixed and only the head width d_k moves (``head_dim``); every run trains the
    whole budget (no early stop), so the logits are read at the same step for every d_k. The quick budget is
    about 3x the steps the d_k = 8 to 64 encoders needed to reach 0.95 at 3e-3 (150 to 200).
    """
    return pick(profile,
                tiny=dict(d_model=16, n_heads=2, dks=[2, 4, 8, 16], steps=30, batch_size=32, eval_every=10,
                          dims=[4, 16, 64, 256], n_samples=2000, n_texts=8),
                quick=dict(d_model=64, n_heads=2, dks=[8, 16, 32, 64], steps=600, batch_size=32, eval_every=25,
                           dims=[2**i for i in range(2, 11)], n_samples=20000, n_texts=64),
                full=dict(d_model=256, n_heads=4, dks=[8, 16, 32, 64, 128, 256], steps=3000, batch_size=64,
                          eval_every=50, dims=[2**i for i in range(1, 13)], n_samples=200000, n_texts=800))


LR_CENTER = {"tiny": 3e-3, "quick": 3e-3, "full": 1e-3}  # the middle of each condition's learning-rate sweep
