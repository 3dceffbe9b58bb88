"""Small plotting helpers shared by the experiments (matplotlib, headless).

All helpers use the non-interactive ``Agg`` backend, so they work without a display.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["errorbar_line", "new_figure", "VERDICT_COLORS"]

VERDICT_COLORS = {
    "confirmed": "#1a7f37",
    "qualified": "#b35900",
    "refuted": "#c62828",
    "inconclusive": "#57606a",
    "not run": "#8c959f",
    "failed": "#6f42c1",
}


def _pyplot():
    import matplotlib

    if matplotlib.get_backend().lower() != "agg":
        matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt


def new_figure(ncols: int = 1, *, width: float = 5.0, height: float = 3.6, nrows: int = 1) -> tuple[Any, Any]:
    """A figure with ``nrows x ncols`` axes (``axes`` is a flat list when more than one).

    Args:
        ncols: number of panels side by side.
        width: width of one panel in inches.
        height: height of one panel in inches.
        nrows: number of rows of panels.
    """
    if ncols < 1 or nrows < 1:
        raise ValueError(f"ncols/nrows: expected >= 1, got {ncols}/{nrows}")
    plt = _pyplot()
    fig, axes = plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), squeeze=False)
    flat = [ax for row in axes for ax in row]
    for ax in flat:
        ax.grid(True, alpha=0.3)
    return fig, (flat[0] if len(flat) == 1 else flat)


def errorbar_line(
    ax: Any,
    x: Sequence[float],
    means: Sequence[float],
    cis: Sequence[tuple[float, float] | None] | None = None,
    *,
    label: str | None = None,
    marker: str = "o",
    **kwargs: Any,
) -> None:
    """Plot ``means`` against ``x`` with a shaded 95% interval band when ``cis`` is given."""
    line = ax.plot(list(x), list(means), marker=marker, label=label, **kwargs)[0]
    if cis is not None and any(c is not None for c in cis):
        lo = [c[0] if c is not None else m for c, m in zip(cis, means, strict=True)]
        hi = [c[1] if c is not None else m for c, m in zip(cis, means, strict=True)]
        ax.fill_between(list(x), lo, hi, color=line.get_color(), alpha=0.2, linewidth=0)
