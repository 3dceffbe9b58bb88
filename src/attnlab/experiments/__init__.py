"""The eight questions of the seed as reproducible experiments.

Each question lives in its own module (``q1_heads`` ... ``q8_scores``), imported lazily by
:func:`get_experiment`, so ``attnlab list`` stays fast. See :mod:`attnlab.experiments.base`.
"""

from attnlab.experiments.base import (
    PROFILES,
    VERDICTS,
    Evidence,
    Experiment,
    ExperimentError,
    ExperimentInfo,
    Result,
    RunContext,
    fmt_ci,
    get_experiment,
    get_info,
    list_experiments,
    mean_ci,
    read_result,
    register,
    run_experiment,
    write_result,
)

__all__ = [
    "PROFILES",
    "VERDICTS",
    "Evidence",
    "Experiment",
    "ExperimentError",
    "ExperimentInfo",
    "Result",
    "RunContext",
    "fmt_ci",
    "get_experiment",
    "get_info",
    "list_experiments",
    "mean_ci",
    "read_result",
    "register",
    "run_experiment",
    "write_result",
]
