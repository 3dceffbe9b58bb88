"""Gradient-based attributions: gradient × input and attention × gradient.

Both differentiate a scalar ``target(output)`` per example (e.g. the logit of the predicted class, or
``lambda out: out.logits[:, -1, token]`` for an LM's next token) and run on any attnlab model with hook
points; the model's parameters need not require grad.
"""

from __future__ import annotations

from typing import Any

from torch import Tensor

from attnlab.analysis.attribution.points import Target, gradients_at, layer_names

__all__ = ["attention_grad", "grad_input"]

INPUT_POINT = "blocks.0.resid_pre"  # the embeddings as the first block reads them


def grad_input(model: Any, *inputs: Any, target: Target, **kw: Any) -> Tensor:
    r"""Gradient × input (Shrikumar et al. 2016, "Not Just a Black Box"; Denil et al. 2014): per token,
    :math:`\sum_c x_{tc}\, \partial y / \partial x_{tc}`, the first-order estimate of what removing the
    token's embedding (setting it to zero) changes in y.

    ``x`` is the residual stream entering the first block (``blocks.0.resid_pre``: token plus position
    embeddings, after any embedding LayerNorm).

    Returns:
        (B, T) signed scores.
    """
    acts, grads = gradients_at(model, [INPUT_POINT], target, *inputs, **kw)
    return (acts[INPUT_POINT] * grads[INPUT_POINT]).sum(-1)


def attention_grad(model: Any, *inputs: Any, target: Target, **kw: Any) -> list[Tensor]:
    r"""Attention × gradient per layer (Chefer et al. 2021, "Generic Attention-model Explainability";
    Hao et al. 2021's attention attribution in its one-step form): :math:`\alpha \odot \partial y /
    \partial \alpha`, averaged over heads. The gradient is the total derivative (paths through later
    layers' attention included).

    Returns:
        per layer, first layer first, (B, T, T) signed scores (Chefer et al. keep the positive part).
    """
    names = layer_names(model, "pattern")
    acts, grads = gradients_at(model, names, target, *inputs, **kw)
    return [(acts[n] * grads[n]).mean(1) for n in names]
