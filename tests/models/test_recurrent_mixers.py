"""Linear attention and the (gated) delta rule as mixers of the LM and the encoder: the module against a
plain reference, the decoding state exact, padding, and the refused combinations."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from mixer_cases import heads, merge, rms_norm, small_lm

from attnlab.attention import AttentionConfig, KVCache
from attnlab.attention.delta_rule import delta_rule_recurrent
from attnlab.models import DeltaNet, GatedDeltaNet, LinearAttention, TransformerEncoder, make_mixer

RECURRENT = ["linear", "delta", "gated_delta"]


def _sizes(mixer: str) -> dict:
    """Chunks of 4 for the delta rule (so that the tests cross chunk borders)."""
    return {} if mixer == "linear" else {"delta_chunk": 4}


def test_linear_attention_module_equals_a_plain_reference():
    torch.manual_seed(0)
    m = make_mixer(AttentionConfig(16, 2, mixer="linear"))
    assert isinstance(m, LinearAttention)
    x = torch.randn(2, 6, 16)
    q, k, v = (heads(x @ p.weight.T + p.bias, 8) for p in (m.q_proj, m.k_proj, m.v_proj))
    a = ((F.elu(q) + 1) @ (F.elu(k) + 1).transpose(-2, -1)).tril()
    expected = merge(a @ v / (a.sum(-1, keepdim=True) + 1e-6)) @ m.out_proj.weight.T + m.out_proj.bias
    torch.testing.assert_close(m(x, is_causal=True)[0], expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("mixer", ["delta", "gated_delta"])
def test_deltanet_module_equals_a_plain_reference(mixer):
    torch.manual_seed(0)
    m = make_mixer(AttentionConfig(16, 2, mixer=mixer, delta_chunk=4))
    assert type(m) is (DeltaNet if mixer == "delta" else GatedDeltaNet)
    x = torch.randn(2, 7, 16)
    q = F.normalize(F.silu(heads(x @ m.q_proj.weight.T + m.q_proj.bias, 8)), dim=-1) / math.sqrt(8)
    k = F.normalize(F.silu(heads(x @ m.k_proj.weight.T + m.k_proj.bias, 8)), dim=-1)
    v = heads(x @ m.v_proj.weight.T + m.v_proj.bias, 8)
    beta = torch.sigmoid(x @ m.beta_proj.weight.T + m.beta_proj.bias).transpose(1, 2)
    log_decay = None
    if mixer == "gated_delta":
        log_decay = -F.softplus(x @ m.decay_proj.weight.T + m.decay_proj.bias).transpose(1, 2)
    o, _ = delta_rule_recurrent(q, k, v, beta, log_decay)
    expected = merge(rms_norm(o, m.norm.weight, 1e-5)) @ m.out_proj.weight.T + m.out_proj.bias
    torch.testing.assert_close(m(x, is_causal=True)[0], expected, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("mixer", RECURRENT)
def test_the_decoding_state_is_exact(mixer):
    model = small_lm(mixer=mixer, **_sizes(mixer))
    ids = torch.randint(0, 40, (2, 11))
    caches = model.make_caches(2)
    stepped = torch.cat([model(ids[:, :6], caches=caches).logits] +
                        [model(ids[:, i:i + 1], caches=caches).logits for i in range(6, 11)], dim=1)
    torch.testing.assert_close(stepped, model(ids).logits, atol=1e-5, rtol=1e-5)
    assert caches[0].length == 11


@pytest.mark.slow
@pytest.mark.parametrize("mixer", RECURRENT)
def test_generation_with_the_state_equals_generation_without(mixer):
    model = small_lm(mixer=mixer, **_sizes(mixer))
    ids = torch.randint(0, 40, (2, 4))
    assert torch.equal(model.generate(ids, 5), model.generate(ids, 5, use_cache=False))
    beams = model.generate(ids, 4, num_beams=2)  # the state is reordered with the beams
    assert torch.equal(beams, model.generate(ids, 4, num_beams=2, use_cache=False))


@pytest.mark.parametrize("mixer", RECURRENT)
def test_padding_is_left_out(mixer):
    torch.manual_seed(0)
    m = make_mixer(AttentionConfig(16, 2, mixer=mixer, **_sizes(mixer)))
    x = torch.randn(1, 5, 16)
    padded = torch.cat((torch.randn(1, 3, 16), x), dim=1)
    key_mask = torch.tensor([[False] * 3 + [True] * 5])
    out = m(padded, key_mask=key_mask, is_causal=True)[0][:, 3:]
    torch.testing.assert_close(out, m(x, is_causal=True)[0], atol=1e-5, rtol=1e-5)


def test_an_encoder_swaps_softmax_for_the_mixers():
    ids = torch.randint(0, 30, (2, 8))
    for mixer in RECURRENT:
        torch.manual_seed(0)
        enc = TransformerEncoder(vocab_size=30, d_model=16, n_heads=2, n_layers=2, mixer=mixer)
        assert all(l.attn.config.mixer == mixer for l in enc.layers)
        assert enc(ids, is_causal=True).hidden.shape == (2, 8, 16)
        if mixer == "linear":  # bidirectional: the first token reads the last
            h = enc(ids).hidden
            changed = ids.clone()
            changed[:, -1] = (changed[:, -1] + 1) % 30
            assert not torch.allclose(enc(changed).hidden[:, 0], h[:, 0])
        else:
            with pytest.raises(ValueError, match="^is_causal:"):
                enc(ids)


@pytest.mark.parametrize("kw, field", [
    (dict(mixer="linear", window=4), "window"),
    (dict(mixer="delta", positions="rope"), "positions"),
    (dict(mixer="gated_delta", n_kv_heads=1), "n_kv_heads"),
    (dict(mixer="linear", sink="zero"), "sink"),
    (dict(mixer="delta", delta_chunk=0), "delta_chunk"),
    (dict(mixer="linear", delta_chunk=8), "delta_chunk"),
    (dict(mixer="delta", attn_impl="sdpa"), "impl"),
])
def test_bad_recurrent_combinations_are_refused(kw, field):
    with pytest.raises(ValueError, match=f"^{field}:"):
        small_lm(**kw)


def test_what_a_recurrent_mixer_cannot_do_is_refused_at_the_call():
    model = small_lm(mixer="delta")
    ids = torch.randint(0, 40, (1, 4))
    with pytest.raises(ValueError, match="^need_weights:"):
        model(ids, need_weights=True)
    with pytest.raises(ValueError, match="^attn_mask:"):
        model(ids, attn_mask=torch.ones(4, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="^window:"):
        model.make_caches(1, window=4)
    with pytest.raises(TypeError, match="^cache:"):
        model(ids, caches=[KVCache(8) for _ in range(2)])


@pytest.mark.parametrize("mixer", ["delta", "gated_delta"])
def test_models_whose_encoder_reads_both_ways_refuse_the_delta_rule(mixer):
    from attnlab.models import EncoderDecoder, SequenceClassifier

    with pytest.raises(ValueError, match="^mixer: EncoderDecoder"):
        EncoderDecoder(src_vocab_size=10, tgt_vocab_size=10, d_model=16, n_heads=2, n_layers=1, mixer=mixer)
    with pytest.raises(ValueError, match="^mixer: SequenceClassifier"):
        SequenceClassifier(vocab_size=10, n_classes=2, d_model=16, n_heads=2, n_layers=1, mixer=mixer)
    SequenceClassifier(vocab_size=10, n_classes=2, d_model=16, n_heads=2, n_layers=1, mixer="linear")
