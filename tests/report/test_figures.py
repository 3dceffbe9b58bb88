"""Figures: drawn from plot data in one place, the same bytes every time, and no global backend switch."""

from __future__ import annotations

import subprocess
import sys

from attnlab.report.figures import draw_plot, draw_result, save_figure
from attnlab.results import Heatmap, Panel, Plot, RefLine, Result, Series


def _plot() -> Plot:
    return Plot("every_kind", "every kind of panel", [
        Panel(title="lines", xlabel="d_k", ylabel="y", xscale="log2", yscale="log",
              series=[Series("a", [1, 2, 4], [0.1, 0.5, 0.9], [0.05, 0.4, 0.8], [0.2, 0.6, 1.0], notes=["x", "", None]),
                      Series("b", [1, 2, 4], [0.2, None, 0.4], style="dashed")],
              lines=[RefLine(0.25, "chance"), RefLine(2, "d", axis="x")]),
        Panel(kind="bar", title="bars", ylim=(0, 3),
              series=[Series("s", ["a", "b"], [1, 2], [0.5, 1.5], [1.5, 2.5], notes=["1/5", "5/5"]),
                      Series("t", ["a", "b"], [2, 1])]),
        Panel(kind="heatmap", title="map", heatmap=Heatmap([[0.1, 0.9], [0.5, None]], ["r1", "r2"], ["c1", "c2"]))],
        caption="c", headline=True, ncols=2)


def test_every_panel_kind_is_drawn_and_saved_deterministically(tmp_path):
    fig = draw_plot(_plot())
    assert len([ax for ax in fig.axes if ax.get_visible()]) >= 3
    first = save_figure(fig, tmp_path / "a", "every_kind")
    save_figure(draw_plot(_plot()), tmp_path / "b", "every_kind")
    assert first == ["every_kind.png", "every_kind.svg"]
    for name in first:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    assert b"Date" not in (tmp_path / "a" / "every_kind.svg").read_bytes()


def test_draw_result_writes_every_plot(tmp_path):
    r = Result(qid="q9", question="q", claim="c", verdict="inconclusive", rule="r", summary="s", plots=[_plot()])
    assert draw_result(r, tmp_path) == ["every_kind.png", "every_kind.svg"]
    assert (tmp_path / "q9" / "every_kind.png").stat().st_size > 1000


def test_drawing_never_switches_the_matplotlib_backend():
    code = ("import matplotlib; matplotlib.use('svg'); import attnlab.report.figures as f; "
            "import attnlab.report.html, attnlab.report.inspect; import attnlab.lab; "
            "from attnlab.lab import list_questions; list_questions(); "
            "from attnlab.results import *; f.draw_plot(Plot('x', 't', [Panel(series=[Series('a', [1], [1])])])); "
            "print(matplotlib.get_backend())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "svg"
