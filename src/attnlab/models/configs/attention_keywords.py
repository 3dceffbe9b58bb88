"""The attention switches as the Transformer configs and blocks take them.

A Transformer config holds its self-attention's switches in one :class:`~attnlab.attention.AttentionConfig`
(``config.attention``) and derives the rest of that config (width, heads, biases, dropout, the position
scheme, causality) from its own fields. The configs and blocks also take the switches as flat keywords
(``score=``, ``n_kv_heads=``, ``attn_impl=``...: :data:`ATTENTION_KEYWORDS`), and the configs read them
back as attributes (``config.score``).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import Any

from attnlab.attention.config import AttentionConfig

__all__ = ["ATTENTION_KEYWORDS", "DERIVED_FIELDS", "attention_fields", "nest_attention_keywords", "switch_readers",
           "transformer_config"]

# AttentionConfig fields that a Transformer config derives from its own fields; the others are the switches
# it passes through
DERIVED_FIELDS = ("d_model", "n_heads", "bias", "dropout", "positions", "relative_bidirectional", "kdim", "vdim",
                  "head_dim")
_KEYWORD_OF = {"impl": "attn_impl"}  # model-level spelling of an attention field, where it differs
# model-level keyword -> AttentionConfig field, for every switch a Transformer config passes through
ATTENTION_KEYWORDS: dict[str, str] = {
    _KEYWORD_OF.get(f.name, f.name): f.name for f in dataclasses.fields(AttentionConfig) if f.name not in DERIVED_FIELDS
}


def attention_fields(keywords: dict[str, Any], reserved: tuple[str, ...] = ()) -> dict[str, Any]:
    """AttentionConfig fields from keywords spelled as the models spell them (``attn_impl`` for ``impl``).

    Raises:
        ValueError: for a name that is not an attention switch, or one in ``reserved`` (set elsewhere).
    """
    allowed = {**ATTENTION_KEYWORDS, **{n: n for n in DERIVED_FIELDS if n not in reserved}}
    unknown = sorted(set(keywords) - set(allowed))
    if unknown:
        raise ValueError(f"{unknown[0]}: expected an attention switch, one of {sorted(allowed)}, got {unknown}")
    return {allowed[name]: value for name, value in keywords.items()}


def nest_attention_keywords(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Move flat attention keywords (``score=``, ``attn_impl=``...) into the ``attention`` dict."""
    flat = {k: kwargs[k] for k in kwargs if k in ATTENTION_KEYWORDS}
    if not flat:
        return kwargs
    given = kwargs.get("attention")
    if given is not None and not isinstance(given, dict):
        raise ValueError(f"attention: expected an AttentionConfig or the attention keywords, got both "
                         f"(attention and {sorted(flat)})")
    nested = dict(given or {})
    for name, value in flat.items():
        field = ATTENTION_KEYWORDS[name]
        if field in nested:
            raise ValueError(f"{name}: given twice, as a keyword and in attention[{field!r}]")
        nested[field] = value
    return {**{k: v for k, v in kwargs.items() if k not in flat}, "attention": nested}


def transformer_config(cls: type) -> type:
    """A frozen keyword-only dataclass whose constructor also takes the flat attention keywords."""
    cls = dataclasses.dataclass(frozen=True, kw_only=True)(cls)
    fields_init: Callable[..., None] = cls.__init__

    @functools.wraps(fields_init)
    def __init__(self: Any, **kwargs: Any) -> None:
        fields_init(self, **nest_attention_keywords(kwargs))

    cls.__init__ = __init__
    return cls


def switch_readers(cls: type) -> type:
    """Give config class ``cls`` a read-only attribute per flat keyword: ``config.score`` reads
    ``config.attention.score``, ``config.attn_impl`` reads ``config.attention.impl``."""
    for keyword, field in ATTENTION_KEYWORDS.items():
        setattr(cls, keyword, property(lambda self, f=field: getattr(self.attention, f), doc=f"``attention.{field}``"))
    return cls
