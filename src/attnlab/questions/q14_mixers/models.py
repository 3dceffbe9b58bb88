"""q14's models: a two-layer causal LM per ``mixer=`` switch and a parameter-matched LSTM, each behind the same
token shift on its embeddings, with their decoding state counted exactly.

**The token shift.** Recall needs each value token to carry the key just before it. Softmax attention builds that
from positions (a previous-token head); the linear and delta-rule mixers here have no short convolution (the
published DeltaNet and Gated DeltaNet have one in every layer), and without it linear attention and the gated
delta rule stayed at the no-lookup baseline on 8 pairs where softmax attention learned (the measurements of
:func:`~attnlab.questions.q14_mixers.settings.profile_settings`): a failure to bind, not to remember. Every
model therefore gets the same causal per-channel convolution of kernel 2 on its embeddings
(``x_t + w0 * x_t + w1 * x_{t-1} + b``, 3C parameters), so the comparison is between memories, as in Zoology,
where every model has short convolutions.
"""

from __future__ import annotations

from typing import Any

import torch.nn.functional as F
from torch import Tensor, nn

from attnlab.questions.q14_mixers.settings import LSTM_LAYERS, N_HEADS, N_LAYERS, SHIFT

__all__ = ["RecallLSTM", "ShiftedLM", "TokenShift", "build_model", "flops_per_token", "lstm_width", "n_params",
           "state_numbers"]


class TokenShift(nn.Module):
    """Causal per-channel convolution added to its input: ``y_t = x_t + sum_j w_j * x_{t-j} + b``, j < kernel.

    Shapes: x (B, T, C) -> (B, T, C).
    """

    def __init__(self, channels: int, kernel: int = SHIFT) -> None:
        super().__init__()
        self.kernel = kernel
        self.conv = nn.Conv1d(channels, channels, kernel, groups=channels)

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 3 or x.shape[-1] != self.conv.in_channels:
            raise ValueError(f"x: expected shape (B, T, {self.conv.in_channels}), got {tuple(x.shape)}")
        left = F.pad(x.transpose(1, 2), (self.kernel - 1, 0))  # (B, C, T + k - 1): causal padding
        return x + self.conv(left).transpose(1, 2)


class ShiftedLM(nn.Module):
    """A :class:`attnlab.models.TransformerLM` whose first block reads its embeddings through a
    :class:`TokenShift` (set on the hook point ``blocks.0.resid_pre``). forward(input_ids (B, T)) -> LMOutput."""

    def __init__(self, lm: nn.Module) -> None:
        super().__init__()
        self.lm = lm
        self.shift = TokenShift(lm.config.d_model)

    def forward(self, input_ids: Tensor, *, key_mask: Tensor | None = None) -> Any:
        with self.lm.hooks({"blocks.0.resid_pre": lambda x, _name: self.shift(x)}):
            return self.lm(input_ids, key_mask=key_mask)


class RecallLSTM(nn.Module):
    """Embeddings, the same :class:`TokenShift`, then :class:`attnlab.models.RNNEncoder` (a causal LSTM) with a
    per-token head. forward(input_ids (B, T)) -> EncoderOutput (logits (B, T, n_outputs))."""

    def __init__(self, vocab_size: int, width: int, n_outputs: int, n_layers: int = LSTM_LAYERS) -> None:
        super().__init__()
        from attnlab.models import RNNEncoder

        self.embed = nn.Embedding(vocab_size, width)
        self.shift = TokenShift(width)
        self.rnn = RNNEncoder(vocab_size=None, d_model=width, n_layers=n_layers, cell="lstm", n_outputs=n_outputs)

    def forward(self, input_ids: Tensor, *, key_mask: Tensor | None = None) -> Any:
        return self.rnn(inputs_embeds=self.shift(self.embed(input_ids)), key_mask=key_mask)


def n_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def _lm(mixer: str, d_model: int, vocab_size: int, max_len: int) -> ShiftedLM:
    from attnlab.models import TransformerLM

    return ShiftedLM(TransformerLM(vocab_size=vocab_size, d_model=d_model, n_heads=N_HEADS, n_layers=N_LAYERS,
                                   d_ff=2 * d_model, max_len=max_len, positions="sinusoidal", tie_embeddings=False,
                                   mixer=mixer))


def lstm_width(d_model: int, vocab_size: int, n_outputs: int, max_len: int) -> int:
    """The LSTM width whose parameter count is nearest that of the softmax model of width ``d_model``."""
    target = n_params(_lm("softmax", d_model, vocab_size, max_len))

    def count(h: int) -> int:  # embeddings + shift + LSTM layers + head
        return (vocab_size * h + 3 * h + 4 * (h * h + h * h + 2 * h) * LSTM_LAYERS + h * n_outputs + n_outputs)

    return min(range(1, 4 * d_model + 1), key=lambda h: (abs(count(h) - target), h))


def build_model(mixer: str, d_model: int, *, vocab_size: int, n_outputs: int, max_len: int) -> nn.Module:
    """The q14 model ``mixer`` (a key of :data:`~attnlab.questions.q14_mixers.settings.MIXERS`) at width
    ``d_model``; the LSTM at the parameter-matched width of :func:`lstm_width`."""
    if mixer == "lstm":
        return RecallLSTM(vocab_size, lstm_width(d_model, vocab_size, n_outputs, max_len), n_outputs)
    return _lm(mixer, d_model, vocab_size, max_len)


def state_numbers(mixer: str, d_model: int, tokens: int, *, lstm_hidden: int | None = None) -> int:
    """Numbers a model keeps per sequence to decode the next token after ``tokens`` tokens (exact, every layer).

    softmax: the KV cache, 2 H D per token per layer; linear: S (D x D) and z (D) per head; delta and gated
    delta: S (D x D) per head; LSTM: h and c per layer. D = d_model / H.
    """
    d = d_model // N_HEADS
    per_layer = {"softmax": 2 * N_HEADS * d * tokens, "linear": N_HEADS * (d * d + d), "delta": N_HEADS * d * d,
                 "gated_delta": N_HEADS * d * d}
    if mixer == "lstm":
        if lstm_hidden is None:
            raise ValueError("lstm_hidden: expected the LSTM's width for mixer='lstm', got None")
        return 2 * lstm_hidden * LSTM_LAYERS
    if mixer not in per_layer:
        raise ValueError(f"mixer: expected one of {[*per_layer, 'lstm']}, got {mixer!r}")
    return per_layer[mixer] * N_LAYERS


def flops_per_token(mixer: str, d_model: int, tokens: int, *, lstm_hidden: int | None = None) -> int:
    """Multiply-adds of the token mixer alone (projections and state read/write, every layer) to decode one token
    after ``tokens`` tokens: what grows with the context for softmax attention and stays flat for the others."""
    d, h, c = d_model // N_HEADS, N_HEADS, d_model
    proj = 4 * c * c  # q, k, v, o
    per_layer = {"softmax": proj + 2 * h * d * (tokens + 1),  # scores and weighted sum over the cache
                 "linear": proj + 3 * h * d * d,  # S += k v^T, read S^T q (and z)
                 "delta": proj + 2 * c * h + 4 * h * d * d,  # beta; S^T k, update, read
                 "gated_delta": proj + 3 * c * h + 5 * h * d * d}  # beta, decay; decay S too
    if mixer == "lstm":
        if lstm_hidden is None:
            raise ValueError("lstm_hidden: expected the LSTM's width for mixer='lstm', got None")
        return 8 * lstm_hidden * lstm_hidden * LSTM_LAYERS
    return per_layer[mixer] * N_LAYERS

