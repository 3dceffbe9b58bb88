"""The baselines: RNN and CNN encoders skip padding (the RNN classifier is in test_classifier.py)."""

from __future__ import annotations

import pytest
import torch
from model_cases import one_thread  # noqa: F401 (autouse)

from attnlab.models import CNNEncoder, RNNEncoder


def test_rnn_padding_is_skipped():
    torch.manual_seed(0)
    enc = RNNEncoder(vocab_size=9, d_model=16, bidirectional=True, n_layers=2).eval()
    x = torch.randint(0, 9, (2, 6))
    mask = torch.tensor([[True] * 6, [True] * 3 + [False] * 3])
    out = enc(x, key_mask=mask).hidden
    alone = enc(x[1:, :3]).hidden
    torch.testing.assert_close(out[1, :3], alone[0])
    assert out[1, 3:].abs().max().item() == 0.0
    with pytest.raises(ValueError, match="head_mask"):
        enc(x, head_mask=torch.ones(1, 1))


def test_cnn_padding_does_not_leak():
    torch.manual_seed(0)
    enc = CNNEncoder(vocab_size=9, d_model=16, n_layers=3, kernel_size=3, dilation_base=2).eval()
    x = torch.randint(0, 9, (1, 8))
    mask = torch.tensor([[True] * 5 + [False] * 3])
    a = enc(x, key_mask=mask).hidden
    x2 = x.clone()
    x2[0, 5:] = (x2[0, 5:] + 1) % 9
    torch.testing.assert_close(enc(x2, key_mask=mask).hidden, a)
