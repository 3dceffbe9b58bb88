"""One sentence's token attributions, each method beside leave-one-out erasure, for the attention explorer's
attribution view (the explorer shows these numbers; it computes none of them).

The number explained is the sentence embedding as a mean-pooling encoder (all-MiniLM-L6-v2) forms it,
read along its own direction: :math:`y(x) = \\bar h(x) \\cdot u`, with :math:`\\bar h` the mean of the last
hidden states over the tokens and :math:`u = \\bar h(x) / \\lVert \\bar h(x) \\rVert` fixed at the full sentence.
Erasure of token t is then how far deleting it shortens the embedding along that direction; the maps
(raw attention of the last layer, rollout, norm-based) are read as the mean over query rows, as mean
pooling reads them; gradient × input is taken at the embeddings. Each method's agreement with erasure is
the Spearman correlation of the magnitudes over the sentence's words (special tokens left out), as
:func:`~attnlab.analysis.attribution.attribution_agreement` computes it over a sentence set.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from attnlab.analysis.attribution.agreement import spearman_agreement, token_scores
from attnlab.analysis.attribution.erasure import erasure
from attnlab.analysis.attribution.points import Target
from attnlab.validation import check_choice

__all__ = ["MAX_TOKENS", "VIEW_METHODS", "embedding_target", "sentence_attributions"]

VIEW_METHODS = ("raw", "rollout", "norm", "grad_input")  # shown beside erasure, in this order
MAX_TOKENS = 64  # erasure runs one forward pass per token: longer inputs get no attribution view
SPECIAL_TOKENS = ("[CLS]", "[SEP]", "[PAD]", "<s>", "</s>", "<pad>", "<|endoftext|>")
TARGET = ("the sentence embedding (mean of the last hidden states) along its own direction",
          "句子嵌入（最后一层隐藏状态的平均）在它自身方向上的长度")


@torch.no_grad()
def embedding_target(model: Any, input_ids: Tensor) -> Target:
    """``y(out) = mean_t out.hidden[:, t] · u`` with ``u`` the unit direction of the full sentence's mean."""
    full = model(input_ids).hidden.mean(1)[0]  # (C,)
    u = full / full.norm()
    return lambda out: out.hidden.mean(1) @ u.to(out.hidden.dtype)


def sentence_attributions(model: Any, text: str, *, methods: Sequence[str] = VIEW_METHODS,
                          max_tokens: int = MAX_TOKENS) -> dict[str, Any] | None:
    """Every method's token scores on ``text``, erasure's, and each method's Spearman agreement with erasure.

    Args:
        model: an encoder with ``encode`` (a tokenizer) and hook points whose output has ``.hidden`` (B, T, C),
            e.g. :func:`attnlab.pretrained.load` ("all-MiniLM-L6-v2").
        text: one sentence.
        methods: names from :data:`~attnlab.analysis.attribution.METHODS` (default: :data:`VIEW_METHODS`).
        max_tokens: above this many tokens the view is left out (erasure costs one forward pass per token).

    Returns:
        JSON-ready ``{"tokens": T str, "methods": [...], "scores": {method: T floats}, "erasure": T floats,
        "agreement": {method: rho or None}, "compared": positions compared, "target": [en, zh]}``; ``rho`` is
        None where a score vector is constant (no ranking); None when ``text`` has more than ``max_tokens``.
    """
    for m in methods:
        check_choice("methods", m, ("raw", "rollout", "flow", "norm", "attention_grad", "grad_input"))
    batch = model.encode(text)
    ids = batch.input_ids
    tokens = [str(t) for t in batch.tokens[0]]
    if ids.shape[1] > max_tokens:
        return None
    device = next(model.parameters()).device
    ids = ids.to(device)
    target = embedding_target(model, ids)
    reference = erasure(model, ids, target=target)[0].double().cpu()
    scores = token_scores(model, ids, target=target, methods=methods, row=None)
    keep = [t for t, tok in enumerate(tokens) if tok not in SPECIAL_TOKENS]
    return {"tokens": tokens, "methods": list(methods),
            "scores": {m: [float(v) for v in scores[m]] for m in methods},
            "erasure": [float(v) for v in reference],
            "agreement": {m: spearman_agreement(scores[m], reference, keep) for m in methods},
            "compared": keep, "target": list(TARGET)}
