"""The results schema: what an experiment measured, what it concluded, and how to draw it.

A run of one question writes ``OUT/<qid>/result.json`` (:func:`write_result`, atomic); everything above
the experiments (the report, the figures, the benchmarks, the CLI's ``ask``) reads it back with
:func:`read_result`. This package imports nothing else from attnlab, so every layer can depend on it.

Schema (``SCHEMA_VERSION`` 3)::

    {"schema", "qid", "title", "question", "question_zh", "claim", "claim_zh",
     "verdict", "rule", "summary", "answer": {"en", "zh"}, "oneline": {"en", "zh"},
     "checks":   [{"name", "passed", "detail"}],                 # preconditions of the verdict
     "claims":   [{"name", "statement", "verdict", "rule", "checks", "evidence", "basis"}],  # sub-claims
     "evidence": [{"name", "label", "value", "ci", "ci_method", "n", "unit", "bounds", "anchor",
                   "per_seed", "timing", "label_zh", "ci_kind"}],
     "literature": [{"source", "url", "finding", "regime", "stance", "finding_zh", "regime_zh"}],
     "plots": [...], "figures": [...], "config", "seeds", "profile", "versions", "seconds",
     "trials": {"total", "run", "reused"}}

Schema 2 files (no ``ci_kind``) are read and upgraded: an interval whose method starts "range over" is a
spread, any other a confidence interval. Files written before the schema had a version (attnlab 0.1,
"schema 1") are read and upgraded: their evidence gains empty labels and no intervals' methods, and their
anchors (plain text) become :class:`Anchor` objects whose ``value`` holds the text.
"""

from attnlab.results.evidence import (
    CI_KINDS,
    SCHEMA_VERSION,
    VERDICTS,
    Anchor,
    Check,
    Claim,
    Evidence,
    Reference,
    ResultError,
    check_not_on_failed,
)
from attnlab.results.io import atomic_write_bytes, atomic_write_text, jsonable
from attnlab.results.plots import AttentionMap, HeadSteps, Heatmap, Panel, Plot, RefLine, Series
from attnlab.results.result import (
    Result,
    read_result,
    result_path,
    write_result,
)

__all__ = [
    "CI_KINDS",
    "SCHEMA_VERSION",
    "VERDICTS",
    "Anchor",
    "AttentionMap",
    "Check",
    "Claim",
    "Evidence",
    "HeadSteps",
    "Heatmap",
    "Panel",
    "Plot",
    "RefLine",
    "Reference",
    "Result",
    "ResultError",
    "Series",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_not_on_failed",
    "jsonable",
    "read_result",
    "result_path",
    "write_result",
]
