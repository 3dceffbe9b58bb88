"""Transformer models: encoder, decoder, encoder-decoder, decoder-only LM and sequence classifier.

Every model is built from keyword arguments (``TransformerLM(vocab_size=100, d_model=64, n_heads=4,
n_layers=2, max_len=128)``) or from its config (``TransformerLM.from_config(cfg_or_dict)``) and keeps it
in ``model.config`` (a frozen dataclass, ``dataclasses.asdict``-able).

Shape legend: B batch, H heads, T sequence length (S source length), C model dim, V vocabulary.
Mask convention: boolean ``True`` = may attend; ``key_mask`` (B, T) is True on real tokens.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from attnlab.attention import KVCache
from attnlab.models.blocks import (
    AttentionPooling,
    DecoderBlock,
    Embeddings,
    EncoderBlock,
    check_key_mask,
    masked_max,
    masked_mean,
)
from attnlab.models.configs import (
    ClassifierConfig,
    DecoderConfig,
    EncoderConfig,
    EncoderDecoderConfig,
    LMConfig,
    TransformerConfig,
)
from attnlab.models.generation import GenerationOutput, check_generate_args, run_search

# --------------------------------------------------------------------------------------------- outputs


@dataclass
class EncoderOutput:
    """Output of the encoders (Transformer, RNN, CNN).

    Attributes:
        hidden: (B, T, C) final hidden states.
        logits: (B, T, n_outputs) per-token head output, or None without a head.
        attentions: per layer (B, H, T, T) when ``need_weights``, else None.
    """

    hidden: torch.Tensor
    logits: torch.Tensor | None = None
    attentions: list[torch.Tensor] | None = None


@dataclass
class DecoderOutput:
    """Output of :class:`TransformerDecoder`.

    Attributes:
        hidden: (B, T, C) final hidden states.
        logits: (B, T, V).
        attentions: per layer self-attention weights (B, H, T, Tk) when ``need_weights``.
        cross_attentions: per layer cross-attention weights (B, H, T, S) when ``need_weights``.
    """

    hidden: torch.Tensor
    logits: torch.Tensor
    attentions: list[torch.Tensor] | None = None
    cross_attentions: list[torch.Tensor] | None = None


@dataclass
class LMOutput:
    """Output of :class:`TransformerLM`.

    Attributes:
        logits: (B, T, V).
        attentions: per layer (B, H, T, Tk) when ``need_weights``, else None.
    """

    logits: torch.Tensor
    attentions: list[torch.Tensor] | None = None


@dataclass
class ClassifierOutput:
    """Output of the sequence classifiers (:class:`SequenceClassifier`, ``RNNClassifier``).

    Attributes:
        logits: (B, n_classes).
        pool_weights: (B, T) attention-pooling weights (pooling="attention"), else None.
        attentions: per layer (B, H, T, T) self-attention weights when ``need_weights``, else None.
    """

    logits: torch.Tensor
    pool_weights: torch.Tensor | None = None
    attentions: list[torch.Tensor] | None = None


# ------------------------------------------------------------------------------------------ base class


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


def _sub_config(cls: type, cfg: TransformerConfig, **overrides: Any):
    """Copy the shared Transformer fields of ``cfg`` into config class ``cls``, with overrides."""
    shared = {f.name: getattr(cfg, f.name) for f in dataclasses.fields(TransformerConfig)}
    shared.update(overrides)
    return cls(**shared)


def _check_head_mask(head_mask: torch.Tensor | None, n_layers: int, n_heads: int) -> None:
    if head_mask is None:
        return
    if head_mask.dim() not in (2, 3) or head_mask.shape[0] != n_layers or head_mask.shape[-1] != n_heads:
        raise ValueError(f"head_mask: expected shape ({n_layers}, {n_heads}) or ({n_layers}, B, {n_heads}), "
                         f"got {tuple(head_mask.shape)}")


def _check_ids(ids: torch.Tensor, name: str) -> None:
    if not isinstance(ids, torch.Tensor) or ids.dim() != 2:
        got = tuple(ids.shape) if isinstance(ids, torch.Tensor) else type(ids).__name__
        raise ValueError(f"{name}: expected a (B, T) long tensor, got {got}")
    if ids.dtype != torch.long:
        raise TypeError(f"{name}: expected dtype torch.long, got {ids.dtype}")


# -------------------------------------------------------------------------------------------- encoder


class TransformerEncoder(ConfiguredModel):
    """Stack of :class:`EncoderBlock` over token (or given) embeddings, optional per-token head.

    Keyword construction: the fields of :class:`EncoderConfig` (``vocab_size``, ``d_model``, ``n_heads``,
    ``n_layers``, ``max_len``, ``d_ff``, ``positions``, ``norm_first``, ``n_outputs``, attention switches...).

    forward(input_ids (B, T) long | None, *, inputs_embeds (B, T, C) | None, key_mask (B, T) bool | None,
    attn_mask | None, is_causal=False, head_mask (n_layers, H) | None, need_weights=False) -> EncoderOutput
    """

    config_class = EncoderConfig

    def __init__(self, config: EncoderConfig | dict | None = None, /, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        c = self.config
        self.embed = Embeddings(c.vocab_size, c.d_model, c.max_len, positions=c.embedding_positions,
                                scale_embeddings=c.scale_embeddings, init_std=c.init_std, dropout=c.dropout)
        self.layers = nn.ModuleList(EncoderBlock(c.d_model, c.n_heads, c.d_ff, **c.block_kwargs())
                                    for _ in range(c.n_layers))
        self.norm = nn.LayerNorm(c.d_model, eps=c.norm_eps, bias=c.bias) if c.final_norm else None
        self.head = nn.Linear(c.d_model, c.n_outputs) if c.n_outputs else None

    def forward(self, input_ids: torch.Tensor | None = None, *, inputs_embeds: torch.Tensor | None = None,
                key_mask: torch.Tensor | None = None, attn_mask: torch.Tensor | None = None,
                is_causal: bool = False, head_mask: torch.Tensor | None = None,
                need_weights: bool = False) -> EncoderOutput:
        if input_ids is not None:
            _check_ids(input_ids, "input_ids")
        x = self.embed(input_ids, inputs_embeds)  # (B, T, C)
        check_key_mask(key_mask, x.shape[0], x.shape[1])
        _check_head_mask(head_mask, self.config.n_layers, self.config.n_heads)
        attentions = [] if need_weights else None
        for i, layer in enumerate(self.layers):
            x, w = layer(x, key_mask=key_mask, attn_mask=attn_mask, is_causal=is_causal,
                         head_mask=None if head_mask is None else head_mask[i], need_weights=need_weights)
            if attentions is not None:
                attentions.append(w)
        if self.norm is not None:
            x = self.norm(x)
        logits = self.head(x) if self.head is not None else None
        return EncoderOutput(x, logits, attentions)


# -------------------------------------------------------------------------------------------- decoder


class TransformerDecoder(ConfiguredModel):
    """Stack of :class:`DecoderBlock` (causal self-attention + cross-attention) with an output projection.

    Keyword construction: the fields of :class:`DecoderConfig`.

    forward(input_ids (B, T), memory (B, S, C), *, memory_key_mask (B, S) | None, key_mask (B, T) | None,
    head_mask (n_layers, H) | None, need_weights=False, caches, cross_caches) -> DecoderOutput

    ``caches`` / ``cross_caches``: one :class:`~attnlab.attention.KVCache` per layer (see
    :meth:`make_caches`); positions then start at ``caches[0].length``.
    """

    config_class = DecoderConfig

    def __init__(self, config: DecoderConfig | dict | None = None, /, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        c = self.config
        self.embed = Embeddings(c.vocab_size, c.d_model, c.max_len, positions=c.embedding_positions,
                                scale_embeddings=c.scale_embeddings, init_std=c.init_std, dropout=c.dropout)
        self.layers = nn.ModuleList(DecoderBlock(c.d_model, c.n_heads, c.d_ff, **c.block_kwargs())
                                    for _ in range(c.n_layers))
        self.norm = nn.LayerNorm(c.d_model, eps=c.norm_eps, bias=c.bias) if c.final_norm else None
        self.lm_head = nn.Linear(c.d_model, c.vocab_size, bias=False)
        if c.tie_embeddings:
            self.lm_head.weight = self.embed.tok.weight

    def make_caches(self, batch_size: int, max_len: int | None = None) -> tuple[list[KVCache], list[KVCache]]:
        """Self-attention and cross-attention caches, one per layer (``max_len`` default: config.max_len).

        The cross-attention caches are filled from the memory on first use and reused afterwards.
        """
        n = max_len or self.config.max_len
        return [KVCache(n) for _ in self.layers], [KVCache(n) for _ in self.layers]

    def hidden_states(self, input_ids: torch.Tensor, memory: torch.Tensor, *,
                      memory_key_mask: torch.Tensor | None = None, key_mask: torch.Tensor | None = None,
                      head_mask: torch.Tensor | None = None, need_weights: bool = False,
                      caches: list[KVCache] | None = None, cross_caches: list[KVCache] | None = None,
                      ) -> tuple[torch.Tensor, list | None, list | None]:
        """Final hidden states (after the final norm) and per-layer weights; no output projection."""
        offset = caches[0].length if caches is not None else 0
        x = self.embed(input_ids, offset=offset)  # (B, T, C)
        selfs = [] if need_weights else None
        crosses = [] if need_weights else None
        causal = input_ids.shape[1] > 1  # a single new query may see every key (no mask needed)
        for i, layer in enumerate(self.layers):
            x, ws, wc = layer(x, memory, memory_key_mask=memory_key_mask, key_mask=key_mask, is_causal=causal,
                              head_mask=None if head_mask is None else head_mask[i], need_weights=need_weights,
                              cache=None if caches is None else caches[i],
                              cross_cache=None if cross_caches is None else cross_caches[i])
            if need_weights:
                selfs.append(ws)
                crosses.append(wc)
        if self.norm is not None:
            x = self.norm(x)
        return x, selfs, crosses

    def forward(self, input_ids: torch.Tensor, memory: torch.Tensor, *,
                memory_key_mask: torch.Tensor | None = None, key_mask: torch.Tensor | None = None,
                head_mask: torch.Tensor | None = None, need_weights: bool = False,
                caches: list[KVCache] | None = None, cross_caches: list[KVCache] | None = None,
                ) -> DecoderOutput:
        _check_ids(input_ids, "input_ids")
        if memory.dim() != 3 or memory.shape[0] != input_ids.shape[0] or memory.shape[2] != self.config.d_model:
            raise ValueError(f"memory: expected shape ({input_ids.shape[0]}, S, {self.config.d_model}), "
                             f"got {tuple(memory.shape)}")
        check_key_mask(memory_key_mask, memory.shape[0], memory.shape[1], "memory_key_mask")
        check_key_mask(key_mask, input_ids.shape[0], input_ids.shape[1])
        _check_head_mask(head_mask, self.config.n_layers, self.config.n_heads)
        x, selfs, crosses = self.hidden_states(input_ids, memory, memory_key_mask=memory_key_mask,
                                               key_mask=key_mask, head_mask=head_mask,
                                               need_weights=need_weights, caches=caches,
                                               cross_caches=cross_caches)
        return DecoderOutput(x, self.lm_head(x), selfs, crosses)


# ------------------------------------------------------------------------------------- generation glue


class _LMStepper:
    """Next-token logits of a :class:`TransformerLM`, with or without per-layer KV caches."""

    def __init__(self, model: TransformerLM, caches: list[KVCache] | None) -> None:
        self.model = model
        self.caches = caches
        # The LM head reads all V x C weights for a handful of rows each step. Stored (C, V) it runs as a
        # plain row-times-matrix product, which on CPU takes ~0.6x the time of F.linear on the (V, C)
        # nn.Linear layout (GPT-2 6x512: 6.3 vs 11 ms per token). One transposed copy per generate call.
        self.head_t = model.lm_head.weight.detach().t().contiguous()  # (C, V)
        self.head_bias = model.lm_head.bias

    def step(self, ids: torch.Tensor) -> torch.Tensor:
        m = self.model
        if self.caches is None:
            x = m.hidden_states(ids)  # the whole prefix, every step
        else:
            x = m.hidden_states(ids[:, self.caches[0].length:], caches=self.caches)  # unseen tokens only
        x = x[:, -1]  # (N, C)
        if self.head_bias is None:
            return x @ self.head_t  # (N, V)
        return torch.addmm(self.head_bias, x, self.head_t)  # (N, V)

    def reorder(self, index: torch.Tensor) -> None:
        if self.caches is not None:
            for c in self.caches:
                c.reorder(index)


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


def _finish(out: GenerationOutput, output_scores: bool) -> torch.Tensor | GenerationOutput:
    return out if output_scores else out.sequences


# ---------------------------------------------------------------------------------------- decoder-only


class TransformerLM(ConfiguredModel):
    """Decoder-only causal language model (GPT-style): embeddings, causal :class:`EncoderBlock` stack,
    final LayerNorm, ``lm_head`` (tied to the token embedding by default).

    Keyword construction: the fields of :class:`LMConfig`, e.g.
    ``TransformerLM(vocab_size=100, d_model=64, n_heads=4, n_layers=2, max_len=128)``.

    forward(input_ids (B, T) long, *, key_mask (B, T) | None, caches list[KVCache] | None,
    head_mask (n_layers, H) | None, need_weights=False) -> :class:`LMOutput` (``logits`` (B, T, V), and the
    per-layer ``attentions`` when ``need_weights``).

    With ``caches`` (from :meth:`make_caches`) the tokens are appended to the caches and positions start at
    ``caches[0].length``.
    """

    config_class = LMConfig

    def __init__(self, config: LMConfig | dict | None = None, /, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        c = self.config
        self.embed = Embeddings(c.vocab_size, c.d_model, c.max_len, positions=c.embedding_positions,
                                scale_embeddings=c.scale_embeddings, init_std=c.init_std, dropout=c.dropout)
        self.layers = nn.ModuleList(EncoderBlock(c.d_model, c.n_heads, c.d_ff, **c.block_kwargs())
                                    for _ in range(c.n_layers))
        self.norm = nn.LayerNorm(c.d_model, eps=c.norm_eps, bias=c.bias) if c.final_norm else None
        self.lm_head = nn.Linear(c.d_model, c.vocab_size, bias=False)
        if c.tie_embeddings:
            self.lm_head.weight = self.embed.tok.weight

    def make_caches(self, batch_size: int, max_len: int | None = None) -> list[KVCache]:
        """One KV cache per layer, each for up to ``max_len`` (default ``config.max_len``) positions.

        ``batch_size`` documents the intended batch; storage is allocated on the first append.
        """
        return [KVCache(max_len or self.config.max_len) for _ in self.layers]

    def hidden_states(self, input_ids: torch.Tensor, *, key_mask: torch.Tensor | None = None,
                      caches: list[KVCache] | None = None, head_mask: torch.Tensor | None = None,
                      attentions: list | None = None) -> torch.Tensor:
        """Final hidden states (B, T, C) after the final norm; appends per-layer weights to ``attentions``."""
        offset = caches[0].length if caches is not None else 0
        x = self.embed(input_ids, offset=offset)  # (B, T, C)
        need = attentions is not None
        # One new query may see every key: skipping the (all-True) causal mask lets the kernel run unmasked.
        causal = input_ids.shape[1] > 1
        for i, layer in enumerate(self.layers):
            x, w = layer(x, key_mask=key_mask, is_causal=causal,
                         head_mask=None if head_mask is None else head_mask[i], need_weights=need,
                         cache=None if caches is None else caches[i])
            if need:
                attentions.append(w)
        return self.norm(x) if self.norm is not None else x

    def forward(self, input_ids: torch.Tensor, *, key_mask: torch.Tensor | None = None,
                caches: list[KVCache] | None = None, head_mask: torch.Tensor | None = None,
                need_weights: bool = False) -> LMOutput:
        _check_ids(input_ids, "input_ids")
        if key_mask is not None:
            check_key_mask(key_mask, input_ids.shape[0], (caches[0].length if caches else 0) + input_ids.shape[1])
        _check_head_mask(head_mask, self.config.n_layers, self.config.n_heads)
        if caches is not None and len(caches) != self.config.n_layers:
            raise ValueError(f"caches: expected {self.config.n_layers} KVCache objects, got {len(caches)}")
        attentions = [] if need_weights else None
        x = self.hidden_states(input_ids, key_mask=key_mask, caches=caches, head_mask=head_mask,
                               attentions=attentions)
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
        out = run_search(_LMStepper(self, caches), input_ids, max_new_tokens, num_beams=num_beams,
                         eos_token_id=eos_token_id, pad_token_id=pad_token_id, length_penalty=length_penalty,
                         output_scores=output_scores)
        return _finish(out, output_scores)


# ------------------------------------------------------------------------------------ encoder-decoder


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
        self.encoder = TransformerEncoder(_sub_config(EncoderConfig, c, vocab_size=c.src_vocab_size))
        self.decoder = TransformerDecoder(_sub_config(DecoderConfig, c, vocab_size=c.tgt_vocab_size,
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
        _check_ids(src_ids, "src_ids")
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
        return _finish(out, output_scores)


# ----------------------------------------------------------------------------------------- classifier


class SequenceClassifier(ConfiguredModel):
    """Transformer encoder, a pooling step and a linear classifier.

    Pooling (``config.pooling``): "first" (the first token's state, BERT's [CLS] convention), "mean" /
    "max" over real tokens, or "attention" (:class:`AttentionPooling` with ``config.pool_score``).

    forward(input_ids (B, T), *, key_mask (B, T) | None, head_mask | None, need_weights=False) ->
    :class:`ClassifierOutput` (``logits`` (B, n_classes), the pooling weights (B, T) with attention pooling,
    and the per-layer self-attention maps when ``need_weights``).
    """

    config_class = ClassifierConfig

    def __init__(self, config: ClassifierConfig | dict | None = None, /, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        c = self.config
        self.encoder = TransformerEncoder(_sub_config(EncoderConfig, c, vocab_size=c.vocab_size))
        self.pool = AttentionPooling(c.d_model, c.pool_score) if c.pooling == "attention" else None
        self.dropout = nn.Dropout(c.dropout)
        self.classifier = nn.Linear(c.d_model, c.n_classes)

    def forward(self, input_ids: torch.Tensor, *, key_mask: torch.Tensor | None = None,
                head_mask: torch.Tensor | None = None, need_weights: bool = False) -> ClassifierOutput:
        enc = self.encoder(input_ids, key_mask=key_mask, head_mask=head_mask, need_weights=need_weights)
        h = enc.hidden  # (B, T, C)
        pool_w = None
        kind = self.config.pooling
        if kind == "first":
            pooled = h[:, 0]
        elif kind == "mean":
            pooled = masked_mean(h, key_mask)
        elif kind == "max":
            pooled = masked_max(h, key_mask)
        else:
            pooled, pool_w = self.pool(h, key_mask)
        logits = self.classifier(self.dropout(pooled))  # (B, n_classes)
        return ClassifierOutput(logits, pool_w, enc.attentions)
