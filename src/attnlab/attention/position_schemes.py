"""The position schemes: one registry of the names the ``positions`` switch takes, with what each one does.

A scheme tells attention where tokens are in one of three ways:

* **absolute embedding**: a (T, C) table added to the token embeddings before the first block
  (``sinusoidal``: Vaswani et al. 2017, section 3.5; ``learned``: GPT-2, BERT). Built by
  :mod:`attnlab.models.positions`.
* **rotary**: q and k are turned by an angle proportional to their position before the score, so that
  q·k depends on the distance only (``rope``: Su et al. 2021). Applied in
  :class:`~attnlab.attention.MultiHeadAttention` (:mod:`attnlab.attention.rotary`).
* **additive bias**: each head adds a function of the relative position ``j - i`` to its logits
  (``alibi``: Press et al. 2021, fixed slopes; ``t5``: Raffel et al. 2020, learned buckets). Built by
  :class:`~attnlab.attention.MultiHeadAttention` (:mod:`attnlab.attention.alibi`,
  :mod:`attnlab.attention.relative_bias`).

``none`` uses no position information at all (attention is then permutation-equivariant).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ATTENTION_POSITIONS",
    "EMBEDDING_POSITIONS",
    "POSITION_SCHEMES",
    "PositionScheme",
    "position_scheme",
]


@dataclass(frozen=True)
class PositionScheme:
    """One position scheme and its properties (at most one of the three kinds is true)."""

    name: str  # the value of the ``positions`` switch
    embedding: bool = False  # absolute: a (T, C) table added to the token embeddings
    rotary: bool = False  # q and k rotated by their positions before the score (inside self-attention)
    additive_bias: bool = False  # a per-head bias of the relative position added to the logits (inside)
    learned: bool = False  # the scheme has trained parameters

    @property
    def in_attention(self) -> bool:
        """True when the scheme acts inside self-attention (rotary or an additive bias)."""
        return self.rotary or self.additive_bias


POSITION_SCHEMES: dict[str, PositionScheme] = {
    s.name: s
    for s in (
        PositionScheme("sinusoidal", embedding=True),
        PositionScheme("learned", embedding=True, learned=True),
        PositionScheme("rope", rotary=True),
        PositionScheme("alibi", additive_bias=True),
        PositionScheme("t5", additive_bias=True, learned=True),
        PositionScheme("none"),
    )
}

# the names that act inside self-attention (None: none there), as MultiHeadAttention's ``positions`` takes them
ATTENTION_POSITIONS: tuple[str | None, ...] = (None, *(n for n, s in POSITION_SCHEMES.items() if s.in_attention))
# the names added to the token embeddings
EMBEDDING_POSITIONS: tuple[str, ...] = tuple(n for n, s in POSITION_SCHEMES.items() if s.embedding)


def position_scheme(name: str, argument: str = "positions") -> PositionScheme:
    """The registered scheme called ``name``; raises ValueError naming ``argument`` for an unknown one."""
    scheme = POSITION_SCHEMES.get(name) if isinstance(name, str) else None
    if scheme is None:
        raise ValueError(f"{argument}: expected one of {sorted(POSITION_SCHEMES)}, got {name!r}")
    return scheme
