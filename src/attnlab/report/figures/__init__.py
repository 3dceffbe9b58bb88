"""Every figure attnlab draws: a result's plots, and the attention maps of ``attnlab inspect``.

Experiments put the data they want shown into their result (``Result.plots``); :func:`draw_result`
draws each one as PNG and SVG into the question's folder, and as a Chinese SVG where the plot has
Chinese text. ``attnlab report --redraw`` calls it on the stored results without running anything.
"""

from __future__ import annotations

from pathlib import Path

from attnlab.report.figures.colors import PALETTE, color_for, figure_colors
from attnlab.report.figures.draw import FIG_WIDTH, draw_plot, tick_text
from attnlab.report.figures.fonts import cjk_font, font_note, font_rc
from attnlab.report.figures.save import save_figure
from attnlab.results import Result

__all__ = ["FIG_WIDTH", "PALETTE", "cjk_font", "color_for", "draw_plot", "draw_result", "figure_colors", "font_note",
           "font_rc", "save_figure", "tick_text"]


def draw_result(result: Result, out_dir: str | Path) -> list[str]:
    """Draw every plot of ``result`` into ``out_dir/<qid>/``; returns the files written (relative to it).

    A plot with Chinese text inside the figure is drawn a second time in Chinese, as ``<name>.zh.svg``
    (the report shows it on its Chinese page).
    """
    qdir = Path(out_dir) / result.qid
    files: list[str] = []
    for plot in result.plots:
        files += save_figure(draw_plot(plot), qdir, plot.name)
        if plot.has_zh_text():
            files += save_figure(draw_plot(plot, "zh"), qdir, f"{plot.name}.zh", formats=("svg",))
    return files
