"""The decoder-only causal language model (GPT-style), with greedy and beam-search generation.

Shape legend: B batch, H heads, T sequence length (S source length), C model dim, V vocabulary.
Mask convention: boolean ``True`` = may attend; ``key_mask`` (B, T) is True on real tokens.
"""

from __future__ import annotations

from typing import Any

import torch

from attnlab.attention import KVCache, StreamingKVCache
from attnlab.attention.mixer_config import RECURRENT_MIXERS
from attnlab.attention.recurrent_state import RecurrentState
from attnlab.models.base import BlockStack, check_ids
from attnlab.models.blocks import EncoderBlock, check_key_mask
from attnlab.models.configs import LMConfig
from attnlab.models.decode_plan import DecodePlan, lm_head_rows
from attnlab.models.generation import GenerationOutput, check_generate_args, finish_search, run_search
from attnlab.models.head_pruning import HeadMask, check_head_mask
from attnlab.models.mixers import layer_cache
from attnlab.models.outputs import LMOutput

__all__ = ["TransformerLM"]


class _LMStepper:
    """Next-token logits of a :class:`TransformerLM`, with or without per-layer KV caches."""

    def __init__(self, model: TransformerLM, caches: list[KVCache] | None, max_len: int) -> None:
        self.model = model
        self.caches = caches
        # one token per row after the prompt: the per-token plan, when it covers the model's switches
        self.plan = DecodePlan.build(model, caches, max_len)
        self.head = lm_head_rows(model)

    def step(self, ids: torch.Tensor) -> torch.Tensor:
        m = self.model
        if self.caches is None:
            x = m.hidden_states(ids)[:, -1]  # the whole prefix, every step
        elif self.plan is not None and ids.shape[1] == self.caches[0].length + 1:
            return self.plan.step(ids[:, -1])  # (N, V)
        else:
            x = m.hidden_states(ids[:, self.caches[0].length:], caches=self.caches)[:, -1]  # unseen tokens only
        return self.head(x)  # (N, V)

    def reorder(self, index: torch.Tensor) -> None:
        if self.caches is not None:
            for c in self.caches:
                c.reorder(index)


