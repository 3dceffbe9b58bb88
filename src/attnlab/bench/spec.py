"""What a benchmark case is: a declarative entry of the table in :mod:`attnlab.bench.cases`.

Three kinds of entry, each run by :func:`attnlab.bench.runner.run_case`:

- :class:`TimedCase`: attnlab against a peer, timed. Its ``build`` returns a :class:`Timed` (the two
  callables, the modules they run, the title with shapes); the runner sets train or eval mode, enables or
  disables autograd, warms up, takes the median of alternated repeats and builds the row.
- :class:`MemoryCase`: the peak memory of two :class:`Workload` s, each run in a fresh process.
- :class:`Case`: anything else (a custom function returning the row).

Every row's ``ratio`` is ``attnlab / peer`` in the case's unit (time: lower is better; tokens/s, FLOP/s:
higher is better); its :class:`Target` says which side of the threshold passes.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from torch import nn

from attnlab.validation import check_choice

__all__ = [
    "Case",
    "CaseContext",
    "CaseResult",
    "MemoryCase",
    "Target",
    "Timed",
    "TimedCase",
    "Workload",
]


@dataclass(frozen=True)
class Target:
    """Pass condition of a case: ``subject op value``."""

    op: str  # "<=", ">=" or "=="
    value: float  # threshold
    subject: str = "ratio"  # "ratio" (attnlab / peer) or "attnlab" (the attnlab value itself)
    unit: str = ""  # unit of the threshold when subject is "attnlab"
    aim: bool = False  # an aim to report rather than a hard target

    def __post_init__(self) -> None:
        check_choice("op", self.op, ("<=", ">=", "=="))
        check_choice("subject", self.subject, ("ratio", "attnlab"))

    def check(self, result: CaseResult) -> bool | None:
        x = result.ratio if self.subject == "ratio" else result.attnlab
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return None
        if self.op == "<=":
            return x <= self.value
        if self.op == ">=":
            return x >= self.value
        return x == self.value

    def describe(self) -> str:
        sym = {"<=": "≤", ">=": "≥", "==": "="}[self.op]
        what = "" if self.subject == "ratio" else "attnlab "
        unit = f" {self.unit}" if self.unit else ""
        text = f"{what}{sym} {self.value:g}{unit}"
        return f"{text} (aim)" if self.aim else text


@dataclass
class CaseResult:
    """One row of the benchmark table (the JSON schema of ``attnlab bench --json``)."""

    name: str  # case id, e.g. "mha.fwd_bwd"
    title: str  # what is measured, with shapes
    peer_name: str  # what attnlab is compared against
    unit: str  # unit of `attnlab` and `peer`
    attnlab: float | None = None  # attnlab's value in `unit`
    peer: float | None = None  # the peer's value in `unit`
    ratio: float | None = None  # attnlab / peer
    target: str | None = None  # the target, human-readable
    met: bool | None = None  # None: not evaluated (quick run, failure, or no target)
    notes: str = ""  # one line for the docs
    details: dict = field(default_factory=dict)  # raw timings, shapes, checks
    seconds: float = 0.0  # wall time the case took
    error: str | None = None  # set when the case failed
    measured_utc: str | None = None  # when the run that measured this row started (rows kept by --merge)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class CaseContext:
    """What a case needs to know about the run."""

    quick: bool = False  # tiny shapes, a smoke run
    device: str = "cpu"  # "cpu" or "cuda"
    results: dict[str, CaseResult] = field(default_factory=dict)  # earlier results of this run
    store: dict = field(default_factory=dict)  # objects shared between cases (built models, memory results)

    def pick(self, full, quick):
        """``quick`` in a quick run, else ``full``."""
        return quick if self.quick else full

    @property
    def warmup(self) -> int:
        return 1 if self.quick else 2

    @property
    def repeats(self) -> int:
        return 3 if self.quick else 7


@dataclass(frozen=True)
class Case:
    """A case run by its own function ``fn(ctx) -> CaseResult`` (what the generic runners do not cover)."""

    name: str
    title: str
    fn: Callable[[CaseContext], CaseResult]
    target: Target | None = None
    quick: bool = True  # part of the quick run


@dataclass
class Timed:
    """What a :class:`TimedCase` builder returns: the callables to time and how to describe them.

    ``attnlab`` and ``peer`` each do one unit of work; ``others`` are timed alongside (same rounds) and
    reach ``after``. Without ``work`` the row reports milliseconds per call; with ``work = (attnlab, peer)``
    (units of work per call, e.g. tokens or GFLOP) it reports work per second and the ratio of the rates.
    """

    attnlab: Callable[[], object]
    peer: Callable[[], object]
    title: str  # the row's title, with shapes
    modules: tuple[nn.Module, ...] = ()  # put in train mode (grad cases) or eval mode by the runner
    details: dict[str, Any] = field(default_factory=dict)  # shapes, config: copied into the row
    check: Callable[[], dict[str, Any]] | None = None  # run once before timing (same mode), into details
    others: dict[str, Callable[[], object]] = field(default_factory=dict)
    work: tuple[float, float] | None = None
    after: Callable[[dict], dict[str, Any]] | None = None  # timings -> {"notes": str, "details": dict}


@dataclass(frozen=True)
class TimedCase:
    """attnlab against a peer, timed in alternation (median of repeats after warm-up)."""

    name: str
    title: str  # what is compared (the short form, for --list and the docs)
    peer_name: str  # what attnlab is compared against
    build: Callable[[CaseContext], Timed]  # allocates inputs and returns the callables
    target: Target | None = None
    grad: bool = False  # True: train mode with autograd; False: eval mode under no_grad
    unit: str = "ms"  # "ms", or the rate unit when the builder gives `work`
    warmup: int | None = None  # None: the run's default (CaseContext.warmup)
    repeats: tuple[int, int] | None = None  # (full, quick); None: the run's default (CaseContext.repeats)
    notes: str = ""
    quick: bool = True


@dataclass(frozen=True)
class Workload:
    """A memory workload: ``setup(ctx) -> op``; setup allocates the inputs, ``op()`` runs the measured work
    (in a fresh process, see :func:`attnlab.bench.memory.measure_memory`) and may return a dict of facts."""

    name: str
    setup: Callable[[CaseContext], Callable[[], dict | None]]


@dataclass(frozen=True)
class MemoryCase:
    """Peak memory of attnlab's workload against the peer's, each over its own baseline in a fresh process."""

    name: str
    title: str
    peer_name: str
    attnlab: Workload
    peer: Workload
    describe: Callable[[CaseContext], dict[str, Any]]  # ctx -> {"title", "details"[, "peer_name"]} of the row
    target: Target | None = None
    quick: bool = True


AnyCase = Case | TimedCase | MemoryCase
