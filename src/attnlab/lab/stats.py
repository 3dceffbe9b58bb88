"""Statistics across seeds: means with intervals that respect bounds, paired differences, proportions.

Every interval states its method. The conventions:

- a mean over n seeds gets a Student-t interval with n - 1 degrees of freedom, clipped to the
  quantity's bounds when it has them (an accuracy lies in [0, 1]), and the method says "clipped";
- when every seed gave the same value there is no spread to estimate: the interval is ``None`` and the
  method says "all n seeds equal", which is not a claim of certainty;
- comparisons between conditions use the **paired** difference per seed (same seed: same data stream
  and initialisation seed), never two separate means;
- a count of successes out of n (seeds that reached a threshold) gets a Wilson score interval;
- steps-to-threshold are censored at the budget: a seed that never reached the threshold counts as
  "more than the budget", and the summary is the median (defined while at least half reached).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from attnlab.results import Anchor, Evidence

__all__ = [
    "SPREAD_UNITS",
    "Estimate",
    "estimate",
    "evidence_from",
    "fmt_estimate",
    "median_steps",
    "paired_difference",
    "paired_evidence",
    "paired_ratio_evidence",
    "steps_evidence",
    "t_quantile",
    "wilson_interval",
]

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Estimate:
    """A mean over seeds with its interval: ``mean``, ``ci`` (or ``None``), ``method`` and ``n``."""

    mean: float
    ci: tuple[float, float] | None
    method: str
    n: int

    @property
    def lo(self) -> float:
        return self.ci[0] if self.ci is not None else self.mean

    @property
    def hi(self) -> float:
        return self.ci[1] if self.ci is not None else self.mean

    def excludes(self, value: float) -> bool:
        """Whether the interval lies entirely above or below ``value`` (an all-equal sample counts as exact)."""
        return self.lo > value or self.hi < value


def t_quantile(p: float, df: float) -> float:
    """Quantile ``p`` of Student's t with ``df`` degrees of freedom (``t_quantile(0.975, 4) = 2.776``)."""
    if not 0.0 < p < 1.0:
        raise ValueError(f"p: expected 0 < p < 1, got {p}")
    if not df > 0:
        raise ValueError(f"df: expected > 0, got {df}")
    from scipy import stats as scipy_stats  # imported here: a second of import time `attnlab list` need not pay

    return float(scipy_stats.t.ppf(p, df))


def _clean(values: Sequence[float], name: str) -> list[float]:
    xs = [float(v) for v in values]
    if not xs:
        raise ValueError(f"{name}: expected at least one value, got none")
    bad = [x for x in xs if not math.isfinite(x)]
    if bad:
        raise ValueError(f"{name}: expected finite values, got {bad}")
    return xs


def estimate(
    values: Sequence[float],
    *,
    bounds: tuple[float | None, float | None] | None = None,
    confidence: float = CONFIDENCE,
) -> Estimate:
    """Mean of ``values`` (one per seed) with a t interval, clipped to ``bounds``.

    .. math:: \\bar x \\pm t_{(1+c)/2,\\,n-1}\\, s / \\sqrt{n}

    Args:
        values: one number per seed.
        bounds: ``(lo, hi)`` the quantity cannot leave (``None`` for an open end), e.g. ``(0, 1)``.
        confidence: coverage of the interval, in (0, 1).

    Returns:
        :class:`Estimate`; with one value, or all values equal, ``ci`` is ``None`` and ``method`` says why.
    """
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence: expected a number in (0, 1), got {confidence}")
    xs = _clean(values, "values")
    n = len(xs)
    m = math.fsum(xs) / n
    if n == 1:
        return Estimate(m, None, "a single seed: no interval", 1)
    if max(xs) == min(xs):
        return Estimate(m, None, f"all {n} seeds equal", n)
    s = statistics.stdev(xs)
    half = t_quantile(0.5 + confidence / 2.0, n - 1) * s / math.sqrt(n)
    lo, hi = m - half, m + half
    method = f"{round(confidence * 100)}% t interval over {n} seeds"
    if bounds is not None:
        blo, bhi = bounds
        clipped = (blo is not None and lo < blo) or (bhi is not None and hi > bhi)
        lo = lo if blo is None else max(lo, blo)
        hi = hi if bhi is None else min(hi, bhi)
        if clipped:
            method += f", clipped to [{_bound(blo, '−∞')}, {_bound(bhi, '+∞')}]"
    return Estimate(m, (lo, hi), method, n)


