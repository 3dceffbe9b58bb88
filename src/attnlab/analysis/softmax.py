"""How saturated is each head's softmax, and how much gradient gets through it?

For attention weights a = softmax(s) over one query's keys, the gradient at the softmax input is

.. math:: \\frac{\\partial L}{\\partial s_j} = a_j \\Big(g_j - \\sum_k a_k g_k\\Big),
          \\qquad g = \\partial L / \\partial a,

whose Jacobian diag(a) - a aᵀ vanishes as a approaches one-hot: a saturated softmax passes almost no
gradient to the scores (and so to W_Q and W_K). :func:`softmax_probe` runs a model once with per-head
weights, back-propagates a loss, and returns the weights, the norm of ∂L/∂s for every query row, and the
gradient norm of each attention module's query projection; the caller summarises the rows it cares about
(e.g. only rows with a target, or rows saturated on the wrong key).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from attnlab.analysis.geometry import find_attention_modules

__all__ = ["softmax_probe"]


def softmax_probe(
    model: nn.Module,
    forward: Callable[[nn.Module], Any],
    loss_fn: Callable[[Any], torch.Tensor],
) -> dict[str, list[Any]]:
    """Attention weights and the gradient at the softmax input, per query row, of every attention layer.

    Args:
        model: a model whose forward, called by ``forward(model)``, returns an output with
            ``.attentions`` (a list of (B, H, Tq, Tk) weights, e.g. ``need_weights=True``) that the output
            was computed from (the materialised path).
        forward: runs the model on a fixed batch.
        loss_fn: maps that output to a scalar loss.

    Returns:
        ``"weights"``: per layer the (B, H, Tq, Tk) weights; ``"grad_scores"``: per layer the (B, H, Tq)
        norms of ∂L/∂s over each query row; ``"grad_w_q"``: per attention module the norm of its
        query-projection gradient. The model's gradients are cleared afterwards; its mode is restored.
    """
    was_training = model.training
    model.eval()
    model.zero_grad(set_to_none=True)
    try:
        with torch.enable_grad():
            out = forward(model)
            weights = list(out.attentions)
            for w in weights:
                w.retain_grad()
            loss_fn(out).backward()
        grad_scores = []
        for w in weights:
            if w.grad is None:
                raise ValueError("forward: the returned attentions are not the weights the output was computed "
                                 "from (use the materialised path, e.g. need_weights=True)")
            a, g = w.detach(), w.grad
            grad_scores.append((a * (g - (a * g).sum(-1, keepdim=True))).norm(dim=-1))  # (B, H, Tq)
        grads = [m.q_proj.weight.grad for m in find_attention_modules(model)]
        return {"weights": [w.detach() for w in weights], "grad_scores": grad_scores,
                "grad_w_q": [float(g.norm()) if g is not None else 0.0 for g in grads]}
    finally:
        model.zero_grad(set_to_none=True)
        model.train(was_training)
