"""The ``norm="rms"`` and ``activation="swiglu"`` switches of the Transformer configs (Llama's blocks)."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from attnlab.models import TransformerLM
from attnlab.models.blocks import EncoderBlock, FeedForward


def test_rms_norm_everywhere_and_no_bias():
    model = TransformerLM(vocab_size=20, d_model=16, n_heads=2, n_layers=2, norm="rms", bias=False)
    norms = [m for m in model.modules() if isinstance(m, (nn.LayerNorm, nn.RMSNorm))]
    assert len(norms) == 5 and all(isinstance(m, nn.RMSNorm) for m in norms)
    x = torch.randn(3, 16)
    norm = model.norm
    with torch.no_grad():
        norm.weight.normal_()
    expected = x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + model.config.norm_eps) * norm.weight
    assert torch.allclose(norm(x), expected, atol=1e-6)
    assert model(torch.randint(0, 20, (2, 5))).logits.shape == (2, 5, 20)


def test_swiglu_feed_forward_is_gated():
    torch.manual_seed(0)
    ff = FeedForward(8, 12, activation="swiglu", bias=False)
    assert ff.fc1.out_features == 24 and ff.fc2.in_features == 12
    x = torch.randn(4, 8)
    gate, up = ff.fc1.weight[:12], ff.fc1.weight[12:]
    expected = (nn.functional.silu(x @ gate.T) * (x @ up.T)) @ ff.fc2.weight.T
    assert torch.allclose(ff(x), expected, atol=1e-6)
    plain = FeedForward(8, 12, activation="gelu")
    assert plain.fc1.out_features == 12 and not plain.gated


def test_llama_style_lm_round_trips_its_config_and_generates():
    model = TransformerLM(vocab_size=30, d_model=32, n_heads=4, n_layers=2, positions="rope", norm="rms",
                          activation="swiglu", bias=False, n_kv_heads=2)
    again = TransformerLM.from_config(model.config.to_dict())
    assert again.config.norm == "rms" and again.config.activation == "swiglu"
    ids = torch.randint(0, 30, (1, 4))
    out = model.generate(ids, 5)
    assert torch.equal(out, model.generate(ids, 5, use_cache=False))


def test_unknown_norm_is_refused():
    with pytest.raises(ValueError, match="norm"):
        TransformerLM(vocab_size=10, d_model=8, n_heads=2, n_layers=1, norm="batch")
    with pytest.raises(ValueError, match="norm"):
        EncoderBlock(8, 2, 16, norm="batch")
