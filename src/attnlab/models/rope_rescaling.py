"""The same trained weights under another RoPE scaling: context extension at test time, without fine-tuning.

A RoPE scaling (:mod:`attnlab.attention.rope_scaling`: position interpolation, NTK-aware, YaRN) changes only the
rotation frequencies (and, for YaRN, a factor on q and k); it adds no parameter. So a model trained with plain
RoPE can be evaluated under any scaling by building the same model with the scaling switched on and loading the
trained state dict into it: the regime of the "without fine-tuning" numbers of Chen et al. 2023 and Peng et al.
2023.
"""

from __future__ import annotations

import dataclasses

from torch import nn

__all__ = ["with_rope_scaling"]


def with_rope_scaling(model: nn.Module, scaling: str | None, factor: float = 1.0, *,
                      original_len: int | None = None) -> nn.Module:
    """A copy of ``model`` with the same weights and its RoPE scaling replaced.

    The copy is ``type(model)`` built from ``model.config`` with only the attention's ``rotary_scaling``,
    ``rotary_factor`` and ``rotary_original_len`` changed, then ``load_state_dict(model.state_dict())`` (strict):
    every parameter and buffer is equal to the original's (copied, not shared), on the same device and dtype,
    in the same train/eval mode. ``model`` itself is left unchanged.

    Args:
        model: an attnlab Transformer (``model.config.attention``) whose self-attention uses RoPE
            (``positions="rope"``).
        scaling: ``"linear"`` (position interpolation), ``"ntk"``, ``"yarn"``, or None for plain RoPE.
        factor: s >= 1, the context extension factor (1.0 with ``scaling=None``).
        original_len: YaRN's trained context length L (``scaling="yarn"`` only).

    Returns:
        The rescaled copy.

    Raises:
        ValueError: ``model`` has no RoPE self-attention, or the scaling fields are invalid (the message names
            ``rotary_scaling``, ``rotary_factor`` or ``rotary_original_len``, as the config does).
    """
    config = getattr(model, "config", None)
    attention = getattr(config, "attention", None)
    if getattr(attention, "positions", None) != "rope":
        got = (f"positions={getattr(config, 'positions', attention.positions)!r}" if attention is not None
               else f"a {type(model).__name__} without an attnlab attention config")
        raise ValueError(f"model: expected an attnlab Transformer with positions='rope' (a RoPE scaling changes its "
                         f"rotation frequencies), got {got}")
    attention = dataclasses.replace(attention, rotary_scaling=scaling, rotary_factor=float(factor),
                                    rotary_original_len=original_len)
    copy = type(model)(dataclasses.replace(config, attention=attention))
    first = next(model.parameters(), None)
    if first is not None:
        copy.to(device=first.device, dtype=first.dtype)
    copy.load_state_dict(model.state_dict())
    return copy.train(model.training)
