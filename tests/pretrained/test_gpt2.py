"""from_hf_gpt2: attnlab's TransformerLM reproduces a (small, random) Hugging Face GPT-2."""

from __future__ import annotations

import pytest
import torch

transformers = pytest.importorskip("transformers")

from attnlab.models import TransformerLM  # noqa: E402
from attnlab.pretrained.gpt2 import from_hf_gpt2  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _small_gpt2(**overrides):
    torch.manual_seed(0)
    kwargs = dict(vocab_size=101, n_positions=64, n_embd=48, n_layer=3, n_head=4, layer_norm_epsilon=1e-5,
                  bos_token_id=0, eos_token_id=None, pad_token_id=0)
    kwargs.update(overrides)
    model = transformers.GPT2LMHeadModel(transformers.GPT2Config(**kwargs)).eval()
    with torch.no_grad():  # make the LayerNorms non-trivial so a mix-up would show
        for name, p in model.named_parameters():
            if "ln_" in name:
                p.add_(0.1 * torch.randn_like(p))
    return model


def test_same_logits_as_hf():
    hf = _small_gpt2()
    ours = from_hf_gpt2(hf)
    assert isinstance(ours, TransformerLM) and not ours.training
    assert ours.config.activation == "gelu_tanh" and ours.config.positions == "learned"
    assert ours.lm_head.weight is ours.embed.tok.weight
    ids = torch.randint(0, 101, (3, 20))
    with torch.no_grad():
        expected = hf(ids).logits
        got = ours(ids).logits
    assert (got - expected).abs().max().item() <= 1e-4


def test_greedy_tokens_match_hf_generate():
    hf = _small_gpt2()
    ours = from_hf_gpt2(hf)
    ids = torch.randint(1, 101, (2, 6))
    with torch.no_grad():
        expected = hf.generate(ids, attention_mask=torch.ones_like(ids), max_new_tokens=25, do_sample=False,
                               num_beams=1)
    assert torch.equal(ours.generate(ids, 25), expected)
    assert torch.equal(ours.generate(ids, 25, use_cache=False), expected)


def test_other_gpt2_settings():
    hf = _small_gpt2(n_inner=80, activation_function="relu", layer_norm_epsilon=1e-6, tie_word_embeddings=False)
    ours = from_hf_gpt2(hf)
    assert ours.config.d_ff == 80 and ours.config.norm_eps == 1e-6
    ids = torch.randint(0, 101, (2, 9))
    with torch.no_grad():
        assert (ours(ids).logits - hf(ids).logits).abs().max().item() <= 1e-4
    # a bare GPT2Model (no head) converts too, with the head tied to wte
    body = from_hf_gpt2(_small_gpt2().transformer)
    assert body.lm_head.weight is body.embed.tok.weight


def test_rejects_other_models():
    with pytest.raises(TypeError, match="hf_model"):
        from_hf_gpt2(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="scale_attn_by_inverse_layer_idx"):
        from_hf_gpt2(_small_gpt2(scale_attn_by_inverse_layer_idx=True))
