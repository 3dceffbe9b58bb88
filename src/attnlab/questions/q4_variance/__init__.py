"""q4: how does the dot product grow with the dimension, and why scale by √d_k?

For q, k with independent components of mean 0 and variance 1,

.. math:: \\operatorname{Var}(q \\cdot k) = \\sum_{i=1}^{d_k} \\operatorname{Var}(q_i k_i) = d_k,

so the logits' standard deviation grows like √d_k and dividing by √d_k brings it back to 1 (Vaswani et al.
2017, footnote 4). That is a derivation: a Monte Carlo estimate can only confirm it, so it is shown as a
derivation check, not as the verdict. What can fail is whether the argument describes models that are
trained, where q and k are learned and not independent:

- **the scale no longer depends on d_k**: encoders with d_model = 64 and two heads of width d_k in
  {8, 16, 32, 64} (``head_dim``: only d_k moves), all with 1/√d_k, each at the learning rate its sweep chose
  (:mod:`attnlab.lab.tuning`), trained for the same budget on key-value lookup with no early stop; per seed,
  the log-log slope of the std of the scaled logits against d_k, at initialisation and after training, read
  at the same step for every d_k (0: independent of d_k; 0.5: growing like √d_k as unscaled logits would);
- **the scaled logits are O(1)**: their std after training in our models and in all-MiniLM-L6-v2, beside 1,
  and beside the std that independence of q and k (with their measured means and variances) predicts.

(The seed's second half, "and so mitigates vanishing gradients", is measured in q3.)

The package: ``settings`` (profiles, thresholds, literature), ``trials``, ``evidence`` (``aggregate``),
``plots``, ``rule`` (numbers and verdicts) and ``words`` (English and Chinese).
"""

from __future__ import annotations

from attnlab.lab.registry import register
from attnlab.lab.spec import Experiment, Question
from attnlab.questions.q4_variance import evidence, rule, trials, words
from attnlab.questions.q4_variance.trials import dot_variance, loglog_slope, minilm_trial, trained_trial, variance_trial

__all__ = ["EXPERIMENT", "QUESTION", "dot_variance", "loglog_slope", "minilm_trial", "trained_trial", "variance_trial"]

QUESTION = Question(
    qid="q4",
    title="Dot product vs dimension; why √d_k?",
    question="How does the size of the dot product depend on the dimension, and why scale by the square root of "
             "the dimension?",
    question_zh="维度与点积大小的关系是怎么样的，为什么使用维度的根号来放缩？",
    claim="Scaling by √d_k controls the variance of the scores and so mitigates vanishing gradients.",
    claim_zh="可以控制方差，有效缓解梯度消失的问题。",
)

EXPERIMENT = register(Experiment(QUESTION, trials=trials.trials, aggregate=evidence.aggregate, rule=rule.decide,
                                 words=words.WORDS, tuning=trials.TUNING))
