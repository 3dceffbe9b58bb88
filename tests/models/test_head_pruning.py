"""Pruning the heads of a model: every config it touches follows, and ``head_mask`` composes with it (prune
then mask equals the unpruned model masked with zeros on the removed heads), also after a rebuild."""

from __future__ import annotations

import pytest
import torch
from model_cases import one_thread  # noqa: F401 (autouse)

from attnlab.models import SequenceClassifier, TransformerDecoder, TransformerEncoder, TransformerLM
from attnlab.train import load_checkpoint, save_checkpoint

V, C, H, L = 11, 16, 4, 2
PLAN = {0: [1, 3], 1: [0, 1]}  # block -> current heads to remove: two left in each block (whole GQA groups)

BUILDS = {
    "encoder-general-t5": lambda: TransformerEncoder(vocab_size=V, d_model=C, n_heads=H, n_layers=L, n_outputs=3,
                                                     score="general", positions="t5"),
    "lm-alibi-gqa-sink-gate": lambda: TransformerLM(vocab_size=V, d_model=C, n_heads=H, n_layers=L, positions="alibi",
                                                    n_kv_heads=4, sink="learned", gate="sigmoid"),
    "lm-rope-additive": lambda: TransformerLM(vocab_size=V, d_model=C, n_heads=H, n_layers=L, positions="rope",
                                              score="additive"),
    "classifier": lambda: SequenceClassifier(vocab_size=V, n_classes=3, d_model=C, n_heads=H, n_layers=L),
}


def _out(model, x, head_mask=None):
    with torch.no_grad():
        return model(x, head_mask=head_mask).logits


def _full_mask(plan, kept_values):
    """The (L, [B,] H) mask of the unpruned model: 0 on the removed heads, ``kept_values`` on the others."""
    full = torch.zeros(*kept_values.shape[:-1], H).movedim(-1, 0).clone()  # (H, L, [B])
    for layer in range(L):
        kept = [h for h in range(H) if h not in plan.get(layer, [])]
        full[kept, layer] = kept_values[layer].movedim(-1, 0)
    return full.movedim(0, -1)


