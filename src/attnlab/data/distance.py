"""A long-range dependency at a controlled distance, among distractors: recall the marked symbol.

:class:`MarkedRecallTask` ("marked_recall") isolates one dependency whose length is the only thing that
varies: every other token is a distractor that carries no information about the answer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from attnlab.data.base import IGNORE_INDEX, Batch, SymbolSequenceTask, as_generator
from attnlab.data.registry import register_task
from attnlab.validation import check_int

__all__ = ["MarkedRecallTask"]


@register_task("marked_recall")
@dataclass(frozen=True)
class MarkedRecallTask(SymbolSequenceTask):
    """Recall the one marked symbol at a query token ``distance`` positions after it.

    Layout of a sequence of ``length`` tokens: random plain symbols everywhere (distractors), except one
    *marked* symbol at a random position ``p`` and the ``QUERY`` token at ``p + distance``; the target at the
    query is the marked symbol's index, every other position is ignored (-100). ``p`` is uniform over
    ``[0, length - 1 - distance]``, so neither the marker nor the query sits at a fixed position (a model
    cannot count absolute positions; it must carry or fetch the symbol across ``distance`` positions).

    Every architecture can solve it in principle: attention matches the marked token by content in one
    step, a recurrent model latches the marked symbol into its state and carries it ``distance`` steps, a
    convolution stack reads it if its receptive field reaches ``distance`` positions back. The marker and the
    symbol are one token on purpose: a separate marker token followed by a symbol would add a local
    two-token pattern that an RNN or a CNN reads directly while attention needs a second layer for it,
    a difference unrelated to distance. Unlike :class:`~attnlab.data.LongRangeTask` (every position outputs
    the token ``distance`` back: a delay line that must hold ``distance`` symbols at once), one symbol is
    carried, so the task measures the length of a dependency and not the capacity of a memory.

    Input ids: 0 pad (unused), 1 ``QUERY``, ``2 .. 2 + S - 1`` plain symbols, ``2 + S .. 2 + 2S - 1`` marked
    symbols. Baselines (exact): the target is uniform and independent of every token but the marked one, so
    any predictor that does not read the marked token scores ``1 / n_symbols``.
    """

    length: int = 32  # sequence length T (the same for every distance, so only the distance varies)
    distance: int = 8  # positions from the marked symbol to the query
    n_symbols: int = 8  # alphabet size S = number of classes

    kind: ClassVar[str] = "tagging"
    QUERY: ClassVar[int] = 1
    _PLAIN: ClassVar[int] = 2

    def __post_init__(self) -> None:
        check_int("length", self.length, 2)
        check_int("n_symbols", self.n_symbols, 2)
        check_int("distance", self.distance, 1)
        if self.distance >= self.length:
            raise ValueError(f"distance: expected an int in [1, length={self.length}), got {self.distance!r}")

    @property
    def vocab_size(self) -> int:
        return self._PLAIN + 2 * self.n_symbols

    def baselines(self) -> dict[str, float]:
        """``chance`` and ``no_marker`` (any predictor that ignores the marked token): both ``1 / S``, exactly."""
        return {"chance": 1.0 / self.n_symbols, "no_marker": 1.0 / self.n_symbols}

    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        check_int("n", n)
        g = as_generator(generator)
        s = self.n_symbols
        inputs = self._PLAIN + torch.randint(0, s, (n, self.length), generator=g)  # (N, T) distractors
        symbol = torch.randint(0, s, (n,), generator=g)  # (N,) the symbol to recall
        marker = torch.randint(0, self.length - self.distance, (n,), generator=g)  # (N,) its position p
        query = marker + self.distance  # (N,)
        rows = torch.arange(n)
        inputs[rows, marker] = self._PLAIN + s + symbol
        inputs[rows, query] = self.QUERY
        targets = torch.full((n, self.length), IGNORE_INDEX, dtype=torch.long)
        targets[rows, query] = symbol
        return Batch(inputs, targets, extra={"marker_pos": marker, "query_pos": query})
