"""A thin batch tokenizer over a Hugging Face ``tokenizer.json`` (the ``tokenizers`` library).

One class reads every family's file: BERT's WordPiece ([CLS] ... [SEP]), RoBERTa's byte-level BPE
(<s> ... </s>), GPT-2's byte-level BPE (no special tokens added) and Llama's BPE (<s> or
<|begin_of_text|> first); the file's own normalizer, pre-tokenizer, model and post-processor decide.
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

__all__ = ["BERT_SPECIALS", "EncodedBatch", "HFTokenizer"]

BERT_SPECIALS = ("[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]")  # BERT's special tokens, by name


@dataclass(frozen=True)
class EncodedBatch:
    """A padded batch of token ids.

    Attributes:
        input_ids: (B, T) long, padded with the pad id.
        key_mask: (B, T) bool, True for real tokens (special tokens such as [CLS]/[SEP] included), False for
            padding.
        token_type_ids: (B, T) long (all zeros for single sentences).
        tokens: per sentence, the token strings of its real tokens.
    """

    input_ids: torch.Tensor
    key_mask: torch.Tensor
    token_type_ids: torch.Tensor
    tokens: list[list[str]]


class HFTokenizer:
    """Tokenize text the way Hugging Face (and sentence-transformers) does with a ``tokenizer.json``.

    Texts are stripped of surrounding whitespace, tokenized with the file's normalizer,
    pre-tokenizer, model and post-processor (which adds the family's special tokens: [CLS] ... [SEP],
    <s> ... </s>, or none for GPT-2), truncated to ``max_length`` tokens in total, and padded to the
    longest sequence of the batch.

    Args:
        path: the ``tokenizer.json`` file.
        max_length: maximum number of tokens per sequence, special tokens included.
        pad_id: the id padding uses (the model's ``pad_token_id``); None looks up [PAD] or <pad> in the
            file, else 0 (padding is masked out, so only a model that derives positions from it, RoBERTa,
            needs the right one).
    """

    def __init__(self, path: str | Path, max_length: int, *, pad_id: int | None = None) -> None:
        from tokenizers import Tokenizer

        path = Path(path)
        check_int("max_length", max_length, 1)
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
        if pad_id is None:
            found = [i for i in (tok.token_to_id(t) for t in ("[PAD]", "<pad>")) if i is not None]
            pad_id = found[0] if found else 0
        self.pad_id = int(pad_id)
        # the file's special tokens ([CLS], <s>, <|endoftext|>...): not words of the text; BERT's five count even
        # where an old file lists them in its vocabulary only
        added = {i: t.content for i, t in tok.get_added_tokens_decoder().items() if t.special}
        added.update((i, t) for t in BERT_SPECIALS if (i := tok.token_to_id(t)) is not None)
        self.special_ids = frozenset(added)
        self.special_tokens = frozenset(added.values())
        # the token for text outside the vocabulary ([UNK], <unk>); None for byte-level BPE, which has none
        unk = getattr(tok.model, "unk_token", None)
        self.unk_token: str | None = str(unk) if unk and tok.token_to_id(str(unk)) is not None else None

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
