"""q11: is attention an explanation? Do attention weights show which words matter?

The seed's q7 rests on it ("I hate this movie": attention picks out "hate"); Jain & Wallace 2019 say attention
weights correlate weakly with what removing a word does, Wiegreffe & Pinter 2019 that this depends on what one asks
of an explanation, and Abnar & Zuidema 2020 and Kobayashi et al. 2020 that rollout, flow and weight x ‖value‖ read
Transformers better than the raw weights. Every attribution of :mod:`attnlab.analysis.attribution` is checked
against leave-one-out erasure (the reference: what deleting the word does), in two settings:

1. **A pretrained encoder.** all-MiniLM-L6-v2 on sentences of CPython's own documentation (``pydoc_data.topics``,
   the text behind ``help()``: written for Python's users, not for this experiment; the built-in corpus of
   :mod:`attnlab.analysis.corpus`, 200 drawn, those of at most 64 tokens kept, flow's bound). The number explained
   is the mean-pooled embedding projected on the sentence's own direction; erasure is what deleting a token does to
   it. Per sentence, each method's Spearman ρ with erasure ([CLS] and [SEP] left out); mean over sentences with a
   percentile bootstrap interval.
2. **Classifiers whose deciding word is known.** :class:`attnlab.models.SequenceClassifier` (2 layers, 2 heads,
   mean pooling) trained on the keyword task (one polar word decides: :class:`attnlab.data.NeedleSentimentTask`,
   q7's task) and on the contrast task (the connective decides which of two opposite polar words counts:
   :class:`attnlab.data.ContrastSentimentTask`, only texts whose polar words disagree are read), 5 seeds at the
   rate each task's sweep chose, the same budget for every run. The number explained is the logit margin. Per
   model: the pointing game (is each method's top-scoring word the deciding word? chance is exactly 1/T) and the
   mean Spearman ρ with erasure over held-out texts; intervals over seeds.

The claim tested is "attention weights show which words matter". Counted sub-claims: raw attention agrees with
erasure on MiniLM; its top weight falls on the deciding word; it agrees with erasure in the classifiers. Shown, not
counted: whether rollout, flow and the norm-based view agree better than raw attention (the literature's claim).
Bars: Spearman ρ above 0.5 agrees, below 0.3 hardly does (Cohen's large and medium); a hit rate above 0.8 finds
the word, below 0.5 misses it more often than not. The standard checks (:mod:`attnlab.lab.protocol`) gate the
classifier sub-claims, and the one combination rule decides.

The package: :mod:`.settings`, :mod:`.trials`, :mod:`.evidence`, :mod:`.plots`, :mod:`.rule` (``decide``),
:mod:`.words`, :mod:`.answer` and :mod:`.oneline` (en, zh).
"""

from __future__ import annotations

from attnlab.lab.registry import register
from attnlab.lab.spec import Experiment, Question
from attnlab.questions.q11_explanation import evidence, rule, trials, words

QUESTION = Question(
    qid="q11",
    title="Is attention an explanation?",
    question="Do attention weights show which words matter for a Transformer's output?",
    question_zh="注意力权重能说明哪些词对 Transformer 的输出重要吗？",
    claim="Attention weights show which words matter: the words a model attends to most are the ones its output "
          "depends on (the premise of the seed's q7; disputed by Jain & Wallace 2019, defended in part by Wiegreffe & "
          "Pinter 2019).",
    claim_zh="注意力权重说明了哪些词重要：模型关注最多的词，就是它的输出所依赖的词（原文第 7 题的前提；Jain 和 Wallace "
             "2019 提出质疑，Wiegreffe 和 Pinter 2019 做了部分辩护）。",
    group="beyond",
)

EXPERIMENT = register(Experiment(QUESTION, trials=trials.trials, aggregate=evidence.aggregate, rule=rule.decide,
                                 words=words.WORDS, tuning=trials.TUNING))
