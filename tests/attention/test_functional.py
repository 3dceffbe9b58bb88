"""``attnlab.attention``: bad arguments and tensors give one clear message each."""

from __future__ import annotations

import pytest
import torch
from attention_cases import qkv

import attnlab
from attnlab import attention


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(score="nope"), ValueError, "unknown score 'nope'"),
        (dict(score="general"), ValueError, "has learnable parameters"),
        (dict(impl="fast"), ValueError, "impl"),
        (dict(dropout_p=1.5), ValueError, "dropout_p"),
        (dict(attn_mask=torch.ones(6, 6, dtype=torch.bool)), ValueError, r"attn_mask: expected .* got shape \(6, 6\)"),
        (dict(attn_mask=torch.ones(6, 7, dtype=torch.long)), TypeError, "attn_mask: expected dtype"),
        (dict(return_weights=True, impl="sdpa"), ValueError, "weights"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, exc, match):
    q, k, v = qkv()
    with pytest.raises(exc, match=match):
        attnlab.attention(q, k, v, **kwargs)


def test_bad_tensors_raise_clear_errors():
    q, k, v = qkv()
    with pytest.raises(ValueError, match=r"q: expected 4 dims"):
        attnlab.attention(q[0], k, v)
    with pytest.raises(ValueError, match="same sequence length"):
        attnlab.attention(q, k, v[:, :, :3])
    with pytest.raises(ValueError, match="head dim"):
        attnlab.attention(q, k[..., :4], v)
    with pytest.raises(TypeError, match="one dtype"):
        attnlab.attention(q, k.double(), v)
    with pytest.raises(ValueError, match="divides"):
        attnlab.attention(q, k[:, :3], v[:, :3])
    with pytest.raises(TypeError, match="floating"):
        attnlab.attention(q.long(), k, v)


def test_bad_switches_raise_clear_errors():
    q = torch.randn(1, 2, 3, 4)
    with pytest.raises(ValueError, match=r"sink: expected a float tensor of shape \(H,\) = \(2,\), got shape \(3,\)"):
        attention(q, q, q, sink=torch.zeros(3))
    with pytest.raises(ValueError, match="softcap cannot run on the fused SDPA path"):
        attention(q, q, q, softcap=2.0, impl="sdpa")
    with pytest.raises(ValueError, match="window: expected None or a positive int"):
        attention(q, q, q, window=-1)
