"""Attention variants as switches (window, sink, softcap, gate, rope/alibi/t5 positions): every path against
the materialised reference, gradients, the KV cache, generation, pruning, empty rows and bad input."""

from __future__ import annotations

import itertools

import pytest
import torch

from attnlab import MultiHeadAttention, attention
from attnlab.attention import ALiBi, KVCache, RelativePositionBias, make_score
from attnlab.attention.kernels import _band_layout, attend
from attnlab.attention.masks import build_mask_spec
from attnlab.models import EncoderDecoder, LMConfig, TransformerLM

C, H = 16, 4


@pytest.fixture(autouse=True, scope="module")
def _single_thread():
    """Tiny tensors: one intra-op thread beats two contending ones, and keeps a shared CPU steady."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _bias(kind, heads, causal):
    if kind == "alibi":
        return ALiBi(heads).double()
    if kind == "t5":
        return RelativePositionBias(heads, 8, 20, bidirectional=not causal, init_std=0.5).double()
    return None


def _kernel_case(tq, tk, causal, window, key_mask, sink_kind, seed=0, heads=4, kv_heads=2, d=8):
    g = _gen(seed)
    q = torch.randn(2, heads, tq, d, generator=g, dtype=torch.float64)
    k = torch.randn(2, kv_heads, tk, d, generator=g, dtype=torch.float64)
    v = torch.randn(2, kv_heads, tk, d, generator=g, dtype=torch.float64)
    km = None
    if key_mask:
        km = torch.ones(2, tk, dtype=torch.bool)
        km[0, : tk // 2 + 1] = False  # padding in front: some windows hold nothing but padding
    mask = build_mask_spec(attn_mask=None, key_mask=km, is_causal=causal, batch=2, heads=heads, tq=tq, tk=tk,
                           dtype=q.dtype, window=window)
    sink = None
    if sink_kind == "zero":
        sink = torch.zeros(heads, dtype=torch.float64)
    elif sink_kind == "learned":
        sink = torch.randn(heads, generator=g, dtype=torch.float64)
    return q, k, v, mask, sink


# ------------------------------------------------------------------------------- kernels: paths agree

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
        q, k, v, mask, sink = _kernel_case(tq, tk, causal, window, key_mask, sink_kind)
        score = make_score(score_name, 8, 4).double()
        bias = _bias(bias_kind, 4, causal)
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
    g = _gen(5)
    q, k, v, _, _ = _kernel_case(tq, tk, causal, None, False, None)
    shape = {"bool (B, H, Tq, Tk)": (2, 4, tq, tk), "bool (Tq, Tk)": (tq, tk), "float (B, Tq, Tk)": (2, tq, tk)}[kind]
    if kind.startswith("bool"):
        attn_mask = torch.rand(shape, generator=g) > 0.3
    else:
        attn_mask = torch.randn(shape, generator=g, dtype=torch.float64).masked_fill(
            torch.rand(shape, generator=g) > 0.7, float("-inf"))
    mask = build_mask_spec(attn_mask=attn_mask, key_mask=None, is_causal=causal, batch=2, heads=4, tq=tq, tk=tk,
                           dtype=q.dtype, window=5)
    assert _band_layout(mask) is not None
    for sink in (None, torch.linspace(-1, 1, 4, dtype=torch.float64)):
        kw = dict(score=make_score("dot", 8, 4), scale=0.3, mask=mask, bias=_bias("alibi", 4, causal), sink=sink)
        out, _ = attend(q, k, v, impl="sdpa", **kw)
        torch.testing.assert_close(out, attend(q, k, v, impl="reference", **kw)[0], rtol=0, atol=1e-10)


def test_the_long_shape_runs_the_banded_fused_path_and_skips_closed_blocks():
    causal = build_mask_spec(attn_mask=None, key_mask=None, is_causal=True, batch=1, heads=1, tq=150, tk=150,
                             dtype=torch.float32, window=4)
    assert _band_layout(causal) is not None
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
    q, k, v, mask, sink = _kernel_case(tq, tk, causal, window, True, "learned", heads=2, kv_heads=1, d=4)
    score = make_score("general", 4, 2).double()
    bias = _bias(bias_kind, 2, causal)
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
    q, k, v, _, sink = _kernel_case(6, 6, True, None, False, sink_kind)
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
    q, k, v, mask, _ = _kernel_case(5, 5, False, None, False, None)
    logits = torch.einsum("bhqd,bhkd->bhqk", q, k.repeat_interleave(2, 1)) / 8**0.5
    for sink in (torch.zeros(4, dtype=torch.float64), torch.tensor([-1.0, 0.0, 2.0, 5.0], dtype=torch.float64)):
        e = torch.exp(logits)
        expected_w = e / (torch.exp(sink)[None, :, None, None] + e.sum(-1, keepdim=True))
        out, w = attention(q, k, v, sink=sink, return_weights=True)
        torch.testing.assert_close(w, expected_w, rtol=0, atol=1e-12)
        torch.testing.assert_close(out, expected_w @ v.repeat_interleave(2, 1), rtol=0, atol=1e-12)
        assert (w.sum(-1) < 1).all()


def test_softcap_is_c_tanh_of_the_scaled_logits():
    q, k, v, mask, _ = _kernel_case(5, 5, False, None, False, None)
    q = q * 10  # large logits, so that the cap matters
    logits = torch.einsum("bhqd,bhkd->bhqk", q, k.repeat_interleave(2, 1)) / 8**0.5
    _, w = attention(q, k, v, softcap=3.0, return_weights=True)
    torch.testing.assert_close(w, torch.softmax(3.0 * torch.tanh(logits / 3.0), -1), rtol=0, atol=1e-12)
    _, w_plain = attention(q, k, v, return_weights=True)
    assert w.max() < w_plain.max()


def test_window_equals_an_explicit_band_mask():
    q, k, v, _, _ = _kernel_case(7, 10, True, None, False, None)
    rel = torch.arange(10)[None, :] - (torch.arange(7)[:, None] + 3)
    for causal, band in ((True, (rel > -3) & (rel <= 0)), (False, rel.abs() < 3)):
        expected = attention(q, k, v, attn_mask=band)
        torch.testing.assert_close(attention(q, k, v, is_causal=causal, window=3), expected, rtol=0, atol=1e-12)


# ------------------------------------------------------------------------------- MultiHeadAttention

VARIANTS = {
    "rope": dict(positions="rope"),
    "rope-partial": dict(positions="rope", rotary_fraction=0.5, rotary_base=500.0),
    "alibi": dict(positions="alibi"),
    "t5": dict(positions="t5", relative_buckets=8, relative_max_distance=16, relative_bidirectional=False),
    "window": dict(window=3),
    "sink-zero": dict(sink="zero"),
    "sink-learned": dict(sink="learned"),
    "softcap": dict(softcap=1.0),
    "gate": dict(gate="sigmoid"),
    "all": dict(positions="alibi", window=3, sink="learned", softcap=2.0, gate="sigmoid"),
}


def _mha(variant, *, score="scaled_dot", n_kv_heads=None, impl="auto", seed=0):
    torch.manual_seed(seed)
    m = MultiHeadAttention(C, H, score=score, n_kv_heads=n_kv_heads, impl=impl, **VARIANTS[variant])
    with torch.no_grad():
        if m.sink_logits is not None:
            m.sink_logits.normal_()
        if m.position_bias is not None and isinstance(m.position_bias, RelativePositionBias):
            m.position_bias.weight.normal_()
    return m


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_mha_paths_agree_with_reference_forward_and_gradients(variant):
    x = torch.randn(2, 7, C, generator=_gen(1))
    key_mask = torch.ones(2, 7, dtype=torch.bool)
    key_mask[1, :2] = False
    for score, n_kv_heads in (("scaled_dot", None), ("cosine", 2), ("additive", None)):
        ref = _mha(variant, score=score, n_kv_heads=n_kv_heads, impl="reference")
        expected = ref(x, key_mask=key_mask, is_causal=True)[0]
        expected.square().sum().backward()
        impls = ["chunked"] + (["sdpa"] if score != "additive" and "softcap" not in VARIANTS[variant] else [])
        for impl in impls + ["auto"]:
            fast = _mha(variant, score=score, n_kv_heads=n_kv_heads, impl=impl)
            fast.load_state_dict(ref.state_dict())
            out = fast(x, key_mask=key_mask, is_causal=True)[0]
            torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5, msg=f"{score} {impl}")
            out.square().sum().backward()
            for (name, p), p_ref in zip(fast.named_parameters(), ref.parameters(), strict=True):
                torch.testing.assert_close(p.grad, p_ref.grad, atol=1e-4, rtol=1e-4, msg=f"{score} {impl} {name}")


@pytest.mark.parametrize("impl", ["reference", "sdpa", "chunked"])
def test_mha_gradcheck_float64_rope_gate_sink(impl):
    """Finite differences through the module's own switches: rotary positions, the gate and a learned sink."""
    torch.manual_seed(0)
    m = MultiHeadAttention(8, 2, positions="rope", rotary_fraction=0.5, gate="sigmoid", sink="learned", window=3,
                           impl=impl).double()
    x = torch.randn(1, 5, 8, dtype=torch.float64, requires_grad=True)
    inputs = [x, m.sink_logits, m.gate_proj.weight, m.q_proj.weight]
    assert torch.autograd.gradcheck(lambda *_: m(x, is_causal=True)[0], inputs, eps=1e-6, atol=1e-6, fast_mode=True)


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_mha_kv_cache_equals_the_full_pass_and_weights_match(variant):
    m = _mha(variant, n_kv_heads=2).eval()
    x = torch.randn(2, 8, C, generator=_gen(2))
    with torch.no_grad():
        full, weights = m(x, is_causal=True, need_weights=True)
        assert torch.allclose(m(x, is_causal=True)[0], full, atol=1e-5)
        cache = KVCache(8)
        steps = [m(x[:, :3], is_causal=True, cache=cache)[0], m(x[:, 3:5], is_causal=True, cache=cache)[0]]
        steps += [m(x[:, t : t + 1], cache=cache)[0] for t in range(5, 8)]  # one query: no causal mask needed
    torch.testing.assert_close(torch.cat(steps, 1), full, atol=1e-5, rtol=1e-5)
    assert weights.shape == (2, H, 8, 8) and torch.isfinite(weights).all()


