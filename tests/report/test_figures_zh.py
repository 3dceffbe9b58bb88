"""Figures in two languages: a plot with Chinese text inside the figure is also drawn in Chinese, and the
report's Chinese page shows that drawing while the English page shows the English one."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

from attnlab.lab.tuning import Sweep, SweepCondition, sweep_plot
from attnlab.report import write_report
from attnlab.report.figures import draw_result
from attnlab.results import Panel, Plot, RefLine, Result, Series, write_result


def _zh_plot() -> Plot:
    return Plot("curve", "A curve", [
        Panel(title="lookup", xlabel="training step", ylabel="accuracy", title_zh="查找",
              xlabel_zh="训练步数", ylabel_zh="准确率",
              series=[Series("scaled", [1, 2, 3], [0.2, 0.5, 0.9], label_zh="缩放", notes=["", "", "chosen"],
                             notes_zh=["", "", "选中"]),
                      Series("unscaled", [1, 2, 3], [0.1, 0.2, 0.3])],
              lines=[RefLine(0.5, "threshold", label_zh="阈值")])],
        headline=True, title_zh="一条曲线")


def _plain_plot() -> Plot:
    return Plot("more", "More", [Panel(title="plain", series=[Series("b", [1, 2, 3], [3, 2, 1])])])


def _result(tmp_path: Path, plots: list[Plot]) -> Result:
    r = Result(qid="q3", question="Why scale?", claim="c", verdict="inconclusive", rule="r", summary="s",
               answer={"en": "An answer long enough to be one.", "zh": "一个答案。"}, plots=plots)
    write_result(r, tmp_path)
    draw_result(r, tmp_path)
    return r


def _svg(uri: str) -> str:
    return base64.b64decode(uri.split(",", 1)[1]).decode("utf-8")


def test_the_chinese_fields_round_trip_and_old_plots_load_without_them():
    p = _zh_plot()
    d = json.loads(json.dumps(p.to_dict()))
    assert Plot.from_dict(d) == p
    assert p.has_zh_text() and p.files() == ["curve.png", "curve.svg", "curve.zh.svg"]
    # a plot without Chinese text inside is stored as before: no empty Chinese fields
    plain = _plain_plot().to_dict()
    assert "title_zh" not in plain["panels"][0] and set(plain["panels"][0]["series"][0]) == {
        "label", "x", "y", "lo", "hi", "style", "notes"}
    old = {"name": "old", "title": "Old", "panels": [{"kind": "line", "title": "t", "xlabel": "x", "ylabel": "y",
                                                      "series": [{"label": "a", "x": [1], "y": [1]}],
                                                      "lines": [{"value": 0.5, "label": "chance"}]}]}
    loaded = Plot.from_dict(old)
    assert not loaded.has_zh_text() and loaded.files() == ["old.png", "old.svg"]
    zh = loaded.in_zh()  # missing Chinese falls back to the English
    assert zh.panels[0].title == "t" and zh.panels[0].series[0].label == "a" and zh.panels[0].lines[0].label == "chance"


def test_the_chinese_drawing_holds_the_chinese_text(tmp_path):
    r = _result(tmp_path, [_zh_plot(), _plain_plot()])
    qdir = tmp_path / r.qid
    assert (qdir / "curve.zh.svg").is_file() and not (qdir / "curve.zh.png").exists()
    assert not (qdir / "more.zh.svg").exists()  # no Chinese text inside: no second drawing
    zh, en = (qdir / "curve.zh.svg").read_text(encoding="utf-8"), (qdir / "curve.svg").read_text(encoding="utf-8")
    for text in ("查找", "训练步数", "准确率", "缩放", "选中", "阈值", "一条曲线"):
        assert text in zh and text not in en
    assert "unscaled" in zh  # a series without Chinese keeps its English label
    assert "training step" in en and "training step" not in zh


def test_the_report_shows_each_language_its_drawing(tmp_path):
    _result(tmp_path, [_zh_plot(), _plain_plot()])
    html = write_report(tmp_path).read_text(encoding="utf-8")
    fig = re.search(r'<figure[^>]*id="q3-fig-curve">(.*?)</figure>', html, re.S)
    assert fig
    imgs = re.findall(r'<img src="(data:image/svg\+xml;base64,[^"]+)" lang="([^"]+)"', fig.group(1))
    assert [lang for _, lang in imgs] == ["en", "zh-CN"]
    by_lang = {lang: _svg(uri) for uri, lang in imgs}
    assert "训练步数" in by_lang["zh-CN"] and "training step" in by_lang["en"]
    assert "训练步数" not in by_lang["en"]
    # a figure without a Chinese drawing shows its one image in both languages, as before
    plain = re.search(r'<figure[^>]*id="q3-fig-more">(.*?)</figure>', html, re.S)
    assert plain and plain.group(1).count("<img") == 1 and 'lang="' not in plain.group(1).split(">", 1)[0]


def test_every_sweep_figure_has_chinese_axes():
    sweep = Sweep(("task", "heads"), "acc", (SweepCondition(("copy", 1), "copy, 1", (1e-3, 3e-3), (0.5, 0.8),
                                                              (1.0, 0.5), 3e-3, 2),))
    p = sweep_plot(sweep, name="lr", group="task", line="heads", title="t", title_zh="学习率扫描")
    panel = p.in_zh().panels[0]
    assert panel.xlabel == "学习率" and panel.ylabel == "最终留出准确率"
    assert panel.series[0].notes == ["", "选中"]


ROOT = Path(__file__).resolve().parents[2]
COMMITTED = sorted((ROOT / "docs").glob("report*/q*/result.json"))


def _quoted_words(text: str) -> set[str]:
    """Words inside quotes in ``text`` (a sentence a figure shows, whose words are data, not prose)."""
    return {w.lower() for q in re.findall(r"[\"“「]([^\"”」]*)[\"”」]", text) for w in re.findall(r"[A-Za-z]+", q)}


def zh_figure_problems(plot: Plot) -> dict[str, list[str]]:
    """Every text of ``plot``'s Chinese drawing that keeps an English word or ASCII punctuation, by where it is."""
    from attnlab.lab.words.lint import ascii_punctuation, english_words

    def problems(text: str, data_words: set[str]) -> list[str]:
        return ([f"English word {w!r}" for w in english_words(text) if w not in data_words]
                + [f"ASCII {p!r} in Chinese prose" for p in ascii_punctuation(text)])

    zh = plot.in_zh()
    found = {"title": problems(zh.title, set())}
    for i, (en_p, p) in enumerate(zip(plot.panels, zh.panels, strict=True)):
        data_words = _quoted_words(p.title)  # the words of a sentence the panel shows are data
        texts = {f"panel {i} title": p.title, f"panel {i} xlabel": p.xlabel, f"panel {i} ylabel": p.ylabel}
        texts.update({f"panel {i} series {s.label!r}": s.label for s in p.series})
        texts.update({f"panel {i} note {n!r}": n for s in p.series for n in (s.notes or []) if n})
        texts.update({f"panel {i} line {r.label!r}": r.label for r in p.lines})
        if p.kind == "bar":
            texts.update({f"panel {i} category {c!r}": en_p.categories_zh.get(str(c), str(c))
                          for c in dict.fromkeys(x for s in en_p.series for x in s.x)})
        found.update({where: problems(t, data_words) for where, t in texts.items() if t})
    return {k: v for k, v in found.items() if v}