@pytest.mark.parametrize("build", list(BUILDS))
@pytest.mark.parametrize("per_example", [False, True])
def test_prune_then_mask_equals_mask_then_prune(build, per_example):
    torch.manual_seed(0)
    model = BUILDS[build]().eval()
    x = torch.randint(0, V, (3, 7), generator=torch.Generator().manual_seed(1))
    shape = (L, 3, 2) if per_example else (L, 2)
    mask = torch.rand(shape, generator=torch.Generator().manual_seed(2))  # over the heads that stay
    expected = _out(model, x, _full_mask(PLAN, mask))
    expected_unmasked = _out(model, x, _full_mask(PLAN, torch.ones(shape)))
    model.prune_heads(PLAN)
    torch.testing.assert_close(_out(model, x, mask), expected, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(_out(model, x), expected_unmasked, atol=1e-5, rtol=1e-5)
    assert model.config.pruned_heads == ((1, 3), (0, 1)) and model.config.heads_per_layer == (2, 2)
    with pytest.raises(ValueError, match=r"head_mask: expected shape \(2, 2\)"):
        _out(model, x, torch.ones(L, H))  # the old head count no longer fits


def test_every_config_it_touches_follows():
    torch.manual_seed(0)
    lm = TransformerLM(vocab_size=V, d_model=C, n_heads=H, n_layers=L, n_kv_heads=2)
    lm.prune_heads({1: [2, 3]})
    attn = lm.layers[1].attn
    assert (attn.config.n_heads, attn.config.n_kv_heads, attn.config.head_dim) == (2, 1, 4)
    assert lm.layers[0].attn.config.n_heads == H
    assert lm.config.pruned_heads == ((), (2, 3)) and lm.config.heads_per_layer == (4, 2)
    assert lm.config.n_heads == H and lm.config.attention.n_heads == H  # what each block was built with
    cls = SequenceClassifier(vocab_size=V, n_classes=3, d_model=C, n_heads=H, n_layers=L)
    cls.prune_heads({0: [0]})
    assert cls.config.pruned_heads == cls.encoder.config.pruned_heads == ((0,), ())


def test_uneven_blocks_take_a_list_of_masks_and_pruning_twice_keeps_original_indices():
    torch.manual_seed(0)
    lm = TransformerLM(vocab_size=V, d_model=C, n_heads=H, n_layers=L).eval()
    x = torch.randint(0, V, (2, 6), generator=torch.Generator().manual_seed(3))
    reference = torch.ones(L, H)
    reference[0, [1, 2]] = 0.0
    reference[0, 3] = 0.5
    expected = _out(lm, x, reference)
    lm.prune_heads({0: [1]})
    lm.prune_heads({0: [1]})  # current head 1 is original head 2 now
    assert lm.config.pruned_heads == ((1, 2), ()) and lm.config.heads_per_layer == (2, 4)
    assert lm.layers[0].attn.head_ids == [0, 3]
    torch.testing.assert_close(_out(lm, x, [torch.tensor([1.0, 0.5]), torch.ones(H)]), expected, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match=r"head_mask: the blocks have \[2, 4\] heads after prune_heads"):
        _out(lm, x, torch.ones(L, H))
    with pytest.raises(ValueError, match=r"head_mask\[0\]: expected shape \(2,\) or \(B, 2\), got \(4,\)"):
        _out(lm, x, [torch.ones(H), torch.ones(H)])


def test_a_bad_plan_changes_nothing():
    torch.manual_seed(0)
    lm = TransformerLM(vocab_size=V, d_model=C, n_heads=H, n_layers=L, n_kv_heads=2)
    state = {k: v.clone() for k, v in lm.state_dict().items()}
    for plan, match in (({0: [0, 1], 1: [0]}, "whole groups"), ({0: [0, 1], 5: [1]}, r"block indices in \[0, 2\)"),
                        ({1: [0, 1, 2, 3]}, "cannot remove all 4 heads")):
        with pytest.raises(ValueError, match=match):
            lm.prune_heads(plan)
    assert lm.config.pruned_heads == () and all(torch.equal(state[k], v) for k, v in lm.state_dict().items())
    with pytest.raises(TypeError, match="heads: expected a dict"):
        lm.prune_heads([0, 1])


@pytest.mark.parametrize("build", ["encoder-general-t5", "lm-alibi-gqa-sink-gate"])
def test_a_pruned_model_rebuilds_from_its_config_and_checkpoint(build, tmp_path):
    torch.manual_seed(0)
    model = BUILDS[build]().eval()
    model.prune_heads(PLAN)
    x = torch.randint(0, V, (2, 5), generator=torch.Generator().manual_seed(4))
    rebuilt = type(model).from_config(model.config.to_dict()).eval()
    rebuilt.load_state_dict(model.state_dict())
    assert rebuilt.config == model.config
    torch.testing.assert_close(_out(rebuilt, x), _out(model, x))  # ALiBi keeps the slopes of the kept heads
    save_checkpoint(model, tmp_path)
    loaded = load_checkpoint(tmp_path).eval()
    torch.testing.assert_close(_out(loaded, x), _out(model, x))


def test_the_decoder_prunes_its_self_attention():
    torch.manual_seed(0)
    dec = TransformerDecoder(vocab_size=V, d_model=C, n_heads=H, n_layers=L).eval()
    x, memory = torch.randint(0, V, (2, 5)), torch.randn(2, 3, C)
    with torch.no_grad():
        expected = dec(x, memory, head_mask=_full_mask(PLAN, torch.ones(L, 2))).logits
        dec.prune_heads(PLAN)
        out = dec(x, memory, head_mask=torch.ones(L, 2)).logits
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    assert dec.layers[0].cross_attn.n_heads == H  # the cross-attention keeps its heads
