"""ALiBi: the slopes against the published formula and Hugging Face BLOOM, the bias, pruning."""

from __future__ import annotations

import math

import pytest
import torch

from attnlab.attention import ALiBi, alibi_slopes

transformers = pytest.importorskip("transformers")


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
