"""q14's trials: one model per mixer trained on multi-query associative recall with a given number of pairs."""

from __future__ import annotations

from typing import Any

from attnlab.data import make_task
from attnlab.data.tasks import Task
from attnlab.lab.spec import Trial
from attnlab.lab.training import fit
from attnlab.lab.tuning import TUNED, Tuning
from attnlab.questions.q14_mixers.models import build_model, n_params
from attnlab.questions.q14_mixers.settings import (
    LR_CENTER,
    MIXERS,
    N_KEYS,
    N_VALUES,
    THRESHOLD,
    TUNE_SEEDS,
    profile_settings,
)

__all__ = ["TUNING", "conditions", "recall_task", "train_trial", "trials"]


def recall_task(pairs: int) -> Task:
    """Multi-query associative recall (Arora et al. 2023): ``k1 v1 .. kP vP SEP q1 .. qP``, every query one of
    the P keys (:class:`attnlab.data.AssociativeRecallTask` with as many queries as pairs), the answer read at
    each query."""
    return make_task("assoc_recall", n_pairs=pairs, n_keys=N_KEYS, n_values=N_VALUES, n_queries=pairs)


def train_trial(config: dict[str, Any]) -> dict[str, Any]:
    """Train one mixer on recall with ``config["pairs"]`` pairs for one seed; held-out accuracy and the curve."""
    task = recall_task(config["pairs"])
    model = build_model(config["mixer"], config["d_model"], vocab_size=task.vocab_size, n_outputs=task.n_classes,
                        max_len=task.seq_len)
    out = fit(model, task, steps=config["steps"], lr=config["lr"], batch_size=config["batch_size"],
              threshold=THRESHOLD, seed=config["seed"], eval_every=config["eval_every"], early_stop=False)
    out.update(n_parameters=n_params(model), width=int(model.rnn.config.d_model) if config["mixer"] == "lstm"
               else int(config["d_model"]))
    return out


def _settings(profile: str) -> dict[str, Any]:
    s = dict(profile_settings(profile))
    s.pop("pairs")
    s.pop("tune_pairs")
    return s


def conditions(profile: str) -> list[dict[str, Any]]:
    """The sweep's conditions: every mixer at the tuning pair count (each mixer keeps its rate at every count)."""
    pairs = profile_settings(profile)["tune_pairs"]
    return [{"mixer": m, "pairs": pairs, **_settings(profile)} for m in MIXERS]


def trials(profile: str, seeds: list[int]) -> list[Trial]:
    s = _settings(profile)
    return [Trial(train_trial, {"mixer": m, "pairs": p, **s, "lr": TUNED, "seed": seed})
            for m in MIXERS for p in profile_settings(profile)["pairs"] for seed in seeds]


TUNING = Tuning(train_trial, conditions, keys=("mixer",), center=LR_CENTER, n_seeds=TUNE_SEEDS)
