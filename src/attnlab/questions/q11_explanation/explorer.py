"""q11's attention explorer: MiniLM on the seed's sentence, opened on the last layer (the one raw attention reads) at
the head that gives the most weight to the word erasure ranks first, with the line that says how much weight that
word gets there and on average over the layer's heads, in English and Chinese (:mod:`attnlab.lab.words.focus`)."""

from __future__ import annotations

from typing import Any

from attnlab.lab.words import focus, num
from attnlab.questions.q11_explanation.settings import MINILM, SENTENCE
from attnlab.results import AttentionMap

__all__ = ["explorer_focus", "explorer_map"]


def explorer_map(mini: dict[str, Any]) -> AttentionMap:
    """The map of :data:`~attnlab.questions.q11_explanation.settings.SENTENCE` that the report explores."""
    return AttentionMap(f"{MINILM} on \"{SENTENCE}\": does the last layer's attention go to the word that matters?",
                        mini["tokens"], mini["weights"],
                        f"{MINILM} 读 “{SENTENCE}”：最后一层的注意力是否落在重要的词上？",
                        steps=mini.get("steps"), **explorer_focus(mini["tokens"], mini["weights"], mini["example"]))


def explorer_focus(tokens: list[str], weights: list, example: dict[str, list[float]]) -> dict[str, Any]:
    """The opening view: the last layer, its head that puts the most weight (mean over query tokens) on the word
    erasure ranks first ([CLS]/[SEP] aside), that word pinned; {} for a sentence without such a word."""
    inner = [k for k, t in enumerate(tokens) if t not in ("[CLS]", "[SEP]")]
    if not inner or len(example.get("erasure", [])) != len(tokens):
        return {}
    word = max(inner, key=lambda k: (example["erasure"][k], -k))
    w = focus.shown(weights)
    last = w.shape[0] - 1
    received = w[last, :, :, word].mean(-1)  # (H,): each head's mean weight on the word over query tokens
    h = int(received.argmax())
    got, mean, even = num(received[h]), num(received.mean()), num(1 / len(tokens))
    name, name_zh = focus.token(tokens, word, "en"), focus.token(tokens, word, "zh")
    return {"focus_layer": last, "focus_head": h, "focus_token": word,
            "answer": f"{focus.head(last, h, 'en')}: the tokens put on average {got} of their weight on {name}, the "
                      f"word whose deletion moves the sentence embedding most; over this layer's heads {mean} (an "
                      f"even spread gives {even}).",
            "answer_zh": f"{focus.head(last, h, 'zh')}：各词元平均把 {got} 的权重放在{name_zh}上，删掉它对句向量影响"
                         f"最大；这一层各头平均为 {mean}（均匀分配时为 {even}）。"}
