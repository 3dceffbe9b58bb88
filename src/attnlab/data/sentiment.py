"""Binary sentiment over a small readable vocabulary; the needle task (the seed's "I hate this movie")."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import Tensor

from attnlab.data.base import PAD_ID, Batch, Task, as_generator
from attnlab.data.registry import register_task
from attnlab.validation import check_float, check_int

__all__ = [
    "DISTRACTOR_WORDS",
    "NEGATIVE_WORDS",
    "NEUTRAL_WORDS",
    "POSITIVE_WORDS",
    "NeedleSentimentTask",
    "WordSentimentTask",
]


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


def sample_filler(n: int, length: int, distractor_rate: float, g: torch.Generator | None) -> Tensor:
    """(n, length) ids of filler words: neutral words, each a distractor with probability ``distractor_rate``.

    The ids are those of the needle vocabulary (``<pad>``, the neutral words, then the distractors), which
    the contrast task's vocabulary extends, so both tasks fill their texts with this one draw.
    """
    n_neu, n_dis = len(NEUTRAL_WORDS), len(DISTRACTOR_WORDS)
    neutral = 1 + torch.randint(0, n_neu, (n, length), generator=g)
    distract = 1 + n_neu + torch.randint(0, n_dis, (n, length), generator=g)
    use_dis = torch.rand(n, length, generator=g) < distractor_rate
    return torch.where(use_dis, distract, neutral)


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
        check_int("length", self.length, 1)
        check_int("min_len", self.min_len, 1, high=self.length, optional=True)
        check_float("distractor_rate", self.distractor_rate, 0.0, 1.0)

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
        check_int("n", n)
        g = as_generator(generator)
        t = self.length
        inputs = sample_filler(n, t, self.distractor_rate, g)  # (N, T)
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

