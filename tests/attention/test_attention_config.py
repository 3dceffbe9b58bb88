"""AttentionConfig: validation at construction (the same messages from MultiHeadAttention), the sizes it
resolves, dicts, the matching cross-attention, and the config of a pruned module."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from attention_cases import C, H

from attnlab import MultiHeadAttention
from attnlab.attention import AttentionConfig
from attnlab.attention.config import SELF_ATTENTION_ONLY

BAD = [
    (dict(d_model=10, n_heads=4), "d_model: expected a multiple of n_heads=4, got 10"),
    (dict(n_kv_heads=3), "n_kv_heads: expected a divisor of n_heads=4, got 3"),
    (dict(shared_qk=True, kdim=8), "kdim must equal d_model=16"),
    (dict(shared_qk=True, n_kv_heads=2), "n_kv_heads must be None or 4"),
    (dict(score="bogus"), "unknown score 'bogus'"),
    (dict(score="dot", scale=True), "conflicts with score='dot'"),
    (dict(score="additive", impl="sdpa"), "needs a bilinear score"),
    (dict(dropout=1.0), "dropout"),
    (dict(d_model=16, n_heads=0), "n_heads: expected a positive int"),
    (dict(scale="sometimes"), "scale"),
    (dict(head_dim=0), "head_dim: expected a positive int or None, got 0"),
    (dict(softcap=30.0, impl="sdpa"), "softcap cannot run on the fused SDPA path.*impl='chunked'"),
    (dict(softcap=-1.0), "softcap: expected None or a positive float"),
    (dict(window=0), "window: expected None or a positive int"),
    (dict(sink="one"), r"sink: expected one of \[None, 'zero', 'learned'\], got 'one'"),
    (dict(gate="tanh"), r"gate: expected one of \[None, 'sigmoid'\], got 'tanh'"),
    (dict(positions="learned"), "positions: expected one of .*added to the embeddings"),
    (dict(positions="relative"), r"positions: expected one of \[None, 'rope', 'alibi', 't5'\], got 'relative'$"),
    (dict(positions="rope", kdim=12), "positions='rope' acts in self-attention.*set positions=None"),
    (dict(positions="rope", rotary_fraction=0.25), r"rotary_fraction: expected .* even number >= 2.*0.25 \* 4"),
    (dict(rotary_base=500.0), "rotary_base: applies to positions='rope' only"),
    (dict(positions="alibi", relative_buckets=8), "relative_buckets: applies to positions='t5' only"),
    (dict(positions="t5", relative_buckets=32, relative_max_distance=4), "max_distance: expected an int > 8"),
]


@pytest.mark.parametrize(("kwargs", "match"), BAD)
def test_bad_switches_fail_at_construction_of_the_config_and_the_module(kwargs, match):
    kwargs = {"d_model": C, "n_heads": H, **kwargs}
    with pytest.raises((ValueError, TypeError), match=match):
        AttentionConfig(**kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        MultiHeadAttention(**kwargs)


def test_sizes_given_as_none_are_resolved_once():
    config = AttentionConfig(C, H)
    assert (config.n_kv_heads, config.kdim, config.vdim, config.head_dim) == (H, C, C, C // H)
    assert config == AttentionConfig(C, H, n_kv_heads=H, kdim=C, vdim=C, head_dim=C // H)
    config.validate()  # idempotent
    assert config == AttentionConfig(C, H)
    assert AttentionConfig(C, 3, head_dim=4).head_dim == 4  # H·D need not be C when D is given


def test_dicts_round_trip_and_unknown_fields_fail():
    config = AttentionConfig(C, H, score="general", positions="t5", relative_bidirectional=False)
    assert AttentionConfig.from_dict(config.to_dict()) == config
    assert config.to_dict() == dataclasses.asdict(config)
    with pytest.raises(ValueError, match=r"AttentionConfig: unknown field\(s\) \['heads'\]"):
        AttentionConfig.from_dict({"d_model": C, "heads": H})


def test_cross_attention_fields_keep_the_shared_switches_only():
    config = AttentionConfig(C, H, score="general", shared_qk=True, window=4, sink="learned", softcap=5.0,
                             gate="sigmoid", positions="t5", relative_buckets=8, relative_max_distance=16,
                             relative_bidirectional=False)
    cross = AttentionConfig.from_dict(config.cross_attention_fields())
    for name in SELF_ATTENTION_ONLY:
        assert getattr(cross, name) == getattr(AttentionConfig(C, H), name), name
    assert (cross.score, cross.sink, cross.softcap, cross.gate) == ("general", "learned", 5.0, "sigmoid")


def test_pruned_config_keeps_the_head_width_and_the_generator():
    config = AttentionConfig(C, H, score="additive", n_kv_heads=2)
    before = torch.random.get_rng_state()
    pruned = config.pruned(2, 1)
    assert torch.equal(torch.random.get_rng_state(), before)
    assert (pruned.n_heads, pruned.n_kv_heads, pruned.head_dim, pruned.d_model) == (2, 1, 4, C)
