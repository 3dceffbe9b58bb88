"""MultiHeadAttention: every score and switch on every path against the reference, the switches read
from its config, the head mask, and bad input."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
import torch
from attention_cases import (  # noqa: F401 (one_thread: autouse)
    VARIANTS,
    B,
    C,
    H,
    gen,
    module_input,
    one_thread,
    variant_module,
)

from attnlab import MultiHeadAttention
from attnlab.attention import AttentionConfig


@pytest.mark.parametrize("score", ["dot", "scaled_dot", "general", "additive", "cosine"])
@pytest.mark.parametrize("impl", ["sdpa", "chunked"])
def test_every_score_fast_path_matches_reference(score, impl):
    if impl == "sdpa" and score == "additive":
        pytest.skip("additive is not bilinear")
    torch.manual_seed(0)
    fast = MultiHeadAttention(C, H, score=score, impl=impl)
    ref = MultiHeadAttention(C, H, score=score, impl="reference")
    ref.load_state_dict(fast.state_dict())
    x = module_input()
    key_mask = torch.ones(B, 5, dtype=torch.bool)
    key_mask[0, 3:] = False
    out = fast(x, key_mask=key_mask, is_causal=True)[0]
    expected = ref(x, key_mask=key_mask, is_causal=True)[0]
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    out.sum().backward()
    expected.sum().backward()
    for (name, p), p_ref in zip(fast.named_parameters(), ref.parameters(), strict=True):
        torch.testing.assert_close(p.grad, p_ref.grad, atol=1e-5, rtol=1e-4, msg=name)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_mha_paths_agree_with_reference_forward_and_gradients(variant):
    x = torch.randn(2, 7, C, generator=gen(1))
    key_mask = torch.ones(2, 7, dtype=torch.bool)
    key_mask[1, :2] = False
    for score, n_kv_heads in (("scaled_dot", None), ("cosine", 2), ("additive", None)):
        ref = variant_module(variant, score=score, n_kv_heads=n_kv_heads, impl="reference")
        expected = ref(x, key_mask=key_mask, is_causal=True)[0]
        expected.square().sum().backward()
        impls = ["chunked"] + (["sdpa"] if score != "additive" and "softcap" not in VARIANTS[variant] else [])
        for impl in impls + ["auto"]:
            fast = variant_module(variant, score=score, n_kv_heads=n_kv_heads, impl=impl)
            fast.load_state_dict(ref.state_dict())
            out = fast(x, key_mask=key_mask, is_causal=True)[0]
            torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5, msg=f"{score} {impl}")
            out.square().sum().backward()
            for (name, p), p_ref in zip(fast.named_parameters(), ref.parameters(), strict=True):
                torch.testing.assert_close(p.grad, p_ref.grad, atol=1e-4, rtol=1e-4, msg=f"{score} {impl} {name}")


@pytest.mark.parametrize("impl", ["reference", "sdpa", "chunked"])
def test_mha_gradcheck_float64_rope_gate_sink(impl):
    """Finite differences through the module's own switches: rotary positions, the gate and a learned sink."""
    torch.manual_seed(0)
    m = MultiHeadAttention(8, 2, positions="rope", rotary_fraction=0.5, gate="sigmoid", sink="learned", window=3,
                           impl=impl).double()
    x = torch.randn(1, 5, 8, dtype=torch.float64, requires_grad=True)
    inputs = [x, m.sink_logits, m.gate_proj.weight, m.q_proj.weight]
    assert torch.autograd.gradcheck(lambda *_: m(x, is_causal=True)[0], inputs, eps=1e-6, atol=1e-6, fast_mode=True)


def test_learned_scale_gets_a_gradient_and_cosine_defaults_to_learned():
    m = MultiHeadAttention(C, H, scale="learned")
    assert m.learned_scale is not None and abs(m.learned_scale.item() - 4**-0.5 * 1.0) < 1e-6
    m(module_input())[0].sum().backward()
    assert m.learned_scale.grad is not None and m.learned_scale.grad.abs() > 0
    c = MultiHeadAttention(C, H, score="cosine")
    assert c.learned_scale is not None and abs(c.learned_scale.item() - 2.0) < 1e-6  # sqrt(head_dim=4)


