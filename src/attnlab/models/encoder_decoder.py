"""The Transformer encoder-decoder (Vaswani et al. 2017), with greedy and beam-search generation.

Shape legend: B batch, H heads, T sequence length (S source length), C model dim, V vocabulary.
Mask convention: boolean ``True`` = may attend; ``key_mask`` (B, T) is True on real tokens.
"""

from __future__ import annotations

from typing import Any

import torch

from attnlab.attention import KVCache
from attnlab.models.base import ConfiguredModel, check_ids, sub_config
from attnlab.models.blocks import check_key_mask
from attnlab.models.configs import DecoderConfig, EncoderConfig, EncoderDecoderConfig
from attnlab.models.decoder import TransformerDecoder
from attnlab.models.encoder import TransformerEncoder
from attnlab.models.generation import GenerationOutput, check_generate_args, finish_search, run_search
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


class EncoderDecoder(ConfiguredModel):
    """Transformer encoder-decoder (Vaswani et al. 2017).

    Keyword construction: the fields of :class:`EncoderDecoderConfig` (``src_vocab_size``,
    ``tgt_vocab_size``, ``d_model``, ``n_heads``, ``n_layers``, ``n_decoder_layers``, ``max_len``...).

    forward(src_ids (B, S), tgt_ids (B, T), *, src_key_mask (B, S) | None, tgt_key_mask (B, T) | None,
    need_weights=False) -> :class:`DecoderOutput` (``logits`` (B, T, V_tgt), hidden states, and the self- and
    cross-attention weights when ``need_weights``). ``tgt_ids`` is the decoder input (shifted right,
    starting with BOS).
    """

    config_class = EncoderDecoderConfig

    def __init__(self, config: EncoderDecoderConfig | dict | None = None, /, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        c = self.config
        self.encoder = TransformerEncoder(sub_config(EncoderConfig, c, vocab_size=c.src_vocab_size))
        self.decoder = TransformerDecoder(sub_config(DecoderConfig, c, vocab_size=c.tgt_vocab_size,
                                                      n_layers=c.n_decoder_layers,
                                                      tie_embeddings=c.tie_embeddings))

    def encode(self, src_ids: torch.Tensor, src_key_mask: torch.Tensor | None = None) -> torch.Tensor:
        """Encoder hidden states (B, S, C)."""
        return self.encoder(src_ids, key_mask=src_key_mask).hidden

    def forward(self, src_ids: torch.Tensor, tgt_ids: torch.Tensor, *, src_key_mask: torch.Tensor | None = None,
                tgt_key_mask: torch.Tensor | None = None, need_weights: bool = False) -> DecoderOutput:
        memory = self.encode(src_ids, src_key_mask)
        return self.decoder(tgt_ids, memory, memory_key_mask=src_key_mask, key_mask=tgt_key_mask,
                            need_weights=need_weights)

    @torch.no_grad()
    def generate(self, src_ids: torch.Tensor, max_new_tokens: int, *, bos_token_id: int | None = None,
                 decoder_input_ids: torch.Tensor | None = None, src_key_mask: torch.Tensor | None = None,
                 use_cache: bool = True, num_beams: int = 1, eos_token_id: int | None = None,
                 pad_token_id: int | None = None, length_penalty: float = 1.0,
                 output_scores: bool = False) -> torch.Tensor | GenerationOutput:
        """Decode a target for ``src_ids`` (B, S), greedy or beam search.

        The decoder prompt is ``decoder_input_ids`` (B, T) or a column of ``bos_token_id``. With
        ``use_cache`` each layer keeps a self-attention KV cache (reordered for beams) and a
        cross-attention cache filled once from the encoder memory.

        Returns:
            (B, T + new) long: the decoder prompt followed by the new tokens (or a GenerationOutput).
        """
        check_ids(src_ids, "src_ids")
        check_key_mask(src_key_mask, src_ids.shape[0], src_ids.shape[1], "src_key_mask")
        if decoder_input_ids is None:
            if bos_token_id is None:
                raise ValueError("bos_token_id: expected an int (or decoder_input_ids), got None")
            decoder_input_ids = src_ids.new_full((src_ids.shape[0], 1), bos_token_id)
        check_generate_args(decoder_input_ids, max_new_tokens, num_beams, self.config.max_len,
                            "decoder_input_ids")
        memory = self.encode(src_ids, src_key_mask)  # (B, S, C)
        mask = src_key_mask
        if num_beams > 1:
            memory = memory.repeat_interleave(num_beams, 0)  # (B*K, S, C)
            mask = None if mask is None else mask.repeat_interleave(num_beams, 0)
        n_rows = memory.shape[0]
        t = decoder_input_ids.shape[1]
        caches = None
        if use_cache:
            caches = self.decoder.make_caches(n_rows, max(t + max_new_tokens, memory.shape[1]))
        stepper = _Seq2SeqStepper(self.decoder, memory, mask, caches)
        out = run_search(stepper, decoder_input_ids, max_new_tokens, num_beams=num_beams,
                         eos_token_id=eos_token_id, pad_token_id=pad_token_id, length_penalty=length_penalty,
                         output_scores=output_scores)
        return finish_search(out, output_scores)
