"""T5's relative position buckets and bias against Hugging Face T5."""

from __future__ import annotations

import pytest
import torch

from attnlab.attention import RelativePositionBias, relative_position_bucket

transformers = pytest.importorskip("transformers")


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
