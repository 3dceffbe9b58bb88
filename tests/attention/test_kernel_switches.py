"""The kernels' switches (window, sink, soft-cap, position bias) on every path against the materialised
reference: forward, gradients, the banded fused window, empty rows."""

from __future__ import annotations

import itertools

import pytest
import torch
from attention_cases import gen, kernel_case, one_thread, position_bias  # noqa: F401 (one_thread: autouse)

from attnlab import attention
from attnlab.attention import make_score
from attnlab.attention.kernels import attend
from attnlab.attention.kernels.banded import band_layout
from attnlab.attention.masks import build_mask_spec

# (Tq, Tk): self-attention, a cache step of several queries, one decoding step, and a length at which the
# fused path runs the window as a batch of 64-query blocks
SHAPES = [(9, 9), (3, 11), (1, 11), (150, 150)]


@pytest.mark.parametrize(("tq", "tk"), SHAPES)
@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("window", [None, 4])
def test_every_path_agrees_with_reference_forward(tq, tk, causal, window):
    """All combinations of sink, soft-cap, position bias, key padding and score at each shape."""
    for sink_kind, softcap, bias_kind, key_mask, score_name in itertools.product(
        [None, "zero", "learned"], [None, 2.0], [None, "alibi", "t5"], [False, True], ["scaled_dot", "additive"]
    ):
        if tq == 150 and (score_name == "additive" or softcap is not None):
            continue  # the long shape is there for the fused path
        q, k, v, mask, sink = kernel_case(tq, tk, causal, window, key_mask, sink_kind)
        score = make_score(score_name, 8, 4).double()
        bias = position_bias(bias_kind, 4, causal)
        kw = dict(score=score, scale=8**-0.5, mask=mask, bias=bias, softcap=softcap, sink=sink)
        ref, weights = attend(q, k, v, impl="reference", need_weights=True, **kw)
        assert not torch.isnan(ref).any()
        impls = ["chunked"] + (["sdpa"] if score.bilinear and softcap is None else [])
        for impl in impls:
            out, _ = attend(q, k, v, impl=impl, **kw)
            case = (impl, sink_kind, softcap, bias_kind, key_mask, score_name)
            torch.testing.assert_close(out, ref, rtol=0, atol=1e-10, msg=str(case))
        if window is not None:  # nothing outside the window is attended
            rel = torch.arange(tk)[None, :] - (torch.arange(tq)[:, None] + tk - tq)
            outside = (rel <= -window) | ((rel > 0) if causal else (rel >= window))
            assert weights[..., outside].abs().max().item() == 0 if outside.any() else True


@pytest.mark.parametrize(("tq", "tk"), [(150, 150), (100, 170)])
@pytest.mark.parametrize("causal", [True, False])
@pytest.mark.parametrize("kind", ["bool (B, H, Tq, Tk)", "bool (Tq, Tk)", "float (B, Tq, Tk)"])
def test_banded_fused_window_with_explicit_masks(tq, tk, causal, kind):
    g = gen(5)
    q, k, v, _, _ = kernel_case(tq, tk, causal, None, False, None)
    shape = {"bool (B, H, Tq, Tk)": (2, 4, tq, tk), "bool (Tq, Tk)": (tq, tk), "float (B, Tq, Tk)": (2, tq, tk)}[kind]
    if kind.startswith("bool"):
        attn_mask = torch.rand(shape, generator=g) > 0.3
    else:
        attn_mask = torch.randn(shape, generator=g, dtype=torch.float64).masked_fill(
            torch.rand(shape, generator=g) > 0.7, float("-inf"))
    mask = build_mask_spec(attn_mask=attn_mask, key_mask=None, is_causal=causal, batch=2, heads=4, tq=tq, tk=tk,
                           dtype=q.dtype, window=5)
    assert band_layout(mask) is not None
    for sink in (None, torch.linspace(-1, 1, 4, dtype=torch.float64)):
        bias = position_bias("alibi", 4, causal)
        kw = dict(score=make_score("dot", 8, 4), scale=0.3, mask=mask, bias=bias, sink=sink)
        out, _ = attend(q, k, v, impl="sdpa", **kw)
        torch.testing.assert_close(out, attend(q, k, v, impl="reference", **kw)[0], rtol=0, atol=1e-10)


