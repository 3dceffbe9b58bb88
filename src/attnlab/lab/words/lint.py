"""Checks that a Chinese sentence is written in Chinese: no English words, full-width punctuation in prose.

Symbols (W_Q, d_k, q·k, T=512), numbers, units, intervals and the names of models, methods and papers'
authors stay as they are; lower-case English words and ASCII punctuation next to Chinese characters do not.
The questions' tests run these over every Chinese text a result carries.
"""

from __future__ import annotations

import re

__all__ = ["ALLOWED_WORDS", "ascii_punctuation", "english_words", "zh_problems"]

ALLOWED_WORDS: frozenset[str] = frozenset({
    # lower-case technical terms that Chinese writing keeps as they are
    "softmax", "logit", "logits", "max", "min", "mean", "exp", "log", "tanh", "relu", "gelu", "elu", "sigmoid",
    "argmax", "bias", "dropout", "ms", "s", "steps", "x", "vs", "et", "al",
})
_CJK = "\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef"
_WORD = re.compile(r"(?<![A-Za-z0-9_./·=-])[a-z]{2,}(?![A-Za-z0-9_(=-])")
_PUNCT = re.compile(rf"(?:(?<=[{_CJK}])\s*[,:;])|(?:[,:;]\s*(?=[{_CJK}]))")
_PAREN = re.compile(rf"\([^()]*[{_CJK}][^()]*\)")  # ASCII parentheses around Chinese words (formulas keep theirs)
_SPANS = re.compile(r"\[[^\]]*\]|https?://\S+|`[^`]*`")  # intervals, links and code keep ASCII


def english_words(text: str) -> list[str]:
    """Lower-case English words in ``text`` that are not symbols or :data:`ALLOWED_WORDS`."""
    text = _SPANS.sub(" ", text)
    return [w for w in _WORD.findall(text) if w not in ALLOWED_WORDS]


def ascii_punctuation(text: str) -> list[str]:
    """ASCII ``, : ;`` next to a Chinese character, and ASCII parentheses around Chinese words (prose wants
    ，：；（）); parentheses of a formula such as softmax([1, 2, 10]) or ∂L/∂(q·k) are fine."""
    text = _SPANS.sub(" ", text)
    return [m.group(0).strip() for m in _PUNCT.finditer(text)] + ["( )" for _ in _PAREN.finditer(text)]


def zh_problems(text: str) -> list[str]:
    """Everything :func:`english_words` and :func:`ascii_punctuation` find, as short notes."""
    return ([f"English word {w!r}" for w in english_words(text)]
            + [f"ASCII {p!r} in Chinese prose" for p in ascii_punctuation(text)])
