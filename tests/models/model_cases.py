"""Shared by the model tests: a fixture that runs each test on one intra-op thread (tiny models run fastest
single-threaded and do not suffer from an oversubscribed CPU)."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
