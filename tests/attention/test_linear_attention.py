"""Linear attention (elu + 1): the parallel form against the formula and against the recurrent form."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from attnlab.attention.linear_attention import elu_feature_map, linear_attention, linear_attention_recurrent


def _qkv(seed=0, b=2, h=3, t=9, d=4, dv=5, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    return (torch.randn(b, h, t, d, generator=g, dtype=dtype), torch.randn(b, h, t, d, generator=g, dtype=dtype),
            torch.randn(b, h, t, dv, generator=g, dtype=dtype))


def test_feature_map_is_elu_plus_one_and_positive():
    x = torch.linspace(-20, 5, 101, dtype=torch.float64)
    torch.testing.assert_close(elu_feature_map(x), torch.where(x > 0, x + 1, torch.exp(x)))
    assert (elu_feature_map(x) > 0).all()


def test_parallel_equals_the_formula_causal_and_not():
    q, k, v = _qkv()
    fq, fk = F.elu(q) + 1, F.elu(k) + 1
    t = q.shape[2]
    for causal in (True, False):
        out, _, weights = linear_attention(q, k, v, causal=causal, need_weights=True)
        expected = torch.empty_like(v)
        for i in range(t):
            js = range(i + 1) if causal else range(t)
            num = sum(torch.einsum("bhd,bhd->bh", fq[:, :, i], fk[:, :, j])[..., None] * v[:, :, j] for j in js)
            den = sum(torch.einsum("bhd,bhd->bh", fq[:, :, i], fk[:, :, j]) for j in js)
            expected[:, :, i] = num / (den[..., None] + 1e-6)
        torch.testing.assert_close(out, expected)
        torch.testing.assert_close(weights @ v, out)


def test_recurrent_form_equals_parallel_form_with_a_state_and_padding():
    q, k, v = _qkv(1)
    key_mask = torch.ones(2, 9, dtype=torch.bool)
    key_mask[1, :3] = False  # left padding in row 1
    out_p, (s_p, z_p), _ = linear_attention(q, k, v, causal=True, key_mask=key_mask)
    out_r, (s_r, z_r) = linear_attention_recurrent(q, k, v, key_mask=key_mask)
    torch.testing.assert_close(out_p, out_r)
    torch.testing.assert_close((s_p, z_p), (s_r, z_r))
    # the same in two pieces, the second starting from the first's state
    first, state, _ = linear_attention(q[:, :, :4], k[:, :, :4], v[:, :, :4], key_mask=key_mask[:, :4])
    second, _ = linear_attention_recurrent(q[:, :, 4:], k[:, :, 4:], v[:, :, 4:], key_mask=key_mask[:, 4:],
                                           state=state)
    torch.testing.assert_close(torch.cat((first, second), dim=2), out_p)


def test_a_state_needs_the_causal_form():
    q, k, v = _qkv()
    _, state, _ = linear_attention(q, k, v)
    try:
        linear_attention(q, k, v, causal=False, state=state)
    except ValueError as e:
        assert str(e).startswith("state:")
    else:
        raise AssertionError("a non-causal call with a state was accepted")
