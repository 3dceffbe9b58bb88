"""Generation: the KV-cached path gives the same tokens and logits as re-running the prefix, greedy and
beam, for every attention switch."""

from __future__ import annotations

import pytest
import torch
from model_cases import one_thread  # noqa: F401 (autouse)

from attnlab import MultiHeadAttention
from attnlab.models import EncoderDecoder, GenerationOutput, RNNSeq2Seq, TransformerLM

C, H = 16, 4


def _same(a: GenerationOutput, b: GenerationOutput) -> None:
    assert torch.equal(a.sequences, b.sequences)
    assert a.scores.shape == b.scores.shape
    assert (a.scores - b.scores).abs().max().item() <= 1e-5
    if a.sequence_scores is not None:
        assert (a.sequence_scores - b.sequence_scores).abs().max().item() <= 1e-5


LM_VARIANTS = {
    "default": {},
    "post-ln-sinusoidal": dict(norm_first=False, positions="sinusoidal"),
    "gqa": dict(n_kv_heads=2),
    "additive": dict(score="additive"),
}


@pytest.mark.parametrize("variant", list(LM_VARIANTS))
@pytest.mark.parametrize("num_beams", [1, 3])
def test_lm_cache_matches_no_cache(variant, num_beams):
    torch.manual_seed(0)
    lm = TransformerLM(vocab_size=37, d_model=32, n_heads=4, n_layers=2, max_len=40, **LM_VARIANTS[variant]).eval()
    prompt = torch.randint(0, 37, (2, 5))
    cached = lm.generate(prompt, 12, num_beams=num_beams, output_scores=True)
    plain = lm.generate(prompt, 12, num_beams=num_beams, use_cache=False, output_scores=True)
    assert cached.sequences.shape == (2, 17)
    assert torch.equal(cached.sequences[:, :5], prompt)
    _same(cached, plain)
    # the returned logits are the model's logits for the returned sequence (teacher forcing)
    with torch.no_grad():
        full = lm(cached.sequences).logits[:, 4:-1]
    assert (full - cached.scores).abs().max().item() <= 1e-4
    if num_beams == 1:
        assert torch.equal(cached.scores.argmax(-1), cached.sequences[:, 5:])
    lm(cached.sequences).logits.logsumexp(-1).mean().backward()  # generated ids can feed a training step


def test_lm_beam_is_at_least_as_likely_as_greedy():
    torch.manual_seed(1)
    lm = TransformerLM(vocab_size=11, d_model=16, n_heads=2, n_layers=1, max_len=32).eval()
    prompt = torch.randint(0, 11, (4, 3))

    def logprob(seq):
        with torch.no_grad():
            lp = torch.log_softmax(lm(seq).logits[:, 2:-1], -1)
        return lp.gather(-1, seq[:, 3:, None]).sum((1, 2))

    greedy = lm.generate(prompt, 6)
    beam = lm.generate(prompt, 6, num_beams=4, length_penalty=0.0)
    assert (logprob(beam) >= logprob(greedy) - 1e-5).all()


def test_lm_eos_stops_and_pads():
    torch.manual_seed(2)
    lm = TransformerLM(vocab_size=7, d_model=16, n_heads=2, n_layers=1, max_len=32).eval()
    prompt = torch.randint(0, 7, (3, 4))
    free = lm.generate(prompt, 10)
    eos = int(free[0, 5])  # a token greedy decoding emits for row 0
    out = lm.generate(prompt, 10, eos_token_id=eos, pad_token_id=0)
    for row in out:
        hits = (row[4:] == eos).nonzero()
        if len(hits):
            first = 4 + int(hits[0])
            assert (row[first + 1 :] == 0).all()
    for num_beams in (1, 3):
        a = lm.generate(prompt, 10, eos_token_id=eos, num_beams=num_beams, output_scores=True)
        b = lm.generate(prompt, 10, eos_token_id=eos, num_beams=num_beams, use_cache=False, output_scores=True)
        _same(a, b)


def test_generate_rejects_bad_arguments():
    lm = TransformerLM(vocab_size=7, d_model=16, n_heads=2, n_layers=1, max_len=10)
    prompt = torch.zeros(1, 4, dtype=torch.long)
    with pytest.raises(ValueError, match="max_new_tokens"):
        lm.generate(prompt, 7)
    with pytest.raises(ValueError, match="num_beams"):
        lm.generate(prompt, 2, num_beams=0)
    with pytest.raises(TypeError, match="input_ids"):
        lm.generate(prompt.float(), 2)
    with pytest.raises(ValueError, match="input_ids"):
        lm.generate(torch.zeros(4, dtype=torch.long), 2)


@pytest.mark.parametrize("num_beams", [1, 3])
@pytest.mark.parametrize("norm_first", [True, False])
def test_encoder_decoder_cache_matches_no_cache(num_beams, norm_first):
    torch.manual_seed(3)
    model = EncoderDecoder(src_vocab_size=23, tgt_vocab_size=19, d_model=32, n_heads=4, n_layers=2,
                           n_decoder_layers=1, max_len=32, norm_first=norm_first).eval()
    src = torch.randint(0, 23, (3, 9))
    mask = torch.ones(3, 9, dtype=torch.bool)
    mask[1, 6:] = False
    cached = model.generate(src, 10, bos_token_id=0, src_key_mask=mask, num_beams=num_beams, output_scores=True)
    plain = model.generate(src, 10, bos_token_id=0, src_key_mask=mask, num_beams=num_beams, use_cache=False,
                           output_scores=True)
    assert cached.sequences.shape == (3, 11) and (cached.sequences[:, 0] == 0).all()
    _same(cached, plain)
    with torch.no_grad():
        full = model(src, cached.sequences[:, :-1], src_key_mask=mask).logits
    assert (full - cached.scores).abs().max().item() <= 1e-4


def test_encoder_decoder_needs_a_start():
    model = EncoderDecoder(src_vocab_size=5, tgt_vocab_size=5, d_model=16, n_heads=2, n_layers=1, max_len=8)
    with pytest.raises(ValueError, match="bos_token_id"):
        model.generate(torch.zeros(1, 3, dtype=torch.long), 2)
    out = model.generate(torch.zeros(1, 3, dtype=torch.long), 2, decoder_input_ids=torch.tensor([[1, 2]]))
    assert out.shape == (1, 4) and out[0, :2].tolist() == [1, 2]


@pytest.mark.parametrize("style", ["luong", "bahdanau"])
@pytest.mark.parametrize("num_beams", [1, 3])
def test_rnn_seq2seq_generation(style, num_beams):
    torch.manual_seed(4)
    model = RNNSeq2Seq(src_vocab_size=13, tgt_vocab_size=11, d_model=24, n_layers=2, cell="lstm",
                       bidirectional=True, score="scaled_dot", style=style).eval()
    src = torch.randint(0, 13, (2, 7))
    mask = torch.tensor([[True] * 7, [True] * 4 + [False] * 3])
    a = model.generate(src, 8, bos_token_id=0, src_key_mask=mask, num_beams=num_beams, output_scores=True)
    b = model.generate(src, 8, bos_token_id=0, src_key_mask=mask, num_beams=num_beams, use_cache=False,
                       output_scores=True)
    assert a.sequences.shape == (2, 9)
    _same(a, b)
    with torch.no_grad():
        full = model(src, a.sequences[:, :-1], src_key_mask=mask).logits
    assert (full - a.scores).abs().max().item() <= 1e-4


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
