"""q10: why do attention heads put so much weight on the first token?

The common answer (Clark et al. 2019; Xiao et al. 2023, StreamingLLM; Miller 2023, "attention is off by
one"): softmax weights must sum to one, so a head with nothing to do must still put its weight somewhere; it
parks it on a token every query can see ([CLS]/[SEP] in BERT, the first token in a causal LM), where it
changes little (Kobayashi et al. 2020: what moves is weight x ‖value‖). Give the softmax somewhere else to put
the weight (a sink key with value 0: logit 0, the off-by-one softmax, or a learned logit) and the parking
should go away, at no cost. Eight sub-claims, each measured:

1. **A pretrained encoder parks on [CLS]/[SEP].** all-MiniLM-L6-v2 on the built-in corpus: per layer, the
   mean weight on [CLS] and [SEP] (over heads and query tokens) against 2/T, the share of uniform attention
   (ratio per sentence; t interval over sentences). The report's attention explorer shows its maps on a short
   sentence (:data:`~attnlab.questions.q10_sinks.settings.SENTENCE`).
2. **The parked attention carries little.** The same share measured with a_ij ‖f_h(x_j)‖, f_h(x) =
   (x W_V + b_V) W_O (Kobayashi et al. 2020), over the share measured with a_ij.
3. **Trained causal LMs grow a first-token sink.** :class:`attnlab.models.TransformerLM` (2 layers, 4 heads,
   learned positions as GPT-2, a BOS token first) trained by next-token prediction on a block-copy stream
   (:class:`attnlab.data.BlockCopyTask` with ``dense=True``): the copies are predictable, the blocks are not,
   so heads that retrieve inside a copy have nothing to retrieve in a block. Per model, the largest
   first-token share of a head (queries 1 .. T - 1) against the uniform causal share, 5 seeds. Its null is
   the same statistic of the same model before training (a maximum over heads exceeds the uniform share
   by itself); the parking must rise over it.
4. **A sink removes it.** The same models with ``sink="zero"`` (off-by-one) and ``sink="learned"``: does the
   largest first-token share fall below twice the uniform share (no head parks any more)? The paired per-seed
   drop of that share and the weight the sink takes are reported beside it, and so are the learned sink
   logits after training (trained from 0 like every parameter; if they stay near 0 the learned sink is
   close to the off-by-one one and not an independent second test).
5. **At no cost.** Paired accuracy on the predictable tokens, and steps to 0.9 there. When every condition's
   mean accuracy is at the ceiling (>= 1 - the 0.02 margin) the accuracy half cannot fail, so a pass there is
   only qualified: no cost detectable at the ceiling.

6. **Differential attention removes it** (Ye et al. 2025 report that subtracting a second softmax map cancels
   attention noise and outliers; they do not measure the first token): the same LMs with
   ``mixer="differential"``, whose first-token share is read on the differential map over its row sum 1 - λ (the
   per-head RMSNorm makes the output blind to that scale). Confirmed if its largest share lies below twice the
   uniform share, qualified if it only drops (paired) from softmax's.
7. **At no cost**: as 5, differential attention against softmax.
8. **Evicting the first tokens hurts a softmax LM, keeping them restores it, a sink makes them unnecessary**
   (Xiao et al. 2023): each trained LM, retrained identically (same weights, checked) and evaluated on a held-out
   stream with each query seeing only the last W = T/2 keys, the first k (1 or 4) and those W, or every key
   (:mod:`.streaming`); the paired held-out loss beyond the window, evicted minus kept and kept minus full.

The two arms (6-8) run in the tiny, standard and full profiles; the quick profile leaves them out to stay within
the quick report's ten minutes.

Every LM trains at its own learning rate, chosen by a sweep on a tuning seed (:mod:`attnlab.lab.tuning`), for the
same fixed budget (sinks form with training, so there is no early stop), and every probe is read after it;
the accuracy on the predictable tokens and the steps to reach 0.9 there are the convergence check. Accuracy
ends at its ceiling in every condition, so the cost of a sink is read off the steps to 0.9 (off the ceiling)
and stated as "at most" the step ratio's upper bound times as many steps. The standard checks and the one
combination rule (:mod:`attnlab.lab.protocol`, ``docs/evidence.md``) decide.

The package: :mod:`.settings` (profiles, thresholds, literature), :mod:`.trials`, :mod:`.streaming` (the
streaming arm's trial), :mod:`.evidence` (the evidence names and ``aggregate``), :mod:`.plots`, :mod:`.rule`
(``decide``), :mod:`.words`, :mod:`.arm_words` and :mod:`.answer` (en, zh).
"""

from __future__ import annotations

from attnlab.lab.registry import register
from attnlab.lab.spec import Experiment, Question
from attnlab.questions.q10_sinks import evidence, rule, trials, words

QUESTION = Question(
    qid="q10",
    title="Why do heads attend to the first token?",
    question="Why do attention heads put so much of their weight on the first token ([CLS]/[SEP] in BERT, the "
             "first token in a language model)?",
    question_zh="为什么注意力头会把大量权重放在第一个词元上（BERT 的 [CLS]/[SEP]，语言模型的首个词元）？",
    claim="Softmax weights must sum to one, so heads with nothing to attend to park their weight on a token every "
          "query sees, where it changes little; a sink (off-by-one softmax) removes the parking at no cost "
          "(Clark et al. 2019; Kobayashi et al. 2020; Xiao et al. 2023).",
    claim_zh="softmax 的权重之和必须为 1，无事可做的头只能把权重“停放”在每个查询都能看到的词元上，几乎不改变输出；"
             "加一个汇聚点（off-by-one softmax）即可消除这种停放，且不损失效果。",
    group="beyond",
)

EXPERIMENT = register(Experiment(QUESTION, trials=trials.trials, aggregate=evidence.aggregate, rule=rule.decide,
                                 words=words.WORDS, tuning=trials.TUNING))
