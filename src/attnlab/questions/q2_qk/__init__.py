"""q2: why are Q and K made by different matrices; why not one (a token's dot product with itself)?

The seed's answer: separate projections add expressive power, which often helps in practice. Its two
parts are tested separately.

**Expressive power.** With W_Q = W_K = W ("shared") the score S(i, j) = (x_i W)(x_j W)ᵀ is symmetric, as
it is with no projection at all (q = k = x, "none"). The ``cycle`` task (:class:`attnlab.data.CycleTask`)
asks every token for the value of the token holding the next symbol of a fixed permutation made of
3-cycles a -> b -> c -> a. For a symmetric S this needs S(a,b) > S(a,c), S(b,c) > S(b,a) and
S(c,a) > S(c,b), i.e. x > z > y > x: impossible, so at most 2 of the 3 tokens of a cycle can rank their
partner first. With 2-cycles (a <-> b, the symmetric control) the same model has no such limit. The
bound holds when the answer must come from where attention points: one attention layer (no positions,
no attention to oneself) read by a linear layer ("attention" readout). Separate and shared are trained on
both tasks, no projection (q = k = x) on the 3-cycles; the decision rests on the paired difference
separate - shared per seed.

**Helps a full block.** Separate vs shared with a full Transformer block on the 3-cycles ("block" readout:
residual stream and feed-forward layer after the attention). There the bound does not apply: the
feed-forward layer knows the query's symbol and can pick the partner out of a mixture of values by its
attention weight, so a symmetric score may be compensated for.

**Helps on text.** "In practice" means natural data: a 2-layer causal character-level language model on
English prose (sentences of CPython's own documentation; of every ten, one held out for the test and one
for validation), separate vs shared W_Q/W_K. Sharing drops W_K, so a third arm widens the shared model's
heads until its parameter count matches separate's within 1%, and the sub-claim is decided at equal
parameters; it is read only if every arm had stopped improving (held-out loss falling by less than 0.02
nats/char over the second half of the budget). Reformer (Kitaev et al. 2020) found shared-QK attention costs
little on enwik8 at a far larger scale. As a view of what trained models use, the symmetric share of
W_Q W_Kᵀ per head of all-MiniLM-L6-v2 is reported beside the share of random projections (about 1/2) and
of shared ones (1).

Every condition trains at its own learning rate, chosen by a sweep on a tuning seed (:mod:`attnlab.lab.tuning`;
the text LM's on the validation sentences), for one budget shared by every trained run (no early stop), and
the standard checks and the one combination rule (:mod:`attnlab.lab.protocol`, ``docs/evidence.md``) decide.
"""

from __future__ import annotations

from attnlab.lab.registry import register
from attnlab.lab.spec import Experiment, Question
from attnlab.questions.q2_qk import evidence, rule, trials, words
from attnlab.questions.q2_qk.models import AttentionReadout, build_model
from attnlab.questions.q2_qk.trials import minilm_trial, text_trial, train_trial

__all__ = ["EXPERIMENT", "QUESTION", "AttentionReadout", "build_model", "minilm_trial", "text_trial", "train_trial"]

QUESTION = Question(
    qid="q2",
    title="Why different W_Q and W_K?",
    question="Why are Q and K produced by different weight matrices; why not one matrix (a token's dot "
             "product with itself)?",
    question_zh="Transformer为什么Q和K使用不同的权重矩阵生成，为何不能使用同一个值进行自身的点乘？",
    claim="Separate projections add expressive power, which often helps in practice.",
    claim_zh="分别乘上一个不同的矩阵W，这么做可以增加模型的表达能力，实践中经常也会带来一定的帮助。",
)

EXPERIMENT = register(Experiment(QUESTION, trials=trials.trials, aggregate=evidence.aggregate, rule=rule.decide,
                                 words=words.WORDS, tuning=trials.TUNING))
