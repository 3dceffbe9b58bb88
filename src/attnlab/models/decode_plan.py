"""One generated token at the cost of reading the weights: the decode fast path of :class:`TransformerLM`.

A step of cached decoding feeds one token per row through every layer. The general forward handles any
number of queries, every mask, hook and switch, and re-derives all of that per call: the fused q/k/v weight
is concatenated again, masks and positions are built, switches are read from the config. For one query
against a cache none of that depends on the token. :class:`DecodePlan` resolves it once per ``generate``
call, from the model's own modules:

* the q, k, v (and the output gate's) weights concatenated into one matrix, so each layer does one
  projection matmul;
* RoPE's angles, the embedding positions and the ALiBi or T5 bias of every query-key distance, as tables
  indexed by position; each token's RoPE as one D x D rotation matrix (built once for all layers), so q and
  k of every head turn in one matmul;
* a sliding window as a slice of the cache (query p sees keys ``max(0, p - W + 1) .. p``); a position
  bias as SDPA's float mask; a sink as a rescaling of SDPA's output by ``sigmoid(logsumexp - sink)``
  (:func:`~attnlab.models.decode_kernels.attend_with_sink`); a soft-cap as a ``tanh`` on the scores (the
  one switch that leaves the fused kernel);
* multi-head latent attention (``mixer="mla"`` with ``latent_absorb=True``) in its absorbed form
  (:mod:`attnlab.models.decode_latent`).

Per token it then does the plain math, one query per row (B rows; Hkv key/value heads, G = H / Hkv query
heads each)::

    x = E[token] + P[p]
    for each layer:
        h = norm1(x)                                  (pre-LN; post-LN reads x)
        q, k, v = split(h W_qkv + b_qkv)              q (B, Hkv, G, D), k, v (B, Hkv, D)
        q, k = rope(q, p), rope(k, p)
        cache[:, :, p] = k, v
        s = scale · q K[lo:p+1]ᵀ  (+ cap, + bias)     (B, Hkv, G, T)
        a = softmax([sink,] s) V[lo:p+1]              (B, Hkv, G, D)
        x = x + out_proj(a · gate)                    (post-LN: norm1 of the sum)
        x = x + ff(norm2(x))
    logits = norm(x) W_headᵀ

It equals the general forward up to float rounding (the cached-vs-uncached generation tests bound the
difference at 1e-5). Anything it does not cover (hooks set, dropout in training mode, scores other than the
dot product, mixers other than softmax attention and absorbed MLA) leaves the model on the general path:
:func:`DecodePlan.unsupported` says why.
"""

from __future__ import annotations

import weakref

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from attnlab.attention import KVCache, MultiHeadAttention
from attnlab.attention.scores import DotScore
from attnlab.models.decode_kernels import (
    RowLinear,
    attend_with_sink,
    bias_table,
    rotary_table,
    rotation_matrices,
    score_weights,
    sink_logits,
)
from attnlab.models.decode_latent import LatentStep, LatentWeights
from attnlab.models.mixers import MultiHeadLatentAttention
from attnlab.models.positions import LearnedPositions, SinusoidalPositions

__all__ = ["DecodePlan", "lm_head_rows", "rotation_matrices"]


class _SoftmaxWeights:
    """Softmax attention's matrices in the plan's layout: q, k, v (and the gate) fused into one, and out."""

    def __init__(self, attn: MultiHeadAttention, transpose: bool) -> None:
        c = attn.config
        scale = float(attn.learned_scale if attn.learned_scale is not None else attn.fixed_scale)
        # the logit scale folded into W_Q and b_Q of the copy (not when W_K is W_Q, or without a copy)
        self.scale_folded = transpose and not c.shared_qk
        fold = scale if self.scale_folded else 1.0
        q_bias = None if attn.q_proj.bias is None else attn.q_proj.bias * fold
        weights = [attn.q_proj.weight * fold] + ([] if c.shared_qk else [attn.k_proj.weight]) + [attn.v_proj.weight]
        biases = [q_bias] + ([] if c.shared_qk else [attn.k_proj.bias]) + [attn.v_proj.bias]
        if attn.gate_proj is not None:  # the gate reads the same input: one more slice of the same matmul
            weights.append(attn.gate_proj.weight)
            biases.append(attn.gate_proj.bias)
        # (Hq·D + [Hkv·D] + Hkv·D [+ H], C): q, k, v (and the gate) in one matmul
        self.project = RowLinear(torch.cat(weights), None if biases[0] is None else torch.cat(biases), transpose)
        self.out = RowLinear(attn.out_proj.weight, attn.out_proj.bias, transpose)


