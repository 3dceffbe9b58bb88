"""Differential attention against the paper's equations written out, its λ, cache and refusals."""

from __future__ import annotations

import math

import pytest
import torch
from mixer_cases import causal_softmax, heads, merge, rms_norm, rope, small_lm

from attnlab.attention import AttentionConfig
from attnlab.models import DifferentialAttention, make_mixer


def diff_reference(m: DifferentialAttention, x: torch.Tensor, layer: int) -> torch.Tensor:
    """Ye et al. 2025, eq. 1-3, causal, from the module's weights; λ_init from the layer (l = layer + 1)."""
    c = m.config
    d, half = c.head_dim, c.head_dim // 2
    q = heads(x @ m.q_proj.weight.T + m.q_proj.bias, d)
    k = heads(x @ m.k_proj.weight.T + m.k_proj.bias, d).repeat_interleave(c.n_heads // c.n_kv_heads, dim=1)
    v = heads(x @ m.v_proj.weight.T + m.v_proj.bias, d).repeat_interleave(c.n_heads // c.n_kv_heads, dim=1)
    q1, q2, k1, k2 = rope(q[..., :half]), rope(q[..., half:]), rope(k[..., :half]), rope(k[..., half:])
    a1 = causal_softmax(q1 @ k1.transpose(-2, -1) / math.sqrt(half))
    a2 = causal_softmax(q2 @ k2.transpose(-2, -1) / math.sqrt(half))
    lam_init = 0.8 - 0.6 * math.exp(-0.3 * (layer + 1 - 1))
    lam = (torch.exp((m.lambda_q1 * m.lambda_k1).sum()) - torch.exp((m.lambda_q2 * m.lambda_k2).sum()) + lam_init)
    head = (a1 - lam * a2) @ v
    head = (1 - lam_init) * rms_norm(head, m.norm.weight, 1e-5)
    return merge(head) @ m.out_proj.weight.T + m.out_proj.bias


@pytest.mark.parametrize("layer, n_kv_heads", [(0, 4), (3, 2)])
def test_differential_attention_equals_the_papers_equations(layer, n_kv_heads):
    torch.manual_seed(layer)
    m = make_mixer(AttentionConfig(32, 4, n_kv_heads=n_kv_heads, mixer="differential", positions="rope"),
                   layer_index=layer)
    with torch.no_grad():  # away from the initial values, so that every term of λ and the norm matter
        for p in (m.lambda_q1, m.lambda_k1, m.lambda_q2, m.lambda_k2, m.norm.weight):
            p.add_(torch.randn(p.shape) * 0.3)
    x = torch.randn(2, 7, 32)
    out, weights = m(x, is_causal=True, need_weights=True)
    torch.testing.assert_close(out, diff_reference(m, x, layer), atol=1e-5, rtol=1e-5)
    lam = m.lambda_full()
    torch.testing.assert_close(weights.sum(-1), (1 - lam).expand(2, 4, 7), atol=1e-5, rtol=1e-5)


def test_lambda_init_follows_the_depth_and_the_lambdas_start_small():
    model = small_lm(n_layers=3, mixer="differential", positions="rope")
    inits = [layer.attn.lambda_init for layer in model.layers]
    assert inits == pytest.approx([0.8 - 0.6 * math.exp(-0.3 * (l - 1)) for l in (1, 2, 3)])
    assert inits[0] == pytest.approx(0.2)
    m = model.layers[0].attn
    assert m.lambda_q1.shape == (4,)  # D / 2
    # λ starts near λ_init: exp(λq1·λk1) - exp(λq2·λk2) is small for N(0, 0.1²) vectors
    assert abs(m.lambda_full().item() - 0.2) < 0.1


def test_differential_cache_is_exact():
    model = small_lm(mixer="differential", positions="rope", n_kv_heads=2)
    ids = torch.randint(0, 40, (2, 9))
    caches = model.make_caches(2)
    stepped = torch.cat([model(ids[:, :4], caches=caches).logits] +
                        [model(ids[:, i:i + 1], caches=caches).logits for i in range(4, 9)], dim=1)
    torch.testing.assert_close(stepped, model(ids).logits, atol=1e-5, rtol=1e-5)


def test_differential_has_the_parameters_of_softmax_attention_plus_lambda_and_norm():
    soft = sum(p.numel() for p in make_mixer(AttentionConfig(32, 4)).parameters())
    diff = sum(p.numel() for p in make_mixer(AttentionConfig(32, 4, mixer="differential")).parameters())
    assert diff == soft + 4 * 4 + 8  # four λ vectors of D/2 and the norm's D


@pytest.mark.parametrize("kw, field", [
    (dict(d_model=36, n_heads=4), "head_dim"),  # D = 9 cannot split in halves
    (dict(sink="learned"), "sink"),
    (dict(softcap=30.0), "softcap"),
    (dict(gate="sigmoid"), "gate"),
    (dict(score="dot"), "score"),
])
def test_bad_differential_combinations_are_refused(kw, field):
    fields = {**dict(d_model=32, n_heads=4, mixer="differential"), **kw}
    with pytest.raises(ValueError, match=f"^{field}:"):
        AttentionConfig(**fields)
