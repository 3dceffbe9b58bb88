"""The seed's questions as reproducible experiments: grids of trials, aggregated and decided by pure rules.

- :mod:`~attnlab.experiments.spec`: :class:`Question`, :class:`Trial`, :class:`Experiment` and what its
  functions return (:class:`Aggregate`, :class:`Decision`, :class:`Explanation`);
- :mod:`~attnlab.experiments.registry`: :func:`register` (with a complete example), the built-in questions;
- :mod:`~attnlab.experiments.runner`: :func:`run_questions`, :func:`decide`;
- :mod:`~attnlab.experiments.executors`: in-process, local process pool, Ray;
- :mod:`~attnlab.experiments.cache`: the trial cache (resume);
- :mod:`~attnlab.experiments.stats`: intervals, paired differences, steps-to-threshold;
- one module per question (``q1_heads`` ... ``q8_scores``).

Nothing outside this package imports it, except the command line.
"""

from attnlab.experiments import stats
from attnlab.experiments.context import OutputError, pick
from attnlab.experiments.registry import get_experiment, list_questions, register
from attnlab.experiments.runner import RunReport, build_result, decide, run_questions
from attnlab.experiments.spec import (
    PROFILES,
    Aggregate,
    Decision,
    EvidenceSet,
    Experiment,
    Explanation,
    Outcomes,
    Question,
    Trial,
    TrialOutcome,
)

__all__ = [
    "PROFILES",
    "Aggregate",
    "Decision",
    "EvidenceSet",
    "Experiment",
    "Explanation",
    "OutputError",
    "Outcomes",
    "Question",
    "RunReport",
    "Trial",
    "TrialOutcome",
    "build_result",
    "decide",
    "get_experiment",
    "list_questions",
    "pick",
    "register",
    "run_questions",
    "stats",
]
