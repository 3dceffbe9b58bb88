"""The mixers in an encoder-decoder: the self-attention of both stacks swaps, the cross-attention stays
softmax attention, and decoding with the caches equals decoding without."""

from __future__ import annotations

import pytest
import torch

from attnlab.attention import MultiHeadAttention
from attnlab.models import EncoderDecoder


@pytest.mark.parametrize("mixer, positions", [("mla", "rope"), ("linear", "sinusoidal"), ("differential", "rope")])
def test_an_encoder_decoder_decodes_the_same_with_and_without_caches(mixer, positions):
    torch.manual_seed(0)
    model = EncoderDecoder(src_vocab_size=20, tgt_vocab_size=20, d_model=16, n_heads=2, n_layers=1, mixer=mixer,
                           positions=positions).eval()
    assert model.encoder.layers[0].attn.config.mixer == model.decoder.layers[0].attn.config.mixer == mixer
    assert type(model.decoder.layers[0].cross_attn) is MultiHeadAttention
    src = torch.randint(0, 20, (2, 6))
    cached = model.generate(src, 4, bos_token_id=1, output_scores=True)
    uncached = model.generate(src, 4, bos_token_id=1, use_cache=False, output_scores=True)
    assert torch.equal(cached.sequences, uncached.sequences)
    torch.testing.assert_close(cached.scores, uncached.scores, atol=1e-5, rtol=1e-5)
