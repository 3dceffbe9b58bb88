"""q7's attention explorer: the view it opens on (layer, head, pinned token), chosen from the weights, and
the line that says what that view shows, in English and Chinese (:mod:`attnlab.lab.words.focus`)."""

from __future__ import annotations

from typing import Any

from attnlab.lab.words import focus, num

__all__ = ["explorer_focus"]


def explorer_focus(tokens: list[str], weights: list, word: str) -> dict[str, Any]:
    """The explorer's opening view: the head where [CLS] puts the most weight on the polar ``word``, with
    [CLS] pinned, and that weight beside an even spread's 1/T in a line ({} when a token is missing)."""
    i, j = focus.find(tokens, "[CLS]"), focus.find(tokens, word)
    if i is None or j is None:
        return {}
    w = focus.shown(weights)
    l, h = focus.strongest(w[:, :, i, j])
    a, even = num(w[l, h, i, j]), num(1 / len(tokens))
    cls, polar, polar_zh = focus.token(tokens, i, "en"), focus.token(tokens, j, "en"), focus.token(tokens, j, "zh")
    return {"focus_layer": l, "focus_head": h, "focus_token": i,
            "answer": f"{focus.head(l, h, 'en')}: {cls} puts {a} of its weight on {polar}; an even spread would "
                      f"give {even}.",
            "answer_zh": f"{focus.head(l, h, 'zh')}：{cls} 把 {a} 的权重放在{polar_zh}上，均匀分配时为 {even}。"}
