"""q7: why introduce attention at all?

The seed's answer has two parts, tested separately.

**On long text, RNN + attention beats RNN + pooling.** The same LSTM encoder
(:class:`attnlab.models.RNNClassifier`) is read out three ways: the mean or the maximum over the states, or
attention pooling (Yang et al. 2016: a learned query, additive score), on texts of 200 words (quick and
standard). The tasks: ``needle`` (:class:`attnlab.data.NeedleSentimentTask`): one polar word (*hate*, *love*,
...) hidden in filler, the label is its polarity (keyword detection: a bag of words solves it exactly). The
compositional ``contrast`` task (:class:`attnlab.data.ContrastSentimentTask`: "but" keeps the later clause,
"although" the earlier one), the short texts, the final-state readout and the BiLSTM are not in the grid: at
200 words they do not fit the compute limit (:func:`.settings.profile_settings` says why).

Each pooling trains at its own learning rate, chosen by a sweep on a tuning seed (:mod:`attnlab.lab.tuning`),
for the same budget without early stopping (5 seeds); steps to ``THRESHOLD`` are read off the evaluation curve
and every probe at the final step. "Better" is learning the task within the budget, or reaching the threshold in
fewer steps: attention is paired with the best other pooling (the one that reached the threshold in most
seeds, then fastest) and the paired ratio of their steps decides. The four standard checks and the one
combination rule of ``docs/evidence.md`` apply.

**Attention focuses on what matters ("I hate this movie.").** For the trained attention models: the
pooling weight on the word that decides the label, against the uniform share 1/T; and whether that
placement drives the output: the permutation test of Jain & Wallace (2019), which moves the weights to
random positions and counts how often the decision flips (with Wiegreffe & Pinter 2019's caveat that such
a test does not show what an explanation is). Beside it, a pretrained Transformer (all-MiniLM-L6-v2): the
share of attention that the polar word of "I hate this movie." and similar sentences receives, per
layer, against the uniform share and against the mean word.

The package: :mod:`.settings` (profiles, thresholds, sentences, literature), :mod:`.trials`, :mod:`.names` (the
evidence names), :mod:`.evidence` (``aggregate``), :mod:`.plots`, :mod:`.rule` (``decide``), :mod:`.words` and
:mod:`.phrases` (en, zh).
"""

from __future__ import annotations

from attnlab.lab.registry import register
from attnlab.lab.spec import Experiment, Question
from attnlab.questions.q7_why import evidence, rule, trials, words

__all__ = ["EXPERIMENT", "QUESTION"]

QUESTION = Question(
    qid="q7",
    title="Why attention at all?",
    question="Why introduce the attention mechanism?",
    question_zh="为什么引入Attention机制？",
    claim="Attention lets a model focus on what matters (to classify the sentiment of \"I hate this movie.\" "
          "it should attend to \"hate\"); on long text an RNN with attention beats an RNN with plain pooling "
          "by a good margin.",
    claim_zh="让模型对重要信息重点关注并充分学习吸收……比如：I hate this movie.如果做情感分析，明显对hate这个词语应当"
             "关注更多……对于这种长文本处理，使用RNN+attention的效果比使用单纯的RNN+pooling的效果要好不少。",
)

EXPERIMENT = register(Experiment(QUESTION, trials=trials.trials, aggregate=evidence.aggregate, rule=rule.decide,
                                 words=words.WORDS, tuning=trials.TUNING))
