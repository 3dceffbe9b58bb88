"""The learning-rate sweep: the criterion, the grid growing past an edge, the runner's two phases."""

from __future__ import annotations

import math

import pytest

from attnlab.lab import registry, rules
from attnlab.lab.runner import run_questions
from attnlab.lab.spec import Aggregate, Experiment, Outcomes, Question, Trial, TrialOutcome
from attnlab.lab.tuning import TUNED, TUNING_SEED_BASE, Tuning, apply_rates, best_rate, build_sweep, sweep_evidence
from attnlab.lab.words import Words
from attnlab.results import Evidence


def peaked_trial(config: dict) -> dict:
    """Accuracy peaks at the condition's own best rate (``best``), falling off on a log scale."""
    distance = abs(math.log10(config["lr"]) - math.log10(config["best"]))
    return {"accuracy": max(0.0, 1.0 - distance / 4), "loss": distance, "steps": 10}


def _conditions(profile: str) -> list[dict]:
    return [{"name": "low", "best": 1e-3}, {"name": "mid", "best": 3e-3}]


TUNING = Tuning(peaked_trial, _conditions, keys=("name",), center={"tiny": 3e-3, "quick": 3e-3, "full": 3e-3})


def _trials(profile: str, seeds: list[int]) -> list[Trial]:
    return [Trial(peaked_trial, {**c, "lr": TUNED, "seed": s}) for c in _conditions(profile) for s in seeds]


def _aggregate(outcomes: Outcomes) -> Aggregate:
    ev = sweep_evidence(outcomes.tuning, lambda c: f"lr_{c.key[0]}", lambda c: (c.label, c.label))
    ev += [Evidence(f"used_{o.config['name']}_{o.config['seed']}", o.config["lr"]) for o in outcomes]
    return Aggregate(ev)


def _rule(evidence):
    from attnlab.lab import protocol

    ev = {e.name: e for e in evidence}
    gate = protocol.lr_tuned(ev, ["lr_low", "lr_mid"])
    return rules.combine([rules.Ruling("x", "confirmed")], [gate])


def test_the_criterion_is_the_best_mean_metric_then_the_lowest_loss():
    assert best_rate({1e-3: (0.90, 0.5, 1), 3e-3: (0.95, 0.4, 1), 1e-2: (0.5, 1.0, 1)}) == 3e-3
    # within the tie margin of the best accuracy, the lower held-out loss decides
    assert best_rate({1e-3: (0.999, 0.05, 1), 3e-3: (1.0, 0.2, 1), 1e-2: (0.5, 1.0, 1)}) == 1e-3


def test_apply_rates_replaces_tuned_and_refuses_without_a_tuning():
    outcomes = [TrialOutcome({"name": "low", "best": 1e-3, "lr": lr, "seed": TUNING_SEED_BASE}, peaked_trial(
        {"lr": lr, "best": 1e-3})) for lr in (1e-3, 3e-3, 1e-2)]
    sweep = build_sweep(TUNING, outcomes)
    trial = Trial(peaked_trial, {"name": "low", "best": 1e-3, "lr": TUNED, "seed": 0})
    assert apply_rates([trial], TUNING, sweep)[0].config["lr"] == 1e-3
    with pytest.raises(ValueError, match="no Tuning"):
        apply_rates([trial], None, None)


