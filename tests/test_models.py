"""Models: blocks against torch references, configs, shapes and masks, one tiny learning test per family."""

from __future__ import annotations

import dataclasses
import json

import pytest
import torch
from torch import nn

from attnlab.models import (
    CNNEncoder,
    DecoderBlock,
    EncoderBlock,
    EncoderDecoder,
    EncoderOutput,
    LMConfig,
    RNNClassifier,
    RNNEncoder,
    RNNSeq2Seq,
    SequenceClassifier,
    SinusoidalPositions,
    TransformerDecoder,
    TransformerEncoder,
    TransformerLM,
)


@pytest.fixture(autouse=True)
def _one_thread():
    """Tiny models run fastest single-threaded (and do not suffer from an oversubscribed CPU)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ------------------------------------------------------------------------------ blocks vs torch layers


def _copy_mha(ours, theirs: nn.MultiheadAttention) -> None:
    c = theirs.embed_dim
    w, b = theirs.in_proj_weight, theirs.in_proj_bias
    ours.q_proj.weight.copy_(w[:c])
    ours.k_proj.weight.copy_(w[c : 2 * c])
    ours.v_proj.weight.copy_(w[2 * c :])
    ours.q_proj.bias.copy_(b[:c])
    ours.k_proj.bias.copy_(b[c : 2 * c])
    ours.v_proj.bias.copy_(b[2 * c :])
    ours.out_proj.weight.copy_(theirs.out_proj.weight)
    ours.out_proj.bias.copy_(theirs.out_proj.bias)


@pytest.mark.parametrize("norm_first", [True, False])
@pytest.mark.parametrize("activation", ["gelu", "relu"])
def test_encoder_block_matches_torch_encoder_layer(norm_first, activation):
    torch.manual_seed(0)
    c, h, f = 32, 4, 64
    ref = nn.TransformerEncoderLayer(c, h, f, dropout=0.0, activation=activation, batch_first=True,
                                     norm_first=norm_first, layer_norm_eps=1e-5).eval()
    ours = EncoderBlock(c, h, f, activation=activation, norm_first=norm_first, norm_eps=1e-5).eval()
    with torch.no_grad():
        _copy_mha(ours.attn, ref.self_attn)
        ours.ff.fc1.load_state_dict(ref.linear1.state_dict())
        ours.ff.fc2.load_state_dict(ref.linear2.state_dict())
        ours.norm1.load_state_dict(ref.norm1.state_dict())
        ours.norm2.load_state_dict(ref.norm2.state_dict())
    x = torch.randn(3, 7, c)
    padding = torch.zeros(3, 7, dtype=torch.bool)  # torch polarity: True = padding
    padding[1, 5:] = True
    padding[2, 3:] = True
    with torch.no_grad():
        expected = ref(x, src_key_padding_mask=padding)
        got, _ = ours(x, key_mask=~padding)  # ours: True = real token
        real = ~padding
        assert (got[real] - expected[real]).abs().max().item() <= 1e-5
        expected_nomask = ref(x)
        got_nomask, _ = ours(x)
        assert (got_nomask - expected_nomask).abs().max().item() <= 1e-5


@pytest.mark.parametrize("norm_first", [True, False])
def test_decoder_block_matches_torch_decoder_layer(norm_first):
    torch.manual_seed(1)
    c, h, f = 32, 4, 64
    ref = nn.TransformerDecoderLayer(c, h, f, dropout=0.0, activation="gelu", batch_first=True,
                                     norm_first=norm_first).eval()
    ours = DecoderBlock(c, h, f, activation="gelu", norm_first=norm_first).eval()
    with torch.no_grad():
        _copy_mha(ours.attn, ref.self_attn)
        _copy_mha(ours.cross_attn, ref.multihead_attn)
        ours.ff.fc1.load_state_dict(ref.linear1.state_dict())
        ours.ff.fc2.load_state_dict(ref.linear2.state_dict())
        for i in (1, 2, 3):
            getattr(ours, f"norm{i}").load_state_dict(getattr(ref, f"norm{i}").state_dict())
    x, mem = torch.randn(2, 6, c), torch.randn(2, 5, c)
    mem_pad = torch.tensor([[False] * 5, [False] * 3 + [True] * 2])
    causal = nn.Transformer.generate_square_subsequent_mask(6)
    with torch.no_grad():
        expected = ref(x, mem, tgt_mask=causal, tgt_is_causal=True, memory_key_padding_mask=mem_pad)
        got, _, _ = ours(x, mem, memory_key_mask=~mem_pad, is_causal=True)
    assert (got - expected).abs().max().item() <= 1e-5


def test_block_attribute_names_and_weights():
    blk = EncoderBlock(16, 2, 32)
    assert isinstance(blk.ff.fc1, nn.Linear) and isinstance(blk.ff.fc2, nn.Linear)
    assert isinstance(blk.norm1, nn.LayerNorm) and isinstance(blk.norm2, nn.LayerNorm)
    x = torch.randn(2, 5, 16)
    out, w = blk(x, need_weights=True)
    assert out.shape == x.shape and w.shape == (2, 2, 5, 5)
    torch.testing.assert_close(w.sum(-1), torch.ones(2, 2, 5))


def test_sinusoidal_table_values():
    pe = SinusoidalPositions(10, 6)
    t = pe(3, offset=2)
    assert t.shape == (3, 6)
    assert abs(t[0, 0].item() - torch.sin(torch.tensor(2.0)).item()) < 1e-6
    assert abs(t[0, 1].item() - torch.cos(torch.tensor(2.0)).item()) < 1e-6
    with pytest.raises(ValueError, match="max_len"):
        pe(5, offset=6)


# ----------------------------------------------------------------------------------------------- configs


@pytest.mark.parametrize(
    ("cls", "kwargs", "field"),
    [
        (TransformerLM, dict(vocab_size=10, d_model=30, n_heads=4, n_layers=1), "d_model"),
        (TransformerLM, dict(vocab_size=10, d_model=32, n_heads=4, n_layers=1, positions="rotary"), "positions"),
        (TransformerLM, dict(vocab_size=10, d_model=32, n_heads=4, n_layers=1, score="nope"), "score"),
        (TransformerLM, dict(vocab_size=10, d_model=32, n_heads=4, n_layers=1, n_kv_heads=3), "n_kv_heads"),
        (TransformerLM, dict(vocab_size=10, d_model=32, n_heads=4, n_layers=1, activation="tanh"), "activation"),
        (TransformerLM, dict(vocab_size=10, d_model=32, n_heads=4, n_layers=0), "n_layers"),
        (TransformerLM, dict(vocab_size=10, d_model=32, n_heads=4, n_layers=1, dropout=1.5), "dropout"),
        (TransformerEncoder, dict(d_model=32, n_heads=4, n_layers=1, attn_impl="fast"), "attn_impl"),
        (SequenceClassifier, dict(vocab_size=10, n_classes=2, d_model=32, n_heads=4, n_layers=1,
                                  pooling="median"), "pooling"),
        (RNNClassifier, dict(vocab_size=10, n_classes=2, pooling="first"), "pooling"),
        (RNNClassifier, dict(vocab_size=10, n_classes=2, cell="rnn"), "cell"),
        (RNNEncoder, dict(vocab_size=10, d_model=15, bidirectional=True), "d_model"),
        (CNNEncoder, dict(vocab_size=10, d_model=16, kernel_size=4), "kernel_size"),
        (RNNSeq2Seq, dict(src_vocab_size=5, tgt_vocab_size=5, style="transformer"), "style"),
        (RNNSeq2Seq, dict(src_vocab_size=5, tgt_vocab_size=5, score="nope"), "score"),
    ],
)
def test_bad_config_names_the_field(cls, kwargs, field):
    with pytest.raises(ValueError, match=field) as err:
        cls(**kwargs)
    assert "expected" in str(err.value) and "got" in str(err.value)


def test_bad_config_type():
    with pytest.raises(TypeError, match="n_heads"):
        TransformerLM(vocab_size=10, d_model=32, n_heads=4.0, n_layers=1)


def test_config_roundtrip_and_defaults():
    lm = TransformerLM(vocab_size=11, d_model=16, n_heads=2, n_layers=1, max_len=20)
    cfg = lm.config
    assert dataclasses.is_dataclass(cfg) and cfg.d_ff == 64 and cfg.final_norm is True
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.d_model = 8
    data = json.loads(json.dumps(dataclasses.asdict(cfg)))
    again = TransformerLM.from_config(data)
    assert again.config == cfg
    assert TransformerLM.from_config(LMConfig(**data)).config == cfg
    with pytest.raises(ValueError, match="unknown field"):
        TransformerLM.from_config({**data, "n_expert": 3})
    with pytest.raises(ValueError, match="both"):
        TransformerLM(cfg, d_model=8)
    assert lm.lm_head.weight is lm.embed.tok.weight  # tied by default


def test_attention_switches_pass_through():
    lm = TransformerLM(vocab_size=11, d_model=16, n_heads=4, n_layers=1, n_kv_heads=2, score="dot", scale=False)
    assert lm.layers[0].attn.n_kv_heads == 2 and lm.layers[0].attn.fixed_scale == 1.0
    lm = TransformerLM(vocab_size=11, d_model=16, n_heads=4, n_layers=1, shared_qk=True)
    assert lm.layers[0].attn.k_proj is None
    with pytest.raises(ValueError, match="n_kv_heads"):
        TransformerLM(vocab_size=11, d_model=16, n_heads=4, n_layers=1, n_kv_heads=2, shared_qk=True)
    enc = TransformerEncoder(vocab_size=11, d_model=16, n_heads=4, n_layers=1, score="additive")
    x = torch.randint(0, 11, (2, 5))
    assert enc(x).hidden.shape == (2, 5, 16)


# ---------------------------------------------------------------------------------- shapes and masking


def test_encoder_outputs_masks_and_head_mask():
    torch.manual_seed(0)
    enc = TransformerEncoder(vocab_size=12, d_model=16, n_heads=2, n_layers=2, max_len=16, n_outputs=5).eval()
    x = torch.randint(0, 12, (2, 6))
    mask = torch.tensor([[True] * 6, [True] * 4 + [False] * 2])
    out = enc(x, key_mask=mask, need_weights=True)
    assert isinstance(out, EncoderOutput)
    assert out.hidden.shape == (2, 6, 16) and out.logits.shape == (2, 6, 5) and len(out.attentions) == 2
    assert out.attentions[0][1, :, :, 4:].abs().max().item() == 0.0  # padding gets no weight
    # changing padded tokens does not change real positions
    x2 = x.clone()
    x2[1, 4:] = (x2[1, 4:] + 1) % 12
    out2 = enc(x2, key_mask=mask)
    torch.testing.assert_close(out2.hidden[1, :4], out.hidden[1, :4])
    # a (n_layers, H) head mask reaches the layers; a wrong shape is rejected
    hm = torch.ones(2, 2)
    hm[0] = 0.0
    masked = enc(x, head_mask=hm).hidden
    assert not torch.allclose(masked, enc(x).hidden)
    with pytest.raises(ValueError, match="head_mask"):
        enc(x, head_mask=torch.ones(3, 2))
    with pytest.raises(ValueError, match="key_mask"):
        enc(x, key_mask=mask[:, :5])
    with pytest.raises(TypeError, match="key_mask"):
        enc(x, key_mask=mask.float())
    emb = torch.randn(2, 6, 16)
    assert enc(inputs_embeds=emb).hidden.shape == (2, 6, 16)
    with pytest.raises(ValueError, match="input_ids"):
        enc(x, inputs_embeds=emb)


def test_lm_is_causal_and_cache_positions():
    torch.manual_seed(0)
    lm = TransformerLM(vocab_size=13, d_model=16, n_heads=2, n_layers=2, max_len=32).eval()
    x = torch.randint(0, 13, (2, 10))
    full = lm(x).logits
    y = x.clone()
    y[:, 6:] = (y[:, 6:] + 3) % 13
    torch.testing.assert_close(lm(y).logits[:, :6], full[:, :6])  # future tokens do not leak
    caches = lm.make_caches(2)
    parts = [lm(x[:, :4], caches=caches).logits, lm(x[:, 4:5], caches=caches).logits,
             lm(x[:, 5:], caches=caches).logits]
    torch.testing.assert_close(torch.cat(parts, 1), full, atol=1e-5, rtol=0)
    out = lm(x, need_weights=True)
    assert out.logits.shape == (2, 10, 13) and out.attentions[1].shape == (2, 2, 10, 10)


def test_post_ln_and_sinusoidal_lm_run():
    lm = TransformerLM(vocab_size=13, d_model=16, n_heads=2, n_layers=2, max_len=32, norm_first=False,
                       positions="sinusoidal", tie_embeddings=False)
    assert lm.norm is None and lm.lm_head.weight is not lm.embed.tok.weight
    assert lm(torch.randint(0, 13, (1, 5))).logits.shape == (1, 5, 13)


def test_classifier_poolings():
    torch.manual_seed(0)
    x = torch.randint(0, 9, (3, 7))
    mask = torch.ones(3, 7, dtype=torch.bool)
    mask[2, 3:] = False
    for pooling in ("first", "mean", "max", "attention"):
        m = SequenceClassifier(vocab_size=9, n_classes=4, d_model=16, n_heads=2, n_layers=1, pooling=pooling)
        out = m(x, key_mask=mask)
        assert out.logits.shape == (3, 4)
        if pooling == "attention":
            assert out.pool_weights.shape == (3, 7)
            assert out.pool_weights[2, 3:].abs().max().item() == 0.0
            torch.testing.assert_close(out.pool_weights.sum(-1), torch.ones(3))
    for pooling in ("last", "mean", "max", "attention"):
        for cell in ("lstm", "gru"):
            m = RNNClassifier(vocab_size=9, n_classes=4, d_model=16, cell=cell, bidirectional=True,
                              pooling=pooling, score="scaled_dot" if cell == "gru" else "additive")
            assert m(x, key_mask=mask).logits.shape == (3, 4)
    with pytest.raises(ValueError, match="right padding"):
        RNNClassifier(vocab_size=9, n_classes=4, d_model=16)(x, key_mask=~mask)


def test_rnn_padding_is_skipped():
    torch.manual_seed(0)
    enc = RNNEncoder(vocab_size=9, d_model=16, bidirectional=True, n_layers=2).eval()
    x = torch.randint(0, 9, (2, 6))
    mask = torch.tensor([[True] * 6, [True] * 3 + [False] * 3])
    out = enc(x, key_mask=mask).hidden
    alone = enc(x[1:, :3]).hidden
    torch.testing.assert_close(out[1, :3], alone[0])
    assert out[1, 3:].abs().max().item() == 0.0
    with pytest.raises(ValueError, match="head_mask"):
        enc(x, head_mask=torch.ones(1, 1))


def test_cnn_padding_does_not_leak():
    torch.manual_seed(0)
    enc = CNNEncoder(vocab_size=9, d_model=16, n_layers=3, kernel_size=3, dilation_base=2).eval()
    x = torch.randint(0, 9, (1, 8))
    mask = torch.tensor([[True] * 5 + [False] * 3])
    a = enc(x, key_mask=mask).hidden
    x2 = x.clone()
    x2[0, 5:] = (x2[0, 5:] + 1) % 9
    torch.testing.assert_close(enc(x2, key_mask=mask).hidden, a)


def test_decoder_standalone_and_cross_weights():
    dec = TransformerDecoder(vocab_size=10, d_model=16, n_heads=2, n_layers=2, max_len=16)
    mem = torch.randn(2, 5, 16)
    out = dec(torch.randint(0, 10, (2, 4)), mem, need_weights=True)
    assert out.logits.shape == (2, 4, 10) and out.cross_attentions[0].shape == (2, 2, 4, 5)
    with pytest.raises(ValueError, match="memory"):
        dec(torch.randint(0, 10, (2, 4)), torch.randn(2, 5, 8))


# ------------------------------------------------------------------------------- tiny learning tests


def _train(model, batch_fn, loss_fn, steps, lr=3e-3):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(steps):
        loss = loss_fn(model, *batch_fn())
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()


def _ce(logits, targets):
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                       ignore_index=-100)


def _tag_batch(gen, vocab, length, kind, n=64):
    x = torch.randint(0, vocab, (n, length), generator=gen)
    if kind == "reverse":
        return x, x.flip(1)
    y = torch.roll(x, 1, dims=1)  # shift: y_t = x_{t-1}
    y[:, 0] = -100
    return x, y


def _tag_accuracy(model, gen, vocab, length, kind):
    x, y = _tag_batch(gen, vocab, length, kind, n=256)
    with torch.no_grad():
        pred = model(x).logits.argmax(-1)
    keep = y != -100
    return (pred[keep] == y[keep]).float().mean().item()


def test_learns_encoder_tagger_reverse():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    model = TransformerEncoder(vocab_size=8, d_model=32, n_heads=4, n_layers=2, max_len=8, n_outputs=8,
                               positions="learned")
    _train(model, lambda: _tag_batch(gen, 8, 8, "reverse"), lambda m, x, y: _ce(m(x).logits, y), 250)
    assert _tag_accuracy(model, gen, 8, 8, "reverse") > 0.95


@pytest.mark.parametrize(
    "build",
    [
        lambda: RNNEncoder(vocab_size=8, d_model=32, cell="lstm", n_outputs=8),
        lambda: RNNEncoder(vocab_size=8, d_model=32, cell="gru", bidirectional=True, n_outputs=8),
        lambda: CNNEncoder(vocab_size=8, d_model=32, n_layers=2, n_outputs=8),
    ],
    ids=["lstm", "bigru", "cnn"],
)
def test_learns_rnn_cnn_encoders_shift(build):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    model = build()
    _train(model, lambda: _tag_batch(gen, 8, 10, "shift"), lambda m, x, y: _ce(m(x).logits, y), 150)
    assert _tag_accuracy(model, gen, 8, 10, "shift") > 0.95


def _copy_lm_batch(gen, n=64, vocab=8, half=5):
    """[x, SEP, x]: the second copy is predictable from the first (SEP = vocab)."""
    x = torch.randint(0, vocab, (n, half), generator=gen)
    seq = torch.cat([x, torch.full((n, 1), vocab), x], 1)  # (n, 2*half+1)
    inp, tgt = seq[:, :-1], seq[:, 1:].clone()
    tgt[:, :half] = -100  # only the copy is scored
    return inp, tgt


def test_learns_lm_copy_and_generates_it():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(2)
    model = TransformerLM(vocab_size=9, d_model=32, n_heads=4, n_layers=2, max_len=16)
    _train(model, lambda: _copy_lm_batch(gen), lambda m, x, y: _ce(m(x).logits, y), 300)
    x = torch.randint(0, 8, (32, 5), generator=gen)
    prompt = torch.cat([x, torch.full((32, 1), 8)], 1)
    out = model.generate(prompt, 5)
    assert (out[:, 6:] == x).float().mean().item() > 0.95


def _reverse_pair(gen, n=64, vocab=8, length=6):
    """Source tokens 2..vocab-1, target = reversed source; BOS = 0, EOS = 1."""
    src = torch.randint(2, vocab, (n, length), generator=gen)
    tgt = torch.cat([torch.zeros(n, 1, dtype=torch.long), src.flip(1), torch.ones(n, 1, dtype=torch.long)], 1)
    return src, tgt[:, :-1], tgt[:, 1:]


def test_learns_encoder_decoder_reverse():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(3)
    model = EncoderDecoder(src_vocab_size=8, tgt_vocab_size=8, d_model=32, n_heads=4, n_layers=2, max_len=16)
    _train(model, lambda: _reverse_pair(gen), lambda m, s, ti, to: _ce(m(s, ti).logits, to), 250)
    src, _, out = _reverse_pair(gen, n=64)
    pred = model.generate(src, 7, bos_token_id=0, eos_token_id=1)
    assert (pred[:, 1:] == out).float().mean().item() > 0.95


@pytest.mark.parametrize(("style", "score"), [("luong", "general"), ("bahdanau", "additive")])
def test_learns_rnn_seq2seq_reverse(style, score):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(4)
    model = RNNSeq2Seq(src_vocab_size=8, tgt_vocab_size=8, d_model=48, cell="gru", bidirectional=True,
                       score=score, style=style)
    _train(model, lambda: _reverse_pair(gen, length=5), lambda m, s, ti, to: _ce(m(s, ti).logits, to), 200, lr=1e-2)
    src, _, out = _reverse_pair(gen, n=64, length=5)
    pred = model.generate(src, 6, bos_token_id=0, eos_token_id=1)
    assert (pred[:, 1:] == out).float().mean().item() > 0.9


def _contains_batch(gen, n=64, vocab=8, length=10):
    """Label 1 iff token 1 occurs; half the rows get one planted; rows are right-padded (pad = 0)."""
    x = torch.randint(2, vocab, (n, length), generator=gen)
    y = torch.randint(0, 2, (n,), generator=gen)
    lengths = torch.randint(4, length + 1, (n,), generator=gen)
    pos = (torch.rand(n, generator=gen) * lengths).long()
    x[y == 1, pos[y == 1]] = 1
    mask = torch.arange(length)[None] < lengths[:, None]
    return x.masked_fill(~mask, 0), mask, y


@pytest.mark.parametrize(
    "build",
    [
        lambda: SequenceClassifier(vocab_size=8, n_classes=2, d_model=32, n_heads=4, n_layers=1, max_len=10,
                                   pooling="attention"),
        lambda: SequenceClassifier(vocab_size=8, n_classes=2, d_model=32, n_heads=4, n_layers=1, max_len=10,
                                   pooling="max"),
        lambda: RNNClassifier(vocab_size=8, n_classes=2, d_model=32, pooling="attention"),
        lambda: RNNClassifier(vocab_size=8, n_classes=2, d_model=32, pooling="last", cell="gru"),
    ],
    ids=["transformer-attention", "transformer-max", "rnn-attention", "rnn-last"],
)
def test_learns_classifiers_contains_token(build):
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(5)
    model = build()
    _train(model, lambda: _contains_batch(gen), lambda m, x, k, y: _ce(m(x, key_mask=k).logits, y), 150)
    x, k, y = _contains_batch(gen, n=256)
    with torch.no_grad():
        acc = (model(x, key_mask=k).logits.argmax(-1) == y).float().mean().item()
    assert acc > 0.95
