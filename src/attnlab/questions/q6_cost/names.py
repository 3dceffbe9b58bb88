"""q6's evidence names, defined once: ``aggregate`` writes them, ``rule`` and ``words`` read them."""

from __future__ import annotations

from collections.abc import Iterable

# ---- the derivation (counted on the modules)
PARAMS_MISMATCHES = "params_formula_mismatches"
FLOPS_MISMATCHES = "flops_formula_mismatches"
PARAMS_TABLE = "params_table"
FLOPS_TABLE = "flops_table"
FEWER_PARAMS_SHARE = "attention_fewer_params_share"
FEWER_FLOPS_SHARE = "attention_fewer_flops_share"
BLOCK_OVER_LSTM = "block_over_lstm_params"
MIN_KERNEL = "min_kernel_attention_fewer"
FLOPS_CROSSOVER = "flops_crossover_lstm_over_d"
DERIVATION = (FEWER_PARAMS_SHARE, FEWER_FLOPS_SHARE, PARAMS_TABLE, FLOPS_TABLE, BLOCK_OVER_LSTM, MIN_KERNEL,
              FLOPS_CROSSOVER)

# ---- timings
MEASURED_CROSSOVER = "measured_crossover_lstm"
OTHERS_CORES = "others_cores"  # written by attnlab.lab.timings.load_evidence
MACHINE_CPUS = "machine_cpus"  # written by attnlab.lab.timings.load_evidence
TIMING_REGIME = "timing_regime"  # [threads, tokens per batch, d]: CPU, batch = tokens // n

# ---- marked recall
NO_MARKER = "no_marker"  # the task's baseline that ignores the marked token
CNN_REACH = "cnn_reach"
STEPS_READ = "read_at_step"  # the step counts at which the recall runs were read (one when budgets are equal)
EVAL_EVERY = "eval_every"


def lr(model: str) -> str:
    """The learning rate the sweep chose for ``model``."""
    return f"lr_{model}"


def ms(kind: str, n: int) -> str:
    """Median milliseconds of layer ``kind`` at length ``n``."""
    return f"ms_{kind}_n{n}"


def time_ratio(rival: str, n: int | str) -> str:
    """Wall time of self-attention / ``rival``'s at length ``n``."""
    return f"time_ratio_{rival}_n{n}"


def flops_ratio(rival: str, n: int) -> str:
    """FLOPs of self-attention / ``rival``'s at length ``n``."""
    return f"flops_ratio_{rival}_n{n}"


def baseline(name: str) -> str:
    """The task's exact baseline ``name`` (``"chance"``, ``"no_marker"``)."""
    return f"baseline_{name}"


def params(model: str) -> str:
    """Parameters of ``model`` as trained."""
    return f"params_{model}"


def acc(model: str, distance: int | str) -> str:
    """Held-out accuracy of ``model`` at ``distance``."""
    return f"acc_{model}_d{distance}"


def steps(model: str, distance: int) -> str:
    """Steps to the threshold of ``model`` at ``distance``."""
    return f"steps_{model}_d{distance}"


def gain(rival: str, distance: int) -> str:
    """Paired held-out accuracy, attention - ``rival``, at ``distance``."""
    return f"gain_vs_{rival}_d{distance}"


def steps_ratio(rival: str, distance: int) -> str:
    """Steps to the threshold, ``rival`` / attention, at ``distance``."""
    return f"steps_ratio_{rival}_d{distance}"


def steps_growth(rival: str) -> str:
    """(``rival`` / attention steps at the longest distance) / (the same at the shortest)."""
    return f"steps_growth_{rival}"


def _numbers(names: Iterable[str], prefix: str) -> list[int]:
    return sorted(int(k[len(prefix):]) for k in names if k.startswith(prefix) and k[len(prefix):].isdigit())


def distances(names: Iterable[str]) -> list[int]:
    """The distances attention was trained at, read off the evidence's names."""
    return _numbers(names, acc("attention", ""))


def lengths(names: Iterable[str]) -> list[int]:
    """The lengths timed, read off the evidence's names."""
    return _numbers(names, time_ratio("lstm", ""))
