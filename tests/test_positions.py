"""Positions inside attention against independent references: RoPE vs Hugging Face's apply_rotary_pos_emb,
ALiBi slopes vs the published formula, T5 buckets and bias vs Hugging Face T5."""

from __future__ import annotations

import math

import pytest
import torch

from attnlab.attention import ALiBi, RelativePositionBias, alibi_slopes, apply_rotary, relative_position_bucket

transformers = pytest.importorskip("transformers")


# ---------------------------------------------------------------------------------------------- RoPE


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


# ---------------------------------------------------------------------------------------------- ALiBi


def _published_slopes(n: int) -> list[float]:
    """Press et al. 2021: m_h = 2^(-8h/n) for n a power of two; otherwise the 2^floor(log2 n) slopes of that
    power, then the odd-indexed slopes 2^(-8(2h-1)/(2c)) of the next power, h = 1..n - c."""
    c = 2 ** math.floor(math.log2(n))
    first = [2.0 ** (-8.0 * h / c) for h in range(1, c + 1)]
    rest = [2.0 ** (-8.0 * (2 * h - 1) / (2 * c)) for h in range(1, n - c + 1)]
    return first + rest


@pytest.mark.parametrize("n", range(1, 65))
def test_alibi_slopes_equal_the_published_formula(n):
    slopes = alibi_slopes(n)
    assert slopes.shape == (n,) and slopes.dtype == torch.float32
    assert torch.equal(slopes, torch.tensor(_published_slopes(n), dtype=torch.float32))


def test_alibi_slopes_match_hf_bloom_and_the_paper_examples():
    from transformers.models.bloom.modeling_bloom import build_alibi_tensor

    assert alibi_slopes(8).tolist() == [2.0**-i for i in range(1, 9)]  # 1/2, 1/4, ..., 1/256
    assert torch.equal(alibi_slopes(16)[:2], torch.tensor([2.0**-0.5, 2.0**-1]))  # 1/sqrt(2), 1/2, ...
    for n in (5, 8, 12, 16):
        bloom = build_alibi_tensor(torch.ones(1, 2), n, torch.float32)  # (n, 1, 2): slope * position 1 at [.., 1]
        torch.testing.assert_close(alibi_slopes(n), bloom[:, 0, 1], rtol=1e-6, atol=0)


def test_alibi_bias_is_minus_slope_times_distance_and_prunes_with_its_heads():
    alibi = ALiBi(4)
    rel = torch.arange(-3, 4)
    bias = alibi(rel)  # (H, 7)
    assert torch.equal(bias, -alibi_slopes(4)[:, None] * rel.abs().float())
    alibi.prune_heads(torch.tensor([0, 3]))
    assert torch.equal(alibi.slopes, alibi_slopes(4)[[0, 3]])


@pytest.mark.parametrize("bad", [0, -2, 2.0, True])
def test_alibi_slopes_bad_head_count(bad):
    with pytest.raises(ValueError, match="n_heads: expected a positive int"):
        alibi_slopes(bad)


# ---------------------------------------------------------------------------------------------- T5


@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize(("num_buckets", "max_distance"), [(32, 128), (16, 20), (8, 64), (6, 9)])
def test_relative_position_bucket_equals_hf_t5(bidirectional, num_buckets, max_distance):
    from transformers.models.t5.modeling_t5 import T5Attention

    rel = torch.arange(-400, 401)[None, :] + torch.zeros(3, 1, dtype=torch.long)  # (3, 801)
    ours = relative_position_bucket(rel, bidirectional=bidirectional, num_buckets=num_buckets,
                                    max_distance=max_distance)
    theirs = T5Attention._relative_position_bucket(rel, bidirectional=bidirectional, num_buckets=num_buckets,
                                                   max_distance=max_distance)
    assert ours.dtype == torch.long and torch.equal(ours, theirs)


@pytest.mark.parametrize("is_decoder", [False, True])
def test_relative_position_bias_equals_hf_t5_compute_bias(is_decoder):
    from transformers import T5Config
    from transformers.models.t5.modeling_t5 import T5Attention

    config = T5Config(d_model=16, d_kv=4, num_heads=4, relative_attention_num_buckets=16,
                      relative_attention_max_distance=40, is_decoder=is_decoder)
    hf = T5Attention(config, has_relative_attention_bias=True)
    ours = RelativePositionBias(4, num_buckets=16, max_distance=40, bidirectional=not is_decoder)
    with torch.no_grad():
        ours.weight.copy_(hf.relative_attention_bias.weight)  # (num_buckets, H) in both
        expected = hf.compute_bias(9, 9)[0]  # (H, Tq, Tk)
    rel = torch.arange(9)[None, :] - torch.arange(9)[:, None]  # j - i
    torch.testing.assert_close(ours(rel), expected, rtol=0, atol=0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(num_buckets=3), r"num_buckets: expected an int >= 4"),
        (dict(num_buckets=32, max_distance=8), r"max_distance: expected an int > 8"),
        (dict(bidirectional="yes"), "bidirectional: expected a bool"),
    ],
)
def test_relative_position_bucket_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        relative_position_bucket(torch.arange(5), **kwargs)
    with pytest.raises(TypeError, match="relative_position: expected an integer tensor"):
        relative_position_bucket(torch.arange(5.0))
