"""The logit lens (nostalgebraist 2020): read the residual stream after each block through the LM's final
norm and unembedding, to see the prediction form layer by layer."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from attnlab.analysis.attribution.points import check_model

__all__ = ["logit_lens"]


@torch.no_grad()
def logit_lens(model: Any, input_ids: Tensor, **kw: Any) -> Tensor:
    """Logits (L + 1, B, T, V) read from the residual stream: entry 0 from the embeddings (``blocks.0.
    resid_pre``), entry l from block l's output (``blocks.{l-1}.resid_post``); the last equals the model's
    logits.

    Args:
        model: a :class:`~attnlab.models.TransformerLM` (anything with ``layers``, ``norm`` and ``lm_head``).
        input_ids: (B, T); ``kw`` goes to the forward (``key_mask``...).
    """
    check_model(model)
    if getattr(model, "lm_head", None) is None or not hasattr(model, "layers"):
        raise TypeError(f"model: expected a language model with lm_head (a TransformerLM), got {type(model).__name__}")
    n = len(model.layers)
    names = ["blocks.0.resid_pre"] + [f"blocks.{i}.resid_post" for i in range(n)]
    _, cache = model.run_with_cache(input_ids, names=names, **kw)
    norm = model.norm if model.norm is not None else torch.nn.Identity()
    return torch.stack([model.lm_head(norm(cache[name])) for name in names])
