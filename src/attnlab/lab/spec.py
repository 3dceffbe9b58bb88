"""What an experiment is: a question, a grid of trials, and two pure functions.

- A :class:`Trial` is a top-level function of a JSON-able config (which includes the seed) returning a
  JSON-able dict of measurements. It trains or measures one condition for one seed and touches no state
  that outlives it: the runner gives it one torch thread, a forked RNG and a fresh process when run in
  parallel, and caches what it returns. A trial that could not measure (e.g. pretrained weights not
  installed) returns ``{"unavailable": reason}``, and a timing taken while other processes held the cores
  returns ``"cache": False``: such outcomes are used but not cached, so the next run measures again.
- ``aggregate(outcomes) -> Aggregate``: evidence (means, paired differences and intervals across
  seeds), plot data, the run's config and the published findings beside it.
- ``rule(evidence) -> Rulings``: per sub-claim the verdict, the branch that decided it, the deciding numbers,
  its preconditions and what would change it; numbers only, no sentence (:mod:`attnlab.lab.rules`).
- ``words``: a :class:`~attnlab.lab.words.Words` that puts the rulings into English and Chinese; together they
  give the :class:`Decision` (``attnlab.lab.decide(qid, result.evidence)`` reproduces a stored verdict) and
  the :class:`Explanation`.

A question is registered with :func:`attnlab.lab.register`; see that module for an example.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from attnlab.results import VERDICTS, AttentionMap, Check, Claim, Evidence, Plot, Reference, check_not_on_failed

__all__ = [
    "Aggregate",
    "Decision",
    "EvidenceSet",
    "Experiment",
    "Explanation",
    "Outcomes",
    "PROFILES",
    "Question",
    "Trial",
    "TrialOutcome",
    "fn_ref",
]

PROFILES: tuple[str, ...] = ("tiny", "quick", "standard", "full")
"""Run sizes: ``tiny`` (tests, seconds); ``quick`` (2 CPU cores, under ten minutes: the standard settings on
fewer seeds, at the learning rates the committed standard run chose); ``standard`` (2 CPU cores, under an
hour: every learning rate swept, five seeds; the committed ``docs/report``); ``full`` (a GPU or a cluster)."""


@dataclass(frozen=True)
class Question:
    """A question's metadata: shown by ``attnlab list`` and the report, stored in every result.

    Args:
        qid: ``"q1"`` ... (lower case letters and digits).
        title: a short English title.
        question: the question in English; ``question_zh`` as the seed asks it.
        claim: the seed's answer in short, in English; ``claim_zh`` the seed's words.
        group: ``"seed"`` for the seed's eight questions, ``"beyond"`` for questions added to them.
    """

    qid: str
    title: str
    question: str
    question_zh: str
    claim: str
    claim_zh: str
    group: str = "seed"

    def __post_init__(self) -> None:
        if not (isinstance(self.qid, str) and self.qid.isalnum() and self.qid.islower()):
            raise ValueError(f"Question.qid: expected lower-case letters and digits like 'q9', got {self.qid!r}")
        if self.group not in ("seed", "beyond"):
            raise ValueError(f"Question.group: expected 'seed' or 'beyond', got {self.group!r}")


def fn_ref(fn: Callable[..., Any]) -> str:
    """``"module:qualname"`` of a top-level function (how workers import a trial)."""
    module, qualname = getattr(fn, "__module__", None), getattr(fn, "__qualname__", "")
    if not callable(fn) or not module or not qualname or "<" in qualname or "." in qualname:
        raise ValueError(f"trial fn: expected a top-level function (importable by name), got {fn!r}")
    return f"{module}:{qualname}"


@dataclass(frozen=True)
class Trial:
    """One condition for one seed: ``fn(config) -> measurements``.

    Args:
        fn: a top-level function taking the config dict and returning a JSON-able dict.
        config: JSON-able settings, including ``"seed"`` where the trial is random.
        exclusive: the trial measures wall time, so it runs alone (after the others) with ``threads``
            threads instead of beside other trials.
        threads: torch threads for an exclusive trial (parallel trials always get one).
    """

    fn: Callable[[dict[str, Any]], dict[str, Any]]
    config: dict[str, Any]
    exclusive: bool = False
    threads: int = 1

    def __post_init__(self) -> None:
        fn_ref(self.fn)
        try:
            json.dumps(self.config, sort_keys=True, allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"Trial.config: expected a JSON-able dict, got {self.config!r} ({exc})") from None
        if not isinstance(self.threads, int) or self.threads < 1:
            raise ValueError(f"Trial.threads: expected an int >= 1, got {self.threads!r}")

    @property
    def ref(self) -> str:
        return fn_ref(self.fn)


@dataclass(frozen=True)
class TrialOutcome:
    """A finished trial: its config, what it measured, its wall time, and whether it came from the cache."""

    config: dict[str, Any]
    measurements: dict[str, Any]
    seconds: float = 0.0
    reused: bool = False


class Outcomes(Sequence[TrialOutcome]):
    """The outcomes of a question's trials, in the order the trials were declared.

    ``outcomes.where(condition="shared")`` selects by config values; ``outcomes.values("accuracy",
    condition="shared")`` lists a measurement over the selected trials, ordered by seed. ``outcomes.tuning``
    is the learning-rate sweep (:class:`~attnlab.lab.tuning.Sweep`) of an experiment with a ``tuning``, else None.
    """

    def __init__(self, items: Sequence[TrialOutcome], tuning: Any = None) -> None:
        self._items = list(items)
        self.tuning = tuning

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, i):  # type: ignore[override]
        return self._items[i]

    def __iter__(self) -> Iterator[TrialOutcome]:
        return iter(self._items)

    def where(self, **match: Any) -> list[TrialOutcome]:
        """Outcomes whose config has every ``key == value`` of ``match``, ordered by seed."""
        hits = [o for o in self._items if all(o.config.get(k) == v for k, v in match.items())]
        return sorted(hits, key=lambda o: o.config.get("seed", 0))

    def values(self, key: str, **match: Any) -> list[Any]:
        """Measurement ``key`` of every outcome matching ``match``, ordered by seed."""
        hits = self.where(**match)
        if not hits:
            raise KeyError(f"no trial matches {match}")
        return [o.measurements[key] for o in hits]

    def one(self, **match: Any) -> TrialOutcome:
        """The single outcome matching ``match``."""
        hits = self.where(**match)
        if len(hits) != 1:
            raise KeyError(f"expected one trial matching {match}, got {len(hits)}")
        return hits[0]

    @property
    def seconds(self) -> float:
        return sum(o.seconds for o in self._items)


@dataclass
class Aggregate:
    """What ``aggregate`` returns: evidence, plot data, the run's settings, published findings, and
    attention maps of a real model for the report's explorer."""

    evidence: list[Evidence]
    plots: list[Plot] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    literature: list[Reference] = field(default_factory=list)
    attention_maps: list[AttentionMap] = field(default_factory=list)


