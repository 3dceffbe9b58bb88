"""The decode fast path (:mod:`attnlab.models.decode_plan`): the plan is taken for every switch it covers, it
gives the general forward's logits token by token, it refuses what it does not cover, and its kept weight
copies follow the model's weights."""

from __future__ import annotations

import pytest
import torch
from model_cases import one_thread  # noqa: F401 (autouse)

from attnlab.models import TransformerLM
from attnlab.models.decode_plan import DecodePlan

COVERED = {
    "learned positions": dict(positions="learned"),
    "post-LN sinusoidal": dict(norm_first=False, positions="sinusoidal"),
    "rope": dict(positions="rope"),
    "partial rope, yarn": dict(positions="rope", rotary_fraction=0.5, rotary_scaling="yarn", rotary_factor=2.0,
                               rotary_original_len=16),
    "alibi": dict(positions="alibi"),
    "t5": dict(positions="t5", relative_buckets=8, relative_max_distance=16),
    "window+learned sink": dict(positions="rope", window=3, sink="learned"),
    "zero sink": dict(positions="rope", sink="zero"),
    "softcap+gate+gqa": dict(positions="alibi", softcap=2.0, gate="sigmoid", n_kv_heads=2),
    "mqa, rms, swiglu, no bias": dict(positions="rope", n_kv_heads=1, norm="rms", activation="swiglu", bias=False),
    "shared_qk": dict(shared_qk=True),
    "learned scale, dot": dict(score="dot", scale="learned"),
    "mla absorbed, rope": dict(positions="rope", mixer="mla", latent_absorb=True),
    "mla absorbed, no rope, t5": dict(positions="t5", relative_buckets=8, relative_max_distance=16, mixer="mla",
                                      latent_absorb=True),
    "mla absorbed, window+sink+softcap+gate": dict(positions="rope", mixer="mla", latent_absorb=True, window=3,
                                                   sink="learned", softcap=2.0, gate="sigmoid", kv_latent_dim=12,
                                                   rope_head_dim=4),
    "mla absorbed, alibi, zero sink, rms": dict(positions="alibi", mixer="mla", latent_absorb=True, sink="zero",
                                                norm="rms", bias=False),
}


def _lm(**switches) -> TransformerLM:
    torch.manual_seed(0)
    lm = TransformerLM(vocab_size=31, d_model=32, n_heads=4, n_layers=2, max_len=40, **switches).eval()
    with torch.no_grad():  # sinks and scales away from their initial values, so a wrong one shows
        for name, p in lm.named_parameters():
            if "sink" in name or "scale" in name:
                p.add_(torch.randn_like(p))
    return lm


