"""Attributions: rollout and flow against the papers' formulas, norm-based against the head math done by
hand, gradients against finite differences in float64, erasure on a model whose answer is known, and the
agreement probe."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from attnlab.analysis.attribution import (
    FLOW_MAX_TOKENS,
    attention_grad,
    attribution_agreement,
    bootstrap_mean,
    erasure,
    flow,
    grad_input,
    norm_based,
    raw_attention,
    rollout,
)
from attnlab.models import TransformerEncoder, TransformerLM


def _random_patterns(layers=3, batch=2, heads=2, t=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randn(batch, heads, t, t, generator=g, dtype=torch.float64).softmax(-1) for _ in range(layers)]


def _encoder(dtype=torch.float32) -> TransformerEncoder:
    torch.manual_seed(0)
    return TransformerEncoder(vocab_size=20, d_model=16, n_heads=4, n_layers=2, max_len=16).to(dtype).eval()


IDS = torch.tensor([[3, 7, 1, 9, 4, 2]])


def test_rollout_of_identity_patterns_is_the_identity():
    eye = torch.eye(4).expand(1, 2, 4, 4)
    for residual in (True, False):
        torch.testing.assert_close(rollout([eye, eye, eye], residual=residual), torch.eye(4)[None])


def test_rollout_equals_the_papers_product_on_random_patterns():
    patterns = _random_patterns()
    want = []
    for b in range(2):
        joint = None
        for p in patterns:  # compute_joint_attention of Abnar & Zuidema's code, in numpy
            a = p[b].numpy().mean(0) + np.eye(5)
            a = a / a.sum(-1, keepdims=True)
            joint = a if joint is None else a @ joint
        want.append(joint)
    torch.testing.assert_close(rollout(patterns), torch.from_numpy(np.stack(want)))
    torch.testing.assert_close(rollout(patterns).sum(-1), torch.ones(2, 5, dtype=torch.float64))
    torch.testing.assert_close(raw_attention(patterns, layer=1), patterns[1].mean(1))


def test_flow_on_a_hand_computed_two_layer_graph():
    a1 = torch.tensor([[0.5, 0.5], [1.0, 0.0]])  # layer 1 -> inputs
    a2 = torch.tensor([[0.2, 0.8], [0.6, 0.4]])  # layer 2 -> layer 1
    patterns = [a1[None, None], a2[None, None]]
    # top 0 -> in 0: min(0.2, 0.5) + min(0.8, 1.0); top 0 -> in 1: min(0.2, 0.5) + min(0.8, 0)
    # top 1 -> in 0: min(0.6, 0.5) + min(0.4, 1.0); top 1 -> in 1: min(0.6, 0.5) + 0
    want = torch.tensor([[[1.0, 0.2], [0.9, 0.5]]], dtype=torch.float64)
    torch.testing.assert_close(flow(patterns, residual=False, normalize=False), want, atol=1e-7, rtol=0)
    torch.testing.assert_close(flow(patterns, residual=False), want / want.sum(-1, keepdim=True), atol=1e-7, rtol=0)
    # rollout multiplies paths instead: [[0.9, 0.1], [0.7, 0.3]]
    torch.testing.assert_close(rollout(patterns, residual=False), torch.tensor([[[0.9, 0.1], [0.7, 0.3]]]))


def test_flow_equals_networkx_max_flow_as_in_the_papers_code():
    nx = pytest.importorskip("networkx")
    patterns = _random_patterns(layers=2, batch=1, t=4, seed=3)
    got = flow(patterns, normalize=False)
    g = nx.DiGraph()
    for l, p in enumerate(patterns, start=1):
        a = p[0].mean(0) + torch.eye(4, dtype=torch.float64)
        a = a / a.sum(-1, keepdim=True)
        for i in range(4):
            for j in range(4):
                g.add_edge((l, i), (l - 1, j), capacity=float(a[i, j]))
    want = [[nx.maximum_flow_value(g, (2, i), (0, j)) for j in range(4)] for i in range(4)]
    torch.testing.assert_close(got[0], torch.tensor(want, dtype=torch.float64), atol=1e-7, rtol=0)


def test_flow_bounds_the_input_length_and_patterns_are_checked():
    t = FLOW_MAX_TOKENS + 1
    with pytest.raises(ValueError, match=f"at most {FLOW_MAX_TOKENS} tokens"):
        flow([torch.full((1, 1, t, t), 1.0 / t)])
    with pytest.raises(ValueError, match=r"patterns\[1\]: expected shape"):
        rollout([torch.ones(1, 2, 3, 3), torch.ones(1, 2, 4, 4)])
    with pytest.raises(ValueError, match="patterns: expected a non-empty list"):
        rollout([])
    with pytest.raises(ValueError, match="layer: expected an index into 1 layers"):
        raw_attention([torch.ones(1, 1, 2, 2)], layer=3)


def test_norm_based_equals_alpha_times_the_value_vector_norm_by_hand():
    m = _encoder()
    maps = norm_based(m, IDS)
    heads = norm_based(m, IDS, per_head=True)
    _, cache = m.run_with_cache(IDS, names=["blocks.1.resid_mid", "blocks.1.resid_pre", "blocks.1.attn.pattern"])
    block = m.layers[1]
    x = block.norm1(cache["blocks.1.resid_pre"])[0]  # what attention reads (pre-LN)
    alpha = cache["blocks.1.attn.pattern"][0]  # (H, T, T)
    total = torch.zeros(6, 6, 16)
    for h in range(4):
        w = block.attn.head_weights(h)
        f = (x @ w["W_V"] + w["b_V"]) @ w["W_O"]  # (T, C): f(x_j) for head h
        for i in range(6):
            for j in range(6):
                vec = alpha[h, i, j] * f[j]
                total[i, j] += vec
                torch.testing.assert_close(heads[1][0, h, i, j], vec.norm())
    torch.testing.assert_close(maps[1][0], total.norm(dim=-1))
    assert len(maps) == 2 and maps[0].shape == (1, 6, 6)


def test_grad_input_is_the_directional_derivative_along_each_token_float64():
    m = _encoder(torch.float64)

    def target(out):
        return out.hidden[:, 0].sum(-1)

    got = grad_input(m, IDS, target=target)
    eps = 1e-6
    for t in range(IDS.shape[1]):
        ys = []
        for sign in (1, -1):
            def nudge(x, name, sign=sign, t=t):
                x = x.clone()
                x[:, t] *= 1 + sign * eps  # along x_t itself: d/dε y = x_t · ∂y/∂x_t
                return x
            with m.hooks({"blocks.0.resid_pre": nudge}):
                ys.append(target(m(IDS)))
        fd = (ys[0] - ys[1]) / (2 * eps)
        torch.testing.assert_close(got[:, t], fd, rtol=1e-6, atol=1e-8)


def test_attention_grad_is_the_directional_derivative_along_each_layers_pattern_float64():
    m = _encoder(torch.float64)

    def target(out):
        return out.hidden[:, -1, :3].sum(-1)

    maps = attention_grad(m, IDS, target=target)
    eps = 1e-6
    for layer in range(2):
        ys = [0, 0]
        for k, sign in enumerate((1, -1)):
            with m.hooks({f"blocks.{layer}.attn.pattern": lambda p, n, s=sign: p * (1 + s * eps)}):
                ys[k] = target(m(IDS))
        fd = (ys[0] - ys[1]) / (2 * eps)  # = Σ_h,i,j α ∂y/∂α = H · Σ map
        torch.testing.assert_close(maps[layer].sum((1, 2)) * 4, fd, rtol=1e-6, atol=1e-8)


class _Bag(nn.Module):
    """y = Σ_t w[x_t]: erasing token t removes exactly w[x_t]."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Embedding(10, 1)

    def forward(self, ids, key_mask=None):
        s = self.w(ids)[..., 0]
        return s if key_mask is None else s * key_mask