@dataclass(frozen=True)
class Decision:
    """What ``decide`` returns: the verdict, the rule with its numbers, the checks and the sub-claims.

    A verdict other than ``"inconclusive"`` never stands on a failed check (enforced here).
    """

    verdict: str
    rule: str
    checks: tuple[Check, ...] = ()
    claims: tuple[Claim, ...] = ()

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"Decision.verdict: expected one of {VERDICTS}, got {self.verdict!r}")
        object.__setattr__(self, "checks", tuple(self.checks))
        object.__setattr__(self, "claims", tuple(self.claims))
        check_not_on_failed("Decision", self.verdict, self.checks)


@dataclass(frozen=True)
class Explanation:
    """The texts built from the numbers: the short answer (2-4 sentences, English and Chinese: what holds,
    under which conditions, how sure we are) and a longer summary paragraph."""

    summary: str
    answer_en: str = ""
    answer_zh: str = ""
    oneline_en: str = ""  # the answer in one sentence: the verdict and the number that makes it stick
    oneline_zh: str = ""


class EvidenceSet(Mapping[str, Evidence]):
    """Evidence by name, for rules: ``ev["acc_shared"].number``; a missing name says which exist."""

    def __init__(self, evidence: Sequence[Evidence]) -> None:
        self._by_name = {e.name: e for e in evidence}

    def __getitem__(self, name: str) -> Evidence:
        try:
            return self._by_name[name]
        except KeyError:
            raise KeyError(f"evidence {name!r} missing; have {sorted(self._by_name)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_name)

    def __len__(self) -> int:
        return len(self._by_name)


@dataclass(frozen=True)
class Experiment:
    """A question, its grid of trials, its pure rule and its words.

    Args:
        question: the :class:`Question`.
        trials: ``trials(profile, seeds) -> list[Trial]``.
        aggregate: ``aggregate(outcomes: Outcomes) -> Aggregate``.
        rule: ``rule(evidence) -> Rulings`` (pure; numbers and verdicts, no sentence: :mod:`attnlab.lab.rules`).
        words: the question's :class:`~attnlab.lab.words.Words` (its sentences in English and Chinese).
        n_seeds: default number of seeds per profile.
        tuning: a :class:`~attnlab.lab.tuning.Tuning` when the compared conditions train: the runner sweeps
            their learning rates first and gives trials that ask for ``"lr": "tuned"`` the chosen one.
    """

    question: Question
    trials: Callable[[str, list[int]], list[Trial]]
    aggregate: Callable[[Outcomes], Aggregate]
    rule: Callable[[Sequence[Evidence]], Any]
    words: Any
    n_seeds: Mapping[str, int] = field(default_factory=lambda: {"tiny": 2, "quick": 3, "standard": 5, "full": 10})
    tuning: Any = None

    def judge(self, evidence: Sequence[Evidence]) -> tuple[Decision, Explanation]:
        """The rule applied to ``evidence``, in words: the :class:`Decision` and the :class:`Explanation`."""
        from attnlab.lab.words import explain

        return explain(self.words, self.rule(list(evidence)), evidence)

    def decide(self, evidence: Sequence[Evidence]) -> Decision:
        """The verdict, the rule's text, the checks and the sub-claims (pure)."""
        return self.judge(evidence)[0]

    def explain(self, evidence: Sequence[Evidence]) -> Explanation:
        """The summary and the short answers in English and Chinese (pure)."""
        return self.judge(evidence)[1]

    @property
    def qid(self) -> str:
        return self.question.qid

    def seeds(self, profile: str, n: int | None = None) -> list[int]:
        """Seeds ``0 .. n-1``; ``n`` defaults to this experiment's count for ``profile``."""
        if profile not in PROFILES:
            raise ValueError(f"profile: expected one of {PROFILES}, got {profile!r}")
        n = self.n_seeds.get(profile, 1) if n is None else n
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"seeds: expected an int >= 1, got {n!r}")
        return list(range(n))
