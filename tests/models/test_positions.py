"""Position encodings added to the embeddings: the sinusoidal table."""

from __future__ import annotations

import pytest
import torch

from attnlab.models import SinusoidalPositions


def test_sinusoidal_table_values():
    pe = SinusoidalPositions(10, 6)
    t = pe(3, offset=2)
    assert t.shape == (3, 6)
    assert abs(t[0, 0].item() - torch.sin(torch.tensor(2.0)).item()) < 1e-6
    assert abs(t[0, 1].item() - torch.cos(torch.tensor(2.0)).item()) < 1e-6
    with pytest.raises(ValueError, match="max_len"):
        pe(5, offset=6)
