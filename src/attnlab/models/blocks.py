"""Transformer building blocks: feed-forward, pre-/post-LN encoder and decoder blocks, embeddings, pooling.

Shape legend: B batch, H heads, T (Tq, Tk) sequence length, D head dim, C model dim.
Mask convention (as everywhere in attnlab): boolean ``True`` means "may attend"; ``key_mask`` (B, Tk) is
``True`` on real tokens and ``False`` on padding.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from attnlab.attention import AttentionConfig, KVCache, MultiHeadAttention, attention, make_score
from attnlab.attention.hooks import BLOCK_POINTS, DECODER_BLOCK_POINTS, HookPoints
from attnlab.models.configs import ACTIVATIONS, NORMS, attention_fields
from attnlab.models.configs.base import check_choice
from attnlab.models.mixers import make_mixer
from attnlab.models.positions import make_positions


def _activation(name: str) -> nn.Module:
    check_choice("activation", name, ACTIVATIONS)
    if name == "relu":
        return nn.ReLU()
    if name == "swiglu":
        return nn.SiLU()  # the gate's non-linearity; FeedForward multiplies it by the linear half
    if name == "gelu_tanh":
        return nn.GELU(approximate="tanh")
    return nn.GELU()


def make_norm(kind: str, d_model: int, *, eps: float = 1e-5, bias: bool = True) -> nn.Module:
    """``"layer"``: ``nn.LayerNorm``; ``"rms"``: ``nn.RMSNorm`` (x / sqrt(mean(x²) + eps) · g, no bias)."""
    check_choice("norm", kind, NORMS)
    if kind == "rms":
        return nn.RMSNorm(d_model, eps=eps)
    return nn.LayerNorm(d_model, eps=eps, bias=bias)


def _self_attention(d_model: int, n_heads: int, bias: bool, dropout: float, attention: AttentionConfig | None,
                    switches: dict[str, Any]) -> AttentionConfig | dict[str, Any]:
    """A block's self-attention config: ``attention``, checked against the block's own arguments, or the
    fields from its keyword switches (``MultiHeadAttention.from_config`` takes either)."""
    own = {"d_model": d_model, "n_heads": n_heads, "bias": bias, "dropout": dropout}
    if attention is None:
        return {**own, **attention_fields(switches, reserved=tuple(own))}
    if switches:
        raise ValueError(f"attention: expected an AttentionConfig or keyword switches, got both "
                         f"(attention and {sorted(switches)})")
    if not isinstance(attention, AttentionConfig):
        raise TypeError(f"attention: expected an AttentionConfig or None, got {type(attention).__name__}")
    for name, value in own.items():
        got = getattr(attention, name)
        if got != value:
            raise ValueError(f"attention.{name}: expected {value!r}, the block's {name}, got {got!r}")
    return attention


def _dropout(x: torch.Tensor, p: float, training: bool) -> torch.Tensor:
    # Skips the call entirely when it is a no-op (keeps per-token generation overhead low).
    return F.dropout(x, p, True) if training and p > 0.0 else x


class FeedForward(nn.Module):
    r"""Position-wise feed-forward network :math:`\mathrm{fc2}(\mathrm{drop}(\sigma(\mathrm{fc1}(x))))`.

    With ``activation="swiglu"`` (Shazeer 2020; Llama) it is gated: ``fc1`` has 2·d_ff outputs, the gate
    ``g`` (first half) and the linear part ``u`` (second half), and the hidden layer is ``silu(g) * u``.

    Args:
        d_model: input and output width C.
        d_ff: hidden width.
        activation: "gelu" (exact), "relu", "gelu_tanh" (the tanh approximation used by GPT-2) or "swiglu".
        dropout: dropout after the activation.
        bias: biases in ``fc1`` and ``fc2``.

    Shape:
        (..., C) -> (..., C)
    """

    def __init__(self, d_model: int, d_ff: int, *, activation: str = "gelu", dropout: float = 0.0,
                 bias: bool = True) -> None:
        super().__init__()
        self.gated = activation == "swiglu"
        self.fc1 = nn.Linear(d_model, 2 * d_ff if self.gated else d_ff, bias=bias)
        self.act = _activation(activation)
        self.fc2 = nn.Linear(d_ff, d_model, bias=bias)
        self.dropout = dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.fc1(x)
        if self.gated:
            gate, up = h.chunk(2, dim=-1)
            h = self.act(gate) * up
        else:
            h = self.act(h)
        return self.fc2(_dropout(h, self.dropout, self.training))


class _SelfAttentionBlock(HookPoints, nn.Module):
    """What every Transformer block starts with: the self-attention ``attn`` and its LayerNorm ``norm1``.

    The arguments are :class:`EncoderBlock`'s. A subclass builds the sublayers that follow in
    :meth:`_add_sublayers`, in their order in the block: that order is the order in which their weights draw
    from the RNG, and the order of the state_dict's keys.
    """

    def __init__(self, d_model: int, n_heads: int, d_ff: int, *, dropout: float = 0.0,
                 activation: str = "gelu", norm_first: bool = True, norm_eps: float = 1e-5, bias: bool = True,
                 attention: AttentionConfig | None = None, layer_index: int = 0, norm: str = "layer",
                 mlp: bool = True, **attention_switches: Any) -> None:
        super().__init__()
        self.norm_first = norm_first
        self.dropout = dropout
        self.attn = make_mixer(_self_attention(d_model, n_heads, bias, dropout, attention, attention_switches),
                               layer_index=layer_index)
        self.norm1 = make_norm(norm, d_model, eps=norm_eps, bias=bias)
        self._add_sublayers(partial(make_norm, norm, d_model, eps=norm_eps, bias=bias),
                            partial(FeedForward, d_model, d_ff, activation=activation, dropout=dropout, bias=bias)
                            if mlp else None)

    def _add_sublayers(self, norm: Callable[[], nn.LayerNorm],
                       feed_forward: Callable[[], FeedForward] | None) -> None:
        """Build the sublayers after the self-attention; ``norm()`` and ``feed_forward()`` make one each
        (``feed_forward`` is None in an attention-only block: no feed-forward and no norm before it)."""
        raise NotImplementedError

    # Every sublayer sits in a residual branch: pre-LN  x + drop(f(norm(x))),  post-LN  norm(x + drop(f(x))).
    def _branch_input(self, x: torch.Tensor, norm: nn.LayerNorm) -> torch.Tensor:
        """What the sublayer of a residual branch reads: ``norm(x)`` pre-LN, ``x`` post-LN."""
        return norm(x) if self.norm_first else x

    def _add_branch(self, x: torch.Tensor, out: torch.Tensor, norm: nn.LayerNorm) -> torch.Tensor:
        """``x`` plus the dropped-out sublayer output ``out``, normalised after the sum post-LN."""
        x = x + _dropout(out, self.dropout, self.training)
        return x if self.norm_first else norm(x)


class EncoderBlock(_SelfAttentionBlock):
    r"""A Transformer block: self-attention and a feed-forward network, each in a residual branch.

    Pre-LN (``norm_first=True``; GPT-2, most modern models)::

        x = x + drop(attn(norm1(x)));   x = x + drop(ff(norm2(x)))

    Post-LN (``norm_first=False``; Vaswani et al. 2017, BERT; equals ``torch.nn.TransformerEncoderLayer``)::

        x = norm1(x + drop(attn(x)));   x = norm2(x + drop(ff(x)))

    With ``is_causal=True`` it is also the block of a decoder-only language model.

    Args:
        d_model: width C.
        n_heads: attention heads H.
        d_ff: feed-forward hidden width.
        dropout: on attention weights, after the feed-forward activation and on both residual branches.
        activation: "gelu", "relu", "gelu_tanh" or "swiglu" (gated, see :class:`FeedForward`).
        norm_first: pre-LN (True) or post-LN (False).
        norm_eps: LayerNorm epsilon.
        norm: "layer" (LayerNorm) or "rms" (RMSNorm) for every norm of the block.
        mlp: False builds an attention-only block: no feed-forward branch (``ff`` and ``norm2`` are None),
            ``x = x + drop(attn(norm1(x)))`` only (the two-layer attention-only models of Elhage et al. 2021
            and Olsson et al. 2022).
        bias: biases in projections, feed-forward and LayerNorms.
        attention: the self-attention's :class:`~attnlab.attention.AttentionConfig` (its d_model, n_heads,
            bias and dropout must equal the block's); None builds it from ``**attention_switches``.
        layer_index: the block's depth from 0 (differential attention's λ_init depends on it).
        **attention_switches: :class:`~attnlab.attention.AttentionConfig` fields, passed through
            (``attn_impl`` as its ``impl``): ``score``, ``shared_qk``, ``scale``, ``n_kv_heads``,
            ``attn_impl``, ``window``, ``sink``, ``softcap``, ``gate``, ``positions`` ("rope", "alibi", "t5"
            or None), ``rotary_base``, ``rotary_fraction``, ``relative_buckets``, ``relative_max_distance``,
            ``relative_bidirectional``, ``rotary_scaling``, ``rotary_factor``, ``rotary_original_len`` and
            ``mixer`` (:mod:`attnlab.models.mixers`) with its sizes.

    Attributes:
        attn: the self-attention (MultiHeadAttention, or the mixer of ``mixer``).
        norm1, norm2: the LayerNorms before (pre-norm) or after (post-norm) attention and the feed-forward.
        ff: the feed-forward (FeedForward, with ``fc1`` and ``fc2``); None (and ``norm2`` None) with ``mlp=False``.

    Hook points (:mod:`attnlab.attention.hooks`): ``resid_pre``, ``resid_mid``, ``resid_post``.

    Shape:
        x (B, T, C) -> (x (B, T, C), weights (B, H, T, Tk) or None)
    """

    hook_points = BLOCK_POINTS

    def _add_sublayers(self, norm: Callable[[], nn.LayerNorm],
                       feed_forward: Callable[[], FeedForward] | None) -> None:
        self.ff = feed_forward() if feed_forward is not None else None
        self.norm2 = norm() if feed_forward is not None else None

    def forward(self, x: torch.Tensor, *, key_mask: torch.Tensor | None = None,
                attn_mask: torch.Tensor | None = None, is_causal: bool = False,
                head_mask: torch.Tensor | None = None, need_weights: bool = False,
                cache: KVCache | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        hooked = self._hook_fns is not None
        if hooked:
            x = self.run_hook("resid_pre", x)
        a, w = self.attn(self._branch_input(x, self.norm1), key_mask=key_mask, attn_mask=attn_mask,
                         is_causal=is_causal, head_mask=head_mask, need_weights=need_weights, cache=cache)
        x = self._add_branch(x, a, self.norm1)
        if hooked:
            x = self.run_hook("resid_mid", x)
        if self.ff is not None:
            x = self._add_branch(x, self.ff(self._branch_input(x, self.norm2)), self.norm2)
        return (self.run_hook("resid_post", x) if hooked else x), w


class DecoderBlock(_SelfAttentionBlock):
    r"""Transformer decoder block: causal self-attention, cross-attention to a memory, feed-forward.

    Pre-LN::

        x = x + drop(attn(norm1(x)));  x = x + drop(cross_attn(norm2(x), memory));  x = x + drop(ff(norm3(x)))

    Post-LN (``torch.nn.TransformerDecoderLayer`` layout)::

        x = norm1(x + drop(attn(x)));  x = norm2(x + drop(cross_attn(x, memory)));  x = norm3(x + drop(ff(x)))

    Arguments as :class:`EncoderBlock`; ``shared_qk``, ``window`` and the positions (``positions``,
    ``rotary_*``, ``relative_*``) apply to the self-attention only (the cross-attention's queries and keys
    come from different sequences, so neither their distance nor a shared projection means anything); the
    other switches apply to both (``AttentionConfig.cross_attention_fields``).

    Attributes:
        attn, cross_attn: the self-attention and the cross-attention (MultiHeadAttention).
        norm1, norm2, norm3: the LayerNorms of the three sub-layers.
        ff: the feed-forward (FeedForward); None (and ``norm3`` None) with ``mlp=False``.

    Hook points: ``resid_pre``, ``resid_mid`` (after self-attention), ``resid_cross`` (after
    cross-attention), ``resid_post``.

    Shape:
        x (B, T, C), memory (B, S, C) -> (x (B, T, C), self weights (B, H, T, Tk) | None,
        cross weights (B, H, T, S) | None)
    """

    hook_points = DECODER_BLOCK_POINTS

    def _add_sublayers(self, norm: Callable[[], nn.LayerNorm],
                       feed_forward: Callable[[], FeedForward] | None) -> None:
        self.cross_attn = MultiHeadAttention.from_config(self.attn.config.cross_attention_fields())
        self.norm2 = norm()
        self.ff = feed_forward() if feed_forward is not None else None
        self.norm3 = norm() if feed_forward is not None else None

    def forward(self, x: torch.Tensor, memory: torch.Tensor, *, memory_key_mask: torch.Tensor | None = None,
                key_mask: torch.Tensor | None = None, attn_mask: torch.Tensor | None = None,
                is_causal: bool = True, head_mask: torch.Tensor | None = None,
                cross_head_mask: torch.Tensor | None = None, need_weights: bool = False,
                cache: KVCache | None = None, cross_cache: KVCache | None = None,
                ) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor | None]:
        hook = self.run_hook if self._hook_fns is not None else _no_hook
        x = hook("resid_pre", x)
        a, w_self = self.attn(self._branch_input(x, self.norm1), key_mask=key_mask, attn_mask=attn_mask,
                              is_causal=is_causal, head_mask=head_mask, need_weights=need_weights, cache=cache)
        x = hook("resid_mid", self._add_branch(x, a, self.norm1))
        a, w_cross = self.cross_attn(self._branch_input(x, self.norm2), memory, memory, key_mask=memory_key_mask,
                                     head_mask=cross_head_mask, need_weights=need_weights, cache=cross_cache)
        x = hook("resid_cross", self._add_branch(x, a, self.norm2))
        if self.ff is not None:
            x = self._add_branch(x, self.ff(self._branch_input(x, self.norm3)), self.norm3)
        return hook("resid_post", x), w_self, w_cross


def _no_hook(point: str, x: torch.Tensor) -> torch.Tensor:
    return x


class Embeddings(nn.Module):
    r"""Token embedding plus position encoding: :math:`\mathrm{drop}(s \cdot E[x_t] + P[t + \mathrm{offset}])`.

    ``s = sqrt(C)`` when ``scale_embeddings`` (Vaswani et al. 2017, section 3.4; the table is then
    initialised with std ``C**-0.5`` so that ``s * E`` has unit variance), else 1 (table std ``init_std``).

    Args:
        vocab_size: vocabulary, or None for a model that only takes ``inputs_embeds``.
        d_model: width C.
        max_len: positions available.
        positions: "sinusoidal", "learned" or "none".
        scale_embeddings: multiply token embeddings by sqrt(C).
        init_std: init std of the (unscaled) token table and the learned positions.
        dropout: dropout on the sum.

    Attributes:
        tok: the token embedding (nn.Embedding, or None).
        pos: the added positions (SinusoidalPositions, LearnedPositions, or None).

    Shape:
        input_ids (B, T) long or inputs_embeds (B, T, C) -> (B, T, C)
    """

    def __init__(self, vocab_size: int | None, d_model: int, max_len: int, *, positions: str = "sinusoidal",
                 scale_embeddings: bool = False, init_std: float = 0.02, dropout: float = 0.0) -> None:
        super().__init__()
        self.d_model = d_model
        self.tok = nn.Embedding(vocab_size, d_model) if vocab_size is not None else None
        if self.tok is not None:
            nn.init.normal_(self.tok.weight, std=d_model**-0.5 if scale_embeddings else init_std)
        self.pos = make_positions(positions, max_len, d_model, init_std)
        self.scale = math.sqrt(d_model) if scale_embeddings else 1.0
        self.dropout = dropout

    def forward(self, input_ids: torch.Tensor | None = None, inputs_embeds: torch.Tensor | None = None,
                offset: int = 0) -> torch.Tensor:
        if (input_ids is None) == (inputs_embeds is None):
            raise ValueError("input_ids / inputs_embeds: expected exactly one of them, got "
                             f"{'both' if input_ids is not None else 'neither'}")
        if input_ids is not None:
            if self.tok is None:
                raise ValueError("input_ids: expected inputs_embeds for a model built with vocab_size=None, "
                                 "got input_ids")
            x = self.tok(input_ids)  # (B, T, C)
        else:
            if inputs_embeds.dim() != 3 or inputs_embeds.shape[-1] != self.d_model:
                raise ValueError(f"inputs_embeds: expected shape (B, T, {self.d_model}), "
                                 f"got {tuple(inputs_embeds.shape)}")
            x = inputs_embeds
        if self.scale != 1.0:
            x = x * self.scale
        if self.pos is not None:
            x = x + self.pos(x.shape[1], offset)  # (T, C) broadcast over B
        return _dropout(x, self.dropout, self.training)


class AttentionPooling(nn.Module):
    r"""Pool a sequence into one vector with a learned query :math:`u` and a registered attention score.

    .. math::  \alpha = \mathrm{softmax}_t(\mathrm{score}(u, h_t)),\qquad \mathrm{out} = \sum_t \alpha_t h_t

    (Yang et al. 2016's attention pooling when the score is "additive", the default). Padding
    (``key_mask`` False) gets zero weight.

    Args:
        d_model: width C of the pooled states.
        score: a registered score name (``attnlab.attention.list_scores()``).

    Shape:
        h (B, T, C), key_mask (B, T) bool or None -> (pooled (B, C), weights (B, T))
    """

    def __init__(self, d_model: int, score: str = "additive") -> None:
        super().__init__()
        self.query = nn.Parameter(torch.randn(d_model) * d_model**-0.5)
        self.score = make_score(score, head_dim=d_model, n_heads=1)

    def forward(self, h: torch.Tensor, key_mask: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        b, _, c = h.shape
        q = self.query.to(h.dtype).expand(b, 1, 1, c)  # (B, 1, 1, C): one head, one query
        kv = h.unsqueeze(1)  # (B, 1, T, C)
        mask = key_mask[:, None, None, :] if key_mask is not None else None  # (B, 1, 1, T)
        out, w = attention(q, kv, kv, score=self.score, attn_mask=mask, return_weights=True)
        return out[:, 0, 0], w[:, 0, 0]  # (B, C), (B, T)


def masked_mean(h: torch.Tensor, key_mask: torch.Tensor | None) -> torch.Tensor:
    """Mean over real positions: h (B, T, C), key_mask (B, T) -> (B, C)."""
    if key_mask is None:
        return h.mean(1)
    m = key_mask.to(h.dtype).unsqueeze(-1)  # (B, T, 1)
    return (h * m).sum(1) / m.sum(1).clamp_min(1.0)


def masked_max(h: torch.Tensor, key_mask: torch.Tensor | None) -> torch.Tensor:
    """Max over real positions (zeros for an all-padding row): h (B, T, C) -> (B, C)."""
    if key_mask is None:
        return h.amax(1)
    filled = h.masked_fill(~key_mask.unsqueeze(-1), float("-inf")).amax(1)
    return torch.where(key_mask.any(1, keepdim=True), filled, torch.zeros_like(filled))


def check_key_mask(key_mask: torch.Tensor | None, batch: int, length: int, name: str = "key_mask") -> None:
    """Raise if ``key_mask`` is not a (B, T) boolean tensor (True = real token)."""
    if key_mask is None:
        return
    if not isinstance(key_mask, torch.Tensor) or key_mask.dtype != torch.bool:
        got = key_mask.dtype if isinstance(key_mask, torch.Tensor) else type(key_mask).__name__
        raise TypeError(f"{name}: expected a bool tensor (True = real token), got {got}")
    if tuple(key_mask.shape) != (batch, length):
        raise ValueError(f"{name}: expected shape ({batch}, {length}), got {tuple(key_mask.shape)}")
