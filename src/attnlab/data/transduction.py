"""Copy, reverse and sort: route each symbol of the first half to its slot in the second half."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

from attnlab.data.base import IGNORE_INDEX, Batch, Task, as_generator
from attnlab.data.registry import register_task
from attnlab.validation import check_int

__all__ = ["CopyTask", "ReverseTask", "SortTask"]


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
        check_int("length", self.length, 1)
        check_int("n_symbols", self.n_symbols, 2)

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
        check_int("n", n)
        g = as_generator(generator)
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

