"""Hook points of MultiHeadAttention: cached values equal the math done by hand, hooks replace, names are
checked, and a module with no hook set runs the same kernels with bitwise equal outputs."""

from __future__ import annotations

import math

import pytest
import torch
from einops import rearrange

from attnlab.attention import KVCache, MultiHeadAttention
from attnlab.attention.hooks import ATTENTION_POINTS
from attnlab.attention.kernels import dispatch


def _mha(**switches) -> MultiHeadAttention:
    torch.manual_seed(0)
    return MultiHeadAttention(16, 4, **switches).eval()


def _heads(x: torch.Tensor, d: int) -> torch.Tensor:
    return rearrange(x, "b t (h d) -> b h t d", d=d)


def test_cache_equals_a_manual_forward():
    m = _mha()
    x = torch.randn(2, 5, 16)
    (out, _), cache = m.run_with_cache(x, is_causal=True)
    assert list(cache) == list(ATTENTION_POINTS)
    q, k, v = (_heads(lin(x), 4) for lin in (m.q_proj, m.k_proj, m.v_proj))  # (B, H, T, D)
    scores = (q @ k.transpose(-1, -2)) / math.sqrt(4)
    scores = scores.masked_fill(~torch.ones(5, 5, dtype=torch.bool).tril(), float("-inf"))
    pattern = scores.softmax(-1)
    z = pattern @ v
    attn_out = m.out_proj(rearrange(z, "b h t d -> b t (h d)"))
    for name, want in dict(q=q, k=k, v=v, scores=scores, pattern=pattern, z=z, out=attn_out).items():
        torch.testing.assert_close(cache[name], want, msg=name)
    torch.testing.assert_close(out, attn_out)


def test_only_the_names_asked_for_are_kept_and_a_predicate_selects():
    m = _mha()
    x = torch.randn(1, 4, 16)
    assert list(m.run_with_cache(x, names=["z", "q"])[1]) == ["q", "z"]
    assert list(m.run_with_cache(x, names="out")[1]) == ["out"]
    assert list(m.run_with_cache(x, names=lambda n: n in ("k", "v"))[1]) == ["k", "v"]
    assert m._hook_fns is None  # nothing left behind


def test_an_empty_hooks_context_and_identity_hooks_leave_outputs_bitwise_equal():
    m = _mha()
    x = torch.randn(2, 6, 16)
    base = m(x, is_causal=True)[0]
    with m.hooks({}):
        assert torch.equal(m(x, is_causal=True)[0], base)
    cheap = {p: (lambda t, name: t) for p in ("q", "k", "v", "z", "out")}
    with m.hooks(cheap):
        assert torch.equal(m(x, is_causal=True)[0], base)
    # scores/pattern hooks run the materialised kernel: bitwise equal to need_weights=True, close to fast
    with m.hooks({"scores": lambda t, n: t, "pattern": lambda t, n: t}):
        got = m(x, is_causal=True)[0]
    assert torch.equal(got, m(x, is_causal=True, need_weights=True)[0])
    torch.testing.assert_close(got, base)


def test_the_fast_kernel_runs_unless_scores_or_pattern_are_hooked(monkeypatch):
    calls = []
    real = dispatch.reference_attention

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(dispatch, "reference_attention", counting)
    m = _mha()
    x = torch.randn(1, 5, 16)
    m.run_with_cache(x, names=["q", "k", "v", "z", "out"])
    assert calls == []
    m.run_with_cache(x, names=["pattern"])
    assert calls == [1]


def test_a_replacement_changes_the_output_and_is_used_downstream():
    m = _mha()
    x = torch.randn(1, 5, 16)
    uniform = torch.full((1, 4, 5, 5), 0.2)
    with m.hooks({"pattern": lambda t, n: uniform}):
        (out, _), cache = m.run_with_cache(x, names=["pattern", "z"])
    assert torch.equal(cache["pattern"], uniform)
    v = _heads(m.v_proj(x), 4)
    torch.testing.assert_close(cache["z"], v.mean(2, keepdim=True).expand_as(v))
    assert not torch.allclose(out, m(x)[0])


