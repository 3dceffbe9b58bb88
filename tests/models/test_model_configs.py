"""Model configs: validation naming the field, JSON round trips, the self-attention held in one
AttentionConfig (and the flat keywords that fill and read it), pruned heads, and dicts written before."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch
from model_cases import one_thread  # noqa: F401 (autouse)

from attnlab.attention import AttentionConfig, make_score
from attnlab.models import (
    CNNEncoder,
    EncoderDecoder,
    EncoderDecoderConfig,
    LMConfig,
    RNNClassifier,
    RNNEncoder,
    RNNSeq2Seq,
    SequenceClassifier,
    TransformerEncoder,
    TransformerLM,
)
from attnlab.models.configs import ATTENTION_KEYWORDS

C, H = 16, 4


@pytest.mark.parametrize(
    ("cls", "kwargs", "field"),
    [
        (TransformerLM, dict(vocab_size=10, d_model=30, n_heads=4, n_layers=1), "d_model"),
        (TransformerLM, dict(vocab_size=10, d_model=32, n_heads=4, n_layers=1, positions="rotary"), "positions"),
        (TransformerLM, dict(vocab_size=10, d_model=32, n_heads=4, n_layers=1, score="nope"), "score"),
        (TransformerLM, dict(vocab_size=10, d_model=32, n_heads=4, n_layers=1, n_kv_heads=3), "n_kv_heads"),
        (TransformerLM, dict(vocab_size=10, d_model=32, n_heads=4, n_layers=1, activation="tanh"), "activation"),
        (TransformerLM, dict(vocab_size=10, d_model=32, n_heads=4, n_layers=0), "n_layers"),
        (TransformerLM, dict(vocab_size=10, d_model=32, n_heads=4, n_layers=1, dropout=1.5), "dropout"),
        (TransformerEncoder, dict(d_model=32, n_heads=4, n_layers=1, attn_impl="fast"), "attn_impl"),
        (SequenceClassifier, dict(vocab_size=10, n_classes=2, d_model=32, n_heads=4, n_layers=1,
                                  pooling="median"), "pooling"),
        (RNNClassifier, dict(vocab_size=10, n_classes=2, pooling="first"), "pooling"),
        (RNNClassifier, dict(vocab_size=10, n_classes=2, cell="rnn"), "cell"),
        (RNNEncoder, dict(vocab_size=10, d_model=15, bidirectional=True), "d_model"),
        (CNNEncoder, dict(vocab_size=10, d_model=16, kernel_size=4), "kernel_size"),
        (RNNSeq2Seq, dict(src_vocab_size=5, tgt_vocab_size=5, style="transformer"), "style"),
        (RNNSeq2Seq, dict(src_vocab_size=5, tgt_vocab_size=5, score="nope"), "score"),
    ],
)
def test_bad_config_names_the_field(cls, kwargs, field):
    with pytest.raises(ValueError, match=field) as err:
        cls(**kwargs)
    assert "expected" in str(err.value) and "got" in str(err.value)


def test_bad_config_type():
    with pytest.raises(TypeError, match="n_heads"):
        TransformerLM(vocab_size=10, d_model=32, n_heads=4.0, n_layers=1)


def test_config_roundtrip_and_defaults():
    lm = TransformerLM(vocab_size=11, d_model=16, n_heads=2, n_layers=1, max_len=20)
    cfg = lm.config
    assert dataclasses.is_dataclass(cfg) and cfg.d_ff == 64 and cfg.final_norm is True
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.d_model = 8
    data = json.loads(json.dumps(dataclasses.asdict(cfg)))
    again = TransformerLM.from_config(data)
    assert again.config == cfg
    assert TransformerLM.from_config(LMConfig(**data)).config == cfg
    with pytest.raises(ValueError, match="unknown field"):
        TransformerLM.from_config({**data, "n_expert": 3})
    with pytest.raises(ValueError, match="both"):
        TransformerLM(cfg, d_model=8)
    assert lm.lm_head.weight is lm.embed.tok.weight  # tied by default


def test_attention_switches_pass_through():
    lm = TransformerLM(vocab_size=11, d_model=16, n_heads=4, n_layers=1, n_kv_heads=2, score="dot", scale=False)
    assert lm.layers[0].attn.n_kv_heads == 2 and lm.layers[0].attn.fixed_scale == 1.0
    lm = TransformerLM(vocab_size=11, d_model=16, n_heads=4, n_layers=1, shared_qk=True)
    assert lm.layers[0].attn.k_proj is None
    with pytest.raises(ValueError, match="n_kv_heads"):
        TransformerLM(vocab_size=11, d_model=16, n_heads=4, n_layers=1, n_kv_heads=2, shared_qk=True)
    enc = TransformerEncoder(vocab_size=11, d_model=16, n_heads=4, n_layers=1, score="additive")
    x = torch.randint(0, 11, (2, 5))
    assert enc(x).hidden.shape == (2, 5, 16)


def test_models_route_positions_and_switches():
    lm = TransformerLM(vocab_size=11, d_model=C, n_heads=H, n_layers=1, positions="t5", window=4, sink="zero")
    attn = lm.layers[0].attn
    assert attn.positions == "t5" and not attn.position_bias.bidirectional and attn.window == 4
    seq2seq = EncoderDecoder(src_vocab_size=11, tgt_vocab_size=11, d_model=C, n_heads=H, n_layers=1,
                             positions="t5", window=4, sink="zero", gate="sigmoid")
    assert seq2seq.encoder.layers[0].attn.position_bias.bidirectional
    block = seq2seq.decoder.layers[0]
    assert not block.attn.position_bias.bidirectional and block.attn.window == 4
    cross = block.cross_attn  # positions and the window are self-attention switches; the rest apply here too
    assert cross.positions is None and cross.window is None and cross.sink == "zero" and cross.gate_proj is not None
    cfg = LMConfig(vocab_size=11, d_model=C, n_heads=H, n_layers=1, positions="rope", rotary_fraction=0.5,
                   softcap=30.0)
    assert LMConfig.from_dict(cfg.to_dict()) == cfg
    assert TransformerLM(cfg).layers[0].attn.rotary_dim == 2  # half of head_dim 4


def test_bad_switches_in_model_configs():
    with pytest.raises(ValueError, match="softcap cannot run on the fused SDPA path.*attn_impl"):
        LMConfig(vocab_size=5, d_model=C, n_heads=H, n_layers=1, softcap=5.0, attn_impl="sdpa")
    with pytest.raises(ValueError, match="positions: expected one of"):
        LMConfig(vocab_size=5, d_model=C, n_heads=H, n_layers=1, positions="relative")


def test_the_self_attention_is_one_config_that_the_flat_keywords_fill_and_read():
    flat = LMConfig(vocab_size=5, d_model=C, n_heads=H, n_layers=1, score="dot", n_kv_heads=2, attn_impl="chunked",
                    window=3, positions="rope", rotary_fraction=0.5)
    attention = flat.attention
    assert isinstance(attention, AttentionConfig)
    assert (attention.score, attention.n_kv_heads, attention.impl, attention.window) == ("dot", 2, "chunked", 3)
    assert (attention.d_model, attention.n_heads, attention.positions, attention.rotary_fraction) == (C, H, "rope", 0.5)
    assert (flat.score, flat.n_kv_heads, flat.attn_impl, flat.window) == ("dot", 2, "chunked", 3)  # read back
    switches = dict(score="dot", n_kv_heads=2, impl="chunked", window=3, rotary_fraction=0.5)
    nested = LMConfig(vocab_size=5, d_model=C, n_heads=H, n_layers=1, positions="rope", attention=switches)
    given = LMConfig(vocab_size=5, d_model=C, n_heads=H, n_layers=1, positions="rope", attention=attention)
    assert flat == nested == given
    assert set(flat.attention_switches()) == set(ATTENTION_KEYWORDS.values())
    assert "score" not in {f.name for f in dataclasses.fields(LMConfig)}  # written once, in AttentionConfig


def test_dicts_with_flat_switches_still_build_the_same_model():
    flat = dict(vocab_size=7, d_model=C, n_heads=H, n_layers=2, score="general", shared_qk=True, attn_impl="chunked",
                positions="t5", relative_buckets=8, relative_max_distance=16, sink="learned")
    torch.manual_seed(0)
    a = TransformerLM.from_config(flat)
    torch.manual_seed(0)
    b = TransformerLM.from_config(json.loads(json.dumps(a.config.to_dict())))
    assert a.config == b.config and not a.config.attention.relative_bidirectional  # causal: one-sided buckets
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values(), strict=True))


def test_an_attention_config_that_disagrees_with_the_model_fails():
    kw = dict(vocab_size=5, d_model=C, n_heads=H, n_layers=1)
    with pytest.raises(ValueError, match=r"attention.d_model: expected 16, as the model's fields give it, got 32"):
        LMConfig(**kw, attention=AttentionConfig(32, H))
    with pytest.raises(ValueError, match=r"attention.positions: expected None, .* got 'rope'"):
        LMConfig(**kw, attention=AttentionConfig(C, H, positions="rope"))  # positions="learned" is the LM's
    with pytest.raises(ValueError, match="attention: expected an AttentionConfig or the attention keywords, got both"):
        LMConfig(**kw, attention=AttentionConfig(C, H), score="dot")
    with pytest.raises(ValueError, match="score: given twice"):
        LMConfig(**kw, attention={"score": "dot"}, score="dot")
    with pytest.raises(TypeError, match="score: expected a registered score name"):  # a module is not JSON
        LMConfig(**kw, attention=AttentionConfig(C, H, score=make_score("dot", C // H, H)))


def test_pruned_heads_are_checked_and_normalised():
    kw = dict(vocab_size=5, d_model=C, n_heads=H, n_layers=2)
    cfg = LMConfig(**kw, pruned_heads=[[3, 1], []])
    assert cfg.pruned_heads == ((1, 3), ()) and cfg.heads_per_layer == (2, 4)
    assert LMConfig(**kw, pruned_heads=[[], []]).pruned_heads == ()
    with pytest.raises(ValueError, match=r"pruned_heads: expected \(\) or one sequence of head indices per block"):
        LMConfig(**kw, pruned_heads=[[1]])
    with pytest.raises(ValueError, match=r"pruned_heads\[0\]: expected some of the heads 0..3, not all"):
        LMConfig(**kw, pruned_heads=[[0, 1, 2, 3], []])
    with pytest.raises(ValueError, match="pruned_heads: expected \\(\\) for an EncoderDecoder"):
        EncoderDecoderConfig(src_vocab_size=5, tgt_vocab_size=5, d_model=C, n_heads=H, n_layers=1,
                             pruned_heads=[[1]])


def test_the_old_module_path_names_the_same_models():
    from attnlab.models import transformer

    assert transformer.TransformerLM is TransformerLM and transformer.EncoderDecoder is EncoderDecoder


def test_attention_only_switch_removes_the_feed_forward_and_round_trips():
    torch.manual_seed(0)
    lm = TransformerLM(vocab_size=12, d_model=16, n_heads=2, n_layers=2, max_len=8, mlp=False)
    full = TransformerLM(vocab_size=12, d_model=16, n_heads=2, n_layers=2, max_len=8)
    assert all(b.ff is None and b.norm2 is None for b in lm.layers)
    assert not any(".ff." in n or ".norm2." in n for n, _ in lm.named_parameters())
    per_block_ff = sum(p.numel() for p in full.layers[0].ff.parameters()) + sum(
        p.numel() for p in full.layers[0].norm2.parameters())
    assert full.num_parameters() - lm.num_parameters() == 2 * per_block_ff
    again = TransformerLM.from_config(json.loads(json.dumps(lm.config.to_dict())))
    assert again.config == lm.config and again.config.mlp is False
    with pytest.raises(TypeError, match="mlp"):
        TransformerLM(vocab_size=12, d_model=16, n_heads=2, n_layers=1, mlp="no")


def test_attention_only_block_is_the_residual_attention_branch_alone():
    torch.manual_seed(1)
    lm = TransformerLM(vocab_size=12, d_model=16, n_heads=2, n_layers=2, max_len=8, mlp=False).eval()
    ids = torch.randint(1, 12, (3, 8))
    out, cache = lm.run_with_cache(ids, names=["blocks.1.resid_mid", "blocks.1.resid_post"])
    torch.testing.assert_close(cache["blocks.1.resid_mid"], cache["blocks.1.resid_post"])  # no second branch
    x = lm.embed(ids)
    for block in lm.layers:  # x + attn(norm1(x)), by hand
        x = x + block.attn(block.norm1(x), is_causal=True)[0]
    torch.testing.assert_close(lm.lm_head(lm.norm(x)), out.logits)
