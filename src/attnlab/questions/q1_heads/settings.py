"""q1's settings: the head counts and tasks compared, the profiles, every threshold and margin, the literature."""

from __future__ import annotations

from typing import Any

from attnlab.lab.context import pick
from attnlab.results import Reference

HEADS = (1, 2, 4, 8)  # head counts compared (at fixed d_model: those that divide it)
# the two arms: heads at a fixed d_model (head width d_model / h), and heads at a fixed head width d_k (the
# profile's ``d_k``; d_model fixed too, so only the attention's inner width h·d_k grows with h)
ARMS = ("d_model", "d_k")
ARM_EN = {"d_model": "d_model fixed", "d_k": "head width fixed"}
ARM_ZH = {"d_model": "d_model 固定", "d_k": "每头维度固定"}
TASKS: dict[str, dict[str, Any]] = {  # the multi-relation task and its one-relation control
    "multi": {"length": 16, "n_symbols": 4, "offsets": [-1, 2], "include_first": True},
    "single": {"length": 16, "n_symbols": 8, "offsets": [2], "include_first": False},
}
TASK_ZH = {"multi": "三关系", "single": "单关系"}
BASELINE_ZH = {"chance": "随机猜测", "all_but_one_relation": "只看其余关系、对剩下一个随机猜测"}
RELATIONS = {"-1": "previous token", "+2": "token two ahead", "first": "first token"}  # of the multi task
EXAMPLE = "The animal didn't cross the street because it was too tired."  # for the attention explorer

THRESHOLD = 0.95  # accuracy that counts as "learned"
MIN_REACHED = 0.8  # share of seeds that must reach the threshold (4 of 5) for a condition to count as learning
BUDGET_FACTOR = 2  # the budget must be at least this many times the best condition's median steps
FIXED_STEP = 300  # accuracy compared at this step (read from every run's evaluation curve)
MIN_RATIO = 1.25  # steps ratio whose interval lies beyond this (or below 1 / this) counts as a difference
PRUNE_TOL = 0.02  # a pruned model keeps its accuracy when within this of the unpruned one; also the accuracy
#                   margin of "more heads is better / worse"
# "many heads can be removed": at least this share. Eight heads give per-seed shares on a grid of 1/8 (and MiniLM's
# on steps of 0.1), so a threshold on a grid point turns a tie into a verdict (0.25 met 4 of 5 seeds exactly). 3/16
# lies midway between removing one and two of eight heads, on neither grid, and next to Michel et al.'s ~20% for
# a WMT Transformer (~40% for BERT): "many" means at least two of eight heads.
MANY = 0.1875
ROLE_MASS = 0.5  # a head's role is the offset (or the first token) holding more than this of its weight
# a relation is covered when the heads whose role it is are used: masking them together costs more than PRUNE_TOL
# accuracy (a head parked on the first token, a sink, has the first token's role but is not used)
SPECIALISED = 0.5  # relations covered: confirmed above n - this (every relation has its own head)
MIXED = 1.0  # relations covered: refuted below n - this
MINILM_KEEP = 0.9  # MiniLM keeps its behaviour while >= 90% of sentences keep their nearest neighbour
MINILM_STEP = 0.1  # MiniLM's heads are removed in steps of this share
MINILM_FRACTIONS = tuple(i / 10 for i in range(10))  # 0, 10%, ..., 90% of MiniLM's heads removed
RANDOM_ORDERS = 3  # random pruning orders averaged per trained model

MICHEL = Reference("Michel et al. 2019, §3-4 (Figure 2, Table 2)", "Without retraining, ~20% of a WMT "
                   "Transformer-large's heads and ~40% of BERT's heads (MNLI) can be pruned with no notable loss; "
                   "most layers can be reduced to one head at test time.", "WMT14 En-Fr BLEU, MNLI accuracy",
                   "supports", "https://arxiv.org/abs/1905.10650",
                   finding_zh="不重新训练，WMT 上 Transformer-large 约 20% 的头、BERT（MNLI）约 40% "
                               "的头可以剪掉而效果无明显损失；测试时大多数层只留一个头也可以。",
                   regime_zh="WMT14 英法翻译 BLEU，MNLI 准确率")
VOITA = Reference("Voita et al. 2019, §5-6", "In a WMT encoder, positional, syntactic and rare-token heads are the "
                  "important ones; pruning 38 of 48 encoder heads costs 0.15 BLEU.", "WMT En-Ru Transformer-base, "
                  "BLEU", "supports", "https://arxiv.org/abs/1905.09418",
                  finding_zh="WMT 编码器里起关键作用的是位置头、句法头和低频词头；编码器 48 个头剪掉 38 个，BLEU "
                              "只降 0.15。",
                  regime_zh="WMT 英俄翻译，Transformer-base，BLEU")
VASWANI = Reference("Vaswani et al. 2017, Table 3 (A)", "At fixed compute, 1 head is 0.9 BLEU worse than 8; 32 "
                    "heads are worse than 16.", "WMT14 En-De dev, Transformer-base, BLEU", "supports",
                    "https://arxiv.org/abs/1706.03762",
                    finding_zh="计算量相同时，1 个头比 8 个头低 0.9 BLEU；32 个头不如 16 个头。",
                    regime_zh="WMT14 英德开发集，Transformer-base，BLEU")
LITERATURE = [MICHEL, VOITA, VASWANI]


def profile_settings(profile: str) -> dict[str, Any]:
    """Model width, the fixed head width of the second arm, the training budget per task, the head count that is
    pruned, and the MiniLM sample of ``profile``.

    Every run trains its task's whole budget (no early stop), so steps to the threshold are read from the curve
    and pruning, importance and roles are read at the same step for every head count. The quick budgets are
    about 3x the reference condition's median steps (h=4 on three relations: 250 to 375; h=1 on one: 150).
    """
    return pick(profile,
                tiny=dict(d_model=16, d_k=4, steps={"multi": 30, "single": 30}, batch_size=32, eval_every=10,
                          prune_heads=4, minilm=dict(n_importance=8, n_eval=12, n_random=1)),
                quick=dict(d_model=32, d_k=8, steps={"multi": 800, "single": 450}, batch_size=32, eval_every=25,
                           prune_heads=8, minilm=dict(n_importance=24, n_eval=40, n_random=1)),
                full=dict(d_model=64, d_k=16, steps={"multi": 4000, "single": 2000}, batch_size=64, eval_every=50,
                          prune_heads=8, minilm=dict(n_importance=400, n_eval=400, n_random=5)))


LR_CENTER = {"tiny": 3e-3, "quick": 3e-3, "full": 1e-3}  # the middle of each condition's learning-rate sweep
