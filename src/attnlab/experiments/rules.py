"""Building blocks of ``decide``: checks on the evidence, sub-claims that fall back to "inconclusive".

A sub-claim's rule runs only when all of its checks passed; otherwise its verdict is ``"inconclusive"``
and its rule names the checks that failed, so a verdict never stands on a failed check. A rule returns a
:class:`Ruling`: the verdict, the rule's text with its numbers, and for readers, in English and Chinese,
the deciding numbers in one plain sentence and what would change the verdict.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from attnlab.results import Check, Claim, Evidence

__all__ = ["VERDICT_ZH", "Ruling", "claim", "fmt", "interval", "reached_check", "reached_count", "undecided_answer",
           "worst_verdict"]


@dataclass(frozen=True)
class Ruling:
    """What a sub-claim's rule concluded (see :func:`claim`)."""

    verdict: str
    rule: str  # the rule, precisely, with the numbers it was applied to
    because: str = ""  # the deciding numbers in one plain sentence
    because_zh: str = ""
    would_change: str = ""  # what measurement would change the verdict
    would_change_zh: str = ""


def interval(e: Evidence) -> tuple[float, float]:
    """The evidence's interval, or ``(value, value)`` when it has none (all seeds equal, or exact)."""
    return e.ci if e.ci is not None else (e.number, e.number)


def ratio_side(e: Evidence, margin: float) -> str:
    """Where a ratio's interval lies against a margin ``m > 1``.

    ``"above"``: lower end over ``m``; ``"below"``: upper end under ``1 / m``; ``"within"``: the interval
    lies under ``m`` (no difference that matters in that direction); ``"unclear"``: it straddles ``m``.
    """
    lo, hi = interval(e)
    if lo > margin:
        return "above"
    if hi < 1 / margin:
        return "below"
    return "within" if hi < margin else "unclear"


def fmt(e: Evidence, digits: int = 3) -> str:
    """``"0.912 [0.901, 0.923]"`` or ``"1.000 (all 5 seeds equal)"``; text values as they are."""
    if e.unit == "steps" and e.per_seed is not None:  # a censored median: say how many seeds reached it
        k, n = reached_count(e)
        value = e.value if isinstance(e.value, str) else f"{e.number:.0f}"
        return f"{value} ({k}/{n} seeds reached it)"
    if isinstance(e.value, str):
        return e.value
    if e.ci is None:
        note = f" ({e.ci_method})" if e.ci_method else ""
        return f"{e.number:.{digits}f}{note}"
    if e.ci_method.startswith("range over"):  # a spread over the parts of one model, not an interval
        what = e.ci_method.split(" of one model")[0]  # "range over the 72 heads"
        return f"{e.number:.{digits}f} ({what}: {e.ci[0]:.{digits}f} to {e.ci[1]:.{digits}f})"
    return f"{e.number:.{digits}f} [{e.ci[0]:.{digits}f}, {e.ci[1]:.{digits}f}]"


def reached_count(steps: Evidence) -> tuple[int, int]:
    """(seeds that reached the threshold, seeds) of a steps-to-threshold evidence."""
    per_seed = steps.per_seed or []
    return sum(s is not None for s in per_seed), len(per_seed)


def reached_check(name: str, steps: Evidence, *, what: str, what_zh: str = "", min_fraction: float = 0.8) -> Check:
    """Passes when at least ``min_fraction`` of the seeds reached the threshold (e.g. 4 of 5)."""
    k, n = reached_count(steps)
    need = math.ceil(min_fraction * n - 1e-9)
    return Check(name, n > 0 and k >= need, f"{what}: {k} of {n} seeds reached the threshold (need {need})",
                 f"{what_zh or what}:{n} 个种子中 {k} 个达到阈值(需要 {need} 个)")


def claim(
    name: str,
    statement: str,
    checks: Sequence[Check],
    evidence: Sequence[str],
    rule: Callable[[], Ruling | tuple[str, str]],
    *,
    basis: str = "measured",
    statement_zh: str = "",
) -> Claim:
    """A sub-claim: ``rule()`` gives its :class:`Ruling` when every check passed; else it is inconclusive."""
    failed = [c for c in checks if not c.passed]
    if failed:
        text = "inconclusive: " + "; ".join(f"{c.name} failed ({c.detail})" for c in failed)
        ruling = Ruling("inconclusive", text, "A precondition failed: " + "; ".join(c.detail for c in failed) + ".",
                        "前提条件未满足:" + ";".join(c.detail_zh or c.detail for c in failed) + "。",
                        "Rerun with a budget or settings under which the failed conditions learn.",
                        "在能让未达标的条件学会任务的预算或设置下重新运行。")
    else:
        out = rule()
        ruling = out if isinstance(out, Ruling) else Ruling(*out)
    return Claim(name, statement, ruling.verdict, ruling.rule, tuple(checks), tuple(evidence), basis,
                 statement_zh, ruling.because, ruling.because_zh, ruling.would_change, ruling.would_change_zh)


VERDICT_ZH = {"confirmed": "成立", "qualified": "有条件成立", "refuted": "不成立", "inconclusive": "无定论"}
"""The verdicts as the Chinese answers say them (the report's own words live in ``attnlab.report.i18n``)."""

_ORDER = {"refuted": 0, "inconclusive": 1, "qualified": 2, "confirmed": 3}


def worst_verdict(verdicts: Sequence[str]) -> str:
    """The least favourable of ``verdicts`` (refuted < inconclusive < qualified < confirmed)."""
    if not verdicts:
        raise ValueError("verdicts: expected at least one verdict, got none")
    return min(verdicts, key=lambda v: _ORDER[v])


def undecided_answer(claims: Sequence[Claim]) -> tuple[str, str]:
    """The short answer (English, Chinese) when the verdict is inconclusive: why, from the first undecided claim,
    then what the decided sub-claims do show (a reader should not lose those because one part is open)."""
    c = next((c for c in claims if c.verdict == "inconclusive"), None)
    decided = [d for d in claims if d.verdict != "inconclusive" and d.because]
    shown_en = (" What they do show: " + " ".join(f"{d.because} ({d.verdict})" for d in decided)) if decided else ""
    shown_zh = ("已经能下结论的部分:" + "".join(f"{d.because_zh or d.because}({VERDICT_ZH[d.verdict]})"
                                            for d in decided)) if decided else ""
    if c is None:
        return (f"These runs cannot decide the question.{shown_en}",
                f"这些运行还不能回答这个问题。{shown_zh}")
    return (f"These runs cannot decide it yet. {c.because}".strip() + shown_en,
            f"这些运行还不能下结论。{c.because_zh or c.because}".strip() + shown_zh)
