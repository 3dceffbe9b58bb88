"""What a training run shows and writes as it goes: a JSONL metrics file and a progress bar."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["JsonlLog", "progress_bar"]


class JsonlLog:
    """Append JSON lines to ``path`` (only when ``enabled``, e.g. on rank 0); a no-op without a path."""

    def __init__(self, path: str | None, enabled: bool) -> None:
        self.fh = None
        if path is not None and enabled:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.fh = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def write(self, record: dict[str, Any]) -> None:
        if self.fh is not None:
            self.fh.write(json.dumps(record, default=str) + "\n")
            self.fh.flush()

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()
            self.fh = None


@contextlib.contextmanager
def progress_bar(enabled: bool, total: int) -> Iterator[Any]:
    """A rich progress bar on stderr yielding ``update(advance, info)``; yields None when not ``enabled``."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("train"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[info]}"),
        console=Console(stderr=True),
        transient=False,
    )
    with bar:
        task_id = bar.add_task("train", total=total, info="")
        yield lambda advance, info: bar.update(task_id, advance=advance, info=info)
