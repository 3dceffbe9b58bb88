"""A small question for the runner's tests: cheap trials that still touch torch, seeds and threads."""

from __future__ import annotations

import random
import time
from typing import Any

from attnlab.lab import (
    Aggregate,
    EvidenceSet,
    Experiment,
    Question,
    Trial,
    register,
    rules,
    stats,
    words,
)
from attnlab.results import Evidence, Panel, Plot, Series

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


def decide(evidence) -> rules.Rulings:
    ev = EvidenceSet(evidence)
    enough = rules.Gate("two_seeds", (ev["gain"].n or 0) >= 2, "seeds", {"n": ev["gain"].n})

    def above():
        lo, _ = rules.interval(ev["gain"])
        verdict = "confirmed" if lo > 0.25 else "refuted"
        return verdict, "interval", {}, [rules.Flip("gain", 0.2 if verdict == "confirmed" else 0.3,
                                                    "refuted" if verdict == "confirmed" else "confirmed")]

    claim = rules.sub_claim("b_above_a", [enough], ["gain"], above)
    return rules.Rulings(claim.verdict, (claim,), (enough,))


class ToyWords(words.Words):
    def statement(self, r, ev, lang):
        return "b 比 a 大。" if lang == "zh" else "b is above a"

    def rule(self, r, ev):
        return f"{r.verdict}: gain {words.fmt(ev['gain'])}"

    def because(self, r, ev, lang):
        return f"差值 {words.fmt(ev['gain'], lang)}。" if lang == "zh" else f"gain {words.fmt(ev['gain'], lang)}"

    def gate(self, g, ev, lang):
        return f"{g.values['n']} 个种子" if lang == "zh" else f"{g.values['n']} seeds"

    def overall(self, rs, ev):
        return self.rule(rs.claims[0], ev)

    def answer(self, rs, ev, lang):
        return self.because(rs.claims[0], ev, lang)

    def oneline(self, rs, ev, lang):
        because = self.because(rs.claims[0], ev, lang)
        return f"是：{because}" if lang == "zh" else f"Yes: {because}"


def make(qid: str = QID, **trial_kw: Any) -> Experiment:
    return Experiment(Question(qid, "Toy", "Is b above a?", "b 比 a 大吗?", "b is above a.", "b 比 a 大。"),
                      trials=lambda profile, seeds: trials(profile, seeds, **trial_kw), aggregate=aggregate,
                      rule=decide, words=ToyWords(), n_seeds={"tiny": 3, "quick": 3, "full": 3})


def register_toy(qid: str = QID, **trial_kw: Any) -> Experiment:
    return register(make(qid, **trial_kw), replace=True)


def uncached_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Like a timing taken on a busy machine: its outcome is used now, but measured again next run."""
    return {**toy_trial(config), "cache": False}
