"""attnlab.run_config (``attnlab train CONFIG``): JSON and TOML configs, labelled text, clear errors."""

from __future__ import annotations

import csv
import json

import pytest

from attnlab.run_config import load_config_file, main
from attnlab.train import load_checkpoint


def test_main_json_and_toml(tmp_path, capsys):
    cfg = {
        "seed": 1,
        "task": {"name": "copy", "length": 4, "n_symbols": 4},
        "model": {"class": "TransformerEncoder", "d_model": 16, "n_heads": 2, "n_layers": 1},
        "train": {
            "steps": 8,
            "batch_size": 8,
            "warmup": 2,
            "eval_batches": 1,
            "log_path": "run.jsonl",
            "checkpoint_dir": "ckpt",
        },
    }
    path = tmp_path / "cfg.json"
    path.write_text(json.dumps(cfg))
    res = main(path)
    out = json.loads(capsys.readouterr().out)
    assert out["eval_accuracy"] == res.eval_accuracy and res.seed == 1
    assert (tmp_path / "run.jsonl").is_file() and (tmp_path / "ckpt" / "model.safetensors").is_file()
    rebuilt = load_checkpoint(tmp_path / "ckpt")
    assert rebuilt.config.n_outputs == 4 and rebuilt.config.vocab_size == 7 and rebuilt.config.max_len == 9
    again = main(path)
    capsys.readouterr()
    assert again.history == res.history  # same config + seed -> same numbers
    toml = tmp_path / "cfg.toml"
    toml.write_text(
        'seed = 1\n[task]\nname = "copy"\nlength = 4\nn_symbols = 4\n'
        '[model]\nclass = "TransformerEncoder"\nd_model = 16\nn_heads = 2\nn_layers = 1\n'
        "[train]\nsteps = 8\nbatch_size = 8\nwarmup = 2\neval_batches = 1\n"
    )
    assert main(toml).history == res.history
    capsys.readouterr()
    assert load_config_file(toml)["task"]["name"] == "copy"


def test_main_text_data_and_errors(tmp_path, capsys):
    with (tmp_path / "train.csv").open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "label"])
        for i in range(20):
            w.writerow([f"this movie is {'great' if i % 2 else 'awful'}", i % 2])
    cfg = {
        "data": {"train": "train.csv", "eval_fraction": 0.25, "max_len": 8},
        "model": {
            "class": "SequenceClassifier",
            "d_model": 16,
            "n_heads": 2,
            "n_layers": 1,
            "pooling": "mean",
        },
        "train": {"steps": 4, "batch_size": 4, "warmup": 1, "eval_batches": 1, "eval_batch_size": 5},
    }
    (tmp_path / "text.json").write_text(json.dumps(cfg))
    res = main(tmp_path / "text.json")
    capsys.readouterr()
    assert res.steps == 4 and 0.0 <= res.eval_accuracy <= 1.0
    bad = tmp_path / "bad.json"
    for content, message in (
        ({"task": "copy", "model": {"class": "Nope"}}, "model.class: expected one of"),
        ({"task": "copy", "model": {"class": "TransformerEncoder"}, "epochs": 3}, "unknown key"),
        ({"model": {"class": "TransformerEncoder"}}, "exactly one of 'task' or 'data'"),
        (
            {
                "task": "copy",
                "model": {"class": "TransformerEncoder", "d_model": 8, "n_heads": 2, "n_layers": 1},
                "train": {"stepz": 1},
            },
            "train config: unknown key",
        ),
    ):
        bad.write_text(json.dumps(content))
        with pytest.raises(ValueError, match=message):
            main(bad)
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="invalid JSON"):
        main(bad)
    with pytest.raises(ValueError, match="expected a .json or .toml file"):
        main(tmp_path / "train.csv")
