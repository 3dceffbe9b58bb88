"""q1's attention explorer: the view it opens on (layer, head, pinned token), chosen from the weights, and
the line that says what that view shows, in English and Chinese (:mod:`attnlab.lab.words.focus`)."""

from __future__ import annotations

from typing import Any

from attnlab.lab.words import focus, num
from attnlab.questions.q1_heads.settings import EXAMPLE
from attnlab.results import AttentionMap

__all__ = ["explorer_focus", "explorer_map"]


def explorer_map(mini: dict[str, Any]) -> AttentionMap:
    """The report's explorer: all-MiniLM-L6-v2 on :data:`EXAMPLE` (the MiniLM trial's measurements), opening on
    :func:`explorer_focus`'s view, with its step-through and its attribution view."""
    return AttentionMap(f"all-MiniLM-L6-v2 on \"{EXAMPLE}\": which heads look where?", mini["tokens"], mini["weights"],
                        f"all-MiniLM-L6-v2 读“{EXAMPLE}”：哪些头看向哪里？", steps=mini.get("steps"),
                        attribution=mini.get("attribution"), **explorer_focus(mini["tokens"], mini["weights"]))


def explorer_focus(tokens: list[str], weights: list) -> dict[str, Any]:
    """The explorer's opening view: the head where "it" puts the most weight on "animal" (the word it refers
    to), with "it" pinned, and that weight in a line ({} when either word is missing)."""
    i, j = focus.find(tokens, "it"), focus.find(tokens, "animal")
    if i is None or j is None:
        return {}
    w = focus.shown(weights)
    l, h = focus.strongest(w[:, :, i, j])
    a, n = num(w[l, h, i, j]), w.shape[0] * w.shape[1]
    it, animal = focus.token(tokens, i, "en"), focus.token(tokens, j, "en")
    it_zh, animal_zh = focus.token(tokens, i, "zh"), focus.token(tokens, j, "zh")
    return {"focus_layer": l, "focus_head": h, "focus_token": i,
            "answer": f"{focus.head(l, h, 'en')}: {it} puts {a} of its weight on {animal}, the most of all {n} heads.",
            "answer_zh": f"{focus.head(l, h, 'zh')}：{it_zh}把 {a} 的权重放在{animal_zh}上，是全部 {n} 个头中最多的。"}