def test_hooks_get_their_full_name_and_nested_contexts_run_in_order():
    m = _mha()
    seen = []
    with m.hooks({"z": lambda t, n: seen.append(("outer", n)) or t * 2}), \
            m.hooks({"z": lambda t, n: seen.append(("inner", n)) or t + 1}):
        m(torch.randn(1, 3, 16))
    assert seen == [("outer", "z"), ("inner", "z")]
    assert m._hook_fns is None


def test_hooks_are_removed_when_the_forward_raises():
    m = _mha()
    def boom(t, name):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"), m.hooks({"q": boom}):
        m(torch.randn(1, 3, 16))
    assert m._hook_fns is None


def test_names_and_hooks_are_validated():
    m = _mha()
    x = torch.randn(1, 3, 16)
    unknown = r"unknown hook point 'patern' \(did you mean 'pattern'\?\); valid names: q\|k\|v"
    with pytest.raises(ValueError, match=unknown):
        m.run_with_cache(x, names=["patern"])
    with pytest.raises(TypeError, match="names: expected hook point names"):
        m.run_with_cache(x, names=[3])
    with pytest.raises(TypeError, match="names: expected None, a list"):
        m.run_with_cache(x, names=3)
    with pytest.raises(TypeError, match=r"fns\['q'\]: expected a callable"), m.hooks({"q": 1}):
        pass
    with pytest.raises(TypeError, match="fns: expected a dict"), m.hooks([("q", print)]):
        pass
    shape = r"hook 'z': expected a replacement of shape \(1, 4, 3, 4\)"
    with pytest.raises(ValueError, match=shape), m.hooks({"z": lambda t, n: t[:, :1]}):
        m(x)
    with pytest.raises(TypeError, match="hook 'out': expected None or a tensor, got float"), \
            m.hooks({"out": lambda t, n: 1.0}):
        m(x)


def test_kv_cache_hooks_see_the_new_tokens_and_a_replaced_key_is_cached():
    m = _mha()
    x = torch.randn(1, 4, 16)
    cache = KVCache(8)
    m(x[:, :3], is_causal=True, cache=cache)
    _, got = m.run_with_cache(x[:, 3:], cache=cache, names=["k", "scores"])
    assert got["k"].shape == (1, 4, 1, 4) and got["scores"].shape == (1, 4, 1, 4)
    torch.testing.assert_close(got["k"], _heads(m.k_proj(x[:, 3:]), 4))
    zeroed = KVCache(8)
    with m.hooks({"k": lambda t, n: torch.zeros_like(t)}):
        m(x[:, :3], is_causal=True, cache=zeroed)
    assert torch.equal(zeroed.get()[0], torch.zeros(1, 4, 3, 4))


def test_hooks_on_grouped_query_rope_and_gated_attention():
    m = _mha(n_kv_heads=2, positions="rope", gate="sigmoid")
    x = torch.randn(2, 5, 16)
    (out, _), cache = m.run_with_cache(x, is_causal=True)
    assert cache["k"].shape == (2, 2, 5, 4) and cache["q"].shape == (2, 4, 5, 4)
    torch.testing.assert_close(out, m(x, is_causal=True)[0])
    torch.testing.assert_close(m.out_proj(rearrange(cache["z"], "b h t d -> b t (h d)")), out)


def test_gradients_flow_through_an_undetached_cache():
    m = _mha()
    x = torch.randn(1, 4, 16)
    (out, _), cache = m.run_with_cache(x, names=["pattern"], detach=False)
    (grad,) = torch.autograd.grad(out.sum(), cache["pattern"])
    assert grad.shape == (1, 4, 4, 4) and grad.abs().sum() > 0
    _, detached = m.run_with_cache(x, names=["pattern"])
    assert not detached["pattern"].requires_grad
