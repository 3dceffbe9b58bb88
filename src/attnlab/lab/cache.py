"""The trial cache, which is also how a run resumes: ``OUT/<qid>/trials/<key>.json``.

The key hashes the question id, the trial function's name, its config (seed included), the attnlab
version and a digest of the trial function's source, so a changed config or a changed trial never
reuses a stale result, while editing how a question aggregates, decides or draws reuses every trial.
(Code a trial calls is covered by the version, not by the digest.) Each file is written atomically as
soon as its trial finishes; a killed run loses at most the trials in flight. A file that is truncated,
unreadable, edited or written for another trial is reported in one line and recomputed; it never
crashes the run or poisons a result.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import inspect
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from attnlab.lab.spec import Trial, TrialOutcome
from attnlab.results import atomic_write_text

__all__ = ["CACHE_SCHEMA", "TrialCache", "attnlab_version", "code_digest"]

CACHE_SCHEMA = 1


def attnlab_version() -> str:
    import attnlab

    return attnlab.__version__


@functools.cache
def code_digest(ref: str) -> str:
    """First 16 hex digits of the SHA-256 of the source of the function ``"module:qualname"`` (``""`` if unknown)."""
    module, _, name = ref.partition(":")
    try:
        data = inspect.getsource(getattr(importlib.import_module(module), name)).encode("utf-8")
    except (AttributeError, TypeError, OSError):
        data = b""
    return hashlib.sha256(data).hexdigest()[:16] if data else ""


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _digest(obj: Any) -> str:
    return hashlib.sha256(_canonical(obj).encode("utf-8")).hexdigest()


class TrialCache:
    """Finished trials of one question in ``out_dir/<qid>/trials``.

    Args:
        out_dir: the run's output root.
        qid: the question id.
        warn: called with a one-line message when a cached file cannot be used.
    """

    def __init__(self, out_dir: str | Path, qid: str, warn: Callable[[str], None] | None = None) -> None:
        self.qid = qid
        self.dir = Path(out_dir) / qid / "trials"
        self._warn = warn or (lambda message: None)
        self.used: set[str] = set()  # keys this run loaded or stored (what :meth:`prune` keeps)

    def _identity(self, trial: Trial) -> dict[str, Any]:
        return {"qid": self.qid, "fn": trial.ref, "config": trial.config, "version": attnlab_version(),
                "code": code_digest(trial.ref)}

    def key(self, trial: Trial) -> str:
        """The trial's cache key: 24 hex digits of a hash of its identity."""
        return _digest(self._identity(trial))[:24]

    def path(self, trial: Trial) -> Path:
        return self.dir / f"{self.key(trial)}.json"

    def load(self, trial: Trial) -> TrialOutcome | None:
        """The cached outcome of ``trial``, or ``None`` (missing, or unusable: then ``warn`` is called)."""
        path = self.path(trial)
        if not path.exists():
            return None
        self.used.add(path.stem)
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            problem = self._problem(record, trial)
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            problem = f"unreadable ({type(exc).__name__}: {exc})"
        if problem:
            self._warn(f"{self.qid}: cached trial {path.name} {problem}; recomputing it")
            return None
        return TrialOutcome(config=trial.config, measurements=record["measurements"],
                            seconds=float(record["seconds"]), reused=True)

    def _problem(self, record: Any, trial: Trial) -> str:
        if not isinstance(record, dict):
            return "is not a JSON object"
        if record.get("schema") != CACHE_SCHEMA:
            return f"has cache schema {record.get('schema')!r}, expected {CACHE_SCHEMA}"
        if record.get("identity") != self._identity(trial):
            return "belongs to another trial"
        if not isinstance(record.get("measurements"), dict) or not isinstance(record.get("seconds"), (int, float)):
            return "lacks its measurements"
        if record.get("digest") != _digest({"identity": record["identity"], "measurements": record["measurements"]}):
            return "does not match its checksum (edited or damaged)"
        return ""

    def store(self, trial: Trial, measurements: dict[str, Any], seconds: float) -> Path:
        """Write a finished trial atomically; returns the file's path."""
        identity = self._identity(trial)
        record = {"schema": CACHE_SCHEMA, "identity": identity, "measurements": measurements,
                  "seconds": round(float(seconds), 4),
                  "digest": _digest({"identity": identity, "measurements": measurements})}
        self.used.add(self.key(trial))
        return atomic_write_text(self.path(trial), json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")

    def prune(self) -> int:
        """Delete the cached trials this run did not use (stale configs and code); returns how many."""
        stale = [p for p in self.dir.glob("*.json") if p.stem not in self.used] if self.dir.is_dir() else []
        for p in stale:
            p.unlink()
        return len(stale)