class _LayerWeights:
    """One block's matrices in the plan's layout: its attention's (:class:`_SoftmaxWeights` or
    :class:`~attnlab.models.decode_latent.LatentWeights`), fc1 and fc2."""

    def __init__(self, block: nn.Module, transpose: bool) -> None:
        kind = LatentWeights if isinstance(block.attn, MultiHeadLatentAttention) else _SoftmaxWeights
        self.attn = kind(block.attn, transpose)
        self.fc1 = RowLinear(block.ff.fc1.weight, block.ff.fc1.bias, transpose)
        self.fc2 = RowLinear(block.ff.fc2.weight, block.ff.fc2.bias, transpose)


# model -> (the version key of its weights, its layers' _LayerWeights): built once, not per generate call;
# model -> (key, its head as a RowLinear)
_WEIGHTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_HEADS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _weights_key(model: nn.Module) -> tuple:
    """Changes whenever a weight does: in-place updates (optimiser steps, ``load_state_dict``) bump
    ``_version``, a new tensor (``.to()``, pruning) has a new ``data_ptr``."""
    return tuple((p.data_ptr(), p._version, p.shape) for p in model.parameters())


def _cached(store: weakref.WeakKeyDictionary, model: nn.Module, key: tuple, build):
    hit = store.get(model)
    if hit is not None and hit[0] == key:
        return hit[1]
    value = build()
    store[model] = (key, value)
    return value


def _layer_weights(model: nn.Module, transpose: bool) -> list[_LayerWeights]:
    """The blocks' weights in the plan's layout, kept while no weight of the model changes."""
    return _cached(_WEIGHTS, model, (_weights_key(model), transpose),
                   lambda: [_LayerWeights(block, transpose) for block in model.layers])


def lm_head_rows(model: nn.Module) -> RowLinear:
    """``model.lm_head`` stored (C, V) for the next-token logits of a few rows (:class:`RowLinear`: the
    head reads all V x C weights for one row per step; 0.6x the time of ``F.linear`` on the (V, C) layout
    for GPT-2 6x512 at V = 50257), kept while the head's weights do not change."""
    head = model.lm_head
    key = tuple((p.data_ptr(), p._version) for p in head.parameters())
    return _cached(_HEADS, model, key, lambda: RowLinear(head.weight, head.bias, transpose=True))


