"""The repeated-random-tokens task of q12: the layout, the targets marked as repeated, and exact baselines."""

from __future__ import annotations

import math
from collections import Counter

import pytest
import torch

from attnlab.data import IGNORE_INDEX, RepeatedTokensTask, make_task


def test_layout_a_segment_twice_at_random_places():
    task = make_task("repeated_tokens", length=20, min_repeat=3, max_repeat=8, n_symbols=24)
    batch = task.sample(300, 0)
    assert batch.inputs.shape == (300, 20) and int(batch.inputs.min()) >= 1 and int(batch.inputs.max()) <= 24
    lens, starts = batch.extra["repeat_len"], batch.extra["repeat_start"]
    assert set(lens.tolist()) == set(range(3, 9))  # every L occurs
    assert len(set(starts.tolist())) > 5  # the repeat sits at no fixed place
    for row, L, s2, rep, tgt in zip(batch.inputs, lens.tolist(), starts.tolist(), batch.extra["repeated"],
                                    batch.targets, strict=True):
        seg = row[s2:s2 + L]
        s1 = next(j for j in range(s2 - L + 1) if torch.equal(row[j:j + L], seg))  # the earlier copy
        others = torch.cat([row[:s2], row[s2 + L:]])
        assert len(set(others.tolist())) == 20 - L  # every token outside the repeat: distinct symbols
        assert s1 + L <= s2 and s2 + L <= 20
        assert torch.equal(rep.nonzero().flatten(), torch.arange(s2, s2 + L - 1))  # targets a2 .. aL
        assert torch.equal(tgt[rep], row[s2 + 1:s2 + L]) and (tgt[~rep] == IGNORE_INDEX).all()


def test_an_induction_rule_solves_every_target():
    task = RepeatedTokensTask(length=24, min_repeat=4, max_repeat=10, n_symbols=30)
    b = task.sample(64, 1)
    for row, tgt, rep in zip(b.inputs, b.targets, b.extra["repeated"], strict=True):
        for t in torch.nonzero(rep).flatten().tolist():  # "A B ... A -> B": the token after the earlier copy
            earlier = [j for j in range(t) if row[j] == row[t]]
            assert len(earlier) == 1 and tgt[t] == row[earlier[0] + 1]


def test_dense_targets_are_the_next_tokens():
    b = RepeatedTokensTask(length=16, min_repeat=3, max_repeat=6, n_symbols=16, dense=True).sample(8, 3)
    assert torch.equal(b.targets[:, :-1], b.inputs[:, 1:]) and (b.targets[:, -1] == IGNORE_INDEX).all()


def test_the_two_starts_are_uniform_over_the_pairs_that_fit():
    task = RepeatedTokensTask(length=10, min_repeat=3, max_repeat=3, n_symbols=10)
    b = task.sample(30000, 4)
    # L = 3, length 10: s1 = u1, s2 = u2 + 2 with 0 <= u1 < u2 < 6: 15 pairs; s2 = k + 2 for k = 1..5 in k ways
    counts = Counter(b.extra["repeat_start"].tolist())
    for k in range(1, 6):
        assert counts[k + 2] / 30000 == pytest.approx(k / 15, abs=0.015)


def test_baselines_are_exact():
    task = RepeatedTokensTask(length=8, min_repeat=3, max_repeat=3, n_symbols=6)
    # L = 3: u1 < u2 < 4, s2 = u2 + 2 (u2 = 1, 2, 3 in 1, 2, 3 of 6 pairs); targets k = 0, 1: n = s2 - k - 1
    pairs = {3: 1 / 6, 4: 2 / 6, 5: 3 / 6}
    acc = sum(p * (1 / (s2 - 1) + 1 / (s2 - 2)) / 2 for s2, p in pairs.items())
    loss = sum(p * (math.log(s2 - 1) + math.log(s2 - 2)) / 2 for s2, p in pairs.items())
    assert task.baselines() == pytest.approx({"chance": 1 / 6, "order_free": acc})
    assert task.loss_baselines() == pytest.approx({"chance": math.log(6), "order_free": loss})


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
                                           (dict(length=20, min_repeat=2, max_repeat=5, n_symbols=10), "n_symbols"),
                                           (dict(dense="yes"), "dense")])
def test_validation_names_the_argument(kw, field):
    with pytest.raises(ValueError, match=field):
        RepeatedTokensTask(**kw)
