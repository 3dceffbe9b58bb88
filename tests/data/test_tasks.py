"""attnlab.data tasks: the registry, shapes, semantics, determinism, chance and exact baselines."""

from __future__ import annotations

import json
import math

import pytest
import torch

from attnlab.data import (
    IGNORE_INDEX,
    Batch,
    CopyTask,
    LongRangeTask,
    MatchTask,
    MultiRelationTask,
    NeedleSentimentTask,
    SortTask,
    list_tasks,
    make_task,
)

ALL_TASKS = [
    "assoc_recall",
    "copy",
    "follow",
    "long_range",
    "match",
    "multi_relation",
    "needle",
    "reverse",
    "sort",
]


def test_registry_lists_every_task():
    assert set(ALL_TASKS) <= set(list_tasks())
    assert list_tasks() == sorted(list_tasks())


def test_make_task_errors():
    with pytest.raises(ValueError, match="task: expected one of"):
        make_task("nope")
    with pytest.raises(TypeError, match="accepted arguments"):
        make_task("copy", size=3)


@pytest.mark.parametrize("name", ALL_TASKS)
def test_task_interface(name):
    task = make_task(name)
    batch = task.sample(64, torch.Generator().manual_seed(0))
    assert isinstance(batch, Batch) and len(batch) == 64
    assert batch.inputs.dtype == torch.long and batch.targets.dtype == torch.long
    assert batch.inputs.shape == (64, task.seq_len)
    assert int(batch.inputs.min()) >= 0 and int(batch.inputs.max()) < task.vocab_size
    if task.kind == "tagging":
        assert batch.targets.shape == batch.inputs.shape
        valid = batch.targets != IGNORE_INDEX
        assert valid.any(dim=1).all()  # every sequence has something to predict
        t = batch.targets[valid]
    else:
        assert task.kind == "classification" and batch.targets.shape == (64,)
        t = batch.targets
    assert int(t.min()) >= 0 and int(t.max()) < task.n_classes
    assert 0.0 < task.chance_accuracy < 1.0
    json.dumps(task.config())  # JSON-able for result files
    assert task.config()["name"] == name
    # determinism: same seed, same batch; int seeds work too; another seed differs
    again = task.sample(64, 0)
    assert torch.equal(again.inputs, batch.inputs) and torch.equal(again.targets, batch.targets)
    other = task.sample(64, 1)
    assert not torch.equal(other.inputs, batch.inputs)


def test_copy_reverse_sort_targets():
    for name, f in (
        ("copy", lambda x: x),
        ("reverse", lambda x: x.flip(1)),
        ("sort", lambda x: x.sort(1).values),
    ):
        task = make_task(name, length=5, n_symbols=7)
        b = task.sample(32, 3)
        assert task.seq_len == 11 and task.vocab_size == 10 and task.n_classes == 7
        x = b.inputs[:, :5] - 3
        assert (b.inputs[:, 5] == task.SEP).all() and (b.inputs[:, 6:] == task.BLANK).all()
        assert (b.targets[:, :6] == IGNORE_INDEX).all()
        assert torch.equal(b.targets[:, 6:], f(x))


def test_sort_chance_is_exact():
    assert SortTask(length=2, n_symbols=2).chance_accuracy == pytest.approx(0.75)  # min/max of two coins
    task = SortTask(length=4, n_symbols=3)
    b = task.sample(20000, 0)
    t = b.targets[:, task.length + 1 :]
    best = sum(torch.bincount(t[:, j], minlength=3).max().item() for j in range(task.length)) / t.numel()
    assert best == pytest.approx(task.chance_accuracy, abs=0.01)
    assert CopyTask(n_symbols=8).chance_accuracy == pytest.approx(1 / 8)


