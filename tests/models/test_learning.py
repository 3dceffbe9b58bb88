"""One tiny learning test per model family: each learns a task it can solve to > 0.9."""

from __future__ import annotations

import pytest
import torch
from model_cases import one_thread  # noqa: F401 (autouse)
from torch import nn

from attnlab.models import (
    CNNEncoder,
    EncoderDecoder,
    RNNClassifier,
    RNNEncoder,
    RNNSeq2Seq,
    SequenceClassifier,
    TransformerEncoder,
    TransformerLM,
)


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
