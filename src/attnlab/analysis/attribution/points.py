"""What the attribution methods read from a model: its self-attention hook points in layer order, the
patterns, and the gradient at a hook point (through a zero offset added there, so every path stays)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from attnlab.attention.hooks import HookedModel

__all__ = ["Target", "check_model", "gradients_at", "layer_names", "patterns_of"]

# maps a model's output to one number per example, (B,): e.g. ``lambda out: out.logits[:, -1, token]``
Target = Callable[[Any], Tensor]


def check_model(model: Any) -> None:
    if not isinstance(model, HookedModel):
        raise TypeError(f"model: expected an attnlab model with hook points (run_with_cache), "
                        f"got {type(model).__name__}")


def layer_names(model: HookedModel, point: str) -> list[str]:
    """``blocks.{i}.attn.{point}`` for every block, in layer order (self-attention only)."""
    names = [n for n in model.hook_names() if re.fullmatch(rf"blocks\.\d+\.attn\.{point}", n)]
    if not names:
        raise ValueError(f"model: expected hook points blocks.{{i}}.attn.{point}, found none")
    return sorted(names, key=lambda n: int(n.split(".")[1]))


def patterns_of(model: Any, *inputs: Any, **kw: Any) -> tuple[Any, list[Tensor]]:
    """``(output, per-layer patterns (B, H, T, T))`` of one forward pass, first layer first."""
    check_model(model)
    names = layer_names(model, "pattern")
    with torch.no_grad():
        out, cache = model.run_with_cache(*inputs, names=names, **kw)
    return out, [cache[n] for n in names]


def _check_target(y: Any, batch: int | None) -> Tensor:
    if not isinstance(y, Tensor) or y.dim() != 1 or (batch is not None and y.shape[0] != batch):
        got = tuple(y.shape) if isinstance(y, Tensor) else type(y).__name__
        raise ValueError(f"target: expected it to return one number per example, shape ({batch},), got {got}")
    return y


def gradients_at(model: Any, names: list[str], target: Target, *inputs: Any,
                 **kw: Any) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """The activations at ``names`` and the gradient of ``target(output).sum()`` at each, both detached.

    A zero tensor that requires grad is added at each point, so the gradient is the total derivative (every
    path through later layers stays), and the model's parameters need not require grad. Examples of a batch
    do not interact, so the summed target gives each example its own gradient.
    """
    check_model(model)
    if not callable(target):
        raise TypeError(f"target: expected a callable output -> (B,) tensor, got {type(target).__name__}")
    acts: dict[str, Tensor] = {}
    offsets: dict[str, Tensor] = {}

    def attach(t: Tensor, name: str) -> Tensor:
        acts[name] = t.detach()
        offsets[name] = torch.zeros_like(t, requires_grad=True)
        return t + offsets[name]

    with torch.enable_grad(), model.hooks(dict.fromkeys(names, attach)):
        out = model(*inputs, **kw)
        y = _check_target(target(out), next(iter(acts.values())).shape[0] if acts else None)
        grads = torch.autograd.grad(y.sum(), [offsets[n] for n in names])
    return acts, {n: g.detach() for n, g in zip(names, grads, strict=True)}
