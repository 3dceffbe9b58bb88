"""A thin batch tokenizer over a Hugging Face ``tokenizer.json`` (the ``tokenizers`` library).

Truncation and padding are set here, not taken from the file: sentence-transformers truncates at
its ``max_seq_length`` (256 for all-MiniLM-L6-v2, while the shipped ``tokenizer.json`` says 128) and
pads each batch to its longest sequence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from attnlab.pretrained.errors import CheckpointError
from attnlab.validation import check_int

__all__ = ["EncodedBatch", "WordPieceTokenizer"]


@dataclass(frozen=True)
class EncodedBatch:
    """A padded batch of token ids.

    Attributes:
        input_ids: (B, T) long, padded with the pad id.
        key_mask: (B, T) bool, True for real tokens (including [CLS]/[SEP]), False for padding.
        token_type_ids: (B, T) long (all zeros for single sentences).
        tokens: per sentence, the token strings of its real tokens.
    """

    input_ids: torch.Tensor
    key_mask: torch.Tensor
    token_type_ids: torch.Tensor
    tokens: list[list[str]]


class WordPieceTokenizer:
    """Tokenize text the way sentence-transformers does for a BERT-family model.

    Texts are stripped of surrounding whitespace, tokenized with the file's normalizer,
    pre-tokenizer, model and post-processor ([CLS] ... [SEP]), truncated to ``max_length``
    tokens in total, and padded to the longest sequence of the batch.

    Args:
        path: the ``tokenizer.json`` file.
        max_length: maximum number of tokens per sequence, special tokens included.
    """

    def __init__(self, path: str | Path, max_length: int) -> None:
        from tokenizers import Tokenizer

        path = Path(path)
        check_int("max_length", max_length, 2)
        if not path.is_file():
            raise CheckpointError(f"{path}: required tokenizer file is missing from the checkpoint directory")
        try:
            tok = Tokenizer.from_file(str(path))
        except Exception as exc:  # tokenizers raises a plain Exception on malformed files
            raise CheckpointError(f"{path}: unreadable tokenizer file: {exc}") from exc
        tok.no_padding()
        tok.enable_truncation(max_length=max_length)
        self._tok = tok
        self.path = path
        self.max_length = max_length
        pad = tok.token_to_id("[PAD]")
        self.pad_id = 0 if pad is None else int(pad)
        self.cls_token, self.sep_token = "[CLS]", "[SEP]"
        self.special_ids = frozenset(
            i for i in (tok.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]")) if i is not None
        )

    @property
    def vocab_size(self) -> int:
        return self._tok.get_vocab_size(with_added_tokens=True)

    def token_to_id(self, token: str) -> int | None:
        return self._tok.token_to_id(token)

    def __call__(self, texts: str | Sequence[str]) -> EncodedBatch:
        """Encode one text or a list of texts into a padded :class:`EncodedBatch`."""
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, Sequence) or not all(isinstance(t, str) for t in texts):
            raise TypeError("texts: expected a str or a sequence of str")
        if len(texts) == 0:
            raise ValueError("texts: expected at least one text, got an empty sequence")
        encodings = self._tok.encode_batch([t.strip() for t in texts])
        longest = max(len(e.ids) for e in encodings)
        B = len(encodings)
        input_ids = torch.full((B, longest), self.pad_id, dtype=torch.long)
        token_type_ids = torch.zeros((B, longest), dtype=torch.long)
        key_mask = torch.zeros((B, longest), dtype=torch.bool)
        for i, enc in enumerate(encodings):
            n = len(enc.ids)
            input_ids[i, :n] = torch.tensor(enc.ids, dtype=torch.long)
            token_type_ids[i, :n] = torch.tensor(enc.type_ids, dtype=torch.long)
            key_mask[i, :n] = True
        return EncodedBatch(input_ids, key_mask, token_type_ids, [list(e.tokens) for e in encodings])
