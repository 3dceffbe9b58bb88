"""The base of every configured model: built from keyword arguments, its config dataclass or a dict."""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import nn

from attnlab.models.blocks import Embeddings, EncoderBlock
from attnlab.models.configs import TransformerConfig
from attnlab.models.head_pruning import PrunableHeads

__all__ = ["BlockStack", "ConfiguredModel", "check_ids", "sub_config"]


class ConfiguredModel(nn.Module):
    """Base class: ``Model(**fields)``, ``Model(config)`` or ``Model.from_config(config | dict)``."""

    config_class: type = TransformerConfig

    def __init__(self, config: Any = None, /, **kwargs: Any) -> None:
        super().__init__()
        if config is not None and kwargs:
            raise ValueError(f"{type(self).__name__}: expected a config or keyword arguments, got both "
                             f"(config and {sorted(kwargs)})")
        if config is None:
            config = self.config_class(**kwargs)
        elif isinstance(config, dict):
            config = self.config_class.from_dict(config)
        elif not isinstance(config, self.config_class):
            raise TypeError(f"config: expected {self.config_class.__name__} or dict, got {type(config).__name__}")
        self.config = config

    @classmethod
    def from_config(cls, config: Any):
        """Build the model from its config dataclass or a dict of its fields (e.g. read from JSON)."""
        return cls(config)

    def num_parameters(self, trainable_only: bool = False) -> int:
        """Number of (unique) parameters."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad or not trainable_only)


class BlockStack(PrunableHeads, ConfiguredModel):
    """A Transformer stack: token embeddings, ``layers`` (``block_class`` blocks), a final LayerNorm when
    ``config.final_norm``, then an output head (:meth:`_add_output_head`), in this order."""

    block_class: type[nn.Module] = EncoderBlock

    def __init__(self, config: Any = None, /, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        c = self.config
        self.embed = Embeddings(c.vocab_size, c.d_model, c.max_len, positions=c.embedding_positions,
                                scale_embeddings=c.scale_embeddings, init_std=c.init_std, dropout=c.dropout)
        self.layers = nn.ModuleList(self.block_class(c.d_model, c.n_heads, c.d_ff, **c.block_kwargs())
                                    for _ in range(c.n_layers))
        self.norm = nn.LayerNorm(c.d_model, eps=c.norm_eps, bias=c.bias) if c.final_norm else None
        self._add_output_head()
        self._prune_as_configured()

    def _add_output_head(self) -> None:
        """``lm_head``: C -> V without bias, sharing the token embedding when ``config.tie_embeddings``."""
        c = self.config
        self.lm_head = nn.Linear(c.d_model, c.vocab_size, bias=False)
        if c.tie_embeddings:
            self.lm_head.weight = self.embed.tok.weight


def sub_config(cls: type, cfg: TransformerConfig, **overrides: Any):
    """Config class ``cls`` with the shared Transformer fields of ``cfg``, and ``overrides``.

    The attention switches go over as switches, so ``cls`` derives the rest of its attention config itself
    (an encoder inside an encoder-decoder gets two-sided T5 buckets).
    """
    shared = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(TransformerConfig)}
    shared["attention"] = cfg.attention_switches()
    shared.update(overrides)
    return cls(**shared)


def check_ids(ids: torch.Tensor, name: str) -> None:
    if not isinstance(ids, torch.Tensor) or ids.dim() != 2:
        got = tuple(ids.shape) if isinstance(ids, torch.Tensor) else type(ids).__name__
        raise ValueError(f"{name}: expected a (B, T) long tensor, got {got}")
    if ids.dtype != torch.long:
        raise TypeError(f"{name}: expected dtype torch.long, got {ids.dtype}")
