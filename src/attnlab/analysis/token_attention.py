"""How much attention one word of a sentence receives in a pretrained encoder, layer by layer.

For layer l with per-head weights :math:`A^{(l,h)}` (T, T) (rows: queries, each summing to 1), the share
of attention word w receives is :math:`r_l(w) = \\frac{1}{HT} \\sum_h \\sum_i A^{(l,h)}_{i,w}`: the mean
over heads and queries, so that :math:`\\sum_w r_l(w) = 1` and a word attended like any other gets the
uniform share 1/T (special tokens included in T). Beside it, the word's importance measured without
attention: how far the sentence embedding moves (1 - cosine similarity) when the word is deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

__all__ = ["TokenAttention", "attention_received"]


@dataclass(frozen=True)
class TokenAttention:
    """What :func:`attention_received` measured for one word of one sentence.

    Attributes:
        text: the sentence; ``word`` the word looked at; ``tokens`` the model's tokens (specials included).
        index: the word's position in ``tokens``.
        share: (L,) attention share received per layer (mean over heads and queries).
        uniform: 1/T, the share of a token attended like any other.
        word_share: (L,) mean share of the non-special tokens per layer (the share of a typical word once
            the attention parked on [CLS] and [SEP] is set aside).
        rank: (L,) the word's rank by share among the non-special tokens, per layer (1 = most).
        deletion_rank: its rank among the non-special tokens by the embedding change when deleted.
        n_words: number of non-special tokens.
    """

    text: str
    word: str
    tokens: list[str]
    index: int
    share: list[float]
    uniform: float
    word_share: list[float]
    rank: list[int]
    deletion_rank: int
    n_words: int

    @property
    def ratio(self) -> list[float]:
        """(L,) share / uniform per layer (1 = attended like any token)."""
        return [s / self.uniform for s in self.share]

    @property
    def word_ratio(self) -> list[float]:
        """(L,) share / mean share of the non-special tokens per layer (1 = attended like the mean word)."""
        return [s / w for s, w in zip(self.share, self.word_share, strict=True)]

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "word": self.word, "tokens": self.tokens, "index": self.index,
                "share": self.share, "uniform": self.uniform, "ratio": self.ratio, "word_share": self.word_share,
                "word_ratio": self.word_ratio, "rank": self.rank,
                "deletion_rank": self.deletion_rank, "n_words": self.n_words}


def _rank(values: list[float], k: int) -> int:
    return 1 + sum(v > values[k] for v in values)


@torch.no_grad()
def attention_received(model: Any, text: str, word: str) -> TokenAttention:
    """Attention share received by ``word`` in ``text`` per layer of a BERT-family ``model``.

    Args:
        model: an encoder from :func:`attnlab.pretrained.load` (``encode``, ``forward(need_weights=True)``,
            ``pool``, ``tokenizer``).
        text: the sentence.
        word: a word of the sentence that the tokenizer keeps as one token (lower case for uncased models).

    Raises:
        ValueError: when ``word`` is not one token of ``text``.
    """
    batch = model.encode(text)
    ids, tokens = batch.input_ids[0], list(batch.tokens[0])
    if word not in tokens:
        raise ValueError(f"word: expected a single token of {text!r} ({tokens}), got {word!r}")
    index = tokens.index(word)
    out = model(batch.input_ids, key_mask=batch.key_mask, need_weights=True)
    maps = torch.stack([w[0] for w in out.attentions])  # (L, H, T, T)
    received = maps.mean(dim=(1, 2))  # (L, T): mean over heads and queries; each row sums to 1
    special = {model.tokenizer.token_to_id(s) for s in ("[CLS]", "[SEP]")}
    words = [i for i in range(len(ids)) if int(ids[i]) not in special]
    k = words.index(index)
    ranks = [_rank([float(r[i]) for i in words], k) for r in received]
    full = model.pool(out.hidden, out.key_mask)[0]
    deletion = []
    for i in words:  # leave-one-out: how far the sentence embedding moves without token i
        kept = torch.cat([ids[:i], ids[i + 1:]])[None]  # (1, T - 1)
        o = model(kept, key_mask=torch.ones_like(kept, dtype=torch.bool))
        deletion.append(1.0 - float(F.cosine_similarity(model.pool(o.hidden, o.key_mask)[0], full, dim=0)))
    return TokenAttention(text=text, word=word, tokens=tokens, index=index,
                          share=[float(r[index]) for r in received], uniform=1.0 / len(tokens),
                          word_share=[float(r[words].mean()) for r in received], rank=ranks,
                          deletion_rank=_rank(deletion, k), n_words=len(words))
