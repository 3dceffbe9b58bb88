"""MultiHeadAttention: equivalence with torch, every switch, the cache, pruning and bad input."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from attnlab import MultiHeadAttention
from attnlab.attention import KVCache

C, H, B = 16, 4, 3


def _x(b=B, t=5, c=C, seed=0):
    return torch.randn(b, t, c, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kv_dims", [(None, None), (12, 10)])
@pytest.mark.parametrize("mask", ["none", "padding", "bool", "float", "causal", "padding+bool"])
def test_from_torch_matches_outputs_and_per_head_weights(bias, kv_dims, mask):
    torch.manual_seed(0)
    kdim, vdim = kv_dims
    ref = nn.MultiheadAttention(C, H, bias=bias, batch_first=True, kdim=kdim, vdim=vdim).eval()
    ours = MultiHeadAttention.from_torch(ref).eval()
    tq, tk = 5, 6
    query = _x(t=tq)
    key = _x(t=tk, c=kdim or C, seed=1)
    value = _x(t=tk, c=vdim or C, seed=2)
    pad = torch.zeros(B, tk, dtype=torch.bool)  # torch polarity: True = ignore
    pad[1, 4:] = True
    blocked = torch.rand(tq, tk, generator=torch.Generator().manual_seed(5)) > 0.7  # torch: True = blocked
    blocked[:, 0] = False
    float_mask = torch.randn(tq, tk, generator=torch.Generator().manual_seed(6))
    torch_kw, our_kw = {}, {}
    if "padding" in mask:
        torch_kw["key_padding_mask"], our_kw["key_mask"] = pad, ~pad
    if "bool" in mask:
        torch_kw["attn_mask"], our_kw["attn_mask"] = blocked, ~blocked
    if mask == "float":
        torch_kw["attn_mask"] = our_kw["attn_mask"] = float_mask
    if mask == "causal":
        if (kdim, vdim) != (None, None):
            pytest.skip("causal needs Tq == Tk in torch")
        key = value = query
        tk = tq
        torch_kw["attn_mask"] = nn.Transformer.generate_square_subsequent_mask(tq)
        torch_kw["is_causal"] = True
        our_kw["is_causal"] = True
    expected, expected_w = ref(query, key, value, need_weights=True, average_attn_weights=False, **torch_kw)
    out, w = ours(query, key, value, need_weights=True, **our_kw)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=0)
    torch.testing.assert_close(w, expected_w, atol=1e-5, rtol=0)
    fast, none = ours(query, key, value, **our_kw)  # the fused path gives the same output
    assert none is None
    torch.testing.assert_close(fast, expected, atol=1e-5, rtol=0)


def test_from_torch_matches_in_training_mode_gradients():
    torch.manual_seed(0)
    ref = nn.MultiheadAttention(C, H, batch_first=True)
    ours = MultiHeadAttention.from_torch(ref)
    x = _x().requires_grad_(True)
    ref(x, x, x)[0].square().sum().backward()
    g_ref = x.grad.clone()
    x.grad = None
    ours(x)[0].square().sum().backward()
    torch.testing.assert_close(x.grad, g_ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ours.q_proj.weight.grad, ref.in_proj_weight.grad[:C], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("score", ["dot", "scaled_dot", "general", "additive", "cosine"])
@pytest.mark.parametrize("impl", ["sdpa", "chunked"])
def test_every_score_fast_path_matches_reference(score, impl):
    if impl == "sdpa" and score == "additive":
        pytest.skip("additive is not bilinear")
    torch.manual_seed(0)
    fast = MultiHeadAttention(C, H, score=score, impl=impl)
    ref = MultiHeadAttention(C, H, score=score, impl="reference")
    ref.load_state_dict(fast.state_dict())
    x = _x()
    key_mask = torch.ones(B, 5, dtype=torch.bool)
    key_mask[0, 3:] = False
    out = fast(x, key_mask=key_mask, is_causal=True)[0]
    expected = ref(x, key_mask=key_mask, is_causal=True)[0]
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    out.sum().backward()
    expected.sum().backward()
    for (name, p), p_ref in zip(fast.named_parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(p.grad, p_ref.grad, atol=1e-5, rtol=1e-4, msg=name)


def test_learned_scale_gets_a_gradient_and_cosine_defaults_to_learned():
    m = MultiHeadAttention(C, H, scale="learned")
    assert m.learned_scale is not None and abs(m.learned_scale.item() - 4**-0.5 * 1.0) < 1e-6
    m(_x())[0].sum().backward()
    assert m.learned_scale.grad is not None and m.learned_scale.grad.abs() > 0
    c = MultiHeadAttention(C, H, score="cosine")
    assert c.learned_scale is not None and abs(c.learned_scale.item() - 2.0) < 1e-6  # sqrt(head_dim=4)


def test_shared_qk_makes_scores_symmetric():
    torch.manual_seed(0)
    m = MultiHeadAttention(C, H, shared_qk=True, bias=False)
    assert m.k_proj is None
    x = _x()
    q = m.q_proj(x).view(B, 5, H, 4).transpose(1, 2)
    logits = q @ q.transpose(-2, -1)
    torch.testing.assert_close(logits, logits.transpose(-2, -1))
    _, w = m(x, need_weights=True)
    torch.testing.assert_close(w, torch.softmax(logits / 2.0, -1), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("n_kv_heads", [1, 2])
def test_grouped_and_multi_query_attention(n_kv_heads):
    m = MultiHeadAttention(C, H, n_kv_heads=n_kv_heads)
    assert m.k_proj.out_features == n_kv_heads * 4
    out, w = m(_x(), need_weights=True)
    fast, _ = m(_x())
    torch.testing.assert_close(out, fast, atol=1e-5, rtol=1e-5)
    assert w.shape == (B, H, 5, 5)


def test_head_mask_applies_before_output_projection():
    torch.manual_seed(0)
    m = MultiHeadAttention(C, H)
    x = _x()
    head_mask = torch.tensor([1.0, 0.0, 0.5, 1.0])
    out, w = m(x, head_mask=head_mask, need_weights=True)
    v = m.v_proj(x).view(B, 5, H, 4).transpose(1, 2)
    heads = (w @ v) * head_mask[None, :, None, None]  # (B, H, T, D)
    expected = m.out_proj(heads.transpose(1, 2).reshape(B, 5, C))
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=1e-5)
    # per-sample masks (B, H)
    out_b, _ = m(x, head_mask=head_mask.expand(B, H))
    torch.testing.assert_close(out_b, out, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("score", ["scaled_dot", "general", "additive"])
@pytest.mark.parametrize("n_kv_heads", [None, 2])
def test_prune_heads_equals_zero_head_mask(score, n_kv_heads):
    torch.manual_seed(0)
    m = MultiHeadAttention(C, H, score=score, n_kv_heads=n_kv_heads).eval()
    x = _x()
    prune = [2, 3]
    head_mask = torch.ones(H)
    head_mask[prune] = 0
    expected, _ = m(x, head_mask=head_mask)
    n_params = sum(p.numel() for p in m.parameters())
    m.prune_heads(prune)
    assert m.n_heads == 2 and m.head_ids == [0, 1]
    assert sum(p.numel() for p in m.parameters()) < n_params
    assert m.q_proj.out_features == 8 and m.out_proj.in_features == 8
    out, w = m(x, need_weights=True)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    assert w.shape == (B, 2, 5, 5)


def test_prune_heads_rejects_bad_sets():
    m = MultiHeadAttention(C, H, n_kv_heads=2)
    with pytest.raises(ValueError, match="whole groups"):
        m.prune_heads([1])
    with pytest.raises(ValueError, match="all 4 heads"):
        m.prune_heads([0, 1, 2, 3])
    with pytest.raises(ValueError, match=r"\[0, 4\)"):
        m.prune_heads([7])


def test_head_weights_reproduce_the_per_head_computation():
    torch.manual_seed(0)
    m = MultiHeadAttention(C, H)
    x = _x()
    _, w = m(x, need_weights=True)
    for h in range(H):
        hw = m.head_weights(h)
        q = x @ hw["W_Q"] + hw["b_Q"]
        k = x @ hw["W_K"] + hw["b_K"]
        torch.testing.assert_close(w[:, h], torch.softmax(q @ k.transpose(-2, -1) / 2.0, -1), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("score", ["scaled_dot", "additive"])
@pytest.mark.parametrize("n_kv_heads", [None, 1])
def test_self_attention_cache_matches_full_causal_pass(score, n_kv_heads):
    torch.manual_seed(0)
    m = MultiHeadAttention(C, H, score=score, n_kv_heads=n_kv_heads).eval()
    x = _x(t=7)
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


def test_cross_attention_cache_is_filled_once_and_reused():
    torch.manual_seed(0)
    m = MultiHeadAttention(C, H, kdim=12, vdim=12).eval()
    memory = _x(t=6, c=12, seed=4)
    x = _x(t=4)
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


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(d_model=10, n_heads=4), "d_model: expected a multiple of n_heads=4, got 10"),
        (dict(d_model=16, n_heads=4, n_kv_heads=3), "n_kv_heads: expected a divisor of n_heads=4, got 3"),
        (dict(d_model=16, n_heads=4, shared_qk=True, kdim=8), "kdim must equal d_model=16"),
        (dict(d_model=16, n_heads=4, shared_qk=True, n_kv_heads=2), "n_kv_heads must be None or 4"),
        (dict(d_model=16, n_heads=4, score="bogus"), "unknown score 'bogus'"),
        (dict(d_model=16, n_heads=4, score="dot", scale=True), "conflicts with score='dot'"),
        (dict(d_model=16, n_heads=4, score="additive", impl="sdpa"), "needs a bilinear score"),
        (dict(d_model=16, n_heads=4, dropout=1.0), "dropout"),
        (dict(d_model=16, n_heads=0), "n_heads: expected a positive int"),
        (dict(d_model=16, n_heads=4, scale="sometimes"), "scale"),
    ],
)
def test_bad_configs_fail_at_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MultiHeadAttention(**kwargs)


def test_bad_forward_inputs_fail_before_computation():
    m = MultiHeadAttention(C, H)
    x = _x()
    with pytest.raises(ValueError, match=r"query: expected shape \(B, Tq, 16\), got \(3, 5, 8\)"):
        m(x[..., :8])
    with pytest.raises(ValueError, match="key: expected shape"):
        m(x, _x(b=2))
    with pytest.raises(TypeError, match="key_mask: expected dtype torch.bool"):
        m(x, key_mask=torch.ones(B, 5))
    with pytest.raises(ValueError, match=r"key_mask: expected shape \(B, Tk\) = \(3, 5\)"):
        m(x, key_mask=torch.ones(B, 4, dtype=torch.bool))
    with pytest.raises(TypeError, match="key_padding_mask is not accepted"):
        m(x, key_padding_mask=torch.zeros(B, 5, dtype=torch.bool))
    with pytest.raises(ValueError, match="head_mask"):
        m(x, head_mask=torch.ones(3))
    with pytest.raises(TypeError, match="cache"):
        m(x, cache={})
    with pytest.raises(TypeError, match="floating"):
        m(x.long())


def test_padding_only_rows_and_empty_memory_give_zeros():
    m = MultiHeadAttention(C, H, kdim=C)
    x = _x().requires_grad_(True)
    key_mask = torch.ones(B, 5, dtype=torch.bool)
    key_mask[2] = False  # sample 2 is all padding
    out, w = m(x, key_mask=key_mask, need_weights=True)
    head_out = out - m.out_proj.bias
    assert torch.isfinite(out).all() and head_out[2].abs().max() == 0 and w[2].abs().max() == 0
    out.sum().backward()
    assert torch.isfinite(x.grad).all()
    empty = torch.zeros(B, 0, C)
    out, _ = m(x, empty)
    torch.testing.assert_close(out, m.out_proj.bias.expand(B, 5, C))


def test_dropout_only_in_training_and_deterministic_with_seed():
    m = MultiHeadAttention(C, H, dropout=0.5)
    x = _x()
    torch.manual_seed(0)
    a = m(x)[0]
    torch.manual_seed(0)
    b = m(x)[0]
    torch.testing.assert_close(a, b)
    m.eval()
    torch.testing.assert_close(m(x)[0], m(x)[0])


def test_cache_with_multi_token_steps_matches_full_causal_pass():
    """Steps of 2 queries over a longer cache exercise the bottom-right causal mask with Tq < Tk."""
    torch.manual_seed(0)
    m = MultiHeadAttention(C, H).eval()
    x = _x(t=7)
    with torch.no_grad():
        full, _ = m(x, is_causal=True)
        cache = KVCache(max_len=7)
        steps = [m(x[:, t : t + 2], is_causal=True, cache=cache)[0] for t in range(0, 6, 2)]
        steps.append(m(x[:, 6:], is_causal=True, cache=cache)[0])
    torch.testing.assert_close(torch.cat(steps, 1), full, atol=1e-5, rtol=1e-5)
