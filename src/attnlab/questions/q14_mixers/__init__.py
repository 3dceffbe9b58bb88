"""q14: can a linear or recurrent mixer replace softmax attention?

The claim tested (Arora et al. 2023, "Zoology"; Arora et al. 2024, "Based"): a token mixer whose state has a fixed
size (linear attention, the delta rule and its gated form, an LSTM) cannot recall as many associations as softmax
attention, whose "state" (the KV cache) grows with the context; on multi-query associative recall (MQAR) the
fixed-state mixers fall below attention as the number of key-value pairs grows, at the same parameters.

The task (:func:`~attnlab.questions.q14_mixers.trials.recall_task`): ``k1 v1 .. kP vP SEP q1 .. qP`` over 64 keys
and 64 values, every query one of the P keys, the answer read at every query (so as many queries as pairs, as in
MQAR). Pair counts: 2, 4 and 8 in the quick and standard profiles.

The models (:mod:`.models`): :class:`attnlab.models.TransformerLM` with 2 layers, 2 heads, d_model 32, d_ff 64,
sinusoidal positions and ``mixer="softmax" | "linear" | "delta" | "gated_delta"``, and a 2-layer LSTM at the width
whose parameter count is nearest the softmax model's; every one behind the same causal kernel-2 convolution on its
embeddings (the short convolution the published recurrent mixers have; without it they cannot bind a value to the
key before it, whatever their memory: measured, see :func:`~.settings.profile_settings`). The three recurrent
mixers share the head size, so their states are equal: H·D² numbers per layer (linear attention adds its
normaliser, H·D); the evidence states every parameter count, every state size and the multiply-adds of decoding
one token, exactly.

Every model trains at the learning rate its own sweep chose (:mod:`attnlab.lab.tuning`, each mixer swept at the
middle pair count and kept at the others) for the same budget, 5 seeds, read at the same final step. Three
sub-claims: softmax attention recalls (its accuracy's interval above 0.9) at every pair count; every fixed-state
mixer is below 0.9 at the largest count (where each falls is reported); softmax attention is ahead of each of
them there (paired differences over seeds). The standard checks (:mod:`attnlab.lab.protocol`) gate them:
``learned`` asks softmax attention to beat the best trivial baseline (chance, and the best guess that does not
look keys up: the most frequent value in the context) at every count; the fixed-state mixers are exempt, their
falling to that baseline being what the claim predicts.

The package: :mod:`.settings` (profiles, thresholds, literature), :mod:`.models`, :mod:`.trials`, :mod:`.evidence`
(the evidence names and ``aggregate``), :mod:`.plots`, :mod:`.rule` (``decide``), :mod:`.words`, :mod:`.answer`
and :mod:`.oneline` (en, zh).
"""

from __future__ import annotations

from attnlab.lab.registry import register
from attnlab.lab.spec import Experiment, Question
from attnlab.questions.q14_mixers import evidence, rule, trials, words

QUESTION = Question(
    qid="q14",
    title="Can a linear or recurrent mixer replace softmax attention?",
    question="Can linear attention, the (gated) delta rule or an LSTM replace softmax attention, at the same "
             "parameters, on recall as the number of key-value pairs grows?",
    question_zh="线性注意力、（门控）增量规则或 LSTM 能否在参数量相同时取代 softmax 注意力，随着键值对增多仍能"
                "回忆？",
    claim="No, not for recall: mixers whose state has a fixed size fall below softmax attention on multi-query "
          "associative recall as the number of key-value pairs grows, at equal parameters (Arora et al. 2023).",
    claim_zh="不能用于回忆：在参数量相同时，状态大小固定的混合层在多查询联想回忆上随键值对增多而落后于 "
             "softmax 注意力。",
    group="beyond",
)

EXPERIMENT = register(Experiment(QUESTION, trials=trials.trials, aggregate=evidence.aggregate, rule=rule.decide,
                                 words=words.WORDS, tuning=trials.TUNING))
