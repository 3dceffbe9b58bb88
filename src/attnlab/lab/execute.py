"""Running one trial in isolation: the same numbers whichever process or machine runs it.

:func:`execute_trial` gives the trial ``threads`` torch threads (one for every trial that runs beside
others: a single thread is both fastest for these small models and bit-for-bit reproducible), seeds
torch, Python and NumPy from ``config["seed"]`` inside a forked RNG state, and restores all of it
afterwards, so nothing a trial does outlives it. Measurements go through a JSON round trip at once, so a
fresh outcome and one read back from the cache are the same values.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import random
import time
from collections.abc import Callable, Iterator
from typing import Any

from attnlab.results import jsonable

__all__ = ["TrialError", "execute_trial", "resolve_fn", "torch_threads"]


class TrialError(RuntimeError):
    """A trial raised or returned something that is not a JSON-able dict (the message says which trial)."""


def resolve_fn(ref: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """Import ``"module:qualname"`` (a trial function) and return it."""
    module, _, name = ref.partition(":")
    if not module or not name:
        raise ValueError(f"trial fn: expected 'module:function', got {ref!r}")
    fn = getattr(importlib.import_module(module), name, None)
    if not callable(fn):
        raise ValueError(f"trial fn: {ref!r} is not a function")
    return fn


@contextlib.contextmanager
def torch_threads(n: int | None) -> Iterator[None]:
    """Run the block with ``torch.set_num_threads(n)``, restored afterwards (``None`` leaves it alone)."""
    import torch

    old = torch.get_num_threads()
    if n is not None:
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n: expected a thread count >= 1 or None, got {n!r}")
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed torch, ``random`` and NumPy for the block and restore their previous states afterwards."""
    import numpy as np
    import torch

    py_state, np_state = random.getstate(), np.random.get_state()
    with torch.random.fork_rng(devices=[]):
        random.seed(seed)
        np.random.seed(seed % 2**32)
        torch.manual_seed(seed)
        try:
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)


def execute_trial(fn: str | Callable[[dict[str, Any]], dict[str, Any]], config: dict[str, Any],
                  threads: int = 1) -> dict[str, Any]:
    """Run one trial in isolation and return ``{"measurements": dict, "seconds": float}``.

    Args:
        fn: the trial function, or its ``"module:qualname"`` (how worker processes receive it).
        config: the trial's config (a copy is passed, so the trial cannot change the caller's).
        threads: torch threads for the trial.

    Raises:
        TrialError: the trial raised (chained), or returned something other than a JSON-able dict.
    """
    func = resolve_fn(fn) if isinstance(fn, str) else fn
    name = fn if isinstance(fn, str) else f"{func.__module__}:{func.__qualname__}"
    seed = int(config.get("seed", 0))
    start = time.perf_counter()
    try:
        with torch_threads(threads), _seeded(seed):
            out = func(json.loads(json.dumps(config)))
    except Exception as exc:
        raise TrialError(f"trial {name} {_short(config)} failed: {type(exc).__name__}: {exc}") from exc
    seconds = time.perf_counter() - start
    if not isinstance(out, dict):
        raise TrialError(f"trial {name} {_short(config)}: expected a dict of measurements, got {type(out).__name__}")
    try:
        measurements = json.loads(json.dumps(jsonable(out), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise TrialError(f"trial {name} {_short(config)}: measurements are not JSON-able ({exc})") from None
    return {"measurements": measurements, "seconds": seconds}


def _short(config: dict[str, Any], limit: int = 160) -> str:
    text = json.dumps(config, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"
