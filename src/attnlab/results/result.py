"""A question's result, and reading and writing it atomically."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attnlab.results.evidence import (
    SCHEMA_VERSION,
    VERDICTS,
    Check,
    Claim,
    Evidence,
    Reference,
    ResultError,
    check_not_on_failed,
)
from attnlab.results.io import atomic_write_text, jsonable
from attnlab.results.plots import AttentionMap, Plot

# ----------------------------------------------------------------------------------------------------
# The result of one question
# ----------------------------------------------------------------------------------------------------


@dataclass
class Result:
    """The outcome of one question's run, serialised as ``OUT/<qid>/result.json``.

    Args:
        qid: question id (``"q1"`` ...).
        question: the question in English; ``question_zh`` as the seed asks it.
        claim: the seed's answer in short (English); ``claim_zh`` its words.
        verdict: one of :data:`VERDICTS`, from the experiment's ``decide`` applied to ``evidence``.
        rule: the overall rule with its numbers.
        summary: a paragraph saying what was measured and what it shows.
        answer: the short answer, ``{"en": ..., "zh": ...}``.
        oneline: the answer in one sentence with its verdict and deciding number, ``{"en": ..., "zh": ...}``
            (at most 25 English words, 50 Chinese characters); empty in results written before it existed.
        checks: preconditions of the verdict; a failed one makes the verdict ``"inconclusive"``.
        claims: the sub-claims, each with its verdict.
        evidence: the measured quantities.
        literature: published findings beside ours (including counter-literature).
        plots: the data each figure is drawn from; ``figures`` the files drawn (relative to ``OUT/<qid>``).
        config: the settings of the run; ``seeds``, ``profile``, ``versions`` as run.
        seconds: wall time of the question's trials (summed over trials run now and reused).
        trials: ``{"total", "run", "reused"}`` counts.
        attention_maps: attention of a real model on a few inputs, explored interactively in the report.
        group: ``"seed"`` (the seed's questions) or ``"beyond"``.
    """

    qid: str
    question: str
    claim: str
    verdict: str
    rule: str
    summary: str
    evidence: list[Evidence] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    answer: dict[str, str] = field(default_factory=dict)
    oneline: dict[str, str] = field(default_factory=dict)
    literature: list[Reference] = field(default_factory=list)
    plots: list[Plot] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    seeds: list[int] = field(default_factory=list)
    versions: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    profile: str = ""
    question_zh: str = ""
    claim_zh: str = ""
    title: str = ""
    trials: dict[str, int] = field(default_factory=dict)
    attention_maps: list[AttentionMap] = field(default_factory=list)
    group: str = "seed"
    schema: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"Result.verdict: expected one of {VERDICTS}, got {self.verdict!r}")
        self.evidence = [e if isinstance(e, Evidence) else Evidence.from_dict(e) for e in self.evidence]
        self.checks = [c if isinstance(c, Check) else Check.from_dict(c) for c in self.checks]
        self.claims = [c if isinstance(c, Claim) else Claim.from_dict(c) for c in self.claims]
        self.literature = [r if isinstance(r, Reference) else Reference(**r) for r in self.literature]
        self.plots = [p if isinstance(p, Plot) else Plot.from_dict(p) for p in self.plots]
        self.attention_maps = [m if isinstance(m, AttentionMap) else AttentionMap.from_dict(m)
                               for m in self.attention_maps]
        check_not_on_failed(f"Result {self.qid}", self.verdict, self.checks)

    def get(self, name: str) -> Evidence:
        """The evidence called ``name`` (``KeyError`` naming the ones there are if absent)."""
        for e in self.evidence:
            if e.name == name:
                return e
        raise KeyError(f"no evidence named {name!r} in {self.qid}; have {[e.name for e in self.evidence]}")

    def to_dict(self) -> dict[str, Any]:
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        d["evidence"] = [e.to_dict() for e in self.evidence]
        d["checks"] = [c.to_dict() for c in self.checks]
        d["claims"] = [c.to_dict() for c in self.claims]
        d["literature"] = [r.to_dict() for r in self.literature]
        d["plots"] = [p.to_dict() for p in self.plots]
        d["attention_maps"] = [m.to_dict() for m in self.attention_maps]
        return jsonable(d)

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Result:
        if not isinstance(d, dict):
            raise ResultError(f"expected a JSON object, got {type(d).__name__}")
        schema = d.get("schema", 1)
        if not isinstance(schema, int) or schema > SCHEMA_VERSION:
            raise ResultError(f"schema: expected a version <= {SCHEMA_VERSION} (this attnlab), got {schema!r}; "
                              "upgrade attnlab to read it")
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in d.items() if k in names}
        kw["evidence"] = [Evidence.from_dict(e) for e in d.get("evidence", [])]
        kw["schema"] = SCHEMA_VERSION  # upgraded in memory; written back in the current schema
        return cls(**kw)

    @classmethod
    def from_json(cls, text: str) -> Result:
        return cls.from_dict(json.loads(text))


def result_path(out_dir: str | Path, qid: str) -> Path:
    """``OUT/<qid>/result.json``."""
    return Path(out_dir) / qid / "result.json"


def write_result(result: Result, out_dir: str | Path) -> Path:
    """Write ``result`` to ``out_dir/<qid>/result.json`` atomically; returns the path."""
    return atomic_write_text(result_path(out_dir, result.qid), result.to_json() + "\n")


def read_result(out_dir: str | Path, qid: str) -> Result | None:
    """Read ``out_dir/<qid>/result.json``; ``None`` if there is none.

    Raises:
        ResultError: the file exists but is not a valid result (truncated, not JSON, a newer schema).
    """
    path = result_path(out_dir, qid)
    if not path.is_file():
        return None
    try:
        return Result.from_json(path.read_text(encoding="utf-8"))
    except ResultError as exc:
        raise ResultError(f"{path}: {exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ResultError(f"{path}: not a valid result.json ({type(exc).__name__}: {exc})") from None
