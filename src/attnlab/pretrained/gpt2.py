"""Build attnlab's :class:`~attnlab.models.TransformerLM` from a Hugging Face GPT-2 with the same weights.

GPT-2 is a pre-LN decoder-only Transformer with learned positions, a final LayerNorm ``ln_f``, the tanh
approximation of GELU ("gelu_new") and an ``lm_head`` tied to the token embedding. Its projections are
``Conv1D`` layers, i.e. ``y = x @ W + b`` with ``W`` of shape (in, out): the transpose of an
``nn.Linear`` weight. ``c_attn`` packs W_Q, W_K, W_V side by side along its output dimension.
"""

from __future__ import annotations

from typing import Any

import torch

from attnlab.models import TransformerLM

_ACTIVATIONS = {"gelu_new": "gelu_tanh", "gelu_pytorch_tanh": "gelu_tanh", "gelu": "gelu", "relu": "relu"}


def _copy(dst: torch.Tensor, src: torch.Tensor, name: str) -> None:
    if tuple(dst.shape) != tuple(src.shape):
        raise ValueError(f"{name}: expected a weight of shape {tuple(dst.shape)}, got {tuple(src.shape)}")
    dst.copy_(src)


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
    if getattr(cfg, "scale_attn_by_inverse_layer_idx", False):
        raise ValueError("hf_model.config.scale_attn_by_inverse_layer_idx: expected False, got True "
                         "(per-layer attention scaling is not supported)")
    act = cfg.activation_function
    if act not in _ACTIVATIONS:
        raise ValueError(f"hf_model.config.activation_function: expected one of {sorted(_ACTIVATIONS)}, "
                         f"got {act!r}")
    d_model = cfg.n_embd
    lm_head = getattr(hf_model, "lm_head", None)
    tied = lm_head is None or lm_head.weight is body.wte.weight
    model = TransformerLM(
        vocab_size=cfg.vocab_size,
        d_model=d_model,
        n_heads=cfg.n_head,
        n_layers=cfg.n_layer,
        max_len=cfg.n_positions,
        d_ff=cfg.n_inner or 4 * d_model,
        dropout=float(cfg.resid_pdrop),
        activation=_ACTIVATIONS[act],
        norm_first=True,
        norm_eps=float(cfg.layer_norm_epsilon),
        positions="learned",
        scale_embeddings=False,
        final_norm=True,
        tie_embeddings=tied,
        scale=None if getattr(cfg, "scale_attn_weights", True) else False,
    )
    ref = body.wte.weight
    model.to(device=ref.device, dtype=ref.dtype)
    with torch.no_grad():
        _copy(model.embed.tok.weight, body.wte.weight, "wte.weight")
        _copy(model.embed.pos.weight, body.wpe.weight, "wpe.weight")
        for i, (ours, theirs) in enumerate(zip(model.layers, body.h, strict=True)):
            p = f"h.{i}"
            _copy(ours.norm1.weight, theirs.ln_1.weight, f"{p}.ln_1.weight")
            _copy(ours.norm1.bias, theirs.ln_1.bias, f"{p}.ln_1.bias")
            w_qkv = theirs.attn.c_attn.weight.t()  # Conv1D (C, 3C) -> Linear layout (3C, C)
            b_qkv = theirs.attn.c_attn.bias
            wq, wk, wv = w_qkv.split(d_model, dim=0)  # each (C, C)
            bq, bk, bv = b_qkv.split(d_model, dim=0)
            attn = ours.attn
            _copy(attn.q_proj.weight, wq, f"{p}.attn.c_attn.weight[q]")
            _copy(attn.q_proj.bias, bq, f"{p}.attn.c_attn.bias[q]")
            _copy(attn.k_proj.weight, wk, f"{p}.attn.c_attn.weight[k]")
            _copy(attn.k_proj.bias, bk, f"{p}.attn.c_attn.bias[k]")
            _copy(attn.v_proj.weight, wv, f"{p}.attn.c_attn.weight[v]")
            _copy(attn.v_proj.bias, bv, f"{p}.attn.c_attn.bias[v]")
            _copy(attn.out_proj.weight, theirs.attn.c_proj.weight.t(), f"{p}.attn.c_proj.weight")
            _copy(attn.out_proj.bias, theirs.attn.c_proj.bias, f"{p}.attn.c_proj.bias")
            _copy(ours.norm2.weight, theirs.ln_2.weight, f"{p}.ln_2.weight")
            _copy(ours.norm2.bias, theirs.ln_2.bias, f"{p}.ln_2.bias")
            _copy(ours.ff.fc1.weight, theirs.mlp.c_fc.weight.t(), f"{p}.mlp.c_fc.weight")
            _copy(ours.ff.fc1.bias, theirs.mlp.c_fc.bias, f"{p}.mlp.c_fc.bias")
            _copy(ours.ff.fc2.weight, theirs.mlp.c_proj.weight.t(), f"{p}.mlp.c_proj.weight")
            _copy(ours.ff.fc2.bias, theirs.mlp.c_proj.bias, f"{p}.mlp.c_proj.bias")
        _copy(model.norm.weight, body.ln_f.weight, "ln_f.weight")
        _copy(model.norm.bias, body.ln_f.bias, "ln_f.bias")
        if not tied:
            _copy(model.lm_head.weight, lm_head.weight, "lm_head.weight")
    return model.eval()