class TransformerLM(BlockStack):
    """Decoder-only causal language model (GPT-style): embeddings, causal :class:`EncoderBlock` stack,
    final LayerNorm, ``lm_head`` (tied to the token embedding by default).

    Keyword construction: the fields of :class:`LMConfig`, e.g.
    ``TransformerLM(vocab_size=100, d_model=64, n_heads=4, n_layers=2, max_len=128)``.

    forward(input_ids (B, T) long, *, key_mask (B, T) | None, attn_mask (T, Tk) | None (True = may attend,
    ANDed with the causal mask), caches list[KVCache] | None, head_mask (n_layers, H) | None,
    need_weights=False) -> :class:`LMOutput` (``logits`` (B, T, V), and the
    per-layer ``attentions`` when ``need_weights``).

    With ``caches`` (from :meth:`make_caches`) the tokens are appended to the caches and positions start at
    ``caches[0].length``. ``prune_heads({block: heads})`` removes heads; ``head_mask`` then takes the heads
    left (``config.heads_per_layer``; a list of (H_l,) tensors when the blocks differ).
    """

    config_class = LMConfig

    block_class = EncoderBlock

    def __init__(self, config: LMConfig | dict | None = None, /, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)

    def make_caches(self, batch_size: int, max_len: int | None = None, *, sink_tokens: int | None = None,
                    window: int | None = None) -> list[KVCache | RecurrentState]:
        """One cache per layer, each for up to ``max_len`` (default ``config.max_len``) positions: a KV
        cache (MLA's holds the latent), or the state of a recurrent mixer (linear, delta rule).

        ``batch_size`` documents the intended batch; storage is allocated on the first append. With
        ``window`` (and ``sink_tokens``, default 0) each layer gets a
        :class:`~attnlab.attention.StreamingKVCache` that keeps the first ``sink_tokens`` positions and
        the last ``window`` (Xiao et al. 2023).
        """
        max_len = max_len or self.config.max_len
        if window is None:
            if sink_tokens is not None:
                raise ValueError(f"sink_tokens: a streaming cache needs a window too, got sink_tokens={sink_tokens} "
                                 f"and window=None")
            return [layer_cache(layer.attn, max_len) for layer in self.layers]
        if self.config.mixer in RECURRENT_MIXERS:
            raise ValueError(f"window: mixer={self.config.mixer!r} keeps a fixed-size state, not a KV cache to "
                             f"evict from; leave window=None")
        return [StreamingKVCache(sink_tokens or 0, window) for _ in self.layers]

    def hidden_states(self, input_ids: torch.Tensor, *, key_mask: torch.Tensor | None = None,
                      attn_mask: torch.Tensor | None = None, caches: list[KVCache] | None = None,
                      head_mask: HeadMask | None = None, attentions: list | None = None) -> torch.Tensor:
        """Final hidden states (B, T, C) after the final norm; appends per-layer weights to ``attentions``."""
        offset = caches[0].length if caches is not None else 0
        x = self.embed(input_ids, offset=offset)  # (B, T, C)
        need = attentions is not None
        # One new query may see every key: skipping the (all-True) causal mask lets the kernel run unmasked.
        causal = input_ids.shape[1] > 1
        for i, layer in enumerate(self.layers):
            x, w = layer(x, key_mask=key_mask, attn_mask=attn_mask, is_causal=causal,
                         head_mask=None if head_mask is None else head_mask[i], need_weights=need,
                         cache=None if caches is None else caches[i])
            if need:
                attentions.append(w)
        return self.norm(x) if self.norm is not None else x

    def forward(self, input_ids: torch.Tensor, *, key_mask: torch.Tensor | None = None,
                attn_mask: torch.Tensor | None = None, caches: list[KVCache] | None = None,
                head_mask: HeadMask | None = None, need_weights: bool = False) -> LMOutput:
        check_ids(input_ids, "input_ids")
        if key_mask is not None:
            check_key_mask(key_mask, input_ids.shape[0], (caches[0].length if caches else 0) + input_ids.shape[1])
        check_head_mask(head_mask, self.config.heads_per_layer)
        if caches is not None and len(caches) != self.config.n_layers:
            raise ValueError(f"caches: expected {self.config.n_layers} KVCache objects, got {len(caches)}")
        attentions = [] if need_weights else None
        x = self.hidden_states(input_ids, key_mask=key_mask, attn_mask=attn_mask, caches=caches,
                               head_mask=head_mask, attentions=attentions)
        logits = self.lm_head(x)  # (B, T, V)
        return LMOutput(logits, attentions)

    @torch.no_grad()
    def generate(self, input_ids: torch.Tensor, max_new_tokens: int, *, use_cache: bool = True,
                 num_beams: int = 1, eos_token_id: int | None = None, pad_token_id: int | None = None,
                 length_penalty: float = 1.0, output_scores: bool = False) -> torch.Tensor | GenerationOutput:
        """Greedy (``num_beams=1``) or beam search continuation of ``input_ids`` (B, T).

        Args:
            input_ids: (B, T) long prompt (no padding).
            max_new_tokens: tokens to add; T + max_new_tokens must fit in ``config.max_len``.
            use_cache: keep one preallocated KV cache per layer (each step feeds one token) instead of
                re-running the whole prefix.
            num_beams: beam width.
            eos_token_id: finished rows are padded with ``pad_token_id`` (default: eos).
            length_penalty: beam search ranks final hypotheses by ``score / length ** length_penalty``.
            output_scores: return a :class:`GenerationOutput` with per-step logits.

        Returns:
            (B, T + new) long: the prompt followed by the new tokens (or a GenerationOutput).
            Run it in ``eval()`` mode for deterministic output (dropout is not switched off here).
        """
        check_generate_args(input_ids, max_new_tokens, num_beams, self.config.max_len)
        b, t = input_ids.shape
        caches = self.make_caches(b * num_beams, t + max_new_tokens) if use_cache else None
        out = run_search(_LMStepper(self, caches, t + max_new_tokens), input_ids, max_new_tokens, num_beams=num_beams,
                         eos_token_id=eos_token_id, pad_token_id=pad_token_id, length_penalty=length_penalty,
                         output_scores=output_scores)
        return finish_search(out, output_scores)
