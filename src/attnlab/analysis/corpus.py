"""A small offline English corpus for analyses: sentences from CPython's own documentation.

``pydoc_data.topics`` ships with every CPython (it backs ``help()``), so the corpus needs no
download. Paragraphs are split into sentences; code, tables and headings are filtered out, and a
deterministic seeded sample is drawn. The exact sentences depend on the Python version (the
documentation text changes between releases); within one version the selection is fixed by the seed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from pathlib import Path

__all__ = ["builtin_sentences", "load_corpus", "split_sentences"]

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'(])")
_CODE_MARKERS = (">>>", "::", "***", "===", "---", "...", "{", "}", "[", "]", "|", "__")


def split_sentences(text: str, *, min_words: int = 6, max_words: int = 40) -> list[str]:
    """Split prose into sentences, dropping code, headings and very short or long fragments.

    Paragraphs are separated by blank lines; a paragraph is joined into one line, split after
    ``.``, ``!`` or ``?`` followed by a capital letter, and each sentence is kept when it has
    ``min_words`` to ``max_words`` words, ends with ``.``/``!``/``?``, contains no code markers and
    is at least 75% letters and spaces.
    """
    if min_words < 1 or max_words < min_words:
        raise ValueError(f"min_words/max_words: expected 1 <= min_words <= max_words, got {min_words}, {max_words}")
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        lines = [ln.strip() for ln in paragraph.splitlines()]
        if not lines or any(ln.startswith((">>>", "$", "#")) for ln in lines):
            continue
        joined = " ".join(ln for ln in lines if ln)
        for sentence in _SENTENCE_END.split(joined):
            s = sentence.strip().lstrip("*-• ").strip()
            n_words = len(s.split())
            if not (min_words <= n_words <= max_words) or s[-1:] not in ".!?":
                continue
            if any(marker in s for marker in _CODE_MARKERS):
                continue
            letters = sum(ch.isalpha() or ch == " " for ch in s)
            if letters < 0.75 * len(s):
                continue
            out.append(s)
    return out


def builtin_sentences() -> list[str]:
    """All usable sentences of ``pydoc_data.topics``, deduplicated and sorted."""
    from pydoc_data.topics import topics

    found: set[str] = set()
    for key in sorted(topics):
        found.update(split_sentences(topics[key]))
    return sorted(found)


def _sample(sentences: Iterable[str], n: int | None, seed: int) -> list[str]:
    pool = sorted(set(sentences))
    if n is None or n >= len(pool):
        return pool
    return random.Random(seed).sample(pool, n)


def load_corpus(path: str | Path | None = None, n: int | None = 200, *, seed: int = 0) -> list[str]:
    """Sentences for the analyses.

    Args:
        path: a UTF-8 text file to split into sentences; None uses the built-in CPython
            documentation corpus.
        n: how many sentences to draw (None: all of them).
        seed: seed of the deterministic sample.

    Returns:
        ``n`` distinct sentences (fewer when the source has fewer), in sample order.

    Raises:
        ValueError: ``n`` is not positive, or the file yields no usable sentence.
        FileNotFoundError: ``path`` does not exist.
    """
    if n is not None and (not isinstance(n, int) or n < 1):
        raise ValueError(f"n: expected a positive int or None, got {n!r}")
    if path is None:
        sentences = builtin_sentences()
        source = "pydoc_data.topics"
    else:
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f"corpus file {p}: expected an existing text file")
        sentences = split_sentences(p.read_text(encoding="utf-8"), min_words=3)
        if not sentences:
            # a file of one sentence per line without final punctuation
            sentences = [ln.strip() for ln in p.read_text(encoding="utf-8").splitlines() if ln.strip()]
        source = str(p)
    if not sentences:
        raise ValueError(f"corpus {source}: expected at least one sentence, got none")
    return _sample(sentences, n, seed)
