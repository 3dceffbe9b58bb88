"""Blocks against torch's layers (pre- and post-LN encoder and decoder blocks), their attribute names, and
blocks built from an AttentionConfig."""

from __future__ import annotations

import pytest
import torch
from model_cases import one_thread  # noqa: F401 (autouse)
from torch import nn

from attnlab.attention import AttentionConfig
from attnlab.models import DecoderBlock, EncoderBlock


def _copy_mha(ours, theirs: nn.MultiheadAttention) -> None:
    c = theirs.embed_dim
    w, b = theirs.in_proj_weight, theirs.in_proj_bias
    ours.q_proj.weight.copy_(w[:c])
    ours.k_proj.weight.copy_(w[c : 2 * c])
    ours.v_proj.weight.copy_(w[2 * c :])
    ours.q_proj.bias.copy_(b[:c])
    ours.k_proj.bias.copy_(b[c : 2 * c])
    ours.v_proj.bias.copy_(b[2 * c :])
    ours.out_proj.weight.copy_(theirs.out_proj.weight)
    ours.out_proj.bias.copy_(theirs.out_proj.bias)


@pytest.mark.parametrize("norm_first", [True, False])
@pytest.mark.parametrize("activation", ["gelu", "relu"])
def test_encoder_block_matches_torch_encoder_layer(norm_first, activation):
    torch.manual_seed(0)
    c, h, f = 32, 4, 64
    ref = nn.TransformerEncoderLayer(c, h, f, dropout=0.0, activation=activation, batch_first=True,
                                     norm_first=norm_first, layer_norm_eps=1e-5).eval()
    ours = EncoderBlock(c, h, f, activation=activation, norm_first=norm_first, norm_eps=1e-5).eval()
    with torch.no_grad():
        _copy_mha(ours.attn, ref.self_attn)
        ours.ff.fc1.load_state_dict(ref.linear1.state_dict())
        ours.ff.fc2.load_state_dict(ref.linear2.state_dict())
        ours.norm1.load_state_dict(ref.norm1.state_dict())
        ours.norm2.load_state_dict(ref.norm2.state_dict())
    x = torch.randn(3, 7, c)
    padding = torch.zeros(3, 7, dtype=torch.bool)  # torch polarity: True = padding
    padding[1, 5:] = True
    padding[2, 3:] = True
    with torch.no_grad():
        expected = ref(x, src_key_padding_mask=padding)
        got, _ = ours(x, key_mask=~padding)  # ours: True = real token
        real = ~padding
        assert (got[real] - expected[real]).abs().max().item() <= 1e-5
        expected_nomask = ref(x)
        got_nomask, _ = ours(x)
        assert (got_nomask - expected_nomask).abs().max().item() <= 1e-5


@pytest.mark.parametrize("norm_first", [True, False])
def test_decoder_block_matches_torch_decoder_layer(norm_first):
    torch.manual_seed(1)
    c, h, f = 32, 4, 64
    ref = nn.TransformerDecoderLayer(c, h, f, dropout=0.0, activation="gelu", batch_first=True,
                                     norm_first=norm_first).eval()
    ours = DecoderBlock(c, h, f, activation="gelu", norm_first=norm_first).eval()
    with torch.no_grad():
        _copy_mha(ours.attn, ref.self_attn)
        _copy_mha(ours.cross_attn, ref.multihead_attn)
        ours.ff.fc1.load_state_dict(ref.linear1.state_dict())
        ours.ff.fc2.load_state_dict(ref.linear2.state_dict())
        for i in (1, 2, 3):
            getattr(ours, f"norm{i}").load_state_dict(getattr(ref, f"norm{i}").state_dict())
    x, mem = torch.randn(2, 6, c), torch.randn(2, 5, c)
    mem_pad = torch.tensor([[False] * 5, [False] * 3 + [True] * 2])
    causal = nn.Transformer.generate_square_subsequent_mask(6)
    with torch.no_grad():
        expected = ref(x, mem, tgt_mask=causal, tgt_is_causal=True, memory_key_padding_mask=mem_pad)
        got, _, _ = ours(x, mem, memory_key_mask=~mem_pad, is_causal=True)
    assert (got - expected).abs().max().item() <= 1e-5


def test_block_attribute_names_and_weights():
    blk = EncoderBlock(16, 2, 32)
    assert isinstance(blk.ff.fc1, nn.Linear) and isinstance(blk.ff.fc2, nn.Linear)
    assert isinstance(blk.norm1, nn.LayerNorm) and isinstance(blk.norm2, nn.LayerNorm)
    x = torch.randn(2, 5, 16)
    out, w = blk(x, need_weights=True)
    assert out.shape == x.shape and w.shape == (2, 2, 5, 5)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 2, 5))


@pytest.mark.parametrize("block", [EncoderBlock, DecoderBlock])
def test_a_block_from_an_attention_config_equals_one_from_keywords(block):
    switches = dict(score="general", n_kv_heads=2, window=3, sink="learned", gate="sigmoid", positions="rope")
    config = AttentionConfig(16, 4, bias=False, dropout=0.1, impl="chunked", **switches)
    torch.manual_seed(0)
    a = block(16, 4, 32, bias=False, dropout=0.1, attn_impl="chunked", **switches)
    torch.manual_seed(0)
    b = block(16, 4, 32, bias=False, dropout=0.1, attention=config)
    assert a.attn.config == b.attn.config == config
    state = a.state_dict()
    assert b.state_dict().keys() == state.keys()
    assert all(torch.equal(b.state_dict()[k], v) for k, v in state.items())
    if block is DecoderBlock:  # the cross-attention takes the switches that do not need one sequence
        cross = a.cross_attn.config
        assert (cross.positions, cross.window, cross.shared_qk) == (None, None, False)
        assert (cross.score, cross.n_kv_heads, cross.sink, cross.gate, cross.impl) == ("general", 2, "learned",
                                                                                       "sigmoid", "chunked")


def test_a_block_rejects_an_attention_config_that_disagrees_with_it():
    with pytest.raises(ValueError, match="attention.bias: expected True, the block's bias, got False"):
        EncoderBlock(16, 4, 32, attention=AttentionConfig(16, 4, bias=False))
    with pytest.raises(ValueError, match="expected an AttentionConfig or keyword switches, got both"):
        EncoderBlock(16, 4, 32, attention=AttentionConfig(16, 4), score="dot")
    with pytest.raises(ValueError, match=r"impl: expected an attention switch, one of \[.*'attn_impl'"):
        EncoderBlock(16, 4, 32, impl="chunked")
