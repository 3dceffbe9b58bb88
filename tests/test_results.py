"""The results schema: round trips, old files, atomic writes, and verdicts that cannot stand on failed checks."""

from __future__ import annotations

import json

import pytest
import torch

from attnlab.results import (
    SCHEMA_VERSION,
    Anchor,
    Check,
    Claim,
    Evidence,
    Panel,
    Plot,
    Reference,
    Result,
    ResultError,
    Series,
    read_result,
    write_result,
)


def _result(**kw) -> Result:
    d = dict(qid="q4", question="Q?", claim="C", verdict="confirmed", rule="r", summary="s",
             evidence=[Evidence("x", 1.5, (1.0, 2.0), "u", Anchor("Paper 2017, Table 1", "1.4", "WMT", "https://x"),
                                label="the x", ci_method="95% t interval over 5 seeds", n=5, bounds=(0, None),
                                per_seed=[1.0, 1.5, 2.0, 1.5, 1.5]),
                       Evidence("curve", [1, 2, 3])],
             checks=[Check("learned", True, "5 of 5")],
             claims=[Claim("part", "a part", "confirmed", "rule", (Check("learned", True, ""),), ("x",))],
             literature=[Reference("Someone 2019", "found y", "regime", "contradicts", "https://y")],
             plots=[Plot("p", "title", [Panel(series=[Series("a", [1, 2], [0.1, 0.2], notes=["n", None])])])],
             figures=["p.png", "p.svg"], config={"k": 1}, seeds=[0, 1], versions={"torch": "x"}, seconds=1.25,
             profile="tiny", trials={"total": 2, "run": 1, "reused": 1})
    d.update(kw)
    return Result(**d)


def test_round_trip_keeps_every_field():
    r = _result()
    d = json.loads(r.to_json())
    for key in ("schema", "qid", "question", "claim", "verdict", "rule", "summary", "checks", "claims", "evidence",
                "plots", "figures", "config", "seeds", "profile", "versions", "seconds", "trials", "literature"):
        assert key in d, key
    assert d["schema"] == SCHEMA_VERSION
    assert d["evidence"][0]["anchor"]["url"] == "https://x" and d["evidence"][0]["bounds"] == [0.0, None]
    assert Result.from_json(r.to_json()) == r
    assert r.get("curve").value == [1, 2, 3]
    with pytest.raises(KeyError, match="have"):
        r.get("missing")


def test_a_verdict_cannot_stand_on_a_failed_check():
    with pytest.raises(ValueError, match="failed checks"):
        _result(checks=[Check("learned", False, "0 of 5")])
    _result(verdict="inconclusive", checks=[Check("learned", False, "0 of 5")])
    with pytest.raises(ValueError, match="failed checks"):
        Claim("c", "s", "qualified", "r", (Check("x", False),))
    with pytest.raises(ValueError, match="basis"):
        Claim("c", "s", "confirmed", "r", basis="guess")


def test_bad_fields_are_named():
    with pytest.raises(ValueError, match="verdict"):
        _result(verdict="maybe")
    with pytest.raises(ValueError, match="Evidence.ci"):
        Evidence("x", 1.0, (1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="Evidence.name"):
        Evidence("", 1.0)
    with pytest.raises(ValueError, match="Plot.name"):
        Plot("../x", "t", [Panel()])
    with pytest.raises(ValueError, match="Panel.kind"):
        Panel(kind="pie")
    with pytest.raises(ValueError, match="stance"):
        Reference("a", "b", stance="maybe")


def test_tensors_and_non_finite_values_become_strict_json():
    r = _result(config={"t": torch.tensor([1.0, 2.0]), "nan": float("nan"), "tuple": (1, 2)})
    assert json.loads(r.to_json())["config"] == {"t": [1.0, 2.0], "nan": None, "tuple": [1, 2]}


def test_write_is_atomic_and_read_detects_damage(tmp_path):
    r = _result()
    path = write_result(r, tmp_path)
    assert path == tmp_path / "q4" / "result.json"
    assert read_result(tmp_path, "q4") == r
    assert [p.name for p in (tmp_path / "q4").iterdir()] == ["result.json"]  # no temporary file left
    assert read_result(tmp_path, "q5") is None
    (tmp_path / "q5").mkdir()
    (tmp_path / "q5" / "result.json").write_text(r.to_json()[:200])  # truncated
    with pytest.raises(ResultError, match="not a valid result"):
        read_result(tmp_path, "q5")


def test_old_files_are_upgraded_and_newer_ones_refused(tmp_path):
    old = {"qid": "q4", "question": "Q?", "claim": "C", "verdict": "confirmed", "rule": "r", "summary": "s",
           "evidence": [{"name": "x", "value": 1.0, "ci": [0.9, 1.1], "unit": "u", "anchor": "Paper: 1.0"}],
           "figures": [], "config": {}, "seeds": [0], "versions": {}, "seconds": 1.0, "profile": "quick"}
    (tmp_path / "q4").mkdir()
    (tmp_path / "q4" / "result.json").write_text(json.dumps(old))
    r = read_result(tmp_path, "q4")
    assert r.schema == SCHEMA_VERSION and r.get("x").anchor.value == "Paper: 1.0" and r.checks == []
    (tmp_path / "q4" / "result.json").write_text(json.dumps({**old, "schema": SCHEMA_VERSION + 1}))
    with pytest.raises(ResultError, match="upgrade attnlab"):
        read_result(tmp_path, "q4")
