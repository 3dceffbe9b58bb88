"""Every compared condition at its own learning rate: a sweep on tuning seeds, then evaluation at the choice.

A reviewer's first question of "condition A never learns" is whether A was only mistuned. An experiment
with a :class:`Tuning` answers it before any evaluation seed runs:

1. **Sweep.** Each condition (the configs :attr:`Tuning.conditions` returns) trains at ``n_rates``
   learning rates around :attr:`Tuning.center` on the 1-3-10 ladder (..., 1e-3, 3e-3, 1e-2, 3e-2, ...:
   neighbours about a factor 3 apart) on tuning seeds ``TUNING_SEED_BASE + i``, disjoint from the evaluation seeds
   ``0 .. n-1`` and from every named
   stream they derive (:mod:`attnlab.seeds`).
2. **Extend.** Where the best rate is at an edge of what was tried, one more rate beyond that edge is
   tried, up to :attr:`Tuning.max_extend` times, so a choice at the edge means the grid really ran out.
3. **Choose.** The stated criterion: the highest mean of :attr:`Tuning.metric` (the final held-out
   accuracy) over the tuning seeds; among the rates within :data:`TIE` of it, those within
   :data:`LOSS_TIE` of the lowest mean held-out loss; among these, the middle one. A model at the accuracy
   ceiling keeps lowering its loss a little as the rate grows; the middle of that plateau is a rate the
   result does not depend on, where "the lowest loss" alone would walk to the edge of any grid.
4. **Evaluate.** The experiment's own trials write ``"lr": "tuned"``; the runner replaces it with the rate
   chosen for the trial's condition (its values of :attr:`Tuning.keys`).

The sweep is cached trials like any other; the aggregate receives it as ``outcomes.tuning`` (a
:class:`Sweep`) and shows it with :func:`sweep_evidence` and :func:`sweep_plot`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from attnlab.lab.spec import Trial, TrialOutcome
from attnlab.results import Evidence, Panel, Plot, Series

__all__ = ["LOSS_TIE", "TIE", "TUNED", "TUNING_SEED_BASE", "Sweep", "SweepCondition", "Tuning", "sweep_evidence",
           "sweep_plot"]

TUNED = "tuned"  # the ``lr`` of an evaluation trial whose rate comes from the sweep
TUNING_SEED_BASE = 100_000  # tuning seeds are 100000, 100001, ...: disjoint from evaluation seeds
TIE = 0.005  # mean accuracies this close count as tied; the held-out loss decides between them
LOSS_TIE = 0.01  # mean held-out losses (nats) this close count as tied too: then the middle rate of the plateau


@dataclass(frozen=True)
class Tuning:
    """How an experiment's conditions get their learning rates.

    Args:
        fn: the trial function the sweep runs (usually the experiment's own).
        conditions: ``conditions(profile) -> list[dict]``: one config per compared condition, complete except
            ``"lr"`` and ``"seed"``.
        keys: the config keys that name a condition (an evaluation trial gets the rate chosen for its values).
        center: the middle rate of the first grid, per profile (``{"tiny": 3e-3, "quick": 3e-3, ...}``; a profile
            not named takes quick's), a rung of the 1-3-10 ladder.
        n_rates: rates in the first grid (odd, centred on ``center``).
        n_seeds: tuning seeds per profile.
        max_extend: how many times a grid may grow by one rate beyond the edge where the best one sits.
        metric: the measurement maximised; ``tiebreak`` the one minimised among ties.
    """

    fn: Callable[[dict[str, Any]], dict[str, Any]]
    conditions: Callable[[str], list[dict[str, Any]]]
    keys: tuple[str, ...]
    center: Mapping[str, float]
    n_rates: int = 3
    n_seeds: Mapping[str, int] = field(default_factory=lambda: {"tiny": 1, "quick": 1, "full": 3})
    max_extend: int = 2
    metric: str = "accuracy"
    tiebreak: str = "loss"

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("Tuning.keys: expected the config keys that name a condition, got none")
        for profile, c in self.center.items():
            if not math.isclose(ladder(rung(c)), c, rel_tol=1e-9):
                raise ValueError(f"Tuning.center[{profile!r}]: expected a rung of the 1-3-10 ladder (1e-3, 3e-3, "
                                 f"1e-2, ...), got {c!r}")
        if self.n_rates < 1 or self.n_rates % 2 == 0:
            raise ValueError(f"Tuning.n_rates: expected an odd count >= 1, got {self.n_rates!r}")

    def seeds(self, profile: str) -> list[int]:
        return [TUNING_SEED_BASE + i for i in range(int(self.n_seeds.get(profile, self.n_seeds.get("quick", 1))))]

    def rate(self, profile: str, index: int) -> float:
        """The rate ``index`` rungs of the 1-3-10 ladder from the centre (``0`` is the centre)."""
        return ladder(rung(self.center.get(profile, self.center.get("quick"))) + index)

    def condition_key(self, config: Mapping[str, Any]) -> tuple:
        missing = [k for k in self.keys if k not in config]
        if missing:
            raise KeyError(f"Tuning.keys: the config lacks {missing}: {dict(config)}")
        return tuple(config[k] for k in self.keys)

    def trials(self, profile: str, indices: Mapping[tuple, Sequence[int]]) -> list[Trial]:
        """The sweep's trials: each condition at the rate indices ``indices[condition_key]`` on every tuning seed."""
        out = []
        for cond in self.conditions(profile):
            for i in indices[self.condition_key(cond)]:
                for seed in self.seeds(profile):
                    out.append(Trial(self.fn, {**cond, "lr": self.rate(profile, i), "seed": seed}))
        return out

    def first_grid(self, profile: str) -> dict[tuple, list[int]]:
        half = self.n_rates // 2
        return {self.condition_key(c): list(range(-half, half + 1)) for c in self.conditions(profile)}


def rung(rate: float) -> int:
    """The ladder index of ``rate``: 1e-3 is -6, 3e-3 is -5, 1e-2 is -4 (rung ``2k`` is 10^k, ``2k + 1`` is 3·10^k)."""
    if not (isinstance(rate, (int, float)) and rate > 0):
        raise ValueError(f"rate: expected a positive learning rate, got {rate!r}")
    k = math.floor(math.log10(rate) + 1e-9)
    return 2 * k + (1 if rate / 10**k >= 2 else 0)


def ladder(index: int) -> float:
    """The rate at ladder ``index``: ..., 1e-3, 3e-3, 1e-2, 3e-2, ..."""
    return float(f"{(3 if index % 2 else 1) * 10.0 ** (index // 2):.1g}")


@dataclass(frozen=True)
class SweepCondition:
    """One condition's sweep: the rates tried (ascending), the mean metric and tie-break at each, the choice,
    and a digest of the condition's whole config (so a stored choice is reused only for the same settings)."""

    key: tuple
    label: str
    rates: tuple[float, ...]
    scores: tuple[float, ...]
    losses: tuple[float, ...]
    chosen: float
    n_seeds: int
    digest: str = ""

    @property
    def at_edge(self) -> bool:
        """The chosen rate is the smallest or largest tried (the grid may not contain the best one)."""
        return len(self.rates) > 1 and self.chosen in (self.rates[0], self.rates[-1])


@dataclass(frozen=True)
class Sweep:
    """What the sweep found, condition by condition (what ``outcomes.tuning`` holds). ``source`` is
    ``"sweep"`` when this run swept, or the profile whose stored sweep it reused (e.g. ``"standard"``)."""

    keys: tuple[str, ...]
    metric: str
    conditions: tuple[SweepCondition, ...]
    source: str = "sweep"

    def to_dict(self) -> dict[str, Any]:
        return {"keys": list(self.keys), "metric": self.metric, "source": self.source,
                "conditions": [{"key": list(c.key), "label": c.label, "rates": list(c.rates), "scores": list(c.scores),
                                "losses": list(c.losses), "chosen": c.chosen, "n_seeds": c.n_seeds,
                                "digest": c.digest} for c in self.conditions]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, source: str | None = None) -> Sweep:
        conds = tuple(SweepCondition(tuple(c["key"]), c["label"], tuple(c["rates"]), tuple(c["scores"]),
                                     tuple(c["losses"]), float(c["chosen"]), int(c["n_seeds"]), c.get("digest", ""))
                      for c in d["conditions"])
        return cls(tuple(d["keys"]), d["metric"], conds, source or d.get("source", "sweep"))

    def matches(self, tuning: Tuning, profile: str) -> bool:
        """Whether this sweep chose rates for exactly ``tuning``'s conditions at ``profile``, same settings."""
        want = {tuning.condition_key(c): condition_digest(c) for c in tuning.conditions(profile)}
        have = {c.key: c.digest for c in self.conditions}
        return tuple(self.keys) == tuning.keys and want == have

    def chosen(self, config: Mapping[str, Any]) -> float:
        key = tuple(config[k] for k in self.keys)
        for c in self.conditions:
            if c.key == key:
                return c.chosen
        raise KeyError(f"no tuned rate for the condition {dict(zip(self.keys, key, strict=True))}")

    def condition(self, **match: Any) -> SweepCondition:
        key = tuple(match[k] for k in self.keys)
        return next(c for c in self.conditions if c.key == key)


def summarise(tuning: Tuning, outcomes: Sequence[TrialOutcome]) -> dict[tuple, dict[float, tuple[float, float, int]]]:
    """Per condition and rate: (mean metric, mean tie-break, seeds)."""
    table: dict[tuple, dict[float, list[TrialOutcome]]] = {}
    for o in outcomes:
        table.setdefault(tuning.condition_key(o.config), {}).setdefault(float(o.config["lr"]), []).append(o)
    out: dict[tuple, dict[float, tuple[float, float, int]]] = {}
    for key, by_rate in table.items():
        out[key] = {}
        for lr, runs in by_rate.items():
            m = [_finite(r.measurements.get(tuning.metric), -math.inf) for r in runs]
            t = [_finite(r.measurements.get(tuning.tiebreak), math.inf) for r in runs]
            out[key][lr] = (sum(m) / len(m), sum(t) / len(t), len(runs))
    return out


def best_rate(by_rate: Mapping[float, tuple[float, float, int]]) -> float:
    """The stated criterion: the highest mean metric; within :data:`TIE` of it, the rates within :data:`LOSS_TIE`
    of the lowest mean tie-break (held-out loss); of these, the middle one (the lower middle of an even count)."""
    top = max(s for s, _, _ in by_rate.values())
    tied = [lr for lr, (s, _, _) in by_rate.items() if s >= top - TIE]
    low = min(by_rate[lr][1] for lr in tied)
    plateau = sorted(lr for lr in tied if by_rate[lr][1] <= low + LOSS_TIE)
    return plateau[(len(plateau) - 1) // 2]


def extension(tuning: Tuning, profile: str, indices: Mapping[tuple, list[int]],
              summary: Mapping[tuple, Mapping[float, tuple[float, float, int]]]) -> dict[tuple, list[int]]:
    """Rate indices to add: one beyond the edge where a condition's best rate sits, if it may still grow."""
    grow: dict[tuple, list[int]] = {}
    for key, idx in indices.items():
        if len(idx) - tuning.n_rates >= tuning.max_extend:
            continue
        best = best_rate(summary[key])
        lo, hi = min(idx), max(idx)
        if math.isclose(best, tuning.rate(profile, lo)) and len(idx) > 1:
            grow[key] = [lo - 1]
        elif math.isclose(best, tuning.rate(profile, hi)) and len(idx) > 1:
            grow[key] = [hi + 1]
    return grow


def condition_digest(config: Mapping[str, Any]) -> str:
    """A short digest of a condition's config without its rate and seed."""
    import hashlib
    import json

    body = {k: v for k, v in config.items() if k not in ("lr", "seed")}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:16]


def build_sweep(tuning: Tuning, outcomes: Sequence[TrialOutcome]) -> Sweep:
    summary = summarise(tuning, outcomes)
    digests = {tuning.condition_key(o.config): condition_digest(o.config) for o in outcomes}
    conds = []
    for key, by_rate in summary.items():
        rates = tuple(sorted(by_rate))
        label = ", ".join(f"{k}={v}" for k, v in zip(tuning.keys, key, strict=True))
        conds.append(SweepCondition(key, label, rates, tuple(by_rate[r][0] for r in rates),
                                    tuple(by_rate[r][1] for r in rates), best_rate(by_rate),
                                    min(by_rate[r][2] for r in rates), digests[key]))
    return Sweep(tuning.keys, tuning.metric, tuple(conds))


def apply_rates(trials: Sequence[Trial], tuning: Tuning | None, sweep: Sweep | None) -> list[Trial]:
    """``trials`` with every ``"lr": "tuned"`` replaced by the rate chosen for that trial's condition."""
    if not any(t.config.get("lr") == TUNED for t in trials):
        return list(trials)
    if tuning is None or sweep is None:
        raise ValueError("trials ask for a tuned learning rate ('lr': 'tuned') but the experiment has no Tuning")
    return [Trial(t.fn, {**t.config, "lr": sweep.chosen(t.config)}, t.exclusive, t.threads)
            if t.config.get("lr") == TUNED else t for t in trials]


def sweep_evidence(sweep: Sweep, name: Callable[[SweepCondition], str],
                   label: Callable[[SweepCondition], tuple[str, str]]) -> list[Evidence]:
    """One evidence per condition: the chosen rate, ``bounds`` the smallest and largest rates tried (the
    ``lr_tuned`` check fails where the choice sits on one of them). ``label(c) -> (en, zh)``."""
    out = []
    for c in sweep.conditions:
        en, zh = label(c)
        tried = ", ".join(f"{r:g}" for r in c.rates)
        where = "" if sweep.source == "sweep" else f" in the {sweep.source} profile's sweep"
        out.append(Evidence(name(c), c.chosen, None, "lr", label=en, label_zh=zh, n=c.n_seeds,
                            bounds=(c.rates[0], c.rates[-1]),
                            ci_method=f"chosen from {tried}{where} by the highest mean final held-out {sweep.metric} "
                                      f"over {c.n_seeds} tuning seed{'s' if c.n_seeds > 1 else ''} (ties within {TIE}: "
                                      f"lowest held-out loss, within {LOSS_TIE} the middle rate)"))
    return out


_METRIC_ZH = {"final held-out accuracy": "最终留出准确率",
              "final held-out accuracy at T": "长度 T 上的最终留出准确率",
              "final accuracy on the predictable tokens": "可预测词元上的最终准确率",
              "final accuracy (text LM: validation next-character accuracy)":
                  "最终准确率（文本语言模型：验证集下一字符准确率）"}


def sweep_plot(sweep: Sweep, *, name: str, group: str, line: str, title: str, title_zh: str,
               metric_label: str = "final held-out accuracy", metric_label_zh: str = "", group_zh: str = "",
               names_zh: Mapping[str, str] | None = None) -> Plot:
    """The sweep as a figure: one panel per value of config key ``group``, one line per value of ``line``,
    the metric against the learning rate (log scale), the chosen rate marked. Its text is in both languages
    (``metric_label_zh``: the metric's Chinese label, by default the known one for ``metric_label``; ``names_zh``:
    the groups' and lines' values in Chinese, each panel titled ``"<group_zh> = <value>"``, or the value alone
    without ``group_zh``; a value missing there keeps its name)."""
    metric_zh = metric_label_zh or _METRIC_ZH.get(metric_label, "")
    names_zh = names_zh or {}
    gi, li = sweep.keys.index(group), sweep.keys.index(line)
    groups: dict[Any, list[SweepCondition]] = {}
    for c in sweep.conditions:
        groups.setdefault(c.key[gi], []).append(c)
    panels = []
    for g, conds in groups.items():
        series = [Series(str(c.key[li]), list(c.rates), [round(s, 4) for s in c.scores],
                         notes=["chosen" if r == c.chosen else "" for r in c.rates],
                         notes_zh=["选中" if r == c.chosen else "" for r in c.rates],
                         label_zh=names_zh.get(str(c.key[li]), "")) for c in conds]
        value_zh = names_zh.get(str(g), str(g))
        panels.append(Panel("line", f"{group} = {g}", "learning rate", metric_label, xscale="log", series=series,
                            xlabel_zh="学习率", ylabel_zh=metric_zh,
                            title_zh=f"{group_zh} = {value_zh}" if group_zh else names_zh.get(str(g), "")))
    return Plot(name, title, panels, caption="Each condition's learning-rate sweep on tuning seeds; the evaluation "
                "seeds run at the rate marked 'chosen'.", title_zh=title_zh,
                caption_zh="每个条件在调参种子上的学习率扫描；评估种子使用图中标出的选中学习率。",
                ncols=min(3, len(panels)))


def _finite(value: Any, default: float) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return default
    return v if math.isfinite(v) else default
