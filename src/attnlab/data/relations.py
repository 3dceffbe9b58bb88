"""Tasks about relations between positions: associative recall, an asymmetric and a symmetric relation,
a dependency at a controlled distance, and several relations read at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
from einops import rearrange

from attnlab.data.base import IGNORE_INDEX, Batch, SymbolSequenceTask, Task, as_generator, distinct
from attnlab.data.baselines import mode_accuracy
from attnlab.data.registry import register_task
from attnlab.validation import check_choice, check_int

__all__ = ["AssociativeRecallTask", "FollowTask", "LongRangeTask", "MatchTask", "MultiRelationTask"]


# ----------------------------------------------------------------------------------------------------------
# Associative recall
# ----------------------------------------------------------------------------------------------------------
@register_task("assoc_recall")
@dataclass(frozen=True)
class AssociativeRecallTask(Task):
    """Associative recall: ``k1 v1 k2 v2 .. kP vP SEP q``; at the query, output the value stored under q.

    Tests content-based lookup (the query must attend to the position holding the same key and read the
    token after it: an induction-style two-step circuit), the mechanism behind in-context retrieval.
    Keys in one sequence are distinct; each query is one of them. Input ids: 0 pad, 1 SEP, then the
    ``n_keys`` key ids, then the ``n_values`` value ids. Targets are value indices at the ``n_queries``
    query positions, -100 elsewhere. Chance is 1 / n_values.
    """

    n_pairs: int = 4  # key/value pairs per sequence
    n_keys: int = 8  # key alphabet (>= n_pairs)
    n_values: int = 8  # value alphabet = number of classes
    n_queries: int = 1  # queries after SEP

    kind: ClassVar[str] = "tagging"
    SEP: ClassVar[int] = 1

    def __post_init__(self) -> None:
        check_int("n_pairs", self.n_pairs, 1)
        check_int("n_keys", self.n_keys, 1)
        check_int("n_values", self.n_values, 2)
        check_int("n_queries", self.n_queries, 1)
        if self.n_keys < self.n_pairs:
            raise ValueError(
                f"n_keys: expected >= n_pairs ({self.n_pairs}) so keys are distinct, got {self.n_keys}"
            )

    @property
    def vocab_size(self) -> int:
        return 2 + self.n_keys + self.n_values

    @property
    def n_classes(self) -> int:
        return self.n_values

    @property
    def seq_len(self) -> int:
        return 2 * self.n_pairs + 1 + self.n_queries

    def baselines(self) -> dict[str, float]:
        """Chance, and "no lookup": answer the most frequent value in the context, the best guess that does not
        use which key holds which value (each query is uniform among the pairs, so it is right with probability
        E[max count] / n_pairs over n_pairs uniform values; exact, :func:`attnlab.data.baselines.mode_accuracy`)."""
        return {"chance": 1.0 / self.n_values, "no_lookup": mode_accuracy(self.n_pairs, self.n_values)}

    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        check_int("n", n)
        g = as_generator(generator)
        keys = distinct(n, self.n_keys, self.n_pairs, g)  # (N, P) key indices
        values = torch.randint(0, self.n_values, (n, self.n_pairs), generator=g)  # (N, P)
        which = torch.randint(0, self.n_pairs, (n, self.n_queries), generator=g)  # (N, Q) pair index
        queries = keys.gather(1, which)  # (N, Q)
        answers = values.gather(1, which)  # (N, Q)
        key_ids, value_ids = keys + 2, values + 2 + self.n_keys
        pairs = rearrange([key_ids, value_ids], "two n p -> n (p two)")  # (N, 2P): k1 v1 k2 v2 ..
        sep = torch.full((n, 1), self.SEP, dtype=torch.long)
        inputs = torch.cat([pairs, sep, queries + 2], dim=1)  # (N, 2P+1+Q)
        ignore = torch.full((n, 2 * self.n_pairs + 1), IGNORE_INDEX, dtype=torch.long)
        targets = torch.cat([ignore, answers], dim=1)
        return Batch(
            inputs,
            targets,
            extra={"query_pos": torch.arange(2 * self.n_pairs + 1, self.seq_len).expand(n, -1).clone()},
        )


# ----------------------------------------------------------------------------------------------------------
# Asymmetric vs symmetric relations
# ----------------------------------------------------------------------------------------------------------
@register_task("follow")
@dataclass(frozen=True)
class FollowTask(SymbolSequenceTask):
    """Asymmetric relation: one position holds a MARK token; output the symbol that FOLLOWS it.

    The mark must attend to position m + 1 and not to m - 1. A symmetric score ``s(i, j) = s(j, i)``
    (e.g. a shared projection, W_Q = W_K, whose score x_i W Wᵀ x_j is also largest on the diagonal) cannot
    tell "the one after me" from "the one before me" by a translation-invariant rule, so this task
    separates separate-projection attention from shared-projection attention. Input ids: 0 pad, 1 MARK,
    2.. symbols. Target (a symbol index) only at the mark, -100 elsewhere. Chance is 1 / n_symbols.
    """

    length: int = 16  # sequence length
    n_symbols: int = 16  # alphabet size = number of classes

    kind: ClassVar[str] = "tagging"
    MARK: ClassVar[int] = 1

    def __post_init__(self) -> None:
        check_int("length", self.length, 3)
        check_int("n_symbols", self.n_symbols, 2)

    @property
    def vocab_size(self) -> int:
        return 2 + self.n_symbols

    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        check_int("n", n)
        g = as_generator(generator)
        x = torch.randint(0, self.n_symbols, (n, self.length), generator=g)  # (N, T) symbol indices
        mark = torch.randint(1, self.length - 1, (n,), generator=g)  # (N,) marks have a neighbour each side
        rows = torch.arange(n)
        inputs = x + 2
        inputs[rows, mark] = self.MARK
        targets = torch.full((n, self.length), IGNORE_INDEX, dtype=torch.long)
        targets[rows, mark] = x[rows, mark + 1]
        return Batch(inputs, targets, extra={"mark_pos": mark})


@register_task("match")
@dataclass(frozen=True)
class MatchTask(Task):
    """Symmetric relation: ``x_1 .. x_L SEP q``; at q, output whether q occurs among ``x_1 .. x_L``.

    The query must find "the same token", a symmetric relation (``s(a, b) = s(b, a)``), so a shared
    projection (W_Q = W_K) or no projection at all is enough; compare with :class:`FollowTask`. The body
    holds distinct symbols; half the queries are present (label 1), half absent (label 0). Input ids:
    0 pad, 1 SEP, 2.. symbols. Target only at the query position. Chance is 1 / 2.
    """

    length: int = 12  # body length
    n_symbols: int = 32  # alphabet size (> length so an absent symbol exists)

    kind: ClassVar[str] = "tagging"
    SEP: ClassVar[int] = 1

    def __post_init__(self) -> None:
        check_int("length", self.length, 1)
        check_int("n_symbols", self.n_symbols, None)
        if self.n_symbols <= self.length:
            raise ValueError(f"n_symbols: expected an int > length ({self.length}), got {self.n_symbols!r}")

    @property
    def vocab_size(self) -> int:
        return 2 + self.n_symbols

    @property
    def n_classes(self) -> int:
        return 2

    @property
    def seq_len(self) -> int:
        return self.length + 2

    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        check_int("n", n)
        g = as_generator(generator)
        perm = distinct(n, self.n_symbols, self.length + 1, g)  # (N, L+1) distinct symbols
        body, absent = perm[:, : self.length], perm[:, self.length]
        present = body.gather(1, torch.randint(0, self.length, (n, 1), generator=g)).squeeze(1)
        label = torch.randint(0, 2, (n,), generator=g)
        query = torch.where(label.bool(), present, absent)
        sep = torch.full((n, 1), self.SEP, dtype=torch.long)
        inputs = torch.cat([body + 2, sep, query[:, None] + 2], dim=1)  # (N, L+2)
        targets = torch.full((n, self.seq_len), IGNORE_INDEX, dtype=torch.long)
        targets[:, -1] = label
        match_pos = torch.where(label.bool(), (body == query[:, None]).long().argmax(dim=1), -1)
        return Batch(inputs, targets, extra={"match_pos": match_pos})


# ----------------------------------------------------------------------------------------------------------
# Long-range dependency
# ----------------------------------------------------------------------------------------------------------
@register_task("long_range")
@dataclass(frozen=True)
class LongRangeTask(SymbolSequenceTask):
    """Long-range dependency at a controlled distance: the target at position i is the symbol at i - distance.

    Attention reaches any distance in one step (path length O(1)); a CNN needs a receptive field of at
    least ``distance`` (O(log_k n) or O(n/k) layers) and an RNN must carry the symbol through ``distance``
    state updates (O(n)), cf. Vaswani et al. 2017 Table 1. ``targets="all"`` scores every position
    i >= distance; ``"last"`` only the last position (one dependency per sequence). Input ids: 0 pad,
    1.. symbols; targets are symbol indices. Chance is 1 / n_symbols.
    """

    length: int = 32  # sequence length
    distance: int = 8  # how far back the target symbol is
    n_symbols: int = 8  # alphabet size = number of classes
    targets: str = "all"  # "all" (every position >= distance) or "last"

    kind: ClassVar[str] = "tagging"

    def __post_init__(self) -> None:
        check_int("length", self.length, 2)
        check_int("n_symbols", self.n_symbols, 2)
        check_int("distance", self.distance, 0, high=self.length - 1)
        check_choice("targets", self.targets, ("all", "last"))

    @property
    def vocab_size(self) -> int:
        return 1 + self.n_symbols

    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        check_int("n", n)
        g = as_generator(generator)
        x = torch.randint(0, self.n_symbols, (n, self.length), generator=g)  # (N, T)
        targets = torch.full_like(x, IGNORE_INDEX)
        d = self.distance
        if self.targets == "all":
            targets[:, d:] = x[:, : self.length - d]
        else:
            targets[:, -1] = x[:, self.length - 1 - d]
        return Batch(x + 1, targets)




# ----------------------------------------------------------------------------------------------------------
# Several relations at once
# ----------------------------------------------------------------------------------------------------------
@register_task("multi_relation")
@dataclass(frozen=True)
class MultiRelationTask(Task):
    """Each output needs several relations at once: by default (x[i-1], x[i+2], x[0]).

    The target at position i encodes the tuple of symbols at the relative ``offsets`` (and the first
    token when ``include_first``) as one class, ``sum_r x_r * n_symbols**(R-1-r)``, so it is right only
    when every relation is read correctly. The class factorises over the relations, so a linear output
    layer can decode it once the symbols are gathered: the difficulty is in the attention, where one
    head per relation is the natural solution (heads have something to specialise in). Positions where an
    offset falls outside the sequence get -100. Input ids: 0 pad, 1.. symbols. Chance is
    1 / n_symbols**R.
    """

    length: int = 16  # sequence length
    n_symbols: int = 4  # alphabet size
    offsets: tuple[int, ...] = (-1, 2)  # relative positions read by each output
    include_first: bool = True  # also read the first token

    kind: ClassVar[str] = "tagging"
    MAX_CLASSES: ClassVar[int] = 4096

    def __post_init__(self) -> None:
        check_int("length", self.length, 2)
        check_int("n_symbols", self.n_symbols, 2)
        object.__setattr__(self, "offsets", tuple(self.offsets))  # JSON/TOML configs give lists
        for i, o in enumerate(self.offsets):
            check_int(f"offsets[{i}]", o, None)
        n_rel = len(self.offsets) + int(bool(self.include_first))
        if n_rel == 0:
            raise ValueError(
                "offsets: expected at least one relation (offsets non-empty or include_first=True)"
            )
        if self.n_symbols**n_rel > self.MAX_CLASSES:
            raise ValueError(
                f"n_symbols: expected n_symbols**{n_rel} <= {self.MAX_CLASSES} classes, got {self.n_symbols}"
            )
        lo, hi = min((*self.offsets, 0)), max((*self.offsets, 0))
        if hi - lo >= self.length:
            raise ValueError(
                f"offsets: expected a span shorter than length={self.length}, got {self.offsets}"
            )

    @property
    def n_relations(self) -> int:
        return len(self.offsets) + int(bool(self.include_first))

    @property
    def vocab_size(self) -> int:
        return 1 + self.n_symbols

    @property
    def n_classes(self) -> int:
        return self.n_symbols**self.n_relations

    @property
    def seq_len(self) -> int:
        return self.length

    def baselines(self) -> dict[str, float]:
        """Chance, and (with two or more relations) the best predictor that reads every relation but one.

        Reading all but relation r and guessing r uniformly is right with probability 1 / n_symbols, or always
        where r reads the same position as a kept relation (x[i-1] is x[0] at i = 1); the best r is taken,
        averaged over the positions that have a target. A model stuck at this value reads all but one relation.
        """
        out = {"chance": self.chance_accuracy}
        if self.n_relations < 2:
            return out
        t = self.length
        rows = [[i + o for o in self.offsets] + ([0] if self.include_first else [])
                for i in range(t) if all(0 <= i + o < t for o in self.offsets)]
        best = max(sum(1.0 if src[r] in src[:r] + src[r + 1:] else 1 / self.n_symbols for src in rows) / len(rows)
                   for r in range(self.n_relations))
        out["all_but_one_relation"] = best
        return out

    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        check_int("n", n)
        g = as_generator(generator)
        t = self.length
        x = torch.randint(0, self.n_symbols, (n, t), generator=g)  # (N, T)
        pos = torch.arange(t)
        valid = torch.ones(t, dtype=torch.bool)
        code = torch.zeros(n, t, dtype=torch.long)
        for off in self.offsets:
            src = pos + off
            valid &= (src >= 0) & (src < t)
            code = code * self.n_symbols + x[:, src.clamp(0, t - 1)]
        if self.include_first:
            code = code * self.n_symbols + x[:, :1]
        targets = code.masked_fill(~valid[None, :], IGNORE_INDEX)
        return Batch(x + 1, targets)
