"""Multi-head attention with every design choice of the attention questions as a switch.

.. math::
    \\mathrm{head}_h = g_h \\cdot \\mathrm{softmax}\\big(\\mathrm{cap}(\\mathrm{scale}\\cdot s(R_i x W^Q_h,
    R_j y W^K_h)) + b_h(j - i) + M\\big)\\, y W^V_h,
    \\qquad \\mathrm{out} = [\\mathrm{head}_1; \\dots; \\mathrm{head}_H]\\, W^O

with the optional modern switches: rotary positions R (RoPE), a position bias b (ALiBi, T5), a logit
soft-cap, a sliding window and a sink inside M and the softmax, and a sigmoid output gate g. The
projections live here and every switch is read from one :class:`AttentionConfig` (``config.py``); the
kernel that turns (q, k, v) into outputs lives in ``kernels/`` (the split of x-transformers' ``Attend``);
the positions live in ``rotary.py``, ``alibi.py`` and ``relative_bias.py``; head inspection and pruning in
``heads.py``.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import Tensor, nn

from attnlab.attention.alibi import ALiBi
from attnlab.attention.cache import KVCache
from attnlab.attention.config import AttentionConfig
from attnlab.attention.heads import HeadsMixin
from attnlab.attention.hooks import ATTENTION_POINTS, HookedModel, HookPoints
from attnlab.attention.inputs import check_inputs, head_multiplier
from attnlab.attention.interop import from_torch_multihead
from attnlab.attention.kernels import attend, resolve_scale
from attnlab.attention.masks import build_mask_spec
from attnlab.attention.position_schemes import ATTENTION_POSITIONS, POSITION_SCHEMES
from attnlab.attention.relative_bias import RelativePositionBias
from attnlab.attention.rotary import rotary_cos_sin, rotate
from attnlab.attention.scores import make_score
from attnlab.attention.streaming import streaming_mask

__all__ = ["ATTENTION_POSITIONS", "AttentionConfig", "MultiHeadAttention", "position_bias_module"]


def _config_field(name: str, doc: str) -> property:
    """A read-only attribute that reads ``config.<name>``."""
    return property(lambda self: getattr(self.config, name), doc=doc)


def position_bias_module(config: AttentionConfig) -> nn.Module | None:
    """The additive position bias of ``config.positions`` (ALiBi or T5 buckets), or None."""
    if config.positions is None or not POSITION_SCHEMES[config.positions].additive_bias:
        return None
    if config.positions == "alibi":
        return ALiBi(config.n_heads)
    return RelativePositionBias(
        config.n_heads, config.relative_buckets, config.relative_max_distance, config.relative_bidirectional
    )


class MultiHeadAttention(HeadsMixin, HookPoints, HookedModel, nn.Module):
    """Multi-head attention, batch-first.

    Built from keyword arguments, the fields of :class:`AttentionConfig` (``MultiHeadAttention(d_model,
    n_heads, *, score=..., ...)``), or from a config (``MultiHeadAttention.from_config(cfg)`` or
    ``config=cfg``, also a dict of its fields). The module keeps it in ``config`` and reads every switch
    from it.

    Args:
        d_model: C, the model width.
        n_heads: H.
        score: a registered score name ("dot", "scaled_dot", "general", "additive", "cosine", ...) or a
            :class:`~attnlab.attention.Score` instance.
        shared_qk: use W_Q for the keys as well (W_Q = W_K).
        scale: None (the score's default), True (1/√D), False (1), a positive float, or "learned".
        n_kv_heads: key/value heads for grouped-query (divides H) or multi-query (1) attention.
        bias: biases in the projections.
        dropout: dropout on the attention weights.
        kdim, vdim: widths of the key and value inputs (default C).
        impl: kernel path, "auto" (default), "reference", "sdpa" or "chunked".
        window: sliding-window attention: causal, query i sees the W keys i - W < j <= i; otherwise
            |i - j| < W (aligned bottom-right like ``is_causal``, so it holds with a KV cache).
        sink: "zero" adds a key with logit 0 and value 0 (softmax off-by-one), "learned" one with a learned
            logit per head (``sink_logits``, init 0): a head can put its weight on nothing.
        softcap: c > 0: logits become c·tanh(x / c) before the position bias and masks (Gemma 2). Runs on the
            reference and chunked paths.
        gate: "sigmoid": each head's output is multiplied by sigmoid(x W_G + b_G), one scalar per head and
            query token computed from the query input (the head-wise gate of Qiu et al. 2025, "Gated
            Attention for LLMs"; their element-wise gate would need D times the parameters).
        positions: position scheme inside self-attention: "rope" (rotary, applied to q and k before the
            kernel), "alibi" (linear bias per head) or "t5" (learned bucketed bias per head); None: none
            here (the models add sinusoidal or learned positions to the embeddings instead). Query i is at
            position i + Tk - Tq (bottom-right, as ``is_causal``): with a cache, after the cached keys.
        rotary_base, rotary_fraction: RoPE's base and the share of each head's dims that turn.
        relative_buckets, relative_max_distance, relative_bidirectional: T5 bias buckets (32, 128; False
            for causal self-attention).
        head_dim: D, the width of each head (default C // H; a pruned module keeps its D).
        config: an :class:`AttentionConfig` (or a dict of its fields) instead of the arguments above.

    Shapes:
        query (B, Tq, C); key (B, Tk, kdim); value (B, Tk, vdim); output (B, Tq, C);
        weights (B, H, Tq, Tk), one map per head.

    Attributes:
        config: the :class:`AttentionConfig` (``prune_heads`` replaces it with the heads left). Its sizes
            and switches read as attributes too: ``d_model``, ``n_heads``, ``n_kv_heads``, ``head_dim``,
            ``kdim``, ``vdim``, ``shared_qk``, ``dropout``, ``impl``, ``window``, ``sink``, ``softcap``,
            ``positions``, ``rotary_base``.
        q_proj, k_proj, v_proj, out_proj: the ``nn.Linear`` projections (``k_proj`` is None when
            ``shared_qk``). Head h owns rows ``h*D:(h+1)*D`` of q_proj and columns ``h*D:(h+1)*D`` of
            out_proj.
        score: the score module (may hold per-head parameters).
        learned_scale: the learned logit multiplier, when ``scale="learned"`` (or cosine's default).
        fixed_scale: the constant logit multiplier otherwise (None when learned).
        sink_logits: (H,) learned sink logits (``sink="learned"``), else None.
        gate_proj: ``nn.Linear(C, H)`` of the output gate (``gate="sigmoid"``), else None.
        position_bias: :class:`~attnlab.attention.alibi.ALiBi` or
            :class:`~attnlab.attention.relative_bias.RelativePositionBias`, else None.
        head_ids: the original index of each head left (``prune_heads`` removes entries).

    Hook points (:mod:`attnlab.attention.hooks`): ``q``, ``k``, ``v``, ``scores``, ``pattern``, ``z``,
    ``out``; ``hooks({name: fn})`` and ``run_with_cache(query, ...)`` work on the module alone too.
    """

    d_model = _config_field("d_model", "C, the model width.")
    n_heads = _config_field("n_heads", "H, the query heads.")
    n_kv_heads = _config_field("n_kv_heads", "Hkv, the key/value heads.")
    head_dim = _config_field("head_dim", "D, the width of each head.")
    kdim = _config_field("kdim", "Width of the key input.")
    vdim = _config_field("vdim", "Width of the value input.")
    shared_qk = _config_field("shared_qk", "True when W_Q = W_K.")
    dropout = _config_field("dropout", "Dropout on the attention weights.")
    impl = _config_field("impl", "The kernel path.")
    window = _config_field("window", "Sliding window W, or None.")
    sink = _config_field("sink", "None, 'zero' or 'learned'.")
    softcap = _config_field("softcap", "Logit soft-cap c, or None.")
    positions = _config_field("positions", "Position scheme inside self-attention, or None.")
    rotary_base = _config_field("rotary_base", "RoPE's base.")
    hook_points = ATTENTION_POINTS

    def __init__(self, d_model: int | None = None, n_heads: int | None = None, *,
                 config: AttentionConfig | dict[str, Any] | None = None, **switches: Any) -> None:
        if config is None:
            config = AttentionConfig.from_dict({"d_model": d_model, "n_heads": n_heads, **switches})
        elif d_model is not None or n_heads is not None or switches:
            given = [n for n, v in (("d_model", d_model), ("n_heads", n_heads)) if v is not None] + sorted(switches)
            raise ValueError(f"config: expected a config or keyword switches, got both (config and {given})")
        elif isinstance(config, dict):
            config = AttentionConfig.from_dict(config)
        elif isinstance(config, AttentionConfig):
            # Validate again, as a keyword build does once: the scale check builds a probe score, which draws
            # from the global RNG for scores with parameters, so a seeded build from a shared config gets the
            # same weights as the same build switch by switch.
            config.validate()
        else:
            raise TypeError(f"config: expected an AttentionConfig or a dict of its fields, got {type(config).__name__}")
        if config.mixer != "softmax":
            raise ValueError(f"mixer: MultiHeadAttention is the softmax mixer, got mixer={config.mixer!r}; build "
                             f"it with attnlab.models.mixers.make_mixer(config) or a model's mixer= argument")
        super().__init__()
        self.config = config
        c = config
        d, h = c.head_dim, c.n_heads
        self.q_proj = nn.Linear(c.d_model, h * d, bias=c.bias)
        self.k_proj = None if c.shared_qk else nn.Linear(c.kdim, c.n_kv_heads * d, bias=c.bias)
        self.v_proj = nn.Linear(c.vdim, c.n_kv_heads * d, bias=c.bias)
        self.out_proj = nn.Linear(h * d, c.d_model, bias=c.bias)
        self.score = make_score(c.score, d, h)
        if self.score.head_dim != d or self.score.n_heads != h:
            raise ValueError(
                f"score: expected a module built for head_dim={d}, n_heads={h}, "
                f"got head_dim={self.score.head_dim}, n_heads={self.score.n_heads}"
            )
        resolved = resolve_scale(self.score, c.scale)
        if resolved == "learned":
            init = self.score.learned_scale_init() if c.scale is None else 1.0 / math.sqrt(d)
            self.learned_scale = nn.Parameter(torch.tensor(float(init)))
            self.fixed_scale = None
        else:
            self.learned_scale = None
            self.fixed_scale = float(resolved)
        self.sink_logits = nn.Parameter(torch.zeros(h)) if c.sink == "learned" else None
        self.gate_proj = nn.Linear(c.d_model, h, bias=c.bias) if c.gate == "sigmoid" else None
        self.position_bias: nn.Module | None = position_bias_module(c)
        # original indices of the heads still here (prune_heads removes entries)
        self.head_ids: list[int] = list(range(h))

    @classmethod
    def from_config(cls, config: AttentionConfig | dict[str, Any]) -> MultiHeadAttention:
        """The module of ``config`` (an :class:`AttentionConfig` or a dict of its fields)."""
        return cls(config=config)

    @classmethod
    def from_torch(cls, m: nn.MultiheadAttention) -> MultiHeadAttention:
        """An equivalent module from ``torch.nn.MultiheadAttention`` (same weights, same outputs).

        The result is batch-first: if ``m.batch_first`` is False, transpose your inputs. Masks change
        convention: ``key_padding_mask`` becomes ``key_mask=~key_padding_mask`` and a boolean
        ``attn_mask`` (True = blocked in torch) becomes ``~attn_mask``; float masks carry over unchanged.

        Raises:
            ValueError: for ``add_bias_kv`` or ``add_zero_attn``, which have no equivalent here.
        """
        return from_torch_multihead(cls, m)

    @property
    def rotary_dim(self) -> int | None:
        """Features of each head that RoPE turns (``positions="rope"``), else None."""
        c = self.config
        return c.rotary_dim() if c.positions is not None and POSITION_SCHEMES[c.positions].rotary else None

    def extra_repr(self) -> str:
        c = self.config
        text = (
            f"d_model={c.d_model}, n_heads={c.n_heads}, n_kv_heads={c.n_kv_heads}, "
            f"head_dim={c.head_dim}, shared_qk={c.shared_qk}, "
            f"scale={'learned' if self.learned_scale is not None else self.fixed_scale}, impl={c.impl!r}"
        )
        switches = {"positions": c.positions, "window": c.window, "sink": c.sink, "softcap": c.softcap, "gate": c.gate}
        return text + "".join(f", {name}={value!r}" for name, value in switches.items() if value is not None)

    # ------------------------------------------------------------------------------------------------
    # forward
    # ------------------------------------------------------------------------------------------------

    def _project_self(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """q, k, v from one input in one matmul (the three weights concatenated). x (B, T, C)."""
        weights = [self.q_proj.weight, self.v_proj.weight] if self.shared_qk else [
            self.q_proj.weight, self.k_proj.weight, self.v_proj.weight
        ]
        biases = None
        if self.q_proj.bias is not None:
            biases = [self.q_proj.bias, self.v_proj.bias] if self.shared_qk else [
                self.q_proj.bias, self.k_proj.bias, self.v_proj.bias
            ]
            biases = torch.cat(biases)
        fused = F.linear(x, torch.cat(weights), biases)  # (B, T, Hq*D + [Hkv*D] + Hkv*D)
        dq, dkv = self.n_heads * self.head_dim, self.n_kv_heads * self.head_dim
        if self.shared_qk:
            q, v = fused.split([dq, dkv], dim=-1)
            return q, q, v
        q, k, v = fused.split([dq, dkv, dkv], dim=-1)
        return q, k, v

    def _project_self_heads(self, x: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """q, k, v (B, H, T, D), each contiguous, from one input: one matmul without bias, then one pass that
        adds the bias while it moves the heads in front of the tokens (what torch's native MHA does with
        ``_transform_bias_rescale_qkv``). The materialised kernel's batched matmuls need contiguous heads;
        the plain views would be copied one by one there, and the bias written once more by ``addmm``.
        Needs H = Hkv, separate W_Q and W_K, and no autograd (the pass writes into a buffer)."""
        b, t, _ = x.shape
        h, d = self.n_heads, self.head_dim
        w = torch.cat([self.q_proj.weight, self.k_proj.weight, self.v_proj.weight])  # (3·H·D, C)
        fused = (x.reshape(b * t, -1) @ w.t()).view(b, t, 3, h, d).permute(2, 0, 3, 1, 4)  # (3, B, H, T, D) view
        heads = torch.empty((3, b, h, t, d), dtype=fused.dtype, device=fused.device)
        if self.q_proj.bias is None:
            heads.copy_(fused)
        else:
            bias = torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]).view(3, 1, h, 1, d)
            torch.add(fused, bias, out=heads)
        return heads[0], heads[1], heads[2]

    def forward(
        self,
        query: Tensor,
        key: Tensor | None = None,
        value: Tensor | None = None,
        *,
        key_mask: Tensor | None = None,
        attn_mask: Tensor | None = None,
        is_causal: bool = False,
        head_mask: Tensor | None = None,
        need_weights: bool = False,
        cache: KVCache | None = None,
        key_padding_mask: Tensor | None = None,
    ) -> tuple[Tensor, Tensor | None]:
        """Attend from ``query`` to ``key``/``value`` (self-attention when ``key`` is None).

        Args:
            query: (B, Tq, C).
            key: (B, Tk, kdim); None for self-attention.
            value: (B, Tk, vdim); None means ``key``.
            key_mask: bool (B, Tk), True for real keys, False for padding. With a self-attention cache,
                Tk counts every cached position.
            attn_mask: bool (True = may attend) or float (added), (Tq, Tk), (B, Tq, Tk) or (B, H, Tq, Tk).
            is_causal: causal mask, aligned bottom-right (correct with a cache).
            head_mask: (H,) or (B, H) multiplier of each head's output, applied before ``out_proj``
                (0 removes the head's contribution, as in Michel et al. 2019).
            need_weights: also return the per-head weights (B, H, Tq, Tk); runs the reference kernel.
            cache: a :class:`KVCache`. Self-attention appends the new keys/values and attends over all
                stored ones; cross-attention projects ``key``/``value`` into an empty cache once and reuses
                them afterwards.
            key_padding_mask: not supported; raises with the conversion to ``key_mask``.

        Returns:
            (out (B, Tq, C), weights (B, H, Tq, Tk) or None).
        """
        if key_padding_mask is not None:
            raise TypeError(
                "key_padding_mask is not accepted: attnlab masks use True = may attend, the opposite of "
                "torch.nn.MultiheadAttention's key_padding_mask. Pass key_mask=~key_padding_mask."
            )
        if cache is not None and not isinstance(cache, KVCache):
            raise TypeError(f"cache: expected an attnlab KVCache, got {type(cache).__name__}")
        check_inputs(self, query, key, value)
        c = self.config
        batch, tq, _ = query.shape
        d = c.head_dim
        self_attention = key is None
        if c.positions is not None and not self_attention:
            raise ValueError(
                f"key: positions={c.positions!r} acts in self-attention, so expected key=None (keys from the "
                "query input), got a key tensor; build cross-attention with positions=None"
            )
        if value is None:
            value = query if self_attention else key
        cached_cross = cache is not None and not self_attention and cache.length > 0

        heads_first = (need_weights and self_attention and c.kdim == c.vdim == c.d_model and not c.shared_qk
                       and c.n_kv_heads == c.n_heads and not torch.is_grad_enabled())
        if heads_first:
            q, k, v = self._project_self_heads(query)  # (B, H, T, D) each
        elif self_attention and c.kdim == c.vdim == c.d_model:
            q, k, v = self._project_self(query)
        else:
            q = self.q_proj(query)
            if cached_cross:
                k = v = None
            else:
                src = query if self_attention else key
                k = (self.q_proj if c.shared_qk else self.k_proj)(src)
                v = self.v_proj(value)
        if not heads_first:
            q = rearrange(q, "b t (h d) -> b h t d", d=d)  # (B, H, Tq, D)
        if k is not None and not heads_first:
            k = rearrange(k, "b t (h d) -> b h t d", d=d)  # (B, Hkv, Tk, D)
            v = rearrange(v, "b t (h d) -> b h t d", d=d)  # (B, Hkv, Tk, D)
        rotary_dim = self.rotary_dim
        if rotary_dim is not None:
            # the new tokens sit after the cached ones; keys are cached already turned
            start = cache.length if cache is not None else 0
            positions = torch.arange(start, start + tq, device=q.device)
            cos, sin = rotary_cos_sin(positions, rotary_dim, c.rotary_base, c.rope_scaling())  # (Tq, r) each
            q, k = rotate(q, cos, sin), rotate(k, cos, sin)
        hooked = self._hook_fns is not None  # no hook set: the code below is exactly the unhooked forward
        if hooked:
            q = self.run_hook("q", q)
            if k is not None:  # before the cache: a replaced key is what later tokens see
                k, v = self.run_hook("k", k), self.run_hook("v", v)
        if cache is not None:
            if self_attention:
                k, v = cache.append(k, v)
            elif cached_cross:
                k, v = cache.get()
            else:
                k, v = cache.set_static(k, v)

        tk = k.shape[2]
        attn_mask = streaming_mask(cache, attn_mask, key_mask, tq, c.window)
        mask = build_mask_spec(
            attn_mask=attn_mask, key_mask=key_mask, is_causal=is_causal,
            batch=batch, heads=c.n_heads, tq=tq, tk=tk, dtype=q.dtype, window=c.window,
        )
        head_scale = head_multiplier(self, head_mask, batch) if head_mask is not None else None
        scale = self.learned_scale if self.learned_scale is not None else self.fixed_scale
        sink = self.sink_logits  # (H,) when learned, else None
        if c.sink == "zero":
            sink = q.new_zeros(c.n_heads)  # softmax off-by-one: logit 0 for every head
        out, weights = attend(
            q, k, v,
            score=self.score,
            scale=scale,
            mask=mask,
            dropout_p=c.dropout if self.training else 0.0,
            need_weights=need_weights,
            impl=c.impl,
            bias=self.position_bias,
            softcap=c.softcap,
            sink=sink,
            edit=self.run_hook if hooked and self.hooks_on("scores", "pattern") else None,
        )  # out (B, H, Tq, D)
        if self.gate_proj is not None:
            gate = torch.sigmoid(self.gate_proj(query))  # (B, Tq, H): one scalar per head and query token
            out = out * rearrange(gate, "b t h -> b h t 1")
        if head_scale is not None:
            out = out * head_scale.to(out.dtype)
        if hooked:
            out = self.run_hook("z", out)
        out = self.out_proj(rearrange(out, "b h t d -> b t (h d)"))  # (B, Tq, C)
        return (self.run_hook("out", out) if hooked else out), weights

    def _hook_modules(self) -> dict[str, HookPoints]:
        return {"": self}  # a lone attention's points: "q", "k", ..., "out"


# help(MultiHeadAttention) and IDEs show the switches, read from AttentionConfig's fields
MultiHeadAttention.__init__.__signature__ = AttentionConfig.keyword_signature("self", "config")
