"""q12: how do heads work together? Induction heads.

The answer in the literature (Elhage et al. 2021; Olsson et al. 2022): in a two-layer attention-only Transformer
two heads form a circuit. A previous-token head in layer 1 writes each token's predecessor into its position; an
induction head in layer 2 uses the current token to find, through that written predecessor (K-composition), the
token that followed the current token's earlier occurrence, and copies it: "A B ... A -> B". The heads form in an
abrupt phase change, at the moment the loss on repeated text drops; a one-layer model cannot build the circuit.
Four sub-claims, each measured:

1. **The phase change.** :class:`attnlab.models.TransformerLM` with ``mlp=False`` (attention only), 2 layers,
   RoPE, trained on :class:`attnlab.data.RepeatedTokensTask`: random tokens in which a segment of random length
   appears twice at random places (so no fixed offset or position finds the earlier copy: only induction does),
   next-token loss on the repeat's targets. The loss on the repeat must fall below half of the order-free
   baseline's, a last-layer head's induction score (:func:`attnlab.analysis.circuits.induction_scores`) must rise
   above 0.4, and the drop must be abrupt (from 0.9 to 0.1 x the order-free loss in under half the step it happens at).
2. **Together.** The step at which the induction score crosses its mark over the step at which the loss does,
   paired per seed, within 1.2x either way.
3. **The one-layer control** cannot form induction heads: its loss stays near the order-free baseline (the exact
   best guess from the multiset of tokens seen, without their order), far above the 2-layer model's.
4. **Patching confirms the heads.** In held-out sequences whose earlier copy is replaced by other symbols,
   patching the detected induction heads' clean output back recovers most of the repeat's loss gap
   (:mod:`attnlab.analysis.circuits.patching`); ablating them removes most of the gain; ablating every head
   that is neither an induction head nor a previous-token head removes little. Ablating the previous-token heads
   of layer 1 is reported beside it: the other half of the circuit.

Both models train at their own learning rate, chosen by a sweep on a tuning seed (:mod:`attnlab.lab.tuning`),
for the same fixed budget, and every probe is read after it; the standard checks (the 1-layer control is exempt
from ``learned``: its failure is what the claim predicts) and the one combination rule decide.

The package: :mod:`.settings` (profiles, thresholds, literature), :mod:`.trials`, :mod:`.evidence` (the evidence
names and ``aggregate``), :mod:`.plots`, :mod:`.rule` (``decide``), :mod:`.words`, :mod:`.answer` and
:mod:`.oneline` (en, zh).
"""

from __future__ import annotations

from attnlab.lab.registry import register
from attnlab.lab.spec import Experiment, Question
from attnlab.questions.q12_induction import evidence, rule, trials, words

QUESTION = Question(
    qid="q12",
    title="How do heads work together? Induction heads",
    question="How do attention heads work together? Do two-layer attention-only models form induction heads, "
             "and when?",
    question_zh="注意力头之间如何协作？2 层纯注意力模型会形成归纳头吗？何时形成？",
    claim="A previous-token head and an induction head in the next layer form a circuit that copies what followed "
          "the current token's earlier occurrence; it forms in an abrupt phase change, together with the drop in "
          "loss on repeated text; one layer cannot form it (Elhage et al. 2021; Olsson et al. 2022).",
    claim_zh="前一词元头与下一层的归纳头组成一个电路，复制当前词元上次出现之后的那个词元；它在一次突然的相变中形成，"
             "与重复文本上损失的骤降同时发生；1 层模型无法形成它。",
    group="beyond",
)

EXPERIMENT = register(Experiment(QUESTION, trials=trials.trials, aggregate=evidence.aggregate, rule=rule.decide,
                                 words=words.WORDS, tuning=trials.TUNING))
