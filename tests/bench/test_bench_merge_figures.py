"""``--merge`` keeps the rows of cases not run again, dated; the page draws its figures from the rows."""

from __future__ import annotations

import json

import pytest

from attnlab.bench import run_bench
from attnlab.bench.cases import CaseResult
from attnlab.bench.docs import render_markdown
from attnlab.bench.figures import draw_figures


def test_merge_keeps_the_other_rows_with_their_date_and_the_page_marks_them(tmp_path):
    first = tmp_path / "first.json"
    run_bench(True, first, "cpu", cases=["mha.inference", "scores.general"], progress=False)
    old = json.loads(first.read_text())
    second, docs = tmp_path / "second.json", tmp_path / "benchmarks.md"
    results = run_bench(True, second, "cpu", cases=["scores.general"], docs_path=docs, progress=False, merge=first)
    assert [r.name for r in results] == ["mha.inference", "scores.general"]  # the table's order
    kept, fresh = results
    assert kept.measured_utc == old["results"][0]["measured_utc"] == old["started_utc"]
    assert kept.ratio == old["results"][0]["ratio"]
    assert fresh.measured_utc == json.loads(second.read_text())["started_utc"]
    md = docs.read_text()
    assert f"({old['started_utc']})" in md and "--merge" in md
    row = next(line for line in md.splitlines() if line.startswith("| ") and "†" in line)
    assert kept.title in row
    assert sum("†" in line for line in md.splitlines() if line.startswith("| ")) == 1


def test_merge_refuses_a_run_of_the_other_kind(tmp_path):
    full = tmp_path / "full.json"
    full.write_text(json.dumps({"quick": False, "started_utc": "x", "results": []}))
    with pytest.raises(ValueError, match="merge"):
        run_bench(True, None, "cpu", cases=["mha.inference"], progress=False, merge=full)


def _row(name, ratio, **details):
    return CaseResult(name=name, title=name, peer_name="p", unit="tok/s", attnlab=2.0 * ratio, peer=2.0,
                      ratio=ratio, details=details)


def test_figures_are_drawn_from_the_rows_that_exist(tmp_path):
    shapes = dict(B=1, C=8, L=2)
    timings = {k: {"median_s": s} for k, s in (("attnlab", 1e-3), ("peer", 2e-3), ("delta rule", 1e-3),
                                               ("gated delta rule", 1.1e-3))}
    rows = [_row("generate.speed", 1.7), _row("generate.batch8", 1.2),
            _row("mixers.decode_step.T256", 0.5, shapes={**shapes, "T": 256}, timings=timings),
            _row("mixers.decode_step.T1024", 0.3, shapes={**shapes, "T": 1024}, timings=timings)]
    drawn = draw_figures(rows, tmp_path)
    assert [file for _, file in drawn] == ["decode.svg", "mixers_decode.svg"]  # no MLA row: no MLA figure
    svg = (tmp_path / "decode.svg").read_text()
    assert "1.70x" in svg and "1.20x" in svg and "target 1.5x" in svg
    assert "gated delta rule" in (tmp_path / "mixers_decode.svg").read_text()
    payload = {"started_utc": "now", "seconds": 1.0, "machine": {}, "results": [r.to_dict() for r in rows]}
    md = render_markdown(payload, drawn)
    assert "![Decoding speed against Hugging Face](benchmarks/decode.svg)" in md
    failed = CaseResult(name="generate.speed", title="t", peer_name="p", unit="tok/s", error="RuntimeError: x")
    assert draw_figures([failed], tmp_path / "none") == []  # a failed row draws nothing


@pytest.mark.parametrize("name", ["generate.bandwidth", "generate.switches", "generate.batch8_v8192"])
def test_decode_cases_run_and_measure(name):
    from attnlab.bench import CASES
    from attnlab.bench.cases import CaseContext, run_case

    r = run_case(CASES[name], CaseContext(quick=True))
    assert r.error is None, r.error
    assert r.attnlab > 0 and r.peer > 0 and r.ratio > 0
    if name == "generate.bandwidth":
        assert r.details["weight_bytes"] > 0 and r.details["bandwidth_gb_s"] > 0
    if name == "generate.batch8_v8192":
        assert r.details["same_tokens_as_hf"] is True
