"""The ``attnlab`` command line, driven through typer's CliRunner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from attnlab.cli import app


@pytest.fixture(autouse=True)
def _no_real_model(monkeypatch):
    """Keep the CLI tests fast: the pretrained-model evidence has its own tests."""
    import attnlab.experiments.q4_variance as q4

    monkeypatch.setattr(q4, "real_model_evidence", lambda qid, ctx: (None, "real-model evidence skipped in tests"))


@pytest.fixture
def runner():
    return CliRunner()


def test_list(runner):
    res = runner.invoke(app, ["list"])
    assert res.exit_code == 0, res.output
    for i in range(1, 9):
        assert f"q{i}" in res.output
    assert "Multi-head" in res.output


def test_run_tiny_then_ask(runner, tmp_path):
    res = runner.invoke(app, ["run", "q4", "--profile", "tiny", "--seeds", "2", "--out", str(tmp_path),
                              "--no-progress"])
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "q4" / "result.json").read_text())
    assert data["profile"] == "tiny" and data["seeds"] == [0, 1]
    assert data["verdict"] == "confirmed"
    res = runner.invoke(app, ["ask", "q4", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "verdict: confirmed" in res.output
    assert "var_loglog_slope" in res.output
    assert "维度与点积大小的关系是怎么样的" in res.output


def test_errors_exit_nonzero_without_traceback(runner, tmp_path):
    for args in (["ask", "q3", "--out", str(tmp_path)], ["run", "q9", "--out", str(tmp_path)],
                 ["report", "--only", "q1,zz", "--out", str(tmp_path)], ["train", str(tmp_path / "none.toml")]):
        res = runner.invoke(app, args)
        assert res.exit_code == 1, (args, res.output)
        assert "Traceback" not in res.output
        assert "error:" in res.output
    res = runner.invoke(app, ["run", "q3", "--profile", "huge"])
    assert res.exit_code != 0


def test_report_resumes_what_is_done(runner, tmp_path):
    args = ["report", "--profile", "tiny", "--only", "q4", "--out", str(tmp_path), "--no-progress"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    result = tmp_path / "q4" / "result.json"
    before = (result.stat().st_mtime_ns, result.read_text())
    html = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert 'id="q4"' in html and "wall time" in res.output
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "resumed" in res.output
    assert (result.stat().st_mtime_ns, result.read_text()) == before
    # another profile is not a resume
    data = json.loads(result.read_text())
    data["profile"] = "quick"
    result.write_text(json.dumps(data))
    res = runner.invoke(app, args)
    assert res.exit_code == 0 and "ran" in res.output
    assert json.loads(result.read_text())["profile"] == "tiny"


def test_report_marks_failures_and_still_writes(runner, tmp_path, monkeypatch):
    import attnlab.experiments.base as base

    def boom(qid, **kw):
        raise RuntimeError("exploded")

    monkeypatch.setattr(base, "run_experiment", boom)
    res = runner.invoke(app, ["report", "--profile", "tiny", "--only", "q3", "--out", str(tmp_path)])
    assert res.exit_code == 1
    assert "exploded" in (tmp_path / "index.html").read_text(encoding="utf-8")


def test_python_m_attnlab_help():
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "attnlab", "--help"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0
    for cmd in ("list", "run", "report", "ask", "inspect", "bench", "train"):
        assert cmd in out.stdout
