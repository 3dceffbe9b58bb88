"""The task interface: :class:`Batch`, :class:`Task`, and the helpers every task samples with.

Every task has the same interface:

- ``task.sample(n, generator) -> Batch``: ``inputs`` (N, T) long token ids, ``targets`` (N, T) long with
  ``-100`` where there is nothing to predict (``kind == "tagging"``) or (N,) long
  (``kind == "classification"``), an optional ``key_mask`` (N, T) bool (True = real token) and ``extra``
  tensors (e.g. the position of the needle word).
- ``task.vocab_size`` (input ids lie in ``[0, vocab_size)``; id 0 is always padding), ``task.n_classes``
  (targets lie in ``[0, n_classes)``), ``task.seq_len`` (maximum T) and ``task.chance_accuracy`` (the accuracy
  of the best predictor that never looks at the inputs, per target position).

Nothing is downloaded: the same ``torch.Generator`` state gives the same batch on every machine.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import Tensor

__all__ = ["IGNORE_INDEX", "PAD_ID", "Batch", "SymbolSequenceTask", "Task", "as_generator", "distinct"]

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
# Base class
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


class SymbolSequenceTask(Task):
    """A task over sequences of ``length`` tokens drawn from ``n_symbols`` symbols, whose targets are symbols.

    Subclasses are dataclasses with the fields ``length`` and ``n_symbols`` (the annotations below are only
    for readers: a plain base class gives a dataclass no fields). ``vocab_size`` stays theirs, as each adds
    its own markers to the alphabet.
    """

    length: int
    n_symbols: int

    @property
    def n_classes(self) -> int:
        return self.n_symbols

    @property
    def seq_len(self) -> int:
        return self.length


# ----------------------------------------------------------------------------------------------------------
# Sampling helpers
# ----------------------------------------------------------------------------------------------------------
def as_generator(generator: torch.Generator | int | None) -> torch.Generator | None:
    """``generator`` as a ``torch.Generator``: an int seeds a new one; None (the global RNG) passes through."""
    if generator is None or isinstance(generator, torch.Generator):
        return generator
    if isinstance(generator, int) and not isinstance(generator, bool):
        return torch.Generator().manual_seed(generator)
    raise TypeError(
        f"generator: expected a torch.Generator, an int seed or None, got {type(generator).__name__}"
    )


def distinct(n: int, pool: int, k: int, g: torch.Generator | None) -> Tensor:
    """(n, k) long: for each row, k distinct values from [0, pool) in random order."""
    return torch.rand(n, pool, generator=g).argsort(dim=1)[:, :k]

