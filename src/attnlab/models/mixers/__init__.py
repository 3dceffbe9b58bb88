"""Token mixers: what a Transformer block runs in place of softmax attention (``mixer=`` on the models and
:class:`~attnlab.attention.AttentionConfig`).

============== ==================================================== ======================================
mixer          module                                               paper
============== ==================================================== ======================================
softmax        :class:`~attnlab.attention.MultiHeadAttention`       Vaswani et al. 2017
mla            :class:`MultiHeadLatentAttention`                    DeepSeek-AI 2024 (DeepSeek-V2)
differential   :class:`DifferentialAttention`                       Ye et al. 2025 (ICLR)
linear         :class:`LinearAttention`                             Katharopoulos et al. 2020
delta          :class:`DeltaNet`                                    Schlag et al. 2021; Yang et al. 2024
gated_delta    :class:`GatedDeltaNet`                               Yang, Kautz & Hatamizadeh 2024
============== ==================================================== ======================================
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from attnlab.attention import AttentionConfig, KVCache, MultiHeadAttention
from attnlab.attention.mixer_config import MIXERS
from attnlab.attention.recurrent_state import RecurrentState
from attnlab.models.mixers.common import Mixer
from attnlab.models.mixers.delta import DeltaNet, GatedDeltaNet
from attnlab.models.mixers.differential import DifferentialAttention
from attnlab.models.mixers.latent import MultiHeadLatentAttention
from attnlab.models.mixers.linear import LinearAttention

__all__ = ["MIXERS", "DeltaNet", "DifferentialAttention", "GatedDeltaNet", "LinearAttention", "Mixer",
           "MultiHeadLatentAttention", "kv_cache_bytes", "layer_cache", "make_mixer"]

_MODULES: dict[str, type[Mixer]] = {"mla": MultiHeadLatentAttention, "differential": DifferentialAttention,
                                    "linear": LinearAttention, "delta": DeltaNet, "gated_delta": GatedDeltaNet}


def make_mixer(config: AttentionConfig | dict[str, Any], *, layer_index: int = 0) -> nn.Module:
    """The module of ``config.mixer``: :class:`MultiHeadAttention` for ``"softmax"``, else a :class:`Mixer`.

    Args:
        config: an :class:`AttentionConfig` or a dict of its fields.
        layer_index: the block's depth from 0 (differential attention's λ_init reads it).
    """
    if not isinstance(config, (AttentionConfig, dict)):
        raise TypeError(f"config: expected an AttentionConfig or a dict of its fields, got {type(config).__name__}")
    mixer = config.get("mixer", "softmax") if isinstance(config, dict) else config.mixer
    if mixer == "softmax":  # validated once, in MultiHeadAttention (a seeded build draws the same weights)
        return MultiHeadAttention.from_config(config)
    if mixer not in _MODULES:
        AttentionConfig.from_dict(config)  # raises, naming the field
    return _MODULES[mixer](config, layer_index=layer_index)


def layer_cache(attn: nn.Module, max_len: int) -> KVCache | RecurrentState:
    """The cache a block's ``attn`` decodes with: a mixer's own (``make_cache``) or a :class:`KVCache`."""
    return attn.make_cache(max_len) if isinstance(attn, Mixer) else KVCache(max_len)


def kv_cache_bytes(model: nn.Module, dtype: torch.dtype | None = None) -> int:
    """Bytes the self-attention caches of ``model`` grow by per token (per sequence), over all layers.

    Per layer: :math:`2 H_{kv} D` numbers for softmax attention (MHA H_kv = H, GQA H_kv < H, MQA 1) and
    differential attention, :math:`d_c + d_R` for MLA (the latent and the rotary key), 0 for the
    recurrent mixers (their state does not grow). Times the element size of ``dtype`` (default: the
    model's parameters').

    Args:
        model: a model with ``layers`` (TransformerLM, TransformerDecoder, TransformerEncoder) or a
            ``decoder`` holding them (EncoderDecoder: cross-attention caches do not grow per token).
    """
    stack = getattr(model, "decoder", model)
    layers = getattr(stack, "layers", None)
    if layers is None:
        raise TypeError(f"model: expected an attnlab Transformer (with layers), got {type(model).__name__}")
    if dtype is None:
        dtype = next(model.parameters()).dtype
    numbers = 0
    for layer in layers:
        attn = layer.attn
        numbers += attn.cache_elements_per_token() if isinstance(attn, Mixer) else 2 * attn.n_kv_heads * attn.head_dim
    return numbers * torch.empty((), dtype=dtype).element_size()
