"""Circuits: head detectors on synthetic patterns and on a model built to have a previous-token head,
activation patching per position and per head, and the logit lens."""

from __future__ import annotations

import pytest
import torch

from attnlab.analysis.circuits import (
    detect_heads,
    duplicate_token_scores,
    induction_scores,
    logit_difference,
    logit_lens,
    patch_heads,
    patch_positions,
    previous_token_scores,
)
from attnlab.models import TransformerEncoder, TransformerLM


def _rows_to(targets: torch.Tensor, t: int) -> torch.Tensor:
    """A pattern (T, T) whose query i puts all its weight on key targets[i]."""
    return torch.nn.functional.one_hot(targets, t).float()


def test_detectors_on_synthetic_patterns():
    t = 8
    ids = torch.tensor([[11, 12, 13, 14, 11, 12, 13, 14]])  # a random sequence repeated
    i = torch.arange(t)
    previous = _rows_to((i - 1).clamp_min(0), t)
    duplicate = _rows_to(torch.where(i >= 4, i - 4, i), t)  # the earlier copy of the same token
    induction = _rows_to(torch.where(i >= 4, i - 3, i), t)  # the token after the earlier copy
    uniform = torch.tril(torch.ones(t, t)) / torch.arange(1, t + 1)[:, None]
    patterns = [torch.stack([previous, duplicate, induction, uniform])[None]]  # one layer, 4 heads
    prev = previous_token_scores(patterns)[0]
    dup = duplicate_token_scores(patterns, ids)[0]
    ind = induction_scores(patterns, ids)[0]
    assert prev[0] == 1.0 and dup[1] == 1.0 and ind[2] == 1.0
    assert prev.argmax() == 0 and dup.argmax() == 1 and ind.argmax() == 2
    # the uniform causal head: mean over queries 1..7 of 1 / (i + 1)
    assert prev[3].item() == pytest.approx(sum(1 / (k + 1) for k in range(1, t)) / (t - 1))
    # queries 4..7 have their induction key at i - 3, never where the previous-token head looks
    assert ind[0] == 0.0


def test_detectors_need_repeats_and_matching_ids():
    patterns = [torch.full((1, 2, 4, 4), 0.25)]
    with pytest.raises(ValueError, match="no query has a duplicate-token key"):
        duplicate_token_scores(patterns, torch.tensor([[1, 2, 3, 4]]))
    with pytest.raises(ValueError, match=r"input_ids: expected token ids of shape \(1, 4\)"):
        induction_scores(patterns, torch.tensor([[1, 2, 1]]))


def _previous_token_model() -> TransformerEncoder:
    """Post-LN, one layer, 2 heads: positions one-hot, tokens embedded as zero; head 0's query of position i
    matches the key of position i - 1 (W_K shifts by one), head 1 has no query (uniform)."""
    torch.manual_seed(0)
    m = TransformerEncoder(vocab_size=10, d_model=16, n_heads=2, n_layers=1, max_len=8, positions="learned",
                           norm_first=False).eval()
    attn = m.layers[0].attn
    with torch.no_grad():
        m.embed.tok.weight.zero_()
        m.embed.pos.weight.copy_(torch.eye(8, 16))
        attn.q_proj.weight.zero_()
        attn.k_proj.weight.zero_()
        attn.q_proj.bias.zero_()
        attn.k_proj.bias.zero_()
        for d in range(8):  # head 0 owns rows 0..7
            attn.q_proj.weight[d, d] = 10.0  # q_i = 10 e_i
            if d >= 1:
                attn.k_proj.weight[d, d - 1] = 10.0  # k_j = 10 e_{j+1}
    return m


def test_a_model_built_with_a_previous_token_head_is_detected():
    m = _previous_token_model()
    ids = torch.tensor([[1, 2, 3, 1, 2, 3, 4, 5]])
    scores = detect_heads(m, ids)
    prev = scores["previous_token"]
    assert prev.shape == (1, 2)
    assert prev[0, 0] > 0.99 and prev[0, 1] < 0.2
    assert set(scores) == {"previous_token", "duplicate_token", "induction"}


def _lm(n_layers=2) -> TransformerLM:
    torch.manual_seed(0)
    return TransformerLM(vocab_size=20, d_model=16, n_heads=4, n_layers=n_layers, max_len=16).eval()


CLEAN = torch.tensor([[4, 9, 2, 7, 5]])
CORRUPT = torch.tensor([[4, 9, 13, 7, 5]])  # only position 2 differs


def test_patching_the_first_blocks_input_recovers_all_at_the_changed_position_and_nothing_elsewhere():
    m = _lm()
    metric = logit_difference(3, 8)
    table = patch_positions(m, CLEAN, CORRUPT, metric)
    assert table.shape == (2, 5)
    torch.testing.assert_close(table[0], torch.tensor([0.0, 0.0, 1.0, 0.0, 0.0]), atol=1e-5, rtol=0)
    # by the last block, position 2's information has spread to the later positions under the causal mask
    assert table[1, :2].abs().max() < 1e-5


def test_patching_heads_a_silent_head_recovers_nothing_and_values_match_a_manual_patch():
    m = _lm()
    with torch.no_grad():
        m.layers[1].attn.out_proj.weight[:, 4:8] = 0.0  # head 1 of block 1 writes nothing
    metric = logit_difference(3, 8)
    table = patch_heads(m, CLEAN, CORRUPT, metric)
    assert table.shape == (2, 4)
    assert table[1, 1] == 0.0
    _, clean = m.run_with_cache(CLEAN, names=["blocks.0.attn.z"])

    def patch(z, name):
        z = z.clone()
        z[:, 2] = clean[name][:, 2]
        return z

    with torch.no_grad(), m.hooks({"blocks.0.attn.z": patch}):
        patched = float(metric(m(CORRUPT)))
    with torch.no_grad():
        lo, hi = float(metric(m(CORRUPT))), float(metric(m(CLEAN)))
    assert table[0, 2].item() == pytest.approx((patched - lo) / (hi - lo), abs=1e-6)


def test_patching_checks_its_inputs():
    m = _lm()
    with pytest.raises(ValueError, match=r"corrupt: expected the clean input's shape \(1, 5\)"):
        patch_heads(m, CLEAN, CORRUPT[:, :4], logit_difference(3, 8))
    with pytest.raises(ValueError, match="metric: expected the clean and corrupted inputs to differ"):
        patch_heads(m, CLEAN, CLEAN, logit_difference(3, 8))
    with pytest.raises(ValueError, match="point: expected 'resid_pre'"):
        patch_positions(m, CLEAN, CORRUPT, logit_difference(3, 8), point="attn.z")


def test_logit_lens_ends_at_the_models_logits_and_starts_at_the_embeddings():
    m = _lm(3)
    lens = logit_lens(m, CLEAN)
    assert lens.shape == (4, 1, 5, 20)
    torch.testing.assert_close(lens[-1], m(CLEAN).logits)
    torch.testing.assert_close(lens[0], m.lm_head(m.norm(m.embed(CLEAN))))
    with pytest.raises(TypeError, match="expected a language model with lm_head"):
        logit_lens(TransformerEncoder(vocab_size=20, d_model=16, n_heads=4, n_layers=1, max_len=8), CLEAN)
