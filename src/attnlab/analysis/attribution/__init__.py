"""Token attributions of attnlab models, and how well each agrees with erasure.

- :mod:`.graph`: :func:`raw_attention`, attention :func:`rollout` and attention :func:`flow`
  (Abnar & Zuidema 2020), from per-layer patterns (B, H, T, T);
- :mod:`.norms`: :func:`norm_based`, ‖α f(x)‖ (Kobayashi et al. 2020);
- :mod:`.gradients`: :func:`attention_grad` (attention × gradient, Chefer et al. 2021) and
  :func:`grad_input` (gradient × input, Shrikumar et al. 2016);
- :mod:`.erasure`: :func:`erasure`, leave-one-out (Li et al. 2016), the reference;
- :mod:`.agreement`: :func:`attribution_agreement`, per method the Spearman agreement with erasure over a
  sentence set, with a bootstrap interval over sentences;
- :mod:`.pointing`: :func:`pointing_game`, per method whether the top-scoring token is the one known to decide;
- :mod:`.sentence`: :func:`sentence_attributions`, one sentence's scores by every method beside erasure (the
  attention explorer's attribution view).

The model-based methods read the hook points of :mod:`attnlab.attention.hooks`.
"""

from attnlab.analysis.attribution.agreement import (
    METHODS,
    Agreement,
    attribution_agreement,
    bootstrap_mean,
    spearman_agreement,
    token_scores,
)
from attnlab.analysis.attribution.erasure import erasure
from attnlab.analysis.attribution.gradients import attention_grad, grad_input
from attnlab.analysis.attribution.graph import FLOW_MAX_TOKENS, flow, layer_graph, raw_attention, rollout
from attnlab.analysis.attribution.norms import head_vectors, norm_based
from attnlab.analysis.attribution.pointing import pointing_game
from attnlab.analysis.attribution.points import patterns_of
from attnlab.analysis.attribution.sentence import sentence_attributions

__all__ = [
    "FLOW_MAX_TOKENS",
    "METHODS",
    "Agreement",
    "attention_grad",
    "attribution_agreement",
    "bootstrap_mean",
    "erasure",
    "flow",
    "grad_input",
    "head_vectors",
    "layer_graph",
    "norm_based",
    "patterns_of",
    "pointing_game",
    "raw_attention",
    "rollout",
    "sentence_attributions",
    "spearman_agreement",
    "token_scores",
]