@pytest.mark.parametrize("variant", ["sink-learned", "gate", "alibi", "t5", "all"])
def test_prune_heads_equals_head_mask_and_slices_per_head_parameters(variant):
    m = _mha(variant).eval()
    x = torch.randn(2, 6, C, generator=_gen(3))
    with torch.no_grad():
        masked, _ = m(x, is_causal=True, head_mask=torch.tensor([1.0, 0.0, 1.0, 0.0]))
        m.prune_heads([1, 3])
        pruned, w = m(x, is_causal=True, need_weights=True)
    torch.testing.assert_close(pruned, masked, atol=1e-6, rtol=1e-5)
    assert w.shape == (2, 2, 6, 6)
    if m.sink_logits is not None:
        assert m.sink_logits.shape == (2,)
    if m.gate_proj is not None:
        assert m.gate_proj.weight.shape == (2, C)
    if isinstance(m.position_bias, ALiBi):
        assert m.position_bias.slopes.shape == (2,)
    if isinstance(m.position_bias, RelativePositionBias):
        assert m.position_bias.weight.shape == (8, 2)


def test_gate_is_a_headwise_sigmoid_of_the_query_input():
    m = _mha("gate")
    plain = MultiHeadAttention(C, H)
    plain.load_state_dict({k: v for k, v in m.state_dict().items() if not k.startswith("gate_proj")})
    x = torch.randn(2, 5, C, generator=_gen(4))
    gate = torch.sigmoid(m.gate_proj(x))  # (B, T, H)
    with torch.no_grad():
        out, _ = m(x)
        heads = []
        for h in range(H):
            head_mask = torch.zeros(H)
            head_mask[h] = 1.0
            head_out = plain(x, head_mask=head_mask)[0] - plain.out_proj.bias  # head h's share of out_proj
            heads.append(head_out * gate[..., h : h + 1])
    torch.testing.assert_close(out, sum(heads) + plain.out_proj.bias, atol=1e-6, rtol=1e-5)


