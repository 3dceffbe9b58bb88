"""The one style of every figure: its width, its type sizes, and text measured and fitted to a width.

Every figure is :data:`FIG_WIDTH` inches wide, so text has the same size in every figure on the page.
Text is measured on the figures' fonts without a renderer (:func:`text_inches`), so that titles and labels
can be broken into lines (:func:`fit_text`) or moved into a legend before anything is drawn.
"""

from __future__ import annotations

import functools

import matplotlib

__all__ = ["FIG_WIDTH", "LABEL_SIZE", "RC", "fit_text", "text_inches"]

FIG_WIDTH = 10.0  # inches; the report shows every figure at full width (about 1000 px on a desktop)
LABEL_SIZE = 9.0  # direct labels and legend entries, in points
RC = {"font.size": 10.5, "axes.titlesize": 11.5, "axes.labelsize": 10.5, "legend.fontsize": LABEL_SIZE,
      "xtick.labelsize": 9.5, "ytick.labelsize": 9.5,
      "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.3,
      "figure.titlesize": 13, "figure.titleweight": "bold", "axes.titlepad": 8}


def text_inches(text: str, size: float = LABEL_SIZE) -> float:
    """The width of ``text`` at ``size`` points, measured on the figures' fonts (no renderer needed)."""
    return _measure(text, size, tuple(matplotlib.rcParams["font.family"]))


@functools.lru_cache(maxsize=4096)
def _measure(text: str, size: float, family: tuple[str, ...]) -> float:
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    width, _, _ = text_to_path.get_text_width_height_descent(text, FontProperties(family=list(family), size=size),
                                                             ismath=False)
    return width / 72



def fit_text(text: str, inches: float, size: float, max_lines: int = 3) -> str:
    """``text`` broken at spaces into lines no wider than ``inches`` (as it is when it fits or cannot)."""
    if not text or text_inches(text, size) <= inches:
        return text
    lines: list[str] = []
    for word in text.split(" "):
        if lines and text_inches(f"{lines[-1]} {word}", size) <= inches:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return "\n".join(lines) if len(lines) <= max_lines else text
