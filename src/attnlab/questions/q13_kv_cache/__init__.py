"""q13: how small can the KV cache get, and what does it cost?

The common answer (Shazeer 2019, MQA; Ainslie et al. 2023, GQA; DeepSeek-AI 2024, MLA): fewer key/value heads,
or one low-rank latent shared by every head, shrink the cache a decoder keeps per token at little cost in
quality. It is tested on causal language models (:class:`attnlab.models.TransformerLM`, 2 layers, 4 heads,
rotary positions) that differ only in their attention:

- **MHA**: 4 key/value heads, the cache holds ``2 L H D`` numbers per token;
- **GQA**: 2 key/value heads (``n_kv_heads=2``), **MQA**: 1 (``n_kv_heads=1``);
- **MLA** (``mixer="mla"``): a latent of ``d_c = 4 D`` and a rotary key of ``d_R = D / 2`` per layer.

**Equal parameters.** Fewer KV heads save parameters in W_K and W_V and MLA adds its projections; each kind's
feed-forward width is set (:func:`~attnlab.questions.q13_kv_cache.trials.matched_d_ff`) so its parameter count
lies within 1% of MHA's (the check ``params_matched``; the counts are evidence).

**Cache bytes** per token per sequence are read off each trained model with :func:`attnlab.models.kv_cache_bytes`
(float32) and checked against the formula; this part is arithmetic (a derivation, shown and not counted).

**Quality** at equal steps, every (task, kind) at the learning rate its own sweep chose
(:mod:`attnlab.lab.tuning`), 5 seeds, paired against MHA on the same seed:

- the **character LM** on the built-in English prose (the split of q2: held-out sentences never trained on),
  held-out loss in nats per character; a kind costs little when its paired increase's interval lies below 0.05;
- **associative recall** (:class:`attnlab.data.LookupTask`: 32 key-value pairs, one token each, then 16
  queries), accuracy at the queries; a kind costs little when its paired difference's interval lies above -0.05.
  Exact baselines: chance (1/8) and "no lookup" (the most frequent value of the context).

**Decoding time** per token, reported beside the verdict (wall time depends on the machine's load, recorded
with it): one exclusive timing trial on CPU, one thread, float32, random weights at the trained widths, a cache
already holding ``context`` positions at batch ``batch`` (profile settings), rewound after every step; MHA,
GQA, MQA, MLA naive (up-projecting the cache) and MLA absorbed (``latent_absorb=True``, attending in the latent
space). The same trial checks that the absorbed decode gives the naive one's logits and greedy tokens.

The package: :mod:`.settings` (profiles, thresholds, literature), :mod:`.trials` (models, tasks, trials),
:mod:`.evidence` (the evidence names and ``aggregate``), :mod:`.plots`, :mod:`.rule` (``decide``), :mod:`.words`,
:mod:`.answer` and :mod:`.oneline` (en, zh).
"""

from __future__ import annotations

from attnlab.lab.registry import register
from attnlab.lab.spec import Experiment, Question
from attnlab.questions.q13_kv_cache import evidence, rule, trials, words

QUESTION = Question(
    qid="q13",
    title="How small can the KV cache get?",
    question="How small can the KV cache get, and what does it cost? (MHA, GQA, MQA and MLA at equal parameters)",
    question_zh="KV 缓存能缩到多小，代价是什么？（参数量相同的 MHA、GQA、MQA 和 MLA）",
    claim="Fewer KV heads (GQA, MQA) or a latent cache (MLA) shrink the KV cache at little cost in quality "
          "(Shazeer 2019; Ainslie et al. 2023; DeepSeek-AI 2024).",
    claim_zh="更少的 KV 头（GQA、MQA）或潜在向量缓存（MLA）能缩小 KV 缓存，而质量几乎不受影响。",
    group="beyond",
)

EXPERIMENT = register(Experiment(QUESTION, trials=trials.trials, aggregate=evidence.aggregate, rule=rule.decide,
                                 words=words.WORDS, tuning=trials.TUNING))