def test_learned_sink_and_t5_table_get_gradients():
    m = MultiHeadAttention(C, H, sink="learned", positions="t5")
    m(torch.randn(2, 5, C), is_causal=True)[0].sum().backward()
    assert m.sink_logits.grad.abs().sum() > 0 and m.position_bias.weight.grad.abs().sum() > 0


# ------------------------------------------------------------------------------- models and generation

MODEL_VARIANTS = {
    "rope": dict(positions="rope"),
    "alibi": dict(positions="alibi"),
    "t5": dict(positions="t5", relative_buckets=8, relative_max_distance=16),
    "window+sink": dict(positions="rope", window=3, sink="learned"),
    "softcap+gate": dict(positions="alibi", softcap=2.0, gate="sigmoid", n_kv_heads=2),
}


def _perturb_sinks(model):
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, MultiHeadAttention) and module.sink_logits is not None:
                module.sink_logits.normal_()


@pytest.mark.parametrize("variant", list(MODEL_VARIANTS))
@pytest.mark.parametrize("num_beams", [1, 3])
def test_lm_and_seq2seq_generate_same_tokens_and_logits_with_and_without_cache(variant, num_beams):
    torch.manual_seed(0)
    lm = TransformerLM(vocab_size=29, d_model=C, n_heads=H, n_layers=2, max_len=24, **MODEL_VARIANTS[variant]).eval()
    _perturb_sinks(lm)
    assert lm.embed.pos is None  # these positions act inside attention
    prompt = torch.randint(0, 29, (2, 4))
    cached = lm.generate(prompt, 8, num_beams=num_beams, output_scores=True)
    plain = lm.generate(prompt, 8, num_beams=num_beams, use_cache=False, output_scores=True)
    assert torch.equal(cached.sequences, plain.sequences)
    assert (cached.scores - plain.scores).abs().max().item() <= 1e-5
    with torch.no_grad():
        assert (lm(cached.sequences).logits[:, 3:-1] - cached.scores).abs().max().item() <= 1e-4

    seq2seq = EncoderDecoder(src_vocab_size=19, tgt_vocab_size=23, d_model=C, n_heads=H, n_layers=1, max_len=24,
                             **MODEL_VARIANTS[variant]).eval()
    _perturb_sinks(seq2seq)
    src = torch.randint(0, 19, (2, 6))
    src_mask = torch.ones(2, 6, dtype=torch.bool)
    src_mask[1, 4:] = False
    kw = dict(bos_token_id=0, src_key_mask=src_mask, num_beams=num_beams, output_scores=True)
    cached, plain = seq2seq.generate(src, 6, **kw), seq2seq.generate(src, 6, use_cache=False, **kw)
    assert torch.equal(cached.sequences, plain.sequences)
    assert (cached.scores - plain.scores).abs().max().item() <= 1e-5


