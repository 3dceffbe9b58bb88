"""Tasks for causal language models whose rule does not depend on the sequence length (q9, q10).

A model trained at one length can be tested at 2x or 4x that length on the same rule; what changes is only
how far the positions (and, for the global task, the distances) go. Both are next-token tagging: the target
at position i is the token at i + 1 where it can be predicted, ``-100`` elsewhere. Targets are input ids
(``n_classes == vocab_size``), so a language model's own output layer reads them.

- :class:`BlockCopyTask` ("block_copy", a *local* rule): blocks of ``block_len`` distinct symbols, each
  followed by its copy. Inside a copy the next token followed the current token ``block_len`` positions
  earlier, at every length (an induction head or a fixed offset solves it).
- :class:`MarkerTask` ("marker", a *global* rule): every token after a marker's follower outputs that
  follower. The marker can be anywhere, so the distance to look back grows with the length.

(A copy whose span length varies, and associative recall with separate key and value tokens, were tried as
global tasks: 2-layer models took far longer to form the induction circuit they need than the quick profile
allows.)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import ClassVar

import torch
from einops import rearrange

from attnlab.data.base import IGNORE_INDEX, Batch, Task, as_generator, distinct
from attnlab.data.registry import register_task
from attnlab.validation import check_int

__all__ = ["BlockCopyTask", "MarkerTask"]


class _NextTokenTask(Task):
    """Next-token targets over ``n_symbols`` symbols: classes are the input ids; chance is 1 / n_symbols."""

    n_symbols: int
    kind: ClassVar[str] = "tagging"

    @property
    def n_classes(self) -> int:
        return self.vocab_size

    @property
    def chance_accuracy(self) -> float:
        return 1.0 / self.n_symbols


@register_task("block_copy")
@dataclass(frozen=True)
class BlockCopyTask(_NextTokenTask):
    """Blocks of distinct symbols, each followed by its copy: ``a b c d a b c d e f g h e f g h ...``.

    Input ids: 0 pad, ``1 .. n_symbols`` symbols, ``n_symbols + 1`` BOS (with ``bos=True``, at position 0).
    Within a block the ``block_len`` symbols are distinct; blocks are independent. The predictable targets
    are the next tokens inside each copy: at the copy's k-th token (k = 1 .. block_len - 1) the next token is
    the block's (k+1)-th symbol, which followed the current token ``block_len`` positions earlier. The first
    token of a copy cannot be told from the current token alone and is not one of them.
    ``seq_len = 2 * n_blocks * block_len (+ 1 with bos)``; ``n_blocks * (block_len - 1)`` predictable targets.

    With ``dense=False`` only the predictable targets are set (``-100`` elsewhere). With ``dense=True``
    every position but the last has its next token as target, as in language modelling (the unpredictable
    ones included), and ``extra["predictable"]`` (N, T) marks the predictable ones.

    Baselines (exact, on the predictable targets): chance ``1 / n_symbols``; "order-free", a predictor that
    knows which symbols the block holds but not their order and guesses uniformly among those not yet
    copied: ``1 / (block_len - k)`` at the copy's k-th token, averaged over k.
    """

    n_blocks: int = 2  # block pairs (block + copy) per sequence; the length scales with it
    block_len: int = 8  # symbols per block (distinct within a block)
    n_symbols: int = 16  # alphabet (>= block_len)
    bos: bool = False  # a beginning-of-sequence token at position 0
    dense: bool = False  # next-token targets at every position (language modelling), not only the predictable

    def __post_init__(self) -> None:
        check_int("n_blocks", self.n_blocks, 1)
        check_int("block_len", self.block_len, 2)
        check_int("n_symbols", self.n_symbols, self.block_len)
        for name in ("bos", "dense"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name}: expected a bool, got {getattr(self, name)!r}")

    @property
    def bos_id(self) -> int:
        """The BOS token's id (used when ``bos=True``)."""
        return self.n_symbols + 1

    @property
    def vocab_size(self) -> int:
        return 2 + self.n_symbols if self.bos else 1 + self.n_symbols

    @property
    def seq_len(self) -> int:
        return 2 * self.n_blocks * self.block_len + int(self.bos)

    def baselines(self) -> dict[str, float]:
        w = self.block_len
        order_free = sum((Fraction(1, w - k) for k in range(1, w)), Fraction(0)) / (w - 1)
        return {"chance": self.chance_accuracy, "order_free": float(order_free)}

    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        check_int("n", n)
        g = as_generator(generator)
        m, w = self.n_blocks, self.block_len
        blocks = 1 + distinct(n * m, self.n_symbols, w, g).reshape(n, m, w)  # (N, M, W) symbol ids
        inputs = rearrange([blocks, blocks], "two n m w -> n (m two w)")  # (N, 2MW): block, copy, block, ...
        first = int(self.bos)
        if self.bos:
            inputs = torch.cat([torch.full((n, 1), self.bos_id, dtype=torch.long), inputs], dim=1)
        copy_starts = first + torch.arange(m) * 2 * w + w  # (M,) first position of each copy
        pos = (copy_starts[:, None] + torch.arange(w - 1)).flatten()  # (M*(W-1),) copy tokens 1 .. W-1
        predictable = torch.zeros_like(inputs, dtype=torch.bool)
        predictable[:, pos] = True
        targets = torch.full_like(inputs, IGNORE_INDEX)
        if self.dense:
            targets[:, :-1] = inputs[:, 1:]
            return Batch(inputs, targets, extra={"predictable": predictable})
        targets[:, pos] = inputs[:, pos + 1]
        return Batch(inputs, targets)


