"""Figures worth projecting: one colour per condition, readable log axes, keys that cover no data, the same
bytes every time, and a CJK font when one is installed."""

from __future__ import annotations

import re
import warnings

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from attnlab.report.figures import FIG_WIDTH, PALETTE, color_for, draw_plot, figure_colors, save_figure, tick_text
from attnlab.report.figures.fonts import BASE_FONT, cjk_font, font_note, font_rc
from attnlab.results import Panel, Plot, RefLine, Series

D = [16, 32, 64, 128, 256, 512]


def _cost() -> Plot:
    """q6's cost figure: four models on the left, three (another order) on the right, log axes, 1e3..3e8."""
    return Plot("cost", "Parameters and FLOPs per layer", [
        Panel(title="Parameters per layer", xlabel="d", ylabel="parameters", xscale="log2", yscale="log",
              series=[Series("self-attention", D, [1088, 4224, 16640, 66048, 263168, 1050624]),
                      Series("Transformer block", D, [3280, 12704, 49984, 198272, 789760, 3152384]),
                      Series("LSTM", D, [2176, 8448, 33280, 132096, 526336, 2101248]),
                      Series("conv k=3", D, [784, 3104, 12352, 49280, 196864, 786944])]),
        Panel(title="Forward FLOPs per layer", xlabel="n", ylabel="FLOPs", xscale="log2", yscale="log",
              series=[Series("LSTM", [16, 64, 256, 1024], [1048576, 4194304, 16777216, 67108864]),
                      Series("conv k=3", [16, 64, 256, 1024], [393216, 1572864, 6291456, 25165824]),
                      Series("self-attention", [16, 64, 256, 1024], [589824, 3145728, 25165824, 301989888])])])


def _drawn(plot: Plot):
    fig = draw_plot(plot)
    FigureCanvasAgg(fig).draw()  # lays out and draws: tick labels and offsets are final
    return fig


def _lines(ax) -> dict[str, str]:
    return {line.get_label(): line.get_color() for line in ax.get_lines() if not line.get_label().startswith("_")}


def test_one_colour_per_condition_across_panels_and_figures():
    fig = _drawn(_cost())
    left, right = (_lines(ax) for ax in fig.axes[:2])
    for label in right:
        assert left[label] == right[label], label  # the LSTM is the same colour in both panels
    assert len(set(left.values())) == len(left)  # and no two conditions of a panel share one
    # another figure, other wording of the same condition: the same colour
    lstm = color_for("LSTM")
    assert lstm == color_for("LSTM layer") == color_for("vs LSTM (FLOPs)") == color_for("LSTM (chrono init)")
    assert color_for("conv k=3") == color_for("convolution, kernel 3") == color_for("dilated CNN")
    assert color_for("logits × 1/sqrt(d_k)") == color_for("× 1/sqrt(d_k)") == color_for("scaled_dot")
    assert color_for("LSTM (torch's default init)") != color_for("LSTM (chrono init)")
    # a label no pattern knows: a colour from its text, the same every time, whatever its position
    assert color_for("some new condition") == color_for("some new condition") in PALETTE


def test_two_labels_of_one_panel_drawn_alike_get_different_colours():
    panels = [[("LSTM", "solid"), ("LSTM layer", "solid"), ("vs LSTM (FLOPs)", "dashed")]]
    colors = figure_colors(panels)
    assert colors["LSTM"] != colors["LSTM layer"]  # same colour, same style: told apart
    assert colors["vs LSTM (FLOPs)"] == colors["LSTM"]  # same colour, another dash: the same condition


@pytest.mark.parametrize(("lo", "hi", "base"), [(1e3, 3.2e6, 10), (3e-5, 4.6e-4, 10), (7.0, 70.0, 10), (0.6, 1.5, 10),
                                                (16, 1024, 2), (0.3, 4.0, 2), (0.8, 1.4, 2)])
def test_log_axes_have_three_readable_labels_and_no_offset(lo, hi, base):
    x = [1, 2, 3, 4]
    y = [lo * (hi / lo) ** (i / 3) for i in range(4)]
    plot = Plot("p", "t", [Panel(series=[Series("a", x, y)], yscale="log" if base == 10 else "log2"),
                           Panel(series=[Series("b", [1e5, 2e6, 3e6], [1, 2, 3])])])
    fig = _drawn(plot)
    ax = fig.axes[0]
    ymin, ymax = ax.get_ylim()
    shown = [t for t in ax.yaxis.get_major_ticks()
             if t.label1.get_visible() and t.label1.get_text() and ymin <= t.get_loc() <= ymax]
    assert len(shown) >= 3, [t.label1.get_text() for t in shown]
    for axis in (ax.xaxis, ax.yaxis, fig.axes[1].xaxis, fig.axes[1].yaxis):
        assert axis.get_offset_text().get_text() == ""  # no "1e6" above the axis
    assert not [t for t in shown if re.search(r"\de[-+]?\d", t.label1.get_text())]  # 3×10⁻⁵, not 3e-05
    big = [t.get_text() for t in fig.axes[1].get_xticklabels() if t.get_text()]
    assert any(t.endswith("M") for t in big), big  # 2M on a linear axis, not 2 and a 1e6 multiplier


