"""Statistics across seeds: intervals that respect bounds and say how they were made, paired differences."""

from __future__ import annotations

import math

import pytest
from scipy import stats as scipy_stats

from attnlab.lab import rules, stats, words
from attnlab.results import Evidence


def test_t_quantile_is_scipys():
    for df in (1, 2, 4, 9, 30):
        assert stats.t_quantile(0.975, df) == pytest.approx(scipy_stats.t.ppf(0.975, df))
    assert stats.t_quantile(0.975, 4) == pytest.approx(2.776, abs=1e-3)
    with pytest.raises(ValueError, match="p:"):
        stats.t_quantile(1.0, 3)
    with pytest.raises(ValueError, match="df:"):
        stats.t_quantile(0.9, 0)


def test_mean_interval_is_clipped_to_bounds_and_says_so():
    est = stats.estimate([1.0, 0.5, 1.0], bounds=(0.0, 1.0))
    assert est.ci is not None and est.ci[1] == 1.0 and 0.0 <= est.ci[0] < est.mean
    assert "clipped to [0, 1]" in est.method and "3 seeds" in est.method
    free = stats.estimate([1.0, 0.5, 1.0])
    assert free.ci[1] > 1.0 and "clipped" not in free.method
    half = stats.t_quantile(0.975, 2) * math.sqrt(((1 - 5 / 6) ** 2 * 2 + (0.5 - 5 / 6) ** 2) / 2) / math.sqrt(3)
    assert free.ci == pytest.approx((5 / 6 - half, 5 / 6 + half))


def test_equal_seeds_give_no_interval_rather_than_a_point_interval():
    est = stats.estimate([1.0] * 5, bounds=(0, 1))
    assert est.ci is None and est.method == "all 5 seeds equal"
    assert stats.fmt_estimate(est) == "1.000 (all 5 seeds equal)"
    assert stats.estimate([0.3]).ci is None
    with pytest.raises(ValueError, match="values"):
        stats.estimate([])
    with pytest.raises(ValueError, match="finite"):
        stats.estimate([1.0, math.nan])


def test_paired_difference_uses_the_per_seed_differences():
    a, b = [0.9, 0.8, 0.95, 0.85, 0.9], [0.5, 0.45, 0.6, 0.5, 0.55]
    est = stats.paired_difference(a, b, bounds=(-1, 1))
    diffs = [x - y for x, y in zip(a, b, strict=True)]
    assert est.mean == pytest.approx(sum(diffs) / 5) and est.excludes(0.0)
    assert "paired differences" in est.method
    with pytest.raises(ValueError, match="one value per seed"):
        stats.paired_difference([1, 2], [1])
    e = stats.paired_evidence("gain", a, b, label="gain", unit="accuracy", bounds=(-1, 1))
    assert e.per_seed == pytest.approx(diffs) and e.n == 5


def test_paired_ratio_leaves_out_seeds_without_both_values():
    e = stats.paired_ratio_evidence("r", [200, None, 400, 300], [100, 100, 200, 150], label="r")
    assert e.number == pytest.approx(2.0) and e.ci is None and "1 of 4 seeds left out" in e.ci_method
    assert stats.paired_ratio_evidence("r", [None, None], [1, 2], label="r").value == "undefined"


def test_wilson_interval_stays_in_bounds():
    lo, hi = stats.wilson_interval(5, 5)
    assert hi == 1.0 and 0.5 < lo < 0.6
    assert stats.wilson_interval(0, 5)[0] == 0.0
    with pytest.raises(ValueError):
        stats.wilson_interval(6, 5)


def test_censored_steps():
    assert stats.median_steps([100, 200, None]) == 200
    assert stats.median_steps([100, None, None]) is None
    e = stats.steps_evidence("s", [100, None, 300, None, None], 500, label="steps")
    assert e.value == "> 500" and "2 of 5 reached" in e.ci_method
    assert rules.reached_count(e) == (2, 5)
    assert not rules.reached_gate("c", e).passed
    assert rules.reached_gate("c", stats.steps_evidence("s", [1, 2, 3, 4, None], 9, label="s")).passed
    assert words.fmt(e) == "not reached within 500 steps (2/5 seeds reached it)"
    assert words.fmt(e, "zh") == "500 步内未达到（2/5 个种子达到）"


@pytest.mark.parametrize(("ci", "side"), [((1.6, 2.0), "above"), ((0.3, 0.6), "below"), ((0.8, 1.4), "within"),
                                          ((1.2, 1.8), "unclear"), ((0.5, 1.2), "within")])
def test_ratio_side_gives_each_outcome(ci, side):
    e = Evidence("r", sum(ci) / 2, ci=ci)
    assert rules.ratio_side(e, 1.5) == side


def test_heads_and_layers_of_one_model_get_a_range_not_a_confidence_interval():
    heads = stats.evidence_from("share", [0.2, 0.5, 0.3, 0.4], label="share", unit="share", over="heads")
    assert heads.ci == (0.2, 0.5) and heads.number == pytest.approx(0.35) and heads.n == 4
    assert heads.ci_kind == "spread" and "not a confidence interval" in heads.ci_method
    assert words.fmt(heads, "en", 2) == "0.35 (range over 4 heads: 0.20 to 0.50)"
    assert words.fmt(heads, "zh", 2) == "0.35（4 个头的范围：0.20 至 0.50）"
    sentences = stats.evidence_from("share", [0.2, 0.5, 0.3, 0.4], label="share", unit="share", over="sentences")
    assert "t interval over 4 sentences" in sentences.ci_method
    half = stats.t_quantile(0.975, 3) * 0.1290994 / math.sqrt(4)  # t(3) x sd / sqrt(n)
    assert sentences.ci == pytest.approx((0.35 - half, 0.35 + half), abs=1e-6)  # a t interval for the mean
    assert sentences.ci_kind == "confidence" and words.fmt(sentences, "en", 2).startswith("0.35 [")
    with pytest.raises(ValueError, match="values"):
        stats.evidence_from("share", [], label="share", unit="share", over="layers")
