"""The benchmark suite runs, measures, and writes what it says (no timing targets are asserted)."""

from __future__ import annotations

import json
import math

import pytest
import torch

from attnlab.bench import CASES, run_bench
from attnlab.bench.cases import (
    Case,
    CaseContext,
    CaseResult,
    Target,
    Timed,
    TimedCase,
    read_report_seconds,
    run_case,
    select_cases,
)
from attnlab.bench.docs import REGENERATE, render_markdown
from attnlab.bench.machine import machine_info
from attnlab.bench.memory import MIB, measure_memory

TINY = ["mha.inference", "scores.general", "attention.matmul_fraction", "report.quick_compute"]


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


def test_run_bench_tiny_subset_writes_json_and_docs(tmp_path):
    json_path, docs_path = tmp_path / "bench.json", tmp_path / "benchmarks.md"
    results = run_bench(True, json_path, "cpu", cases=TINY, docs_path=docs_path, progress=False)
    assert [r.name for r in results] == TINY
    data = json.loads(json_path.read_text())
    assert data["quick"] is True and data["device"] == "cpu"
    for key in ("cpu", "cores", "torch", "torch_threads", "load_average"):
        assert key in data["machine"]
    assert data["machine"]["torch"] == torch.__version__
    fields = {"name", "title", "peer_name", "unit", "attnlab", "peer", "ratio", "target", "met", "notes",
              "details", "seconds", "error"}
    for row in data["results"]:
        assert fields <= set(row), row
        assert row["error"] is None, row["error"]
        assert row["met"] is None  # quick runs never evaluate targets
    for r in results[:3]:
        assert r.ratio is not None and r.ratio > 0 and math.isfinite(r.ratio)
        assert r.attnlab > 0 and r.peer > 0
        assert r.target is not None
    md = docs_path.read_text()
    assert REGENERATE in md and "| case | attnlab | peer | ratio | target | met? |" in md
    assert "mha.inference" in md


def test_memory_subprocess_measures_an_allocation():
    res = measure_memory("alloc_256mib", device="cpu")
    assert res.peak_bytes > 0
    # 256 MiB allocated and touched inside the workload, measured in a fresh process over its baseline
    assert 240 * MIB <= res.peak_bytes <= 400 * MIB, res.to_dict()
    assert res.baseline_bytes > 0 and res.seconds >= 0


@pytest.mark.slow  # over 5 s: two fresh processes
def test_memory_case_chunked_vs_materialized_quick():
    ctx = CaseContext(quick=True)
    r = run_case(CASES["scores.additive.memory"], ctx)
    assert r.error is None, r.error
    assert r.attnlab > 0 and r.peer > 0 and r.ratio > 0
    assert r.details["attnlab"]["peak_bytes"] > 0


def test_target_checks_and_describes():
    r = CaseResult(name="x", title="x", peer_name="p", unit="ms", attnlab=3.0, peer=4.0, ratio=0.75)
    assert Target("<=", 1.0).check(r) is True
    assert Target(">=", 1.5).check(r) is False
    assert Target("<=", 2.0, subject="attnlab", unit="GiB").check(r) is False
    assert Target("<=", 1.0).describe() == "≤ 1"
    assert "aim" in Target(">=", 0.8, aim=True).describe()
    with pytest.raises(ValueError, match="op"):
        Target("<", 1.0)


def test_failing_case_becomes_an_error_row():
    def boom(ctx):
        raise RuntimeError("kaput")

    r = run_case(Case("t.boom", "boom", boom, Target("<=", 1.0), True), CaseContext(quick=False))
    assert r.error == "RuntimeError: kaput" and r.met is None


def test_select_cases_and_bad_names():
    assert [c.name for c in select_cases(False, ["mha"])] == ["mha.fwd_bwd", "mha.inference", "mha.need_weights"]
    assert len(select_cases(True)) >= 5
    with pytest.raises(ValueError, match="cases"):
        select_cases(False, ["nope"])
    with pytest.raises(ValueError, match="device"):
        run_bench(True, None, "tpu")


def test_report_seconds_count_only_quick_results(tmp_path):
    from attnlab.results import Result, write_result

    for qid, secs, profile in (("q1", 10.0, "quick"), ("q2", 5.5, "quick"), ("q3", 99.0, "full")):
        write_result(Result(qid=qid, question="q", claim="c", verdict="inconclusive", rule="r", summary="s",
                            seconds=secs, profile=profile, config={"steps": 1}), tmp_path)
    (tmp_path / "q4").mkdir()
    (tmp_path / "q4" / "result.json").write_text("{broken")  # an unreadable result is skipped, not fatal
    total, qids, d = read_report_seconds([tmp_path / "missing", tmp_path])
    assert total == pytest.approx(15.5) and qids == ["q1", "q2"] and d == tmp_path  # the full run is not counted


def test_markdown_renders_from_payload():
    r = CaseResult(name="mha.fwd_bwd", title="t|x", peer_name="p", unit="ms", attnlab=1.0, peer=2.0,
                   ratio=0.5, target="≤ 1", met=True)
    payload = {"quick": False, "started_utc": "2026-01-01T00:00:00+00:00", "seconds": 60.0,
               "command": REGENERATE, "machine": machine_info(), "results": [r.to_dict()]}
    md = render_markdown(payload)
    assert "t\\|x" in md and "| yes |" in md and "0.500" in md


def test_timed_runner_sets_the_mode_and_builds_the_row():
    seen = []
    lin = torch.nn.Linear(2, 2)

    def build(ctx):
        def ours():
            seen.append((lin.training, torch.is_grad_enabled()))

        def check():
            ours()
            return {"diff": 0.0}

        return Timed(attnlab=ours, peer=lambda: None, title="t", modules=(lin,), details={"shapes": {"B": 1}},
                     check=check, work=(10.0, 10.0),
                     after=lambda timings: {"notes": f"{len(timings)} timed"})

    ctx = CaseContext(quick=True)
    for grad in (False, True):
        case = TimedCase("t.case", "t", "peer", build, target=Target(">=", 1.0), grad=grad, unit="tok/s",
                         warmup=1, repeats=(5, 2))
        r = run_case(case, ctx)
        assert r.error is None, r.error
        assert set(seen) == {(grad, grad)}  # eval + no_grad, or train + grad, during the check and every call
        assert len(seen) == 4  # the check, one warm-up, two repeats (quick)
        seen.clear()
    assert r.unit == "tok/s" and r.attnlab == pytest.approx(r.ratio * r.peer) and r.notes == "2 timed"
    assert set(r.details) == {"shapes", "diff", "timings"} and len(r.details["timings"]["peer"]["times_s"]) == 2
    assert r.target == "≥ 1" and r.met is None and ctx.results["t.case"] is r


def test_the_table_runs_every_kind_of_entry_by_name():
    from attnlab.bench.cases import MEMORY_WORKLOADS, MemoryCase

    kinds = {type(c) for c in CASES.values()}
    assert kinds == {Case, TimedCase, MemoryCase}
    for c in CASES.values():
        if isinstance(c, MemoryCase):
            assert MEMORY_WORKLOADS[c.attnlab.name] is c.attnlab and MEMORY_WORKLOADS[c.peer.name] is c.peer
    names = list(CASES)
    assert names.index("scores.additive.memory") < names.index("scores.additive.long")  # it reuses the peak
