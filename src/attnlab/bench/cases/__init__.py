"""The table of benchmark cases behind ``attnlab bench``, in the order they run.

Each entry is declarative (:mod:`attnlab.bench.spec`): a name, what attnlab is compared against, a builder
that returns the two callables (or the two memory workloads), and the target if any; one generic runner
(:func:`attnlab.bench.runner.run_case`) runs them all. The cases live by topic:

- :mod:`~attnlab.bench.cases.mha`: MultiHeadAttention against torch's, score and position switches;
- :mod:`~attnlab.bench.cases.kernels`: the additive score's chunked kernel, the sliding window, the FLOP rate;
- :mod:`~attnlab.bench.cases.gpt2`: the language model against Hugging Face GPT-2;
- :mod:`~attnlab.bench.cases.hooks`: a forward with no hook set costs what a never-hooked one does;
- :mod:`~attnlab.bench.cases.mixers`: MLA's decode against MHA and GQA, recurrent mixers' decode steps as T grows;
- :mod:`~attnlab.bench.cases.suite`: the experiment runner and the quick report.

Order matters once: ``scores.additive.long`` extrapolates from the peak that ``scores.additive.memory``
measured before it in the same run.
"""

from __future__ import annotations

from attnlab.bench import spec
from attnlab.bench.cases import gpt2, hooks, kernels, mha, mixers, suite
from attnlab.bench.cases.suite import read_report_seconds
from attnlab.bench.runner import run_case
from attnlab.bench.runner import select_cases as _select
from attnlab.bench.spec import *  # noqa: F403  (every name of what a case is: spec.__all__)
from attnlab.bench.spec import AnyCase, Workload

# the table and how to run it, with every name of what a case is
__all__ = ["CASES", "MEMORY_WORKLOADS", *spec.__all__, "read_report_seconds", "run_case", "select_cases"]

TABLE: list[AnyCase] = [
    *mha.MHA,
    *mha.SCORES,
    *kernels.ADDITIVE,
    *mha.POSITIONS,
    *kernels.WINDOW,
    *gpt2.GPT2,
    *hooks.HOOKS,
    *mixers.MIXERS,
    kernels.MATMUL,
    *suite.SUITE,
]


def _by_name(items) -> dict:
    out = {}
    for item in items:
        if item.name in out:
            raise ValueError(f"case {item.name!r} is in the table twice")
        out[item.name] = item
    return out


CASES: dict[str, AnyCase] = _by_name(TABLE)
MEMORY_WORKLOADS: dict[str, Workload] = _by_name(kernels.WORKLOADS)


def select_cases(quick: bool, names: list[str] | None = None) -> list[AnyCase]:
    """Cases to run: the ``names`` given (exact or prefix, e.g. "mha"), else all (quick: the quick ones)."""
    return _select(TABLE, quick, names)