def test_associative_recall_answers():
    task = make_task("assoc_recall", n_pairs=3, n_keys=5, n_values=4, n_queries=2)
    b = task.sample(50, 0)
    assert task.seq_len == 9 and task.vocab_size == 11
    for row in range(50):
        ids = b.inputs[row].tolist()
        pairs = dict(zip(ids[0:6:2], ids[1:6:2], strict=True))
        assert len(pairs) == 3  # distinct keys
        assert ids[6] == task.SEP
        for q_pos in (7, 8):
            assert b.targets[row, q_pos] == pairs[ids[q_pos]] - 2 - task.n_keys
        assert (b.targets[row, :7] == IGNORE_INDEX).all()
    assert b.extra["query_pos"].tolist()[0] == [7, 8]


def test_associative_recall_no_lookup_baseline_is_the_mode_guess():
    # the predictor "most frequent value in the context" scored on samples agrees with the exact number
    task = make_task("assoc_recall", n_pairs=4, n_keys=8, n_values=3, n_queries=4)
    base = task.baselines()
    assert base["chance"] == pytest.approx(1 / 3)
    b = task.sample(20000, 0)
    values = b.inputs[:, 1:8:2] - 2 - task.n_keys  # (N, P)
    counts = torch.stack([(values == v).sum(1) for v in range(3)], 1)  # (N, V)
    best = counts.max(1, keepdim=True).values
    # ties: each tied value is guessed with equal probability
    right = torch.stack([(counts.gather(1, b.targets[:, 9 + q : 10 + q]) == best).float() / (counts == best).sum(
        1, keepdim=True) for q in range(4)], 1)
    assert right.mean().item() == pytest.approx(base["no_lookup"], abs=0.01)
    assert base["no_lookup"] > base["chance"]


def test_follow_target_is_the_next_symbol():
    task = make_task("follow", length=10, n_symbols=6)
    b = task.sample(100, 0)
    mark = b.extra["mark_pos"]
    rows = torch.arange(100)
    assert (b.inputs[rows, mark] == task.MARK).all()
    assert ((b.inputs == task.MARK).sum(1) == 1).all()
    assert torch.equal(b.targets[rows, mark], b.inputs[rows, mark + 1] - 2)
    assert ((b.targets != IGNORE_INDEX).sum(1) == 1).all()
    assert int(mark.min()) >= 1 and int(mark.max()) <= 8


def test_match_label_is_presence():
    task = make_task("match", length=6, n_symbols=10)
    b = task.sample(400, 0)
    body, query = b.inputs[:, :6], b.inputs[:, -1]
    present = (body == query[:, None]).any(1).long()
    assert torch.equal(b.targets[:, -1], present)
    assert (b.targets[:, :-1] == IGNORE_INDEX).all()
    assert 0.4 < present.float().mean() < 0.6
    assert (torch.sort(body, 1).values.diff(dim=1) != 0).all()  # distinct body
    pos = b.extra["match_pos"]
    hit = pos >= 0
    assert torch.equal(body[hit, pos[hit]], query[hit]) and torch.equal(hit.long(), present)
    with pytest.raises(ValueError, match="n_symbols: expected an int > length"):
        MatchTask(length=6, n_symbols=6)


def test_long_range_distance():
    task = LongRangeTask(length=12, distance=5, n_symbols=4)
    b = task.sample(20, 0)
    assert (b.targets[:, :5] == IGNORE_INDEX).all()
    assert torch.equal(b.targets[:, 5:], b.inputs[:, :7] - 1)
    last = LongRangeTask(length=12, distance=5, n_symbols=4, targets="last").sample(20, 0)
    assert (last.targets[:, :-1] == IGNORE_INDEX).all()
    assert torch.equal(last.targets[:, -1], last.inputs[:, 12 - 1 - 5] - 1)
    with pytest.raises(ValueError, match="distance: expected an int in"):
        LongRangeTask(length=8, distance=8)
    with pytest.raises(ValueError, match="targets: expected"):
        LongRangeTask(targets="first")


