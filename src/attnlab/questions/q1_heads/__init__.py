"""q1: why does the Transformer need multi-head attention?

The seed's answer has four parts, each tested:

1. **Heads attend to different things** (sub-spaces). On the multi-relation task
   (:class:`attnlab.data.MultiRelationTask`: each output needs the symbols at offsets -1 and +2 and the
   first token at once), is each relation the dominant target of some head, and are those heads used
   (masking them costs accuracy; a head parked on the first token does not count)?
2. **More heads is not always better.** One encoder layer, h in {1, 2, 4, 8}, in two arms: d_model fixed
   (the head width is d_model / h) and the head width fixed (``head_dim``: h heads of width d_k, d_model
   fixed too), so that "more heads" and "narrower heads" are told apart. Each condition at the learning rate
   its sweep chose (:mod:`attnlab.lab.tuning`), trained for its task's whole budget with no early stop:
   steps to 0.95 read from the curve and accuracy at a fixed step, compared paired per seed; on the
   multi-relation task and on a one-relation control.
3. **One head can be enough.** Does h = 1 reach the threshold, on the control and on three relations (and,
   where it does not, did it learn more than reading two of the three relations gives)?
4. **Many heads can be removed.** Michel et al. 2019: head importance I_h = E|∂L/∂ξ_h| (ξ the head mask,
   :func:`attnlab.analysis.heads.head_importance`), heads gated off least important first without
   retraining, read at the end of the budget; the fraction that can go with accuracy within 0.02 of the
   unpruned model, beside random
   order, and "one head at test time" (keep only the most important head). The same on all-MiniLM-L6-v2
   (6 x 12 heads, sentence embeddings; quality = agreement of each sentence's nearest neighbour with the
   full model).

Vaswani et al. 2017 Table 3 (A) varies h at fixed compute on WMT (BLEU): a different regime, so it is set
in the literature, not beside our accuracies.
"""

from __future__ import annotations

from attnlab.lab.registry import register
from attnlab.lab.spec import Experiment, Question
from attnlab.questions.q1_heads import evidence, rule, trials, words
from attnlab.questions.q1_heads.trials import minilm_trial, prunable_fraction, train_trial

__all__ = ["EXPERIMENT", "QUESTION", "minilm_trial", "prunable_fraction", "train_trial"]

QUESTION = Question(
    qid="q1",
    title="Why multi-head attention?",
    question="Why does the Transformer need multi-head attention?",
    question_zh="为什么Transformer 需要进行 Multi-head Attention？",
    claim="Heads form sub-spaces that attend to different things, an internal ensemble; but more heads is not "
          "always better, one head can be enough, and many heads can be removed.",
    claim_zh="将模型分为多个头，形成多个子空间，可以让模型去关注不同方面的信息；……并不是multi-head的参数设置越大越好，"
             "有的时候1就已经非常好了，去掉一些头效果依然有不错的效果",
)

EXPERIMENT = register(Experiment(QUESTION, trials=trials.trials, aggregate=evidence.aggregate, rule=rule.decide,
                                 words=words.WORDS, tuning=trials.TUNING))
