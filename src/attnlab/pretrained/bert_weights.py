"""Which tensor of a Hugging Face checkpoint fills which parameter of a :class:`~attnlab.pretrained.bert.BertEncoder`.

BERT and RoBERTa share BERT's names (``encoder.layer.{i}.attention.self.query``...), DistilBERT has its own
(:func:`attnlab.pretrained.distilbert.distilbert_names`); a task model (``…ForMaskedLM``) keeps them under
``bert.`` / ``roberta.`` / ``distilbert.``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import torch

from attnlab.pretrained.bert_config import BertConfig
from attnlab.pretrained.errors import CheckpointError
from attnlab.pretrained.loader import check_tensor_shapes

if TYPE_CHECKING:
    from attnlab.pretrained.bert import BertEncoder

__all__ = ["checkpoint_names", "load_weights"]


def checkpoint_names(config: BertConfig, prefix: str) -> dict[str, str]:
    """attnlab parameter name -> checkpoint tensor name (BERT's names for BERT and RoBERTa, DistilBERT's own)."""
    if config.model_type == "distilbert":
        from attnlab.pretrained.distilbert import distilbert_names

        return {ours: prefix + theirs for ours, theirs in distilbert_names(config.num_hidden_layers).items()}
    names = {
        "embeddings.word_embeddings.weight": "embeddings.word_embeddings.weight",
        "embeddings.position_embeddings.weight": "embeddings.position_embeddings.weight",
        "embeddings.norm.weight": "embeddings.LayerNorm.weight",
        "embeddings.norm.bias": "embeddings.LayerNorm.bias",
    }
    parts = {
        "attn.q_proj": "attention.self.query",
        "attn.k_proj": "attention.self.key",
        "attn.v_proj": "attention.self.value",
        "attn.out_proj": "attention.output.dense",
        "norm1": "attention.output.LayerNorm",
        "ff.fc1": "intermediate.dense",
        "ff.fc2": "output.dense",
        "norm2": "output.LayerNorm",
    }
    for l in range(config.num_hidden_layers):
        for ours, theirs in parts.items():
            for kind in ("weight", "bias"):
                names[f"blocks.{l}.{ours}.{kind}"] = f"encoder.layer.{l}.{theirs}.{kind}"
    if config.type_vocab_size:
        names["embeddings.token_type_embeddings.weight"] = "embeddings.token_type_embeddings.weight"
    return {ours: prefix + theirs for ours, theirs in names.items()}


def load_weights(model: BertEncoder, tensors: dict[str, torch.Tensor], source: Path) -> None:
    """Copy a checkpoint's tensors into ``model``'s parameters (the encoder's own, under its family's prefix).

    Raises:
        CheckpointError: a tensor missing, of the wrong shape or not float, or an encoder tensor the config
            does not account for (the message names ``source`` and the config's sizes).
    """
    config = model.config
    base = f"{config.model_type}."  # a task model (BertForMaskedLM...) keeps the encoder under bert. / roberta. ...
    prefix = base if base + "embeddings.word_embeddings.weight" in tensors else ""
    mapping = checkpoint_names(config, prefix)
    params = dict(model.named_parameters())
    unmapped = [n for n in params if n not in mapping]
    if unmapped:
        raise RuntimeError(f"internal: attnlab parameters without a checkpoint name: {unmapped}")
    position_name = mapping["embeddings.position_embeddings.weight"]
    if config.sinusoidal_positions and position_name not in tensors:  # a fixed table: rebuilt, not read
        from attnlab.pretrained.distilbert import sinusoidal_table

        tensors = {**tensors, position_name: sinusoidal_table(config.max_position_embeddings, config.hidden_size)}
    hint = (f"config.json says hidden_size={config.hidden_size}, num_hidden_layers={config.num_hidden_layers}, "
            f"num_attention_heads={config.num_attention_heads}, intermediate_size={config.intermediate_size}, "
            f"vocab_size={config.vocab_size}, max_position_embeddings={config.max_position_embeddings}")
    expected = {mapping[n]: tuple(p.shape) for n, p in params.items()}
    check_tensor_shapes(tensors, expected, source=source, hint=hint)
    used = set(expected)
    body = "transformer." if config.model_type == "distilbert" else "encoder."
    unexpected = sorted(
        k for k in tensors
        if k not in used and k.startswith((prefix + body, prefix + "embeddings."))
        and not k.endswith("position_ids")
    )
    if unexpected:
        shown = ", ".join(unexpected[:6]) + (f" (+{len(unexpected) - 6} more)" if len(unexpected) > 6 else "")
        raise CheckpointError(f"{source}: weights do not match the config ({hint}): unexpected tensors: {shown}")
    with torch.no_grad():
        for name, param in params.items():
            src = tensors[mapping[name]]
            if not src.is_floating_point():
                raise CheckpointError(f"{source}: tensor {mapping[name]!r} expected a float dtype, got {src.dtype}")
            param.copy_(src.to(param.dtype))
