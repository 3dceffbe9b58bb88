"""Evidence, checks, sub-claims and published figures: what a verdict rests on."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

SCHEMA_VERSION = 3
VERDICTS: tuple[str, ...] = ("confirmed", "qualified", "refuted", "inconclusive")
"""The claim holds / holds only under named conditions / does not hold / the evidence cannot decide."""


def check_not_on_failed(where: str, verdict: str, preconditions: Iterable[Any], what: str = "checks") -> None:
    """Raise unless ``verdict`` is "inconclusive" when any of its ``preconditions`` (checks or gates, each with
    ``name`` and ``passed``) failed: no verdict may stand on a failed precondition."""
    failed = [c.name for c in preconditions if not c.passed]
    if failed and verdict != "inconclusive":
        raise ValueError(f"{where}: verdict {verdict!r} stands on failed {what} {failed}; expected 'inconclusive'")


class ResultError(ValueError):
    """A result file could not be read or does not follow the schema (the message says which and why)."""


# ----------------------------------------------------------------------------------------------------
# Evidence, checks, claims
# ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """A published figure set beside one of our measurements (only where the regimes are comparable).

    Args:
        source: paper and place, e.g. ``"Vaswani et al. 2017, Table 3 (A)"``.
        value: the published figure, as the paper gives it, e.g. ``"h=1: 24.9 BLEU"``.
        regime: model, data and metric it was measured in, e.g. ``"Transformer-base, WMT14 EN-DE dev"``.
        url: a link to the source (arXiv or DOI), or ``""``.
        value_zh, regime_zh: ``value`` and ``regime`` in Chinese, for the report's Chinese page (``""``: the
            English shows there).
    """

    source: str
    value: str = ""
    regime: str = ""
    url: str = ""
    value_zh: str = ""
    regime_zh: str = ""

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)

    @classmethod
    def from_any(cls, data: Any) -> Anchor | None:
        if data is None or isinstance(data, Anchor):
            return data
        if isinstance(data, str):  # schema 1: free text
            return cls(source="", value=data)
        if isinstance(data, dict):
            return cls(**{k: str(data.get(k, "")) for k in ("source", "value", "regime", "url", "value_zh",
                                                             "regime_zh")})
        raise ResultError(f"anchor: expected None, a str or a dict, got {type(data).__name__}")


@dataclass(frozen=True)
class Reference:
    """A published finding that bears on the question (supporting or counter-literature).

    Args:
        source: paper and place.
        finding: what it found, in one sentence.
        regime: where (model, data, metric), so a reader can judge whether it transfers.
        stance: ``"supports"``, ``"contradicts"`` or ``"context"`` with respect to the seed's claim.
        url: arXiv or DOI link.
        finding_zh, regime_zh: ``finding`` and ``regime`` in Chinese (optional: results written before they
            existed have none, and the report then shows the English).
    """

    source: str
    finding: str
    regime: str = ""
    stance: str = "context"
    url: str = ""
    finding_zh: str = ""
    regime_zh: str = ""

    def __post_init__(self) -> None:
        if self.stance not in ("supports", "contradicts", "context"):
            raise ValueError(f"Reference.stance: expected 'supports', 'contradicts' or 'context', got {self.stance!r}")

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


CI_KINDS: tuple[str, ...] = ("confidence", "spread")


def _ci_kind_of_schema2(d: dict[str, Any]) -> str:
    """Schema 2 had no ``ci_kind``: its spreads said so in the method's text (read once, when upgrading)."""
    return "spread" if str(d.get("ci_method", "")).startswith("range over") else "confidence"


