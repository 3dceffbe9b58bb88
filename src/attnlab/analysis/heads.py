"""Head importance (Michel et al., 2019) and pruning curves without retraining.

Michel, Levy & Neubig, "Are Sixteen Heads Really Better than One?" (NeurIPS 2019) gate each head's
output with a variable ξ_h (the head mask, 1 = keep) and score a head by

    I_h = E_x | ∂L(x) / ∂ξ_h |  evaluated at ξ = 1,

then normalize the scores of each layer by their L2 norm and prune the lowest-scoring heads.
The functions here are model-agnostic: they take a loss or a quality function of a head mask, so they
work on :class:`attnlab.pretrained.BertEncoder` and on attnlab's own trained models (any model whose
forward accepts ``head_mask`` (L, H)).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
import torch.nn.functional as F

__all__ = [
    "HeadImportance",
    "PruningPoint",
    "embedding_quality",
    "encoder_head_importance",
    "head_importance",
    "importance_order",
    "normalize_per_layer",
    "perturbed_view_objective",
    "pruning_curve",
    "random_order",
    "retrieval_objective",
]

PERTURBED_OBJECTIVE = (
    "perturbed-view cosine: L_i = -cos(e_i(ξ), t_i), e_i(ξ) the head-masked embedding of sentence i and t_i "
    "the detached full-model embedding of the same sentence with {rate:.0%} of its word tokens deleted "
    "(seeded, at least one)"
)

RETRIEVAL_OBJECTIVE = (
    "in-corpus retrieval InfoNCE: for each sentence i, cross-entropy of softmax_j(s · cos(e_i(ξ), t_j)) "
    "at j = i, where e_i(ξ) is the head-masked embedding of sentence i, t_j the detached full-model "
    "embeddings of all corpus sentences and s = {scale:g} (the MultipleNegativesRankingLoss scale "
    "all-MiniLM-L6-v2 was trained with)"
)


@dataclass
class HeadImportance:
    """Head importance scores.

    Attributes:
        raw: (L, H) mean over examples of |∂L/∂ξ_h|.
        normalized: (L, H) ``raw`` divided by the L2 norm of its layer (Michel et al. 2019).
        objective: the loss L, in words.
        n_examples: how many examples the expectation averaged over.
    """

    raw: torch.Tensor
    normalized: torch.Tensor
    objective: str
    n_examples: int

    def to_dict(self) -> dict[str, Any]:
        return {"raw": self.raw.tolist(), "normalized": self.normalized.tolist(),
                "objective": self.objective, "n_examples": self.n_examples}


@dataclass
class PruningPoint:
    """One point of a pruning curve: ``n_pruned`` heads (``fraction`` of all) gated to 0."""

    fraction: float
    n_pruned: int
    metrics: dict[str, float] = field(default_factory=dict)


def normalize_per_layer(scores: torch.Tensor, eps: float = 1e-20) -> torch.Tensor:
    """Divide each row (layer) of an (L, H) score matrix by its L2 norm."""
    if scores.dim() != 2:
        raise ValueError(f"scores: expected an (L, H) tensor, got shape {tuple(scores.shape)}")
    return scores / scores.norm(dim=1, keepdim=True).clamp_min(eps)


def head_importance(
    loss_fn: Callable[[Any, torch.Tensor], torch.Tensor],
    batches: Iterable[Any],
    n_layers: int,
    n_heads: int,
    *,
    per_example: bool = True,
    objective: str = "",
) -> HeadImportance:
    """Michel et al. 2019 head importance ``I_h = E_x |∂L(x)/∂ξ_h|`` at ξ = 1.

    Args:
        loss_fn: ``loss_fn(batch, head_mask)``. With ``per_example=True`` it receives a
            (B, L, H) mask (one gate per example, so per-example gradients come from one backward
            pass) and returns per-example losses (B,); each example's loss must depend only on its
            own gates. With ``per_example=False`` it receives an (L, H) mask and returns a scalar;
            the expectation is then over batches.
        batches: the data, passed to ``loss_fn`` one item at a time. With ``per_example=True``
            each batch must have a ``len()`` (its number of examples B).
        n_layers, n_heads: L and H.
        per_example: see ``loss_fn``.
        objective: description of the loss, kept in the result.

    Returns:
        :class:`HeadImportance` with raw and per-layer-normalized scores.
    """
    total = torch.zeros(n_layers, n_heads, dtype=torch.float64)
    count = 0
    for batch in batches:
        if per_example:
            B = len(batch)
            mask = torch.ones(B, n_layers, n_heads, requires_grad=True)
            losses = loss_fn(batch, mask)
            if losses.shape != (B,):
                raise ValueError(f"loss_fn: expected per-example losses of shape ({B},), got {tuple(losses.shape)}")
            (grad,) = torch.autograd.grad(losses.sum(), mask)
            total += grad.abs().sum(0).double()
            count += B
        else:
            mask = torch.ones(n_layers, n_heads, requires_grad=True)
            loss = loss_fn(batch, mask)
            if loss.dim() != 0:
                raise ValueError(f"loss_fn: expected a scalar loss, got shape {tuple(loss.shape)}")
            (grad,) = torch.autograd.grad(loss, mask)
            total += grad.abs().double()
            count += 1
    if count == 0:
        raise ValueError("batches: expected at least one batch, got none")
    raw = (total / count).float()
    return HeadImportance(raw=raw, normalized=normalize_per_layer(raw), objective=objective, n_examples=count)


def _chunks(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def retrieval_objective(encoder: Any, texts: Sequence[str], *, scale: float = 20.0,
                        batch_size: int = 32) -> tuple[Callable[[Any, torch.Tensor], torch.Tensor], list[Any]]:
    """An alternative task-free objective for head importance: in-corpus retrieval.

    The obvious "distance between masked and full embeddings" is minimal at ξ = 1 with a zero
    gradient, so |∂L/∂ξ| would be zero for every head. The in-corpus retrieval
    InfoNCE below keeps the full-model embeddings as detached targets and asks how well the masked
    embedding of sentence i still picks out its own target among all N corpus targets. Its gradient
    at ξ = 1 is non-zero: the positive term is stationary there, but the negatives are not, so a
    head scores high when removing it would make sentences harder to tell apart — what a
    retrieval-trained sentence encoder (all-MiniLM-L6-v2 was trained with this loss form, scale 20,
    on sentence pairs) is for. It needs no labels. On all-MiniLM-L6-v2 its first-order scores rank
    heads poorly for pruning (a short run pruned worse than random order), so
    :func:`perturbed_view_objective` is the default.

        L_i(ξ) = -log softmax_j( s · cos(e_i(ξ), t_j) )_i,   t_j = e_j(1) detached.

    Args:
        encoder: a :class:`~attnlab.pretrained.BertEncoder` (``encode``, ``sentence_embeddings``,
            ``embed``).
        texts: the corpus (N sentences).
        scale: the similarity scale s (inverse temperature).
        batch_size: anchors per batch.

    Returns:
        ``(loss_fn, batches)`` for :func:`head_importance` with ``per_example=True``.
    """
    targets = F.normalize(encoder.embed(list(texts), batch_size=batch_size), dim=-1)  # (N, C)
    index = list(range(len(texts)))
    batches = [list(chunk) for chunk in _chunks(index, batch_size)]

    def loss_fn(batch: list[int], head_mask: torch.Tensor) -> torch.Tensor:
        encoded = encoder.encode([texts[i] for i in batch])
        emb = F.normalize(encoder.sentence_embeddings(encoded, head_mask), dim=-1)  # (B, C)
        logits = scale * emb @ targets.T  # (B, N)
        return F.cross_entropy(logits, torch.tensor(batch), reduction="none")  # (B,)

    return loss_fn, batches


def perturbed_view_objective(encoder: Any, texts: Sequence[str], *, rate: float = 0.15, seed: int = 0,
                             batch_size: int = 32) -> tuple[Callable[[Any, torch.Tensor], torch.Tensor], list[Any]]:
    """The task-free objective used by default for head importance on a sentence encoder.

    Why this objective: "distance between masked and full embeddings of the same input" is minimal
    at ξ = 1 with a zero gradient, so Michel's |∂L/∂ξ| would vanish for every head. Here the target
    is the full model's embedding of a *perturbed view* of the sentence (a seeded ``rate`` of its
    word tokens deleted, at least one), detached:

        L_i(ξ) = -cos(e_i(ξ), t_i),   t_i = e(drop(x_i); ξ = 1).

    e_i(1) ≠ t_i, so the gradient at ξ = 1 is non-zero, and |∂L_i/∂ξ_h| measures how strongly head h
    moves the sentence embedding along the direction that separates the sentence from its corrupted
    view — a consistency signal of the kind sentence encoders are trained for, needing no labels.
    It is a proxy: the pruning curve measures directly how much of the full embedding survives.

    Returns:
        ``(loss_fn, batches)`` for :func:`head_importance` with ``per_example=True``.
    """
    if not 0.0 < rate < 1.0:
        raise ValueError(f"rate: expected a value in (0, 1), got {rate}")
    texts = list(texts)
    g = torch.Generator().manual_seed(seed)
    encoded = encoder.encode(texts)
    special = encoder.tokenizer.special_ids if encoder.tokenizer is not None else frozenset()
    views: list[torch.Tensor] = []
    for i in range(len(texts)):
        ids = encoded.input_ids[i, : int(encoded.key_mask[i].sum())]
        words = [j for j in range(len(ids)) if int(ids[j]) not in special]
        drop = torch.rand(len(words), generator=g) < rate
        if len(words) >= 2 and not bool(drop.any()):
            drop[int(torch.randint(len(words), (1,), generator=g))] = True
        if len(words) >= 1 and bool(drop.all()):
            drop[0] = False
        removed = {words[j] for j in range(len(words)) if bool(drop[j])}
        views.append(torch.tensor([int(t) for j, t in enumerate(ids) if j not in removed], dtype=torch.long))
    targets = []
    device = next(encoder.parameters()).device
    with torch.no_grad():
        for chunk in _chunks(views, batch_size):
            longest = max(len(v) for v in chunk)
            ids = torch.zeros(len(chunk), longest, dtype=torch.long)
            mask = torch.zeros(len(chunk), longest, dtype=torch.bool)
            for r, v in enumerate(chunk):
                ids[r, : len(v)] = v
                mask[r, : len(v)] = True
            out = encoder(ids.to(device), key_mask=mask.to(device))
            targets.append(encoder.pool(out.hidden, out.key_mask).float().cpu())
    target = torch.cat(targets)  # (N, C)
    batches = [list(chunk) for chunk in _chunks(list(range(len(texts))), batch_size)]

    def loss_fn(batch: list[int], head_mask: torch.Tensor) -> torch.Tensor:
        emb = encoder.sentence_embeddings(encoder.encode([texts[i] for i in batch]), head_mask)  # (B, C)
        return -F.cosine_similarity(emb, target[batch].to(emb.device), dim=-1)  # (B,)

    return loss_fn, batches


def encoder_head_importance(encoder: Any, texts: Sequence[str], *, objective: str = "perturbed",
                            batch_size: int = 32, rate: float = 0.15, scale: float = 20.0,
                            seed: int = 0) -> HeadImportance:
    """Head importance of a sentence encoder (Michel et al. 2019) under a stated task-free objective.

    Args:
        encoder: a :class:`~attnlab.pretrained.BertEncoder`.
        texts: the sentences the expectation runs over.
        objective: ``"perturbed"`` (:func:`perturbed_view_objective`, default) or ``"retrieval"``
            (:func:`retrieval_objective`).
        batch_size: sentences per forward/backward pass.
        rate, seed: token-deletion rate and seed of the perturbed views.
        scale: similarity scale of the retrieval objective.
    """
    if objective == "perturbed":
        loss_fn, batches = perturbed_view_objective(encoder, texts, rate=rate, seed=seed, batch_size=batch_size)
        description = PERTURBED_OBJECTIVE.format(rate=rate)
    elif objective == "retrieval":
        loss_fn, batches = retrieval_objective(encoder, texts, scale=scale, batch_size=batch_size)
        description = RETRIEVAL_OBJECTIVE.format(scale=scale)
    else:
        raise ValueError(f"objective: expected 'perturbed' or 'retrieval', got {objective!r}")
    was_training = encoder.training
    encoder.eval()
    try:
        return head_importance(loss_fn, batches, encoder.n_layers, encoder.n_heads, per_example=True,
                               objective=description)
    finally:
        encoder.train(was_training)


def importance_order(importance: torch.Tensor) -> list[tuple[int, int]]:
    """All (layer, head) pairs from least to most important (ties broken by position)."""
    L, H = importance.shape
    flat = importance.flatten().tolist()
    ranked = sorted(range(L * H), key=lambda i: (flat[i], i))
    return [(i // H, i % H) for i in ranked]


def random_order(n_layers: int, n_heads: int, seed: int) -> list[tuple[int, int]]:
    """All (layer, head) pairs in a seeded random order."""
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(n_layers * n_heads, generator=g).tolist()
    return [(i // n_heads, i % n_heads) for i in perm]


def pruning_curve(
    quality_fn: Callable[[torch.Tensor], dict[str, float]],
    order: Sequence[tuple[int, int]],
    n_layers: int,
    n_heads: int,
    fractions: Sequence[float] | None = None,
) -> list[PruningPoint]:
    """Quality as heads are removed in ``order``, without retraining.

    At fraction f the first ``round(f · L · H)`` heads of ``order`` are gated to 0 and
    ``quality_fn(head_mask (L, H))`` is evaluated.

    Args:
        quality_fn: maps a 0/1 head mask to named metrics.
        order: heads to remove first to last (e.g. :func:`importance_order`).
        n_layers, n_heads: L and H.
        fractions: fractions of heads to remove; default 0.0, 0.1, ..., 0.9.
    """
    if fractions is None:
        fractions = [i / 10 for i in range(10)]
    total = n_layers * n_heads
    if len(order) != total or len(set(order)) != total:
        raise ValueError(f"order: expected each of the {total} (layer, head) pairs once, got {len(order)} entries")
    points = []
    for f in fractions:
        if not 0.0 <= f <= 1.0:
            raise ValueError(f"fractions: expected values in [0, 1], got {f}")
        k = round(f * total)
        mask = torch.ones(n_layers, n_heads)
        for l, h in order[:k]:
            mask[l, h] = 0.0
        points.append(PruningPoint(fraction=float(f), n_pruned=k, metrics=dict(quality_fn(mask))))
    return points


def embedding_quality(encoder: Any, texts: Sequence[str], *,
                      batch_size: int = 64) -> Callable[[torch.Tensor], dict[str, float]]:
    """Quality of a head-masked sentence encoder relative to the full model, on ``texts``.

    Returns a function ``head_mask (L, H) -> {"cosine", "retrieval_at_1"}``:

    - ``cosine``: mean over sentences of cos(e_i(mask), e_i(full));
    - ``retrieval_at_1``: fraction of sentences whose nearest neighbour among the other corpus
      sentences (cosine) is the same under the masked and the full model.
    """
    if len(texts) < 2:
        raise ValueError(f"texts: expected at least 2 sentences, got {len(texts)}")
    texts = list(texts)
    full = F.normalize(encoder.embed(texts, batch_size=batch_size), dim=-1)  # (N, C)
    full_nn = _nearest(full)

    memo: dict[bytes, dict[str, float]] = {}

    def quality(head_mask: torch.Tensor) -> dict[str, float]:
        key = head_mask.detach().float().cpu().numpy().tobytes()
        if key not in memo:  # the same mask (e.g. nothing pruned) is evaluated once
            memo[key] = _quality(head_mask)
        return dict(memo[key])

    def _quality(head_mask: torch.Tensor) -> dict[str, float]:
        emb = F.normalize(encoder.embed(texts, batch_size=batch_size, head_mask=head_mask), dim=-1)
        return {
            "cosine": float((emb * full).sum(-1).mean()),
            "retrieval_at_1": float((_nearest(emb) == full_nn).float().mean()),
        }

    return quality


def _nearest(emb: torch.Tensor) -> torch.Tensor:
    sims = emb @ emb.T  # (N, N)
    sims.fill_diagonal_(float("-inf"))
    return sims.argmax(-1)
