"""The streaming cache (first k tokens and a recent window; Xiao et al. 2023): decoding with it gives the
logits of the full computation under the mask that encodes the same visibility."""

from __future__ import annotations

import pytest
import torch
from mixer_cases import small_lm

from attnlab.attention import StreamingKVCache, streaming_visibility


def _stream(model, ids, sink_tokens, window, prefill=1):
    caches = model.make_caches(ids.shape[0], sink_tokens=sink_tokens, window=window)
    logits = [model(ids[:, :prefill], caches=caches).logits]
    logits += [model(ids[:, i:i + 1], caches=caches).logits for i in range(prefill, ids.shape[1])]
    return torch.cat(logits, dim=1), caches


def test_visibility_is_sinks_or_window_and_causal():
    mask = streaming_visibility(6, 6, sink_tokens=1, window=2)
    expected = torch.tensor([[1, 0, 0, 0, 0, 0],
                             [1, 1, 0, 0, 0, 0],
                             [1, 1, 1, 0, 0, 0],
                             [1, 0, 1, 1, 0, 0],
                             [1, 0, 0, 1, 1, 0],
                             [1, 0, 0, 0, 1, 1]], dtype=torch.bool)
    assert torch.equal(mask, expected)


@pytest.mark.parametrize("kw, sinks, window, prefill", [
    (dict(positions="rope"), 2, 3, 1),
    (dict(positions="learned"), 0, 4, 5),  # sinks evicted: the plain window
    pytest.param(dict(positions="rope", n_kv_heads=2), 1, 2, 4, marks=pytest.mark.slow),
    pytest.param(dict(positions="rope", mixer="mla", latent_absorb=True), 2, 3, 3, marks=pytest.mark.slow),
    pytest.param(dict(positions="rope", mixer="differential"), 2, 3, 1, marks=pytest.mark.slow),
])
def test_streaming_decode_equals_the_masked_full_computation(kw, sinks, window, prefill):
    model = small_lm(**kw)
    ids = torch.randint(0, 40, (2, 12))
    streamed, caches = _stream(model, ids, sinks, window, prefill)
    mask = streaming_visibility(12, 12, sinks, window)
    torch.testing.assert_close(streamed, model(ids, attn_mask=mask).logits, atol=1e-5, rtol=1e-5)
    assert not torch.allclose(streamed, model(ids).logits, atol=1e-3)  # something was evicted
    held = caches[0].get()[0].shape[2]
    assert held <= sinks + window and caches[0].length == 12
    assert caches[0].positions.tolist() == list(range(sinks)) + list(range(12 - window, 12))[-(held - sinks):]


def test_keeping_the_sinks_changes_the_logits():
    model = small_lm(positions="rope")
    ids = torch.randint(0, 40, (1, 10))
    kept, _ = _stream(model, ids, 2, 3)
    evicted, _ = _stream(model, ids, 0, 3)
    torch.testing.assert_close(kept[:, :3], evicted[:, :3])  # positions 0..2: the window holds every key
    assert not torch.allclose(kept[:, 3:], evicted[:, 3:], atol=1e-4)  # from 3 on the sinks are seen only if kept


def test_what_cannot_be_aligned_with_evicted_positions_is_refused():
    model = small_lm(positions="rope")
    ids = torch.randint(0, 40, (1, 4))
    caches = model.make_caches(1, sink_tokens=1, window=2)
    with pytest.raises(ValueError, match="^key_mask:"):
        model(ids, caches=caches, key_mask=torch.ones(1, 4, dtype=torch.bool))
    with pytest.raises(ValueError, match="^window:"):
        windowed = small_lm(positions="rope", window=3)
        windowed(ids, caches=windowed.make_caches(1, window=2))
    with pytest.raises(ValueError, match="^sink_tokens:"):
        model.make_caches(1, sink_tokens=2)
    with pytest.raises(ValueError, match="^window:"):
        StreamingKVCache(1, 0)
    with pytest.raises(ValueError, match="^StreamingKVCache"):
        StreamingKVCache(1, 2).set_static(torch.zeros(1, 1, 1, 1), torch.zeros(1, 1, 1, 1))
