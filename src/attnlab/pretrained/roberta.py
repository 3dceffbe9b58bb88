"""RoBERTa (Liu et al. 2019) read into attnlab's BERT-family encoder.

RoBERTa is BERT's network with three differences in what goes in:

- positions count the tokens that are not padding, starting after the padding id (fairseq's
  ``make_positions``): ``p_t = pad + Σ_{s ≤ t} [x_s ≠ pad]`` for a real token, ``p_t = pad`` for a pad, so
  the first token takes row ``pad + 1`` of the position table (``pad_token_id`` is 1: row 2) and an input
  holds at most ``max_position_embeddings - pad - 1`` tokens (512 of 514);
- one token type (``type_vocab_size`` 1): every token adds row 0 of the segment embedding;
- a byte-level BPE tokenizer with ``<s> ... </s>`` around the text (read from ``tokenizer.json``).

Its weights carry BERT's names under ``roberta.`` (none in a bare ``RobertaModel``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from attnlab.pretrained.bert_config import bert_sizes
from attnlab.pretrained.errors import CheckpointError

__all__ = ["roberta_positions", "roberta_sizes"]


def roberta_sizes(raw: dict[str, Any], cfg_path: Path) -> dict[str, Any]:
    """RoBERTa's ``config.json`` -> :class:`~attnlab.pretrained.bert_config.BertConfig` fields: BERT's, plus
    ``position_offset = pad_token_id + 1`` and ``pad_token_id``."""
    sizes = bert_sizes(raw, cfg_path)
    pad = raw.get("pad_token_id", 1)
    if isinstance(pad, bool) or not isinstance(pad, int) or pad < 0:
        raise CheckpointError(f"{cfg_path}: pad_token_id: expected an int >= 0 (RoBERTa's positions start after it), "
                              f"got {pad!r}")
    if pad + 1 >= sizes["max_position_embeddings"]:
        raise CheckpointError(f"{cfg_path}: pad_token_id: expected < max_position_embeddings - 1 = "
                              f"{sizes['max_position_embeddings'] - 1} (positions start at pad_token_id + 1), "
                              f"got {pad}")
    return {**sizes, "position_offset": pad + 1, "pad_token_id": pad}


def roberta_positions(input_ids: torch.Tensor, pad_id: int) -> torch.Tensor:
    """Position ids (B, T) of input_ids (B, T): ``pad + cumsum(x ≠ pad)`` on real tokens, ``pad`` on pads."""
    real = input_ids.ne(pad_id).long()  # (B, T)
    return torch.cumsum(real, dim=1) * real + pad_id
