"""Attention explorers inline in Jupyter and VS Code notebooks, for weights from any model.

::

    from attnlab import show
    show.heads(weights, tokens)              # one layer, every head in its colour (bertviz's head view)
    show.model(weights, tokens)              # all layers × heads as small maps (bertviz's model view)
    show.tokens(weights, tokens, query=3)    # the sentence shaded by where token 3 attends
    show.text(model, "I hate this movie.")   # run a loaded model, then show.model of its weights
    attnlab.load_result("out/q3").show()     # a result's verdict, figures and explorers

``weights`` are per layer (B, H, T, T), first layer first: a list of tensors or arrays (Hugging Face's
``output_attentions`` tuple, attnlab's ``need_weights=True`` weights), one tensor (L, B, H, T, T), a model
output with ``.attentions``, or the cache of ``model.run_with_cache`` (its ``blocks.{i}.attn.pattern``);
``batch`` picks the sequence (default 0). Rows are queries and columns keys, and each row must sum to 1
(softmax probabilities, with padding removed). ``tokens`` are the T token strings (None: positions 1..T).

Every view is an :class:`AttentionView`: the same explorer as the report's (:mod:`attnlab.report.explorer`),
self-contained (its script and style inline, nothing fetched), with a fresh element id each time it is
rendered, so that many views share a page; ``view.save("x.html" | "x.svg" | "x.png")`` writes it.
Layers, heads and tokens are 0-based here, and shown numbered from 1, as the report numbers them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from attnlab.show.result import ResultDisplay, ResultView, load_result
from attnlab.show.view import AttentionView
from attnlab.show.weights import as_layers, check_tokens

__all__ = ["AttentionView", "ResultDisplay", "ResultView", "as_layers", "heads", "load_result", "model", "text",
           "tokens"]


def heads(weights: Any, tokens: Sequence[str] | None = None, *, layer: int = 0, heads: Sequence[int] | None = None,
          batch: int = 0, title: str | None = None) -> AttentionView:
    """The head view: one layer, every head in its own colour, lines from each token to where it attends.

    Args:
        weights: per-layer attention (B, H, T, T) from any source (see :mod:`attnlab.show`).
        tokens: the T token strings (None: the positions 1..T).
        layer: the layer it opens on (0-based).
        heads: the heads shown at first (0-based; None: all).
        batch: which sequence of the batch.
        title: a heading above the explorer.

    Returns:
        An :class:`AttentionView`.

    Raises:
        TypeError / ValueError: a bad argument, named with what was expected and what came.
    """
    toks, w = check_tokens(tokens, weights, batch=batch)
    return AttentionView("heads", toks, w, layer=layer, heads=heads, title=title)


def model(weights: Any, tokens: Sequence[str] | None = None, *, batch: int = 0,
          title: str | None = None) -> AttentionView:
    """The model view: every layer × head as a small map (rows: queries, columns: keys); one opens large.

    Arguments as :func:`heads`.
    """
    toks, w = check_tokens(tokens, weights, batch=batch)
    return AttentionView("model", toks, w, title=title)


def _query_index(query: Any, toks: list[str]) -> int:
    if isinstance(query, str):
        if query not in toks:
            raise ValueError(f"query: expected one of the tokens {toks[:12]}, got {query!r}")
        return toks.index(query)
    if isinstance(query, bool) or not isinstance(query, int) or not -len(toks) <= query < len(toks):
        raise ValueError(f"query: expected a token or an index in [0, {len(toks) - 1}], got {query!r}")
    return query % len(toks)


def tokens(weights: Any, tokens: Sequence[str] | None = None, *, query: int | str = 0, layer: int = 0,
           heads: Sequence[int] | None = None, batch: int = 0, title: str | None = None) -> AttentionView:
    """The coloured tokens: the sentence shaded by the attention of token ``query`` (mean over the heads shown),
    in the head view with ``query`` pinned; hover or tap another token to move it.

    Args:
        query: the query token, an index (0-based, negative from the end) or a token string (its first
            occurrence).
        weights, tokens, layer, heads, batch, title: as :func:`heads`.
    """
    toks, w = check_tokens(tokens, weights, batch=batch)
    return AttentionView("tokens", toks, w, layer=layer, heads=heads, query=_query_index(query, toks), title=title)


def text(model: Any, text: str, *, tokenizer: Any = None, view: str = "model", title: str | None = None,
         **kwargs: Any) -> AttentionView:
    """Run ``model`` on ``text`` and show its attention.

    Args:
        model: a pretrained encoder (``attnlab.pretrained.load("all-MiniLM-L6-v2")``), an attnlab model with
            hook points and a tokenizer (its ``tokenizer`` attribute or the argument), or a Hugging Face model
            with its tokenizer.
        text: the input.
        tokenizer: the tokenizer, when the model carries none.
        view: ``"model"``, ``"heads"`` or ``"tokens"``.
        title: a heading (default: the text).
        kwargs: passed on to :func:`model`, :func:`heads` or :func:`tokens` (``layer``, ``heads``, ``query``).
    """
    from attnlab.show.run_model import model_attentions

    shows = {"model": globals()["model"], "heads": heads, "tokens": tokens}
    if view not in shows:
        raise ValueError(f"view: expected one of {sorted(shows)}, got {view!r}")
    toks, maps = model_attentions(model, text, tokenizer=tokenizer)
    return shows[view](list(maps), toks, title=text if title is None else title, **kwargs)
