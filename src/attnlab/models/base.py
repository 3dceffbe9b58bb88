"""The base of every configured model: built from keyword arguments, its config dataclass or a dict."""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import nn

from attnlab.attention.hooks import HookedModel, HookPoints, block_hook_modules
from attnlab.models.blocks import Embeddings, EncoderBlock, check_key_mask, make_norm
from attnlab.models.configs import TransformerConfig
from attnlab.models.generation import GenerationOutput, Stepper, check_generate_args, finish_search, run_search
from attnlab.models.head_pruning import PrunableHeads

__all__ = ["BlockStack", "ConfiguredModel", "Seq2SeqModel", "check_ids", "repeat_for_beams", "sub_config"]


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


class BlockStack(PrunableHeads, HookedModel, ConfiguredModel):
    """A Transformer stack: token embeddings, ``layers`` (``block_class`` blocks), a final LayerNorm when
    ``config.final_norm``, then an output head (:meth:`_add_output_head`), in this order.

    Hook points ``blocks.{i}.attn.q`` ... ``blocks.{i}.resid_post`` (:mod:`attnlab.attention.hooks`), with
    ``hooks({name: fn})`` and ``run_with_cache(*inputs, names=...)``."""

    block_class: type[nn.Module] = EncoderBlock

    def __init__(self, config: Any = None, /, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        c = self.config
        self.embed = Embeddings(c.vocab_size, c.d_model, c.max_len, positions=c.embedding_positions,
                                scale_embeddings=c.scale_embeddings, init_std=c.init_std, dropout=c.dropout)
        self.layers = nn.ModuleList(self.block_class(c.d_model, c.n_heads, c.d_ff, layer_index=i, **c.block_kwargs())
                                    for i in range(c.n_layers))
        self.norm = make_norm(c.norm, c.d_model, eps=c.norm_eps, bias=c.bias) if c.final_norm else None
        self._add_output_head()
        self._prune_as_configured()

    def _hook_modules(self) -> dict[str, HookPoints]:
        return block_hook_modules(self.layers)

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


def repeat_for_beams(x: torch.Tensor | None, num_beams: int, dim: int = 0) -> torch.Tensor | None:
    """``x`` with each example's rows repeated ``num_beams`` times along ``dim`` (one per beam); None stays None."""
    return x if x is None or num_beams == 1 else x.repeat_interleave(num_beams, dim)


class Seq2SeqModel(ConfiguredModel):
    """An encoder-decoder: ``generate`` encodes the source once, then searches the decoder's output.

    Subclasses say how their decoder is stepped over the encoded source (:meth:`_search_stepper`) and how
    long a target may grow (:meth:`_max_target_len`).
    """

    def _search_stepper(self, src_ids: torch.Tensor, src_key_mask: torch.Tensor | None, num_beams: int,
                        total_len: int, use_cache: bool) -> Stepper:
        """The decoder over the encoded source, every example's rows repeated for ``num_beams`` beams;
        ``total_len`` is the prompt's length plus the new tokens."""
        raise NotImplementedError

    def _max_target_len(self) -> int | None:
        """The longest prompt plus new tokens the decoder can take (None: no limit)."""
        return None

    @torch.no_grad()
    def generate(self, src_ids: torch.Tensor, max_new_tokens: int, *, bos_token_id: int | None = None,
                 decoder_input_ids: torch.Tensor | None = None, src_key_mask: torch.Tensor | None = None,
                 use_cache: bool = True, num_beams: int = 1, eos_token_id: int | None = None,
                 pad_token_id: int | None = None, length_penalty: float = 1.0,
                 output_scores: bool = False) -> torch.Tensor | GenerationOutput:
        """Decode a target for ``src_ids`` (B, S), greedy or beam search.

        The decoder prompt is ``decoder_input_ids`` (B, T) or a column of ``bos_token_id``. ``use_cache=True``
        carries the decoder's state forward one token a step (a Transformer's self-attention KV caches,
        reordered for beams, and cross-attention caches filled once from the encoder memory; an RNN's
        state); ``False`` re-runs the decoder over the whole prefix each step (same result, for comparisons).

        Returns:
            (B, T + new) long: the decoder prompt followed by the new tokens (or a GenerationOutput).
        """
        check_ids(src_ids, "src_ids")
        check_key_mask(src_key_mask, src_ids.shape[0], src_ids.shape[1], "src_key_mask")
        if decoder_input_ids is None:
            if bos_token_id is None:
                raise ValueError("bos_token_id: expected an int (or decoder_input_ids), got None")
            decoder_input_ids = src_ids.new_full((src_ids.shape[0], 1), bos_token_id)
        check_generate_args(decoder_input_ids, max_new_tokens, num_beams, self._max_target_len(),
                            "decoder_input_ids")
        stepper = self._search_stepper(src_ids, src_key_mask, num_beams,
                                       decoder_input_ids.shape[1] + max_new_tokens, use_cache)
        out = run_search(stepper, decoder_input_ids, max_new_tokens, num_beams=num_beams,
                         eos_token_id=eos_token_id, pad_token_id=pad_token_id, length_penalty=length_penalty,
                         output_scores=output_scores)
        return finish_search(out, output_scores)
