"""The kernel paths (reference, SDPA, chunked) for every score: each fast path against the materialised
reference, forward and backward, with masks, grouped-query heads, dropout and empty rows."""

from __future__ import annotations

import pytest
import torch
from attention_cases import BILINEAR, SCORES, one_thread, qkv, seeded_score  # noqa: F401 (one_thread: autouse)

import attnlab


def _masks(b, h, tq, tk):
    g = torch.Generator().manual_seed(3)
    bool_mask = torch.rand(b, 1, tq, tk, generator=g) > 0.3
    bool_mask[..., 0] = True  # keep rows non-empty here; empty rows are tested separately
    float_mask = torch.randn(tq, tk, generator=g)
    float_mask[0, 1:] = float("-inf")
    return {
        "none": dict(),
        "causal": dict(is_causal=True),
        "bool": dict(attn_mask=bool_mask),
        "float": dict(attn_mask=float_mask),
        "bool+causal": dict(attn_mask=bool_mask, is_causal=True),
    }


@pytest.mark.parametrize("impl", ["sdpa", "chunked"])
@pytest.mark.parametrize("name", SCORES)
@pytest.mark.parametrize("mask_name", ["none", "causal", "bool", "float", "bool+causal"])
def test_fast_paths_match_reference_forward_and_backward(impl, name, mask_name):
    if impl == "sdpa" and name not in BILINEAR:
        pytest.skip("sdpa runs bilinear scores only")
    score = seeded_score(name)
    masks = _masks(2, 4, 6, 7)[mask_name]
    outs, grads = [], []
    for path in ("reference", impl):
        q, k, v = qkv(requires_grad=True)
        score.zero_grad()
        out = attnlab.attention(q, k, v, score=score, impl=path, **masks)
        (out * torch.linspace(-1, 1, out.numel()).view_as(out)).sum().backward()
        outs.append(out.detach())
        param_grads = [p.grad.clone() for p in score.parameters()]
        grads.append([q.grad, k.grad, v.grad, *param_grads])
    torch.testing.assert_close(outs[1], outs[0], atol=1e-5, rtol=1e-5)
    for g_fast, g_ref in zip(grads[1], grads[0], strict=True):
        torch.testing.assert_close(g_fast, g_ref, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("impl", ["reference", "sdpa", "chunked"])
@pytest.mark.parametrize("name", SCORES)
def test_gradcheck_float64(impl, name):
    if impl == "sdpa" and name not in BILINEAR:
        pytest.skip("sdpa runs bilinear scores only")
    score = seeded_score(name, d=4, h=2, dtype=torch.float64)
    q, k, v = qkv(b=1, h=2, tq=3, tk=4, d=4, dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([[True, True, False, True]] * 3)
    params = list(score.parameters())

    def fn(q, k, v, *ps):
        return attnlab.attention(q, k, v, score=score, impl=impl, attn_mask=mask)

    assert torch.autograd.gradcheck(fn, (q, k, v, *params), eps=1e-6, atol=1e-5)


def test_chunked_blocks_many_chunks_match_reference(monkeypatch):
    """Force tiny blocks so that the online softmax crosses many query and key blocks."""
    from attnlab.attention.kernels import chunked

    monkeypatch.setattr(chunked, "_block_sizes", lambda *a: (3, 5))
    score = seeded_score("additive")
    q, k, v = qkv(tq=11, tk=13, requires_grad=True)
    key_mask = torch.ones(2, 13, dtype=torch.bool)
    key_mask[1, 9:] = False
    mask = key_mask[:, None, None, :].expand(2, 1, 11, 13)
    out = attnlab.attention(q, k, v, score=score, impl="chunked", attn_mask=mask, is_causal=True)
    out.square().sum().backward()
    g_fast = [q.grad.clone(), k.grad.clone(), v.grad.clone()]
    q.grad = k.grad = v.grad = None
    ref = attnlab.attention(q, k, v, score=score, impl="reference", attn_mask=mask, is_causal=True)
    ref.square().sum().backward()
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    for a, b in zip(g_fast, [q.grad, k.grad, v.grad], strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


def test_chunked_dropout_gradient_is_consistent():
    score = seeded_score("additive", d=4, h=2, dtype=torch.float64)
    q, k, v = qkv(b=1, h=2, tq=3, tk=4, d=4, dtype=torch.float64, requires_grad=True)

    def fn(q, k, v):
        torch.manual_seed(123)  # the dropout pattern is drawn from the global generator
        return attnlab.attention(q, k, v, score=score, impl="chunked", dropout_p=0.3)

    assert torch.autograd.gradcheck(fn, (q, k, v), eps=1e-6, atol=1e-5)
    out = fn(q, k, v)
    assert not torch.allclose(out, attnlab.attention(q, k, v, score=score, impl="reference"))


@pytest.mark.parametrize("impl", ["reference", "sdpa", "chunked"])
def test_grouped_query_attention_equals_repeated_heads(impl):
    q, k, v = qkv(h=4, hkv=2)
    out = attnlab.attention(q, k, v, impl=impl)
    full = attnlab.attention(q, k.repeat_interleave(2, 1), v.repeat_interleave(2, 1), impl="reference")
    torch.testing.assert_close(out, full, atol=1e-5, rtol=1e-5)


def test_scaled_dot_matches_torch_sdpa():
    q, k, v = qkv()
    mask = torch.rand(6, 7) > 0.2
    mask[:, 0] = True
    out, w = attnlab.attention(q, k, v, attn_mask=mask, return_weights=True)
    expected = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 4, 6))


def test_causal_is_bottom_right_aligned():
    q, k, v = qkv(tq=2, tk=5)
    _, w = attnlab.attention(q, k, v, is_causal=True, return_weights=True)
    # query 0 is position 3 of 5: it sees keys 0..3, not key 4
    assert (w[..., 0, 4] == 0).all() and (w[..., 0, 3] > 0).all() and (w[..., 1, :] > 0).all()


@pytest.mark.parametrize("impl", ["reference", "sdpa", "chunked"])
@pytest.mark.parametrize("kind", ["bool", "float"])
def test_fully_masked_rows_give_zeros_and_finite_grads(impl, kind):
    q, k, v = qkv(requires_grad=True)
    mask = torch.ones(2, 1, 6, 7, dtype=torch.bool)
    mask[0, :, 2] = False  # query 2 of batch 0 has nothing to attend to
    if kind == "float":
        mask = torch.zeros(mask.shape).masked_fill(~mask, float("-inf"))
    score = seeded_score("additive") if impl == "chunked" else "scaled_dot"
    out = attnlab.attention(q, k, v, score=score, attn_mask=mask, impl=impl)
    assert torch.isfinite(out).all()
    assert (out[0, :, 2] == 0).all() and (out[1, :, 2] != 0).any()
    out.sum().backward()
    for t in (q, k, v):
        assert torch.isfinite(t.grad).all()
    assert (q.grad[0, :, 2] == 0).all()


@pytest.mark.parametrize("impl", ["auto", "reference", "sdpa", "chunked"])
def test_empty_key_sequence_gives_zeros(impl):
    q, k, v = qkv(tk=0)
    score = seeded_score("additive") if impl == "chunked" else "scaled_dot"
    out = attnlab.attention(q, k, v, score=score, impl=impl)
    assert out.shape == (2, 4, 6, 8) and (out == 0).all()