class _SoftmaxStep:
    """Softmax attention (MHA, GQA, MQA) for one query per row at position p, its switches resolved once."""

    def __init__(self, attn: MultiHeadAttention, weights: _SoftmaxWeights, max_len: int, rotaries: dict) -> None:
        c = attn.config
        self.h, self.hkv, self.d = c.n_heads, c.n_kv_heads, c.head_dim
        self.g = self.h // self.hkv
        self.window, self.softcap = c.window, c.softcap
        self.project = weights.project
        self.shared_qk, self.gated = c.shared_qk, attn.gate_proj is not None
        self.plain = c.sink is None and c.softcap is None and attn.position_bias is None and not self.gated
        scale = attn.learned_scale if attn.learned_scale is not None else attn.fixed_scale
        # a learned scale is a constant while decoding; 1 where the copy of W_Q carries it
        self.scale = 1.0 if weights.scale_folded else float(scale)
        sink = sink_logits(attn)
        self.sink = None if sink is None else sink.view(1, self.hkv, self.g, 1)
        self.rotary = None if attn.rotary_dim is None else rotary_table(attn, attn.rotary_dim, self.d, max_len,
                                                                        rotaries)
        bias = bias_table(attn, max_len)
        self.bias = None if bias is None else bias.view(self.hkv, self.g, max_len)
        self.max_len = max_len

    def __call__(self, x: Tensor, p: int, cache: KVCache) -> Tensor:
        """The heads' output for one query per row at position ``p``: x (B, C) -> (B, H·D)."""
        b = x.shape[0]
        fused = self.project(x)  # (B, Hq·D + [Hkv·D] + Hkv·D [+ H]): [q | k | v | gate]
        dq, dkv = self.h * self.d, self.hkv * self.d
        n = dq if self.shared_qk else dq + dkv  # q and k, adjacent
        qk = fused[:, :n]
        if self.rotary is not None:  # every head's q and k turned by position p's matrix, in one matmul
            qk = (qk.reshape(-1, self.d) @ self.rotary.matrix(p)).view(b, n)
        q = qk[:, :dq].view(b, self.hkv, self.g, self.d)
        k = (qk if self.shared_qk else qk[:, dq:]).reshape(b, self.hkv, 1, self.d)  # shared: G = 1
        v = fused[:, n : n + dkv].reshape(b, self.hkv, 1, self.d)
        keys, values = cache.write_one(k, v)  # (B, Hkv, p+1, D) each
        lo = 0 if self.window is None else max(0, p + 1 - self.window)
        if lo:
            keys, values = keys[:, :, lo:], values[:, :, lo:]
        # one fused call; the G query heads of a key/value head are its G "queries"
        if self.plain:
            a = F.scaled_dot_product_attention(q, keys, values, scale=self.scale)  # (B, Hkv, G, D)
            return a.reshape(b, self.h * self.d)
        bias = None if self.bias is None else self.bias[:, :, self.max_len - 1 - p + lo :]
        a = None
        if self.softcap is None:
            if self.sink is not None:
                a = attend_with_sink(q, keys, values, self.scale, self.sink, bias)
            else:
                a = F.scaled_dot_product_attention(q, keys, values, attn_mask=bias, scale=self.scale)
        if a is None:
            w = score_weights(torch.matmul(q, keys.transpose(-1, -2)), self.scale, self.softcap, bias, self.sink)
            a = torch.matmul(w, values)  # (B, Hkv, G, D)
        if self.gated:
            a = a * torch.sigmoid(fused[:, n + dkv :]).view(b, self.hkv, self.g, 1)
        return a.reshape(b, self.h * self.d)  # the heads, before the output projection


class _LayerPlan:
    """What one block needs per token, resolved once: its attention step, weights and norms."""

    def __init__(self, block: nn.Module, max_len: int, weights: _LayerWeights, rotaries: dict) -> None:
        self.block = block
        self.pre_norm = block.norm_first
        step = LatentStep if isinstance(block.attn, MultiHeadLatentAttention) else _SoftmaxStep
        self.attend = step(block.attn, weights.attn, max_len, rotaries)
        self.out, self.fc1, self.fc2 = weights.attn.out, weights.fc1, weights.fc2
        self.act, self.ff_gated = block.ff.act, block.ff.gated

    def hidden(self, x: Tensor) -> Tensor:
        """The feed-forward's hidden layer, before ``fc2``."""
        h = self.fc1(x)
        if self.ff_gated:
            gate, up = h.chunk(2, dim=-1)
            return self.act(gate) * up
        return self.act(h)

    def __call__(self, x: Tensor, p: int, cache: KVCache) -> Tensor:
        """x (B, C), the plan's own residual stream (updated in place) -> (B, C)."""
        blk = self.block
        if self.pre_norm:
            x = self.out.add_to(x, self.attend(blk.norm1(x), p, cache))  # x + out_proj(heads)
            return self.fc2.add_to(x, self.hidden(blk.norm2(x)))
        x = blk.norm1(self.out.add_to(x, self.attend(x, p, cache)))
        return blk.norm2(self.fc2.add_to(x, self.hidden(x)))


