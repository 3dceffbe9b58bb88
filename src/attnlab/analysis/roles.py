"""Head roles from attention maps: positional, special-token ("parking"), rare-token heads,
entropy and mean attention distance.

Definitions (all averaged over every real query token of every sentence):

- positional head (Voita et al., 2019, "Analyzing Multi-Head Self-Attention"): the key that receives
  a query's maximum attention lies at the same relative offset j - i (offset ≠ 0) for at least
  ``threshold`` (90%) of queries;
- self head: the same with offset 0 (a token attending to itself);
- special-token heads: mean attention mass on [CLS] and [SEP] (Clark et al., 2019, "What does BERT
  look at?", call this a no-op "parking" of attention); flagged above ``special_threshold``;
- rare-token head (Voita et al., 2019): fraction of queries whose maximum attention goes to the
  sentence's least frequent non-special token (frequency counted on the corpus); chance level is
  the mean of 1 / (number of keys);
- entropy: -Σ_j a_ij log a_ij in nats; mean distance: Σ_j a_ij |i - j| in tokens.

The functions take plain attention tensors, so they work for any attnlab model that returns
per-head weights.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import torch

__all__ = ["AttentionSample", "HeadRoles", "collect_attention_samples", "head_roles", "offset_mass", "token_counts"]


@dataclass
class AttentionSample:
    """Attention of one sentence: ``weights`` (L, H, T, T) over its T real tokens, ``token_ids`` (T,)."""

    weights: torch.Tensor
    token_ids: torch.Tensor


@dataclass
class HeadRoles:
    """Per-head role statistics, each an (L, H) tensor, plus counts.

    Attributes:
        positional_offset: most frequent offset j - i of the maximally attended key.
        positional_frac: fraction of queries whose maximum is at ``positional_offset``.
        best_nonzero_offset / best_nonzero_frac: the same restricted to offsets ≠ 0.
        cls_mass, sep_mass: mean attention mass on [CLS] and on [SEP] keys.
        rare_frac: fraction of queries whose maximum is the rarest token; ``rare_chance`` (a float)
            the same fraction for a uniformly random key.
        entropy: mean attention entropy (nats). mean_distance: mean |i - j| weighted by attention.
        n_sentences, n_queries: how much data the statistics cover.
        threshold: the positional threshold used by :meth:`positional_heads`.
    """

    positional_offset: torch.Tensor
    positional_frac: torch.Tensor
    best_nonzero_offset: torch.Tensor
    best_nonzero_frac: torch.Tensor
    cls_mass: torch.Tensor
    sep_mass: torch.Tensor
    rare_frac: torch.Tensor
    rare_chance: float
    entropy: torch.Tensor
    mean_distance: torch.Tensor
    n_sentences: int
    n_queries: int
    threshold: float = 0.9

    def positional_heads(self, threshold: float | None = None) -> list[tuple[int, int, int]]:
        """(layer, head, offset) of heads whose max attention sits at one offset ≠ 0 ≥ threshold of the time."""
        t = self.threshold if threshold is None else threshold
        idx = (self.best_nonzero_frac >= t).nonzero().tolist()
        return [(l, h, int(self.best_nonzero_offset[l, h])) for l, h in idx]

    def self_heads(self, threshold: float | None = None) -> list[tuple[int, int]]:
        """Heads whose max attention is on the query token itself ≥ threshold of the time."""
        t = self.threshold if threshold is None else threshold
        hit = (self.positional_offset == 0) & (self.positional_frac >= t)
        return [tuple(x) for x in hit.nonzero().tolist()]

    def special_heads(self, threshold: float = 0.5) -> list[tuple[int, int]]:
        """Heads putting more than ``threshold`` of their mass on [CLS] + [SEP]."""
        return [tuple(x) for x in ((self.cls_mass + self.sep_mass) > threshold).nonzero().tolist()]

    def rare_heads(self, threshold: float = 0.5) -> list[tuple[int, int]]:
        """Heads whose max attention goes to the rarest token more than ``threshold`` of the time."""
        return [tuple(x) for x in (self.rare_frac > threshold).nonzero().tolist()]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name, value in self.__dict__.items():
            out[name] = value.tolist() if isinstance(value, torch.Tensor) else value
        out["positional_heads"] = self.positional_heads()
        return out


def token_counts(token_ids: Iterable[torch.Tensor]) -> Counter[int]:
    """Corpus frequency of each token id."""
    counts: Counter[int] = Counter()
    for ids in token_ids:
        counts.update(ids.tolist())
    return counts


def head_roles(
    samples: Sequence[AttentionSample],
    *,
    counts: Counter[int] | None = None,
    cls_id: int | None = None,
    sep_id: int | None = None,
    threshold: float = 0.9,
) -> HeadRoles:
    """Compute :class:`HeadRoles` from per-sentence attention maps.

    Args:
        samples: per sentence, weights (L, H, T, T) restricted to real tokens and their ids (T,).
        counts: token frequencies for the rare-token statistic (default: counted on ``samples``).
        cls_id, sep_id: ids of [CLS] and [SEP] (None: no such token; its mass is 0 and it is not
            excluded from the rare-token search).
        threshold: fraction that makes a head positional.
    """
    if not samples:
        raise ValueError("samples: expected at least one sentence, got none")
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold: expected a value in (0, 1], got {threshold}")
    if counts is None:
        counts = token_counts(s.token_ids for s in samples)
    L, H = samples[0].weights.shape[:2]
    max_t = max(s.weights.shape[-1] for s in samples)
    offset_hist = torch.zeros(L, H, 2 * max_t - 1, dtype=torch.float64)  # offset + max_t - 1
    cls_mass = torch.zeros(L, H, dtype=torch.float64)
    sep_mass = torch.zeros_like(cls_mass)
    entropy = torch.zeros_like(cls_mass)
    distance = torch.zeros_like(cls_mass)
    rare_hits = torch.zeros_like(cls_mass)
    rare_queries = 0
    rare_chance = 0.0
    n_queries = 0
    for s in samples:
        w = s.weights.double()  # (L, H, T, T)
        T = w.shape[-1]
        if w.shape[:2] != (L, H) or w.shape[-2:] != (T, T) or s.token_ids.shape != (T,):
            raise ValueError(f"samples: expected weights ({L}, {H}, T, T) and token_ids (T,), got "
                             f"{tuple(w.shape)} and {tuple(s.token_ids.shape)}")
        pos = torch.arange(T)
        argmax = w.argmax(-1)  # (L, H, T)
        offsets = argmax - pos + (max_t - 1)  # (L, H, T)
        offset_hist.scatter_add_(-1, offsets, torch.ones_like(offsets, dtype=torch.float64))
        ids = s.token_ids
        if cls_id is not None:
            cls_mass += w[..., ids == cls_id].sum(-1).sum(-1)
        if sep_id is not None:
            sep_mass += w[..., ids == sep_id].sum(-1).sum(-1)
        entropy += -(w * w.clamp_min(1e-30).log()).sum(-1).sum(-1)
        dist = (pos[None, :] - pos[:, None]).abs().double()  # (T, T)
        distance += (w * dist).sum(-1).sum(-1)
        n_queries += T
        special = torch.zeros(T, dtype=torch.bool)
        for sid in (cls_id, sep_id):
            if sid is not None:
                special |= ids == sid
        candidates = (~special).nonzero().flatten()
        if len(candidates) >= 2:
            freq = torch.tensor([counts.get(int(ids[j]), 0) for j in candidates.tolist()])
            rarest = candidates[freq == freq.min()]  # positions holding the rarest token
            is_rare = torch.zeros(T, dtype=torch.bool)
            is_rare[rarest] = True
            rare_hits += is_rare[argmax].double().sum(-1)
            rare_queries += T
            rare_chance += float(len(rarest))  # Σ over queries of |rarest| / T
    n = float(n_queries)
    best = offset_hist.argmax(-1)  # (L, H)
    frac = offset_hist.gather(-1, best[..., None])[..., 0] / n
    nonzero = offset_hist.clone()
    nonzero[..., max_t - 1] = -1.0
    best_nz = nonzero.argmax(-1)
    frac_nz = nonzero.gather(-1, best_nz[..., None])[..., 0].clamp_min(0) / n
    return HeadRoles(
        positional_offset=best - (max_t - 1),
        positional_frac=frac.float(),
        best_nonzero_offset=best_nz - (max_t - 1),
        best_nonzero_frac=frac_nz.float(),
        cls_mass=(cls_mass / n).float(),
        sep_mass=(sep_mass / n).float(),
        rare_frac=(rare_hits / max(rare_queries, 1)).float(),
        rare_chance=rare_chance / max(rare_queries, 1),
        entropy=(entropy / n).float(),
        mean_distance=(distance / n).float(),
        n_sentences=len(samples),
        n_queries=n_queries,
        threshold=threshold,
    )


@torch.no_grad()
def collect_attention_samples(encoder: Any, texts: Sequence[str], *, batch_size: int = 32) -> list[AttentionSample]:
    """Run a :class:`~attnlab.pretrained.BertEncoder` on ``texts`` and keep each sentence's maps.

    Returns one :class:`AttentionSample` per text, with weights (L, H, T, T) over its T real tokens.
    """
    samples: list[AttentionSample] = []
    device = next(encoder.parameters()).device
    for start in range(0, len(texts), batch_size):
        batch = encoder.encode(list(texts[start:start + batch_size]))
        out = encoder(batch.input_ids.to(device), key_mask=batch.key_mask.to(device),
                      token_type_ids=batch.token_type_ids.to(device), need_weights=True)
        stacked = torch.stack(out.attentions, dim=1).float().cpu()  # (B, L, H, T, T)
        for i in range(stacked.shape[0]):
            n = int(batch.key_mask[i].sum())
            samples.append(AttentionSample(weights=stacked[i, :, :, :n, :n].clone(),
                                           token_ids=batch.input_ids[i, :n].clone()))
    return samples


def offset_mass(weights: torch.Tensor) -> torch.Tensor:
    """Mean attention a query puts on the key at each relative offset j - i.

    Args:
        weights: (B, H, T, T) attention weights of one layer (rows sum to 1).

    Returns:
        (H, 2T - 1) tensor: entry ``[h, T - 1 + o]`` is head h's mean weight on key ``i + o`` over batch and
        query positions (offsets that fall outside the sequence contribute nothing).
    """
    if weights.dim() != 4 or weights.shape[-1] != weights.shape[-2]:
        raise ValueError(f"weights: expected (B, H, T, T), got {tuple(weights.shape)}")
    b, h, t, _ = weights.shape
    pos = torch.arange(t)
    idx = (pos[None, :] - pos[:, None] + (t - 1)).flatten()  # (T*T,) offset j - i shifted to [0, 2T-2]
    mean_map = weights.double().mean(0).reshape(h, t * t)  # (H, T*T)
    mass = torch.zeros(h, 2 * t - 1, dtype=torch.float64).index_add_(1, idx, mean_map)
    return (mass / t).float()
