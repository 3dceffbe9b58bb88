"""attnlab.timing: alternation, medians, one function's repeats, calls per measurement, argument checks."""

from __future__ import annotations

import pytest

from attnlab.timing import compare, measure, time_call


def test_compare_alternates_and_takes_medians():
    calls = []
    timings = compare({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}, warmup=1, repeats=4)
    assert calls.count("a") == calls.count("b") == 5
    assert calls[2:4] == ["a", "b"] and calls[4:6] == ["b", "a"]  # the order rotates each round
    assert timings["a"].median >= 0 and len(timings["b"].times) == 4


def test_measure_warms_up_then_takes_the_median():
    calls = []
    t = measure(lambda: calls.append(1), warmup=2, repeats=3)
    assert len(calls) == 5 and len(t.times) == 3 and t.minimum <= t.median
    assert t.to_dict()["times_s"] == list(t.times)


def test_time_call_divides_by_the_calls():
    calls = []
    assert time_call(lambda: calls.append(1), "cpu", calls=4) >= 0 and len(calls) == 4


def test_bad_counts_name_the_argument():
    with pytest.raises(ValueError, match="repeats: expected an int >= 1, got 0"):
        compare({"a": lambda: None}, repeats=0)
    with pytest.raises(TypeError, match="warmup"):
        measure(lambda: None, warmup=1.5)
