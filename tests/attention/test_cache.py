"""The KV cache: cached self-attention equals the full causal pass (one token or several a step, every
switch), cross-attention keys are computed once, beams reorder."""

from __future__ import annotations

import pytest
import torch
from attention_cases import (  # noqa: F401 (one_thread: autouse)
    VARIANTS,
    C,
    H,
    gen,
    module_input,
    one_thread,
    variant_module,
)

from attnlab import MultiHeadAttention
from attnlab.attention import KVCache


@pytest.mark.parametrize("score", ["scaled_dot", "additive"])
@pytest.mark.parametrize("n_kv_heads", [None, 1])
def test_self_attention_cache_matches_full_causal_pass(score, n_kv_heads):
    torch.manual_seed(0)
    m = MultiHeadAttention(C, H, score=score, n_kv_heads=n_kv_heads).eval()
    x = module_input(t=7)
    with torch.no_grad():
        full, _ = m(x, is_causal=True)
        cache = KVCache(max_len=7)
        steps = [m(x[:, :3], is_causal=True, cache=cache)[0]]  # a prompt of 3, then one token at a time
        for t in range(3, 7):
            steps.append(m(x[:, t : t + 1], is_causal=True, cache=cache)[0])
    torch.testing.assert_close(torch.cat(steps, 1), full, atol=1e-5, rtol=1e-5)
    assert cache.length == 7
    with pytest.raises(ValueError, match="max_len"), torch.no_grad():
        m(x[:, :1], cache=cache)


def test_cache_with_multi_token_steps_matches_full_causal_pass():
    """Steps of 2 queries over a longer cache exercise the bottom-right causal mask with Tq < Tk."""
    torch.manual_seed(0)
    m = MultiHeadAttention(C, H).eval()
    x = module_input(t=7)
    with torch.no_grad():
        full, _ = m(x, is_causal=True)
        cache = KVCache(max_len=7)
        steps = [m(x[:, t : t + 2], is_causal=True, cache=cache)[0] for t in range(0, 6, 2)]
        steps.append(m(x[:, 6:], is_causal=True, cache=cache)[0])
    torch.testing.assert_close(torch.cat(steps, 1), full, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_mha_kv_cache_equals_the_full_pass_and_weights_match(variant):
    m = variant_module(variant, n_kv_heads=2).eval()
    x = torch.randn(2, 8, C, generator=gen(2))
    with torch.no_grad():
        full, weights = m(x, is_causal=True, need_weights=True)
        assert torch.allclose(m(x, is_causal=True)[0], full, atol=1e-5)
        cache = KVCache(8)
        steps = [m(x[:, :3], is_causal=True, cache=cache)[0], m(x[:, 3:5], is_causal=True, cache=cache)[0]]
        steps += [m(x[:, t : t + 1], cache=cache)[0] for t in range(5, 8)]  # one query: no causal mask needed
    torch.testing.assert_close(torch.cat(steps, 1), full, atol=1e-5, rtol=1e-5)
    assert weights.shape == (2, H, 8, 8) and torch.isfinite(weights).all()


def test_cross_attention_cache_is_filled_once_and_reused():
    torch.manual_seed(0)
    m = MultiHeadAttention(C, H, kdim=12, vdim=12).eval()
    memory = module_input(t=6, c=12, seed=4)
    x = module_input(t=4)
    with torch.no_grad():
        full, _ = m(x, memory)
        cache = KVCache(max_len=6)
        first, _ = m(x[:, :2], memory, cache=cache)
        second, _ = m(x[:, 2:], memory * 0, cache=cache)  # the cached keys are reused, not the new input
    assert cache.static
    torch.testing.assert_close(torch.cat([first, second], 1), full, atol=1e-6, rtol=1e-5)


def test_cache_reorder_selects_beams():
    cache = KVCache(max_len=4)
    k = torch.arange(3.0).view(3, 1, 1, 1).expand(3, 2, 1, 2).contiguous()
    with torch.no_grad():
        cache.append(k, k)
    cache.reorder(torch.tensor([2, 2, 0]))
    assert cache.get()[0][:, 0, 0, 0].tolist() == [2.0, 2.0, 0.0]
