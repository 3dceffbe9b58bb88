"""attnlab.data for users' text: tokenizers, CSV / JSONL files, the labelled-text dataset, Hugging Face."""

from __future__ import annotations

import json

import pytest
import torch

from attnlab.data import (
    CharTokenizer,
    TextClassificationDataset,
    WordTokenizer,
    load_hf_text_dataset,
    read_text_file,
)


def _write_csv(path, rows):
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text", "label"])
        for i, (text, label) in enumerate(rows):
            w.writerow([i, text, label])


ROWS = [
    ("I hate this movie", "neg"),
    ("what a wonderful film, I love it", "pos"),
    ("boring and too long", "neg"),
    ("great acting, great music!", "pos"),
    ("the plot was awful", "neg"),
    ("brilliant", "pos"),
]


def test_word_and_char_tokenizers():
    tok = WordTokenizer.fit(["Great film, great cast", "a film"])
    assert (
        tok.vocab[:2] == ["<pad>", "<unk>"] and tok.vocab[2] == "film"
    )  # tie (2 each) broken alphabetically
    assert tok.split("Great, FILM!") == ["great", ",", "film", "!"]
    ids = tok.encode("great unknownword film")
    assert ids[1] == 1 and tok.decode(ids) == ["great", "<unk>", "film"]
    assert WordTokenizer.from_dict(json.loads(json.dumps(tok.to_dict()))).vocab == tok.vocab
    small = WordTokenizer.fit(["a a a b b c"], max_size=4)
    assert small.vocab == ["<pad>", "<unk>", "a", "b"]
    assert WordTokenizer.fit(["a a b"], min_freq=2).vocab == ["<pad>", "<unk>", "a"]
    chars = CharTokenizer.fit(["ab a"])
    assert chars.split("Ab") == ["a", "b"] and isinstance(
        WordTokenizer.from_dict(chars.to_dict()), CharTokenizer
    )
    with pytest.raises(ValueError, match="vocab: expected to start with"):
        WordTokenizer(["a", "b"])


def test_read_csv_and_jsonl(tmp_path):
    csv_path = tmp_path / "train.csv"
    _write_csv(csv_path, ROWS)
    texts, labels = read_text_file(csv_path)
    assert texts[0] == "I hate this movie" and labels[:2] == ["neg", "pos"]
    jsonl = tmp_path / "train.jsonl"
    jsonl.write_text(
        "\n".join(json.dumps({"sentence": t, "y": i % 3}) for i, (t, _) in enumerate(ROWS)) + "\n\n"
    )
    texts, labels = read_text_file(jsonl, text_column="sentence", label_column="y")
    assert len(texts) == 6 and labels[:3] == ["0", "1", "2"]
    with pytest.raises(ValueError, match="expected a column 'text'"):
        read_text_file(jsonl)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok", "label": 1}\n{broken\n')
    with pytest.raises(ValueError, match="line 2: expected a JSON object"):
        read_text_file(bad)
    with pytest.raises(ValueError, match="format: expected"):
        read_text_file(tmp_path / "bad.jsonl", format="xml")
    with pytest.raises(ValueError, match="path: expected an existing file"):
        read_text_file(tmp_path / "missing.csv")


def test_text_classification_dataset(tmp_path):
    csv_path = tmp_path / "train.csv"
    _write_csv(csv_path, ROWS)
    ds = TextClassificationDataset.from_file(csv_path, max_len=5)
    assert ds.kind == "classification" and ds.label_names == ["neg", "pos"] and ds.n_classes == 2
    assert len(ds) == 6 and ds.chance_accuracy == pytest.approx(0.5)
    b = ds.batch([0, 5])
    assert b.inputs.shape == (2, 4) and b.key_mask.tolist() == [[True] * 4, [True, False, False, False]]
    assert ds.tokenizer.decode(b.inputs[0]) == ["i", "hate", "this", "movie"] and b.targets.tolist() == [0, 1]
    assert int(ds.batch([1]).extra["lengths"][0]) == 5  # truncated to max_len
    s1, s2 = ds.sample(16, 0), ds.sample(16, 0)
    assert torch.equal(s1.inputs, s2.inputs) and s1.inputs.shape[0] == 16 and s1.inputs.shape[1] <= ds.seq_len
    assert sum(len(x) for x in ds.batches(4)) == 6
    train, dev = ds.split(0.34, seed=0)
    assert len(train) + len(dev) == 6 and dev.tokenizer is ds.tokenizer and dev.label_names == ds.label_names
    numeric = TextClassificationDataset(["a", "b", "c"], [10, 2, 1])
    assert numeric.label_names == ["1", "2", "10"]
    with pytest.raises(ValueError, match="labels: expected values among label_names"):
        ds.with_texts(["x"], ["neutral"])
    with pytest.raises(ValueError, match="labels: expected one per text"):
        TextClassificationDataset(["a"], [0, 1])


def test_hf_datasets_loader(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")  # local files only, never the network
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")
    csv_path = tmp_path / "train.csv"
    _write_csv(csv_path, ROWS)
    ds = load_hf_text_dataset(
        "csv", data_files=str(csv_path), split="train", cache_dir=str(tmp_path / "cache")
    )
    assert len(ds) == 6 and ds.label_names == ["neg", "pos"]
    ref = TextClassificationDataset.from_file(csv_path)
    assert ds.tokenizer.vocab == ref.tokenizer.vocab and torch.equal(ds.labels, ref.labels)
    features = datasets.Features(
        {"text": datasets.Value("string"), "label": datasets.ClassLabel(names=["negative", "positive"])}
    )
    hf = datasets.Dataset.from_dict(
        {"text": [t for t, _ in ROWS], "label": [0, 1, 0, 1, 0, 1]}, features=features
    )
    from_hf = TextClassificationDataset.from_hf(hf, max_len=3)
    assert from_hf.label_names == ["negative", "positive"] and from_hf.labels.tolist() == [0, 1, 0, 1, 0, 1]
    assert from_hf.seq_len == 3
    with pytest.raises(ValueError, match="dataset: expected columns"):
        TextClassificationDataset.from_hf(hf, text_column="sentence")