def test_multi_relation_encodes_every_relation():
    task = MultiRelationTask(length=10, n_symbols=3, offsets=[-1, 2], include_first=True)
    assert task.offsets == (-1, 2) and task.n_classes == 27 and task.chance_accuracy == pytest.approx(1 / 27)
    b = task.sample(30, 0)
    x = b.inputs - 1
    for i in range(10):
        if i - 1 < 0 or i + 2 >= 10:
            assert (b.targets[:, i] == IGNORE_INDEX).all()
        else:
            assert torch.equal(b.targets[:, i], x[:, i - 1] * 9 + x[:, i + 2] * 3 + x[:, 0])
    with pytest.raises(ValueError, match="n_symbols: expected"):
        MultiRelationTask(n_symbols=32, offsets=(-1, 1, 2))
    with pytest.raises(ValueError, match="offsets"):
        MultiRelationTask(offsets=(), include_first=False)


def test_needle_sentiment():
    task = NeedleSentimentTask(length=20, min_len=8)
    b = task.sample(300, 0)
    words = task.words
    assert words[0] == "<pad>" and len(words) == task.vocab_size and len(set(words)) == len(words)
    neg, pos = set(task.polar_ids["negative"]), set(task.polar_ids["positive"])
    assert {words[i] for i in neg} >= {"hate"} and {words[i] for i in pos} >= {"love"}
    polar = torch.tensor(sorted(neg | pos))
    is_polar = torch.isin(b.inputs, polar)
    assert (is_polar.sum(1) == 1).all()  # exactly one needle
    rows = torch.arange(300)
    needle = b.inputs[rows, b.extra["needle_pos"]]
    assert torch.isin(needle, polar).all()
    assert torch.equal(torch.isin(needle, torch.tensor(sorted(pos))).long(), b.targets)
    lengths = b.extra["lengths"]
    assert int(lengths.min()) >= 8 and int(lengths.max()) <= 20 and (b.extra["needle_pos"] < lengths).all()
    assert torch.equal(b.key_mask, torch.arange(20)[None] < lengths[:, None])
    assert (b.inputs[~b.key_mask] == 0).all() and (b.inputs[b.key_mask] != 0).all()
    assert 0.4 < b.targets.float().mean() < 0.6
    text = task.decode(b.inputs[0])
    assert len(text) == int(lengths[0]) and text[int(b.extra["needle_pos"][0])] in {
        words[i] for i in neg | pos
    }
    assert NeedleSentimentTask(length=10).sample(4, 0).key_mask is None
    with pytest.raises(ValueError, match="min_len"):
        NeedleSentimentTask(length=10, min_len=11)


def test_batch_slicing_and_validation():
    b = make_task("needle", length=8, min_len=4).sample(6, 0)
    part = b[2:4]
    assert len(part) == 2 and torch.equal(part.inputs, b.inputs[2:4])
    assert torch.equal(part.extra["needle_pos"], b.extra["needle_pos"][2:4])
    assert torch.equal(part.key_mask, b.key_mask[2:4])
    assert b.to("cpu").inputs.device.type == "cpu"
    with pytest.raises(ValueError, match="key_mask"):
        Batch(b.inputs, b.targets, key_mask=b.key_mask.long())
    with pytest.raises(ValueError, match="inputs: expected shape"):
        Batch(b.inputs[0], b.targets)


def test_task_validation_messages():
    with pytest.raises(ValueError, match="length: expected an int >= 1, got 0"):
        CopyTask(length=0)
    with pytest.raises(ValueError, match="n_keys: expected >= n_pairs"):
        make_task("assoc_recall", n_pairs=5, n_keys=4)
    with pytest.raises(ValueError, match="n: expected an int >= 1, got 0"):
        CopyTask().sample(0)
    with pytest.raises(TypeError, match="generator"):
        CopyTask().sample(2, generator="seed")
    # a wrong type is a TypeError, a wrong value a ValueError (attnlab.validation)
    with pytest.raises(TypeError, match="length: expected an int >= 1, got float 2.5"):
        CopyTask(length=2.5)
    with pytest.raises(TypeError, match="n_symbols"):
        make_task("long_range", n_symbols=True)
    with pytest.raises(ValueError, match=r"distance: expected an int in \[0, 7\], got 8"):
        LongRangeTask(length=8, distance=8)
    with pytest.raises(TypeError, match=r"offsets\[1\]"):
        MultiRelationTask(offsets=(-1, 0.5))
    with pytest.raises(ValueError, match="distractor_rate"):
        NeedleSentimentTask(distractor_rate=1.5)


