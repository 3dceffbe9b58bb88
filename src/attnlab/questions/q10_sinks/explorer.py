"""q10's attention explorer: its title, the view it opens on (layer, head, pinned token), chosen from the weights, and
the line that says what that view shows, in English and Chinese (:mod:`attnlab.lab.words.focus`)."""

from __future__ import annotations

from typing import Any

from attnlab.lab.words import focus, num
from attnlab.questions.q10_sinks.settings import MINILM, SENTENCE
from attnlab.results import AttentionMap

__all__ = ["explorer_focus", "explorer_map"]


def explorer_map(mini: dict[str, Any]) -> AttentionMap:
    """The map of :data:`~attnlab.questions.q10_sinks.settings.SENTENCE` that the report explores, opening on
    :func:`explorer_focus`'s view."""
    return AttentionMap(f"{MINILM} on \"{SENTENCE}\": how much weight do the heads park on [CLS] and [SEP]?",
                        mini["tokens"], mini["weights"],
                        f"{MINILM} 读 “{SENTENCE}”：各个头把多少权重停放在 [CLS] 和 [SEP] 上？",
                        steps=mini.get("steps"), attribution=mini.get("attribution"),
                        **explorer_focus(mini["tokens"], mini["weights"]))


def explorer_focus(tokens: list[str], weights: list) -> dict[str, Any]:
    """The explorer's opening view: the head whose queries put the most weight on [CLS] and [SEP] on average,
    with its median word pinned (the word whose share is the middle one), and both shares beside an even
    spread's 2/T in a line ({} without [CLS], [SEP] or a word)."""
    special = [k for k, t in enumerate(tokens) if t in ("[CLS]", "[SEP]")]
    words = [k for k in range(len(tokens)) if k not in special]
    if len(special) < 2 or not words:
        return {}
    w = focus.shown(weights)
    mass = w[..., special].sum(-1)  # (L, H, T): each query's weight on [CLS] and [SEP]
    l, h = focus.strongest(mass.mean(-1))
    pin = sorted(words, key=lambda k: (mass[l, h, k], k))[len(words) // 2]
    mean, one, even = num(mass[l, h].mean()), num(mass[l, h, pin]), num(len(special) / len(tokens))
    word, word_zh = focus.token(tokens, pin, "en"), focus.token(tokens, pin, "zh")
    return {"focus_layer": l, "focus_head": h, "focus_token": pin,
            "answer": f"{focus.head(l, h, 'en')}: the tokens put on average {mean} of their weight on [CLS] and "
                      f"[SEP] (an even spread gives {even}); {word} puts {one}.",
            "answer_zh": f"{focus.head(l, h, 'zh')}：各词元平均把 {mean} 的权重放在 [CLS] 和 [SEP] 上（均匀分配时为 "
                         f"{even}），{word_zh}放了 {one}。"}
