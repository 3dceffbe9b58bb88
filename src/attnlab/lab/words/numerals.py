"""Numbers, intervals, spreads, censored counts and verdicts as words, in one language at a time.

Every sentence of every question formats its numbers here, so one value is rounded one way wherever it
appears (half up, on the decimal the value prints as: 0.225 is "0.23" and "23%" alike) and a Chinese
sentence never receives English words. ``lang`` is ``"en"`` or ``"zh"``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from attnlab.results import Evidence

__all__ = ["LANGS", "UNDEFINED", "VERDICT_WORDS", "fmt", "join", "num", "pct", "plain", "reached", "sci", "signed",
           "verdict"]

LANGS: tuple[str, ...] = ("en", "zh")
UNDEFINED = "undefined"  # the value of a ratio with fewer than two paired seeds (attnlab.lab.stats)

VERDICT_WORDS: dict[str, dict[str, str]] = {
    "en": {"confirmed": "confirmed", "qualified": "qualified", "refuted": "refuted", "inconclusive": "inconclusive"},
    "zh": {"confirmed": "成立", "qualified": "有条件成立", "refuted": "不成立", "inconclusive": "无定论"},
}


def _lang(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang: expected one of {LANGS}, got {lang!r}")
    return lang


def _rounded(x: float, digits: int) -> Decimal:
    return Decimal(repr(float(x))).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def num(x: float, digits: int = 3) -> str:
    """``x`` with ``digits`` decimals, rounded half up (``"inf"`` for an infinite value)."""
    if math.isinf(x) or math.isnan(x):
        return str(x)
    s = f"{_rounded(x, digits):f}"
    return "0" + s[2:] if s.startswith("-0") and not any(c in "123456789" for c in s) else s


def pct(x: float, digits: int = 0) -> str:
    """A fraction as a percentage: ``pct(0.225) == "23%"`` (the same rounding as :func:`num`)."""
    return num(100 * float(x), digits) + "%"


def sci(x: float, digits: int = 1) -> str:
    """A number too small or large for decimals, in one format: ``sci(0.000123) == "1.2e-04"``."""
    return f"{float(x):.{digits}e}"


def signed(x: float, digits: int = 3) -> str:
    """A difference with its sign: ``signed(0.12, 2) == "+0.12"``, ``signed(-0.2, 2) == "-0.20"``."""
    text = num(x, digits)
    return text if text.startswith("-") else "+" + text


def plain(x: float) -> str:
    """A setting as it is written, in the fewest decimals that keep its value: ``0.05``, ``2``, ``0.98``."""
    text = repr(float(x))
    return num(x, len(text.split(".")[1].rstrip("0")) if "." in text and "e" not in text else 3)


def verdict(v: str, lang: str) -> str:
    """The verdict as the answers say it: ``verdict("qualified", "zh") == "有条件成立"``."""
    return VERDICT_WORDS[_lang(lang)][v]


def join(items: Sequence[str], lang: str) -> str:
    """``"a, b and c"`` / ``"a、b 和 c"``."""
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    if _lang(lang) == "zh":
        return "、".join(items[:-1]) + " 和 " + items[-1]
    return ", ".join(items[:-1]) + " and " + items[-1]


def reached(steps: Evidence, lang: str) -> str:
    """How many seeds reached the threshold: ``"4/5 seeds reached it"`` / ``"4/5 个种子达到"``."""
    per_seed = steps.per_seed or []
    k, n = sum(s is not None for s in per_seed), len(per_seed)
    return f"{k}/{n} 个种子达到" if _lang(lang) == "zh" else f"{k}/{n} seeds reached it"


def _paren(text: str, lang: str) -> str:
    return f"（{text}）" if lang == "zh" else f" ({text})"


def fmt(e: Evidence, lang: str = "en", digits: int = 3) -> str:
    """An evidence value with what qualifies it, in ``lang``.

    ``"0.912 [0.901, 0.923]"`` (a confidence interval); ``"0.41 (range over 72 heads: 0.10 to 0.90)"`` /
    ``"0.41（72 个头的范围：0.10 至 0.90）"`` (a spread); ``"150 (5/5 seeds reached it)"`` /
    ``"150（5/5 个种子达到）"`` (steps to a threshold); ``"not reached within 800 steps (0/5 seeds reached
    it)"``; a ratio with too few seeds says so. Text values other than these are returned as they are.
    """
    lang = _lang(lang)
    zh = lang == "zh"
    if e.unit == "steps" and e.per_seed is not None:
        if isinstance(e.value, str):
            budget = e.value.lstrip("> ").strip()
            head = f"{budget} 步内未达到" if zh else f"not reached within {budget} steps"
        else:
            head = num(e.number, 0)
        return head + _paren(reached(e, lang), lang)
    if isinstance(e.value, str):
        if e.value == UNDEFINED:
            return "无法计算（两者都有值的种子少于 2 个）" if zh else "undefined (fewer than 2 seeds with both values)"
        return e.value
    if isinstance(e.value, list):
        return "[" + ", ".join(num(float(v), digits) if isinstance(v, (int, float)) else str(v) for v in e.value) + "]"
    value = num(e.number, digits)
    if e.ci is None:
        return value
    lo, hi = num(e.ci[0], digits), num(e.ci[1], digits)
    if e.ci_kind == "spread":
        over = f"{e.n} 个部分的范围：{lo} 至 {hi}" if zh else f"range over {e.n} parts: {lo} to {hi}"
        if e.unit in ("heads", "layers") or "heads" in e.ci_method or "layers" in e.ci_method:
            part = "heads" if "heads" in e.ci_method else "layers"
            over = (f"{e.n} 个{'头' if part == 'heads' else '层'}的范围：{lo} 至 {hi}" if zh
                    else f"range over {e.n} {part}: {lo} to {hi}")
        return value + _paren(over, lang)
    return f"{value} [{lo}, {hi}]"
