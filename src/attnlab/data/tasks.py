"""Synthetic tasks, generated on the fly from a seed.

Every task is a small frozen dataclass with the same interface:

- ``task.sample(n, generator) -> Batch``: ``inputs`` (N, T) long token ids, ``targets`` (N, T) long with
  ``-100`` where there is nothing to predict (``kind == "tagging"``) or (N,) long
  (``kind == "classification"``), an optional ``key_mask`` (N, T) bool (True = real token) and ``extra``
  tensors (e.g. the position of the needle word).
- ``task.vocab_size`` (input ids lie in ``[0, vocab_size)``; id 0 is always padding), ``task.n_classes``
  (targets lie in ``[0, n_classes)``), ``task.seq_len`` (maximum T) and ``task.chance_accuracy`` (the accuracy
  of the best predictor that never looks at the inputs, per target position).

Nothing is downloaded: the same ``torch.Generator`` state gives the same batch on every machine.
Tasks are registered by name: ``make_task("copy", length=8)``, ``list_tasks()``.
"""

from __future__ import annotations

import dataclasses
import math
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from einops import rearrange
from torch import Tensor

__all__ = [
    "IGNORE_INDEX",
    "PAD_ID",
    "AssociativeRecallTask",
    "Batch",
    "CopyTask",
    "FollowTask",
    "LongRangeTask",
    "MatchTask",
    "MultiRelationTask",
    "NeedleSentimentTask",
    "ReverseTask",
    "SortTask",
    "Task",
    "WordSentimentTask",
    "get_task_class",
    "list_tasks",
    "make_task",
    "register_task",
]

IGNORE_INDEX = -100  # target value meaning "no prediction here" (the default ignore_index of cross_entropy)
PAD_ID = 0  # input id used for padding by every task


# ----------------------------------------------------------------------------------------------------------
# Batch
# ----------------------------------------------------------------------------------------------------------
@dataclass
class Batch:
    """One batch of examples.

    Attributes:
        inputs: (N, T) long token ids.
        targets: (N, T) long class ids with ``-100`` = ignore (tagging) or (N,) long (classification).
        key_mask: optional (N, T) bool, True for real tokens, False for padding.
        extra: task-specific tensors whose first dimension is N (e.g. ``"needle_pos"`` (N,)).
    """

    inputs: Tensor
    targets: Tensor
    key_mask: Tensor | None = None
    extra: dict[str, Tensor] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.inputs.dim() != 2:
            raise ValueError(f"inputs: expected shape (N, T), got {tuple(self.inputs.shape)}")
        n = self.inputs.shape[0]
        if self.targets.shape[0] != n:
            raise ValueError(
                f"targets: expected first dimension {n} (as inputs), got {tuple(self.targets.shape)}"
            )
        if self.key_mask is not None and (
            self.key_mask.shape != self.inputs.shape or self.key_mask.dtype != torch.bool
        ):
            raise ValueError(
                f"key_mask: expected a bool tensor of shape {tuple(self.inputs.shape)}, "
                f"got {self.key_mask.dtype} {tuple(self.key_mask.shape)}"
            )

    def __len__(self) -> int:
        return int(self.inputs.shape[0])

    def __getitem__(self, index: slice | Tensor) -> Batch:
        """Select examples (a slice or an index tensor along N), e.g. one rank's shard of a global batch."""
        return Batch(
            inputs=self.inputs[index],
            targets=self.targets[index],
            key_mask=None if self.key_mask is None else self.key_mask[index],
            extra={k: v[index] for k, v in self.extra.items()},
        )

    def to(self, device: torch.device | str) -> Batch:
        """Move every tensor to ``device``."""
        return Batch(
            inputs=self.inputs.to(device),
            targets=self.targets.to(device),
            key_mask=None if self.key_mask is None else self.key_mask.to(device),
            extra={k: v.to(device) for k, v in self.extra.items()},
        )


