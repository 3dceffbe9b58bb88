"""``attnlab inspect TEXT --model PATH`` on small random-weight Hugging Face folders of every family attnlab
loads: the maps it draws and puts in the explorer are the ``transformers`` model's own (causal for GPT-2 and
Llama), the files are written, and truncation, unknown tokens and unreadable folders are reported in words."""

from __future__ import annotations

import json

import pytest
import torch

transformers = pytest.importorskip("transformers")
from typer.testing import CliRunner  # noqa: E402

from attnlab.cli import app  # noqa: E402
from attnlab.report.explorer import read_explorer  # noqa: E402
from hf_folders import family_folder  # noqa: E402

pytestmark = pytest.mark.usefixtures("folder_models")

FAMILIES = ("bert", "roberta", "distilbert", "gpt2", "llama")
CAUSAL = ("gpt2", "llama")
FILES = ("attention_grid.png", "attention_grid.svg", "attention_mean.png", "attention_mean.svg", "index.html")
TEXT = "The cat sat on the mat."


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """family -> (the Hugging Face model, its folder)."""
    root = tmp_path_factory.mktemp("families")
    return {f: (family_folder(root / f, f), root / f) for f in FAMILIES}


def _inspect(*args):
    return CliRunner().invoke(app, ["inspect", *map(str, args)], env={"COLUMNS": "200"})


def _one_error_line(res) -> str:
    lines = [x for x in res.output.splitlines() if x.strip()]
    assert res.exit_code == 1 and len(lines) == 1 and "Traceback" not in res.output, res.output
    return lines[0]


@pytest.mark.parametrize("family", FAMILIES)
def test_inspect_draws_the_models_own_maps(family, folders, tmp_path):
    hf, folder = folders[family]
    res = _inspect(TEXT, "--model", folder, "--out", tmp_path)
    assert res.exit_code == 0, res.output
    for name in FILES:
        assert (tmp_path / name).stat().st_size > 0, name
    assert "layer 2: each token -> its most attended token" in res.output and "warning" not in res.output
    (explorer,) = read_explorer(tmp_path / "index.html")
    reference = transformers.PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"))
    ids = reference(TEXT, return_tensors="pt")["input_ids"]
    assert explorer.tokens == reference.convert_ids_to_tokens(ids[0].tolist())
    specials = {"bert": ("[CLS]", "[SEP]"), "distilbert": ("[CLS]", "[SEP]"), "roberta": ("<s>", "</s>"),
                "llama": ("<s>", "."), "gpt2": ("The", ".")}[family]
    assert (explorer.tokens[0], explorer.tokens[-1]) == specials
    with torch.no_grad():
        expected = torch.stack(hf(ids, output_attentions=True).attentions)[:, 0]  # (L, H, T, T)
    got = torch.from_numpy(explorer.weights).float()
    assert got.shape == expected.shape == (2, 4, len(explorer.tokens), len(explorer.tokens))
    assert (got - expected).abs().max().item() <= 5e-4 + 1e-5  # the explorer stores weights to 1/2000
    above = torch.triu(torch.ones(got.shape[-1], got.shape[-1], dtype=torch.bool), diagonal=1)
    if family in CAUSAL:  # a token never attends to the tokens after it
        assert float(got[..., above].abs().max()) == 0.0
    else:
        assert float(got[..., above].min()) > 0.0


def test_a_language_models_long_text_is_truncated_and_summarised(folders, tmp_path):
    res = _inspect("the cat sat on the mat " * 30, "--model", folders["gpt2"][1], "--out", tmp_path)
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    assert "the text has 301 tokens and gpt2 reads at most 40, so the last 261 were cut; the maps show the first 40" \
        in text  # GPT-2 adds no special tokens
    assert "most attended tokens" in text and "->" not in text
    (explorer,) = read_explorer(tmp_path / "index.html")
    assert len(explorer.tokens) == 40
    res = _inspect("the cat sat on the mat " * 30, "--model", folders["roberta"][1], "--out", tmp_path / "r")
    assert "roberta reads at most 40 (with <s> and </s>), so the last 263 were cut; the maps show the first 38" in \
        " ".join(res.output.split())


def test_unknown_tokens_are_named_with_the_tokenizers_own_word(folders, tmp_path):
    res = _inspect("注意力机制为什么要缩放 hate", "--model", folders["distilbert"][1], "--out", tmp_path)
    assert res.exit_code == 0, res.output
    assert "are [UNK], unknown to the model" in " ".join(res.output.split())
    res = _inspect("注意力机制为什么要缩放", "--model", folders["llama"][1], "--out", tmp_path / "l", "--layer", "1",
                   "--head", "1")
    assert res.exit_code == 0 and "unknown to the model" not in res.output  # byte-level BPE reads any text


def test_folders_inspect_cannot_read_are_one_line_errors(folders, tmp_path):
    bare = tmp_path / "bare"
    bare.mkdir()
    for f in folders["gpt2"][1].iterdir():
        if f.name != "tokenizer.json":
            (bare / f.name).write_bytes(f.read_bytes())
    line = _one_error_line(_inspect(TEXT, "--model", bare, "--out", tmp_path / "o"))
    assert "--model: " in line and "has no tokenizer (its folder has no tokenizer.json)" in line
    config = json.loads((bare / "config.json").read_text())
    (bare / "config.json").write_text(json.dumps({**config, "model_type": "t5"}))
    line = _one_error_line(_inspect(TEXT, "--model", bare, "--out", tmp_path / "o"))
    assert "model_type 't5' is not supported" in line and "RoBERTa ('roberta'), DistilBERT ('distilbert')" in line
    line = _one_error_line(_inspect(TEXT, "--model", tmp_path / "nowhere", "--out", tmp_path / "o"))
    assert "an existing directory" in line
    line = _one_error_line(_inspect(TEXT, "--model", folders["llama"][1], "--layer", "3", "--out", tmp_path / "o"))
    assert "--layer: expected a layer number from 1 to 2, got 3" in line


@pytest.mark.parametrize("family", CAUSAL)
def test_a_loaded_language_model_shows_its_maps_from_text(family, folders):
    """``show.text`` / ``model_attentions`` tokenize with the folder's tokenizer and read the patterns by hook."""
    from attnlab.pretrained import load
    from attnlab.show.run_model import model_attentions

    hf, folder = folders[family]
    tokens, maps = model_attentions(load(folder), TEXT)
    ids = transformers.PreTrainedTokenizerFast(tokenizer_file=str(folder / "tokenizer.json"))(TEXT)["input_ids"]
    with torch.no_grad():
        expected = hf(torch.tensor([ids]), output_attentions=True).attentions
    assert len(tokens) == len(ids) and len(maps) == len(expected) == 2
    assert max((m - e[0]).abs().max().item() for m, e in zip(maps, expected, strict=True)) <= 1e-5
