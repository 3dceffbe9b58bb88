"""Helpers shared by the case builders: one forward+backward step, and clearing gradients."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

__all__ = ["backward_step", "clear_grads", "random_qkv"]


def clear_grads(*modules_or_tensors: nn.Module | torch.Tensor) -> None:
    """Drop the ``.grad`` of every parameter of each module and of each tensor."""
    for m in modules_or_tensors:
        params = m.parameters() if isinstance(m, nn.Module) else [m]
        for p in params:
            p.grad = None


def backward_step(forward: Callable[[], torch.Tensor], *params: nn.Module | torch.Tensor) -> Callable[[], None]:
    """One unit of training work: clear the grads of ``params``, run ``forward``, backpropagate its sum."""

    def run() -> None:
        clear_grads(*params)
        forward().sum().backward()

    return run


def random_qkv(s: dict, device: str, requires_grad: bool = True) -> tuple[torch.Tensor, ...]:
    """q, k, v, each (B, H, T, D) standard normal, from shapes ``s`` (keys B, H, T, D)."""
    return tuple(
        torch.randn(s["B"], s["H"], s["T"], s["D"], device=device, requires_grad=requires_grad) for _ in range(3)
    )
