"""Build attnlab's :class:`~attnlab.models.TransformerLM` from the weights of a Hugging Face Llama.

Llama is a pre-norm decoder-only Transformer with RMSNorm (``norm="rms"``), rotary positions
(``positions="rope"``, rotate-half convention, base ``rope_theta``), grouped-query attention
(``n_kv_heads=num_key_value_heads``), a SwiGLU feed-forward (``activation="swiglu"``: attnlab's ``fc1``
holds ``gate_proj`` then ``up_proj``), no biases by default and an untied ``lm_head`` by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from attnlab.models import TransformerLM
from attnlab.pretrained.errors import CheckpointError
from attnlab.pretrained.hf_folder import load_named, tensor_getter

__all__ = ["llama_from_tensors"]


def _rope_theta(config: Mapping[str, Any], source: Path | str) -> float:
    """RoPE's base; a scaled RoPE (``rope_scaling`` / a ``rope_type`` other than default) is refused."""
    params = config.get("rope_parameters") or {}  # transformers >= 5 keeps RoPE settings here
    scaling = config.get("rope_scaling") or {}
    rope_type = params.get("rope_type", scaling.get("rope_type", scaling.get("type", "default")))
    if rope_type != "default":
        raise CheckpointError(f"{source}: config rope_type: expected 'default' (unscaled RoPE), got {rope_type!r}")
    return float(params.get("rope_theta", config.get("rope_theta", 10000.0)))


def llama_from_tensors(config: Mapping[str, Any], tensors: Mapping[str, torch.Tensor], *,
                       source: Path | str = "state_dict") -> TransformerLM:
    """A TransformerLM with the weights of a Llama given as its ``config.json`` dict and its tensors.

    Args:
        config: the Hugging Face Llama config as a dict.
        tensors: Hugging Face names (``model.layers.{i}.self_attn.q_proj.weight``...) -> tensors.
        source: where the tensors come from (named in errors).

    Raises:
        CheckpointError: an option TransformerLM does not implement (scaled RoPE, an activation other
            than SiLU, attention and MLP biases that differ), or tensors missing or of the wrong shape.
    """
    act = config.get("hidden_act", "silu")
    if act != "silu":
        raise CheckpointError(f"{source}: config hidden_act: expected 'silu' (SwiGLU), got {act!r}")
    bias = bool(config.get("attention_bias", False))
    if bool(config.get("mlp_bias", False)) != bias:
        raise CheckpointError(f"{source}: config attention_bias={bias} and mlp_bias={config.get('mlp_bias')}: "
                              f"expected them equal (one bias switch covers both)")
    n_heads = int(config["num_attention_heads"])
    d_model = int(config["hidden_size"])
    tied = bool(config.get("tie_word_embeddings", False))
    model = TransformerLM(
        vocab_size=int(config["vocab_size"]), d_model=d_model, n_heads=n_heads,
        n_layers=int(config["num_hidden_layers"]), max_len=int(config.get("max_position_embeddings", 2048)),
        d_ff=int(config["intermediate_size"]), activation="swiglu", norm="rms", norm_first=True,
        norm_eps=float(config.get("rms_norm_eps", 1e-6)), bias=bias, positions="rope", scale_embeddings=False,
        final_norm=True, tie_embeddings=tied, head_dim=config.get("head_dim") or d_model // n_heads,
        n_kv_heads=int(config.get("num_key_value_heads") or n_heads), rotary_base=_rope_theta(config, source),
    )
    get = tensor_getter(tensors, source)
    named = {"embed.tok.weight": get("model.embed_tokens.weight"), "norm.weight": get("model.norm.weight")}
    if not tied:
        named["lm_head.weight"] = get("lm_head.weight")
    for i in range(model.config.n_layers):
        p, ours = f"model.layers.{i}", f"layers.{i}"
        named[f"{ours}.norm1.weight"] = get(f"{p}.input_layernorm.weight")
        named[f"{ours}.norm2.weight"] = get(f"{p}.post_attention_layernorm.weight")
        kinds = ("weight", "bias") if bias else ("weight",)
        for kind in kinds:
            for theirs, mine in (("q_proj", "q_proj"), ("k_proj", "k_proj"), ("v_proj", "v_proj"),
                                 ("o_proj", "out_proj")):
                named[f"{ours}.attn.{mine}.{kind}"] = get(f"{p}.self_attn.{theirs}.{kind}")
            named[f"{ours}.ff.fc1.{kind}"] = torch.cat([get(f"{p}.mlp.gate_proj.{kind}"),
                                                        get(f"{p}.mlp.up_proj.{kind}")])
            named[f"{ours}.ff.fc2.{kind}"] = get(f"{p}.mlp.down_proj.{kind}")
    hint = ", ".join(f"{key}={config.get(key)}" for key in (
        "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "intermediate_size",
        "vocab_size"))
    load_named(model, named, source=source, hint=hint)
    return model.eval()
