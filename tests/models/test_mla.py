"""Multi-head latent attention: the module against the paper's equations written out, the absorbed decode
against the naive one, the cache (the latent), its size, and the refused combinations."""

from __future__ import annotations

import math

import pytest
import torch
from mixer_cases import causal_softmax, heads, merge, rms_norm, rope, sharpen, small_lm

from attnlab.attention import AttentionConfig, MultiHeadAttention
from attnlab.models import MultiHeadLatentAttention, TransformerLM, kv_cache_bytes, make_mixer


def mla_reference(m: MultiHeadLatentAttention, x: torch.Tensor) -> torch.Tensor:
    """DeepSeek-V2 eq. 9-19 (query without compression), causal, from the module's weights."""
    c = m.config
    h, d, dc, dr = c.n_heads, c.head_dim, c.kv_latent_dim, c.rope_head_dim
    q = heads(x @ m.q_proj.weight.T + m.q_proj.bias, d + dr)  # (B, H, T, D + dR)
    down = x @ m.kv_down.weight.T + m.kv_down.bias
    latent = rms_norm(down[..., :dc], m.kv_norm.weight, m.kv_norm.eps)  # c^KV
    k_rot = rope(down[..., dc:])[:, None]  # k^R, shared by the heads
    k_c = heads(latent @ m.k_up.weight.T, d)
    v = heads(latent @ m.v_up.weight.T, d)
    q = torch.cat((q[..., :d], rope(q[..., d:])), dim=-1)
    k = torch.cat((k_c, k_rot.expand(-1, h, -1, -1)), dim=-1)
    p = causal_softmax(q @ k.transpose(-2, -1) / math.sqrt(d + dr))
    return merge(p @ v) @ m.out_proj.weight.T + m.out_proj.bias


def test_mla_equals_the_papers_equations():
    torch.manual_seed(0)
    m = make_mixer(AttentionConfig(32, 4, mixer="mla", positions="rope"))
    assert isinstance(m, MultiHeadLatentAttention)
    assert (m.config.kv_latent_dim, m.config.rope_head_dim) == (32, 4)  # 4 D and D / 2 (DeepSeek-V2)
    x = torch.randn(2, 9, 32)
    out, _ = m(x, is_causal=True)
    torch.testing.assert_close(out, mla_reference(m, x), atol=1e-5, rtol=1e-5)


def _twin(model: TransformerLM, **changes) -> TransformerLM:
    fields = model.config.to_dict()
    fields["attention"] = {**fields["attention"], **changes}
    twin = TransformerLM.from_config(fields)
    twin.load_state_dict(model.state_dict())
    return twin.eval()


def test_absorbed_decode_equals_naive_decode_and_gives_the_same_tokens():
    naive = small_lm(mixer="mla", positions="rope", kv_latent_dim=24)
    sharpen(naive)
    absorbed = _twin(naive, latent_absorb=True)
    ids = torch.randint(0, 40, (2, 5))
    a = naive.generate(ids, 12, output_scores=True)
    b = absorbed.generate(ids, 12, output_scores=True)
    assert torch.equal(a.sequences, b.sequences)
    torch.testing.assert_close(b.scores, a.scores, atol=1e-5, rtol=0)
    assert a.scores.std() > 0.5  # the logits are far from flat: the equal tokens mean something


def test_mla_cache_holds_the_latent_and_is_exact():
    model = small_lm(mixer="mla", positions="rope", latent_absorb=True)
    ids = torch.randint(0, 40, (1, 10))
    caches = model.make_caches(1)
    stepped = torch.cat([model(ids[:, i:i + 1], caches=caches).logits for i in range(10)], dim=1)
    torch.testing.assert_close(stepped, model(ids).logits, atol=1e-5, rtol=1e-5)
    latent, k_rot = caches[0].get()
    assert tuple(latent.shape) == (1, 1, 10, 32) and tuple(k_rot.shape) == (1, 1, 10, 4)
    assert torch.equal(model.generate(ids, 6), model.generate(ids, 6, use_cache=False))


def test_mla_without_rope_has_no_rotary_part_and_takes_alibi():
    model = small_lm(mixer="mla", positions="alibi")
    assert model.layers[0].attn.config.rope_head_dim == 0
    ids = torch.randint(0, 40, (1, 8))
    caches = model.make_caches(1)
    stepped = torch.cat([model(ids[:, :3], caches=caches).logits, model(ids[:, 3:], caches=caches).logits], dim=1)
    torch.testing.assert_close(stepped, model(ids).logits, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kw, per_layer", [
    (dict(), 2 * 4 * 8),  # MHA: 2 H D
    (dict(n_kv_heads=2), 2 * 2 * 8),  # GQA: 2 Hkv D
    (dict(n_kv_heads=1), 2 * 1 * 8),  # MQA: 2 D
    (dict(mixer="mla", positions="rope", kv_latent_dim=20, rope_head_dim=6), 20 + 6),  # MLA: d_c + d_R
    (dict(mixer="mla", kv_latent_dim=20), 20),  # MLA without RoPE: d_c
    (dict(mixer="differential"), 2 * 4 * 8),
    (dict(mixer="delta"), 0),
])
def test_kv_cache_bytes_equal_the_formula(kw, per_layer):
    model = small_lm(n_layers=3, **kw)
    assert kv_cache_bytes(model) == 3 * per_layer * 4
    assert kv_cache_bytes(model, torch.bfloat16) == 3 * per_layer * 2
    if per_layer:  # and the bytes really stored: one generated sequence's caches
        caches = model.make_caches(1)
        model(torch.randint(0, 40, (1, 5)), caches=caches)
        stored = sum(t.numel() * t.element_size() for c in caches for t in c.get())
        assert stored == 5 * kv_cache_bytes(model)


@pytest.mark.parametrize("kw, field", [
    (dict(mixer="mla", n_kv_heads=2), "n_kv_heads"),
    (dict(mixer="mla", rope_head_dim=4), "rope_head_dim"),
    (dict(mixer="mla", positions="rope", rope_head_dim=3), "rope_head_dim"),
    (dict(mixer="mla", score="additive"), "score"),
    (dict(mixer="mla", shared_qk=True), "shared_qk"),
    (dict(mixer="mla", scale=1.0), "scale"),
    (dict(kv_latent_dim=16), "kv_latent_dim"),
    (dict(latent_absorb=True), "latent_absorb"),
    (dict(mixer="attention"), "mixer"),
])
def test_bad_mla_combinations_are_refused_at_construction(kw, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        AttentionConfig(32, 4, **kw)
    with pytest.raises(ValueError, match=f"^{field}:"):
        small_lm(**kw)


def test_softmax_module_and_pruning_refuse_other_mixers():
    with pytest.raises(ValueError, match="^mixer:"):
        MultiHeadAttention(32, 4, mixer="mla")
    with pytest.raises(ValueError, match="^pruned_heads:"):
        small_lm(mixer="mla", pruned_heads=((0,), ()))
    with pytest.raises(ValueError, match="^heads:"):
        small_lm(mixer="mla").prune_heads({0: [1]})
    with pytest.raises(ValueError, match="^key:"):
        make_mixer(AttentionConfig(32, 4, mixer="mla"))(torch.randn(1, 3, 32), torch.randn(1, 3, 32))
