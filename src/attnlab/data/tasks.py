"""Synthetic tasks, generated on the fly from a seed: the task interface, the registry and the core tasks.

This module gathers, under one import path, what is defined by concept in
:mod:`~attnlab.data.base` (:class:`Batch`, :class:`Task`, ``IGNORE_INDEX``, ``PAD_ID``),
:mod:`~attnlab.data.registry` (:func:`make_task`, :func:`list_tasks`, :func:`register_task`, :func:`snapshot`,
:func:`restore`), :mod:`~attnlab.data.transduction` (copy, reverse, sort), :mod:`~attnlab.data.relations`
(associative recall, follow, match, long range, multi-relation) and :mod:`~attnlab.data.sentiment` (needle).

Tasks are registered by name: ``make_task("copy", length=8)``, ``list_tasks()``. Nothing is downloaded: the
same ``torch.Generator`` state gives the same batch on every machine.
"""

from __future__ import annotations

from attnlab.data.base import IGNORE_INDEX, PAD_ID, Batch, Task
from attnlab.data.registry import get_task_class, list_tasks, make_task, register_task, restore, snapshot
from attnlab.data.relations import AssociativeRecallTask, FollowTask, LongRangeTask, MatchTask, MultiRelationTask
from attnlab.data.sentiment import (
    DISTRACTOR_WORDS,
    NEGATIVE_WORDS,
    NEUTRAL_WORDS,
    POSITIVE_WORDS,
    NeedleSentimentTask,
    WordSentimentTask,
)
from attnlab.data.transduction import CopyTask, ReverseTask, SortTask

__all__ = [
    "DISTRACTOR_WORDS",
    "IGNORE_INDEX",
    "NEGATIVE_WORDS",
    "NEUTRAL_WORDS",
    "PAD_ID",
    "POSITIVE_WORDS",
    "AssociativeRecallTask",
    "Batch",
    "CopyTask",
    "FollowTask",
    "LongRangeTask",
    "MatchTask",
    "MultiRelationTask",
    "NeedleSentimentTask",
    "ReverseTask",
    "SortTask",
    "Task",
    "WordSentimentTask",
    "get_task_class",
    "list_tasks",
    "make_task",
    "register_task",
    "restore",
    "snapshot",
]
