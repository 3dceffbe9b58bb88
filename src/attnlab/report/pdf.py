"""``attnlab report --pdf``: print the report to PDF with the system's Chromium (headless, offline)."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

__all__ = ["find_chromium", "print_pdf"]

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def find_chromium() -> str | None:
    """The Chromium (or Chrome) to print with: ``$ATTNLAB_CHROMIUM``, else the first on ``PATH``."""
    env = os.environ.get("ATTNLAB_CHROMIUM")
    if env:
        return env if Path(env).exists() else None
    return next((path for name in CANDIDATES if (path := shutil.which(name))), None)


def print_pdf(html: str | Path, pdf: str | Path, *, timeout: float = 120.0) -> Path:
    """Print ``html`` (a file) to ``pdf`` with headless Chromium, using the report's print styles.

    Raises:
        FileNotFoundError: no Chromium found (install Debian's ``chromium`` or set ``ATTNLAB_CHROMIUM``).
        RuntimeError: Chromium failed or wrote nothing.
    """
    browser = find_chromium()
    if browser is None:
        raise FileNotFoundError("--pdf: no Chromium found; install one (e.g. Debian's chromium) or set "
                                "ATTNLAB_CHROMIUM to its path")
    html, pdf = Path(html).resolve(), Path(pdf).resolve()
    with tempfile.TemporaryDirectory() as profile:
        cmd = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
               "--disable-background-networking", "--disable-component-update", f"--user-data-dir={profile}",
               "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.as_uri()]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        raise RuntimeError(f"--pdf: {browser} did not print {html} (exit {done.returncode}): {done.stderr[-500:]}")
    return pdf