def _bound(b: float | None, open_end: str) -> str:
    return open_end if b is None else f"{b:g}"


def paired_difference(
    a: Sequence[float],
    b: Sequence[float],
    *,
    bounds: tuple[float | None, float | None] | None = None,
    confidence: float = CONFIDENCE,
) -> Estimate:
    """Mean of the per-seed differences ``a[i] - b[i]`` with a paired t interval (``bounds`` of the difference).

    ``a`` and ``b`` must come from the same seeds in the same order.
    """
    xa, xb = _clean(a, "a"), _clean(b, "b")
    if len(xa) != len(xb):
        raise ValueError(f"a, b: expected one value per seed in both, got {len(xa)} and {len(xb)}")
    est = estimate([p - q for p, q in zip(xa, xb, strict=True)], bounds=bounds, confidence=confidence)
    return Estimate(est.mean, est.ci, "paired differences: " + est.method, est.n)


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval for a proportion ``successes / n`` (e.g. seeds that reached a threshold)."""
    if n < 1 or not 0 <= successes <= n:
        raise ValueError(f"successes, n: expected 0 <= successes <= n and n >= 1, got {successes}, {n}")
    from scipy import stats as scipy_stats

    z = float(scipy_stats.norm.ppf(0.5 + confidence / 2.0))
    p = successes / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def median_steps(steps: Sequence[int | None]) -> float | None:
    """Median steps-to-threshold, a seed that never reached it (``None``) counting as infinitely many.

    Returns ``None`` when fewer than half of the seeds reached the threshold (the median is then unknown).
    """
    if not steps:
        raise ValueError("steps: expected one entry per seed, got none")
    xs = sorted(math.inf if s is None else float(s) for s in steps)
    m = statistics.median(xs)
    return None if math.isinf(m) else float(m)


def fmt_estimate(est: Estimate, digits: int = 3) -> str:
    """``"0.912 [0.901, 0.923]"``, or ``"1.000 (all 5 seeds equal)"``."""
    if est.ci is None:
        why = "1 seed" if est.n == 1 else f"all {est.n} seeds equal"
        return f"{est.mean:.{digits}f} ({why})"
    return f"{est.mean:.{digits}f} [{est.ci[0]:.{digits}f}, {est.ci[1]:.{digits}f}]"


SPREAD_UNITS: tuple[str, ...] = ("heads", "layers")  # parts of one model, not samples: a range, not a CI


def evidence_from(
    name: str,
    values: Sequence[float],
    *,
    label: str,
    unit: str,
    bounds: tuple[float | None, float | None] | None = None,
    anchor: Anchor | None = None,
    over: str = "seeds",
    label_zh: str = "",
) -> Evidence:
    """Evidence for the mean of one value per seed (or per ``over``: "sentences", "repeats"), with its interval,
    method, n and the individual values (``per_seed``).

    Seeds, sentences and repeats are samples, so the interval is a t interval for the mean. The heads or
    layers of one model (``over`` in :data:`SPREAD_UNITS`) are not a sample from anything: their interval is
    the range (min to max) and its method says it is a spread, not a confidence interval.
    """
    if over in SPREAD_UNITS:
        vals = [float(v) for v in values]
        if not vals:
            raise ValueError(f"values: expected at least one value for {name!r}, got none")
        mean = sum(vals) / len(vals)
        return Evidence(name, mean, (min(vals), max(vals)), unit, anchor, label=label,
                        ci_method=f"range over the {len(vals)} {over} of one model (a spread, not a confidence "
                                  "interval)", n=len(vals), bounds=bounds, per_seed=vals, label_zh=label_zh,
                        ci_kind="spread")
    est = estimate(values, bounds=bounds)
    method = est.method.replace("seeds", over) if over != "seeds" else est.method
    return Evidence(name, est.mean, est.ci, unit, anchor, label=label, ci_method=method, n=est.n,
                    bounds=bounds, per_seed=[float(v) for v in values], label_zh=label_zh)


def paired_evidence(
    name: str,
    a: Sequence[float],
    b: Sequence[float],
    *,
    label: str,
    unit: str,
    bounds: tuple[float | None, float | None] | None = None,
    label_zh: str = "",
) -> Evidence:
    """Evidence for the mean paired difference ``a - b`` over seeds (per-seed differences kept)."""
    est = paired_difference(a, b, bounds=bounds)
    diffs = [float(p) - float(q) for p, q in zip(a, b, strict=True)]
    return Evidence(name, est.mean, est.ci, unit, label=label, ci_method=est.method, n=est.n, bounds=bounds,
                    per_seed=diffs, label_zh=label_zh)


def paired_ratio_evidence(
    name: str,
    a: Sequence[float | None],
    b: Sequence[float | None],
    *,
    label: str,
    unit: str = "ratio",
    label_zh: str = "",
    budget: float | None = None,
) -> Evidence:
    """Geometric mean of the per-seed ratios ``a[i] / b[i]`` with a t interval on the log scale.

    A value of ``None`` is a threshold never reached. Without ``budget`` such seeds are left out and the
    method says how many remain (with fewer than two the value is ``"undefined"``). With ``budget`` they
    count as the budget, which makes the ratio a bound: the method says so and in which direction (a
    censored numerator makes the true ratio larger, a censored denominator smaller, both: unknown).
    """
    if budget is not None:
        ca = sum(p is None for p in a)
        cb = sum(q is None for q in b)
        e = paired_ratio_evidence(name, [budget if p is None else p for p in a],
                                  [budget if q is None else q for q in b], label=label, unit=unit, label_zh=label_zh)
        if ca or cb:
            n = len(a)
            side = ("so the true ratio is at least this" if ca and not cb else
                    "so the true ratio is at most this" if cb and not ca else
                    "so the direction of the true ratio is unknown where both are")
            e.ci_method += (f"; censored: the numerator never reached the threshold in {ca} of {n} seeds, the "
                            f"denominator in {cb} of {n}; those count as the budget of {budget:g} steps, {side}")
        return e
    pairs = [(float(p), float(q)) for p, q in zip(a, b, strict=True) if p is not None and q is not None]
    dropped = len(a) - len(pairs)
    note = f"; {dropped} of {len(a)} seeds left out (a value missing)" if dropped else ""
    if len(pairs) < 2:
        return Evidence(name, "undefined", unit=unit, label=label, n=len(pairs), label_zh=label_zh,
                        ci_method=f"fewer than 2 seeds with both values{note}", bounds=(0, None))
    logs = [math.log(p / q) for p, q in pairs]
    est = estimate(logs)
    ci = None if est.ci is None else (math.exp(est.ci[0]), math.exp(est.ci[1]))
    return Evidence(name, math.exp(est.mean), ci, unit, label=label, n=est.n, bounds=(0, None),
                    ci_method=f"geometric mean, {est.method} on the log scale{note}",
                    per_seed=[p / q for p, q in pairs], label_zh=label_zh)


def steps_evidence(name: str, steps: Sequence[int | None], budget: int, *, label: str,
                   label_zh: str = "") -> Evidence:
    """Median steps-to-threshold over seeds, censored at ``budget`` (per-seed values, ``None`` = not reached).

    The value is the median when at least half of the seeds reached the threshold, else the text
    ``"> budget"``; ``ci_method`` counts the seeds that reached it.
    """
    reached = sum(s is not None for s in steps)
    med = median_steps(steps)
    value: float | str = med if med is not None else f"> {budget}"
    return Evidence(name, value, None, "steps", label=label, n=len(steps), label_zh=label_zh,
                    ci_method=f"median over {len(steps)} seeds; {reached} of {len(steps)} reached it within {budget}",
                    bounds=(0, None), per_seed=[None if s is None else int(s) for s in steps])