def test_registry_snapshot_and_restore():
    from dataclasses import dataclass

    from attnlab.data import register_task
    from attnlab.data.registry import restore, snapshot

    saved = snapshot()

    @register_task("tmp_copy")
    @dataclass(frozen=True)
    class TmpCopy(CopyTask):
        pass

    assert "tmp_copy" in list_tasks() and make_task("tmp_copy").name == "tmp_copy"
    assert "tmp_copy" not in saved  # a snapshot is a copy, not a view
    restore(saved)
    assert "tmp_copy" not in list_tasks() and list_tasks() == sorted(saved)


def test_tasks_module_keeps_its_import_path():
    from attnlab.data import base, registry, relations, sentiment, tasks, transduction

    assert tasks.Task is base.Task and tasks.Batch is base.Batch and tasks.IGNORE_INDEX == base.IGNORE_INDEX
    assert tasks.make_task is registry.make_task and tasks.CopyTask is transduction.CopyTask
    assert tasks.FollowTask is relations.FollowTask and tasks.WordSentimentTask is sentiment.WordSentimentTask


def test_chance_accuracies_are_probabilities():
    for name in ALL_TASKS:
        c = make_task(name).chance_accuracy
        assert 0 < c < 1 and not math.isnan(c)


def test_char_lm_targets_are_the_next_character_and_the_unigram_bar_is_exact():
    from attnlab.data import CharLMTask, unigram_cross_entropy

    text = "abcab" * 20
    task = CharLMTask(text, 8)
    assert task.alphabet == "abc" and task.vocab_size == 4 and task.n_classes == 4
    b = task.sample(16, 0)
    assert b.inputs.shape == b.targets.shape == (16, 8)
    assert torch.equal(b.inputs[:, 1:], b.targets[:, :-1])  # targets are the inputs shifted by one
    assert torch.equal(task.sample(4, 3).inputs, task.sample(4, 3).inputs)  # seeded
    assert task.baselines() == {"chance": pytest.approx(1 / 3), "most_frequent": pytest.approx(0.4)}
    held = CharLMTask("aab" * 5 + "z", 4, alphabet=task.alphabet)  # 'z' is not in the alphabet: the last id
    assert int(held.ids[-1]) == 3
    counts = {"a": 40 + 1, "b": 40 + 1, "c": 20 + 1}  # add-one smoothed over the alphabet, total 100 + 3
    expected = -sum(math.log(counts["a" if ch == "a" else "b" if ch == "b" else "c"] / 103) for ch in "aab" * 5 + "c")
    assert unigram_cross_entropy(task, held) == pytest.approx(expected / 16)
    with pytest.raises(ValueError, match="text"):
        CharLMTask("short", 8)
    with pytest.raises(ValueError, match="heldout"):
        unigram_cross_entropy(task, CharLMTask("xyxyxyxyxyxy", 4))


def test_multi_relation_all_but_one_baseline_counts_coinciding_positions():
    task = MultiRelationTask(length=16, n_symbols=4, offsets=(-1, 2), include_first=True)
    # positions 1..13 have a target; dropping x[i-1] costs nothing at i = 1, where it is x[0]
    assert task.baselines()["all_but_one_relation"] == pytest.approx((1 + 12 / 4) / 13)
    assert "all_but_one_relation" not in MultiRelationTask(length=8, n_symbols=4, offsets=(2,),
                                                           include_first=False).baselines()
