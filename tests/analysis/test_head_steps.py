"""One head of all-MiniLM-L6-v2, step by step, against the same computation written out by hand."""

from __future__ import annotations

import math

import pytest
import torch

from attnlab.analysis.head_steps import focus_steps, head_steps
from attnlab.results import AttentionMap, HeadSteps

pytestmark = pytest.mark.real_model

TEXT = "The dog chased the cat because it was hungry."


@pytest.fixture(scope="module")
def model():
    from attnlab.pretrained import load

    return load("all-MiniLM-L6-v2").eval()


def _softmax(xs: list[float]) -> list[float]:
    top = max(xs)
    e = [math.exp(x - top) for x in xs]
    return [v / sum(e) for v in e]


@torch.no_grad()
def test_head_steps_equal_the_head_computed_by_hand_and_the_model_weights(model):
    layer, head, token = 2, 5, 7  # 'it'
    s = head_steps(model, TEXT, layer, head, token)
    batch = model.encode(TEXT)
    _, cache = model.run_with_cache(batch.input_ids, key_mask=batch.key_mask, names=[f"blocks.{layer}.resid_pre"])
    x = cache[f"blocks.{layer}.resid_pre"][0].double()  # (T, C): the block's input
    w = {k: t.double() for k, t in model.head_weights(layer, head).items()}
    q, k, v = x @ w["W_Q"] + w["b_Q"], x @ w["W_K"] + w["b_K"], x @ w["W_V"] + w["b_V"]
    d_k = q.shape[-1]
    raw = k @ q[token]
    a = torch.softmax(raw / math.sqrt(d_k), -1)
    z = a @ v
    assert (s.layer, s.head, s.token) == (layer, head, token) and len(s.q) == d_k == 32
    assert torch.allclose(torch.tensor(s.q, dtype=torch.float64), q[token], atol=1e-4)
    assert torch.allclose(torch.tensor(s.scores, dtype=torch.float64), raw, atol=1e-3)
    assert s.scale == pytest.approx(1 / math.sqrt(d_k)) and s.mask == [True] * len(batch.tokens[0])
    assert torch.allclose(torch.tensor(s.weights, dtype=torch.float64), a, atol=1e-6)
    assert torch.allclose(torch.tensor(s.z, dtype=torch.float64), z, atol=1e-4)
    assert torch.allclose(torch.tensor(s.v, dtype=torch.float64), v, atol=1e-4)

    # as stored (rounded): the softmax of the scaled scores is the weights the map holds, to 1e-4
    tokens, maps = model.attentions(TEXT)
    stored = s.to_dict()
    row = maps[layer][head, token].tolist()
    mine = _softmax([stored["scale"] * x for x in stored["scores"]])
    assert max(abs(p - r) for p, r in zip(mine, row, strict=True)) < 1e-4
    assert max(abs(p - r) for p, r in zip(stored["weights"], row, strict=True)) < 1e-4
    assert all(len(f"{abs(x):.4g}".replace(".", "").lstrip("0")) <= 4 for x in stored["q"] + stored["z"])


def test_focus_steps_follow_the_focus_and_fit_its_map(model):
    tokens, maps = model.attentions(TEXT)
    weights = torch.stack(maps).tolist()
    focus = {"focus_layer": 4, "focus_head": 0, "focus_token": 2}
    m = AttentionMap("t", tokens, weights, steps=focus_steps(model, TEXT, focus), **focus)
    assert isinstance(m.steps, HeadSteps) and (m.steps.layer, m.steps.head, m.steps.token) == (4, 0, 2)
    assert focus_steps(model, TEXT, {"focus_layer": 4, "focus_head": 0}) is None
    assert focus_steps(model, TEXT, {}) is None
    with pytest.raises(ValueError, match="token"):
        head_steps(model, TEXT, 0, 0, len(tokens))
