"""Attention: score functions, masks, kernels, the multi-head module and its config, the KV cache, the
position schemes and the positions that act inside attention (rotary and its long-context scalings, ALiBi, T5
relative bias), the streaming cache, and the kernels of the recurrent mixers (linear attention, the delta rule)."""

from attnlab.attention.alibi import ALiBi, alibi_slopes
from attnlab.attention.cache import KVCache
from attnlab.attention.config import AttentionConfig
from attnlab.attention.kernels import attention
from attnlab.attention.multihead import MultiHeadAttention
from attnlab.attention.position_schemes import POSITION_SCHEMES, PositionScheme, position_scheme
from attnlab.attention.recurrent_state import RecurrentState
from attnlab.attention.relative_bias import RelativePositionBias, relative_position_bucket
from attnlab.attention.rope_scaling import RopeScaling
from attnlab.attention.rotary import apply_rotary
from attnlab.attention.scores import Score, get_score, list_scores, make_score, register_score
from attnlab.attention.streaming import StreamingKVCache, streaming_visibility

__all__ = [
    "POSITION_SCHEMES",
    "ALiBi",
    "AttentionConfig",
    "KVCache",
    "MultiHeadAttention",
    "PositionScheme",
    "RecurrentState",
    "RelativePositionBias",
    "RopeScaling",
    "Score",
    "StreamingKVCache",
    "alibi_slopes",
    "apply_rotary",
    "attention",
    "get_score",
    "list_scores",
    "make_score",
    "position_scheme",
    "register_score",
    "relative_position_bucket",
    "streaming_visibility",
]
