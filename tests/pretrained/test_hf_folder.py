"""attnlab.pretrained.load(PATH) on Hugging Face folders written by ``save_pretrained``: small random-weight
BERT, GPT-2 and Llama (grouped-query heads, RoPE, RMSNorm, SwiGLU) give the same outputs as ``transformers``."""

from __future__ import annotations

import json

import pytest
import torch

transformers = pytest.importorskip("transformers")

from attnlab.models import TransformerLM  # noqa: E402
from attnlab.pretrained import CheckpointError, UnsupportedModel, load  # noqa: E402
from attnlab.pretrained.bert import BertEncoder  # noqa: E402
from hf_folders import save_model  # noqa: E402

pytestmark = pytest.mark.usefixtures("folder_models")

V = 100


def _saved(tmp_path_factory, name: str, model_class, config):
    folder = tmp_path_factory.mktemp(name)
    return save_model(folder, model_class, config), folder


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    config = transformers.LlamaConfig(vocab_size=V, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64,
                                      rope_theta=500.0, rms_norm_eps=1e-5, bos_token_id=None, eos_token_id=None,
                                      pad_token_id=None)
    return _saved(tmp_path_factory, "llama", transformers.LlamaForCausalLM, config)


@pytest.fixture(scope="module")
def gpt2(tmp_path_factory):
    config = transformers.GPT2Config(vocab_size=V, n_positions=64, n_embd=48, n_layer=2, n_head=4,
                                     layer_norm_epsilon=1e-5, bos_token_id=None, eos_token_id=None)
    return _saved(tmp_path_factory, "gpt2", transformers.GPT2LMHeadModel, config)


def _check_lm(hf, folder):
    ours = load(folder)
    assert isinstance(ours, TransformerLM) and not ours.training and ours.source == folder
    ids = torch.randint(0, V, (2, 17), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        assert (ours(ids).logits - hf(ids).logits).abs().max().item() <= 1e-4
        prompt = ids[:, :5]
        expected = hf.generate(prompt, attention_mask=torch.ones_like(prompt), max_new_tokens=20, do_sample=False,
                               num_beams=1)
    assert torch.equal(ours.generate(prompt, 20), expected)
    assert torch.equal(ours.generate(prompt, 20, use_cache=False), expected)
    return ours


def test_llama_folder_same_logits_and_greedy_tokens(llama):
    ours = _check_lm(*llama)
    c = ours.config
    assert (c.positions, c.norm, c.activation, c.bias, c.tie_embeddings) == ("rope", "rms", "swiglu", False, False)
    assert c.attention.n_kv_heads == 2 and c.attention.rotary_base == 500.0 and c.norm_eps == 1e-5


def test_gpt2_folder_same_logits_and_greedy_tokens(gpt2):
    ours = _check_lm(*gpt2)
    assert ours.lm_head.weight is ours.embed.tok.weight  # save_pretrained drops the tied head


def test_bert_folder_same_hidden_states(tmp_path_factory):
    config = transformers.BertConfig(vocab_size=V, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                     intermediate_size=64, max_position_embeddings=64, attn_implementation="eager")
    hf, folder = _saved(tmp_path_factory, "bert", transformers.BertModel, config)
    ours = load(folder)  # no tokenizer.json: a tensor-only encoder
    assert isinstance(ours, BertEncoder) and ours.tokenizer is None
    ids = torch.randint(0, V, (2, 11))
    types = torch.randint(0, 2, (2, 11))
    with torch.no_grad():
        expected = hf(ids, token_type_ids=types, output_attentions=True)
        got = ours(ids, token_type_ids=types, need_weights=True)
    assert (got.hidden - expected.last_hidden_state).abs().max().item() <= 1e-4
    for mine, theirs in zip(got.attentions, expected.attentions, strict=True):
        assert (mine - theirs).abs().max().item() <= 1e-5


def _edit_config(folder, tmp_path, **changes):
    out = tmp_path / "edited"
    out.mkdir()
    for f in folder.iterdir():
        (out / f.name).write_bytes(f.read_bytes())
    cfg = json.loads((folder / "config.json").read_text())
    cfg.update(changes)
    (out / "config.json").write_text(json.dumps(cfg))
    return out


def test_unsupported_model_type_names_folder_and_families(gpt2, tmp_path):
    folder = _edit_config(gpt2[1], tmp_path, model_type="mamba")
    with pytest.raises(UnsupportedModel, match=r"edited.*model_type 'mamba' is not supported.*BERT \('bert'\), "
                                               r"RoBERTa \('roberta'\), DistilBERT \('distilbert'\), GPT-2 "
                                               r"\('gpt2'\), Llama \('llama'\)"):
        load(folder)
    assert issubclass(UnsupportedModel, CheckpointError)


def test_llama_refusals_and_mismatches(llama, tmp_path):
    folder = _edit_config(llama[1], tmp_path, rope_parameters={"rope_type": "linear", "factor": 2.0,
                                                               "rope_theta": 500.0})
    with pytest.raises(CheckpointError, match="rope_type.*'linear'"):
        load(folder)
    (folder / "config.json").write_text(json.dumps({**json.loads((llama[1] / "config.json").read_text()),
                                                     "num_key_value_heads": 4}))
    with pytest.raises(CheckpointError, match=r"model\.safetensors.*num_key_value_heads=4.*k_proj.*expected shape"):
        load(folder)


def test_pickle_only_folder_is_refused(gpt2, tmp_path):
    folder = _edit_config(gpt2[1], tmp_path)
    (folder / "model.safetensors").unlink()
    (folder / "pytorch_model.bin").write_bytes(b"not even a pickle")
    with pytest.raises(CheckpointError, match="never loaded"):
        load(folder)
