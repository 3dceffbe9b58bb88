"""with_rope_scaling: the same trained weights under another RoPE scaling, checked against models built directly."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from attnlab.models import TransformerLM, with_rope_scaling


def _lm(**kw) -> TransformerLM:
    torch.manual_seed(0)
    return TransformerLM(vocab_size=11, d_model=16, n_heads=2, n_layers=2, max_len=64, positions="rope", **kw).eval()


def _ids(t: int = 40) -> torch.Tensor:
    return torch.randint(0, 11, (3, t), generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize(("kind", "extra"), [("linear", {}), ("ntk", {}), ("yarn", {"original_len": 16})])
def test_same_weights_only_the_scaling_changes(kind, extra):
    model = _lm()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    scaled = with_rope_scaling(model, kind, 2.0, **extra)
    assert type(scaled) is TransformerLM and not scaled.training
    weights, original = scaled.state_dict(), model.state_dict()
    assert weights.keys() == original.keys()
    assert all(torch.equal(weights[k], original[k]) and weights[k].data_ptr() != original[k].data_ptr()
               for k in weights)
    assert all(torch.equal(v, before[k]) for k, v in original.items())  # the original is untouched
    assert model.config.attention.rotary_scaling is None
    changed = {f.name for f in dataclasses.fields(model.config.attention)
               if getattr(model.config.attention, f.name) != getattr(scaled.config.attention, f.name)}
    assert changed <= {"rotary_scaling", "rotary_factor", "rotary_original_len"} and "rotary_scaling" in changed
    assert not torch.allclose(scaled(_ids()).logits, model(_ids()).logits)


def test_ntk_copy_equals_the_model_built_with_the_grown_base():
    # NTK-aware scaling is plain RoPE with base b * s^(D / (D - 2)): an independent model with that base and the
    # same weights gives the same logits, so the scaling reaches the forward pass
    model, s, d = _lm(), 4.0, 8
    direct = _lm(rotary_base=10000.0 * s ** (d / (d - 2)))
    direct.load_state_dict(model.state_dict())
    torch.testing.assert_close(with_rope_scaling(model, "ntk", s)(_ids()).logits, direct(_ids()).logits)


@pytest.mark.parametrize("kind", ["linear", "ntk"])
def test_factor_one_and_back_to_plain_give_the_original_logits(kind):
    model = _lm()
    torch.testing.assert_close(with_rope_scaling(model, kind, 1.0)(_ids()).logits, model(_ids()).logits)
    round_trip = with_rope_scaling(with_rope_scaling(model, kind, 3.0), None)
    torch.testing.assert_close(round_trip(_ids()).logits, model(_ids()).logits)


def test_train_mode_and_dtype_are_kept():
    model = _lm().train().double()
    scaled = with_rope_scaling(model, "linear", 2.0)
    assert scaled.training and next(scaled.parameters()).dtype == torch.float64


def test_bad_models_and_scalings_are_refused():
    with pytest.raises(ValueError, match="positions='rope'.*got positions='alibi'"):
        with_rope_scaling(TransformerLM(vocab_size=5, d_model=8, n_heads=2, n_layers=1, positions="alibi"), "ntk", 2)
    with pytest.raises(ValueError, match="got a Linear without"):
        with_rope_scaling(torch.nn.Linear(2, 2), "ntk", 2)
    with pytest.raises(ValueError, match="rotary_factor"):
        with_rope_scaling(_lm(), "linear", 0.5)
    with pytest.raises(ValueError, match="rotary_original_len"):
        with_rope_scaling(_lm(), "yarn", 2.0)
