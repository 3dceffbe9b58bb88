"""Recurrent and convolutional baselines: RNN / CNN encoders, an RNN classifier and an RNN seq2seq model.

The encoders have the same forward contract as :class:`~attnlab.models.TransformerEncoder`
(``forward(input_ids, *, inputs_embeds, key_mask, ...) -> EncoderOutput``), so a task can swap them.

Shape legend: B batch, T (S) sequence length, C model dim, V vocabulary. ``key_mask`` (B, T) bool is True
on real tokens; the RNNs assume right padding (real tokens first) and skip the padding by packing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from attnlab.attention import attention, make_score
from attnlab.models.base import ConfiguredModel, Seq2SeqModel, check_ids, repeat_for_beams
from attnlab.models.blocks import AttentionPooling, check_key_mask, masked_max, masked_mean
from attnlab.models.configs import (
    CNNEncoderConfig,
    RNNClassifierConfig,
    RNNEncoderConfig,
    RNNSeq2SeqConfig,
)
from attnlab.models.outputs import ClassifierOutput, EncoderOutput

RNNState = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


def _lengths(key_mask: torch.Tensor) -> torch.Tensor:
    """Lengths (B,) of right-padded rows; raises if a row has a real token after padding."""
    lengths = key_mask.sum(1)  # (B,)
    positions = torch.arange(key_mask.shape[1], device=key_mask.device)
    if not torch.equal(key_mask, positions.unsqueeze(0) < lengths.unsqueeze(1)):
        raise ValueError("key_mask: expected right padding (True for the first tokens of each row, then False), "
                         "got a row with a real token after padding")
    return lengths


def _run_rnn(rnn: nn.RNNBase, x: torch.Tensor, key_mask: torch.Tensor | None,
             state: RNNState | None = None) -> tuple[torch.Tensor, RNNState]:
    """Run ``rnn`` over x (B, T, I); with a key_mask, pack so padding is skipped (outputs there are 0)."""
    if key_mask is None or bool(key_mask.all()):
        return rnn(x, state)
    t = x.shape[1]
    lengths = _lengths(key_mask).clamp_min(1).cpu()
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    out, state = rnn(packed, state)
    out, _ = pad_packed_sequence(out, batch_first=True, total_length=t)  # (B, T, C)
    return out * key_mask.unsqueeze(-1).to(out.dtype), state


def _make_rnn(cell: str, input_size: int, hidden: int, n_layers: int, bidirectional: bool,
              dropout: float) -> nn.RNNBase:
    cls = nn.LSTM if cell == "lstm" else nn.GRU
    return cls(input_size, hidden, num_layers=n_layers, batch_first=True, bidirectional=bidirectional,
               dropout=dropout if n_layers > 1 else 0.0)


def _merge_directions(h: torch.Tensor, n_layers: int, bidirectional: bool) -> torch.Tensor:
    """(L * dirs, B, C / dirs) final states -> (L, B, C), directions concatenated per layer."""
    if not bidirectional:
        return h
    _, b, half = h.shape
    h = h.view(n_layers, 2, b, half)  # (L, dir, B, C/2)
    return torch.cat([h[:, 0], h[:, 1]], dim=-1)  # (L, B, C)


def _embed_inputs(embed: nn.Embedding | None, d_model: int, input_ids: torch.Tensor | None,
                  inputs_embeds: torch.Tensor | None) -> torch.Tensor:
    if (input_ids is None) == (inputs_embeds is None):
        raise ValueError("input_ids / inputs_embeds: expected exactly one of them, got "
                         f"{'both' if input_ids is not None else 'neither'}")
    if input_ids is not None:
        check_ids(input_ids, "input_ids")
        if embed is None:
            raise ValueError("input_ids: expected inputs_embeds for a model built with vocab_size=None, "
                             "got input_ids")
        return embed(input_ids)
    if inputs_embeds.dim() != 3 or inputs_embeds.shape[-1] != d_model:
        raise ValueError(f"inputs_embeds: expected shape (B, T, {d_model}), got {tuple(inputs_embeds.shape)}")
    return inputs_embeds


def _no_heads(name: str, head_mask: Any) -> None:
    if head_mask is not None:
        raise ValueError(f"head_mask: expected None ({name} has no attention heads), got a tensor")


class RNNEncoder(ConfiguredModel):
    """Embedding + stacked LSTM or GRU, uni- or bidirectional (C/2 units per direction), optional head.

    Keyword construction: the fields of :class:`RNNEncoderConfig` (``vocab_size``, ``d_model``,
    ``n_layers``, ``cell``, ``bidirectional``, ``dropout``, ``n_outputs``).

    forward(input_ids (B, T) | None, *, inputs_embeds (B, T, C) | None, key_mask (B, T) | None,
    head_mask=None, need_weights=False) -> EncoderOutput(hidden (B, T, C), logits, attentions=None)
    """

    config_class = RNNEncoderConfig

    def __init__(self, config: RNNEncoderConfig | dict | None = None, /, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        c = self.config
        self.embed = nn.Embedding(c.vocab_size, c.d_model) if c.vocab_size is not None else None
        hidden = c.d_model // 2 if c.bidirectional else c.d_model
        self.rnn = _make_rnn(c.cell, c.d_model, hidden, c.n_layers, c.bidirectional, c.dropout)
        self.dropout = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.d_model, c.n_outputs) if c.n_outputs else None

    def encode(self, input_ids: torch.Tensor | None = None, *, inputs_embeds: torch.Tensor | None = None,
               key_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, RNNState]:
        """Hidden states (B, T, C) and the final state: h (L*dirs, B, C/dirs), or (h, c) for an LSTM."""
        x = self.dropout(_embed_inputs(self.embed, self.config.d_model, input_ids, inputs_embeds))
        check_key_mask(key_mask, x.shape[0], x.shape[1])
        return _run_rnn(self.rnn, x, key_mask)

    def last_state(self, state: RNNState) -> torch.Tensor:
        """The top layer's final state (B, C), both directions concatenated when bidirectional."""
        h = state[0] if isinstance(state, tuple) else state
        return _merge_directions(h, self.config.n_layers, self.config.bidirectional)[-1]

    def forward(self, input_ids: torch.Tensor | None = None, *, inputs_embeds: torch.Tensor | None = None,
                key_mask: torch.Tensor | None = None, head_mask: torch.Tensor | None = None,
                need_weights: bool = False) -> EncoderOutput:
        _no_heads("RNNEncoder", head_mask)
        hidden, _ = self.encode(input_ids, inputs_embeds=inputs_embeds, key_mask=key_mask)
        logits = self.head(hidden) if self.head is not None else None
        return EncoderOutput(hidden, logits, None)


