"""A view of attention weights that renders inline in a notebook and saves to HTML, SVG or PNG."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from attnlab.report.explorer import explorer_fragment, explorer_page
from attnlab.results import atomic_write_bytes, atomic_write_text

__all__ = ["AttentionView", "new_id"]

KINDS = ("heads", "model", "tokens")
SAVE_FORMATS = (".html", ".svg", ".png")


def new_id(prefix: str = "attnlab-view") -> str:
    """A fresh element id, so that views shown more than once on one page never share an id."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class AttentionView:
    """The attention explorer for one sequence: shown inline by Jupyter and VS Code (``_repr_html_``).

    Built by :func:`attnlab.show.heads`, :func:`~attnlab.show.model`, :func:`~attnlab.show.tokens` and
    :func:`~attnlab.show.text`. The HTML is self-contained (the explorer's script and style inline, the
    weights to 3 decimals in the page, nothing fetched) and every rendering gets its own element id, so
    several views, or one view twice, live on one page.

    Attributes:
        kind: ``"heads"``, ``"model"`` or ``"tokens"``: what the view opens on.
        tokens: the T tokens.
        weights: float64 array (L, H, T, T).
        layer, heads, query: the layer (0-based), heads (0-based; None: all) and pinned query token it
            opens with.
        title: the heading (None: none).
    """

    def __init__(self, kind: str, tokens: Sequence[str], weights: np.ndarray, *, layer: int = 0,
                 heads: Sequence[int] | None = None, query: int | None = None, title: str | None = None) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind: expected one of {KINDS}, got {kind!r}")
        self.kind, self.tokens, self.weights = kind, list(tokens), weights
        self.layer, self.heads, self.query, self.title = layer, None if heads is None else list(heads), query, title
        self._options()  # fail now, not when the notebook renders it

    def __repr__(self) -> str:
        L, H, T, _ = self.weights.shape
        return f"AttentionView({self.kind}, {T} tokens, {L} layers × {H} heads)"

    def _options(self) -> dict[str, Any]:
        opts: dict[str, Any] = {"title": self.title, "layer": self.layer, "heads": self.heads, "token": self.query,
                                "view": "model" if self.kind == "model" else "head"}
        explorer_fragment(self.tokens, self.weights, include_assets=False, element_id="check", **opts)
        return opts

    def to_html(self, *, include_assets: bool = True, element_id: str | None = None) -> str:
        """The view as an HTML fragment (a ``div.attnlab-explorer``, and the explorer's script and style)."""
        opts = self._options()
        return explorer_fragment(self.tokens, self.weights, include_assets=include_assets,
                                 element_id=element_id or new_id(), **opts)

    def _repr_html_(self) -> str:
        return self.to_html()

    def save(self, path: str | Path) -> Path:
        """Write the view to ``path``: ``.html`` (a complete offline page with the explorer), ``.svg`` or ``.png``
        (a static figure drawn with matplotlib in the explorer's colours). Returns the path.

        Raises:
            ValueError: ``path`` does not end in .html, .svg or .png.
        """
        path = Path(path)
        ext = path.suffix.lower()
        if ext not in SAVE_FORMATS:
            raise ValueError(f"path: expected a name ending in {', '.join(SAVE_FORMATS)}, got {str(path)!r}")
        if ext == ".html":
            return atomic_write_text(path, explorer_page(self.tokens, self.weights, element_id=new_id(),
                                                         **self._options()))
        with tempfile.TemporaryDirectory() as tmp:
            drawn = self._draw(Path(tmp))
            data = (Path(tmp) / f"{drawn}{ext}").read_bytes()
        return atomic_write_bytes(path, data)

    def _draw(self, out_dir: Path) -> str:
        """Draw the figure as PNG and SVG in ``out_dir``; returns the file stem."""
        import torch

        from attnlab.report.figures.attention import draw_attention_grid, draw_token_attention

        w = torch.from_numpy(self.weights)
        L, H = self.weights.shape[:2]
        shown = self.heads if self.heads is not None else list(range(H))
        if self.kind == "tokens" and self.query is not None:
            draw_token_attention(w, self.tokens, self.layer, shown, self.query, out_dir)
            return "token_attention"
        layers = range(L) if self.kind == "model" else [self.layer]
        draw_attention_grid(w, self.tokens, [(l, h) for l in layers for h in shown], out_dir)
        return "attention_grid"
