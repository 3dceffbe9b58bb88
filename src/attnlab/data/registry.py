"""The registry of tasks by name: ``make_task("copy", length=8)``, ``list_tasks()``.

Tests (and anything else that registers a task for a while) take :func:`snapshot` before and
:func:`restore` after, so a registration never leaks into what another caller sees.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from attnlab.data.base import Task

__all__ = ["get_task_class", "list_tasks", "make_task", "register_task", "restore", "snapshot"]

_REGISTRY: dict[str, type[Task]] = {}


def register_task(name: str) -> Callable[[type[Task]], type[Task]]:
    """Class decorator registering a task under ``name`` for :func:`make_task`."""

    def deco(cls: type[Task]) -> type[Task]:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"task name {name!r} is already registered to {_REGISTRY[name].__name__}")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return deco


def list_tasks() -> list[str]:
    """Names of the registered tasks, sorted."""
    return sorted(_REGISTRY)


def get_task_class(name: str) -> type[Task]:
    """The class registered under ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"task: expected one of {list_tasks()}, got {name!r}") from None


def make_task(name: str, **kwargs: Any) -> Task:
    """Build the task registered under ``name``, e.g. ``make_task("sort", length=6)``."""
    cls = get_task_class(name)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        names = [f.name for f in dataclasses.fields(cls)] if dataclasses.is_dataclass(cls) else []
        raise TypeError(f"make_task({name!r}): {exc}; accepted arguments: {names}") from None



def snapshot() -> dict[str, type[Task]]:
    """A copy of the registry (name -> task class), for :func:`restore`."""
    return dict(_REGISTRY)


def restore(saved: dict[str, type[Task]]) -> None:
    """Make the registry exactly ``saved`` (from :func:`snapshot`) again."""
    _REGISTRY.clear()
    _REGISTRY.update(saved)
