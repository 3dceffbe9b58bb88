"""The hooks benchmark case runs and checks that a model whose hooks were cleared gives bitwise the
logits of a never-hooked copy (its timing target is not asserted here)."""

from __future__ import annotations

from attnlab.bench.cases import CASES, CaseContext, run_case


def test_hooks_none_case_runs_and_the_cleared_model_is_bitwise_the_fresh_one():
    result = run_case(CASES["hooks.none"], CaseContext(quick=True))
    assert result.error is None
    assert result.details["bitwise_equal"] is True
    assert result.ratio is not None and result.ratio > 0
    assert "identity hooks on every residual point" in result.details["timings"]