# ----------------------------------------------------------------------------------------------------------
# Base class and registry
# ----------------------------------------------------------------------------------------------------------
class Task(ABC):
    """Common interface of every task (synthetic or text). Subclasses set ``name`` and ``kind``."""

    name: ClassVar[str] = ""
    kind: ClassVar[str] = "tagging"  # "tagging" (per-token targets) or "classification" (one per sequence)

    @property
    @abstractmethod
    def vocab_size(self) -> int:
        """Number of input ids; id 0 is padding."""

    @property
    @abstractmethod
    def n_classes(self) -> int:
        """Number of output classes."""

    @property
    @abstractmethod
    def seq_len(self) -> int:
        """Maximum sequence length T."""

    @property
    def chance_accuracy(self) -> float:
        """Accuracy of the best predictor that ignores the inputs (averaged over target positions).

        Uniform classes by default; a task whose targets are not uniform (sort) overrides it.
        """
        return 1.0 / self.n_classes

    def baselines(self) -> dict[str, float]:
        """Exact accuracies of trivial predictors (at least ``"chance"``); a model must beat the best of them."""
        return {"chance": self.chance_accuracy}

    @abstractmethod
    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        """Draw ``n`` examples; ``generator``: a ``torch.Generator``, an int seed or None (global RNG)."""

    def config(self) -> dict[str, Any]:
        """The task's name and constructor arguments (JSON-able), e.g. for result files."""
        args = dataclasses.asdict(self) if dataclasses.is_dataclass(self) else {}
        return {"name": self.name, **args}


_REGISTRY: dict[str, type[Task]] = {}


def register_task(name: str) -> Callable[[type[Task]], type[Task]]:
    """Class decorator registering a task under ``name`` for :func:`make_task`."""

    def deco(cls: type[Task]) -> type[Task]:
        if name in _REGISTRY and _REGISTRY[name] is not cls:
            raise ValueError(f"task name {name!r} is already registered to {_REGISTRY[name].__name__}")
        cls.name = name
        _REGISTRY[name] = cls
        return cls

    return deco


def list_tasks() -> list[str]:
    """Names of the registered tasks, sorted."""
    return sorted(_REGISTRY)


