"""A stored result, shown inline: its verdict, one-line answer, figures and attention explorers."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

from attnlab.results import Result, ResultError, atomic_write_text
from attnlab.show.view import new_id

__all__ = ["ResultView", "load_result"]


def load_result(path: str | Path) -> ResultView:
    """Read a result (``OUT/<qid>/result.json``, or the folder holding it) for a notebook.

    The returned :class:`ResultView` has every attribute of the :class:`~attnlab.results.Result`
    (``verdict``, ``evidence``, ``claims`` ...) and :meth:`ResultView.show`.

    Raises:
        FileNotFoundError: no result.json at ``path``.
        ResultError: the file is not a valid result.
    """
    p = Path(path)
    if p.is_dir():
        p = p / "result.json"
    if not p.is_file():
        raise FileNotFoundError(f"path: expected a result.json or a folder holding one, got {str(path)!r}")
    try:
        result = Result.from_json(p.read_text(encoding="utf-8"))
    except ResultError as exc:
        raise ResultError(f"{p}: {exc}") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise ResultError(f"{p}: not a valid result.json ({type(exc).__name__}: {exc})") from None
    return ResultView(result, p.parent)


class ResultView:
    """A :class:`~attnlab.results.Result` (its fields readable on this object) and where it was read from."""

    def __init__(self, result: Result, folder: Path) -> None:
        self.result, self.folder = result, folder

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("result", "folder"):
            raise AttributeError(name)
        return getattr(self.result, name)

    def __repr__(self) -> str:
        return f"ResultView({self.result.qid}: {self.result.verdict}, {len(self.result.plots)} figures)"

    def show(self) -> ResultDisplay:
        """The result as an inline view: question, verdict, one-line answer, every figure (drawn from the
        result's plot data), and its attention explorers."""
        return ResultDisplay(self.result)


def _figure_uri(plot: Any) -> str:
    import matplotlib

    from attnlab.report.figures import draw_plot

    buf = io.BytesIO()
    with matplotlib.rc_context({"svg.fonttype": "none"}):
        draw_plot(plot).savefig(buf, format="svg", bbox_inches="tight")
    return "data:image/svg+xml;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


class ResultDisplay:
    """What :meth:`ResultView.show` returns: ``_repr_html_`` for notebooks, :meth:`save` for a page."""

    def __init__(self, result: Result) -> None:
        self.result = result

    def __repr__(self) -> str:
        return f"ResultDisplay({self.result.qid}: {self.result.verdict})"

    def to_html(self) -> str:
        from attnlab.report.explorer import explorer_assets
        from attnlab.report.view import explorer_fragments

        r, esc = self.result, html.escape
        parts = [f'<div class="attnlab-result" id="{new_id("attnlab-result")}">',
                 f"<h3>{esc(r.qid)}: {esc(r.question)}</h3>",
                 f"<p><strong>verdict: {esc(r.verdict)}</strong> · {esc(r.oneline.get('en', '') or r.rule)}</p>"]
        for plot in r.plots:
            parts.append(f'<figure style="margin:12px 0"><img style="max-width:100%" alt="{esc(plot.title)}" '
                         f'src="{_figure_uri(plot)}"><figcaption>{esc(plot.title)}</figcaption></figure>')
        fragments = explorer_fragments(r, r.qid, id_prefix=new_id(r.qid))
        parts += fragments
        parts.append("</div>")
        if fragments:
            parts.append(explorer_assets())
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()

    def save(self, path: str | Path) -> Path:
        """Write the view as an HTML page to ``path`` (a name ending in .html)."""
        path = Path(path)
        if path.suffix.lower() != ".html":
            raise ValueError(f"path: expected a name ending in .html, got {str(path)!r}")
        page = (f'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>{html.escape(self.result.qid)}'
                f"</title></head>\n<body>\n{self.to_html()}\n</body>\n</html>\n")
        return atomic_write_text(path, page)
