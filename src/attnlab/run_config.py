"""``attnlab train CONFIG``: train a model described by a JSON or TOML run config.

See :func:`main` for the keys. Works unchanged under ``torchrun`` (data parallel).
"""

from __future__ import annotations

import dataclasses
import inspect
import json
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from attnlab.data.base import Task
from attnlab.train import TrainConfig, TrainResult, train
from attnlab.validation import check_int

__all__ = ["load_config_file", "main"]

_TOP_KEYS = ("task", "data", "model", "train", "seed", "eval_task")


def load_config_file(path: str | Path) -> dict[str, Any]:
    """Read a JSON (``.json``) or TOML (``.toml``) run config into a dict."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"config: expected an existing .json or .toml file, got {str(path)!r}")
    if path.suffix.lower() == ".toml":
        try:
            import tomllib
        except ImportError as exc:  # Python 3.10
            raise ValueError("config: TOML needs Python >= 3.11 (tomllib); use a .json config") from exc
        with path.open("rb") as fh:
            try:
                data = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise ValueError(f"{path.name}: invalid TOML ({exc})") from None
    elif path.suffix.lower() == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path.name}: invalid JSON ({exc.msg} at line {exc.lineno})") from None
    else:
        raise ValueError(f"config: expected a .json or .toml file, got {path.name!r}")
    if not isinstance(data, dict):
        raise ValueError(
            f"{path.name}: expected a JSON/TOML object at the top level, got {type(data).__name__}"
        )
    return data


def _resolve(base: Path, value: Any) -> Any:
    if isinstance(value, str) and value and not Path(value).is_absolute():
        return str(base / value)
    return value


def _build_task(spec: Any, what: str) -> Task:
    from attnlab.data import make_task

    if isinstance(spec, str):
        return make_task(spec)
    if isinstance(spec, dict) and isinstance(spec.get("name"), str):
        kwargs = {k: v for k, v in spec.items() if k != "name"}
        return make_task(spec["name"], **kwargs)
    raise ValueError(f'{what}: expected a task name or {{"name": ..., **kwargs}}, got {spec!r}')


def _build_text_data(spec: Any, base: Path, seed: int) -> tuple[Task, Task]:
    from attnlab.data import TextClassificationDataset

    if not isinstance(spec, dict) or "train" not in spec:
        raise ValueError(f'data: expected {{"train": PATH, "eval": PATH?, ...}}, got {spec!r}')
    allowed = {"train", "eval", "text_column", "label_column", "max_len", "eval_fraction", "format"}
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise ValueError(f"data: unknown key(s) {unknown}; expected a subset of {sorted(allowed)}")
    opts = {k: spec[k] for k in ("text_column", "label_column", "format") if k in spec}
    train_ds = TextClassificationDataset.from_file(
        _resolve(base, spec["train"]), max_len=spec.get("max_len", 128), **opts
    )
    if spec.get("eval"):
        eval_ds = TextClassificationDataset.from_file(
            _resolve(base, spec["eval"]),
            tokenizer=train_ds.tokenizer,
            max_len=train_ds.max_len,
            label_names=train_ds.label_names,
            **opts,
        )
        return train_ds, eval_ds
    return train_ds.split(float(spec.get("eval_fraction", 0.1)), seed=seed)


def _build_model(spec: Any, task: Task) -> nn.Module:
    import attnlab.models as models

    if not isinstance(spec, dict):
        raise ValueError(f'model: expected {{"class": NAME, **kwargs}}, got {spec!r}')
    kwargs = dict(spec)
    name = kwargs.pop("class", None) or kwargs.pop("name", None)
    cls = getattr(models, name, None) if isinstance(name, str) else None
    if not isinstance(cls, type) or not issubclass(cls, nn.Module):
        available = sorted(
            n
            for n in dir(models)
            if isinstance(getattr(models, n), type) and issubclass(getattr(models, n), nn.Module)
        )
        raise ValueError(f"model.class: expected one of {available}, got {name!r}")
    fields: set[str] = set()
    config_class = getattr(cls, "config_class", None)
    if config_class is not None and dataclasses.is_dataclass(config_class):
        fields = {f.name for f in dataclasses.fields(config_class)}
    else:
        fields = set(inspect.signature(cls).parameters)
    defaults = {"vocab_size": task.vocab_size, "max_len": task.seq_len}
    if task.kind == "tagging":
        defaults["n_outputs"] = task.n_classes
    else:
        defaults["n_classes"] = task.n_classes
    for key, value in defaults.items():
        if key in fields and key not in kwargs:
            kwargs[key] = value
    return cls(**kwargs)


def main(config_path: str | Path) -> TrainResult:
    """Train from a JSON/TOML config and print the final metrics (``attnlab train CONFIG``).

    Config keys::

        {"seed": 0,
         "task": {"name": "copy", "length": 8},            # a registered task and its arguments, or
         "data": {"train": "train.csv", "eval": "dev.csv",  # labelled text (CSV/TSV/JSONL, text,label
                  "max_len": 128},                          # columns; no "eval": a 10% split of "train")
         "eval_task": {...},                                # optional, defaults to the task
         "model": {"class": "TransformerEncoder", "d_model": 64, "n_heads": 4, "n_layers": 2},
         "train": {"steps": 500, "batch_size": 64, "lr": 1e-3, "log_path": "runs/copy.jsonl"}}

    ``vocab_size``, ``max_len`` and ``n_outputs`` (tagging) or ``n_classes`` (classification) are filled in
    from the task when the model accepts them and the config leaves them out. Relative paths (data files,
    ``log_path``, ``checkpoint_dir``) are relative to the config file. The model is initialised after
    ``torch.manual_seed(seed)``. Works unchanged under ``torchrun``.
    """
    config_path = Path(config_path)
    data = load_config_file(config_path)
    base = config_path.resolve().parent
    unknown = sorted(set(data) - set(_TOP_KEYS))
    if unknown:
        raise ValueError(
            f"{config_path.name}: unknown key(s) {unknown}; expected a subset of {list(_TOP_KEYS)}"
        )
    seed = data.get("seed", 0)
    check_int("seed", seed, 0)
    if ("task" in data) == ("data" in data):
        raise ValueError(
            f"{config_path.name}: expected exactly one of 'task' or 'data', got "
            f"{[k for k in ('task', 'data') if k in data]}"
        )
    if "task" in data:
        task = _build_task(data["task"], "task")
        eval_task = _build_task(data["eval_task"], "eval_task") if "eval_task" in data else None
    else:
        task, eval_task = _build_text_data(data["data"], base, seed)
    train_section = dict(data.get("train", {}))
    for key in ("log_path", "checkpoint_dir"):
        if key in train_section:
            train_section[key] = _resolve(base, train_section[key])
    cfg = TrainConfig.from_dict(train_section)
    if "model" not in data:
        raise ValueError(f"{config_path.name}: expected a 'model' section, got none")
    torch.manual_seed(seed)
    model = _build_model(data["model"], task)
    result = train(model, task, cfg, seed=seed, eval_task=eval_task)
    if int(os.environ.get("RANK", "0")) == 0:
        print(json.dumps(result.summary(), indent=2))
    return result