class DecodePlan:
    """The per-token decode of a :class:`~attnlab.models.TransformerLM` over its KV caches (module docstring).

    Build it with :meth:`build` (None when the model needs the general path). ``step(tokens)`` takes the
    newest token of each row, (B,) long, at position ``caches[0].length``, appends its keys and values to
    the caches and returns the final hidden state (B, C) after the final norm.
    """

    #: the blocks' weights are copied in the (K, N) layout up to this size (:class:`RowLinear`; the fused q/k/v
    #: matrix is also kept in its (N, K) layout for 2 or 3 rows); the copies are kept for the next ``generate``
    #: call until a weight changes
    TRANSPOSE_MAX_BYTES = 1 << 30

    def __init__(self, model: nn.Module, caches: list[KVCache], max_len: int) -> None:
        self.model = model
        self.caches = caches
        weight_bytes = sum(p.numel() * p.element_size() for p in model.layers.parameters())
        layers = _layer_weights(model, transpose=weight_bytes <= self.TRANSPOSE_MAX_BYTES)
        self.head = lm_head_rows(model)
        rotaries: dict = {}
        self.layers = [_LayerPlan(block, max_len, w, rotaries) for block, w in zip(model.layers, layers, strict=True)]
        emb = model.embed
        self.tok = emb.tok.weight.detach()  # (V, C)
        self.tok_scale = emb.scale
        self.pos = None if emb.pos is None else emb.pos(max_len, 0).detach()  # (L, C)
        self.norm = model.norm

    @staticmethod
    def unsupported(model: nn.Module, caches: list | None) -> str | None:
        """Why ``model`` must decode on the general path, or None when the plan covers it."""
        if caches is None:
            return "no cache"
        if model.training and model.config.dropout > 0:
            return "dropout is on (training mode)"
        if model.embed.tok is None:
            return "the model takes embeddings, not token ids"
        if model.embed.pos is not None and not isinstance(model.embed.pos, (SinusoidalPositions, LearnedPositions)):
            return f"embedding positions {type(model.embed.pos).__name__}"
        for i, (block, cache) in enumerate(zip(model.layers, caches, strict=True)):
            reason = _layer_unsupported(block, cache)
            if reason is not None:
                return f"layer {i}: {reason}"
        return None

    @classmethod
    def build(cls, model: nn.Module, caches: list | None, max_len: int) -> DecodePlan | None:
        """The plan for ``model`` decoding into ``caches`` (each holding up to ``max_len`` positions), or
        None when :meth:`unsupported` names a reason."""
        if cls.unsupported(model, caches) is not None:
            return None
        return cls(model, caches, max_len)

    def step(self, tokens: Tensor) -> Tensor:
        p = self.caches[0].length
        x = self.tok.index_select(0, tokens)  # (B, C)
        if self.tok_scale != 1.0:
            x = x * self.tok_scale
        if self.pos is not None:
            x = x + self.pos[p]
        for layer, cache in zip(self.layers, self.caches, strict=True):
            x = layer(x, p, cache)
        return self.head(self.norm(x) if self.norm is not None else x)  # (B, V)


def _layer_unsupported(block: nn.Module, cache) -> str | None:
    """Why one block must decode on the general path, or None."""
    attn = block.attn
    if type(cache) is not KVCache:
        return type(cache).__name__
    latent = isinstance(attn, MultiHeadLatentAttention)
    if not latent and not isinstance(attn, MultiHeadAttention):
        return f"mixer {type(attn).__name__}"
    if latent and not attn.config.latent_absorb:
        return "MLA without latent_absorb (its naive path up-projects the whole cache every step)"
    if any(m._hook_fns is not None for m in (block, attn)):
        return "hooks are set"
    if not latent and attn.shared_qk and attn.n_kv_heads != attn.n_heads:
        return "shared_qk with grouped key/value heads"
    if attn.kdim != attn.d_model or attn.vdim != attn.d_model:
        return "kdim/vdim differ from d_model"
    if type(attn.score) not in (DotScore, *DotScore.__subclasses__()):
        return f"score {type(attn.score).__name__}"
    if attn.training and attn.config.dropout > 0:
        return "attention dropout in training mode"
    return None
