"""The experiment framework: results, atomic writes, statistics, registry, run context, determinism."""

from __future__ import annotations

import json
import math
import time

import pytest

from attnlab.experiments import base
from attnlab.experiments.base import (
    Evidence,
    Experiment,
    ExperimentError,
    Result,
    RunContext,
    atomic_write_text,
    fmt_ci,
    get_experiment,
    get_info,
    list_experiments,
    mean_ci,
    read_result,
    register,
    run_experiment,
    t_quantile,
    write_result,
)


def _result(**kw) -> Result:
    d = dict(qid="q4", question="Q?", claim="C", verdict="confirmed", rule="r", summary="s",
             evidence=[Evidence("x", 1.5, (1.0, 2.0), "u", "paper"), Evidence("curve", [1, 2, 3])],
             figures=["a.png"], config={"k": 1}, seeds=[0, 1], versions={"torch": "x"}, seconds=1.25,
             profile="tiny")
    d.update(kw)
    return Result(**d)


def test_result_json_roundtrip_has_the_schema():
    r = _result()
    d = json.loads(r.to_json())
    for key in ("question", "claim", "verdict", "summary", "evidence", "figures", "config", "seeds", "versions",
                "seconds", "qid", "rule"):
        assert key in d
    assert d["evidence"][0] == {"name": "x", "value": 1.5, "ci": [1.0, 2.0], "unit": "u", "anchor": "paper"}
    assert Result.from_json(r.to_json()) == r
    assert r.get("curve").value == [1, 2, 3]
    with pytest.raises(KeyError):
        r.get("missing")


def test_result_validates_verdict_and_evidence():
    with pytest.raises(ValueError, match="verdict"):
        _result(verdict="maybe")
    with pytest.raises(ValueError, match="Evidence.ci"):
        Evidence("x", 1.0, (1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="Evidence.name"):
        Evidence("", 1.0)


def test_non_finite_and_tensor_values_become_strict_json():
    import torch

    r = _result(config={"t": torch.tensor([1.0, 2.0]), "nan": float("nan"), "tuple": (1, 2)})
    d = json.loads(r.to_json())
    assert d["config"] == {"t": [1.0, 2.0], "nan": None, "tuple": [1, 2]}


def test_write_result_is_atomic_and_readable(tmp_path):
    r = _result()
    path = write_result(r, tmp_path)
    assert path == tmp_path / "q4" / "result.json"
    assert read_result(tmp_path, "q4") == r
    assert [p.name for p in (tmp_path / "q4").iterdir()] == ["result.json"]  # no temporary files left
    assert read_result(tmp_path, "q5") is None
    (tmp_path / "q5").mkdir()
    (tmp_path / "q5" / "result.json").write_text("{not json")
    with pytest.raises(ExperimentError, match="not a valid result"):
        read_result(tmp_path, "q5")


def test_atomic_write_keeps_old_file_when_writing_fails(tmp_path, monkeypatch):
    p = tmp_path / "f.txt"
    atomic_write_text(p, "old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(base.os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_text(p, "new")
    assert p.read_text() == "old"
    assert sorted(x.name for x in tmp_path.iterdir()) == ["f.txt"]


def test_t_quantile_and_mean_ci_match_tables():
    assert t_quantile(0.975, 1) == pytest.approx(12.7062, abs=1e-3)
    assert t_quantile(0.975, 2) == pytest.approx(4.3027, abs=1e-3)
    assert t_quantile(0.975, 10) == pytest.approx(2.2281, abs=1e-3)
    assert t_quantile(0.025, 10) == pytest.approx(-2.2281, abs=1e-3)
    m, (lo, hi) = mean_ci([1.0, 2.0, 3.0])
    assert m == 2.0
    assert hi - m == pytest.approx(4.3027 * 1 / math.sqrt(3), abs=1e-3)
    assert lo == pytest.approx(2 * m - hi)
    assert mean_ci([5.0]) == (5.0, (5.0, 5.0))
    with pytest.raises(ValueError):
        mean_ci([])
    assert fmt_ci(1.0, (0.99, 1.01)) == "1.00 ± 0.01"


def test_list_experiments_is_fast_and_has_the_seed_questions():
    infos = list_experiments()
    assert [i.qid for i in infos] == [f"q{i}" for i in range(1, 9)]
    assert get_info("q3").question_zh == "Transformer中的attention为什么要进行scaled?"
    assert all(i.question_zh and i.question_en and i.claim for i in infos)
    with pytest.raises(ValueError, match="qid"):
        get_info("q9")
    with pytest.raises(ValueError, match="qid"):
        get_experiment("nope")


class _Toy(Experiment):
    qid = "toy"
    title = "toy"
    question_en = "Is the toy deterministic?"

    def run(self, ctx: RunContext) -> Result:
        import torch

        from attnlab.report.plots import new_figure

        vals = [torch.randn(8, generator=torch.Generator().manual_seed(s)).mean().item() for s in ctx.seeds]
        m, ci = mean_ci(vals)
        fig, ax = new_figure()
        ax.plot(vals)
        ctx.save_figure(fig, "vals")
        return self.make_result(ctx, verdict="inconclusive", rule="none", summary="toy",
                                evidence=[Evidence("mean", m, ci, "")], config={"n": 8})


def test_register_and_run_a_custom_experiment(tmp_path):
    register(_Toy)
    r = run_experiment("toy", profile="tiny", seeds=3, out=tmp_path)
    assert r.seeds == [0, 1, 2] and r.profile == "tiny" and r.seconds >= 0
    assert r.figures == ["vals.png", "vals.svg"]
    assert (tmp_path / "toy" / "vals.png").read_bytes()[:4] == b"\x89PNG"
    assert b"<svg" in (tmp_path / "toy" / "vals.svg").read_bytes()
    assert r.versions["torch"] and r.versions["python"]
    assert read_result(tmp_path, "toy") == r
    with pytest.raises(TypeError):
        register(int)
    with pytest.raises(ValueError, match="profile"):
        run_experiment("toy", profile="huge", out=tmp_path)


def test_save_figure_rejects_paths(tmp_path):
    from attnlab.report.plots import new_figure

    ctx = RunContext("tiny", [0], tmp_path)
    fig, _ = new_figure()
    with pytest.raises(ValueError, match="name"):
        ctx.save_figure(fig, "../evil")
    assert ctx.pick(tiny=1, quick=2, full=3) == 1


def test_same_seed_gives_same_numbers(tmp_path):
    t0 = time.perf_counter()
    a = run_experiment("q4", profile="tiny", seeds=2, out=tmp_path / "a")
    b = run_experiment("q4", profile="tiny", seeds=2, out=tmp_path / "b")
    assert [e.to_dict() for e in a.evidence] == [e.to_dict() for e in b.evidence]
    assert a.verdict == b.verdict and a.rule == b.rule and a.summary == b.summary
    c = run_experiment("q4", profile="tiny", seeds=[5, 6], out=tmp_path / "c")
    assert c.get("var_loglog_slope").value != a.get("var_loglog_slope").value
    assert time.perf_counter() - t0 < 60
