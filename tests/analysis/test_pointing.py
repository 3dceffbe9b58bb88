"""The pointing game: each method's hit is whether its largest-magnitude score sits at the given position."""

from __future__ import annotations

import pytest
import torch

from attnlab.analysis.attribution import erasure, pointing_game, token_scores
from attnlab.models import SequenceClassifier


def _classifier() -> SequenceClassifier:
    torch.manual_seed(0)
    return SequenceClassifier(vocab_size=12, n_classes=2, d_model=16, n_heads=2, n_layers=2, max_len=8,
                              pooling="mean").eval()


def target(out):
    return out.logits[:, 1] - out.logits[:, 0]


def test_hits_are_the_argmax_of_each_methods_scores_and_of_erasure():
    model = _classifier()
    inputs = torch.randint(0, 12, (3, 6), generator=torch.Generator().manual_seed(2))
    top = {m: [] for m in ("raw", "rollout", "grad_input", "erasure")}
    for i in range(3):
        ids = inputs[i:i + 1]
        scores = token_scores(model, ids, target=target, methods=["raw", "rollout", "grad_input"])
        scores["erasure"] = erasure(model, ids, target=target)[0]
        for m, s in scores.items():
            top[m].append(int(s.abs().argmax()))
    # point at each method's own top token in example 0, at another position in examples 1 and 2
    for m, tops in top.items():
        positions = torch.tensor([tops[0], (tops[1] + 1) % 6, (tops[2] + 2) % 6])
        hits = pointing_game(model, inputs, positions, target=target, methods=["raw", "rollout", "grad_input"])
        assert list(hits) == ["raw", "rollout", "grad_input", "erasure"]
        assert hits[m] == [True, False, False], (m, hits[m])


def test_pointing_game_checks_its_arguments():
    model = _classifier()
    inputs = torch.zeros(2, 5, dtype=torch.long)
    with pytest.raises(ValueError, match="positions: expected a \\(2,\\) tensor"):
        pointing_game(model, inputs, torch.tensor([1]), target=target)
    with pytest.raises(ValueError, match="positions: expected values in \\[0, 5\\)"):
        pointing_game(model, inputs, torch.tensor([1, 5]), target=target)
    with pytest.raises(ValueError, match="inputs: expected an \\(N, T\\) long tensor"):
        pointing_game(model, inputs.float(), torch.tensor([1, 2]), target=target)
    with pytest.raises(TypeError, match="model: expected an attnlab model"):
        pointing_game(torch.nn.Linear(2, 2), inputs, torch.tensor([1, 2]), target=target)
