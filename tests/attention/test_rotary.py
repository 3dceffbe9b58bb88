"""RoPE against Hugging Face's ``apply_rotary_pos_emb``: full and partial rotary, gradients, and logits that
depend on the relative position only."""

from __future__ import annotations

import pytest
import torch

from attnlab.attention import apply_rotary

transformers = pytest.importorskip("transformers")


def _hf_cos_sin(dim: int, base: float, position_ids: torch.Tensor):
    from transformers import LlamaConfig
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

    config = LlamaConfig(hidden_size=dim * 2, num_attention_heads=2, head_dim=dim, rope_theta=base,
                         max_position_embeddings=4096)
    rope = LlamaRotaryEmbedding(config)
    x = torch.zeros(1, dtype=torch.float32)
    return rope(x, position_ids)  # each (B, T, dim)


@pytest.mark.parametrize("base", [10000.0, 500000.0])
@pytest.mark.parametrize("start", [0, 37])
def test_apply_rotary_equals_hf_apply_rotary_pos_emb(base, start):
    from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

    g = torch.Generator().manual_seed(0)
    b, h, t, d = 2, 3, 11, 16
    q, k = torch.randn(b, h, t, d, generator=g), torch.randn(b, h, t, d, generator=g)
    positions = torch.arange(start, start + t)
    cos, sin = _hf_cos_sin(d, base, positions[None].expand(b, t))
    q_hf, k_hf = apply_rotary_pos_emb(q, k, cos, sin)
    assert (apply_rotary(q, positions, base=base) - q_hf).abs().max().item() <= 1e-6
    assert (apply_rotary(k, positions, base=base) - k_hf).abs().max().item() <= 1e-6
    # per-row positions (B, T), e.g. rows that started at different offsets
    rows = torch.stack([torch.arange(t), torch.arange(start, start + t)])
    cos, sin = _hf_cos_sin(d, base, rows)
    q_hf, _ = apply_rotary_pos_emb(q, k, cos, sin)
    assert (apply_rotary(q, rows, base=base) - q_hf).abs().max().item() <= 1e-6


def test_partial_rotary_turns_the_first_features_and_passes_the_rest():
    from transformers.models.llama.modeling_llama import apply_rotary_pos_emb

    x = torch.randn(1, 2, 7, 12, generator=torch.Generator().manual_seed(1))
    positions = torch.arange(7)
    y = apply_rotary(x, positions, rotary_dim=4)
    cos, sin = _hf_cos_sin(4, 10000.0, positions[None])
    turned, _ = apply_rotary_pos_emb(x[..., :4], x[..., :4], cos, sin)
    assert (y[..., :4] - turned).abs().max().item() <= 1e-6
    assert torch.equal(y[..., 4:], x[..., 4:])


@pytest.mark.parametrize("rotary_dim", [None, 4])
def test_apply_rotary_gradcheck_float64(rotary_dim):
    x = torch.randn(2, 2, 5, 8, dtype=torch.float64, requires_grad=True)
    rows = torch.tensor([[0, 1, 2, 3, 4], [7, 8, 9, 10, 11]])
    assert torch.autograd.gradcheck(lambda x: apply_rotary(x, rows, rotary_dim=rotary_dim), (x,))


def test_rotary_logits_depend_on_relative_position_only():
    g = torch.Generator().manual_seed(2)
    q, k = (torch.randn(1, 1, 1, 8, dtype=torch.float64, generator=g) for _ in range(2))

    def logit(m, n):
        return (apply_rotary(q, torch.tensor([m])) * apply_rotary(k, torch.tensor([n]))).sum().item()

    assert logit(5, 2) == pytest.approx(logit(103, 100), abs=1e-5)
    assert logit(0, 0) == pytest.approx((q * k).sum().item(), abs=1e-12)
    assert abs(logit(5, 2) - logit(5, 3)) > 1e-3


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((torch.randn(2, 5, 8), torch.arange(5)), {}, r"x: expected a float tensor \(B, H, T, D\)"),
        ((torch.randn(1, 1, 5, 8), torch.arange(5.0)), {}, "positions: expected an integer tensor"),
        ((torch.randn(1, 1, 5, 8), torch.arange(4)), {}, r"positions: expected shape \(5,\) or \(1, 5\)"),
        ((torch.randn(1, 1, 5, 8), torch.arange(5)), {"rotary_dim": 3}, "rotary_dim: expected an even number"),
        ((torch.randn(1, 1, 5, 8), torch.arange(5)), {"rotary_dim": 10}, r"rotary_dim: expected an int in \[2, D=8\]"),
        ((torch.randn(1, 1, 5, 8), torch.arange(5)), {"base": 0.5}, "base: expected a float > 1"),
    ],
)
def test_apply_rotary_bad_inputs(args, kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        apply_rotary(*args, **kwargs)
