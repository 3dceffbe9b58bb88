"""Checkpoints in safetensors: the weights plus the model's class and config; nothing is ever unpickled."""

from __future__ import annotations

import dataclasses
import importlib
import json
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

__all__ = ["CONFIG_NAME", "WEIGHTS_NAME", "load_checkpoint", "model_config", "save_checkpoint"]

WEIGHTS_NAME = "model.safetensors"
CONFIG_NAME = "config.json"


def model_config(model: nn.Module) -> dict[str, Any] | None:
    cfg = getattr(model, "config", None)
    if cfg is not None and dataclasses.is_dataclass(cfg) and not isinstance(cfg, type):
        return dataclasses.asdict(cfg)
    return None


def save_checkpoint(model: nn.Module, directory: str | Path, *, extra: dict[str, Any] | None = None) -> Path:
    """Write ``directory/model.safetensors`` and ``directory/config.json``; return the weights path.

    The safetensors metadata and ``config.json`` both hold the model class (``module.QualName``), its config
    (``dataclasses.asdict(model.config)`` when the model has one) and ``extra`` (e.g. step, seed). Tied
    (shared) parameters are stored once. Files are written to a temporary name and renamed.
    """
    from safetensors.torch import save_model

    model = getattr(model, "module", model)  # unwrap DistributedDataParallel
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    cls = type(model)
    info = {
        "model_class": f"{cls.__module__}.{cls.__qualname__}",
        "model_config": model_config(model),
        "extra": extra or {},
    }
    text = json.dumps(info, indent=2, sort_keys=True, default=str)
    weights = directory / WEIGHTS_NAME
    tmp = directory / (WEIGHTS_NAME + ".tmp")
    save_model(model, str(tmp), metadata={"attnlab": json.dumps(info, sort_keys=True, default=str)})
    os.replace(tmp, weights)
    tmp_cfg = directory / (CONFIG_NAME + ".tmp")
    tmp_cfg.write_text(text + "\n", encoding="utf-8")
    os.replace(tmp_cfg, directory / CONFIG_NAME)
    return weights


def _import_class(path: str) -> type:
    module, _, qualname = path.rpartition(".")
    if not module.startswith("attnlab.") or "." in qualname:
        raise ValueError(
            f"checkpoint: cannot rebuild model class {path!r} (only attnlab classes are rebuilt); "
            f"pass model= to load_checkpoint"
        )
    obj = getattr(importlib.import_module(module), qualname, None)
    if not isinstance(obj, type) or not issubclass(obj, nn.Module):
        raise ValueError(f"checkpoint: model class {path!r} not found; pass model= to load_checkpoint")
    return obj


def load_checkpoint(
    path: str | Path, model: nn.Module | None = None, *, device: str | torch.device = "cpu"
) -> nn.Module:
    """Load a checkpoint written by :func:`save_checkpoint` (a directory or its ``model.safetensors``).

    With ``model``, its weights are replaced (strict: every tensor must match) and it is returned. Without
    it, the model is rebuilt from the stored class and config (``Model.from_config(config)`` or
    ``Model(**config)``; attnlab classes only) and returned on ``device``. Never unpickles anything.
    """
    from safetensors import safe_open
    from safetensors.torch import load_model

    path = Path(path)
    weights = path / WEIGHTS_NAME if path.is_dir() else path
    if not weights.is_file():
        raise ValueError(f"path: expected a checkpoint directory or .safetensors file, got {str(path)!r}")
    with safe_open(str(weights), framework="pt") as fh:
        meta = fh.metadata() or {}
    info = json.loads(meta["attnlab"]) if "attnlab" in meta else {}
    if model is None:
        if not info.get("model_class") or info.get("model_config") is None:
            raise ValueError(f"{weights.name}: no model class/config stored; pass model= to load_checkpoint")
        cls = _import_class(info["model_class"])
        config = info["model_config"]
        model = cls.from_config(config) if hasattr(cls, "from_config") else cls(**config)
    model = getattr(model, "module", model)
    missing, unexpected = load_model(model, str(weights), strict=False, device=str(device))
    if missing or unexpected:
        raise ValueError(
            f"{weights.name}: expected the model's tensors, got missing {sorted(missing)[:5]} and "
            f"unexpected {sorted(unexpected)[:5]}"
        )
    return model.to(device)
