"""RoBERTa and DistilBERT folders (small random weights, ``save_pretrained`` plus a ``tokenizer.json``) load into
attnlab's BERT-family encoder with the same last hidden states and attention maps as ``transformers``, padded
batches included, and the same token ids as a Hugging Face fast tokenizer of the same file."""

from __future__ import annotations

import json

import pytest
import torch

transformers = pytest.importorskip("transformers")

from attnlab.pretrained import CheckpointError, load  # noqa: E402
from attnlab.pretrained.bert import BertEncoder  # noqa: E402
from attnlab.pretrained.distilbert import sinusoidal_table  # noqa: E402
from hf_folders import family_folder, save_model, wordpiece_tokenizer  # noqa: E402

TEXTS = ["I hate this movie.", "The cat sat on the mat, and every other token looks at it.", "a"]
LONG = "the cat sat on the mat " * 20  # more tokens than the 40 positions


pytestmark = pytest.mark.usefixtures("folder_models")


@pytest.fixture(scope="module")
def roberta(tmp_path_factory):
    folder = tmp_path_factory.mktemp("roberta")
    return family_folder(folder, "roberta"), folder


@pytest.fixture(scope="module")
def distilbert(tmp_path_factory):
    folder = tmp_path_factory.mktemp("distilbert")
    return family_folder(folder, "distilbert"), folder


def _same_as_hf(ours: BertEncoder, hf, texts, **hf_kwargs) -> tuple[float, float]:
    """Max |difference| of the last hidden states and of the attention maps on a padded batch of ``texts``."""
    batch = ours.encode(texts)
    reference = transformers.PreTrainedTokenizerFast(tokenizer_file=str(ours.tokenizer.path))
    for i, text in enumerate(texts):  # the same ids as Hugging Face's tokenizer of the same file
        n = int(batch.key_mask[i].sum())
        expected = reference(text, truncation=True, max_length=ours.config.max_seq_length)["input_ids"]
        assert batch.input_ids[i, :n].tolist() == expected
    assert bool((batch.input_ids[~batch.key_mask] == ours.tokenizer.pad_id).all())
    with torch.no_grad():
        expected = hf(batch.input_ids, attention_mask=batch.key_mask.long(), output_attentions=True, **hf_kwargs)
        got = ours(batch.input_ids, key_mask=batch.key_mask, need_weights=True)
    hidden = (got.hidden - expected.last_hidden_state).abs().max().item()
    maps = max((mine - theirs).abs().max().item() for mine, theirs in zip(got.attentions, expected.attentions,
                                                                           strict=True))
    return hidden, maps


def test_roberta_same_hidden_states_and_maps(roberta):
    hf, folder = roberta
    ours = load(folder)
    assert isinstance(ours, BertEncoder) and ours.config.model_type == "roberta"
    assert ours.config.position_offset == 2 and ours.tokenizer.pad_id == 1  # positions start at padding_idx + 1
    assert ours.config.max_seq_length == 40  # 42 position rows, the first two never used
    tokens = ours.encode("I hate this movie.").tokens[0]
    assert (tokens[0], tokens[-1]) == ("<s>", "</s>")
    hidden, maps = _same_as_hf(ours, hf, TEXTS)
    assert hidden <= 1e-4 and maps <= 1e-5
    hidden, maps = _same_as_hf(ours, hf, [LONG, "a"])  # truncated to 40 tokens: the last position row is used
    assert ours.encode(LONG).input_ids.shape[1] == 40
    assert hidden <= 1e-4 and maps <= 1e-5


def test_roberta_positions_follow_the_padding_id(roberta):
    """A padding id inside the text gets no position of its own, exactly as Hugging Face counts."""
    hf, folder = roberta
    ours = load(folder)
    ids = torch.tensor([[0, 40, 1, 41, 42, 2], [0, 43, 44, 45, 46, 2]])
    with torch.no_grad():
        got = ours(ids).hidden
        expected = hf(ids).last_hidden_state
    assert (got - expected).abs().max().item() <= 1e-4
    with torch.no_grad():  # rows 1..7 are the ones read (the padding id inside the text takes row 1, no count)
        ours.embeddings.position_embeddings.weight[8:] = 0
        assert (ours(ids).hidden - expected).abs().max().item() <= 1e-4
        ours.embeddings.position_embeddings.weight[2] = 0
        assert (ours(ids).hidden - expected).abs().max().item() > 1e-2


def test_roberta_task_model_folder_loads_its_encoder(tmp_path):
    mlm = family_folder(tmp_path, "roberta", task="RobertaForMaskedLM")
    ours = load(tmp_path)  # weights under roberta., beside an lm_head that is not the encoder's
    hidden, maps = _same_as_hf(ours, mlm.roberta, TEXTS)
    assert hidden <= 1e-4 and maps <= 1e-5


def test_distilbert_same_hidden_states_and_maps(distilbert):
    hf, folder = distilbert
    ours = load(folder)
    assert isinstance(ours, BertEncoder) and ours.config.model_type == "distilbert"
    assert ours.embeddings.token_type_embeddings is None and ours.config.type_vocab_size == 0
    assert ours.blocks[0].norm1.eps == 1e-12 and ours.config.intermediate_size == 64
    hidden, maps = _same_as_hf(ours, hf, TEXTS)
    assert hidden <= 1e-4 and maps <= 1e-5
    with pytest.raises(ValueError, match="token_type_ids: this model has no token-type embedding"):
        ours(torch.tensor([[2, 5, 3]]), token_type_ids=torch.tensor([[0, 1, 1]]))


def test_distilbert_sinusoidal_positions_and_task_model(tmp_path):
    from safetensors.torch import load_file, save_file

    folder = tmp_path / "sin"
    folder.mkdir()
    V = wordpiece_tokenizer(folder / "tokenizer.json")
    config = transformers.DistilBertConfig(vocab_size=V, dim=32, n_layers=2, n_heads=4, hidden_dim=64,
                                           max_position_embeddings=40, sinusoidal_pos_embds=True,
                                           attn_implementation="eager")
    mlm = save_model(folder, transformers.DistilBertForMaskedLM, config)
    table = mlm.distilbert.embeddings.position_embeddings.weight
    assert torch.equal(sinusoidal_table(40, 32), table)  # Hugging Face's formula, bit for bit
    ours = load(folder)  # weights under distilbert., plus the masked-LM head
    assert ours.config.sinusoidal_positions
    hidden, maps = _same_as_hf(ours, mlm.distilbert, TEXTS)
    assert hidden <= 1e-4 and maps <= 1e-5
    # a file that leaves the fixed table out gets it rebuilt
    tensors = load_file(folder / "model.safetensors")
    del tensors["distilbert.embeddings.position_embeddings.weight"]
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})
    hidden, maps = _same_as_hf(load(folder), mlm.distilbert, TEXTS)
    assert hidden <= 1e-4 and maps <= 1e-5


def test_family_mismatches_are_named(distilbert, roberta, tmp_path):
    folder = tmp_path / "edited"
    folder.mkdir()
    for f in distilbert[1].iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    config = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "dim": 48}))
    with pytest.raises(CheckpointError, match=r"model\.safetensors.*hidden_size=48.*expected shape"):
        load(folder)
    del config["hidden_dim"]
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(CheckpointError, match=r"config\.json: expected keys \['hidden_dim'\] are missing"):
        load(folder)
    config = json.loads((roberta[1] / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**config, "pad_token_id": None}))
    with pytest.raises(CheckpointError, match="pad_token_id: expected an int"):
        load(folder)
