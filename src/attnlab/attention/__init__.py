"""Attention: score functions, masks, kernels, the multi-head module and its config, the KV cache, the
position schemes and the positions that act inside attention (rotary, ALiBi, T5 relative bias)."""

from attnlab.attention.alibi import ALiBi, alibi_slopes
from attnlab.attention.cache import KVCache
from attnlab.attention.config import AttentionConfig
from attnlab.attention.kernels import attention
from attnlab.attention.multihead import MultiHeadAttention
from attnlab.attention.position_schemes import POSITION_SCHEMES, PositionScheme, position_scheme
from attnlab.attention.relative_bias import RelativePositionBias, relative_position_bucket
from attnlab.attention.rotary import apply_rotary
from attnlab.attention.scores import Score, get_score, list_scores, make_score, register_score

__all__ = [
    "POSITION_SCHEMES",
    "ALiBi",
    "AttentionConfig",
    "KVCache",
    "MultiHeadAttention",
    "PositionScheme",
    "RelativePositionBias",
    "Score",
    "alibi_slopes",
    "apply_rotary",
    "attention",
    "get_score",
    "list_scores",
    "make_score",
    "position_scheme",
    "register_score",
    "relative_position_bucket",
]
