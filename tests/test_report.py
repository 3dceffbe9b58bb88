"""The HTML report: self-contained, escaped, every question present."""

from __future__ import annotations

import re

import pytest

from attnlab.experiments.base import Evidence, Result, write_result
from attnlab.report import format_value, render_report, reproduce_command, write_report

EVIL = '<script>alert("x")</script>'


def _fig(path):
    from attnlab.report.plots import new_figure

    fig, ax = new_figure()
    ax.plot([1, 2, 3])
    fig.savefig(path)
    import matplotlib.pyplot as plt

    plt.close(fig)


def _write(tmp_path, qid="q3", **kw):
    (tmp_path / qid).mkdir(parents=True, exist_ok=True)
    _fig(tmp_path / qid / "curve.png")
    d = dict(qid=qid, question="Why scale?", claim="saturation", verdict="qualified",
             rule="qualified: 0.5 ± 0.1", summary="measured", seeds=[0, 1, 2], profile="tiny", seconds=2.5,
             evidence=[Evidence("softmax_top_1_2_10", 0.99954, None, "weight", "seed: 0.99954"),
                       Evidence("acc", 0.91, (0.9, 0.92), "accuracy", None)],
             figures=["curve.png"], versions={"torch": "2"})
    d.update(kw)
    write_result(Result(**d), tmp_path)


def test_every_string_from_data_is_escaped(tmp_path):
    _write(tmp_path, summary=EVIL, rule=EVIL, claim=EVIL,
           evidence=[Evidence(EVIL, EVIL, None, EVIL, EVIL)], config={"x": EVIL},
           figures=["curve.png", EVIL + ".png"])
    html = write_report(tmp_path).read_text(encoding="utf-8")
    assert "<script" not in html.lower()
    assert "&lt;script&gt;" in html


def test_report_is_self_contained_and_shows_all_questions(tmp_path):
    _write(tmp_path, "q3")
    _write(tmp_path, "q4", verdict="confirmed")
    path = write_report(tmp_path, errors={"q5": "RuntimeError: boom"})
    html = path.read_text(encoding="utf-8")
    for i in range(1, 9):
        assert f'id="q{i}"' in html
    assert html.count("not run") >= 5  # q1, q2, q6, q7, q8 (summary and section)
    assert "RuntimeError: boom" in html
    assert "Transformer中的attention为什么要进行scaled?" in html
    assert "data:image/png;base64," in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing loaded from the network
    assert "<link" not in html and "@import" not in html
    assert "attnlab run q3 --profile tiny --seeds 3" in html
    assert "0.91 [0.9, 0.92]" in html
    assert "seed: 0.99954" in html


def test_only_limits_the_sections(tmp_path):
    _write(tmp_path, "q3")
    html = write_report(tmp_path, only=["q3", "q4"]).read_text(encoding="utf-8")
    assert 'id="q3"' in html and 'id="q4"' in html and 'id="q1"' not in html


def test_figures_outside_the_question_folder_are_not_read(tmp_path):
    secret = tmp_path / "secret.png"
    _fig(secret)
    _write(tmp_path, figures=["../secret.png"])
    html = render_report({"q3": None}, tmp_path)
    assert "data:image" not in html
    html = write_report(tmp_path).read_text(encoding="utf-8")
    assert "data:image" not in html


def test_format_value_and_command():
    assert format_value(0.5, (0.4, 0.6)) == "0.5 [0.4, 0.6]"
    assert format_value(list(range(20)), max_items=3) == "[0, 1, 2, … (20 items)]"
    assert format_value("text") == "text"
    assert format_value(1e-7) == "1e-07"
    r = Result(qid="q4", question="q", claim="c", verdict="confirmed", rule="r", summary="s",
               seeds=[3, 4], profile="quick")
    assert reproduce_command(r, "out dir") == "attnlab run q4 --profile quick --out 'out dir'"


@pytest.mark.parametrize("verdict", ["confirmed", "qualified", "refuted", "inconclusive"])
def test_verdict_badges(tmp_path, verdict):
    _write(tmp_path, verdict=verdict)
    html = write_report(tmp_path).read_text(encoding="utf-8")
    assert f">{verdict}</span>" in html
