"""q5: how does the Transformer parallelise?

The seed: the encoder processes all tokens in parallel, where an RNN must go in order; the decoder is not
parallel, it decodes one token at a time because each input depends on the previous output. Four
sub-claims, each measured with wall-clock timings taken in alternation (every ratio is formed per repeat
and summarised over the repeats with a t interval on the log scale):

**The encoder is parallel over positions, unlike an RNN.** One layer of each architecture at width d,
forward + backward, batch 1 (so the only parallelism available is across positions and inside each
position's matrices): a Transformer encoder block, an LSTM layer and a convolution (k = 3), at several
lengths T, each timed with 1 and with 2 torch threads in alternation. The measure is the speed-up of 2
threads over 1; "parallel over positions" predicts that the encoder turns the second core into speed
while the LSTM, whose T steps depend on each other, cannot. The count of dependent steps (1 per layer
for attention and convolution, T for the LSTM) is a derivation and shown as such; achieved FLOP/s (FLOPs
counted analytically, :mod:`attnlab.analysis.cost`) say how well each uses the hardware.

**The decoder is not parallel (applied to training).** In training the decoder sees the target shifted by
one (teacher forcing), so one pass with a causal mask computes every position at once; it gives the same
logits as going token by token (checked). Measured, and deciding: the same Transformer block with a causal mask,
timed like the encoder (does it parallelise like the encoder or like the LSTM?). A causal language model's one
pass over T given tokens against feeding the same tokens one at a time through the KV cache is shown as a
derivation check: a per-call cost alone makes T calls slower than one, so it cannot fail.

**Generation is one token at a time.** That token t + 1 needs token t is a derivation, and so is the check
of what it costs (it cannot fail for the same reason): time per generated token (with the KV cache) against
time per token of a teacher-forced pass over the same number of tokens. The overall verdict rests on the
thread speed-ups, which can fail.

**(Not in the seed) the KV cache.** Generation without the cache re-runs the whole prefix at every step
(Σ t ≈ T²/2 token passes instead of T), so its speed-up should grow with length.

Timings vary from run to run and with the machine's load: every timing evidence is marked ``timing=True``
and the rules use intervals, so a ratio near its threshold gives "inconclusive", not a flip. With a GPU
(``full`` profile), the GPU's speed-up over the CPU per architecture is reported beside them.

The package: ``settings`` (profiles, thresholds, literature), ``trials``, ``evidence`` (``aggregate``),
``plots``, ``rule`` (numbers and verdicts), ``words`` and ``answer`` (English and Chinese).
"""

from __future__ import annotations

from attnlab.lab.registry import register
from attnlab.lab.spec import Experiment, Question
from attnlab.questions.q5_parallel import evidence, rule, trials, words
from attnlab.questions.q5_parallel.settings import ARCHS
from attnlab.questions.q5_parallel.trials import device_trial, generation_trial, threads_trial

__all__ = ["ARCHS", "EXPERIMENT", "QUESTION", "device_trial", "generation_trial", "threads_trial"]

QUESTION = Question(
    qid="q5",
    title="How does the Transformer parallelise?",
    question="How does the Transformer parallelise?",
    question_zh="Transformer 如何并行化的？",
    claim="The encoder processes all tokens in parallel (an RNN must go in order); the decoder is not parallel: "
          "it decodes one token at a time, each input depending on the previous output.",
    claim_zh="Transformer在Decoder侧是没有并行的，一个一个解码，当前时刻的输入依赖于上一个时刻的输出。所以Transformer的并行"
             "主要集中在Encoder侧，不同词(Token)或者元素是可以并行的……而 RNN的模型就必须按照顺序从到的顺序进行计算。",
)

EXPERIMENT = register(Experiment(QUESTION, trials=trials.trials, aggregate=evidence.aggregate, rule=rule.decide,
                                 words=words.WORDS, n_seeds={"tiny": 1, "quick": 1, "full": 1}))
