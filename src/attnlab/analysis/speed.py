"""Wall time under several torch thread counts, and how busy the rest of the machine was.

The primitives live in :mod:`attnlab.timing` (the one home of timing code); this module keeps the names
importable from ``attnlab.analysis.speed``.
"""

from __future__ import annotations

from attnlab.timing import others_load, thread_timings

__all__ = ["others_load", "thread_timings"]
