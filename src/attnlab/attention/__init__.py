"""Attention: score functions, masks, kernels, the multi-head module and the KV cache."""

from attnlab.attention.cache import KVCache
from attnlab.attention.kernels import attention
from attnlab.attention.multihead import MultiHeadAttention
from attnlab.attention.scores import Score, get_score, list_scores, make_score, register_score

__all__ = [
    "KVCache",
    "MultiHeadAttention",
    "Score",
    "attention",
    "get_score",
    "list_scores",
    "make_score",
    "register_score",
]
