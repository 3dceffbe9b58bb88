"""Sentences for the pretrained model from an independent source: the polar adjectives of the Pattern sentiment
lexicon (De Smedt & Daelemans 2012) as TextBlob ships it (``textblob/en/en-sentiment.xml`` inside the wheel,
installed by the ``pretrained`` extra), each in one fixed frame. The words are chosen by a stated rule, not by
hand: every adjective (``pos="JJ"``) whose mean polarity over its senses is at least ``MIN_POLARITY`` in size,
alphabetic, in alphabetical order."""

from __future__ import annotations

import xml.etree.ElementTree as ET

__all__ = ["FRAME", "LEXICON", "MIN_POLARITY", "LexiconUnavailable", "polar_adjectives", "sentences"]

LEXICON = "Pattern sentiment lexicon (TextBlob's en-sentiment.xml)"
FRAME = "The movie was {word}."  # one frame for every word, so only the word changes
MIN_POLARITY = 0.7


class LexiconUnavailable(RuntimeError):
    """The package that ships the lexicon is not installed."""


def polar_adjectives(min_polarity: float = MIN_POLARITY) -> tuple[str, list[tuple[str, float]]]:
    """(the package's version, [(adjective, mean polarity)]) by the rule above. Reads the file from the installed
    distribution without importing it."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        dist = distribution("textblob")
    except PackageNotFoundError as exc:
        raise LexiconUnavailable("textblob is not installed (pip install 'attnlab[pretrained]')") from exc
    path = dist.locate_file("textblob/en/en-sentiment.xml")
    if not path.exists():
        raise LexiconUnavailable(f"textblob {dist.version} ships no en-sentiment.xml")
    senses: dict[str, list[float]] = {}
    for w in ET.parse(str(path)).getroot().iter("word"):
        form = w.get("form") or ""
        if w.get("pos") == "JJ" and form.isalpha() and form.islower():
            senses.setdefault(form, []).append(float(w.get("polarity") or 0.0))
    means = {k: sum(v) / len(v) for k, v in senses.items()}
    return dist.version, sorted((k, m) for k, m in means.items() if abs(m) >= min_polarity)


def sentences(limit: int | None = None) -> tuple[str, list[tuple[str, str]]]:
    """(version, [(sentence, its polar word)]) for the first ``limit`` words (all when None)."""
    version, words = polar_adjectives()
    return version, [(FRAME.format(word=w), w) for w, _ in words[:limit]]
