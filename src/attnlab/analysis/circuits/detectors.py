"""Head detectors: how much of each head's attention goes where a known role would send it.

For a role, a target mask M (B, T, T) marks the keys j that query i should attend to; a head's score is
the attention mass it puts on those keys, :math:`\\sum_j \\alpha_{ij} M_{ij}`, averaged over the queries
that have at least one such key (and over the batch). 1 is a perfect detector hit; a uniform head scores
about |M_i| / (keys it sees).

- previous-token: j = i - 1;
- duplicate-token: j < i with x_j = x_i (the earlier copies of the same token);
- induction: j <= i with x_{j-1} = x_i (the token that followed an earlier copy: "A B ... A -> B";
  Olsson et al. 2022, "In-context Learning and Induction Heads"; TransformerLens' detectors).

Patterns: per layer (B, H, T, T), first layer first (e.g. from
:func:`attnlab.analysis.attribution.patterns_of`). Scores: (L, H).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from attnlab.analysis.attribution.graph import check_patterns
from attnlab.analysis.attribution.points import patterns_of

__all__ = ["DETECTORS", "detect_heads", "duplicate_token_scores", "induction_scores", "previous_token_scores",
           "role_mask", "role_scores"]

DETECTORS = ("previous_token", "duplicate_token", "induction")


def role_mask(kind: str, input_ids: Tensor | None, batch: int, length: int) -> Tensor:
    """The keys each query should attend to under role ``kind``: bool (B, T, T)."""
    i = torch.arange(length)[:, None]
    j = torch.arange(length)[None, :]
    if kind == "previous_token":
        return (j == i - 1).expand(batch, length, length)
    if not isinstance(input_ids, Tensor) or tuple(input_ids.shape) != (batch, length):
        got = tuple(input_ids.shape) if isinstance(input_ids, Tensor) else type(input_ids).__name__
        raise ValueError(f"input_ids: expected token ids of shape ({batch}, {length}) for {kind!r}, got {got}")
    ids = input_ids.cpu()
    if kind == "duplicate_token":
        return (ids[:, :, None] == ids[:, None, :]) & (j < i)
    if kind == "induction":
        before = torch.cat([ids.new_full((batch, 1), -1), ids[:, :-1]], dim=1)  # x_{j-1}, none for j = 0
        return (ids[:, :, None] == before[:, None, :]) & (j <= i) & (j >= 1)
    raise ValueError(f"kind: expected one of {DETECTORS}, got {kind!r}")


def role_scores(patterns: Sequence[Tensor], kind: str, input_ids: Tensor | None = None) -> Tensor:
    """Each head's attention mass on its role's keys, averaged over queries that have one: (L, H).

    Raises:
        ValueError: no query has a key of that role (e.g. no repeated token for duplicate/induction).
    """
    patterns = check_patterns(patterns)
    batch, _, length, _ = patterns[0].shape
    mask = role_mask(kind, input_ids, batch, length).to(patterns[0].device)  # (B, T, T)
    rows = mask.any(-1)  # (B, T): queries the role says something about
    if not rows.any():
        raise ValueError(f"input_ids: no query has a {kind.replace('_', '-')} key to attend to "
                         "(duplicate and induction scores need repeated tokens)")
    scores = []
    for p in patterns:
        mass = (p * mask[:, None].to(p.dtype)).sum(-1)  # (B, H, T)
        scores.append((mass * rows[:, None]).sum((0, 2)) / rows.sum())
    return torch.stack(scores).float()  # (L, H)


def previous_token_scores(patterns: Sequence[Tensor]) -> Tensor:
    """Mass on the previous token, per head (L, H)."""
    return role_scores(patterns, "previous_token")


def duplicate_token_scores(patterns: Sequence[Tensor], input_ids: Tensor) -> Tensor:
    """Mass on earlier copies of the query's own token, per head (L, H)."""
    return role_scores(patterns, "duplicate_token", input_ids)


def induction_scores(patterns: Sequence[Tensor], input_ids: Tensor) -> Tensor:
    """Mass on the tokens that followed earlier copies of the query's token, per head (L, H). On a random
    sequence repeated twice, a perfect induction head in the second half looks back T/2 - 1 tokens."""
    return role_scores(patterns, "induction", input_ids)


def detect_heads(model: Any, input_ids: Tensor, *, kinds: Sequence[str] = DETECTORS, **kw: Any) -> dict[str, Tensor]:
    """Every detector's scores (L, H) for ``model`` on ``input_ids`` (B, T) (``kw`` to its forward)."""
    _, patterns = patterns_of(model, input_ids, **kw)
    return {k: role_scores(patterns, k, input_ids) for k in kinds}