def test_every_figure_of_the_committed_reports_is_drawn_in_chinese_without_english_words():
    assert len(COMMITTED) >= 20, "the committed reports' results are missing"
    problems = {}
    for path in COMMITTED:
        for d in json.loads(path.read_text(encoding="utf-8"))["plots"]:
            plot = Plot.from_dict(d)
            where = f"{path.parent.parent.name}/{path.parent.name}/{plot.name}"
            if not plot.has_zh_text():
                problems[where] = ["no Chinese text inside the figure"]
                continue
            if (found := zh_figure_problems(plot)):
                problems[where] = found
    assert not problems, problems


def test_bar_categories_are_named_in_chinese_and_keep_their_colours(tmp_path):
    from attnlab.report.figures import draw_plot

    panel = Panel(kind="bar", title="steps", series=[Series("median", ["dot", "additive"], [3, 4], label_zh="中位数")],
                  categories_zh={"dot": "点积", "additive": "加性"}, title_zh="步数")
    plot = Plot("bars", "Bars", [panel], title_zh="柱")
    assert plot.has_zh_text() and zh_figure_problems(plot) == {}
    assert zh_figure_problems(Plot("b", "B", [Panel(kind="bar", title="t", title_zh="标题",
                                                    series=[Series("m", ["dot"], [1], label_zh="中")])])) == {
        "panel 0 category 'dot'": ["English word 'dot'"]}

    def labels_and_colours(lang):
        ax = draw_plot(plot, lang).axes[0]
        return [t.get_text() for t in ax.get_xticklabels()], [p.get_facecolor() for p in ax.patches]

    zh_labels, zh_colours = labels_and_colours("zh")
    en_labels, en_colours = labels_and_colours("en")
    assert zh_labels == ["点积", "加性"] and en_labels == ["dot", "additive"] and zh_colours == en_colours
    assert Plot.from_dict(json.loads(json.dumps(plot.to_dict()))) == plot
