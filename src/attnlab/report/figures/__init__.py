"""Every figure attnlab draws: a result's plots, and the attention maps of ``attnlab inspect``.

Experiments put the data they want shown into their result (``Result.plots``); :func:`draw_result`
draws each one as PNG and SVG into the question's folder. ``attnlab report --redraw`` calls it on the
stored results without running anything.
"""

from __future__ import annotations

from pathlib import Path

from attnlab.report.figures.draw import PALETTE, draw_plot
from attnlab.report.figures.save import save_figure
from attnlab.results import Result

__all__ = ["PALETTE", "draw_plot", "draw_result", "save_figure"]


def draw_result(result: Result, out_dir: str | Path) -> list[str]:
    """Draw every plot of ``result`` into ``out_dir/<qid>/``; returns the files written (relative to it)."""
    qdir = Path(out_dir) / result.qid
    files: list[str] = []
    for plot in result.plots:
        files += save_figure(draw_plot(plot), qdir, plot.name)
    return files
