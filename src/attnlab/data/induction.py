"""Repeated random tokens: the task on which induction heads form and are measured (q12).

Olsson et al. 2022 ("In-context Learning and Induction Heads") measure induction on sequences of random tokens
whose second part repeats the first: once a token has been seen, an induction head ("A B ... A -> B") predicts
the token that followed it last time, and the loss on the repeat drops to near zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch

from attnlab.data.base import IGNORE_INDEX, Batch, Task, as_generator, distinct
from attnlab.data.registry import register_task
from attnlab.validation import check_int

__all__ = ["RepeatedTokensTask"]


@register_task("repeated_tokens")
@dataclass(frozen=True)
class RepeatedTokensTask(Task):
    """Random tokens in which a random segment A appears twice, at random places: ``.. a1 .. aL .. a1 .. aL ..``.

    Every sequence has ``length`` tokens. The segment's length L is drawn uniformly from ``[min_repeat,
    max_repeat]``; its two copies start at s1 < s2 (s2 >= s1 + L, s2 + L <= length), the pair drawn uniformly
    among those that fit; every other token is filler. Neither the distance between the copies nor their place
    is fixed, so a head that looks a fixed distance back, or at fixed positions, cannot find the earlier copy;
    an induction head ("A B ... A -> B": attend to the token after the earlier copy of the current token) can.
    All ``length - L`` tokens outside the second copy are distinct symbols, so that token is unique.
    Input ids: 0 pad (never used), ``1 .. n_symbols`` symbols.

    Targets: the next token at the repeat's positions s2 .. s2 + L - 2 (the targets a2 .. aL, each predictable
    from the earlier copy), ``-100`` elsewhere; with ``dense=True`` every position but the last has its next
    token as target (language modelling: filler included, which nothing predicts). ``extra["repeated"]``
    (N, T) marks the repeat's targets either way; ``extra["repeat_start"]`` and ``extra["repeat_len"]`` (N,)
    hold s2 and L.

    Baselines on the repeat's targets (exact; :meth:`baselines` accuracies, :meth:`loss_baselines` nats):

    - chance: a predictor that does not read the inputs: accuracy ``1 / n_symbols``, loss ``log n_symbols``;
    - order-free: one that knows the multiset of tokens so far but not their order. At the repeat's k-th
      target (k = 0 .. L - 2, position s2 + k) s2 distinct symbols have been seen, k + 1 of them twice; the
      next token is one of the ``n = s2 - k - 1`` seen once, each equally likely (distinct uniform draws are
      exchangeable over positions), so its best guess is right with probability ``1 / n`` at loss ``log n``;
      averaged over the targets (L uniform, then (s1, s2) uniform, L - 1 targets each).
    """

    length: int = 32  # tokens per sequence T
    min_repeat: int = 4  # shortest repeated segment L
    max_repeat: int = 10  # longest segment (length >= 2 * max_repeat)
    n_symbols: int = 32  # alphabet (>= length - min_repeat: every token outside the repeat is distinct)
    dense: bool = False  # next-token targets at every position, not only the repeat's

    kind: ClassVar[str] = "tagging"

    def __post_init__(self) -> None:
        check_int("min_repeat", self.min_repeat, 2)
        check_int("max_repeat", self.max_repeat, self.min_repeat)
        check_int("length", self.length, 2 * self.max_repeat)
        check_int("n_symbols", self.n_symbols, self.length - self.min_repeat)
        if not isinstance(self.dense, bool):
            raise ValueError(f"dense: expected a bool, got {self.dense!r}")

    @property
    def vocab_size(self) -> int:
        return self.n_symbols + 1

    @property
    def n_classes(self) -> int:
        return self.vocab_size

    @property
    def seq_len(self) -> int:
        return self.length

    @property
    def chance_accuracy(self) -> float:
        return 1.0 / self.n_symbols

    def _candidates(self) -> list[tuple[float, int]]:
        """(weight, n) at every repeated target: n symbols seen once, weight the probability of its (L, s2)."""
        out = []
        for L in range(self.min_repeat, self.max_repeat + 1):
            m = self.length - 2 * L + 2  # s1 = u1, s2 = u2 + L - 1 for 0 <= u1 < u2 < m
            pairs = m * (m - 1) // 2
            for u2 in range(1, m):
                w = u2 / pairs / (self.max_repeat - self.min_repeat + 1)  # u2 choices of u1
                out.extend((w, u2 + L - 1 - k - 1) for k in range(L - 1))
        return out

    def _average(self, f) -> float:
        c = self._candidates()
        return math.fsum(w * f(n) for w, n in c) / math.fsum(w for w, _ in c)

    def baselines(self) -> dict[str, float]:
        return {"chance": self.chance_accuracy, "order_free": self._average(lambda n: 1.0 / n)}

    def loss_baselines(self) -> dict[str, float]:
        """The baselines' cross-entropy on the repeat's targets, in nats (lower is better)."""
        return {"chance": math.log(self.n_symbols), "order_free": self._average(math.log)}

    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        check_int("n", n)
        g = as_generator(generator)
        t = self.length
        reps = torch.randint(self.min_repeat, self.max_repeat + 1, (n,), generator=g)  # (N,) L
        room = t - 2 * reps + 2  # (N,) u1 < u2 < room
        first = (torch.rand(n, generator=g) * room).long()  # (N,) uniform on [0, room)
        second = (first + 1 + (torch.rand(n, generator=g) * (room - 1)).long()) % room  # uniform on the others
        u1, u2 = torch.minimum(first, second), torch.maximum(first, second)
        s1, s2 = u1, u2 + reps - 1  # (N,) starts of the two copies
        tokens = 1 + distinct(n, self.n_symbols, t, g)  # (N, T) distinct symbols, one per position
        pos = torch.arange(t)[None, :]  # (1, T)
        offset = pos - s2[:, None]  # (N, T)
        second = (offset >= 0) & (offset < reps[:, None])  # (N, T): the repeat
        src = torch.where(second, s1[:, None] + offset, pos)  # the repeat reads the first copy
        inputs = tokens.gather(1, src)  # (N, T)
        repeated = second & (offset < reps[:, None] - 1)  # targets a2 .. aL
        targets = torch.full_like(inputs, IGNORE_INDEX)
        if self.dense:
            targets[:, :-1] = inputs[:, 1:]
        else:
            targets[repeated] = inputs[:, 1:][repeated[:, :-1]]
        return Batch(inputs, targets, extra={"repeated": repeated, "repeat_start": s2, "repeat_len": reps})
