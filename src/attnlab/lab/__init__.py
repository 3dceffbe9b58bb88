"""The machinery every question uses: grids of trials, run, cached, aggregated, decided by pure rules, worded.

- :mod:`~attnlab.lab.spec`: :class:`Question`, :class:`Trial`, :class:`Experiment` and what its
  functions return (:class:`Aggregate`, :class:`Decision`, :class:`Explanation`);
- :mod:`~attnlab.lab.registry`: :func:`register` (with a complete example), the built-in questions;
- :mod:`~attnlab.lab.runner`: :func:`run_questions`, :func:`decide`;
- :mod:`~attnlab.lab.executors`: in-process, local process pool, Ray;
- :mod:`~attnlab.lab.cache`: the trial cache (resume);
- :mod:`~attnlab.lab.stats`: intervals, paired differences, steps-to-threshold;
- :mod:`~attnlab.lab.training`: ``fit`` (train to a budget, read the curve); :mod:`~attnlab.lab.timings`:
  timing evidence;
- :mod:`~attnlab.lab.rules`: what a rule returns (numbers and verdicts, no sentence);
- :mod:`~attnlab.lab.words`: the words engine (sentences from rulings, language-aware numbers, a Chinese lint).

The questions themselves are packages under :mod:`attnlab.questions`. Nothing below ``lab`` imports it.
"""

from attnlab.lab import rules, stats, words
from attnlab.lab.context import OutputError, pick
from attnlab.lab.registry import get_experiment, list_questions, register
from attnlab.lab.runner import RunReport, build_result, decide, run_questions
from attnlab.lab.spec import (
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
    "rules",
    "stats",
    "words",
]
