"""q6: what does attention have over CNNs and RNNs?

The seed's three advantages, each a sub-claim with its own evidence and verdict:

**Fewer parameters, lower complexity** (a derivation). Per layer of width d over n positions:
self-attention 4d² + 4d parameters and 8nd² + 4n²d forward FLOPs; an LSTM 8d² + 8d and 16nd²; a
convolution of kernel k, kd² + d and 2knd² (:mod:`attnlab.analysis.cost`; a whole Transformer block with its
feed-forward layer has 12d² + 13d). So attention has fewer parameters than an LSTM at every d, fewer
than a convolution only for k >= 5, and fewer FLOPs than an LSTM only for n < 2d (the core alone, as in
Vaswani et al. 2017, Table 1: n < d). These follow from counting, so the sub-claim is labelled a
derivation and reported beside the verdict with its crossovers, not in it (as q4 treats its Monte Carlo); what
can fail is the check that the formulas equal the real modules' counts.

**Faster (it parallelises, like a CNN; an RNN cannot).** Wall time of one layer's forward + backward pass at
width d for several n, at a fixed number of tokens per batch, self-attention vs LSTM vs convolution, in
alternation, on CPU with 2 threads in one process; the ratios (per repeat, summarised over the repeats: a spread of
one process's repeats, not an interval over independent runs) stand beside the ratios the FLOP counts
predict, and the measured crossover beside the predicted one (n = 2d). The rule reads both rivals: an advantage
over CNNs and RNNs must hold against the k=3 convolution as well as the LSTM.

**Better with long-range dependencies.** :class:`attnlab.data.MarkedRecallTask`: recall the one marked
symbol at a query token d positions later, among distractors, at d in {8, 128} in sequences of 136 tokens
(quick), far enough that a rival can fall off the ceiling. A one-layer Transformer encoder, a chrono-initialised
LSTM (Tallec & Ollivier 2018) and a dilated CNN (kernel 3, dilations 1, 2, 4, ..., as many layers as the longest
distance needs: 8, reaching 255 positions back for distance 128; checked by gradient) at about the same parameter
count. Each model trains at its own learning rate, chosen by a sweep on a tuning seed at the longest distance
(:mod:`attnlab.lab.tuning`), for the same step budget without early stopping, and is read at its last step; steps
to 0.99 held-out accuracy are read off the evaluation curve. The decision rests on paired differences per seed at
the longest distance, with margins: an accuracy gain above 0.02, a steps ratio above 1.5. When every model reaches
the threshold, accuracy cannot separate them and the answer is "no difference up to this distance" unless
attention learns in 1.5x fewer steps. The standard checks (``learned``, ``lr_tuned``, ``equal_budget``,
``below_ceiling``) gate the trained sub-claim, and the sub-claims combine by the one rule of ``docs/evidence.md``.
"""

from __future__ import annotations

from attnlab.lab.registry import register
from attnlab.lab.spec import Experiment, Question
from attnlab.questions.q6_cost import evidence, rule, trials, words
from attnlab.questions.q6_cost.models import build_model, chrono_init_, receptive_reach

__all__ = ["EXPERIMENT", "QUESTION", "build_model", "chrono_init_", "receptive_reach"]

QUESTION = Question(
    qid="q6",
    title="Attention vs CNN and RNN",
    question="What advantages does attention have over CNNs and RNNs?",
    question_zh="Attention相较于CNN和RNN的优势有哪些？",
    claim="Fewer parameters and lower complexity; faster, because unlike an RNN it parallelises (like a CNN); "
          "better with long-range dependencies.",
    claim_zh="参数少：模型复杂度跟 CNN、RNN 相比，复杂度更小，参数也更少。"
             "速度快：Attention 解决了 RNN 不能并行计算的问题……可以和CNN一样并行处理。"
             "效果好：……长距离的信息会被弱化……Attention 是挑重点，就算文本比较长，也能从中间抓住重点。",
)

EXPERIMENT = register(Experiment(QUESTION, trials=trials.trials, aggregate=evidence.aggregate, rule=rule.decide,
                                 words=words.WORDS, tuning=trials.TUNING))
