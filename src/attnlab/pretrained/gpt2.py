"""Build attnlab's :class:`~attnlab.models.TransformerLM` from a Hugging Face GPT-2 with the same weights.

GPT-2 is a pre-LN decoder-only Transformer with learned positions, a final LayerNorm ``ln_f``, the tanh
approximation of GELU ("gelu_new") and an ``lm_head`` tied to the token embedding. Its projections are
``Conv1D`` layers, i.e. ``y = x @ W + b`` with ``W`` of shape (in, out): the transpose of an
``nn.Linear`` weight. ``c_attn`` packs W_Q, W_K, W_V side by side along its output dimension.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from attnlab.models import TransformerLM
from attnlab.pretrained.errors import CheckpointError
from attnlab.pretrained.hf_folder import load_named, tensor_getter

_ACTIVATIONS = {"gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh", "gelu": "gelu", "relu": "relu"}


def gpt2_from_tensors(config: Mapping[str, Any], tensors: Mapping[str, torch.Tensor], *,
                      source: Path | str = "state_dict", tied: bool | None = None) -> TransformerLM:
    """A TransformerLM with the weights of a GPT-2 given as its ``config.json`` dict and its tensors.

    Args:
        config: the Hugging Face GPT-2 config as a dict (``n_embd``, ``n_head``, ``n_layer``...).
        tensors: Hugging Face names -> tensors, with or without the ``transformer.`` prefix.
        source: where the tensors come from (named in errors).
        tied: ``lm_head`` shares ``wte``; None reads ``tie_word_embeddings`` (default True).

    Returns:
        TransformerLM with ``positions="learned"``, ``norm_first=True``, ``activation="gelu_tanh"``,
        ``norm_eps=layer_norm_epsilon``, in ``eval()`` mode (float32, CPU).

    Raises:
        CheckpointError: an option TransformerLM does not implement (``scale_attn_by_inverse_layer_idx``,
            an unknown activation), or tensors missing or of the wrong shape.
    """
    if config.get("scale_attn_by_inverse_layer_idx", False):
        raise CheckpointError(f"{source}: config scale_attn_by_inverse_layer_idx: expected False, got True "
                              "(per-layer attention scaling is not supported)")
    act = config.get("activation_function", "gelu_new")
    if act not in _ACTIVATIONS:
        raise CheckpointError(f"{source}: config activation_function: expected one of {sorted(_ACTIVATIONS)}, "
                              f"got {act!r}")
    if tied is None:
        tied = bool(config.get("tie_word_embeddings", True))
    d_model = int(config["n_embd"])
    model = TransformerLM(
        vocab_size=int(config["vocab_size"]), d_model=d_model, n_heads=int(config["n_head"]),
        n_layers=int(config["n_layer"]), max_len=int(config["n_positions"]),
        d_ff=config.get("n_inner") or 4 * d_model, dropout=float(config.get("resid_pdrop", 0.0)),
        activation=_ACTIVATIONS[act], norm_first=True, norm_eps=float(config.get("layer_norm_epsilon", 1e-5)),
        positions="learned", scale_embeddings=False, final_norm=True, tie_embeddings=tied,
        scale=None if config.get("scale_attn_weights", True) else False,
    )
    get = tensor_getter(tensors, source, "transformer." if "transformer.wte.weight" in tensors else "")
    named = {"embed.tok.weight": get("wte.weight"), "embed.pos.weight": get("wpe.weight"),
             "norm.weight": get("ln_f.weight"), "norm.bias": get("ln_f.bias")}
    for i in range(model.config.n_layers):
        p, ours = f"h.{i}", f"layers.{i}"
        w_qkv = get(f"{p}.attn.c_attn.weight").t()  # Conv1D (C, 3C) -> Linear layout (3C, C)
        b_qkv = get(f"{p}.attn.c_attn.bias")
        if w_qkv.shape[0] != 3 * d_model:
            raise CheckpointError(f"{source}: {p}.attn.c_attn.weight expected {3 * d_model} outputs "
                                  f"(3 n_embd), got {w_qkv.shape[0]}")
        for name, w, b in zip("qkv", w_qkv.split(d_model), b_qkv.split(d_model), strict=True):
            named[f"{ours}.attn.{name}_proj.weight"], named[f"{ours}.attn.{name}_proj.bias"] = w, b
        for ours_name, theirs, transpose in (("attn.out_proj", "attn.c_proj", True), ("norm1", "ln_1", False),
                                             ("norm2", "ln_2", False), ("ff.fc1", "mlp.c_fc", True),
                                             ("ff.fc2", "mlp.c_proj", True)):
            w = get(f"{p}.{theirs}.weight")
            named[f"{ours}.{ours_name}.weight"] = w.t() if transpose else w
            named[f"{ours}.{ours_name}.bias"] = get(f"{p}.{theirs}.bias")
    if not tied:
        named["lm_head.weight"] = tensor_getter(tensors, source)("lm_head.weight")
    hint = (f"n_embd={d_model}, n_layer={config['n_layer']}, n_head={config['n_head']}, "
            f"vocab_size={config['vocab_size']}, n_positions={config['n_positions']}")
    load_named(model, named, source=source, hint=hint)
    return model.eval()


def from_hf_gpt2(hf_model: Any) -> TransformerLM:
    """Convert a Hugging Face ``GPT2LMHeadModel`` (or ``GPT2Model``) into an equivalent TransformerLM.

    The result has identical logits (up to float rounding) and is returned in ``eval()`` mode, on the
    source model's device and dtype. GPT-2's three dropout rates map to one: ``resid_pdrop``.

    Args:
        hf_model: a ``transformers`` GPT-2 model (``GPT2LMHeadModel`` or ``GPT2Model``).

    Returns:
        TransformerLM with ``positions="learned"``, ``norm_first=True``, ``activation="gelu_tanh"``,
        ``norm_eps=config.layer_norm_epsilon`` and a tied (or copied) ``lm_head``.

    Raises:
        TypeError: ``hf_model`` is not a GPT-2 model.
        ValueError: the GPT-2 config uses an option TransformerLM does not implement
            (``scale_attn_by_inverse_layer_idx``, an unknown activation).
    """
    cfg = getattr(hf_model, "config", None)
    if cfg is None or getattr(cfg, "model_type", None) != "gpt2":
        got = getattr(cfg, "model_type", type(hf_model).__name__)
        raise TypeError(f"hf_model: expected a Hugging Face GPT-2 model (model_type 'gpt2'), got {got!r}")
    body = getattr(hf_model, "transformer", hf_model)  # GPT2LMHeadModel wraps a GPT2Model
    lm_head = getattr(hf_model, "lm_head", None)
    tied = lm_head is None or lm_head.weight is body.wte.weight
    tensors = dict(body.state_dict())
    if not tied:
        tensors["lm_head.weight"] = lm_head.weight
    model = gpt2_from_tensors(cfg.to_dict(), tensors, source=type(hf_model).__name__, tied=tied)
    ref = body.wte.weight
    return model.to(device=ref.device, dtype=ref.dtype).eval()
