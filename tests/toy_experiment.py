"""A small question for the runner's tests: cheap trials that still touch torch, seeds and threads."""

from __future__ import annotations

import random
import time
from typing import Any

from attnlab.experiments import (
    Aggregate,
    Decision,
    EvidenceSet,
    Experiment,
    Question,
    Trial,
    register,
    rules,
    stats,
)
from attnlab.results import Check, Claim, Evidence, Panel, Plot, Series

QID = "toy"


def toy_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Random numbers from the seeded generators, after an optional sleep (to be interrupted)."""
    import torch

    time.sleep(config.get("sleep", 0.0))
    torch.set_num_threads(3)  # a trial that misbehaves: the runner must undo this
    return {"python": random.random(), "torch": float(torch.rand(())), "offset": config["offset"],
            "value": config["offset"] + random.random() / 10}


def failing_trial(config: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError(f"this trial always fails (seed {config['seed']})")


def trials(profile: str, seeds: list[int], *, sleep: float = 0.0, offsets: tuple[float, ...] = (0.0, 0.5)
           ) -> list[Trial]:
    return [Trial(toy_trial, {"seed": s, "offset": o, "sleep": sleep}) for o in offsets for s in seeds]


def aggregate(outcomes) -> Aggregate:
    a, b = outcomes.values("value", offset=0.0), outcomes.values("value", offset=0.5)
    ev = [stats.evidence_from("value_a", a, label="value a", unit="u", bounds=(0, 1)),
          stats.evidence_from("value_b", b, label="value b", unit="u", bounds=(0, 1)),
          stats.paired_evidence("gain", b, a, label="b - a", unit="u", bounds=(-1, 1)),
          Evidence("torch_draws", outcomes.values("torch", offset=0.0), unit="u")]
    plot = Plot("values", "values", [Panel(series=[Series("a", list(range(len(a))), a)])], headline=True)
    return Aggregate(ev, [plot], {"n": len(outcomes)})


def decide(evidence) -> Decision:
    ev = EvidenceSet(evidence)
    enough = Check("two_seeds", (ev["gain"].n or 0) >= 2, f"{ev['gain'].n} seeds")
    lo, hi = rules.interval(ev["gain"])
    verdict = "inconclusive" if not enough.passed else "confirmed" if lo > 0.25 else "refuted"
    claim = Claim("b_above_a", "b is above a", verdict, f"{verdict}: gain {rules.fmt(ev['gain'])}", (enough,),
                  ("gain",))
    return Decision(verdict, claim.rule, (enough,), (claim,))


def make(qid: str = QID, **trial_kw: Any) -> Experiment:
    return Experiment(Question(qid, "Toy", "Is b above a?", "b 比 a 大吗?", "b is above a.", "b 比 a 大。"),
                      trials=lambda profile, seeds: trials(profile, seeds, **trial_kw), aggregate=aggregate,
                      decide=decide, n_seeds={"tiny": 3, "quick": 3, "full": 3})


def register_toy(qid: str = QID, **trial_kw: Any) -> Experiment:
    return register(make(qid, **trial_kw), replace=True)


def uncached_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Like a timing taken on a busy machine: its outcome is used now, but measured again next run."""
    return {**toy_trial(config), "cache": False}
