"""Fixtures of the tests that load small random-weight Hugging Face folders saved on disk."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture
def folder_models(monkeypatch):
    """Let ``attnlab.pretrained.load`` read the folders (the suite switches pretrained models off: these are
    small random models saved by the test, not the packaged weights), on one thread (2 shared cores)."""
    from attnlab.pretrained import DISABLE_ENV

    monkeypatch.delenv(DISABLE_ENV, raising=False)
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
