"""Learning curves of several runs of one condition, averaged for plotting.

A run trained to a threshold with early stopping ends early; from then on it counts with its last
evaluated accuracy (it stopped because it had learned), so the mean does not drop when fast runs stop.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["mean_curve"]


def mean_curve(curves: Sequence[Sequence[Sequence[float]]]) -> tuple[list[int], list[float]]:
    """Mean accuracy at every evaluated step of any run.

    Args:
        curves: one curve per run, each a list of ``[step, accuracy]`` pairs in step order.

    Returns:
        ``(steps, means)``: the union of the evaluated steps and the mean accuracy at each; a run not yet
        evaluated at a step counts with its first value, a run that stopped with its last.
    """
    if not curves or any(not c for c in curves):
        raise ValueError("curves: expected at least one non-empty curve of [step, accuracy] pairs")
    steps = sorted({int(s) for c in curves for s, _ in c})
    means = []
    for s in steps:
        vals = []
        for c in curves:
            upto = [a for st, a in c if st <= s]
            vals.append(upto[-1] if upto else c[0][1])
        means.append(sum(vals) / len(vals))
    return steps, means
