"""Frozen, validated configuration dataclasses for every model in :mod:`attnlab.models`.

Every config is ``dataclasses.asdict``-able (plain ints, floats, strings, bools, ``None``, tuples and the
nested ``attention`` dict), so a trainer can store it as JSON beside the weights and rebuild the model with
``Model.from_config(json_dict)``. Validation happens in ``__post_init__``; a bad value raises ``ValueError``
(or ``TypeError`` for a wrong type) whose message names the field and says what was expected and what was
given.

* :mod:`.base`: ``to_dict`` / ``from_dict``, the field checks, the choice lists;
* :mod:`.attention_keywords`: the attention switches as flat keywords (``score=``, ``attn_impl=``...);
* :mod:`.transformer`: :class:`TransformerConfig` (its self-attention in one
  :class:`~attnlab.attention.AttentionConfig`, ``config.attention``) and one subclass per model;
* :mod:`.baselines`: the RNN and CNN configs.
"""

from attnlab.attention.position_schemes import EMBEDDING_POSITIONS
from attnlab.models.configs.attention_keywords import ATTENTION_KEYWORDS, attention_fields
from attnlab.models.configs.base import (
    ACTIVATIONS,
    ATTN_IMPLS,
    CELLS,
    NORMS,
    POSITIONS,
    RNN_POOLINGS,
    SEQ2SEQ_STYLES,
    SEQ_POOLINGS,
    ConfigMixin,
)
from attnlab.models.configs.baselines import CNNEncoderConfig, RNNClassifierConfig, RNNEncoderConfig, RNNSeq2SeqConfig
from attnlab.models.configs.transformer import (
    ClassifierConfig,
    DecoderConfig,
    EncoderConfig,
    EncoderDecoderConfig,
    LMConfig,
    TransformerConfig,
)

__all__ = [
    "ACTIVATIONS",
    "ATTENTION_KEYWORDS",
    "ATTN_IMPLS",
    "CELLS",
    "EMBEDDING_POSITIONS",
    "NORMS",
    "POSITIONS",
    "RNN_POOLINGS",
    "SEQ2SEQ_STYLES",
    "SEQ_POOLINGS",
    "CNNEncoderConfig",
    "ClassifierConfig",
    "ConfigMixin",
    "DecoderConfig",
    "EncoderConfig",
    "EncoderDecoderConfig",
    "LMConfig",
    "RNNClassifierConfig",
    "RNNEncoderConfig",
    "RNNSeq2SeqConfig",
    "TransformerConfig",
    "attention_fields",
]
