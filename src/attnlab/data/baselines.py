"""Exact accuracies of trivial predictors, the bar a model must clear before it has learned a task.

A model that does not beat the best of these has not learned the task, whatever its accuracy looks like
beside chance. Each function computes its number exactly (combinatorics, no sampling).
"""

from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

from attnlab.validation import check_int

__all__ = ["expected_max_count", "mode_accuracy"]


@lru_cache(maxsize=256)
def _count_sequences_all_le(n: int, k: int, m: int) -> int:
    """Number of sequences of length ``n`` over ``k`` symbols in which no symbol occurs more than ``m`` times.

    ``n! [x^n] (sum_{j <= m} x^j / j!)^k``, computed with exact integer arithmetic.
    """
    # poly[j] = coefficient of x^j / ... kept as Fractions of the exponential generating function
    base = [Fraction(1, math.factorial(j)) for j in range(min(m, n) + 1)]
    poly = [Fraction(1)]
    for _ in range(k):
        nxt = [Fraction(0)] * min(len(poly) + len(base) - 1, n + 1)
        for i, a in enumerate(poly):
            if a == 0:
                continue
            for j, b in enumerate(base):
                if i + j > n:
                    break
                nxt[i + j] += a * b
        poly = nxt
    coeff = poly[n] if n < len(poly) else Fraction(0)
    return int(coeff * math.factorial(n))


def expected_max_count(n: int, k: int) -> Fraction:
    """E[max_v count(v)] for ``n`` independent uniform draws from ``k`` values (exact)."""
    check_int("n", n, 1)
    check_int("k", k, 1)
    total = k**n
    # E[M] = sum_{m >= 1} P(M >= m) = sum_{m=1}^{n} (1 - P(M <= m - 1))
    return sum((Fraction(1) - Fraction(_count_sequences_all_le(n, k, m - 1), total) for m in range(1, n + 1)),
               Fraction(0))


def mode_accuracy(n_items: int, n_values: int) -> float:
    """Accuracy of "answer the most frequent value in the context" when the answer is one of ``n_items``
    values drawn uniformly from ``n_values`` and the queried item is uniform among them.

    Equals ``E[max count] / n_items``: the no-lookup baseline of a retrieval task (it uses the values seen
    but not which key holds which).
    """
    return float(expected_max_count(n_items, n_values) / n_items)