def get_task_class(name: str) -> type[Task]:
    """The class registered under ``name``."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"task: expected one of {list_tasks()}, got {name!r}") from None


def make_task(name: str, **kwargs: Any) -> Task:
    """Build the task registered under ``name``, e.g. ``make_task("sort", length=6)``."""
    cls = get_task_class(name)
    try:
        return cls(**kwargs)
    except TypeError as exc:
        names = [f.name for f in dataclasses.fields(cls)] if dataclasses.is_dataclass(cls) else []
        raise TypeError(f"make_task({name!r}): {exc}; accepted arguments: {names}") from None


# ----------------------------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------------------------
def _generator(generator: torch.Generator | int | None) -> torch.Generator | None:
    if generator is None or isinstance(generator, torch.Generator):
        return generator
    if isinstance(generator, int) and not isinstance(generator, bool):
        return torch.Generator().manual_seed(generator)
    raise TypeError(
        f"generator: expected a torch.Generator, an int seed or None, got {type(generator).__name__}"
    )


def _check_n(n: int) -> None:
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n: expected a positive int, got {n!r}")


def _check_int(name: str, value: Any, low: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"{name}: expected an int >= {low}, got {value!r}")


def _distinct(n: int, pool: int, k: int, g: torch.Generator | None) -> Tensor:
    """(n, k) long: for each row, k distinct values from [0, pool) in random order."""
    return torch.rand(n, pool, generator=g).argsort(dim=1)[:, :k]


# ----------------------------------------------------------------------------------------------------------
# Copy / reverse / sort
# ----------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _SequenceTransductionTask(Task):
    """Shared layout: ``x_1 .. x_L SEP BLANK .. BLANK``; the L blank slots must be filled with f(x).

    Input ids: 0 pad, 1 SEP, 2 BLANK, 3.. symbols. Targets are symbol indices in [0, n_symbols) at the blank
    slots and -100 elsewhere, so ``seq_len = 2 * length + 1``. An encoder (no causal mask) must route each
    symbol from the first half to its slot in the second half through attention.
    """

    length: int = 8  # number of symbols to transform
    n_symbols: int = 8  # alphabet size

    kind: ClassVar[str] = "tagging"
    _OFFSET: ClassVar[int] = 3
    SEP: ClassVar[int] = 1
    BLANK: ClassVar[int] = 2

    def __post_init__(self) -> None:
        _check_int("length", self.length, 1)
        _check_int("n_symbols", self.n_symbols, 2)

    @property
    def vocab_size(self) -> int:
        return self.n_symbols + self._OFFSET

    @property
    def n_classes(self) -> int:
        return self.n_symbols

    @property
    def seq_len(self) -> int:
        return 2 * self.length + 1

    def _transform(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        _check_n(n)
        g = _generator(generator)
        x = torch.randint(0, self.n_symbols, (n, self.length), generator=g)  # (N, L) symbol indices
        sep = torch.full((n, 1), self.SEP, dtype=torch.long)
        blank = torch.full((n, self.length), self.BLANK, dtype=torch.long)
        inputs = torch.cat([x + self._OFFSET, sep, blank], dim=1)  # (N, 2L+1)
        ignore = torch.full((n, self.length + 1), IGNORE_INDEX, dtype=torch.long)
        targets = torch.cat([ignore, self._transform(x)], dim=1)  # (N, 2L+1)
        return Batch(inputs, targets)


@register_task("copy")
@dataclass(frozen=True)
class CopyTask(_SequenceTransductionTask):
    """Copy: blank slot j must output the j-th symbol.

    Tests purely positional routing (slot j attends to position j, a fixed offset of L + 1 back), the
    simplest thing attention does and a sanity check for any model/trainer combination. Chance is
    1 / n_symbols per token.
    """

    def _transform(self, x: Tensor) -> Tensor:
        return x


@register_task("reverse")
@dataclass(frozen=True)
class ReverseTask(_SequenceTransductionTask):
    """Reverse: blank slot j must output symbol L - 1 - j.

    Positional routing again, but the offset differs per slot, so relative-offset tricks do not suffice; an
    RNN must hold the whole sequence in its state. Chance is 1 / n_symbols per token.
    """

    def _transform(self, x: Tensor) -> Tensor:
        return x.flip(1)


@register_task("sort")
@dataclass(frozen=True)
class SortTask(_SequenceTransductionTask):
    """Sort: the blank slots must hold the symbols in ascending order.

    Needs content-based routing (which symbol belongs in slot j depends on all the others: a counting /
    comparison problem), not a fixed positional pattern. Chance (best input-independent guess per slot,
    i.e. the mode of the j-th order statistic of L uniform symbols) is computed exactly.
    """

    def _transform(self, x: Tensor) -> Tensor:
        return x.sort(dim=1).values

    @property
    def chance_accuracy(self) -> float:
        n, length = self.n_symbols, self.length

        def cdf(k: int, s: int) -> float:  # P(k-th smallest (1-based) <= s)
            if s < 0:
                return 0.0
            p = (s + 1) / n
            return sum(math.comb(length, j) * p**j * (1 - p) ** (length - j) for j in range(k, length + 1))

        best = [max(cdf(k, s) - cdf(k, s - 1) for s in range(n)) for k in range(1, length + 1)]
        return sum(best) / length


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
        _check_int("n_pairs", self.n_pairs, 1)
        _check_int("n_keys", self.n_keys, 1)
        _check_int("n_values", self.n_values, 2)
        _check_int("n_queries", self.n_queries, 1)
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

    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        _check_n(n)
        g = _generator(generator)
        keys = _distinct(n, self.n_keys, self.n_pairs, g)  # (N, P) key indices
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
class FollowTask(Task):
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
        _check_int("length", self.length, 3)
        _check_int("n_symbols", self.n_symbols, 2)

    @property
    def vocab_size(self) -> int:
        return 2 + self.n_symbols

    @property
    def n_classes(self) -> int:
        return self.n_symbols

    @property
    def seq_len(self) -> int:
        return self.length

    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        _check_n(n)
        g = _generator(generator)
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
        _check_int("length", self.length, 1)
        if not isinstance(self.n_symbols, int) or self.n_symbols <= self.length:
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
        _check_n(n)
        g = _generator(generator)
        perm = _distinct(n, self.n_symbols, self.length + 1, g)  # (N, L+1) distinct symbols
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
class LongRangeTask(Task):
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
        _check_int("length", self.length, 2)
        _check_int("n_symbols", self.n_symbols, 2)
        if not isinstance(self.distance, int) or not 0 <= self.distance < self.length:
            raise ValueError(f"distance: expected an int in [0, length={self.length}), got {self.distance!r}")
        if self.targets not in ("all", "last"):
            raise ValueError(f"targets: expected 'all' or 'last', got {self.targets!r}")

    @property
    def vocab_size(self) -> int:
        return 1 + self.n_symbols

    @property
    def n_classes(self) -> int:
        return self.n_symbols

    @property
    def seq_len(self) -> int:
        return self.length

    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        _check_n(n)
        g = _generator(generator)
        x = torch.randint(0, self.n_symbols, (n, self.length), generator=g)  # (N, T)
        targets = torch.full_like(x, IGNORE_INDEX)
        d = self.distance
        if self.targets == "all":
            targets[:, d:] = x[:, : self.length - d]
        else:
            targets[:, -1] = x[:, self.length - 1 - d]
        return Batch(x + 1, targets)


# ----------------------------------------------------------------------------------------------------------
# Needle sentiment
# ----------------------------------------------------------------------------------------------------------
NEUTRAL_WORDS = (
    "the", "a", "movie", "film", "was", "is", "it", "this", "plot", "actor", "scene", "story", "and", "of",
    "to", "with", "i", "we", "saw", "watched", "yesterday", "cinema", "ending", "music", "director", "cast",
    "about", "after", "then", "its", "screen", "night",
)  # fmt: skip
DISTRACTOR_WORDS = (
    "very", "really", "quite", "so", "extremely", "honestly", "truly", "surprisingly", "intense", "loud",
    "strange", "dark",
)  # fmt: skip
NEGATIVE_WORDS = ("hate", "awful", "terrible", "boring", "horrible", "dull")
POSITIVE_WORDS = ("love", "great", "excellent", "wonderful", "brilliant", "superb")


# ----------------------------------------------------------------------------------------------------------
class WordSentimentTask(Task):
    """A binary sentiment task over a small readable vocabulary: subclasses give ``words`` and ``length``."""

    kind: ClassVar[str] = "classification"
    class_names: ClassVar[tuple[str, str]] = ("negative", "positive")

    @property
    @abstractmethod
    def words(self) -> tuple[str, ...]:
        """The vocabulary: ``words[id]`` is the word for input id ``id`` (id 0 is ``"<pad>"``)."""

    def decode(self, ids: Tensor | list[int]) -> list[str]:
        """Words of one sequence of ids, padding dropped."""
        vocab = self.words
        return [vocab[int(i)] for i in ids if int(i) != PAD_ID]

    @property
    def vocab_size(self) -> int:
        return len(self.words)

    @property
    def n_classes(self) -> int:
        return 2

    @property
    def seq_len(self) -> int:
        return self.length


@register_task("needle")
@dataclass(frozen=True)
class NeedleSentimentTask(WordSentimentTask):
    """Needle sentiment (the seed's "I hate this movie"): one polar word hidden in neutral filler.

    Each text is a sequence of words from a small readable vocabulary (:attr:`words`): neutral filler,
    distractors (intensifiers such as "very", "intense", which look emotional but carry no polarity) and
    exactly one polar word ("hate", "awful", .. / "love", "great", ..) at a uniformly random position. The
    label is its polarity (0 negative, 1 positive). The model must find one token among many, which is
    what attention pooling does and mean/last pooling struggles with as texts grow. ``Batch.extra`` holds
    ``"needle_pos"`` (N,) and ``"lengths"`` (N,); with ``min_len < length`` the texts have random lengths,
    are right-padded with id 0 and come with a ``key_mask``. Chance is 1 / 2.
    """

    length: int = 32  # maximum number of words
    min_len: int | None = None  # shortest text (None = every text has `length` words)
    distractor_rate: float = 0.2  # probability that a filler word is a distractor

    def __post_init__(self) -> None:
        _check_int("length", self.length, 1)
        if self.min_len is not None and (
            not isinstance(self.min_len, int) or not 1 <= self.min_len <= self.length
        ):
            raise ValueError(
                f"min_len: expected None or an int in [1, length={self.length}], got {self.min_len!r}"
            )
        if not 0.0 <= float(self.distractor_rate) <= 1.0:
            raise ValueError(f"distractor_rate: expected a float in [0, 1], got {self.distractor_rate!r}")

    @property
    def words(self) -> tuple[str, ...]:
        """The vocabulary: ``words[id]`` is the word for input id ``id`` (id 0 is ``"<pad>"``)."""
        return ("<pad>", *NEUTRAL_WORDS, *DISTRACTOR_WORDS, *NEGATIVE_WORDS, *POSITIVE_WORDS)

    @property
    def polar_ids(self) -> dict[str, tuple[int, ...]]:
        """Input ids of the polar words: ``{"negative": (...), "positive": (...)}``."""
        start = 1 + len(NEUTRAL_WORDS) + len(DISTRACTOR_WORDS)
        neg = tuple(range(start, start + len(NEGATIVE_WORDS)))
        pos = tuple(range(neg[-1] + 1, neg[-1] + 1 + len(POSITIVE_WORDS)))
        return {"negative": neg, "positive": pos}

    def baselines(self) -> dict[str, float]:
        """Exact accuracies of trivial predictors.

        - ``chance``: the labels are balanced, 1/2.
        - ``bag_of_words``: the best predictor from the multiset of words (order dropped). Every text holds
          exactly one polar word and the label is its polarity, so the bag decides the label: 1.
        """
        return {"chance": self.chance_accuracy, "bag_of_words": 1.0}

    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        _check_n(n)
        g = _generator(generator)
        t, n_neu, n_dis = self.length, len(NEUTRAL_WORDS), len(DISTRACTOR_WORDS)
        neutral = 1 + torch.randint(0, n_neu, (n, t), generator=g)
        distract = 1 + n_neu + torch.randint(0, n_dis, (n, t), generator=g)
        use_dis = torch.rand(n, t, generator=g) < self.distractor_rate
        inputs = torch.where(use_dis, distract, neutral)  # (N, T) filler
        min_len = t if self.min_len is None else self.min_len
        lengths = torch.randint(min_len, t + 1, (n,), generator=g)  # (N,)
        needle_pos = (torch.rand(n, generator=g) * lengths).long().clamp(max=t - 1)  # uniform in [0, len)
        label = torch.randint(0, 2, (n,), generator=g)
        polar = self.polar_ids
        word = torch.randint(0, len(NEGATIVE_WORDS), (n,), generator=g)
        needle = torch.where(label.bool(), polar["positive"][0] + word, polar["negative"][0] + word)
        rows = torch.arange(n)
        inputs[rows, needle_pos] = needle
        key_mask = torch.arange(t)[None, :] < lengths[:, None]  # (N, T)
        inputs = inputs.masked_fill(~key_mask, PAD_ID)
        return Batch(
            inputs,
            label,
            key_mask=None if self.min_len is None or self.min_len == t else key_mask,
            extra={"needle_pos": needle_pos, "lengths": lengths},
        )


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
        _check_int("length", self.length, 2)
        _check_int("n_symbols", self.n_symbols, 2)
        object.__setattr__(self, "offsets", tuple(self.offsets))  # JSON/TOML configs give lists
        if not all(isinstance(o, int) and not isinstance(o, bool) for o in self.offsets):
            raise ValueError(f"offsets: expected a tuple of ints, got {self.offsets!r}")
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
        _check_n(n)
        g = _generator(generator)
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
