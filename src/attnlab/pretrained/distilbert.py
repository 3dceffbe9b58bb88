"""DistilBERT (Sanh et al. 2019) read into attnlab's BERT-family encoder.

DistilBERT is a 6-layer BERT without token-type (segment) embeddings and without the pooler, with its
own names for the same sizes and weights:

| ``config.json`` | BERT's key | ``BertConfig`` field |
|---|---|---|
| ``dim`` | ``hidden_size`` | ``hidden_size`` |
| ``n_layers``, ``n_heads`` | ``num_hidden_layers``, ``num_attention_heads`` | the same |
| ``hidden_dim`` | ``intermediate_size`` | ``intermediate_size`` |
| ``activation`` | ``hidden_act`` | ``hidden_act`` |
| ``sinusoidal_pos_embds`` | (none) | ``sinusoidal_positions`` |

Its LayerNorms use eps 1e-12 (not in the config). Weights (under ``distilbert.`` in a task model):
``transformer.layer.{i}.attention.q_lin | k_lin | v_lin | out_lin``, ``sa_layer_norm`` (after attention),
``ffn.lin1 | lin2``, ``output_layer_norm`` (after the feed-forward). With ``sinusoidal_pos_embds`` the
position table is the fixed sinusoid of :func:`sinusoidal_table`, saved with the weights like a learned one;
a file that leaves it out gets it rebuilt.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from attnlab.pretrained.errors import CheckpointError

__all__ = ["distilbert_names", "distilbert_sizes", "sinusoidal_table"]

# DistilBERT's config.json key -> BertConfig's field
_SIZES = {"vocab_size": "vocab_size", "dim": "hidden_size", "n_layers": "num_hidden_layers",
          "n_heads": "num_attention_heads", "hidden_dim": "intermediate_size",
          "max_position_embeddings": "max_position_embeddings"}


def distilbert_sizes(raw: dict[str, Any], cfg_path: Path) -> dict[str, Any]:
    """DistilBERT's ``config.json`` -> :class:`~attnlab.pretrained.bert_config.BertConfig` fields."""
    missing = [k for k in _SIZES if k not in raw]
    if missing:
        raise CheckpointError(f"{cfg_path}: expected keys {missing} are missing (DistilBERT names its sizes dim, "
                              "n_layers, n_heads, hidden_dim)")
    sizes: dict[str, Any] = {ours: int(raw[theirs]) for theirs, ours in _SIZES.items()}
    sizes.update(type_vocab_size=0, layer_norm_eps=1e-12, hidden_act=str(raw.get("activation", "gelu")),
                 model_type="distilbert", sinusoidal_positions=bool(raw.get("sinusoidal_pos_embds", False)),
                 pad_token_id=raw.get("pad_token_id"))
    return sizes


def distilbert_names(n_layers: int) -> dict[str, str]:
    """attnlab ``BertEncoder`` parameter name -> DistilBERT tensor name (without the ``distilbert.`` prefix)."""
    names = {
        "embeddings.word_embeddings.weight": "embeddings.word_embeddings.weight",
        "embeddings.position_embeddings.weight": "embeddings.position_embeddings.weight",
        "embeddings.norm.weight": "embeddings.LayerNorm.weight",
        "embeddings.norm.bias": "embeddings.LayerNorm.bias",
    }
    parts = {"attn.q_proj": "attention.q_lin", "attn.k_proj": "attention.k_lin", "attn.v_proj": "attention.v_lin",
             "attn.out_proj": "attention.out_lin", "norm1": "sa_layer_norm", "ff.fc1": "ffn.lin1",
             "ff.fc2": "ffn.lin2", "norm2": "output_layer_norm"}
    for l in range(n_layers):
        for ours, theirs in parts.items():
            for kind in ("weight", "bias"):
                names[f"blocks.{l}.{ours}.{kind}"] = f"transformer.layer.{l}.{theirs}.{kind}"
    return names


def sinusoidal_table(n_positions: int, dim: int) -> torch.Tensor:
    """DistilBERT's fixed position table (n_positions, dim), sines and cosines interleaved:

        E[p, 2i] = sin(p / 10000^(2i / dim)),   E[p, 2i + 1] = cos(p / 10000^(2i / dim)).

    (Computed in float64 and rounded to float32, as Hugging Face does with numpy.)
    """
    p = torch.arange(n_positions, dtype=torch.float64)[:, None]  # (P, 1)
    j = torch.arange(dim, dtype=torch.float64)[None, :]  # (1, dim)
    angle = p / torch.pow(10000.0, 2 * torch.div(j, 2, rounding_mode="floor") / dim)  # (P, dim)
    table = torch.empty(n_positions, dim, dtype=torch.float64)
    table[:, 0::2] = torch.sin(angle[:, 0::2])
    table[:, 1::2] = torch.cos(angle[:, 1::2])
    return table.float()
