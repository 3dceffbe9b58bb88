"""Read a local Hugging Face folder (``config.json`` + safetensors weights, as ``save_pretrained`` writes
them) and hand it to the loader of its family.

Families (``config.json``'s ``model_type``): ``bert`` (BERT, MiniLM), ``roberta`` and ``distilbert`` (a
:class:`~attnlab.pretrained.bert.BertEncoder`), ``gpt2`` and ``llama`` (a :class:`~attnlab.models.TransformerLM`,
with the folder's ``tokenizer.json`` as its ``tokenizer`` when there is one). Any other ``model_type`` is
refused with a :class:`UnsupportedModel` naming the folder, the type and the supported families. Weights are
read from ``model.safetensors`` or the shards listed in ``model.safetensors.index.json``; pickle files are
never loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import torch
from torch import nn

from attnlab.pretrained.bert_config import ENCODER_FAMILIES
from attnlab.pretrained.errors import CheckpointError
from attnlab.pretrained.loader import read_json, read_safetensors
from attnlab.pretrained.tokenizer import HFTokenizer

__all__ = ["FAMILIES", "UnsupportedModel", "load_folder", "load_named", "read_config", "read_weights"]

# model_type -> the family's name, as the refusal lists them
FAMILIES: dict[str, str] = {**ENCODER_FAMILIES, "gpt2": "GPT-2", "llama": "Llama"}


class UnsupportedModel(CheckpointError):
    """A folder whose ``config.json`` names a ``model_type`` attnlab cannot load."""


def read_config(model_dir: Path) -> dict[str, Any]:
    """``config.json`` of ``model_dir`` as a dict (a :class:`CheckpointError` when missing or not an object)."""
    path = model_dir / "config.json"
    raw = read_json(path)
    if not isinstance(raw, dict):
        raise CheckpointError(f"{path}: expected a JSON object, got {type(raw).__name__}")
    return raw


def read_weights(model_dir: Path) -> tuple[dict[str, torch.Tensor], Path]:
    """Every tensor of the folder's safetensors weights (one file or the shards of an index) and its path."""
    single = model_dir / "model.safetensors"
    index_path = model_dir / "model.safetensors.index.json"
    if single.is_file() or not index_path.is_file():
        return read_safetensors(single), single  # a missing file: the error names it (and any pickle)
    index = read_json(index_path)
    weight_map = index.get("weight_map") if isinstance(index, dict) else None
    if not isinstance(weight_map, dict):
        raise CheckpointError(f"{index_path}: expected a JSON object with a 'weight_map', got {index!r:.80}")
    tensors: dict[str, torch.Tensor] = {}
    for shard in sorted(set(weight_map.values())):
        tensors.update(read_safetensors(model_dir / str(shard)))
    return tensors, index_path


def load_named(model: nn.Module, named: Mapping[str, torch.Tensor], *, source: Path | str, hint: str) -> None:
    """Copy ``named`` (attnlab parameter name -> tensor) into ``model``, every parameter given, shapes equal.

    Raises:
        CheckpointError: a parameter with no tensor, or a tensor of another shape (naming ``source`` and
            ``hint``, what in the config set the expected shapes).
    """
    params = dict(model.named_parameters())  # tied weights appear once
    missing = [n for n in params if n not in named]
    if missing:
        raise CheckpointError(f"{source}: weights do not match the config ({hint}): no tensor for {missing[:6]}")
    with torch.no_grad():
        for name, param in params.items():
            src = named[name]
            if tuple(src.shape) != tuple(param.shape):
                raise CheckpointError(f"{source}: weights do not match the config ({hint}): {name} expected "
                                      f"shape {tuple(param.shape)}, got {tuple(src.shape)}")
            param.copy_(src.to(param.dtype))


def tensor_getter(tensors: Mapping[str, torch.Tensor], source: Path | str,
                  prefix: str = "") -> Callable[[str], torch.Tensor]:
    """``get(name)``: the tensor ``prefix + name``, or a :class:`CheckpointError` naming ``source``."""

    def get(name: str) -> torch.Tensor:
        key = prefix + name
        if key not in tensors:
            raise CheckpointError(f"{source}: expected tensor {key!r} is missing")
        tensor = tensors[key]
        if not tensor.is_floating_point():
            raise CheckpointError(f"{source}: tensor {key!r} expected a float dtype, got {tensor.dtype}")
        return tensor

    return get


def load_folder(model_dir: Path, *, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32) -> Any:
    """Load the model of a Hugging Face folder by its ``model_type`` (see the module docstring)."""
    config = read_config(model_dir)
    model_type = config.get("model_type", "bert")  # sentence-transformers folders of old BERTs omit it
    if model_type not in FAMILIES:
        supported = ", ".join(f"{name} ({t!r})" for t, name in FAMILIES.items())
        raise UnsupportedModel(f"{model_dir}: model_type {model_type!r} is not supported; attnlab.pretrained.load "
                               f"reads the families {supported}")
    if model_type in ENCODER_FAMILIES:
        from attnlab.pretrained.bert import load as load_bert

        return load_bert(model_dir, device=device, dtype=dtype)
    tensors, source = read_weights(model_dir)
    if model_type == "gpt2":
        from attnlab.pretrained.gpt2 import gpt2_from_tensors as build
    else:
        from attnlab.pretrained.llama import llama_from_tensors as build
    model = build(config, tensors, source=source)
    model.source = model_dir
    model.tokenizer = _lm_tokenizer(model_dir, config, model.config.vocab_size, model.config.max_len)
    return model.to(device=device, dtype=dtype).eval()


def _lm_tokenizer(model_dir: Path, config: Mapping[str, Any], vocab_size: int, max_len: int) -> HFTokenizer | None:
    """The folder's ``tokenizer.json`` (truncating at the model's ``max_len`` positions), or None without one."""
    path = model_dir / "tokenizer.json"
    if not path.is_file():
        return None
    pad = config.get("pad_token_id")
    tokenizer = HFTokenizer(path, max_length=max_len, pad_id=pad if isinstance(pad, int) else None)
    if tokenizer.vocab_size > vocab_size:
        raise CheckpointError(f"{path}: tokenizer has {tokenizer.vocab_size} tokens, more than config.json "
                              f"vocab_size={vocab_size}")
    return tokenizer
