"""attnlab.timing: alternation, medians, one function's repeats, calls per measurement, argument checks."""

from __future__ import annotations

import pytest
import torch

from attnlab.timing import compare, measure, thread_timings, time_call


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


def test_thread_timings_pairs_repeats_and_restores_threads():
    before = torch.get_num_threads()
    out = thread_timings({"a": lambda: sum(range(100)), "b": lambda: None}, threads=(1, 2), repeats=3, warmup=1,
                         min_seconds=0.0)
    assert set(out) == {"a", "b"} and all(len(out[k][t]) == 3 for k in out for t in (1, 2))
    assert torch.get_num_threads() == before
    short = thread_timings({"a": lambda: sum(range(100))}, threads=(1,), repeats=50, warmup=1, max_seconds=0.0)
    assert len(short["a"][1]) == 1  # stopped after the first repeat
    with pytest.raises(ValueError, match="threads"):
        thread_timings({"a": lambda: None}, threads=(0,))