def test_models_route_positions_and_switches():
    lm = TransformerLM(vocab_size=11, d_model=C, n_heads=H, n_layers=1, positions="t5", window=4, sink="zero")
    attn = lm.layers[0].attn
    assert attn.positions == "t5" and not attn.position_bias.bidirectional and attn.window == 4
    seq2seq = EncoderDecoder(src_vocab_size=11, tgt_vocab_size=11, d_model=C, n_heads=H, n_layers=1,
                             positions="t5", window=4, sink="zero", gate="sigmoid")
    assert seq2seq.encoder.layers[0].attn.position_bias.bidirectional
    block = seq2seq.decoder.layers[0]
    assert not block.attn.position_bias.bidirectional and block.attn.window == 4
    cross = block.cross_attn  # positions and the window are self-attention switches; the rest apply here too
    assert cross.positions is None and cross.window is None and cross.sink == "zero" and cross.gate_proj is not None
    cfg = LMConfig(vocab_size=11, d_model=C, n_heads=H, n_layers=1, positions="rope", rotary_fraction=0.5,
                   softcap=30.0)
    assert LMConfig.from_dict(cfg.to_dict()) == cfg
    assert TransformerLM(cfg).layers[0].attn.rotary_dim == 2  # half of head_dim 4


# ------------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(softcap=30.0, impl="sdpa"), "softcap cannot run on the fused SDPA path.*impl='chunked'"),
        (dict(softcap=-1.0), "softcap: expected None or a positive float"),
        (dict(window=0), "window: expected None or a positive int"),
        (dict(sink="one"), r"sink: expected one of \[None, 'zero', 'learned'\], got 'one'"),
        (dict(gate="tanh"), r"gate: expected one of \[None, 'sigmoid'\], got 'tanh'"),
        (dict(positions="learned"), "positions: expected one of .*added to the embeddings"),
        (dict(positions="rope", kdim=12), "positions='rope' acts in self-attention.*set positions=None"),
        (dict(positions="rope", rotary_fraction=0.25), r"rotary_fraction: expected .* even number >= 2.*0.25 \* 4"),
        (dict(rotary_base=500.0), "rotary_base: applies to positions='rope' only"),
        (dict(positions="alibi", relative_buckets=8), "relative_buckets: applies to positions='t5' only"),
        (dict(positions="t5", relative_buckets=32, relative_max_distance=4), "max_distance: expected an int > 8"),
    ],
)
def test_bad_switches_fail_at_construction(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        MultiHeadAttention(C, H, **kwargs)


def test_bad_switches_in_model_configs_and_calls():
    with pytest.raises(ValueError, match="softcap cannot run on the fused SDPA path.*attn_impl"):
        LMConfig(vocab_size=5, d_model=C, n_heads=H, n_layers=1, softcap=5.0, attn_impl="sdpa")
    with pytest.raises(ValueError, match="positions: expected one of"):
        LMConfig(vocab_size=5, d_model=C, n_heads=H, n_layers=1, positions="relative")
    with pytest.raises(ValueError, match="key: positions='alibi' acts in self-attention, so expected key=None"):
        x = torch.randn(1, 3, C)
        MultiHeadAttention(C, H, positions="alibi")(x, x, x)
    q = torch.randn(1, 2, 3, 4)
    with pytest.raises(ValueError, match=r"sink: expected a float tensor of shape \(H,\) = \(2,\), got shape \(3,\)"):
        attention(q, q, q, sink=torch.zeros(3))
    with pytest.raises(ValueError, match="softcap cannot run on the fused SDPA path"):
        attention(q, q, q, softcap=2.0, impl="sdpa")
    with pytest.raises(ValueError, match="window: expected None or a positive int"):
        attention(q, q, q, window=-1)
