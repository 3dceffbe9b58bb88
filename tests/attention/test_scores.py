"""Scores: the registry, a user-registered score, and the scale each score takes."""

from __future__ import annotations

import pytest
import torch
from attention_cases import SCORES, one_thread, qkv  # noqa: F401 (one_thread: autouse)

import attnlab
from attnlab.attention import Score, list_scores, register_score


def test_registry_lists_the_five_scores():
    assert set(SCORES) <= set(list_scores())


def test_user_registered_score_runs_on_chunked_path():
    @register_score("neg_sq_l2_test")
    class NegSqL2(Score):
        def pairwise(self, qp, kp):
            return -(qp.unsqueeze(-2) - kp.unsqueeze(-3)).pow(2).sum(-1)

    q, k, v = qkv(requires_grad=True)
    out = attnlab.attention(q, k, v, score="neg_sq_l2_test")
    ref = attnlab.attention(q, k, v, score="neg_sq_l2_test", impl="reference")
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)
    logits = -torch.cdist(q, k).pow(2)
    torch.testing.assert_close(ref, torch.softmax(logits, -1) @ v, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match="bilinear"):
        attnlab.attention(q, k, v, score="neg_sq_l2_test", impl="sdpa")


def test_scale_switches():
    q, k, v = qkv()
    unscaled = attnlab.attention(q, k, v, score="dot")
    torch.testing.assert_close(attnlab.attention(q, k, v, score="scaled_dot", scale=1.0), unscaled)
    torch.testing.assert_close(attnlab.attention(q, k, v, score="dot", scale=8**-0.5), attnlab.attention(q, k, v))
    with pytest.raises(ValueError, match="scale"):
        attnlab.attention(q, k, v, score="dot", scale=True)
    with pytest.raises(ValueError, match="scale"):
        attnlab.attention(q, k, v, score="scaled_dot", scale=False)
    with pytest.raises(ValueError, match="scale"):
        attnlab.attention(q, k, v, scale=-1.0)
