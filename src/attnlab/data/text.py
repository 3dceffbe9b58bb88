"""Loaders for users' own labelled text: CSV / JSONL files and Hugging Face ``datasets``.

A file holds one example per row with a text column and a label column (names configurable)::

    text,label
    I hate this movie,neg
    what a wonderful film,pos

:func:`read_text_file` reads it with the standard library (``csv`` / ``json``), a :class:`WordTokenizer`
(or :class:`CharTokenizer`) builds its vocabulary from the training texts, and
:class:`TextClassificationDataset` turns texts into padded ``Batch`` objects (with ``key_mask``) behind the
same interface as the synthetic tasks, so ``attnlab.train.train`` accepts it unchanged.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import torch

from attnlab.data.base import PAD_ID, Batch, Task, as_generator
from attnlab.data.tokenizers import CharTokenizer, WordTokenizer
from attnlab.validation import check_float, check_int

__all__ = [
    "CharTokenizer",
    "TextClassificationDataset",
    "WordTokenizer",
    "load_hf_text_dataset",
    "read_text_file",
]


# ----------------------------------------------------------------------------------------------------------
# Files
# ----------------------------------------------------------------------------------------------------------
def read_text_file(
    path: str | Path, *, text_column: str = "text", label_column: str = "label", format: str | None = None
) -> tuple[list[str], list[str]]:
    """Read ``(texts, labels)`` from a CSV/TSV file with a header row or a JSONL file (one object a line).

    Args:
        path: the file; the format comes from the suffix (``.csv``, ``.tsv``, ``.jsonl``, ``.ndjson``,
            ``.json``) unless ``format`` ("csv", "tsv" or "jsonl") is given.
        text_column, label_column: column (key) names.

    Labels are returned as strings (``1`` and ``"1"`` are the same label).
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"path: expected an existing file, got {str(path)!r}")
    fmt = format or {
        ".csv": "csv",
        ".tsv": "tsv",
        ".jsonl": "jsonl",
        ".ndjson": "jsonl",
        ".json": "jsonl",
    }.get(path.suffix.lower())
    if fmt not in ("csv", "tsv", "jsonl"):
        raise ValueError(
            f"format: expected 'csv', 'tsv' or 'jsonl' (or a file with such a suffix), got {fmt!r}"
            f" for {path.name!r}"
        )
    rows: list[dict[str, Any]] = []
    if fmt == "jsonl":
        with path.open(encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(
                        f"{path.name}: line {lineno}: expected a JSON object, got invalid JSON ({exc.msg})"
                    ) from None
                if not isinstance(obj, dict):
                    raise ValueError(
                        f"{path.name}: line {lineno}: expected a JSON object, got {type(obj).__name__}"
                    )
                rows.append(obj)
    else:
        with path.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t" if fmt == "tsv" else ","))
    texts, labels = [], []
    for i, row in enumerate(rows, 1):
        for col in (text_column, label_column):
            if col not in row or row[col] is None:
                raise ValueError(
                    f"{path.name}: row {i}: expected a column {col!r}, got columns {sorted(row)}"
                )
        texts.append(str(row[text_column]))
        labels.append(str(row[label_column]))
    if not texts:
        raise ValueError(f"{path.name}: expected at least one example, got none")
    return texts, labels


def _sorted_labels(labels: Sequence[str]) -> list[str]:
    uniq = set(labels)
    try:
        return sorted(uniq, key=lambda s: (int(s), s))  # numeric labels in numeric order
    except ValueError:
        return sorted(uniq)


# ----------------------------------------------------------------------------------------------------------
# Dataset
# ----------------------------------------------------------------------------------------------------------
class TextClassificationDataset(Task):
    """Labelled texts as a classification task (``kind == "classification"``).

    Texts are tokenized once, truncated to ``max_len`` tokens and right-padded with id 0 to the longest
    text of each batch; ``Batch.key_mask`` marks the real tokens and ``Batch.extra["lengths"]`` holds the
    lengths. Labels are mapped to class ids in ``label_names`` order (numeric labels sorted numerically).

    Args:
        texts: the texts.
        labels: one label per text (any value; converted with ``str``).
        tokenizer: a fitted :class:`WordTokenizer`/:class:`CharTokenizer`; None fits a word tokenizer on
            ``texts`` (pass the training set's tokenizer to an evaluation set).
        max_len: maximum number of tokens kept per text.
        label_names: class names in id order (pass the training set's to an evaluation set).
    """

    name: ClassVar[str] = "text"
    kind: ClassVar[str] = "classification"

    def __init__(
        self,
        texts: Sequence[str],
        labels: Sequence[Any],
        *,
        tokenizer: WordTokenizer | None = None,
        max_len: int = 128,
        label_names: Sequence[str] | None = None,
    ) -> None:
        if len(texts) != len(labels):
            raise ValueError(f"labels: expected one per text ({len(texts)}), got {len(labels)}")
        if not texts:
            raise ValueError("texts: expected at least one text, got none")
        check_int("max_len", max_len, 1)
        labels = [str(lab) for lab in labels]
        self.texts = list(texts)
        self.tokenizer = tokenizer if tokenizer is not None else WordTokenizer.fit(self.texts)
        self.max_len = max_len
        self.label_names = list(label_names) if label_names is not None else _sorted_labels(labels)
        label_index = {lab: i for i, lab in enumerate(self.label_names)}
        unknown = sorted(set(labels) - set(label_index))
        if unknown:
            raise ValueError(
                f"labels: expected values among label_names {self.label_names}, got {unknown[:5]}"
            )
        self.labels = torch.tensor([label_index[lab] for lab in labels], dtype=torch.long)  # (N,)
        self.token_ids = [
            self.tokenizer.encode(t)[:max_len] or [1] for t in self.texts
        ]  # empty text -> <unk>

    # -- construction ------------------------------------------------------------------------------------
    @classmethod
    def from_file(
        cls,
        path: str | Path,
        *,
        text_column: str = "text",
        label_column: str = "label",
        tokenizer: WordTokenizer | None = None,
        max_len: int = 128,
        label_names: Sequence[str] | None = None,
        format: str | None = None,
    ) -> TextClassificationDataset:
        """Read a CSV/TSV/JSONL file (see :func:`read_text_file`)."""
        texts, labels = read_text_file(
            path, text_column=text_column, label_column=label_column, format=format
        )
        return cls(texts, labels, tokenizer=tokenizer, max_len=max_len, label_names=label_names)

    @classmethod
    def from_hf(
        cls,
        dataset: Any,
        *,
        text_column: str = "text",
        label_column: str = "label",
        tokenizer: WordTokenizer | None = None,
        max_len: int = 128,
        label_names: Sequence[str] | None = None,
    ) -> TextClassificationDataset:
        """From a Hugging Face ``datasets.Dataset``. A ``ClassLabel`` label column keeps its names."""
        missing = [c for c in (text_column, label_column) if c not in dataset.column_names]
        if missing:
            raise ValueError(f"dataset: expected columns {missing}, got {dataset.column_names}")
        labels: list[Any] = list(dataset[label_column])
        feature = dataset.features.get(label_column) if hasattr(dataset, "features") else None
        names = getattr(feature, "names", None)
        if names is not None:
            labels = [names[i] for i in labels]
            label_names = label_names if label_names is not None else list(names)
        return cls(
            list(dataset[text_column]), labels, tokenizer=tokenizer, max_len=max_len, label_names=label_names
        )

    def with_texts(self, texts: Sequence[str], labels: Sequence[Any]) -> TextClassificationDataset:
        """Other texts sharing this dataset's tokenizer, ``max_len`` and labels (e.g. the eval set)."""
        return TextClassificationDataset(
            texts, labels, tokenizer=self.tokenizer, max_len=self.max_len, label_names=self.label_names
        )

    def split(
        self, eval_fraction: float = 0.1, *, seed: int = 0
    ) -> tuple[TextClassificationDataset, TextClassificationDataset]:
        """Random (train, eval) split sharing the tokenizer and labels."""
        check_float("eval_fraction", eval_fraction, 0.0, 1.0, low_open=True, high_open=True)
        n = len(self)
        n_eval = min(max(1, round(n * eval_fraction)), n - 1)
        if n < 2:
            raise ValueError(f"dataset: expected at least 2 examples to split, got {n}")
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
        names = self.label_names

        def part(idx: list[int]) -> TextClassificationDataset:
            return self.with_texts([self.texts[i] for i in idx], [names[int(self.labels[i])] for i in idx])

        return part(perm[n_eval:]), part(perm[:n_eval])

    # -- Task interface ----------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.texts)

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.vocab_size

    @property
    def n_classes(self) -> int:
        return len(self.label_names)

    @property
    def seq_len(self) -> int:
        return min(self.max_len, max(len(ids) for ids in self.token_ids))

    @property
    def chance_accuracy(self) -> float:
        """Frequency of the majority class (the best input-independent guess)."""
        return float(torch.bincount(self.labels, minlength=self.n_classes).max()) / len(self)

    def config(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "n_examples": len(self),
            "max_len": self.max_len,
            "vocab_size": self.vocab_size,
            "label_names": self.label_names,
        }

    def batch(self, indices: Sequence[int] | torch.Tensor) -> Batch:
        """The examples at ``indices``, padded to the longest of them."""
        idx = [int(i) for i in indices]
        if not idx:
            raise ValueError("indices: expected at least one index, got none")
        lengths = torch.tensor([len(self.token_ids[i]) for i in idx], dtype=torch.long)  # (N,)
        inputs = torch.full((len(idx), int(lengths.max())), PAD_ID, dtype=torch.long)  # (N, T)
        for row, i in enumerate(idx):
            inputs[row, : len(self.token_ids[i])] = torch.tensor(self.token_ids[i], dtype=torch.long)
        key_mask = torch.arange(inputs.shape[1])[None, :] < lengths[:, None]  # (N, T)
        return Batch(
            inputs,
            self.labels[idx],
            key_mask=key_mask,
            extra={"lengths": lengths, "index": torch.tensor(idx, dtype=torch.long)},
        )

    def sample(self, n: int, generator: torch.Generator | int | None = None) -> Batch:
        """``n`` examples drawn uniformly with replacement."""
        check_int("n", n)
        g = as_generator(generator)
        return self.batch(torch.randint(0, len(self), (n,), generator=g))

    def batches(
        self, batch_size: int, *, shuffle: bool = False, generator: torch.Generator | int | None = None
    ) -> Iterator[Batch]:
        """One pass over the data in batches of ``batch_size`` (the last may be smaller)."""
        check_int("batch_size", batch_size)
        order = (
            torch.randperm(len(self), generator=as_generator(generator)) if shuffle else torch.arange(len(self))
        )
        for start in range(0, len(self), batch_size):
            yield self.batch(order[start : start + batch_size])


def load_hf_text_dataset(
    path: str,
    *,
    split: str = "train",
    text_column: str = "text",
    label_column: str = "label",
    tokenizer: WordTokenizer | None = None,
    max_len: int = 128,
    label_names: Sequence[str] | None = None,
    **load_kwargs: Any,
) -> TextClassificationDataset:
    """Load with Hugging Face ``datasets.load_dataset(path, split=split, **load_kwargs)``.

    ``path`` may be a builder such as ``"csv"`` / ``"json"`` with ``data_files=...`` (local files, no
    network) or a hub name (needs network and a cache). Requires the optional ``datasets`` package.
    """
    try:
        import datasets
    except ImportError as exc:
        raise ImportError("load_hf_text_dataset needs the 'datasets' package: pip install datasets") from exc
    ds = datasets.load_dataset(path, split=split, **load_kwargs)
    return TextClassificationDataset.from_hf(
        ds,
        text_column=text_column,
        label_column=label_column,
        tokenizer=tokenizer,
        max_len=max_len,
        label_names=label_names,
    )
