"""TransformerDecoder on its own: logits, cross-attention weights, a bad memory."""

from __future__ import annotations

import pytest
import torch
from model_cases import one_thread  # noqa: F401 (autouse)

from attnlab.models import TransformerDecoder


def test_decoder_standalone_and_cross_weights():
    dec = TransformerDecoder(vocab_size=10, d_model=16, n_heads=2, n_layers=2, max_len=16)
    mem = torch.randn(2, 5, 16)
    out = dec(torch.randint(0, 10, (2, 4)), mem, need_weights=True)
    assert out.logits.shape == (2, 4, 10) and out.cross_attentions[0].shape == (2, 2, 4, 5)
    with pytest.raises(ValueError, match="memory"):
        dec(torch.randint(0, 10, (2, 4)), torch.randn(2, 5, 8))
