"""Heads of MultiHeadAttention: each head's matrices, and pruning (equal to a zero head mask, slicing
every per-head parameter, updating the config)."""

from __future__ import annotations

import pytest
import torch
from attention_cases import B, C, H, gen, module_input, one_thread, variant_module  # noqa: F401 (one_thread: autouse)

from attnlab import MultiHeadAttention
from attnlab.attention import ALiBi, RelativePositionBias


@pytest.mark.parametrize("score", ["scaled_dot", "general", "additive"])
@pytest.mark.parametrize("n_kv_heads", [None, 2])
def test_prune_heads_equals_zero_head_mask(score, n_kv_heads):
    torch.manual_seed(0)
    m = MultiHeadAttention(C, H, score=score, n_kv_heads=n_kv_heads).eval()
    x = module_input()
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


@pytest.mark.parametrize("variant", ["sink-learned", "gate", "alibi", "t5", "all"])
def test_prune_heads_equals_head_mask_and_slices_per_head_parameters(variant):
    m = variant_module(variant).eval()
    x = torch.randn(2, 6, C, generator=gen(3))
    with torch.no_grad():
        masked, _ = m(x, is_causal=True, head_mask=torch.tensor([1.0, 0.0, 1.0, 0.0]))
        m.prune_heads([1, 3])
        pruned, w = m(x, is_causal=True, need_weights=True)
    torch.testing.assert_close(pruned, masked, atol=1e-6, rtol=1e-5)
    assert w.shape == (2, 2, 6, 6)
    if m.sink_logits is not None:
        assert m.sink_logits.shape == (2,)
    if m.gate_proj is not None:
        assert m.gate_proj.weight.shape == (2, C)
    if isinstance(m.position_bias, ALiBi):
        assert m.position_bias.slopes.shape == (2,)
    if isinstance(m.position_bias, RelativePositionBias):
        assert m.position_bias.weight.shape == (8, 2)


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
    x = module_input()
    _, w = m(x, need_weights=True)
    for h in range(H):
        hw = m.head_weights(h)
        q = x @ hw["W_Q"] + hw["b_Q"]
        k = x @ hw["W_K"] + hw["b_K"]
        torch.testing.assert_close(w[:, h], torch.softmax(q @ k.transpose(-2, -1) / 2.0, -1), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("n_kv_heads", [None, 2])
def test_prune_heads_updates_the_config_and_composes_with_head_mask(n_kv_heads):
    m = MultiHeadAttention(C, H, score="general", n_kv_heads=n_kv_heads, gate="sigmoid").eval()
    x = module_input()
    mask = torch.tensor([0.3, 1.0, 0.0, 0.0])  # heads 2 and 3 removed, the others weighted
    with torch.no_grad():
        expected = m(x, head_mask=mask)[0]
        m.prune_heads([2, 3])
        out = m(x, head_mask=mask[:2])[0]
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=1e-5)
    c = m.config
    assert (c.n_heads, c.n_kv_heads, c.head_dim, c.d_model) == (2, 2 if n_kv_heads is None else 1, 4, C)
    assert m.n_heads == 2 and m.head_dim == 4 and m.head_ids == [0, 1]
    with pytest.raises(ValueError, match=r"head_mask: expected shape \(2,\) or \(3, 2\)"):
        m(x, head_mask=mask)
    rebuilt = MultiHeadAttention.from_config(c).eval()  # the config holds the pruned sizes
    rebuilt.load_state_dict(m.state_dict())
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x, head_mask=mask[:2])[0], out)


def test_pruned_config_leaves_the_random_generator_alone():
    m = MultiHeadAttention(C, H, score="additive")
    before = torch.random.get_rng_state()
    config = m.config.pruned(2, 2)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert (config.n_heads, config.head_dim) == (2, 4)