@dataclass
class Evidence:
    """One measured quantity a verdict or a reader can rest on.

    Args:
        name: stable identifier in snake case (rules and tests look it up), e.g. ``"acc_separate"``.
        value: the measurement: a number, a short text, or a list (a curve, a matrix).
        ci: ``(lo, hi)`` interval for the value, or ``None`` when it is exact, a single run, or all seeds
            agree (``ci_method`` then says so).
        unit: unit of the value (``"accuracy"``, ``"s"``, ``"steps"``).
        anchor: the published figure beside it (:class:`Anchor`), only when the regime is comparable.
        label: a human name (``"accuracy, separate W_Q and W_K"``).
        ci_method: how ``ci`` was computed, e.g. ``"t over 5 seeds, clipped to [0, 1]"``.
        n: the number of seeds (or samples) behind the value.
        bounds: ``(lo, hi)`` of the quantity where it has them (an accuracy lies in ``[0, 1]``); ``None``
            for an open end.
        per_seed: the value of each seed, in the order of ``Result.seeds`` (for the details).
        timing: a wall-clock measurement, which varies from run to run (excluded when runs are compared).
        label_zh: the human name in Chinese (the report shows it when the reader picks 中文).
        ci_kind: what ``ci`` is: ``"confidence"`` (an interval for the value over samples: seeds, sentences,
            repeats) or ``"spread"`` (the range over the parts of one model, e.g. its heads: not a sample).
    """

    name: str
    value: float | str | list
    ci: tuple[float, float] | None = None
    unit: str = ""
    anchor: Anchor | None = None
    label: str = ""
    ci_method: str = ""
    n: int | None = None
    bounds: tuple[float | None, float | None] | None = None
    per_seed: list | None = None
    timing: bool = False
    label_zh: str = ""
    ci_kind: str = "confidence"

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"Evidence.name: expected a non-empty str, got {self.name!r}")
        if self.ci_kind not in CI_KINDS:
            raise ValueError(f"Evidence.ci_kind: expected one of {CI_KINDS}, got {self.ci_kind!r}")
        if self.ci is not None:
            if len(self.ci) != 2:
                raise ValueError(f"Evidence.ci: expected (lo, hi) or None, got {self.ci!r}")
            self.ci = (float(self.ci[0]), float(self.ci[1]))
        if isinstance(self.value, tuple):
            self.value = list(self.value)
        elif not isinstance(self.value, (str, list)):
            self.value = float(self.value)
        if self.bounds is not None:
            if len(self.bounds) != 2:
                raise ValueError(f"Evidence.bounds: expected (lo, hi) or None, got {self.bounds!r}")
            self.bounds = tuple(None if b is None else float(b) for b in self.bounds)  # type: ignore[assignment]
        self.anchor = Anchor.from_any(self.anchor)
        if self.n is not None:
            self.n = int(self.n)

    @property
    def number(self) -> float:
        """The value as a float (``TypeError`` if it is text or a list)."""
        if isinstance(self.value, (str, list)):
            raise TypeError(f"evidence {self.name!r}: expected a number, got {type(self.value).__name__}")
        return float(self.value)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "label": self.label,
            "value": self.value,
            "ci": list(self.ci) if self.ci is not None else None,
            "ci_method": self.ci_method,
            "n": self.n,
            "unit": self.unit,
            "bounds": list(self.bounds) if self.bounds is not None else None,
            "anchor": self.anchor.to_dict() if self.anchor is not None else None,
            "per_seed": self.per_seed,
            "timing": self.timing,
            "label_zh": self.label_zh,
            "ci_kind": self.ci_kind,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Evidence:
        ci, bounds = d.get("ci"), d.get("bounds")
        return cls(
            name=d["name"],
            value=d["value"],
            ci=tuple(ci) if ci is not None else None,
            unit=d.get("unit", ""),
            anchor=d.get("anchor"),
            label=d.get("label", ""),
            ci_method=d.get("ci_method", ""),
            n=d.get("n"),
            bounds=tuple(bounds) if bounds is not None else None,
            per_seed=d.get("per_seed"),
            timing=bool(d.get("timing", False)),
            label_zh=d.get("label_zh", ""),
            ci_kind=d.get("ci_kind") or _ci_kind_of_schema2(d),
        )


@dataclass(frozen=True)
class Check:
    """A precondition of a verdict, e.g. "every condition reached 0.9 accuracy", and whether it held."""

    name: str
    passed: bool
    detail: str = ""
    detail_zh: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": bool(self.passed), "detail": self.detail, "detail_zh": self.detail_zh}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Check:
        return cls(name=d["name"], passed=bool(d["passed"]), detail=d.get("detail", ""),
                   detail_zh=d.get("detail_zh", ""))


@dataclass(frozen=True)
class Claim:
    """One sub-claim of the seed's answer, with its own verdict.

    Args:
        name: short identifier, e.g. ``"fewer_parameters"``.
        statement: the sub-claim in words.
        verdict: one of :data:`VERDICTS`; ``"inconclusive"`` whenever one of ``checks`` failed.
        rule: the rule applied, with its numbers.
        checks: the preconditions this verdict stands on.
        evidence: names of the evidence it rests on.
        basis: ``"measured"`` (the rule could give another answer on other data) or ``"derivation"``
            (the answer follows from counting or algebra, e.g. parameters as a function of d and k; shown as
            such, and an overall verdict should not rest on it alone).
        statement_zh: the sub-claim in Chinese.
        because, because_zh: one plain sentence with the deciding numbers (English, Chinese).
        would_change, would_change_zh: what measurement would change this verdict.
    """

    name: str
    statement: str
    verdict: str
    rule: str
    checks: tuple[Check, ...] = ()
    evidence: tuple[str, ...] = ()
    basis: str = "measured"
    statement_zh: str = ""
    because: str = ""
    because_zh: str = ""
    would_change: str = ""
    would_change_zh: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"Claim.verdict: expected one of {VERDICTS}, got {self.verdict!r}")
        if self.basis not in ("measured", "derivation"):
            raise ValueError(f"Claim.basis: expected 'measured' or 'derivation', got {self.basis!r}")
        object.__setattr__(self, "checks", tuple(self.checks))
        object.__setattr__(self, "evidence", tuple(self.evidence))
        check_not_on_failed(f"Claim {self.name!r}", self.verdict, self.checks)

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["checks"] = [c.to_dict() for c in self.checks]
        d["evidence"] = list(self.evidence)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Claim:
        texts = {k: d.get(k, "") for k in ("statement", "rule", "statement_zh", "because", "because_zh",
                                           "would_change", "would_change_zh")}
        return cls(name=d["name"], verdict=d["verdict"], checks=tuple(Check.from_dict(c) for c in d.get("checks", [])),
                   evidence=tuple(d.get("evidence", [])), basis=d.get("basis", "measured"), **texts)
