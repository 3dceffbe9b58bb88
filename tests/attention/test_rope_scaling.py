"""RoPE scalings against their published formulas: position interpolation (Chen et al. 2023), NTK-aware
scaling and YaRN (Peng et al. 2023): the frequencies, YaRN's temperature, and the logits of attention."""

from __future__ import annotations

import math

import pytest
import torch

from attnlab.attention import AttentionConfig, MultiHeadAttention, RopeScaling
from attnlab.attention.rotary import rotary_cos_sin

D, BASE = 16, 10000.0


def _theta(i: int, base: float = BASE, d: int = D) -> float:
    return base ** (-2 * i / d)


def test_position_interpolation_divides_every_frequency():
    got = RopeScaling("linear", 4.0).inv_freq(D, BASE)
    assert got.tolist() == pytest.approx([_theta(i) / 4 for i in range(D // 2)], rel=1e-6)
    # the angle at position m is the unscaled angle at m / s
    cos, _ = rotary_cos_sin(torch.arange(12), D, BASE, RopeScaling("linear", 4.0))
    assert cos[8, 1].item() == pytest.approx(math.cos(2 * _theta(1)), rel=1e-6)


def test_ntk_aware_scaling_grows_the_base():
    s = 8.0
    got = RopeScaling("ntk", s).inv_freq(D, BASE)
    base = BASE * s ** (D / (D - 2))
    assert got.tolist() == pytest.approx([_theta(i, base) for i in range(D // 2)], rel=1e-6)
    assert got[0].item() == pytest.approx(1.0)  # the highest frequency is kept
    assert got[-1].item() == pytest.approx(_theta(D // 2 - 1) / s, rel=1e-6)  # the lowest is interpolated by s


def test_yarn_frequencies_follow_the_ramp_of_the_paper():
    s, length = 4.0, 2048
    got = RopeScaling("yarn", s, length).inv_freq(D, BASE).tolist()
    expected = []
    for i in range(D // 2):
        theta = _theta(i)
        r = length / (2 * math.pi / theta)  # turns in the trained context
        gamma = 0.0 if r < 1 else 1.0 if r > 32 else (r - 1) / (32 - 1)
        expected.append((1 - gamma) * theta / s + gamma * theta)
    assert got == pytest.approx(expected, rel=1e-6)
    assert got[0] == pytest.approx(_theta(0)) and got[-1] == pytest.approx(_theta(D // 2 - 1) / s, rel=1e-6)
    assert any(t / s < g < t for g, t in zip(got, (_theta(i) for i in range(D // 2)), strict=True))  # the ramp


@pytest.mark.parametrize("s", [1.0, 2.0, 16.0])
def test_yarn_temperature_is_point_one_log_s_plus_one(s):
    scaling = RopeScaling("yarn", s, 512)
    assert scaling.attention_factor == pytest.approx(0.1 * math.log(s) + 1)
    cos, sin = rotary_cos_sin(torch.arange(5), D, BASE, scaling)
    torch.testing.assert_close(cos ** 2 + sin ** 2, torch.full((5, D), scaling.attention_factor ** 2))
    assert RopeScaling("ntk", s).attention_factor == RopeScaling("linear", s).attention_factor == 1.0


@pytest.mark.parametrize("kind", ["linear", "ntk", "yarn"])
def test_attention_logits_use_the_scaled_rotation(kind):
    torch.manual_seed(0)
    extra = {"rotary_original_len": 64} if kind == "yarn" else {}
    m = MultiHeadAttention(32, 2, positions="rope", rotary_scaling=kind, rotary_factor=4.0, **extra)
    x = torch.randn(1, 6, 32)
    _, cache = m.run_with_cache(x, names=["scores"], is_causal=False)
    scaling = RopeScaling(kind, 4.0, extra.get("rotary_original_len"))
    theta = scaling.inv_freq(D, BASE).double()
    angles = torch.arange(6, dtype=torch.float64)[:, None] * theta
    cos, sin = torch.cat((angles, angles), -1).cos(), torch.cat((angles, angles), -1).sin()

    def turn(y):  # rotate-half, from the formula, times YaRN's factor
        y = y.double().view(1, 6, 2, D).transpose(1, 2)
        y1, y2 = y[..., : D // 2], y[..., D // 2:]
        return (y * cos + torch.cat((-y2, y1), -1) * sin) * scaling.attention_factor

    q, k = turn(m.q_proj(x)), turn(m.k_proj(x))
    torch.testing.assert_close(cache["scores"].double(), q @ k.transpose(-2, -1) / math.sqrt(D), atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("kw, field", [
    (dict(rotary_scaling="linear", rotary_factor=2.0), "rotary_scaling"),  # no RoPE
    (dict(positions="rope", rotary_scaling="yarn", rotary_factor=2.0), "rotary_original_len"),
    (dict(positions="rope", rotary_scaling="ntk", rotary_factor=0.5), "rotary_factor"),
    (dict(positions="rope", rotary_scaling="ntk", rotary_original_len=64), "rotary_original_len"),
    (dict(positions="rope", rotary_factor=2.0), "rotary_factor"),
    (dict(positions="rope", rotary_scaling="dynamic"), "rotary_scaling"),
])
def test_bad_rope_scalings_are_refused(kw, field):
    with pytest.raises(ValueError, match=f"^{field}"):
        AttentionConfig(32, 2, **kw)
