"""q9: which position scheme extrapolates to sequences longer than those seen in training?

The common answer (Press et al. 2021, "Train Short, Test Long"): ALiBi extrapolates, sinusoidal positions do
not, and a learned position table cannot represent a position it never saw. It is tested on causal language
models (:class:`attnlab.models.TransformerLM`, 2 layers, 4 heads) trained at length T on two tasks whose rule
does not depend on the length, then evaluated at T, 2T and 4T:

- **local** (:class:`attnlab.data.BlockCopyTask`): blocks of 8 distinct symbols, each followed by its copy;
  the next token inside a copy is found 8 positions back (the offsets needed at 4T are those of training);
- **global** (:class:`attnlab.data.MarkerTask`): every token after a marker's follower must output that
  follower; the marker can be anywhere, so at 4T the distance to look back is up to 4 times the longest
  distance seen in training.

Schemes: sinusoidal and learned (added to the embeddings), RoPE, ALiBi and the T5 bias (inside attention),
everything else equal. Each (task, scheme) trains at the learning rate its own sweep chose
(:mod:`attnlab.lab.tuning`) for the same budget (no early stop), 5 seeds, and every scheme's extrapolation is
read at that same final step; the comparisons stand only where every scheme reached 0.9 at T on both tasks
(steps read off the curve) and beat the trivial baselines there (the standard checks). At 2T and 4T the accuracy
is measured on the targets
at positions >= T only (positions never seen in training), so a model that keeps working on its training
positions does not hide a failure beyond them; a second figure shows the accuracy by position.

**Learned positions.** Every model is built with room for 4T positions; a learned table therefore has 4T
rows, of which only the first T receive a gradient. Rows T .. 4T - 1 stay at their random initialisation
(AdamW's decoupled weight decay shrinks them by under 10%): that is exactly what a learned table offers at
an unseen position, and the honest test of "cannot represent unseen positions".

The decision rests on paired per-seed differences: the drop from T to 2T or 4T (accuracy on the second half of
the training length minus beyond-T accuracy at the longer length: the trained positions nearest to those beyond
T, so that a scheme whose accuracy already falls along the sequence within T, as ALiBi's does on the local task,
is not charged with that fall as a failure to extrapolate; the drop from the whole of T is reported beside it),
each scheme minus sinusoidal, and ALiBi minus RoPE and the T5 bias, at 2T and at 4T. A drop whose interval lies
below 0.05 means the scheme kept its accuracy; above 0.05, it lost it.

**RoPE scaled at test time** (beyond the seed's claim: shown, not counted). Each trained RoPE model is also scored
at 2T and 4T with position interpolation, NTK-aware scaling and YaRN (L = T) switched on with factor s = the test
length over T, on the same weights (:func:`attnlab.models.with_rope_scaling`; every scaled model is checked to hold
exactly the trained weights, its config changed only in the scaling) and the same test batch, with no fine-tuning:
the regime of the "without fine-tuning" remarks of Chen et al. 2023 and Peng et al. 2023, whose headline numbers
are after fine-tuning. Where plain RoPE lost its accuracy, a scaling recovers if its paired gain's interval lies
above 0.05 and its accuracy's interval above the best trivial baseline.

**Baselines** (exact): chance on both tasks; on the local task the best order-free guess (uniform over the
block's symbols not yet copied); on the global task the best order-free guess, the most frequent symbol so far
(:func:`~attnlab.questions.q9_positions.trials.marker_order_free_baseline`), which beats chance because the
needle is one of the symbols counted.

The package: :mod:`.settings` (profiles, thresholds, literature), :mod:`.trials` (tasks, trials), :mod:`.evidence`
(the evidence names and ``aggregate``), :mod:`.plots`, :mod:`.rule` (``decide``), :mod:`.words`,
:mod:`.answer` and :mod:`.scaling_words` (en, zh).
"""

from __future__ import annotations

from attnlab.lab.registry import register
from attnlab.lab.spec import Experiment, Question
from attnlab.questions.q9_positions import evidence, rule, trials, words

QUESTION = Question(
    qid="q9",
    title="Which position scheme extrapolates?",
    question="Which position encoding lets a Transformer trained on sequences of length T work on longer "
             "sequences (2T, 4T)?",
    question_zh="哪种位置编码能外推到更长的序列？",
    claim="ALiBi extrapolates to sequences longer than those seen in training; sinusoidal positions do not; "
          "learned positions cannot represent unseen positions at all (Press et al. 2021).",
    claim_zh="ALiBi 能外推到比训练时更长的序列，正弦位置编码不能，可学习的位置编码根本无法表示没见过的位置。",
    group="beyond",
)

EXPERIMENT = register(Experiment(QUESTION, trials=trials.trials, aggregate=evidence.aggregate, rule=rule.decide,
                                 words=words.WORDS, tuning=trials.TUNING))
