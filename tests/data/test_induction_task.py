"""The repeated-random-tokens task of q12: the layout, the targets marked as repeated, and exact baselines."""

from __future__ import annotations

import math

import pytest
import torch

from attnlab.data import IGNORE_INDEX, RepeatedTokensTask, make_task


def test_layout_filler_segment_and_its_repeat():
    task = make_task("repeated_tokens", length=20, min_repeat=3, max_repeat=8, n_symbols=24)
    batch = task.sample(200, 0)
    assert batch.inputs.shape == (200, 20) and int(batch.inputs.min()) >= 1 and int(batch.inputs.max()) <= 24
    lens = batch.extra["repeat_len"]
    assert set(lens.tolist()) == set(range(3, 9))  # every L in range occurs (200 draws of 6 values)
    for row, L in zip(batch.inputs, lens.tolist(), strict=True):
        first = row[: 20 - L]
        assert len(set(first.tolist())) == 20 - L  # filler and segment: distinct symbols
        assert torch.equal(row[20 - L:], row[20 - 2 * L: 20 - L])  # the segment, repeated at the end
    assert torch.equal(batch.targets[:, :-1], batch.inputs[:, 1:]) and (batch.targets[:, -1] == IGNORE_INDEX).all()
    rep = batch.extra["repeated"]
    assert torch.equal(rep.sum(1), lens - 1)  # the repeat's tokens 1 .. L - 1 are predictable
    pos = torch.arange(20)
    for r in range(5):
        L = int(lens[r])
        assert torch.equal(rep[r], (pos >= 20 - L) & (pos <= 18))


def test_an_induction_rule_solves_every_repeated_target_and_nothing_else_is_predictable():
    task = RepeatedTokensTask(length=24, min_repeat=4, max_repeat=10, n_symbols=30)
    b = task.sample(64, 1)
    for row, tgt, rep, L in zip(b.inputs, b.targets, b.extra["repeated"], b.extra["repeat_len"].tolist(),
                                strict=True):
        for t in range(23):
            earlier = [j for j in range(t) if row[j] == row[t]]
            if rep[t]:  # "A B ... A -> B": the token after the earlier copy
                assert len(earlier) == 1 and tgt[t] == row[earlier[0] + 1]
            elif t != 24 - L - 1:  # before the repeat the next token is a new symbol (the repeat's start is not)
                assert not earlier and not any(row[j] == tgt[t] for j in range(t + 1))


def test_baselines_are_exact():
    task = RepeatedTokensTask(length=10, min_repeat=2, max_repeat=3, n_symbols=8)
    # L = 2: one target, k = 0: n = 10 - 2 - 0 - 1 = 7; L = 3: k = 0, 1: n = 6, 5
    assert task.baselines() == pytest.approx({"chance": 1 / 8, "order_free": (1 / 7 + 1 / 6 + 1 / 5) / 3})
    assert task.loss_baselines() == pytest.approx({"chance": math.log(8),
                                                   "order_free": (math.log(7) + math.log(6) + math.log(5)) / 3})


def test_order_free_baseline_matches_a_simulation_of_its_predictor():
    task = RepeatedTokensTask(length=16, min_repeat=3, max_repeat=6, n_symbols=20)
    b = task.sample(3000, 2)
    right, n = 0.0, 0
    for row, rep in zip(b.inputs, b.extra["repeated"], strict=True):
        for t in torch.nonzero(rep).flatten().tolist():
            counts = torch.bincount(row[: t + 1], minlength=21)
            right += 1.0 / int((counts == 1).sum())  # uniform over the symbols seen once
            n += 1
    assert right / n == pytest.approx(task.baselines()["order_free"], abs=0.004)


@pytest.mark.parametrize(("kw", "field"), [(dict(length=10, max_repeat=6, min_repeat=2), "length"),
                                           (dict(min_repeat=5, max_repeat=4), "max_repeat"),
                                           (dict(length=20, min_repeat=2, max_repeat=5, n_symbols=10), "n_symbols")])
def test_validation_names_the_argument(kw, field):
    with pytest.raises(ValueError, match=field):
        RepeatedTokensTask(**kw)
