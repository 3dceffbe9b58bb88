"""attnlab.validation: a wrong type is a TypeError, a wrong value a ValueError; messages name the argument."""

from __future__ import annotations

import pytest

from attnlab.validation import check_choice, check_float, check_int


def test_check_int():
    check_int("n", 3)
    check_int("n", None, optional=True)
    check_int("k", -4, None)
    check_int("d", 7, 0, high=7)
    with pytest.raises(TypeError, match=r"n: expected an int >= 1, got float 2\.0"):
        check_int("n", 2.0)
    with pytest.raises(TypeError, match="n: expected an int >= 1 or None, got bool True"):
        check_int("n", True, optional=True)
    with pytest.raises(ValueError, match="n: expected an int >= 1, got 0"):
        check_int("n", 0)
    with pytest.raises(ValueError, match=r"d: expected an int in \[0, 7\], got 8"):
        check_int("d", 8, 0, high=7)


def test_check_float():
    check_float("lr", 3, 0.0, low_open=True)  # an int is a number
    check_float("p", None, optional=True)
    with pytest.raises(TypeError, match="lr: expected a number in \\(0, inf\\), got str '1e-3'"):
        check_float("lr", "1e-3", 0.0, low_open=True)
    with pytest.raises(TypeError, match="p"):
        check_float("p", False)
    with pytest.raises(ValueError, match=r"p: expected a number in \[0, 1\), got 1"):
        check_float("p", 1, 0.0, 1.0, high_open=True)


def test_check_choice():
    check_choice("device", "cpu", ("cpu", "cuda"))
    with pytest.raises(ValueError, match=r"device: expected one of \('cpu', 'cuda'\), got 'tpu'"):
        check_choice("device", "tpu", ("cpu", "cuda"))
    with pytest.raises(ValueError, match="device"):
        check_choice("device", 3, ("cpu", "cuda"))
