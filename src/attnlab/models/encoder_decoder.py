"""The Transformer encoder-decoder (Vaswani et al. 2017), with greedy and beam-search generation.

Shape legend: B batch, H heads, T sequence length (S source length), C model dim, V vocabulary.
Mask convention: boolean ``True`` = may attend; ``key_mask`` (B, T) is True on real tokens.
"""

from __future__ import annotations

from typing import Any

import torch

from attnlab.attention import KVCache
from attnlab.attention.hooks import HookedModel, HookPoints, block_hook_modules
from attnlab.models.base import Seq2SeqModel, repeat_for_beams, sub_config
from attnlab.models.configs import DecoderConfig, EncoderConfig, EncoderDecoderConfig
from attnlab.models.decoder import TransformerDecoder
from attnlab.models.encoder import TransformerEncoder
from attnlab.models.outputs import DecoderOutput

__all__ = ["EncoderDecoder"]


class _Seq2SeqStepper:
    """Next-token logits of an :class:`EncoderDecoder` given the encoded memory."""

    def __init__(self, decoder: TransformerDecoder, memory: torch.Tensor, memory_key_mask: torch.Tensor | None,
                 caches: tuple[list[KVCache], list[KVCache]] | None) -> None:
        self.decoder = decoder
        self.memory = memory
        self.memory_key_mask = memory_key_mask
        self.caches, self.cross_caches = caches if caches is not None else (None, None)

    def step(self, ids: torch.Tensor) -> torch.Tensor:
        d = self.decoder
        if self.caches is not None:
            ids = ids[:, self.caches[0].length:]
        x, _, _ = d.hidden_states(ids, self.memory, memory_key_mask=self.memory_key_mask, caches=self.caches,
                                  cross_caches=self.cross_caches)
        return d.lm_head(x[:, -1])

    def reorder(self, index: torch.Tensor) -> None:
        # Beams of one example share the same memory, so reordering within an example leaves the
        # cross-attention caches unchanged; only the self-attention caches move.
        if self.caches is not None:
            for c in self.caches:
                c.reorder(index)


class EncoderDecoder(HookedModel, Seq2SeqModel):
    """Transformer encoder-decoder (Vaswani et al. 2017).

    Keyword construction: the fields of :class:`EncoderDecoderConfig` (``src_vocab_size``,
    ``tgt_vocab_size``, ``d_model``, ``n_heads``, ``n_layers``, ``n_decoder_layers``, ``max_len``...).

    forward(src_ids (B, S), tgt_ids (B, T), *, src_key_mask (B, S) | None, tgt_key_mask (B, T) | None,
    need_weights=False) -> :class:`DecoderOutput` (``logits`` (B, T, V_tgt), hidden states, and the self- and
    cross-attention weights when ``need_weights``). ``tgt_ids`` is the decoder input (shifted right,
    starting with BOS).

    Hook points (:mod:`attnlab.attention.hooks`): ``encoder.blocks.{i}.attn.q`` ... and
    ``decoder.blocks.{i}.attn.q``, ``decoder.blocks.{i}.cross_attn.q`` ..., ``decoder.blocks.{i}.resid_cross``.
    """

    config_class = EncoderDecoderConfig

    def __init__(self, config: EncoderDecoderConfig | dict | None = None, /, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        c = self.config
        self.encoder = TransformerEncoder(sub_config(EncoderConfig, c, vocab_size=c.src_vocab_size))
        self.decoder = TransformerDecoder(sub_config(DecoderConfig, c, vocab_size=c.tgt_vocab_size,
                                                      n_layers=c.n_decoder_layers,
                                                      tie_embeddings=c.tie_embeddings))

    def _hook_modules(self) -> dict[str, HookPoints]:
        return {**block_hook_modules(self.encoder.layers, "encoder."),
                **block_hook_modules(self.decoder.layers, "decoder.")}

    def encode(self, src_ids: torch.Tensor, src_key_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Encoder hidden states (B, S, C)."""
        return self.encoder(src_ids, key_mask=src_key_mask).hidden

    def forward(self, src_ids: torch.Tensor, tgt_ids: torch.Tensor, *, src_key_mask: torch.Tensor | None = None,
                tgt_key_mask: torch.Tensor | None = None, need_weights: bool = False) -> DecoderOutput:
        memory = self.encode(src_ids, src_key_mask)
        return self.decoder(tgt_ids, memory, memory_key_mask=src_key_mask, key_mask=tgt_key_mask,
                            need_weights=need_weights)

    def _max_target_len(self) -> int | None:
        return self.config.max_len  # the decoder's position table and KV caches

    def _search_stepper(self, src_ids: torch.Tensor, src_key_mask: torch.Tensor | None, num_beams: int,
                        total_len: int, use_cache: bool) -> _Seq2SeqStepper:
        """With ``use_cache`` each decoder layer keeps a self-attention KV cache (reordered for beams) and a
        cross-attention cache filled once from the encoder memory."""
        memory = repeat_for_beams(self.encode(src_ids, src_key_mask), num_beams)  # (B*K, S, C)
        mask = repeat_for_beams(src_key_mask, num_beams)
        caches = self.decoder.make_caches(memory.shape[0], max(total_len, memory.shape[1])) if use_cache else None
        return _Seq2SeqStepper(self.decoder, memory, mask, caches)
