"""A sentiment task whose answer depends on how two polar words are combined, not on either alone.

:class:`ContrastSentimentTask` ("contrast") is the compositional partner of the needle task
(:class:`attnlab.data.NeedleSentimentTask`): each text holds two polar words of opposite polarity and a
contrastive connective between them, and the connective decides which one counts:

- ``... love ... but ... awful ...`` -> negative (the clause after "but" wins);
- ``... love ... although ... awful ...`` -> positive (the clause before "although" wins).

When the two polar words disagree (a fraction ``conflict_rate`` of the texts), no single word and no bag
of words determines the label: every order-free predictor and every predictor that reads one polar word
(the first, the last, any) is right on exactly half of them (see :meth:`ContrastSentimentTask.baselines`).
A model must combine the connective with the order of the words. Texts whose polar words agree give a
learner partial credit for detecting polarity at all, the step before composing.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from attnlab.data.base import Batch, as_generator, distinct
from attnlab.data.registry import register_task
from attnlab.data.sentiment import NEGATIVE_WORDS, NeedleSentimentTask, WordSentimentTask, sample_filler
from attnlab.validation import check_float, check_int

__all__ = ["CONNECTIVES", "ContrastSentimentTask"]

CONNECTIVES = ("but", "although")  # "but": the later clause wins; "although": the earlier clause wins
_NEEDLE = NeedleSentimentTask()  # the shared vocabulary: the same word has the same id in both tasks


@register_task("contrast")
@dataclass(frozen=True)
class ContrastSentimentTask(WordSentimentTask):
    """Two opposite polar words and a connective between them; the connective picks the one that counts.

    A text of ``length`` words: neutral filler and distractors (as in the needle task), a polar word at
    position i, a connective at c and a second polar word at j, with i < c < j drawn uniformly among all
    such triples; the second word has the opposite polarity with probability ``conflict_rate``, the same
    otherwise. With "but" the label is the polarity of the word at j, with
    "although" the polarity of the word at i (0 negative, 1 positive). The vocabulary extends the needle
    task's (the same ids for the same words) with the two connectives.

    ``Batch.extra``: ``"deciding_pos"`` (N,) the position of the polar word that decides,
    ``"other_pos"`` (N,) the other polar word's, ``"connective_pos"`` (N,), ``"connective"`` (N,)
    (0 "but", 1 "although"), ``"conflict"`` (N,) bool, True where the polar words disagree.
    """

    length: int = 32  # words per text (>= 3)
    conflict_rate: float = 0.5  # probability that the two polar words have opposite polarities
    distractor_rate: float = 0.2  # probability that a filler word is a distractor

    def __post_init__(self) -> None:
        check_int("length", self.length, 3)
        check_float("conflict_rate", self.conflict_rate, 0.0, 1.0)
        check_float("distractor_rate", self.distractor_rate, 0.0, 1.0)

    @property
    def words(self) -> tuple[str, ...]:
        """The vocabulary: ``words[id]`` is the word for input id ``id`` (id 0 is ``"<pad>"``)."""
        return (*_NEEDLE.words, *CONNECTIVES)

    @property
    def polar_ids(self) -> dict[str, tuple[int, ...]]:
        """Input ids of the polar words: ``{"negative": (...), "positive": (...)}`` (as in the needle task)."""
        return _NEEDLE.polar_ids

    @property
    def connective_ids(self) -> tuple[int, ...]:
        """Input ids of ``CONNECTIVES``, in that order."""
        first = len(self.words) - len(CONNECTIVES)
        return tuple(range(first, first + len(CONNECTIVES)))

    def encode(self, text: str) -> Tensor:
        """(1, T) ids of a text written in the task's vocabulary, e.g. ``"i love it but the ending was dull"``."""
        vocab = {w: i for i, w in enumerate(self.words)}
        unknown = [w for w in text.split() if w not in vocab]
        if unknown:
            raise ValueError(f"text: expected words of the task's vocabulary, got unknown words {unknown}")
        return torch.tensor([[vocab[w] for w in text.split()]])

    def baselines(self) -> dict[str, float]:
        """Exact accuracies of trivial predictors; with ``r = conflict_rate``, all but chance are ``1 - r / 2``.

        - ``majority``: the labels are balanced, 1/2.
        - ``bag_of_words``: the best predictor from the multiset of words (order dropped). It is right
          whenever the polar words agree; when they disagree, swapping their positions is as likely as
          not and flips the label, so the bag is right half the time: ``(1 - r) + r / 2``.
        - ``first_polar`` / ``last_polar``: the first (last) polar word's polarity; when the words
          disagree it is the label exactly when the connective is "although" ("but"), half the time.
        """
        agree = 1.0 - self.conflict_rate / 2.0
        return {"chance": 0.5, "majority": 0.5, "bag_of_words": agree, "first_polar": agree, "last_polar": agree}

    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        check_int("n", n)
        g = as_generator(generator)
        t = self.length
        inputs = sample_filler(n, t, self.distractor_rate, g)  # (N, T)
        pos = distinct(n, t, 3, g).sort(dim=1).values  # (N, 3): i < c < j, uniform over triples
        first_pol = torch.randint(0, 2, (n,), generator=g)  # polarity of the word at i
        conflict = torch.rand(n, generator=g) < self.conflict_rate  # the word at j has the opposite polarity
        second_pol = torch.where(conflict, 1 - first_pol, first_pol)
        conn = torch.randint(0, len(CONNECTIVES), (n,), generator=g)  # 0 "but", 1 "although"
        polar = self.polar_ids
        w1 = torch.randint(0, len(NEGATIVE_WORDS), (n,), generator=g)
        w2 = torch.randint(0, len(NEGATIVE_WORDS), (n,), generator=g)

        def word(polarity: Tensor, which: Tensor) -> Tensor:
            return torch.where(polarity.bool(), polar["positive"][0] + which, polar["negative"][0] + which)

        rows = torch.arange(n)
        inputs[rows, pos[:, 0]] = word(first_pol, w1)
        inputs[rows, pos[:, 1]] = self.connective_ids[0] + conn
        inputs[rows, pos[:, 2]] = word(second_pol, w2)
        although = conn.bool()
        label = torch.where(although, first_pol, second_pol)
        deciding = torch.where(although, pos[:, 0], pos[:, 2])
        other = torch.where(although, pos[:, 2], pos[:, 0])
        return Batch(inputs, label, extra={"deciding_pos": deciding, "other_pos": other,
                                           "connective_pos": pos[:, 1], "connective": conn,
                                           "conflict": conflict})