@register_task("marker")
@dataclass(frozen=True)
class MarkerTask(_NextTokenTask):
    """Find the token after the marker: ``x x MARK n x x x``; every token after ``n`` must output ``n``.

    One MARK token sits at a position m drawn uniformly from ``[0, mark_range)`` (default: anywhere it leaves
    room for two tokens after it); the token after it is the needle ``n``, a symbol. From position m + 2 on
    the target is ``n``, so the distance to look back runs from 1 to the whole sequence. Input ids: 0 pad,
    ``1 .. n_symbols`` symbols, ``n_symbols + 1`` MARK. ``n_classes == vocab_size``.

    Baselines (exact): chance ``1 / n_symbols``. (A predictor that copies the current token is right when it
    equals the needle, with probability ``1 / n_symbols``, no better than chance.)
    """

    length: int = 32  # sequence length T
    n_symbols: int = 16  # symbol alphabet
    mark_range: int | None = None  # the marker sits in [0, mark_range); None: length - 2

    def __post_init__(self) -> None:
        check_int("length", self.length, 3)
        check_int("n_symbols", self.n_symbols, 2)
        check_int("mark_range", self.mark_range, 1, optional=True)
        if self.mark_range is not None and self.mark_range > self.length - 2:
            raise ValueError(f"mark_range: expected <= length - 2 = {self.length - 2}, got {self.mark_range}")

    @property
    def mark(self) -> int:
        """The marker's id."""
        return self.n_symbols + 1

    @property
    def vocab_size(self) -> int:
        return self.n_symbols + 2

    @property
    def seq_len(self) -> int:
        return self.length

    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        check_int("n", n)
        g = as_generator(generator)
        t = self.length
        inputs = 1 + torch.randint(0, self.n_symbols, (n, t), generator=g)  # (N, T) symbol ids
        marks = torch.randint(0, self.mark_range or t - 2, (n,), generator=g)  # (N,) marker position m
        rows = torch.arange(n)
        inputs[rows, marks] = self.mark
        needle = inputs[rows, marks + 1]  # (N,)
        after = torch.arange(t)[None, :] >= (marks + 2)[:, None]  # (N, T)
        targets = torch.where(after, needle[:, None], torch.full_like(inputs, IGNORE_INDEX))
        return Batch(inputs, targets, extra={"mark_pos": marks})