def test_the_runner_sweeps_grows_past_an_edge_and_evaluates_at_the_choice(tmp_path):
    exp = Experiment(Question("qtune", "t", "q", "q", "c", "c"), trials=_trials, aggregate=_aggregate, rule=_rule,
                     words=_ToyWords(), tuning=TUNING)
    saved = registry.snapshot()
    try:
        registry.register(exp)
        report = run_questions(["qtune"], profile="tiny", seeds=2, out=tmp_path, jobs=1, progress=False)
        again = run_questions(["qtune"], profile="tiny", seeds=2, out=tmp_path, jobs=1, progress=False)
    finally:
        registry.restore(saved)
    assert report.errors == {}
    result = report["qtune"]
    ev = {e.name: e for e in result.evidence}
    # "low" was best at the lowest rate tried (1e-3), so the grid grew to 3.33e-4 and 1e-3 is now inside it
    assert ev["lr_low"].value == pytest.approx(1e-3) and ev["lr_low"].bounds[0] < 1e-3
    assert ev["lr_mid"].value == pytest.approx(3e-3)
    assert ev["used_low_0"].value == pytest.approx(1e-3) and ev["used_mid_1"].value == pytest.approx(3e-3)
    assert result.verdict == "confirmed" and [c.name for c in result.checks] == ["lr_tuned"]
    assert result.trials["total"] == 3 + 1 + 3 + 4  # low: 3 + 1 extension; mid: 3; evaluation: 2 x 2
    assert again.trials_run == 0 and again.trials_reused == result.trials["total"]  # the sweep is cached too


class _ToyWords(Words):  # a question's words, as short as they can be
    def statement(self, r, ev, lang):
        return "x"

    def rule(self, r, ev):
        return "x"

    def because(self, r, ev, lang):
        return "x"

    def answer(self, rs, ev, lang):
        return "x"

    def oneline(self, rs, ev, lang):
        return "x"


def test_quick_reuses_the_rates_the_shipped_standard_sweep_chose(tmp_path, monkeypatch):
    exp = Experiment(Question("qtune", "t", "q", "q", "c", "c"), trials=_trials, aggregate=_aggregate, rule=_rule,
                     words=_ToyWords(), tuning=TUNING)
    saved = registry.snapshot()
    try:
        registry.register(exp)
        standard = run_questions(["qtune"], profile="standard", seeds=2, out=tmp_path / "s", jobs=1,
                                 progress=False)["qtune"]
        import attnlab.shipped

        monkeypatch.setattr(attnlab.shipped, "read_shipped", lambda qid: standard if qid == "qtune" else None)
        quick = run_questions(["qtune"], profile="quick", seeds=2, out=tmp_path / "q", jobs=1, progress=False)
    finally:
        registry.restore(saved)
    result = quick["qtune"]
    assert result.trials["total"] == 4  # the evaluation only: no sweep ran
    ev = {e.name: e for e in result.evidence}
    assert ev["lr_low"].value == pytest.approx(1e-3) and "standard profile's sweep" in ev["lr_low"].ci_method
    assert result.config["lr_sweep"]["source"] == "standard"


def test_prune_keeps_exactly_the_trials_the_run_used(tmp_path):
    exp = Experiment(Question("qtune", "t", "q", "q", "c", "c"), trials=_trials, aggregate=_aggregate, rule=_rule,
                     words=_ToyWords(), tuning=TUNING)
    saved = registry.snapshot()
    try:
        registry.register(exp)
        run_questions(["qtune"], profile="tiny", seeds=3, out=tmp_path, jobs=1, progress=False)
        again = run_questions(["qtune"], profile="tiny", seeds=2, out=tmp_path, jobs=1, progress=False, prune=True)
    finally:
        registry.restore(saved)
    files = list((tmp_path / "qtune" / "trials").glob("*.json"))
    assert len(files) == again["qtune"].trials["total"] == 3 + 1 + 3 + 4  # seed 2's two trials are gone


def test_at_the_ceiling_the_middle_of_the_plateau_is_chosen_not_its_edge():
    # every rate at accuracy 1 and the loss still creeping down: the lowest loss alone would pick 3e-1
    flat = {3e-3: (1.0, 0.012, 1), 1e-2: (1.0, 0.001, 1), 3e-2: (1.0, 0.0, 1), 1e-1: (1.0, 0.0, 1), 3e-1: (1.0, 0.0, 1)}
    assert best_rate(flat) == 3e-2
    assert best_rate({1e-3: (0.9, 0.3, 1), 3e-3: (1.0, 0.05, 1), 1e-2: (1.0, 0.2, 1)}) == 3e-3  # a real optimum
