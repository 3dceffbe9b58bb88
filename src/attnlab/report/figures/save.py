"""Saving a figure: PNG and SVG, atomically, with the same bytes for the same figure on every run."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import matplotlib

from attnlab.results import atomic_write_bytes

__all__ = ["DPI", "save_figure"]

DPI = 110  # the PNG's resolution; the SVG is resolution-independent


def save_figure(fig: Any, out_dir: str | Path, name: str, *, tight: bool = True,
                formats: tuple[str, ...] = ("png", "svg")) -> list[str]:
    """Write ``fig`` (a ``matplotlib.figure.Figure``) as ``out_dir/name.png`` and ``out_dir/name.svg``.

    No date or software version is embedded and SVG ids are salted with a constant, so the same figure
    gives the same files. Each file is written atomically. Returns the paths relative to ``out_dir``.
    ``tight=False`` keeps the figure's own margins (faster for figures with hundreds of labels); ``formats``:
    which of the two to write.

    Raises:
        ValueError: ``name`` is not a plain file stem.
    """
    if not name or "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"name: expected a plain file stem like 'curve', got {name!r}")
    out_dir = Path(out_dir)
    paths = []
    # svg.fonttype "none": text stays text (smaller, selectable); hashsalt: reproducible element ids
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "attnlab"}):
        for ext in formats:
            buf = io.BytesIO()
            meta = {"Date": None} if ext == "svg" else {"Software": None}
            fig.savefig(buf, format=ext, dpi=DPI, metadata=meta, bbox_inches="tight" if tight else None)
            atomic_write_bytes(out_dir / f"{name}.{ext}", buf.getvalue())
            paths.append(f"{name}.{ext}")
    return paths