def test_erasure_on_a_model_whose_answer_is_known():
    torch.manual_seed(0)
    bag = _Bag()
    ids = torch.tensor([[1, 4, 4, 7], [2, 0, 9, 3]])
    w = bag.w.weight[:, 0].detach()
    torch.testing.assert_close(erasure(bag, ids, target=lambda s: s.sum(-1)), w[ids])
    torch.testing.assert_close(erasure(bag, ids, target=lambda s: s.sum(-1), replace=0), w[ids] - w[0])
    mask = torch.tensor([[True, True, False, True], [True] * 4])
    got = erasure(bag, ids, target=lambda s: s.sum(-1), key_mask=mask)  # the mask column goes with the token
    torch.testing.assert_close(got, w[ids] * mask)
    with pytest.raises(ValueError, match="input_ids: expected a \\(B, T\\) long tensor"):
        erasure(bag, ids.float(), target=lambda s: s.sum(-1))


def test_erasure_on_an_attnlab_lm_equals_rerunning_without_the_token():
    torch.manual_seed(0)
    lm = TransformerLM(vocab_size=20, d_model=16, n_heads=4, n_layers=1, max_len=16).eval()

    def target(out):
        return out.logits[:, -1, 5]

    got = erasure(lm, IDS, target=target)
    without = torch.cat([IDS[:, :2], IDS[:, 3:]], dim=1)
    torch.testing.assert_close(got[:, 2], target(lm(IDS)) - target(lm(without)))