@pytest.mark.parametrize("variant", list(COVERED))
def test_plan_gives_the_general_forwards_logits_step_by_step(variant):
    lm = _lm(**COVERED[variant])
    ids = torch.randint(0, 31, (3, 12), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        expected = lm(ids).logits  # (B, T, V), the whole sequence at once, no cache
        caches = lm.make_caches(3, 12)
        plan = DecodePlan.build(lm, caches, 12)
        assert plan is not None, DecodePlan.unsupported(lm, caches)
        lm.hidden_states(ids[:, :4], caches=caches)  # the prompt, on the general path
        for t in range(4, 12):
            got = plan.step(ids[:, t])
            assert (got - expected[:, t]).abs().max().item() <= 1e-5, (variant, t)
        assert caches[0].length == 12


def test_plan_is_what_generate_uses_and_it_matches_the_uncached_search():
    lm = _lm(positions="rope", window=4, sink="learned")
    prompt = torch.randint(0, 31, (2, 3))
    calls = []
    step = DecodePlan.step
    DecodePlan.step = lambda self, tokens: calls.append(tokens.shape) or step(self, tokens)
    try:
        for beams in (1, 3):
            cached = lm.generate(prompt, 10, num_beams=beams, output_scores=True)
            plain = lm.generate(prompt, 10, num_beams=beams, use_cache=False, output_scores=True)
            assert torch.equal(cached.sequences, plain.sequences)
            assert (cached.scores - plain.scores).abs().max().item() <= 1e-5
    finally:
        DecodePlan.step = step
    assert calls.count((2,)) == 9 and calls.count((6,)) == 9  # every token after the first, per search


@pytest.mark.parametrize("switches, reason", [
    (dict(score="additive"), "score"),
    (dict(mixer="mla"), "latent_absorb"),
    (dict(mixer="differential"), "mixer DifferentialAttention"),
    (dict(mixer="linear"), "RecurrentState"),
])
def test_plan_refuses_what_it_does_not_cover(switches, reason):
    lm = _lm(**switches)
    caches = lm.make_caches(1, 8)
    assert reason in DecodePlan.unsupported(lm, caches)
    assert DecodePlan.build(lm, caches, 8) is None


def test_plan_steps_aside_while_hooks_are_set_so_they_see_every_token():
    lm = _lm()
    seen = []
    with lm.hooks({"blocks.1.attn.pattern": lambda x, name: seen.append(x.shape[-1])}):
        assert "hooks" in DecodePlan.unsupported(lm, lm.make_caches(1, 8))
        lm.generate(torch.zeros(1, 2, dtype=torch.long), 4)
    assert seen == [2, 3, 4, 5]
    assert DecodePlan.unsupported(lm, lm.make_caches(1, 8)) is None


def test_kept_weight_copies_follow_in_place_updates():
    lm = _lm(positions="rope")
    prompt = torch.randint(0, 31, (1, 4))
    lm.generate(prompt, 6)  # builds and keeps the copies
    opt = torch.optim.SGD(lm.parameters(), lr=0.5)
    lm(prompt).logits.logsumexp(-1).mean().backward()
    opt.step()  # in place: the copies must not be reused
    with torch.no_grad():
        for block in lm.layers:
            block.ff.fc2.weight.mul_(3.0)
    cached = lm.generate(prompt, 8, output_scores=True)
    plain = lm.generate(prompt, 8, use_cache=False, output_scores=True)
    assert torch.equal(cached.sequences, plain.sequences)
    assert (cached.scores - plain.scores).abs().max().item() <= 1e-5


def test_large_models_read_their_own_weights_instead_of_a_transposed_copy(monkeypatch):
    lm = _lm()
    monkeypatch.setattr(DecodePlan, "TRANSPOSE_MAX_BYTES", 0)
    plan = DecodePlan.build(lm, lm.make_caches(1, 8), 8)
    fc1 = plan.layers[0].fc1
    assert not fc1.transposed
    assert fc1.weight.data_ptr() == lm.layers[0].ff.fc1.weight.data_ptr()
    prompt = torch.randint(0, 31, (2, 3))
    cached = lm.generate(prompt, 6, output_scores=True)
    plain = lm.generate(prompt, 6, use_cache=False, output_scores=True)
    assert (cached.scores - plain.scores).abs().max().item() <= 1e-5


@pytest.mark.parametrize("rotary_dim", [8, 4])
def test_rotation_matrices_turn_a_row_as_rotate_does(rotary_dim):
    from attnlab.attention.rotary import rotary_cos_sin, rotate
    from attnlab.models.decode_plan import rotation_matrices

    d, length = 8, 11
    cos, sin = rotary_cos_sin(torch.arange(length), rotary_dim, 10000.0)
    m = rotation_matrices(cos, sin, d)  # (L, D, D)
    x = torch.randn(1, 3, length, d, dtype=torch.float64)  # (B, H, T, D)
    expected = rotate(x, cos.double(), sin.double())
    got = torch.stack([x[:, :, p] @ m[p].double() for p in range(length)], dim=2)
    assert torch.allclose(got, expected, atol=1e-6)
    assert torch.allclose(m[0], torch.eye(d))  # position 0 turns nothing


def test_layers_with_the_same_rope_share_one_rotation_per_token():
    lm = _lm(positions="rope")
    plan = DecodePlan.build(lm, lm.make_caches(1, 8), 8)
    first, second = (layer.attend.rotary for layer in plan.layers)
    assert first is second  # one (D, D) matrix per token for the model, not one per layer and position
    assert first.matrix(3) is first.matrix(3) and first.matrix(3).shape == (8, 8)


def test_a_sink_without_the_fused_kernels_log_sum_exp_takes_the_plain_math(monkeypatch):
    """Where SDPA's kernel that returns the log-sum-exp is missing (or off the CPU), a sink falls back to the
    softmax over [sink, scores]: the same logits as the general forward."""
    from attnlab.models import decode_kernels

    monkeypatch.setattr(decode_kernels, "_FLASH_LSE", None)
    lm = _lm(positions="rope", window=3, sink="learned")
    ids = torch.randint(0, 31, (2, 10), generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        expected = lm(ids).logits
        caches = lm.make_caches(2, 10)
        plan = DecodePlan.build(lm, caches, 10)
        lm.hidden_states(ids[:, :3], caches=caches)
        for t in range(3, 10):
            assert (plan.step(ids[:, t]) - expected[:, t]).abs().max().item() <= 1e-5, t
