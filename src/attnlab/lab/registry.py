"""The registry of questions: the built-in ones, those of installed plugins, and your own.

The built-in questions are the modules in :data:`BUILTIN_MODULES`; a package can add questions through
the entry-point group ``attnlab.lab`` (each entry point names a module that registers its
questions when imported); code can call :func:`register` directly. Adding a question is one file plus
one :func:`register` call. A complete example (it runs as written)::

    import random

    from attnlab.lab import (Aggregate, Decision, EvidenceSet, Experiment, Question, Trial,
                                     register, run_questions, stats)
    from attnlab.results import Check, Claim


    def flip_trial(config):
        # A trial: a top-level, pure function of its config (which includes the seed).
        rng = random.Random(config["seed"])
        return {"heads": sum(rng.random() < 0.5 for _ in range(config["flips"])) / config["flips"]}


    def trials(profile, seeds):
        flips = {"tiny": 100, "quick": 1000, "full": 100000}[profile]
        return [Trial(flip_trial, {"seed": s, "flips": flips}) for s in seeds]


    def aggregate(outcomes):
        heads = outcomes.values("heads")
        return Aggregate([stats.evidence_from("heads_share", heads, label="share of heads",
                                              unit="fraction", bounds=(0, 1))])


    def decide(evidence):
        share = EvidenceSet(evidence)["heads_share"]
        enough = Check("five_seeds", share.n >= 5, f"{share.n} seeds")
        lo, hi = share.ci or (share.number, share.number)
        if not enough.passed:
            verdict = "inconclusive"
        else:
            verdict = "confirmed" if lo <= 0.5 <= hi else "refuted"
        rule = f"{verdict}: share {share.number:.3f} [{lo:.3f}, {hi:.3f}]; confirmed if the interval holds 0.5"
        claim = Claim("fair", "the coin is fair", verdict, rule, checks=(enough,), evidence=("heads_share",))
        return Decision(verdict, rule, checks=(enough,), claims=(claim,))


    register(Experiment(
        Question("q99", "Is the coin fair?", "Is the coin fair?", "硬币公平吗?", "It is fair.", "公平。"),
        trials=trials, aggregate=aggregate, decide=decide,
    ))

    results = run_questions(["q99"], profile="tiny", out="coin-report", jobs=1, progress=False)
    print(results["q99"].verdict, results["q99"].rule)
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


def _load() -> None:
    """Import the built-in question modules and the plugins' entry points (once)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILTIN_MODULES.values():
        importlib.import_module(module)
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
        module = importlib.import_module(BUILTIN_MODULES[qid])
        if qid not in _REGISTRY and isinstance(getattr(module, "EXPERIMENT", None), Experiment):
            register(module.EXPERIMENT)  # imported before, then taken out by restore()
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
