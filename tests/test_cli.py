"""The ``attnlab`` command line, driven through typer's CliRunner (the toy question keeps it fast)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

import toy_experiment
from attnlab.cli import app


@pytest.fixture
def runner():
    toy_experiment.register_toy()
    return CliRunner()


def test_list_shows_the_questions(runner):
    res = runner.invoke(app, ["list"])
    assert res.exit_code == 0, res.output
    for i in range(1, 9):
        assert f"q{i}" in res.output
    assert "Why multi-head attention?" in res.output


def test_run_then_ask_in_both_languages(runner, tmp_path):
    res = runner.invoke(app, ["run", "toy", "--profile", "tiny", "--out", str(tmp_path), "--jobs", "1",
                              "--no-progress"])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "toy" / "result.json").read_text())
    assert data["profile"] == "tiny" and data["seeds"] == [0, 1, 2] and data["schema"] == 3
    assert (tmp_path / "toy" / "values.png").is_file() and (tmp_path / "toy" / "values.svg").is_file()
    res = runner.invoke(app, ["ask", "toy", "--out", str(tmp_path)])
    assert res.exit_code == 0 and "verdict: confirmed" in res.output and "b - a" in res.output
    res = runner.invoke(app, ["ask", "toy", "--out", str(tmp_path), "--lang", "zh"])
    assert res.exit_code == 0 and "结论: 成立" in res.output and "b 比 a 大吗" in res.output


def test_report_resumes_and_redraws_without_running(runner, tmp_path):
    args = ["report", "--profile", "tiny", "--only", "toy", "--out", str(tmp_path), "--jobs", "1", "--no-progress"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'id="toy"' in html and "6 (0)" in res.output
    res = runner.invoke(app, args)
    assert res.exit_code == 0 and "6 (6)" in res.output  # every trial reused
    (tmp_path / "toy" / "values.png").unlink()
    before = (tmp_path / "toy" / "result.json").read_text()
    res = runner.invoke(app, ["report", "--redraw", "--only", "toy", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "toy" / "values.png").is_file()
    assert (tmp_path / "toy" / "result.json").read_text() == before


def test_errors_exit_nonzero_without_traceback(runner, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for args in (["ask", "q3", "--out", str(tmp_path)], ["run", "q99", "--out", str(tmp_path)],
                 ["report", "--only", "q1,zz", "--out", str(tmp_path)], ["train", str(tmp_path / "none.toml")],
                 ["run", "toy", "--out", str(blocker), "--profile", "tiny"],
                 ["run", "toy", "--executor", "local", "--address", "auto", "--out", str(tmp_path)]):
        start = time.perf_counter()
        res = runner.invoke(app, args)
        assert res.exit_code == 1, (args, res.output)
        assert "Traceback" not in res.output and "error:" in res.output, args
        assert time.perf_counter() - start < 5.0, args
    assert runner.invoke(app, ["run", "toy", "--profile", "huge"]).exit_code != 0


def test_a_failing_question_is_reported_and_the_others_still_written(runner, tmp_path):
    from attnlab.lab import Experiment, register
    from attnlab.lab.spec import Trial

    bad = toy_experiment.make("toy2")
    register(Experiment(bad.question, trials=lambda p, s: [Trial(toy_experiment.failing_trial, {"seed": x})
                                                           for x in s], aggregate=bad.aggregate,
                        rule=bad.rule, words=bad.words), replace=True)
    res = runner.invoke(app, ["report", "--profile", "tiny", "--only", "toy,toy2", "--out", str(tmp_path), "--jobs",
                              "1", "--no-progress"])
    assert res.exit_code == 1
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "always fails" in html and 'id="toy"' in html


def test_python_m_attnlab_help_describes_the_runner():
    out = subprocess.run([sys.executable, "-m", "attnlab", "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    for cmd in ("list", "run", "report", "ask", "inspect", "bench", "train"):
        assert cmd in out.stdout
    out = subprocess.run([sys.executable, "-m", "attnlab", "report", "--help"], capture_output=True, text=True,
                         timeout=120, env={"COLUMNS": "200", "TERM": "dumb", "PATH": ""})
    for option in ("--jobs", "--executor", "--address", "--redraw", "--pdf"):
        assert option in out.stdout, option
