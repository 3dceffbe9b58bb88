"""Fonts for figures: Latin text in DejaVu Sans, Chinese (and other CJK) glyphs from a CJK font when one is
installed, through matplotlib's per-glyph font fallback.

Debian ships them as ``fonts-noto-cjk`` (Noto Sans CJK) and ``fonts-wqy-microhei`` (WenQuanYi Micro Hei).
A font installed after matplotlib built its font cache is still found: the usual files are added to the
font manager directly. Without one, CJK text draws as boxes, and :func:`font_note` says so.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

__all__ = ["BASE_FONT", "CJK_FONTS", "cjk_font", "font_note", "font_rc"]

BASE_FONT = "DejaVu Sans"
CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei",
             "Droid Sans Fallback", "Noto Sans CJK JP")
"""The CJK fonts matplotlib is pointed at, best first."""

_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
          "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
          "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
          "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
          "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")


@functools.lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """The first of :data:`CJK_FONTS` that matplotlib can use here, or ``None``."""
    from matplotlib import font_manager

    def names() -> set[str]:
        return {f.name for f in font_manager.fontManager.ttflist}

    found = names()
    if not any(n in found for n in CJK_FONTS):
        for path in _FILES:  # installed after matplotlib cached its font list
            if Path(path).is_file():
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        found = names()
    return next((n for n in CJK_FONTS if n in found), None)


class _NoBoldWarning(logging.Filter):
    """CJK fonts ship one weight: matplotlib then warns, for every bold title, that it uses the regular one."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        return not (msg.startswith("findfont: Failed to find font weight") and any(f in msg for f in CJK_FONTS))


@functools.lru_cache(maxsize=1)
def _quiet_bold_warning() -> None:
    logging.getLogger("matplotlib.font_manager").addFilter(_NoBoldWarning())


def font_rc() -> dict[str, Any]:
    """rcParams that draw Latin text in :data:`BASE_FONT` and fall back to the CJK font for other glyphs."""
    cjk = cjk_font()  # matplotlib falls back glyph by glyph along font.family, not along font.sans-serif
    if cjk:
        _quiet_bold_warning()
    return {"font.family": [BASE_FONT] + ([cjk] if cjk else [])}


def font_note() -> tuple[str, str]:
    """What the figures are drawn with, in English and Chinese (the report prints it)."""
    cjk = cjk_font()
    if cjk:
        return (f"Figures drawn with {BASE_FONT}; Chinese glyphs from {cjk}.",
                f"图中文字使用 {BASE_FONT}，中文字形来自 {cjk}。")
    return (f"Figures drawn with {BASE_FONT}; no CJK font was found, so Chinese text in figures would show as boxes "
            "(install fonts-noto-cjk or fonts-wqy-microhei).",
            f"图中文字使用 {BASE_FONT}；未找到中文字体，图中的中文会显示为方框（可安装 fonts-noto-cjk 或 "
            "fonts-wqy-microhei）。")
