"""q1's attention explorer: the view it opens on (layer, head, pinned token), chosen from the weights, and
the line that says what that view shows, in English and Chinese (:mod:`attnlab.lab.words.focus`)."""

from __future__ import annotations

from typing import Any

from attnlab.lab.words import focus, num

__all__ = ["explorer_focus"]


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
