"""Analyses of attention heads, for attnlab's trained models and for real pretrained ones.

- :mod:`~attnlab.analysis.corpus`: an offline corpus (CPython's documentation) or a user's text file;
- :mod:`~attnlab.analysis.heads`: head importance (Michel et al. 2019) and pruning curves;
- :mod:`~attnlab.analysis.roles`: positional / special-token / rare-token heads, entropy, distance;
- :mod:`~attnlab.analysis.geometry`: symmetric share of W_Q W_Kᵀ per head;
- :mod:`~attnlab.analysis.logits`: attention-logit statistics with and without 1/√d_k;
- :mod:`~attnlab.analysis.softmax`: saturation of each head's softmax and the gradient through it;
- :mod:`~attnlab.analysis.sinks`: attention parked on the first token or on [CLS]/[SEP], and what it carries;
- :mod:`~attnlab.analysis.token_attention`: how much attention one word of a sentence receives;
- :mod:`~attnlab.analysis.permutation`: whether a pooling model's decision depends on where its attention
  goes (Jain & Wallace 2019);
- :mod:`~attnlab.analysis.cost`: parameters and FLOPs of a sequence layer as functions of n, d and k;
- :mod:`~attnlab.analysis.speed`: wall time under several thread counts, and how busy the machine was;
- :mod:`~attnlab.analysis.curves`: learning curves of several runs averaged for plotting;
- :mod:`~attnlab.analysis.attribution`: raw attention, rollout, flow, norm-based, attention × gradient,
  gradient × input and erasure, and each method's agreement with erasure;
- :mod:`~attnlab.analysis.circuits`: head detectors (previous-token, duplicate-token, induction),
  activation patching per head and per position, the logit lens.

Every function returns numbers (no question ids, no evidence, no figures); the experiments turn them into
evidence.
"""

from attnlab.analysis.corpus import builtin_sentences, load_corpus, split_sentences
from attnlab.analysis.geometry import model_qk_symmetry, qk_symmetric_share, random_qk_share
from attnlab.analysis.heads import (
    HeadImportance,
    PruningPoint,
    embedding_quality,
    encoder_head_importance,
    head_importance,
    importance_order,
    normalize_per_layer,
    perturbed_view_objective,
    pruning_curve,
    random_order,
    retrieval_objective,
)
from attnlab.analysis.logits import LogitStats, logit_statistics
from attnlab.analysis.roles import AttentionSample, HeadRoles, collect_attention_samples, head_roles, token_counts

__all__ = [
    "AttentionSample",
    "HeadImportance",
    "HeadRoles",
    "LogitStats",
    "PruningPoint",
    "builtin_sentences",
    "collect_attention_samples",
    "embedding_quality",
    "encoder_head_importance",
    "head_importance",
    "head_roles",
    "importance_order",
    "load_corpus",
    "logit_statistics",
    "model_qk_symmetry",
    "normalize_per_layer",
    "perturbed_view_objective",
    "pruning_curve",
    "qk_symmetric_share",
    "random_order",
    "random_qk_share",
    "retrieval_objective",
    "split_sentences",
    "token_counts",
]
