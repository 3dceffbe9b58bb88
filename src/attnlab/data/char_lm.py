"""Next-character prediction on a given text: a small natural-language task for causal language models.

:class:`CharLMTask` draws windows of ``seq_len + 1`` characters at random positions of one text and asks
for the next character at every position (``targets[i] = text[start + i + 1]``). Ids: 0 is padding, then
the characters of ``alphabet`` in order; a character outside the alphabet maps to the last id (``"?"`` by
default, so a held-out text can share a training text's alphabet). The loss is in nats per character.

Give the training and the held-out text separately (two tasks with one ``alphabet``): a window drawn with
another seed from the same text is not held out.
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, ClassVar

import torch

from attnlab.data.base import Batch, Task, as_generator
from attnlab.validation import check_int

__all__ = ["CharLMTask", "unigram_cross_entropy"]


class CharLMTask(Task):
    """Next character of ``text`` at every position of a random window.

    Args:
        text: the characters to model (at least ``seq_len + 1`` of them).
        seq_len: window length T (inputs ``(B, T)``, targets ``(B, T)``).
        alphabet: the characters with an id, in id order (default: the sorted characters of ``text``); the
            last one stands for any character outside it.

    Raises:
        TypeError: ``text`` is not a str.
        ValueError: a text shorter than ``seq_len + 1``, or an empty alphabet.
    """

    name: ClassVar[str] = "char_lm"
    kind: ClassVar[str] = "tagging"

    def __init__(self, text: str, seq_len: int = 64, *, alphabet: str | None = None) -> None:
        check_int("seq_len", seq_len, 2)
        if not isinstance(text, str):
            raise TypeError(f"text: expected a str, got {type(text).__name__}")
        if len(text) < seq_len + 1:
            raise ValueError(f"text: expected a str of at least seq_len + 1 = {seq_len + 1} characters, "
                             f"got {len(text)}")
        self.alphabet = alphabet if alphabet is not None else "".join(sorted(set(text)))
        if not self.alphabet:
            raise ValueError("alphabet: expected at least one character, got ''")
        index = {c: i + 1 for i, c in enumerate(self.alphabet)}
        other = len(self.alphabet)
        self.ids = torch.tensor([index.get(c, other) for c in text], dtype=torch.long)  # (N,)
        self._seq_len = seq_len

    @property
    def vocab_size(self) -> int:
        return len(self.alphabet) + 1

    @property
    def n_classes(self) -> int:
        return self.vocab_size  # targets are input ids, so a language model's own output layer reads them

    @property
    def seq_len(self) -> int:
        return self._seq_len

    @property
    def chance_accuracy(self) -> float:
        return 1.0 / len(self.alphabet)

    def baselines(self) -> dict[str, float]:
        """Chance and the most frequent character of this text (a unigram predictor's accuracy)."""
        counts = torch.bincount(self.ids, minlength=self.vocab_size)
        return {"chance": self.chance_accuracy, "most_frequent": float(counts.max()) / len(self.ids)}

    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        check_int("n", n)
        g = as_generator(generator)
        starts = torch.randint(0, len(self.ids) - self._seq_len, (n,), generator=g)  # (B,)
        window = self.ids[starts[:, None] + torch.arange(self._seq_len + 1)]  # (B, T + 1)
        return Batch(inputs=window[:, :-1], targets=window[:, 1:])

    def config(self) -> dict[str, Any]:
        return {"name": self.name, "seq_len": self._seq_len, "characters": len(self.ids),
                "alphabet_size": len(self.alphabet)}


def unigram_cross_entropy(train: CharLMTask, heldout: CharLMTask) -> float:
    """Nats per character on ``heldout`` of the best context-free predictor fitted on ``train``.

    The character frequencies of ``train`` (add-one smoothed over the shared alphabet) scored on ``heldout``:
    the loss a language model must beat to have learned anything beyond which characters are common.
    """
    if train.alphabet != heldout.alphabet:
        raise ValueError("heldout: expected the same alphabet as train (build it with alphabet=train.alphabet)")
    counts = Counter(train.ids.tolist())
    total = len(train.ids) + len(train.alphabet)
    logp = {i: math.log((counts.get(i, 0) + 1) / total) for i in range(1, train.vocab_size)}
    return -sum(logp[i] for i in heldout.ids.tolist()) / len(heldout.ids)