def test_bootstrap_interval_is_seeded_bounded_and_skips_nan():
    vals = [0.1, 0.5, 0.9, float("nan"), 0.3]
    mean, (lo, hi) = bootstrap_mean(vals, seed=1)
    assert mean == pytest.approx(0.45) and 0.1 <= lo <= mean <= hi <= 0.9
    assert bootstrap_mean(vals, seed=1) == (mean, (lo, hi))
    assert math.isnan(bootstrap_mean([float("nan")])[0])


def test_agreement_probe_reports_every_method_over_sentences():
    torch.manual_seed(0)
    lm = TransformerLM(vocab_size=20, d_model=16, n_heads=2, n_layers=2, max_len=16).eval()
    g = torch.Generator().manual_seed(1)
    sentences = [torch.randint(0, 20, (7,), generator=g) for _ in range(4)]
    out = attribution_agreement(lm, sentences, target=lambda o: o.logits[:, -1, 3], row=-1, n_boot=200)
    assert set(out) == {"raw", "rollout", "flow", "norm", "attention_grad", "grad_input"}
    for a in out.values():
        assert a.n == 4 and len(a.per_sentence) == 4
        assert -1 <= a.ci[0] <= a.rho <= a.ci[1] <= 1
        assert a.ci_method == "percentile bootstrap over sentences"
    with pytest.raises(ValueError, match="methods: expected one of"):
        attribution_agreement(lm, sentences, target=lambda o: o.logits[:, -1, 3], methods=["attention"])
    with pytest.raises(TypeError, match="model: expected an attnlab model with hook points"):
        attribution_agreement(_Bag(), sentences, target=lambda o: o.sum(-1))


@pytest.mark.slow
@pytest.mark.real_model
def test_agreement_runs_on_minilm_sentences_given_as_text():
    from attnlab.pretrained import load

    model = load("all-MiniLM-L6-v2")
    sentences = ["I hate this movie.", "The cat sat quietly on the warm mat."]
    out = attribution_agreement(model, sentences, target=lambda o: o.hidden.mean(1)[:, 0], skip=(0, -1),
                                methods=["raw", "rollout", "flow", "norm", "grad_input"], n_boot=200)
    assert {a.n for a in out.values()} == {2}
    assert all(-1 <= a.rho <= 1 for a in out.values())
