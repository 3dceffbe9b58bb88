"""Inputs shared by the attention tests: seeded q/k/v, score modules, module inputs, kernel cases, and a
fixture that runs a test module on one intra-op thread (tiny tensors: one thread beats two contending ones
and keeps a shared CPU steady)."""

from __future__ import annotations

import pytest
import torch

from attnlab.attention import ALiBi, RelativePositionBias, make_score
from attnlab.attention.masks import build_mask_spec

SCORES = ["dot", "scaled_dot", "general", "additive", "cosine"]
BILINEAR = ["dot", "scaled_dot", "general", "cosine"]
C, H, B = 16, 4, 3  # module width, heads and batch of the MultiHeadAttention tests


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def qkv(b=2, h=4, tq=6, tk=7, d=8, dtype=torch.float32, hkv=None, requires_grad=False, seed=0):
    """q (B, H, Tq, D), k and v (B, Hkv, Tk, D)."""
    g = gen(seed)
    hkv = hkv or h
    q = torch.randn(b, h, tq, d, generator=g, dtype=dtype)
    k = torch.randn(b, hkv, tk, d, generator=g, dtype=dtype)
    v = torch.randn(b, hkv, tk, d, generator=g, dtype=dtype)
    return [t.requires_grad_(requires_grad) for t in (q, k, v)]


def seeded_score(name, d=8, h=4, dtype=torch.float32):
    torch.manual_seed(1)
    return make_score(name, d, h).to(dtype)


def module_input(b=B, t=5, c=C, seed=0):
    """x (B, T, C)."""
    return torch.randn(b, t, c, generator=gen(seed))


def position_bias(kind, heads, causal):
    """ALiBi, a T5 bias with a non-zero table, or None; float64."""
    if kind == "alibi":
        return ALiBi(heads).double()
    if kind == "t5":
        return RelativePositionBias(heads, 8, 20, bidirectional=not causal, init_std=0.5).double()
    return None


def kernel_case(tq, tk, causal, window, key_mask, sink_kind, seed=0, heads=4, kv_heads=2, d=8):
    """float64 q, k, v (grouped-query), a mask spec and a sink for the kernels."""
    g = gen(seed)
    q = torch.randn(2, heads, tq, d, generator=g, dtype=torch.float64)
    k = torch.randn(2, kv_heads, tk, d, generator=g, dtype=torch.float64)
    v = torch.randn(2, kv_heads, tk, d, generator=g, dtype=torch.float64)
    km = None
    if key_mask:
        km = torch.ones(2, tk, dtype=torch.bool)
        km[0, : tk // 2 + 1] = False  # padding in front: some windows hold nothing but padding
    mask = build_mask_spec(attn_mask=None, key_mask=km, is_causal=causal, batch=2, heads=heads, tq=tq, tk=tk,
                           dtype=q.dtype, window=window)
    sink = None
    if sink_kind == "zero":
        sink = torch.zeros(heads, dtype=torch.float64)
    elif sink_kind == "learned":
        sink = torch.randn(heads, generator=g, dtype=torch.float64)
    return q, k, v, mask, sink


# switches of MultiHeadAttention, one variant each, and all at once
VARIANTS = {
    "rope": dict(positions="rope"),
    "rope-partial": dict(positions="rope", rotary_fraction=0.5, rotary_base=500.0),
    "alibi": dict(positions="alibi"),
    "t5": dict(positions="t5", relative_buckets=8, relative_max_distance=16, relative_bidirectional=False),
    "window": dict(window=3),
    "sink-zero": dict(sink="zero"),
    "sink-learned": dict(sink="learned"),
    "softcap": dict(softcap=1.0),
    "gate": dict(gate="sigmoid"),
    "all": dict(positions="alibi", window=3, sink="learned", softcap=2.0, gate="sigmoid"),
}


def variant_module(variant, *, score="scaled_dot", n_kv_heads=None, impl="auto", seed=0):
    """A seeded MultiHeadAttention(C, H) with ``VARIANTS[variant]``; learned sinks and T5 tables non-zero."""
    from attnlab import MultiHeadAttention

    torch.manual_seed(seed)
    m = MultiHeadAttention(C, H, score=score, n_kv_heads=n_kv_heads, impl=impl, **VARIANTS[variant])
    with torch.no_grad():
        if m.sink_logits is not None:
            m.sink_logits.normal_()
        if m.position_bias is not None and isinstance(m.position_bias, RelativePositionBias):
            m.position_bias.weight.normal_()
    return m
