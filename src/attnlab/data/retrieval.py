"""Content-addressed retrieval tasks: find the token whose content matches, read its value.

Each token carries a key (or symbol) and a value in one id, so one attention layer solves the task by
matching contents; no position information is needed. This isolates what the score function can and
cannot express:

- :class:`LookupTask` ("lookup"): queries name a key; output the value stored under it. Sharp attention
  on one of ``n_pairs`` tokens is needed, which is what softmax temperature (q3, q4) and the score
  function (q8) act on.
- :class:`CycleTask` ("cycle"): every token must output the value of the token holding the next symbol
  of a fixed permutation. With 3-cycles the relation is asymmetric and no symmetric score (shared
  W_Q = W_K, or no projection) can rank every token's partner first; with 2-cycles it is symmetric and a
  symmetric score suffices (q2).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from attnlab.data.base import IGNORE_INDEX, Batch, Task, as_generator, distinct
from attnlab.data.baselines import mode_accuracy
from attnlab.data.registry import register_task
from attnlab.validation import check_int

__all__ = ["CycleTask", "LookupTask"]


@register_task("lookup")
@dataclass(frozen=True)
class LookupTask(Task):
    """Key-value lookup: ``(k1,v1) .. (kP,vP) SEP q1 .. qQ``; at each query, output the value stored under it.

    A pair is one token (id ``2 + k * n_values + v``), keys are distinct within a sequence and each query
    (id ``2 + n_keys * n_values + k``) names one of them. Targets are value indices at the queries, -100
    elsewhere. Baselines: chance ``1 / n_values``; "no lookup", answering the most frequent value of the
    context, ``E[max count] / n_pairs`` (exact).
    """

    n_pairs: int = 8  # key/value tokens per sequence
    n_keys: int = 16  # key alphabet (>= n_pairs)
    n_values: int = 16  # value alphabet = number of classes
    n_queries: int = 4  # queries after SEP

    kind: ClassVar[str] = "tagging"
    SEP: ClassVar[int] = 1

    def __post_init__(self) -> None:
        check_int("n_pairs", self.n_pairs, 1)
        check_int("n_values", self.n_values, 2)
        check_int("n_queries", self.n_queries, 1)
        check_int("n_keys", self.n_keys, self.n_pairs)

    @property
    def vocab_size(self) -> int:
        return 2 + self.n_keys * self.n_values + self.n_keys

    @property
    def n_classes(self) -> int:
        return self.n_values

    @property
    def seq_len(self) -> int:
        return self.n_pairs + 1 + self.n_queries

    def baselines(self) -> dict[str, float]:
        return {"chance": 1.0 / self.n_values, "no_lookup": mode_accuracy(self.n_pairs, self.n_values)}

    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        check_int("n", n)
        g = as_generator(generator)
        keys = distinct(n, self.n_keys, self.n_pairs, g)  # (N, P) distinct keys in random order
        values = torch.randint(0, self.n_values, (n, self.n_pairs), generator=g)  # (N, P)
        which = torch.randint(0, self.n_pairs, (n, self.n_queries), generator=g)  # (N, Q) pair asked for
        pairs = 2 + keys * self.n_values + values  # (N, P)
        queries = 2 + self.n_keys * self.n_values + keys.gather(1, which)  # (N, Q)
        sep = torch.full((n, 1), self.SEP, dtype=torch.long)
        inputs = torch.cat([pairs, sep, queries], dim=1)  # (N, P + 1 + Q)
        ignore = torch.full((n, self.n_pairs + 1), IGNORE_INDEX, dtype=torch.long)
        targets = torch.cat([ignore, values.gather(1, which)], dim=1)  # (N, P + 1 + Q)
        return Batch(inputs, targets, extra={"answer_pos": which})


@register_task("cycle")
@dataclass(frozen=True)
class CycleTask(Task):
    """Follow a fixed permutation: each token outputs the value of the token holding its symbol's successor.

    Symbols ``0 .. n_cycles * cycle_len - 1`` form the cycles ``(0 1 .. c-1)(c .. 2c-1)...`` of a fixed
    permutation pi. A sequence holds ``cycles_per_seq`` whole cycles, their tokens shuffled; token id
    ``1 + s * n_values + v`` carries symbol ``s`` and a random value ``v``. Every token's target is the value
    of the token with symbol ``pi(s)``. Attention to oneself carries no information and should be masked.

    With ``cycle_len = 3`` the relation is asymmetric: for a symmetric score S, a cycle a -> b -> c -> a
    needs S(a,b) > S(a,c), S(b,c) > S(b,a) and S(c,a) > S(c,b), i.e. x > z > y > x for x = S(a,b),
    y = S(b,c), z = S(c,a): at most 2 of its 3 tokens can rank their partner first. With ``cycle_len = 2``
    (a <-> b) the relation is symmetric and a symmetric score can solve it. Baselines: chance
    ``1 / n_values``; "no lookup", the most frequent value among the other tokens (exact).
    """

    cycle_len: int = 3  # 3: asymmetric relation; 2: symmetric control
    n_cycles: int = 4  # cycles of the permutation (symbols = n_cycles * cycle_len)
    cycles_per_seq: int = 2  # whole cycles in each sequence
    n_values: int = 8  # value alphabet = number of classes

    kind: ClassVar[str] = "tagging"

    def __post_init__(self) -> None:
        check_int("cycle_len", self.cycle_len, 2)
        check_int("n_values", self.n_values, 2)
        check_int("cycles_per_seq", self.cycles_per_seq, 1)
        check_int("n_cycles", self.n_cycles, self.cycles_per_seq)

    @property
    def n_symbols(self) -> int:
        return self.n_cycles * self.cycle_len

    @property
    def vocab_size(self) -> int:
        return 1 + self.n_symbols * self.n_values

    @property
    def n_classes(self) -> int:
        return self.n_values

    @property
    def seq_len(self) -> int:
        return self.cycles_per_seq * self.cycle_len

    def successor(self, symbols: torch.Tensor) -> torch.Tensor:
        """pi(s) for every symbol in ``symbols``."""
        c = self.cycle_len
        return symbols - symbols % c + (symbols % c + 1) % c

    def baselines(self) -> dict[str, float]:
        return {"chance": 1.0 / self.n_values, "no_lookup": mode_accuracy(self.seq_len - 1, self.n_values)}

    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        check_int("n", n)
        g = as_generator(generator)
        c, t = self.cycle_len, self.seq_len
        cycles = distinct(n, self.n_cycles, self.cycles_per_seq, g)  # (N, M) which cycles
        symbols = (cycles[:, :, None] * c + torch.arange(c)).reshape(n, t)  # (N, T) whole cycles
        order = torch.rand(n, t, generator=g).argsort(dim=1)  # shuffle the positions
        symbols = symbols.gather(1, order)  # (N, T)
        values = torch.randint(0, self.n_values, (n, t), generator=g)  # (N, T)
        # where is each token's partner? (N, T, T) match of pi(s_i) against s_j
        partner = (self.successor(symbols)[:, :, None] == symbols[:, None, :]).long().argmax(dim=2)  # (N, T)
        inputs = 1 + symbols * self.n_values + values
        targets = values.gather(1, partner)
        return Batch(inputs, targets, extra={"partner": partner})
