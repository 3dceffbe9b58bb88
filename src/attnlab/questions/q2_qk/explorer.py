"""q2's attention explorer: the view it opens on (layer, head, pinned token), chosen from the weights, and
the line that says what that view shows, in English and Chinese (:mod:`attnlab.lab.words.focus`)."""

from __future__ import annotations

from typing import Any

from attnlab.lab.words import focus, num

__all__ = ["explorer_focus"]


def explorer_focus(tokens: list[str], weights: list) -> dict[str, Any]:
    """The explorer's opening view: the head where "it" puts the most weight on "dog", with "it" pinned, and
    that weight and the reverse one ("dog" on "it") in a line ({} when either word is missing)."""
    i, j = focus.find(tokens, "it"), focus.find(tokens, "dog")
    if i is None or j is None:
        return {}
    w = focus.shown(weights)
    l, h = focus.strongest(w[:, :, i, j])
    a, b = num(w[l, h, i, j]), num(w[l, h, j, i])
    it, dog = focus.token(tokens, i, "en"), focus.token(tokens, j, "en")
    it_zh, dog_zh = focus.token(tokens, i, "zh"), focus.token(tokens, j, "zh")
    top = int(w[l, h, i].argmax())  # where "it" looks most in that head: said when it is not "dog"
    more_en, more_zh = "", ""
    if top != j:
        c = num(w[l, h, i, top])
        more_en = f" (it puts more, {c}, on {focus.token(tokens, top, 'en')})"
        more_zh = f"（更多的 {c} 放在{focus.token(tokens, top, 'zh')}上）"
    return {"focus_layer": l, "focus_head": h, "focus_token": i,
            "answer": f"{focus.head(l, h, 'en')}: {it} puts {a} of its weight on {dog}{more_en}; "
                      f"{dog} puts {b} on {it}.",
            "answer_zh": f"{focus.head(l, h, 'zh')}：{it_zh}把 {a} 的权重放在{dog_zh}上{more_zh}，"
                         f"{dog_zh}放在{it_zh}上的是 {b}。"}