def test_the_long_shape_runs_the_banded_fused_path_and_skips_closed_blocks():
    causal = build_mask_spec(attn_mask=None, key_mask=None, is_causal=True, batch=1, heads=1, tq=150, tk=150,
                             dtype=torch.float32, window=4)
    assert band_layout(causal) is not None
    # the chunked kernel evaluates only the key blocks the window leaves open: O(T·W) pairs, not O(T²)
    score = make_score("additive", 8, 2)
    pairs = []
    original = score.pairwise

    def counting(qp, kp):
        pairs.append(qp.shape[2] * kp.shape[2])
        return original(qp, kp)

    score.pairwise = counting
    q, k, v = (torch.randn(1, 2, 2048, 8) for _ in range(3))
    attention(q, k, v, score=score, is_causal=True, window=16, impl="chunked")
    assert sum(pairs) < 0.1 * 2048 * 2048


@pytest.mark.parametrize("impl", ["sdpa", "chunked"])
@pytest.mark.parametrize(("tq", "tk"), [(6, 6), (2, 7)])
@pytest.mark.parametrize(("causal", "window", "bias_kind", "softcap"),
                         [(True, 3, "t5", None), (False, 2, "alibi", None), (True, None, "t5", 1.5),
                          (False, None, None, 1.5)])
def test_gradcheck_float64(impl, tq, tk, causal, window, bias_kind, softcap):
    """Gradients of q, k, v, the learned scale, the sink and the T5 table by finite differences."""
    if impl == "sdpa" and softcap is not None:
        pytest.skip("softcap runs on the reference and chunked paths")
    q, k, v, mask, sink = kernel_case(tq, tk, causal, window, True, "learned", heads=2, kv_heads=1, d=4)
    score = make_score("general", 4, 2).double()
    bias = position_bias(bias_kind, 2, causal)
    scale = torch.tensor(0.7, dtype=torch.float64)
    bias_params = list(bias.parameters()) if bias is not None else []
    inputs = [x.requires_grad_() for x in (q, k, v, scale, sink)] + list(score.parameters()) + bias_params

    def fn(*_):  # gradcheck perturbs the inputs in place, parameters included
        return attend(q, k, v, score=score, scale=scale, mask=mask, impl=impl, bias=bias, softcap=softcap,
                      sink=sink)[0]

    assert torch.autograd.gradcheck(fn, inputs, eps=1e-6, atol=1e-6, fast_mode=True)


@pytest.mark.parametrize("impl", ["reference", "sdpa", "chunked"])
@pytest.mark.parametrize("sink_kind", [None, "learned"])
def test_windowed_out_and_fully_masked_rows_give_zeros_never_nan(impl, sink_kind):
    q, k, v, _, sink = kernel_case(6, 6, True, None, False, sink_kind)
    q, k, v = (x.requires_grad_() for x in (q, k, v))
    attn_mask = torch.ones(6, 6, dtype=torch.bool)
    attn_mask[:, 1:4] = False  # keys 1..3 closed: with a window of 2, queries 2 and 3 have nothing left
    attn_mask[5] = False  # query 5: fully masked
    out = attention(q, k, v, attn_mask=attn_mask, is_causal=True, window=2, sink=sink, impl=impl,
                    score="scaled_dot")
    out.sum().backward()
    for x in (out, q.grad, k.grad, v.grad):
        assert torch.isfinite(x).all()
    assert out[:, :, [2, 3, 5]].abs().max().item() == 0  # nothing to attend to (or only the sink, value 0)
    assert out[:, :, 0].abs().max().item() > 0


def test_sink_is_softmax_off_by_one_and_a_learned_logit_per_head():
    q, k, v, mask, _ = kernel_case(5, 5, False, None, False, None)
    logits = torch.einsum("bhqd,bhkd->bhqk", q, k.repeat_interleave(2, 1)) / 8**0.5
    for sink in (torch.zeros(4, dtype=torch.float64), torch.tensor([-1.0, 0.0, 2.0, 5.0], dtype=torch.float64)):
        e = torch.exp(logits)
        expected_w = e / (torch.exp(sink)[None, :, None, None] + e.sum(-1, keepdim=True))
        out, w = attention(q, k, v, sink=sink, return_weights=True)
        torch.testing.assert_close(w, expected_w, rtol=0, atol=1e-12)
        torch.testing.assert_close(out, expected_w @ v.repeat_interleave(2, 1), rtol=0, atol=1e-12)
        assert (w.sum(-1) < 1).all()


