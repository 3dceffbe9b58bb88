"""The runner: executors give the same evidence, the trial cache resumes, bad files and folders are handled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import torch

import toy_experiment
from attnlab.lab import get_experiment, run_questions
from attnlab.lab.cache import TrialCache
from attnlab.lab.context import OutputError
from attnlab.lab.spec import Trial
from attnlab.results import read_result

TESTS = Path(__file__).resolve().parents[1]  # where toy_experiment.py lives


def _evidence(result) -> list[dict]:
    return [e.to_dict() for e in result.evidence if not e.timing]


def _run(out: Path, **kw):
    kw.setdefault("progress", False)
    return run_questions([toy_experiment.QID], profile="tiny", out=out, **kw)


@pytest.mark.slow
def test_jobs_1_and_2_give_the_same_evidence_and_restore_threads(tmp_path):
    toy_experiment.register_toy()
    threads = torch.get_num_threads()
    one = _run(tmp_path / "one", jobs=1)
    assert torch.get_num_threads() == threads  # the trial set 3 threads; the runner restored them
    two = _run(tmp_path / "two", jobs=2)
    assert _evidence(one[toy_experiment.QID]) == _evidence(two[toy_experiment.QID])
    r = one[toy_experiment.QID]
    assert r.trials == {"total": 6, "run": 6, "reused": 0}
    assert r.verdict == "confirmed" and r.checks[0].passed
    # the global RNG of this process is untouched by in-process trials
    torch.manual_seed(123)
    expected = torch.rand(())
    torch.manual_seed(123)
    _run(tmp_path / "three", jobs=1)
    assert torch.rand(()) == expected


def test_same_seed_same_numbers_and_seeds_differ(tmp_path):
    toy_experiment.register_toy()
    a = _run(tmp_path / "a", jobs=1)[toy_experiment.QID]
    b = _run(tmp_path / "b", jobs=1)[toy_experiment.QID]
    assert _evidence(a) == _evidence(b)
    draws = a.get("torch_draws").value
    assert len(set(draws)) == len(draws)  # every seed draws something else


def test_rerun_reuses_every_trial_and_a_changed_config_never_reuses(tmp_path):
    toy_experiment.register_toy()
    first = _run(tmp_path, jobs=1)
    again = _run(tmp_path, jobs=1)
    assert again.trials_run == 0 and again.trials_reused == 6
    assert _evidence(first[toy_experiment.QID]) == _evidence(again[toy_experiment.QID])
    toy_experiment.register_toy(offsets=(0.0, 0.6))
    changed = _run(tmp_path, jobs=1)
    assert changed.trials_run == 3 and changed.trials_reused == 3  # only the changed condition recomputes


def test_a_corrupt_or_foreign_trial_file_is_recomputed_with_one_warning(tmp_path):
    from rich.console import Console

    toy_experiment.register_toy()
    clean = _run(tmp_path, jobs=1)[toy_experiment.QID]
    exp = get_experiment(toy_experiment.QID)
    trials = exp.trials("tiny", exp.seeds("tiny"))
    cache = TrialCache(tmp_path, toy_experiment.QID)
    cache.path(trials[0]).write_text('{"schema": 1, "identity": {"qid"')  # truncated
    record = json.loads(cache.path(trials[1]).read_text())
    record["measurements"]["value"] = 0.99  # edited: the checksum no longer matches
    cache.path(trials[1]).write_text(json.dumps(record))
    console = Console(record=True, width=200)
    report = run_questions([toy_experiment.QID], profile="tiny", out=tmp_path, jobs=1, progress=False,
                           console=console)
    text = console.export_text()
    assert report.trials_run == 2 and report.trials_reused == 4
    assert text.count("recomputing it") == 2 and "unreadable" in text and "checksum" in text
    assert _evidence(report[toy_experiment.QID]) == _evidence(clean)


def test_a_failing_trial_fails_its_question_only(tmp_path):
    toy_experiment.register_toy()
    from attnlab.lab import Experiment, register

    bad = toy_experiment.make("toy2")
    register(Experiment(bad.question, trials=lambda p, s: [Trial(toy_experiment.failing_trial, {"seed": x})
                                                           for x in s],
                        aggregate=bad.aggregate, rule=bad.rule, words=bad.words), replace=True)
    report = run_questions(["toy2", toy_experiment.QID], profile="tiny", out=tmp_path, jobs=1, progress=False)
    assert "toy2" in report.errors and "always fails" in report.errors["toy2"]
    assert toy_experiment.QID in report.results
    assert read_result(tmp_path, "toy2") is None


def test_on_result_sees_each_result_once_written_and_its_failure_is_the_questions_error(tmp_path):
    toy_experiment.register_toy()
    seen = []

    def look(result):
        assert read_result(tmp_path, result.qid) is not None  # written before the callback runs
        seen.append(result.qid)

    report = _run(tmp_path, jobs=1, on_result=look)
    assert seen == [toy_experiment.QID] and not report.errors

    def broken(result):
        raise RuntimeError("cannot draw")

    cached = _run(tmp_path, jobs=1, on_result=broken)  # every trial cached: the callback still runs
    assert cached.trials_reused == 6
    assert "cannot draw" in cached.errors[toy_experiment.QID]


def test_unwritable_output_fails_fast(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    start = time.perf_counter()
    with pytest.raises(OutputError, match="--out"):
        run_questions(["q2"], profile="tiny", out=blocker / "sub", progress=False)
    with pytest.raises(OutputError, match="not a folder"):
        run_questions(["q2"], profile="tiny", out=blocker, progress=False)
    if os.geteuid() != 0:  # root ignores permissions
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        with pytest.raises(OutputError, match="cannot write"):
            run_questions(["q2"], profile="tiny", out=ro, progress=False)
    assert time.perf_counter() - start < 1.0


_DRIVER = textwrap.dedent("""
    import sys
    import toy_experiment
    from attnlab.lab import run_questions
    toy_experiment.register_toy(sleep=float(sys.argv[2]))
    run_questions([toy_experiment.QID], profile="tiny", out=sys.argv[1], jobs=2, progress=False)
