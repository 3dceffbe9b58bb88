"""q3: why is the attention in the Transformer scaled?

The seed's answer: when the logits differ a lot the softmax saturates (softmax([1, 2, 10]) puts 0.99954 on
the largest) and then the gradients are hard to update with. Three sub-claims, each measured:

1. **Large logits saturate the softmax.** At initialisation, in the regime that is then trained, the share
   of query rows whose largest attention weight exceeds 0.9.
2. **Then the gradients vanish.** Two gradients in early training, paired against 1/√d_k: the mean norm of
   ∂L/∂s at the softmax input per query row (:func:`attnlab.analysis.softmax.softmax_probe`), which a
   saturated softmax's Jacobian diag(a) - aaᵀ makes small, and the norm of ∂L/∂W_Q, what the parameters
   receive. They differ by the temperature itself: ∂L/∂(q·k) = t · ∂L/∂s, so 1/√d_k shrinks the scaled
   model's gradient at the raw scores by √d_k while it keeps its softmax out of saturation.
3. **So training is hard.** Steps to 0.95 accuracy on key-value lookup (:class:`attnlab.data.LookupTask`),
   where one attention layer must put its weight on the one matching key out of 16.

Only the logit temperature varies: one encoder layer with d_model (64) and the head count (2) fixed, no
positions, the same initialisation per seed, logits q·k multiplied by 1, 1/√d_k or 1/d_k, at d_k = 8 and
d_k = 64 (the head width alone changes). Each condition trains at its own learning rate, chosen by a sweep
on a tuning seed (:mod:`attnlab.lab.tuning`), for the same budget; comparisons are paired per seed
against 1/√d_k. Vaswani et al. 2017 (§3.2.1) expect the
unscaled form to suffer for large d_k and "for small values of d_k the two mechanisms perform similarly".

The package: :mod:`.settings` (profiles, thresholds, literature), :mod:`.trials`, :mod:`.evidence` (the
evidence names and ``aggregate``), :mod:`.plots`, :mod:`.rule` (``decide``), :mod:`.words` (en, zh).
"""

from __future__ import annotations

from attnlab.lab.registry import register
from attnlab.lab.spec import Experiment, Question
from attnlab.questions.q3_scaling import evidence, rule, trials, words

QUESTION = Question(
    qid="q3",
    title="Why scale the scores?",
    question="Why is the attention in the Transformer scaled?",
    question_zh="Transformer中的attention为什么要进行scaled？",
    claim="Large differences between logits saturate the softmax (softmax([1,2,10]) gives 0.99954 to the "
          "largest) and the gradients then vanish, which makes training hard.",
    claim_zh="只要我们的数字中，出现了差异相对较大的情况，例如[1,2,10]……0.999541338035342。"
             "这种情况还会带来一个问题，梯度更新困难",
)

EXPERIMENT = register(Experiment(QUESTION, trials=trials.trials, aggregate=evidence.aggregate, rule=rule.decide,
                                 words=words.WORDS, tuning=trials.TUNING))
