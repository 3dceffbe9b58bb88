"""Hook points on the mixers: the names a model lists, reading them, and replacing them."""

from __future__ import annotations

import pytest
import torch
from mixer_cases import small_lm

MIXERS = ["mla", "differential", "linear", "delta", "gated_delta"]


@pytest.mark.parametrize("mixer", MIXERS)
def test_mixer_points_can_be_read_and_replaced(mixer):
    model = small_lm(mixer=mixer, n_layers=1)
    names = model.hook_names()
    points = [n.removeprefix("blocks.0.attn.") for n in names if n.startswith("blocks.0.attn.")]
    assert points == ["q", "k", "v", "z", "out"]
    ids = torch.randint(0, 40, (2, 6))
    out, cache = model.run_with_cache(ids, names=["blocks.0.attn.z", "blocks.0.attn.out"])
    assert cache["blocks.0.attn.z"].shape[:3] == (2, 4, 6) and cache["blocks.0.attn.out"].shape == (2, 6, 32)
    torch.testing.assert_close(out.logits, model(ids).logits)
    with model.hooks({"blocks.0.attn.z": lambda z, name: torch.zeros_like(z)}):
        zeroed = model(ids).logits
    assert not torch.allclose(zeroed, out.logits)  # the replacement reached the output


def test_a_hook_on_mla_runs_the_naive_path_with_the_same_result():
    model = small_lm(mixer="mla", positions="rope", latent_absorb=True, n_layers=1)
    ids = torch.randint(0, 40, (1, 5))
    plain = model(ids, caches=model.make_caches(1)).logits  # absorbed (a cache is given)
    hooked, cache = model.run_with_cache(ids, names=["blocks.0.attn.k"], caches=model.make_caches(1))
    torch.testing.assert_close(hooked.logits, plain, atol=1e-5, rtol=1e-5)
    assert cache["blocks.0.attn.k"].shape == (1, 4, 5, 8 + 4)  # up-projected keys with their rotary part


@pytest.mark.parametrize("mixer", MIXERS)
def test_head_mask_equals_zeroing_the_heads_output(mixer):
    model = small_lm(mixer=mixer, n_layers=1)
    ids = torch.randint(0, 40, (2, 6))
    head_mask = torch.tensor([[0.0, 1.0, 1.0, 1.0]])

    def zero_head_0(z, name):
        z = z.clone()
        z[:, 0] = 0
        return z

    with model.hooks({"blocks.0.attn.z": zero_head_0}):
        expected = model(ids).logits
    torch.testing.assert_close(model(ids, head_mask=head_mask).logits, expected)


def test_head_mask_on_the_absorbed_mla_path_equals_the_naive_path():
    model = small_lm(mixer="mla", positions="rope", latent_absorb=True, n_layers=1, gate="sigmoid")
    ids = torch.randint(0, 40, (2, 6))
    head_mask = torch.tensor([[1.0, 0.0, 0.5, 1.0]])
    absorbed = model(ids, caches=model.make_caches(2), head_mask=head_mask).logits
    torch.testing.assert_close(absorbed, model(ids, head_mask=head_mask).logits, atol=1e-5, rtol=1e-5)
