"""The mixer benchmark cases run (quick shapes) and check what they claim beside the timings."""

from __future__ import annotations

import pytest

from attnlab.bench.cases import CASES, CaseContext, run_case, select_cases


@pytest.mark.slow
def test_mla_decode_case_reports_bytes_and_equal_tokens():
    result = run_case(CASES["mixers.mla_decode"], CaseContext(quick=True))
    assert result.error is None, result.error
    assert result.details["same_tokens_absorbed_and_naive"] is True
    bytes_ = result.details["cache_bytes_per_token"]
    layers, fp32, d = 2, 4, 16  # quick shapes: C=64, H=4
    assert bytes_ == {"mha": layers * 2 * 4 * d * fp32, "gqa": layers * 2 * 1 * d * fp32,
                      "mla": layers * (4 * d + d // 2) * fp32}
    assert result.unit == "tok/s" and result.ratio > 0
    assert {"GQA (n_kv_heads=1)", "MLA naive decode"} <= set(result.details["timings"])


@pytest.mark.slow
def test_decode_step_cases_time_every_mixer_and_only_the_first_is_quick():
    quick = [c.name for c in select_cases(True, None) if c.name.startswith("mixers.decode_step")]
    assert quick == ["mixers.decode_step.T256"]
    result = run_case(CASES["mixers.decode_step.T256"], CaseContext(quick=True))
    assert result.error is None, result.error
    assert {"delta rule", "gated delta rule"} <= set(result.details["timings"])