def test_tick_text_reads_at_a_glance():
    assert [tick_text(v) for v in (0, 16, 1024, 1000, 1e4, 16384, 2.5e6, 0.25, 0.001, 1e-4, 3e-5)] == [
        "0", "16", "1024", "1k", "10k", "16384", "2.5M", "0.25", "0.001", "$10^{-4}$", "$3\\times10^{-5}$"]


def test_lines_reaching_the_edge_are_labelled_there_and_the_rest_get_a_legend_below():
    fig = _drawn(_cost())
    left = fig.axes[0]
    texts = {t.get_text(): t for t in left.texts}
    assert {"self-attention", "Transformer block", "LSTM", "conv k=3"} <= set(texts)
    assert texts["LSTM"].get_color() == _lines(left)["LSTM"]
    renderer = fig.canvas.get_renderer()
    labels = [texts[k].get_window_extent(renderer) for k in ("self-attention", "Transformer block", "LSTM", "conv k=3")]
    for i, a in enumerate(labels):  # pushed apart: no two labels overlap
        for b in labels[i + 1:]:
            assert not a.overlaps(b)
    assert not fig.legends and left.get_legend() is None  # no key covers data
    # lines that stop early (a threshold never reached) cannot be labelled at the edge: a legend below
    early = Plot("e", "t", [Panel(series=[Series("reached", [1, 2, 3], [1, 2, 3]),
                                          Series("stopped", [1, 2], [2, None])], lines=[RefLine(1.5, "threshold")])])
    fig = _drawn(early)
    assert len(fig.legends) == 1 and fig.axes[0].get_legend() is None
    legend_box = fig.legends[0].get_window_extent(fig.canvas.get_renderer())
    axes_box = fig.axes[0].get_window_extent(fig.canvas.get_renderer())
    assert legend_box.y1 <= axes_box.y0  # below the panel, over no data


def test_panels_share_the_width_and_an_empty_cell_holds_the_legend():
    series = [Series(name, [10, 20, 30], [0.5, 0.7, v], style="solid") for name, v in
              (("attention", 0.9), ("last", 0.8), ("mean", 0.85), ("max", None))]
    plot = Plot("curves", "t", [Panel(title=f"panel {i}", series=series) for i in range(3)], ncols=2)
    fig = _drawn(plot)
    assert fig.get_size_inches()[0] == FIG_WIDTH
    renderer = fig.canvas.get_renderer()
    widths = [ax.get_window_extent(renderer).width for ax in fig.axes[:3]]
    assert max(widths) / min(widths) < 1.15  # no squashed panel beside a gap
    cell = fig.axes[3]
    assert cell.get_legend() is not None and not cell.axison


def test_long_category_labels_wrap_instead_of_overprinting():
    bars = Plot("focus", "t", [Panel(kind="bar", series=[
        Series("deciding word", ["needle LSTM", "contrast LSTM", "contrast BiLSTM"], [30, 19, 31]),
        Series("other polar word", ["contrast LSTM", "contrast BiLSTM"], [10, 9])]),
        Panel(series=[Series(f"sentence number {i} of the pretrained model's five", [1, 2, 3], [1, 2, i])
                      for i in range(5)])])
    fig = _drawn(bars)
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in fig.axes[0].get_xticklabels() if t.get_text()]
    assert len(boxes) == 3
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert not a.overlaps(b)


def test_the_same_plot_gives_the_same_bytes(tmp_path):
    save_figure(draw_plot(_cost()), tmp_path / "a", "cost")
    save_figure(draw_plot(_cost()), tmp_path / "b", "cost")
    for name in ("cost.png", "cost.svg"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_cjk_font_is_in_the_fallback_list_and_named():
    rc = font_rc()
    assert rc["font.family"][0] == BASE_FONT
    en, zh = font_note()
    if cjk_font() is None:
        assert rc["font.family"] == [BASE_FONT] and "no CJK font" in en and "未找到中文字体" in zh
        pytest.skip("no CJK font installed (fonts-wqy-microhei or fonts-noto-cjk)")
    assert rc["font.family"] == [BASE_FONT, cjk_font()] and cjk_font() in en and cjk_font() in zh
    plot = Plot("zh", "注意力", [Panel(title="多头注意力", series=[Series("词元", [1, 2], [1, 2])])])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a glyph missing from every font would warn
        _drawn(plot)
