"""The ``attnlab`` command line, driven through typer's CliRunner (the toy question keeps it fast)."""

from __future__ import annotations

import fnmatch
import json
import re
import subprocess
import sys
import time
from pathlib import Path

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
    assert res.exit_code == 0 and "结论：成立" in res.output and "b 比 a 大吗" in res.output
    assert "answer from your run in" in res.output or "答案来自你的运行" in res.output


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



# -- ask answers out of the box, from the standard report shipped with attnlab --------------------------

REPO = Path(__file__).parent.parent
SHIPPED = REPO / "src" / "attnlab" / "shipped_report"


def _one_error_line(res) -> str:
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert res.exit_code == 1 and len(lines) == 1 and "Traceback" not in res.output, res.output
    assert lines[0].startswith("error: "), lines
    return lines[0]


def test_ask_answers_from_the_shipped_report_and_says_so(runner, tmp_path, monkeypatch):
    from attnlab import __version__
    from attnlab.shipped import manifest, shipped_qids

    monkeypatch.chdir(tmp_path)  # no attnlab-report/ here: nothing run yet
    assert shipped_qids() == [*(f"q{i}" for i in range(1, 11)), "q13"]
    generated = manifest()["generated"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC", generated)
    for qid in shipped_qids():
        res = runner.invoke(app, ["ask", qid], env={"COLUMNS": "250"})
        assert res.exit_code == 0, res.output
        source = json.loads((SHIPPED / qid / "result.json").read_text(encoding="utf-8"))
        n = len(source["seeds"])
        assert f"answer from the standard report shipped with attnlab {__version__} ({n} random " \
               f"seed{'s' if n > 1 else ''}, generated {generated})" in res.output, res.output
        assert f"verdict: {source['verdict']}" in res.output
    res = runner.invoke(app, ["ask", "q3", "--lang", "zh"], env={"COLUMNS": "250"})
    assert res.exit_code == 0 and f"答案来自attnlab {__version__} 附带的标准报告（5 个随机种子，生成于 {generated}）" \
        in res.output and "结论：" in res.output, res.output


def test_ask_reads_a_local_run_instead(runner, tmp_path, monkeypatch):
    from attnlab.results import write_result
    from attnlab.shipped import read_shipped

    result = read_shipped("q3")
    result.answer = {"en": "my own run says so", "zh": "我自己的运行"}
    write_result(result, tmp_path / "attnlab-report")
    monkeypatch.chdir(tmp_path)
    for args in (["ask", "q3"], ["ask", "q3", "--out", "attnlab-report"]):
        res = runner.invoke(app, args, env={"COLUMNS": "250"})
        assert res.exit_code == 0, res.output
        assert "answer from your run in attnlab-report/q3/result.json (standard profile, 5 random seeds, written" \
            in res.output and "my own run says so" in res.output and "shipped" not in res.output
    res = runner.invoke(app, ["ask", "q4"], env={"COLUMNS": "250"})  # not run locally: the shipped answer
    assert res.exit_code == 0 and "standard report shipped with attnlab" in res.output


def test_ask_names_a_missing_or_wrong_out_folder(runner, tmp_path):
    line = _one_error_line(runner.invoke(app, ["ask", "q3", "--out", str(tmp_path / "nowhere")]))
    assert f"--out: the folder {tmp_path / 'nowhere'} is missing" in line
    (tmp_path / "file").write_text("x")
    assert "is not a folder" in _one_error_line(runner.invoke(app, ["ask", "q3", "--out", str(tmp_path / "file")]))
    line = _one_error_line(runner.invoke(app, ["ask", "q3", "--out", str(tmp_path)]))  # exists, no q3 in it
    assert f"no result for q3 in {tmp_path}" in line
    assert "expected one of q1" in _one_error_line(runner.invoke(app, ["ask", "q42"]))


def test_shipped_results_are_the_committed_standard_report():
    """One copy of the truth: the shipped files are byte-for-byte docs/report/<qid>/result.json."""
    from attnlab.shipped import differences

    if not (REPO / "docs" / "report").is_dir():
        pytest.skip("not a checkout of the repository (no docs/report)")
    assert differences() == [], "the shipped results are stale: run `python -m attnlab.shipped sync`"


def test_shipped_sync_and_check(tmp_path):
    from attnlab.shipped import differences, main, sync

    source, data = tmp_path / "report", tmp_path / "data"
    (source / "q3").mkdir(parents=True)
    (source / "q3" / "result.json").write_bytes((SHIPPED / "q3" / "result.json").read_bytes())
    (source / "index.html").write_text("<p>generated 2031-01-02 03:04 UTC</p>", encoding="utf-8")
    assert differences(source, data) == ["q3: not shipped", "MANIFEST.json: stale or missing"]
    sync(source, data)
    assert differences(source, data) == []
    assert json.loads((data / "MANIFEST.json").read_text())["generated"] == "2031-01-02 03:04 UTC"
    (source / "q3" / "result.json").write_bytes(b" " + (SHIPPED / "q3" / "result.json").read_bytes())
    (data / "q9").mkdir()
    (data / "q9" / "result.json").write_text("{}")
    assert differences(source, data) == [f"q3: the shipped result.json differs from {source / 'q3' / 'result.json'}",
                                         f"q9: shipped but not in {source}"]
    assert main(["check", "--source", str(tmp_path / "none")]) == 1


def test_the_package_data_rule_ships_every_shipped_file():
    tomllib = pytest.importorskip("tomllib")
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["attnlab"]
    files = [p.relative_to(SHIPPED.parent).as_posix() for p in SHIPPED.rglob("*") if p.is_file()]
    assert len(files) == 12  # q1..q10, q13 and the manifest
    assert [f for f in files if not any(fnmatch.fnmatch(f, pat) for pat in patterns)] == []


@pytest.mark.slow
def test_ask_works_in_a_fresh_virtualenv_right_after_pip_install(tmp_path):
    """Build the wheel, install it into a new virtual environment (dependencies from this one) and ask."""
    import shutil

    tree, wheels = tmp_path / "tree", tmp_path / "wheels"  # build from a copy: no build/ left in the checkout
    shutil.copytree(REPO / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, tree / name)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels),
                    str(tree)], check=True, timeout=300)
    (wheel,) = wheels.glob("attnlab-*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    subprocess.run([py, "-m", "pip", "install", "--no-deps", "-q", str(wheel)], check=True, timeout=300)
    where = subprocess.run([py, "-c", "import attnlab; print(attnlab.__file__)"], capture_output=True, text=True,
                           cwd=tmp_path, check=True).stdout
    assert str(venv) in where  # the installed wheel, not this checkout
    out = subprocess.run([venv / "bin" / "attnlab", "ask", "q1"], capture_output=True, text=True, cwd=tmp_path,
                         timeout=120, env={"COLUMNS": "250", "PATH": ""})
    assert out.returncode == 0, out.stderr
    assert "standard report shipped with attnlab" in out.stdout and "generated 20" in out.stdout  # manifest shipped
    assert "verdict:" in out.stdout


# -- --version, --help words, inspect's argument errors ---------------------------------------------------


def test_version(runner):
    from attnlab import __version__

    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"attnlab {__version__}"


def test_help_never_calls_the_interview_notes_and_the_random_seed_both_seed(runner):
    texts = [runner.invoke(app, ["--help"], env={"COLUMNS": "300"}).output]
    texts += [runner.invoke(app, [cmd, "--help"], env={"COLUMNS": "300"}).output
              for cmd in ("list", "run", "report", "ask", "inspect", "bench", "train")]
    text = re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─]", " ", "\n".join(texts)))
    bare = [text[max(0, m.start() - 30): m.end() + 10] for m in re.finditer(r"(?<![-\w])seeds?\b", text)
            if not text[: m.start()].endswith("random ")]
    assert bare == []
    assert "interview notes" in text and "random seeds" in text


def test_inspect_argument_errors_are_one_line(runner, tmp_path):
    for text in ("", "   \n\t"):
        line = _one_error_line(runner.invoke(app, ["inspect", text, "--out", str(tmp_path / "o")]))
        assert "TEXT:" in line and ("empty" in line or "whitespace" in line)
    (tmp_path / "file").write_text("x")
    line = _one_error_line(runner.invoke(app, ["inspect", "hello", "--out", str(tmp_path / "file")]))
    assert f"--out: {tmp_path / 'file'} exists and is not a folder" in line
    for flag in ("--layer", "--head"):  # numbered from 1, as the figures and the explorer number them
        line = _one_error_line(runner.invoke(app, ["inspect", "hello", flag, "0", "--out", str(tmp_path / "o")]))
        assert f"{flag}: expected a {flag[2:]} number from 1" in line and "got 0" in line
