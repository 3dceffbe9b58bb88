"""The registry of questions: the built-in ones, those of installed plugins, and your own.

The built-in questions are the modules in :data:`BUILTIN_MODULES`; a package can add questions through
the entry-point group ``attnlab.questions`` (each entry point names a module that registers its
questions when imported); code can call :func:`register` directly. Adding a question is one package plus
one line in :data:`BUILTIN_MODULES` (or a :func:`register` call, for a question of your own). A complete
example, a whole question package that runs as written, is in ``docs/adding-a-question.md`` (the test suite
runs it).
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from attnlab.lab.spec import Experiment, Question

__all__ = [
    "BUILTIN_MODULES",
    "ENTRY_POINT_GROUP",
    "get_experiment",
    "list_questions",
    "register",
    "snapshot",
    "restore",
]

BUILTIN_MODULES: dict[str, str] = {
    # one line per built-in question: its id and its package
    "q1": "attnlab.questions.q1_heads",
    "q2": "attnlab.questions.q2_qk",
    "q3": "attnlab.questions.q3_scaling",
    "q4": "attnlab.questions.q4_variance",
    "q5": "attnlab.questions.q5_parallel",
    "q6": "attnlab.questions.q6_cost",
    "q7": "attnlab.questions.q7_why",
    "q8": "attnlab.questions.q8_scores",
    "q9": "attnlab.questions.q9_positions",
    "q10": "attnlab.questions.q10_sinks",
    "q11": "attnlab.questions.q11_explanation",
    "q12": "attnlab.questions.q12_induction",
    "q13": "attnlab.questions.q13_kv_cache",
    "q14": "attnlab.questions.q14_mixers",
}
ENTRY_POINT_GROUP = "attnlab.questions"

_REGISTRY: dict[str, Experiment] = {}
_loaded = False


def register(experiment: Experiment, *, replace: bool = False) -> Experiment:
    """Register ``experiment`` under its question id; returns it.

    Raises:
        TypeError: not an :class:`~attnlab.lab.spec.Experiment`.
        ValueError: the id is taken by another experiment and ``replace`` is False.
    """
    if not isinstance(experiment, Experiment):
        raise TypeError(f"register: expected an Experiment, got {type(experiment).__name__}")
    qid = experiment.qid
    if qid in _REGISTRY and _REGISTRY[qid] is not experiment and not replace:
        raise ValueError(f"register: question id {qid!r} is already registered "
                         f"({_REGISTRY[qid].question.title!r}); pass replace=True to replace it")
    _REGISTRY[qid] = experiment
    return experiment


def _builtin(qid: str) -> None:
    """Import built-in question ``qid``; register it again if it was taken out by :func:`restore`."""
    module = importlib.import_module(BUILTIN_MODULES[qid])
    if qid not in _REGISTRY and isinstance(getattr(module, "EXPERIMENT", None), Experiment):
        register(module.EXPERIMENT)


def _load() -> None:
    """Import the built-in questions, and the plugins' entry points (once)."""
    global _loaded
    for qid in BUILTIN_MODULES:
        _builtin(qid)
    if _loaded:
        return
    _loaded = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            ep.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin is reported, the built-in questions still run
            raise ImportError(f"attnlab plugin {ep.name!r} ({ep.value}) failed to import: {exc}") from exc


def _order(qid: str) -> tuple[int, int, str]:
    digits = "".join(ch for ch in qid if ch.isdigit())
    return (0, int(digits), qid) if qid.startswith("q") and digits and qid[1:] == digits else (1, 0, qid)


def list_questions() -> list[Question]:
    """Every registered question: the seed's eight first, then the others, in id order."""
    _load()
    exps = sorted(_REGISTRY.values(), key=lambda e: (e.question.group != "seed", _order(e.qid)))
    return [e.question for e in exps]


def get_experiment(qid: str) -> Experiment:
    """The experiment registered under ``qid`` (``ValueError`` naming the known ids otherwise)."""
    if qid in BUILTIN_MODULES and qid not in _REGISTRY:  # one question needs only its own package
        _builtin(qid)
    if qid not in _REGISTRY:
        _load()
    if qid not in _REGISTRY:
        raise ValueError(f"qid: expected one of {[q.qid for q in list_questions()]}, got {qid!r}")
    return _REGISTRY[qid]


def snapshot() -> dict[str, Experiment]:
    """A copy of the registry (tests restore it with :func:`restore`; built-in questions come back on demand)."""
    return dict(_REGISTRY)


def restore(saved: dict[str, Experiment]) -> None:
    """Put back a registry saved by :func:`snapshot`."""
    _REGISTRY.clear()
    _REGISTRY.update(saved)