def test_shared_qk_makes_scores_symmetric():
    torch.manual_seed(0)
    m = MultiHeadAttention(C, H, shared_qk=True, bias=False)
    assert m.k_proj is None
    x = module_input()
    q = m.q_proj(x).view(B, 5, H, 4).transpose(1, 2)
    logits = q @ q.transpose(-2, -1)
    torch.testing.assert_close(logits, logits.transpose(-2, -1))
    _, w = m(x, need_weights=True)
    torch.testing.assert_close(w, torch.softmax(logits / 2.0, -1), atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("n_kv_heads", [1, 2])
def test_grouped_and_multi_query_attention(n_kv_heads):
    m = MultiHeadAttention(C, H, n_kv_heads=n_kv_heads)
    assert m.k_proj.out_features == n_kv_heads * 4
    out, w = m(module_input(), need_weights=True)
    fast, _ = m(module_input())
    torch.testing.assert_close(out, fast, atol=1e-5, rtol=1e-5)
    assert w.shape == (B, H, 5, 5)


def test_gate_is_a_headwise_sigmoid_of_the_query_input():
    m = variant_module("gate")
    plain = MultiHeadAttention(C, H)
    plain.load_state_dict({k: v for k, v in m.state_dict().items() if not k.startswith("gate_proj")})
    x = torch.randn(2, 5, C, generator=gen(4))
    gate = torch.sigmoid(m.gate_proj(x))  # (B, T, H)
    with torch.no_grad():
        out, _ = m(x)
        heads = []
        for h in range(H):
            head_mask = torch.zeros(H)
            head_mask[h] = 1.0
            head_out = plain(x, head_mask=head_mask)[0] - plain.out_proj.bias  # head h's share of out_proj
            heads.append(head_out * gate[..., h : h + 1])
    torch.testing.assert_close(out, sum(heads) + plain.out_proj.bias, atol=1e-6, rtol=1e-5)


def test_learned_sink_and_t5_table_get_gradients():
    m = MultiHeadAttention(C, H, sink="learned", positions="t5")
    m(torch.randn(2, 5, C), is_causal=True)[0].sum().backward()
    assert m.sink_logits.grad.abs().sum() > 0 and m.position_bias.weight.grad.abs().sum() > 0


def test_head_mask_applies_before_output_projection():
    torch.manual_seed(0)
    m = MultiHeadAttention(C, H)
    x = module_input()
    head_mask = torch.tensor([1.0, 0.0, 0.5, 1.0])
    out, w = m(x, head_mask=head_mask, need_weights=True)
    v = m.v_proj(x).view(B, 5, H, 4).transpose(1, 2)
    heads = (w @ v) * head_mask[None, :, None, None]  # (B, H, T, D)
    expected = m.out_proj(heads.transpose(1, 2).reshape(B, 5, C))
    torch.testing.assert_close(out, expected, atol=1e-6, rtol=1e-5)
    # per-sample masks (B, H)
    out_b, _ = m(x, head_mask=head_mask.expand(B, H))
    torch.testing.assert_close(out_b, out, atol=1e-6, rtol=1e-5)


def test_bad_forward_inputs_fail_before_computation():
    m = MultiHeadAttention(C, H)
    x = module_input()
    with pytest.raises(ValueError, match=r"query: expected shape \(B, Tq, 16\), got \(3, 5, 8\)"):
        m(x[..., :8])
    with pytest.raises(ValueError, match="key: expected shape"):
        m(x, module_input(b=2))
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
    x = module_input().requires_grad_(True)
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
    x = module_input()
    torch.manual_seed(0)
    a = m(x)[0]
    torch.manual_seed(0)
    b = m(x)[0]
    torch.testing.assert_close(a, b)
    m.eval()
    torch.testing.assert_close(m(x)[0], m(x)[0])


def test_positions_need_self_attention():
    x = torch.randn(1, 3, C)
    with pytest.raises(ValueError, match="key: positions='alibi' acts in self-attention, so expected key=None"):
        MultiHeadAttention(C, H, positions="alibi")(x, x, x)


@pytest.mark.parametrize("switches", [dict(score="general", positions="t5"), dict(score="additive", n_kv_heads=2),
                                      dict(shared_qk=True, gate="sigmoid", sink="learned")])
def test_a_config_builds_the_same_module_with_the_same_draws_as_the_keywords(switches):
    config = AttentionConfig(C, H, **switches)
    builds = {}
    for how, build in (("keywords", lambda: MultiHeadAttention(C, H, **switches)),
                       ("from_config", lambda: MultiHeadAttention.from_config(config)),
                       ("config=", lambda: MultiHeadAttention(config=config)),
                       ("dict", lambda: MultiHeadAttention.from_config(config.to_dict()))):
        torch.manual_seed(0)
        m = build()
        builds[how] = (m.state_dict(), torch.random.get_rng_state(), m.config)
    state, rng, cfg = builds["keywords"]
    for how, (other_state, other_rng, other_cfg) in builds.items():
        assert other_cfg == cfg == config, how
        assert torch.equal(other_rng, rng), how
        assert other_state.keys() == state.keys() and all(torch.equal(other_state[k], state[k]) for k in state), how


def test_switches_are_read_from_the_config():
    m = MultiHeadAttention(C, H, n_kv_heads=2, window=3, sink="zero", positions="rope", rotary_fraction=0.5)
    for name in ("d_model", "n_heads", "n_kv_heads", "head_dim", "kdim", "vdim", "window", "sink", "positions",
                 "shared_qk", "impl", "dropout", "softcap", "rotary_base"):
        assert getattr(m, name) == getattr(m.config, name), name
    assert (m.n_kv_heads, m.kdim, m.head_dim, m.rotary_dim) == (2, C, 4, 2)
    with pytest.raises(AttributeError):
        m.window = 5  # one source: change the config instead
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.config.window = 5


def test_the_keyword_signature_is_the_config_fields():
    params = inspect.signature(MultiHeadAttention).parameters
    fields = [f.name for f in dataclasses.fields(AttentionConfig)]
    assert list(params) == [*fields, "config"]
    assert params["d_model"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    assert params["score"].kind is inspect.Parameter.KEYWORD_ONLY and params["score"].default == "scaled_dot"


def test_config_and_keywords_together_or_unknown_keywords_fail():
    config = AttentionConfig(C, H)
    with pytest.raises(ValueError, match=r"config: expected a config or keyword switches, got both"):
        MultiHeadAttention(C, H, config=config)
    with pytest.raises(ValueError, match=r"unknown field\(s\) \['heads'\]"):
        MultiHeadAttention(C, heads=4)
    with pytest.raises(TypeError, match="config: expected an AttentionConfig or a dict"):
        MultiHeadAttention(config=[C, H])


def test_head_dim_other_than_c_over_h():
    m = MultiHeadAttention(C, 3, head_dim=4)
    assert (m.q_proj.out_features, m.out_proj.in_features, m.out_proj.out_features) == (12, 12, C)
    out, w = m(module_input(), need_weights=True)
    assert out.shape == (B, 5, C) and w.shape == (B, 3, 5, 5)