def test_softcap_is_c_tanh_of_the_scaled_logits():
    q, k, v, mask, _ = kernel_case(5, 5, False, None, False, None)
    q = q * 10  # large logits, so that the cap matters
    logits = torch.einsum("bhqd,bhkd->bhqk", q, k.repeat_interleave(2, 1)) / 8**0.5
    _, w = attention(q, k, v, softcap=3.0, return_weights=True)
    torch.testing.assert_close(w, torch.softmax(3.0 * torch.tanh(logits / 3.0), -1), rtol=0, atol=1e-12)
    _, w_plain = attention(q, k, v, return_weights=True)
    assert w.max() < w_plain.max()


def test_window_equals_an_explicit_band_mask():
    q, k, v, _, _ = kernel_case(7, 10, True, None, False, None)
    rel = torch.arange(10)[None, :] - (torch.arange(7)[:, None] + 3)
    for causal, band in ((True, (rel > -3) & (rel <= 0)), (False, rel.abs() < 3)):
        expected = attention(q, k, v, attn_mask=band)
        torch.testing.assert_close(attention(q, k, v, is_causal=causal, window=3), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("dv", [5, 12])
@pytest.mark.parametrize(("tq", "tk", "causal", "window"), [(9, 9, True, None), (3, 11, True, None),
                                                           (1, 11, True, 4), (150, 150, True, 4), (6, 6, False, None)])
def test_values_narrower_or_wider_than_the_keys_on_the_fused_path(dv, tq, tk, causal, window):
    """MLA's heads read q and k of D + d_R features and v of D: the fused path pads the narrower side with
    zero features (no score and no output changes) so SDPA keeps its fused kernels."""
    for sink_kind, bias_kind in itertools.product([None, "learned"], [None, "alibi"]):
        q, k, _, mask, sink = kernel_case(tq, tk, causal, window, False, sink_kind)
        v = torch.randn(*k.shape[:3], dv, generator=gen(7), dtype=torch.float64)
        kw = dict(score=make_score("scaled_dot", 8, 4).double(), scale=8**-0.5, mask=mask,
                  bias=position_bias(bias_kind, 4, causal), sink=sink)
        ref, _ = attend(q, k, v, impl="reference", **kw)
        out, _ = attend(q, k, v, impl="sdpa", **kw)
        assert out.shape == ref.shape == (2, 4, tq, dv)
        torch.testing.assert_close(out, ref, rtol=0, atol=1e-10, msg=str((sink_kind, bias_kind)))


def test_gradcheck_float64_with_values_of_another_width():
    q, k, _, mask, _ = kernel_case(5, 7, True, None, False, None)
    v = torch.randn(2, 2, 7, 3, generator=gen(3), dtype=torch.float64)
    score = make_score("scaled_dot", 8, 4).double()
    for t in (q, k, v):
        t.requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda q, k, v: attend(q, k, v, impl="sdpa", score=score, scale=8**-0.5, mask=mask)[0], (q, k, v))


@pytest.mark.parametrize(("tq", "tk", "causal"), [(150, 150, True), (130, 300, True), (150, 150, False)])
def test_learned_bias_blocks_give_the_reference_gradients(tq, tk, causal):
    """A T5 bias that needs its gradient runs the fused path's blocked plain math (causal: each block of
    queries against the keys it can see): outputs and the gradients of q, k, v and the table as the reference."""
    from attnlab.attention.kernels import sdpa

    q, k, v, mask, _ = kernel_case(tq, tk, causal, None, False, None)
    assert tq > sdpa.BIAS_BLOCK_ROWS  # more than one block
    bias = position_bias("t5", 4, causal)
    score = make_score("scaled_dot", 8, 4).double()
    grads = {}
    for impl in ("reference", "sdpa"):
        inputs = [t.detach().clone().requires_grad_() for t in (q, k, v)]
        bias.zero_grad()
        out, _ = attend(*inputs, impl=impl, score=score, scale=8**-0.5, mask=mask, bias=bias)
        out.pow(2).sum().backward()
        grads[impl] = [out.detach(), *(t.grad for t in inputs), bias.weight.grad.clone()]
    for name, got, ref in zip(("out", "q", "k", "v", "table"), grads["sdpa"], grads["reference"], strict=True):
        torch.testing.assert_close(got, ref, rtol=0, atol=1e-9, msg=name)