""")


def _driver(out: Path, sleep: float) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-c", _DRIVER, str(out), str(sleep)], env=env,
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.mark.slow
def test_sigkill_mid_run_then_resume_gives_the_uninterrupted_evidence(tmp_path):
    out = tmp_path / "killed"
    proc = _driver(out, sleep=1.5)
    trials_dir = out / toy_experiment.QID / "trials"
    deadline = time.time() + 60
    while time.time() < deadline and len(list(trials_dir.glob("*.json"))) < 2:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the run and its workers, mid-question
    proc.wait()
    done = len(list(trials_dir.glob("*.json")))
    assert 2 <= done < 6, done
    assert read_result(out, toy_experiment.QID) is None
    toy_experiment.register_toy(sleep=1.5)
    resumed = run_questions([toy_experiment.QID], profile="tiny", out=out, jobs=2, progress=False)
    assert resumed.trials_reused == done and resumed.trials_run == 6 - done
    clean = run_questions([toy_experiment.QID], profile="tiny", out=tmp_path / "clean", jobs=2, progress=False)
    assert _evidence(resumed[toy_experiment.QID]) == _evidence(clean[toy_experiment.QID])
    assert not list(trials_dir.glob(".*.tmp"))  # no stray temporary files became trials


@pytest.mark.slow
def test_ray_gives_the_same_evidence_as_local(tmp_path):
    pytest.importorskip("ray", reason="the [ray] extra is not installed")
    toy_experiment.register_toy()
    local = _run(tmp_path / "local", jobs=1)
    remote = _run(tmp_path / "ray", jobs=2, executor="ray")
    assert remote.executor.startswith("ray")
    assert _evidence(local[toy_experiment.QID]) == _evidence(remote[toy_experiment.QID])


def test_executor_arguments_are_checked(tmp_path):
    toy_experiment.register_toy()
    with pytest.raises(ValueError, match="--executor"):
        _run(tmp_path, executor="slurm")
    with pytest.raises(ValueError, match="--address"):
        _run(tmp_path, executor="local", address="auto")
    with pytest.raises(ValueError, match="--jobs"):
        _run(tmp_path, jobs=0)


def test_outcomes_marked_not_to_keep_are_used_but_measured_again(tmp_path):
    from attnlab.lab import Experiment, register

    toy = toy_experiment.make("toy3")
    register(Experiment(toy.question, trials=lambda p, s: [Trial(toy_experiment.uncached_trial, {"seed": x,
                                                                                                  "offset": o})
                                                           for o in (0.0, 0.5) for x in s],
                        aggregate=toy.aggregate, rule=toy.rule, words=toy.words), replace=True)
    first = run_questions(["toy3"], profile="tiny", out=tmp_path, jobs=1, progress=False)
    again = run_questions(["toy3"], profile="tiny", out=tmp_path, jobs=1, progress=False)
    assert first.trials_run == again.trials_run == first.trials_total and again.trials_reused == 0
    assert not list((tmp_path / "toy3" / "trials").glob("*.json"))
