"""Word- and character-level tokenizers for users' own text, with a vocabulary fitted on training texts."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from typing import Any, ClassVar

import torch

from attnlab.data.base import PAD_ID
from attnlab.validation import check_int

__all__ = ["PAD_TOKEN", "UNK_TOKEN", "CharTokenizer", "WordTokenizer"]

PAD_TOKEN = "<pad>"
UNK_TOKEN = "<unk>"
_WORD_RE = re.compile(r"\w+|[^\w\s]", re.UNICODE)


class WordTokenizer:
    """Word-level tokenizer: words and single punctuation marks, optionally lower-cased.

    Id 0 is ``<pad>``, id 1 is ``<unk>`` (any token not in the vocabulary). Build the vocabulary from the
    training texts with :meth:`fit`; save it with :meth:`to_dict` and restore with :meth:`from_dict`.

    Args:
        vocab: tokens in id order, starting with ``"<pad>"`` and ``"<unk>"``.
        lowercase: lower-case text before splitting.
    """

    level: ClassVar[str] = "word"

    def __init__(self, vocab: Sequence[str], *, lowercase: bool = True) -> None:
        vocab = list(vocab)
        if vocab[:2] != [PAD_TOKEN, UNK_TOKEN]:
            raise ValueError(f"vocab: expected to start with {[PAD_TOKEN, UNK_TOKEN]}, got {vocab[:2]}")
        if len(set(vocab)) != len(vocab):
            raise ValueError("vocab: expected distinct tokens, got duplicates")
        self.vocab = vocab
        self.lowercase = lowercase
        self.index = {tok: i for i, tok in enumerate(vocab)}

    def split(self, text: str) -> list[str]:
        """Text -> tokens."""
        if self.lowercase:
            text = text.lower()
        return _WORD_RE.findall(text)

    @classmethod
    def fit(
        cls, texts: Sequence[str], *, min_freq: int = 1, max_size: int | None = None, lowercase: bool = True
    ) -> WordTokenizer:
        """Build the vocabulary from ``texts``: tokens seen at least ``min_freq`` times, most frequent first
        (ties broken alphabetically), at most ``max_size`` entries including ``<pad>`` and ``<unk>``."""
        check_int("min_freq", min_freq, 1)
        check_int("max_size", max_size, 2, optional=True)
        splitter = cls([PAD_TOKEN, UNK_TOKEN], lowercase=lowercase)
        counts = Counter(tok for text in texts for tok in splitter.split(text))
        toks = sorted((t for t, c in counts.items() if c >= min_freq), key=lambda t: (-counts[t], t))
        if max_size is not None:
            toks = toks[: max_size - 2]
        return cls([PAD_TOKEN, UNK_TOKEN, *toks], lowercase=lowercase)

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    def encode(self, text: str) -> list[int]:
        """Text -> ids (unknown tokens map to 1)."""
        return [self.index.get(tok, 1) for tok in self.split(text)]

    def decode(self, ids: Sequence[int] | torch.Tensor) -> list[str]:
        """Ids -> tokens, padding dropped."""
        return [self.vocab[int(i)] for i in ids if int(i) != PAD_ID]

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "vocab": self.vocab, "lowercase": self.lowercase}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WordTokenizer:
        level = data.get("level")
        target = {"word": WordTokenizer, "char": CharTokenizer}.get(level)
        if target is None:
            raise ValueError(f"tokenizer level: expected 'word' or 'char', got {level!r}")
        return target(data["vocab"], lowercase=bool(data.get("lowercase", True)))


class CharTokenizer(WordTokenizer):
    """Character-level tokenizer (every character, spaces included, is a token); same API as
    :class:`WordTokenizer`."""

    level: ClassVar[str] = "char"

    def split(self, text: str) -> list[str]:
        return list(text.lower() if self.lowercase else text)
