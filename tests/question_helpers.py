"""Helpers for the questions' tests: one tiny run of some questions, and evidence patched to give a verdict."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from typing import Any

from attnlab.results import Evidence

REACHED = {"value": 100.0, "per_seed": [100, 100, 100, 100, 100], "n": 5}  # every seed reached the threshold
NEVER = {"value": "> 800", "per_seed": [None] * 5, "n": 5}  # no seed reached it


def run_tiny(qids: Sequence[str], tmp_path_factory: Any) -> Any:
    """The tiny profile of ``qids``, run in this process with the real model off; the run's report."""
    from attnlab.experiments import run_questions
    from attnlab.pretrained import DISABLE_ENV

    os.environ[DISABLE_ENV] = "1"  # set by hand: a module-scoped fixture runs before conftest's monkeypatch
    try:
        out = tmp_path_factory.mktemp("tiny")
        report = run_questions(list(qids), profile="tiny", out=out, jobs=1, progress=False)
    finally:
        del os.environ[DISABLE_ENV]
    assert report.errors == {}, report.errors
    return report


def patch(evidence: list[Evidence], changes: dict[str, dict]) -> list[Evidence]:
    """``evidence`` with the fields of the named items replaced (every name must exist)."""
    missing = set(changes) - {e.name for e in evidence}
    assert not missing, missing
    return [dataclasses.replace(e, **changes[e.name]) if e.name in changes else e for e in evidence]


def est(value: float, lo: float, hi: float) -> dict:
    """The fields of an estimate over 5 seeds with interval ``[lo, hi]``."""
    return {"value": value, "ci": (lo, hi), "n": 5}
