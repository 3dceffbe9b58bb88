"""The sequence classifiers (SequenceClassifier, and the RNNClassifier baseline beside it): every pooling,
with padding."""

from __future__ import annotations

import pytest
import torch
from model_cases import one_thread  # noqa: F401 (autouse)

from attnlab.models import RNNClassifier, SequenceClassifier


def test_classifier_poolings():
    torch.manual_seed(0)
    x = torch.randint(0, 9, (3, 7))
    mask = torch.ones(3, 7, dtype=torch.bool)
    mask[2, 3:] = False
    for pooling in ("first", "mean", "max", "attention"):
        m = SequenceClassifier(vocab_size=9, n_classes=4, d_model=16, n_heads=2, n_layers=1, pooling=pooling)
        out = m(x, key_mask=mask)
        assert out.logits.shape == (3, 4)
        if pooling == "attention":
            assert out.pool_weights.shape == (3, 7)
            assert out.pool_weights[2, 3:].abs().max().item() == 0.0
            torch.testing.assert_close(out.pool_weights.sum(-1), torch.ones(3))
    for pooling in ("last", "mean", "max", "attention"):
        for cell in ("lstm", "gru"):
            m = RNNClassifier(vocab_size=9, n_classes=4, d_model=16, cell=cell, bidirectional=True,
                              pooling=pooling, score="scaled_dot" if cell == "gru" else "additive")
            assert m(x, key_mask=mask).logits.shape == (3, 4)
    with pytest.raises(ValueError, match="right padding"):
        RNNClassifier(vocab_size=9, n_classes=4, d_model=16)(x, key_mask=~mask)