class CNNEncoder(ConfiguredModel):
    r"""Embedding + residual stack of same-padded 1-D convolutions.

    Each block: :math:`x \leftarrow x + \mathrm{drop}(\mathrm{GELU}(\mathrm{conv}(\mathrm{LN}(x))))`, with
    padding positions zeroed before every convolution so they do not leak into real tokens. Layer ``l``
    uses dilation ``dilation_base ** l`` (receptive field grows linearly for 1, exponentially above). A
    final LayerNorm follows the stack. No position encoding: convolutions see relative offsets only.

    Keyword construction: the fields of :class:`CNNEncoderConfig`.

    forward(input_ids (B, T) | None, *, inputs_embeds | None, key_mask | None, head_mask=None,
    need_weights=False) -> EncoderOutput
    """

    config_class = CNNEncoderConfig

    def __init__(self, config: CNNEncoderConfig | dict | None = None, /, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        c = self.config
        self.embed = nn.Embedding(c.vocab_size, c.d_model) if c.vocab_size is not None else None
        self.norms = nn.ModuleList(nn.LayerNorm(c.d_model) for _ in range(c.n_layers))
        self.convs = nn.ModuleList()
        for layer in range(c.n_layers):
            dilation = c.dilation_base**layer
            self.convs.append(nn.Conv1d(c.d_model, c.d_model, c.kernel_size, dilation=dilation,
                                        padding=dilation * (c.kernel_size // 2)))
        self.norm = nn.LayerNorm(c.d_model)
        self.dropout = nn.Dropout(c.dropout)
        self.head = nn.Linear(c.d_model, c.n_outputs) if c.n_outputs else None

    def forward(self, input_ids: torch.Tensor | None = None, *, inputs_embeds: torch.Tensor | None = None,
                key_mask: torch.Tensor | None = None, head_mask: torch.Tensor | None = None,
                need_weights: bool = False) -> EncoderOutput:
        _no_heads("CNNEncoder", head_mask)
        x = self.dropout(_embed_inputs(self.embed, self.config.d_model, input_ids, inputs_embeds))
        check_key_mask(key_mask, x.shape[0], x.shape[1])
        keep = key_mask.unsqueeze(-1).to(x.dtype) if key_mask is not None else None  # (B, T, 1)
        for norm, conv in zip(self.norms, self.convs, strict=True):
            h = norm(x)
            if keep is not None:
                h = h * keep
            h = conv(h.transpose(1, 2)).transpose(1, 2)  # (B, C, T) for Conv1d, back to (B, T, C)
            x = x + self.dropout(F.gelu(h))
        x = self.norm(x)
        if keep is not None:
            x = x * keep
        logits = self.head(x) if self.head is not None else None
        return EncoderOutput(x, logits, None)


class RNNClassifier(ConfiguredModel):
    """RNN encoder + pooling + linear classifier.

    Pooling (``config.pooling``): "last" (final state of the top layer; forward and backward final
    states concatenated when bidirectional), "mean" / "max" over real tokens, or "attention"
    (:class:`~attnlab.models.blocks.AttentionPooling` with the registered score ``config.score``, additive by
    default).

    forward(input_ids (B, T), *, key_mask (B, T) | None) -> :class:`ClassifierOutput` with ``logits``
    (B, n_classes) and ``pool_weights`` (B, T) (None unless pooling="attention").
    """

    config_class = RNNClassifierConfig

    def __init__(self, config: RNNClassifierConfig | dict | None = None, /, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        c = self.config
        self.encoder = RNNEncoder(vocab_size=c.vocab_size, d_model=c.d_model, n_layers=c.n_layers, cell=c.cell,
                                  bidirectional=c.bidirectional, dropout=c.dropout)
        self.pool = AttentionPooling(c.d_model, c.score) if c.pooling == "attention" else None
        self.dropout = nn.Dropout(c.dropout)
        self.classifier = nn.Linear(c.d_model, c.n_classes)

    def forward(self, input_ids: torch.Tensor, *, key_mask: torch.Tensor | None = None) -> ClassifierOutput:
        h, state = self.encoder.encode(input_ids, key_mask=key_mask)  # (B, T, C)
        weights = None
        kind = self.config.pooling
        if kind == "last":
            pooled = self.encoder.last_state(state)
        elif kind == "mean":
            pooled = masked_mean(h, key_mask)
        elif kind == "max":
            pooled = masked_max(h, key_mask)
        else:
            pooled, weights = self.pool(h, key_mask)
        logits = self.classifier(self.dropout(pooled))  # (B, n_classes)
        return ClassifierOutput(logits, weights)


@dataclass
class Seq2SeqOutput:
    """Output of :class:`RNNSeq2Seq`: logits (B, T, V); attentions (B, T, S) when ``need_weights``, else None."""

    logits: torch.Tensor
    attentions: torch.Tensor | None = None


class _RNNSeq2SeqStepper:
    def __init__(self, model: RNNSeq2Seq, memory: torch.Tensor, mask: torch.Tensor | None, state: RNNState,
                 use_cache: bool) -> None:
        self.model, self.memory, self.mask = model, memory, mask
        self.init_state = state
        self.state = state
        self.seen = 0
        self.use_cache = use_cache

    def step(self, ids: torch.Tensor) -> torch.Tensor:
        if self.use_cache:
            logits, self.state, _ = self.model._decode(ids[:, self.seen:], self.memory, self.mask, self.state)
            self.seen = ids.shape[1]
        else:
            logits, _, _ = self.model._decode(ids, self.memory, self.mask, self.init_state)
        return logits[:, -1]

    def reorder(self, index: torch.Tensor) -> None:
        if isinstance(self.state, tuple):
            self.state = tuple(s.index_select(1, index) for s in self.state)
        else:
            self.state = self.state.index_select(1, index)
        # Reordering happens within an example's beams, so the initial state rows are unchanged.


class RNNSeq2Seq(Seq2SeqModel):
    r"""RNN encoder-decoder with attention over the encoder states; the score is any registered score.

    ``style="luong"`` (Luong et al. 2015, global attention): the decoder RNN runs first,
    :math:`h_t = \mathrm{RNN}(y_{t-1}, h_{t-1})`, then :math:`c_t = \mathrm{attn}(h_t, \mathrm{enc})` and
    :math:`\tilde h_t = \tanh(W_c [h_t; c_t])`. Teacher-forced training runs the RNN over the whole target
    at once.

    ``style="bahdanau"`` (Bahdanau et al. 2015): the previous state queries first,
    :math:`c_t = \mathrm{attn}(h_{t-1}, \mathrm{enc})`, :math:`h_t = \mathrm{RNN}([y_{t-1}; c_t], h_{t-1})`,
    :math:`\tilde h_t = \tanh(W_c [h_t; c_t])` (step by step).

    Logits are :math:`W_o \tilde h_t`. The decoder starts from the encoder's final state (directions
    concatenated per layer when bidirectional).

    forward(src_ids (B, S), tgt_ids (B, T), *, src_key_mask (B, S) | None, need_weights=False) ->
    logits (B, T, V), or :class:`Seq2SeqOutput` with the attention weights (B, T, S).
    """

    config_class = RNNSeq2SeqConfig

    def __init__(self, config: RNNSeq2SeqConfig | dict | None = None, /, **kwargs: Any) -> None:
        super().__init__(config, **kwargs)
        c = self.config
        self.encoder = RNNEncoder(vocab_size=c.src_vocab_size, d_model=c.d_model, n_layers=c.n_layers,
                                  cell=c.cell, bidirectional=c.bidirectional, dropout=c.dropout)
        self.tgt_embed = nn.Embedding(c.tgt_vocab_size, c.d_model)
        in_size = 2 * c.d_model if c.style == "bahdanau" else c.d_model
        self.decoder_rnn = _make_rnn(c.cell, in_size, c.d_model, c.n_layers, False, c.dropout)
        self.score = make_score(c.score, head_dim=c.d_model, n_heads=1)
        self.combine = nn.Linear(2 * c.d_model, c.d_model)
        self.out = nn.Linear(c.d_model, c.tgt_vocab_size)
        self.dropout = nn.Dropout(c.dropout)

    def encode(self, src_ids: torch.Tensor, src_key_mask: torch.Tensor | None = None
               ) -> tuple[torch.Tensor, RNNState]:
        """Encoder states (B, S, C) and the decoder's initial state (L, B, C) (a pair for an LSTM)."""
        memory, state = self.encoder.encode(src_ids, key_mask=src_key_mask)
        c = self.config
        if isinstance(state, tuple):
            init = tuple(_merge_directions(s, c.n_layers, c.bidirectional).contiguous() for s in state)
        else:
            init = _merge_directions(state, c.n_layers, c.bidirectional).contiguous()
        return memory, init

    def _attend(self, query: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor | None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """query (B, T, C) over memory (B, S, C) -> context (B, T, C), weights (B, T, S)."""
        m = memory.unsqueeze(1)  # (B, 1, S, C): one head
        attn_mask = None
        if mask is not None:
            attn_mask = mask[:, None, None, :].expand(-1, 1, query.shape[1], -1)  # (B, 1, T, S)
        ctx, w = attention(query.unsqueeze(1), m, m, score=self.score, attn_mask=attn_mask, return_weights=True)
        return ctx[:, 0], w[:, 0]

    def _decode(self, tgt_ids: torch.Tensor, memory: torch.Tensor, mask: torch.Tensor | None,
                state: RNNState) -> tuple[torch.Tensor, RNNState, torch.Tensor]:
        """Teacher-forced decoding of tgt_ids (B, T) from ``state`` -> logits (B, T, V), state, weights."""
        emb = self.dropout(self.tgt_embed(tgt_ids))  # (B, T, C)
        if self.config.style == "luong":
            h, state = self.decoder_rnn(emb, state)  # (B, T, C)
            ctx, w = self._attend(h, memory, mask)
        else:
            hs, ctxs, ws = [], [], []
            for t in range(emb.shape[1]):
                top = (state[0] if isinstance(state, tuple) else state)[-1]  # (B, C) previous top state
                ctx_t, w_t = self._attend(top.unsqueeze(1), memory, mask)  # (B, 1, C), (B, 1, S)
                h_t, state = self.decoder_rnn(torch.cat([emb[:, t : t + 1], ctx_t], -1), state)
                hs.append(h_t)
                ctxs.append(ctx_t)
                ws.append(w_t)
            h, ctx, w = torch.cat(hs, 1), torch.cat(ctxs, 1), torch.cat(ws, 1)
        out = torch.tanh(self.combine(torch.cat([h, ctx], -1)))  # (B, T, C)
        return self.out(self.dropout(out)), state, w

    def forward(self, src_ids: torch.Tensor, tgt_ids: torch.Tensor, *, src_key_mask: torch.Tensor | None = None,
                need_weights: bool = False) -> Seq2SeqOutput:
        check_ids(tgt_ids, "tgt_ids")
        memory, state = self.encode(src_ids, src_key_mask)
        logits, _, w = self._decode(tgt_ids, memory, src_key_mask, state)
        return Seq2SeqOutput(logits, w if need_weights else None)

    def _search_stepper(self, src_ids: torch.Tensor, src_key_mask: torch.Tensor | None, num_beams: int,
                        total_len: int, use_cache: bool) -> _RNNSeq2SeqStepper:
        """With ``use_cache`` the RNN state is carried forward (one token per step)."""
        memory, state = self.encode(src_ids, src_key_mask)
        if isinstance(state, tuple):  # an LSTM's (h, c), each (L, B, C): the batch is dimension 1
            state = tuple(repeat_for_beams(s, num_beams, 1) for s in state)
        else:
            state = repeat_for_beams(state, num_beams, 1)
        mask = repeat_for_beams(src_key_mask, num_beams)
        return _RNNSeq2SeqStepper(self, repeat_for_beams(memory, num_beams), mask, state, use_cache)
