"""The run's surroundings: profile settings, software versions, and an output folder that can be written."""

from __future__ import annotations

import contextlib
import os
import platform
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TypeVar

from attnlab.lab.spec import PROFILES

__all__ = ["OutputError", "ensure_writable", "pick", "versions"]

T = TypeVar("T")


class OutputError(ValueError):
    """The output folder cannot be created or written (the message says which folder and why)."""


def pick(profile: str, *, tiny: T, quick: T, full: T) -> T:
    """The value for ``profile``: ``pick(profile, tiny=20, quick=400, full=4000)``."""
    if profile not in PROFILES:
        raise ValueError(f"profile: expected one of {PROFILES}, got {profile!r}")
    # the standard profile runs the quick settings with the whole protocol (sweeps, more seeds)
    return {"tiny": tiny, "quick": quick, "standard": quick, "full": full}[profile]


def versions() -> dict[str, str]:
    """Versions of what a result depends on: python, platform, attnlab, torch, numpy, scipy."""
    out = {"python": platform.python_version(), "platform": platform.platform()}
    import attnlab

    out["attnlab"] = attnlab.__version__
    for dist in ("torch", "numpy", "scipy"):
        with contextlib.suppress(PackageNotFoundError):
            out[dist] = version(dist)
    return out


def ensure_writable(out: str | Path) -> Path:
    """Create ``out`` if needed and prove it can be written (a probe file), before any computation.

    Raises:
        OutputError: naming the folder and the reason (not a folder, no permission, read-only ...).
    """
    path = Path(out)
    try:
        if path.exists() and not path.is_dir():
            raise OutputError(f"--out: {path} exists and is not a folder")
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".attnlab-probe-", dir=path)
        os.close(fd)
        os.unlink(probe)
    except OutputError:
        raise
    except OSError as exc:
        raise OutputError(f"--out: cannot write to {path} ({exc.strerror or exc})") from None
    return path

