"""HTML for the attention explorer: an embeddable fragment, a full offline page, and the assets.

The fragment is a ``div.attnlab-explorer`` holding its data in a ``<script type="application/json">``
block; ``explorer.js`` (inlined, never fetched) builds the views inside it. The script finds every such
div and keeps each explorer's state in its own closure, so one page can hold several fragments; the
script may be included once (``include_assets=False`` on every fragment plus :func:`explorer_assets`
once) or with every fragment (a second copy only starts the explorers that are not running yet).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from attnlab.report.explorer.data import FORMAT, SCALE, VERSION, encode_weights, validate_inputs
from attnlab.report.explorer.detectors import head_detectors
from attnlab.report.explorer.roles import head_role_stats, labels_from_stats, role_notes
from attnlab.report.explorer.steps import steps_panel

__all__ = ["content_security_policy", "explorer_assets", "explorer_fragment", "explorer_page", "write_explorer"]

_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_:.-]*$")


@cache
def _asset(name: str) -> str:
    return resources.files("attnlab.report.explorer").joinpath(name).read_text(encoding="utf-8")


def _script() -> str:
    """The explorer's script: ``explorer.js`` and the step-through's ``steps.js``, one inline text."""
    return _asset("explorer.js") + "\n" + _asset("steps.js")


def _script_json(obj: Any) -> str:
    """JSON safe inside a ``<script>`` element: no '<', '>' or '&' (so no ``</script>`` or ``<!--``)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def explorer_assets() -> str:
    """The explorer's ``<style>`` and ``<script>`` elements (include once per page, after the fragments
    or anywhere: the script also starts explorers added before the document finished loading)."""
    return f"<style>{_asset('explorer.css')}</style>\n<script>{_script()}</script>\n"


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def content_security_policy(*, styles: Iterable[str] = (), scripts: Iterable[str] = ()) -> str:
    """A policy for a page holding explorers: no network at all, and only the explorer's inline style
    and script run (by hash), plus the page's own inline ``styles`` and ``scripts`` (their texts)."""
    script_hashes = " ".join(_csp_hash(t) for t in (_script(), *scripts))
    style_hashes = " ".join(_csp_hash(t) for t in (_asset("explorer.css"), *styles))
    return (f"default-src 'none'; script-src {script_hashes}; style-src {style_hashes}; "
            "base-uri 'none'; form-action 'none'")


def _check_roles(roles: Any, L: int, H: int) -> list[list[str]]:
    if not isinstance(roles, Sequence) or isinstance(roles, str) or len(roles) != L:
        raise ValueError(f"roles: expected {L} lists (one per layer) of {H} labels, got "
                         f"{type(roles).__name__} of length {len(roles) if isinstance(roles, Sequence) else '?'}")
    out = []
    for l, row in enumerate(roles):
        if not isinstance(row, Sequence) or isinstance(row, str) or len(row) != H:
            raise ValueError(f"roles[{l}]: expected {H} labels (one per head), got {row!r:.80}")
        labels = []
        for h, label in enumerate(row):
            if isinstance(label, str):
                labels.append(label)
            elif isinstance(label, Iterable) and all(isinstance(x, str) for x in label):
                labels.append(", ".join(label))
            else:
                raise ValueError(f"roles[{l}][{h}]: expected a str or a list of str, got {label!r:.80}")
        out.append(labels)
    return out


def _check_index(name: str, value: Any, n: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < n:
        raise ValueError(f"{name}: expected an int in [0, {n - 1}], got {value!r}")
    return value


def explorer_fragment(
    tokens: Sequence[str],
    attentions: Any,
    *,
    title: str | None = None,
    roles: Sequence[Sequence[str | Sequence[str]]] | None = None,
    element_id: str | None = None,
    layer: int = 0,
    heads: Iterable[int] | None = None,
    token: int | None = None,
    answer: str | None = None,
    answer_zh: str | None = None,
    export_title: str | None = None,
    compress: bool | None = None,
    include_assets: bool = True,
    atol: float = 1e-2,
    view: str = "head",
    steps: Any = None,
    attribution: Mapping[str, Any] | None = None,
) -> str:
    """The attention explorer for ``tokens`` and their weights, as an HTML fragment.

    The fragment has a head view (one layer; every head in its colour; hover, tap or focus a token to
    see where it attends, or what attends to it; heads shown or hidden by clicking their colour), a
    model view (all layers × heads as small maps; one opens large with token labels), the weights
    behind what is drawn, head-role labels, and a PNG and SVG export of the current view. Layers, heads
    and token positions are shown numbered from 1 (the arguments here are 0-based indices).

    Args:
        tokens: T token strings (special tokens included), as the model saw them.
        attentions: the attention probabilities, an (L, H, T, T) tensor / array or a sequence of L
            tensors / arrays (H, T, T) (or (1, H, T, T), as Hugging Face models return them); rows
            are queries, columns keys. Stored to 3 decimals (error <= 0.0005).
        title: a heading (escaped; None: no heading).
        roles: per layer, per head, a role label (a str, or a list of str joined with ", "); None
            computes them from these weights with
            :func:`~attnlab.report.explorer.roles.head_roles_labels` (default thresholds).
        element_id: the id of the fragment's root element (default: derived from its content; give
            distinct ids to identical explorers in one page). Letters, digits, ``_:.-``.
        layer: the layer the head view opens on (0-based; shown as ``layer + 1``).
        heads: the heads shown at first (0-based; default: all).
        token: a query token pinned at first (an index into ``tokens``; default: none).
        answer, answer_zh: one line saying what the opening view shows, in English and Chinese, written
            above the explorer (``p.ax-answer[lang=en]`` and ``[lang=zh-CN]``; a page whose root has
            ``data-lang="zh-CN"`` shows the Chinese one, any other page the English one).
        export_title: the title of exported PNG and SVG images, e.g. the model and the sentence
            (default: ``title``); the export adds the layer and heads shown.
        compress: zlib-compress the weights (None: when the packed weights exceed 64 KiB). Compressed
            data needs a browser with ``DecompressionStream`` (Chrome 80, Firefox 113, Safari 16.4).
        include_assets: append the explorer's style and script (safe to repeat; pass False and add
            :func:`explorer_assets` once to keep a page with many explorers small).
        atol: tolerance on each row's sum (see :func:`~attnlab.report.explorer.data.validate_inputs`).
        view: the view it opens on, ``"head"`` (one layer, every head) or ``"model"`` (all layers × heads).
        steps: one head's computation for one query token (a :class:`~attnlab.results.HeadSteps` or its
            dict), shown below the views as a step-through, x → q, k → q·k → ÷√d_k → mask → softmax → ·v,
            one stage at a time (:mod:`~attnlab.report.explorer.steps`); None: no step-through.
        attribution: the sentence's token scores by each attribution method beside erasure, with each
            method's Spearman agreement with erasure, as
            :func:`~attnlab.analysis.attribution.sentence_attributions` returns them for these ``tokens``;
            shown as the "attribution" view (the sentence shaded once per method). None: no such view.

    The model view marks each head's previous-token, duplicate-token and induction scores
    (:func:`~attnlab.report.explorer.detectors.head_detectors`, computed here from ``attentions``).

    Returns:
        The HTML text. Every token and the title are escaped; the data block cannot close its
        ``<script>`` element.

    Raises:
        TypeError / ValueError: invalid ``tokens`` or ``attentions`` (shapes expected vs got, NaN,
            negative weights, rows not summing to 1), or a bad ``roles``, ``element_id``, ``layer``,
            ``heads`` or ``token``.
    """
    tokens, w = validate_inputs(tokens, attentions, atol=atol)
    L, H, T, _ = w.shape
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title: expected str or None, got {type(title).__name__}")
    _check_index("layer", layer, L)
    if view not in ("head", "model"):
        raise ValueError(f"view: expected 'head' or 'model', got {view!r}")
    shown = None
    if heads is not None:
        shown = sorted({_check_index(f"heads[{n}]", h, H) for n, h in enumerate(heads)})
    if token is not None:
        _check_index("token", token, T)
    for name, value in (("answer", answer), ("answer_zh", answer_zh), ("export_title", export_title)):
        if value is not None and not isinstance(value, str):
            raise TypeError(f"{name}: expected str or None, got {type(value).__name__}")
    if attribution is not None:
        attribution = _check_attribution(attribution, tokens)
    stats = head_role_stats(tokens, w)
    labels = labels_from_stats(stats) if roles is None else _check_roles(roles, L, H)
    codec, payload = encode_weights(w, compress=compress)
    data = {
        "format": FORMAT, "version": VERSION, "title": title, "tokens": tokens, "shape": [L, H, T],
        "scale": SCALE, "codec": codec, "weights": payload, "roles": labels, "notes": role_notes(stats),
        "initial": {"layer": layer, "heads": shown, "token": token, **({"view": view} if view != "head" else {})},
        "answer": {"en": answer or "", "zh": answer_zh or ""},
        "export_title": export_title if export_title is not None else title,
        "detectors": {k: None if v is None else _round(v, 3) for k, v in head_detectors(tokens, w).items()},
        **({"attribution": attribution} if attribution is not None else {}),
    }
    body = _script_json(data)
    if element_id is None:
        element_id = "attnlab-explorer-" + hashlib.sha1(body.encode("utf-8")).hexdigest()[:10]
    elif not isinstance(element_id, str) or not _ID.match(element_id):
        raise ValueError(f"element_id: expected a letter then letters, digits or _:.-, got {element_id!r}")
    heading = f'<span class="ax-title">{html.escape(title)}</span>' if title else ""
    meta = (f'<span lang="en">{T} tokens · {L} layer{"s" * (L != 1)} × {H} head{"s" * (H != 1)}</span>'
            f'<span lang="zh-CN">{T} 个词元 · {L} 层 × {H} 个头</span>')
    parts = [
        f'<div class="attnlab-explorer" id="{element_id}">',
        f'<div class="ax-header">{heading}<span class="ax-meta">{meta}</span></div>',
        *_answer_lines(answer, answer_zh),
        f'<script type="application/json" class="ax-data" data-for="{element_id}">{body}</script>',
        '<noscript><p class="ax-noscript"><span lang="en">This attention explorer needs JavaScript.</span>'
        '<span lang="zh-CN">这个注意力浏览器需要 JavaScript。</span></p></noscript>',
        *([] if steps is None else [steps_panel(steps, tokens)]),
        "</div>",
    ]
    if include_assets:
        parts.append(explorer_assets())
    return "\n".join(parts) + "\n"


def _round(x: Any, digits: int) -> Any:
    return [_round(v, digits) for v in x] if isinstance(x, list) else round(float(x), digits)


def _check_attribution(a: Mapping[str, Any], tokens: list[str]) -> dict[str, Any]:
    """``a`` as the explorer reads it: every score list one number per token, an agreement per method."""
    if not isinstance(a, Mapping) or not {"methods", "scores", "erasure", "agreement"} <= set(a):
        got = sorted(a) if isinstance(a, Mapping) else type(a).__name__
        raise ValueError("attribution: expected a dict with 'methods', 'scores', 'erasure' and 'agreement' "
                         f"(as sentence_attributions returns), got {got}")
    T = len(tokens)
    if "tokens" in a and list(a["tokens"]) != tokens:
        raise ValueError(f"attribution['tokens']: expected the explorer's {T} tokens, got {list(a['tokens'])[:8]}")
    for m in a["methods"]:
        if len(a["scores"].get(m, ())) != T or m not in a["agreement"]:
            raise ValueError(f"attribution['scores'][{m!r}]: expected {T} scores and an agreement, got "
                             f"{len(a['scores'].get(m, ()))}")
    if len(a["erasure"]) != T:
        raise ValueError(f"attribution['erasure']: expected {T} scores, got {len(a['erasure'])}")
    return {k: a[k] for k in ("methods", "scores", "erasure", "agreement", "compared", "target") if k in a}


def _answer_lines(answer: str | None, answer_zh: str | None) -> list[str]:
    """The answer line in each language (Chinese falls back to English), or none."""
    if not answer and not answer_zh:
        return []
    return [f'<p class="ax-answer" lang="en">{html.escape(answer or answer_zh or "")}</p>',
            f'<p class="ax-answer" lang="zh-CN">{html.escape(answer_zh or answer or "")}</p>']


_PAGE_CSS = ("body{margin:0;background:#fff;color:#1f2328}"
             "main{max-width:1240px;margin:0 auto;padding:16px 20px 40px}"
             "footer{color:#59636e;font:12px/1.5 -apple-system,'Segoe UI','Noto Sans',Helvetica,Arial,sans-serif;"
             "margin-top:10px}")


def explorer_page(tokens: Sequence[str], attentions: Any, *, title: str | None = None, **kwargs: Any) -> str:
    """A complete, self-contained HTML page with one explorer (arguments as :func:`explorer_fragment`).

    The page needs no network: its Content-Security-Policy forbids every request (``default-src
    'none'``) and lets only the explorer's own inline script and style run (by hash).
    """
    fragment = explorer_fragment(tokens, attentions, title=title, include_assets=False, **kwargs)
    page_title = html.escape(f"attention explorer: {title}" if title else "attention explorer")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(styles=[_PAGE_CSS])}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{page_title}</title>\n<style>{_PAGE_CSS}</style>\n"
        f"<style>{_asset('explorer.css')}</style>\n</head>\n<body>\n<main>\n{fragment}"
        "<footer>attnlab attention explorer · weights to 3 decimals · works offline</footer>\n</main>\n"
        f"<script>{_script()}</script>\n</body>\n</html>\n"
    )


def write_explorer(path: str | Path, tokens: Sequence[str], attentions: Any, **kwargs: Any) -> Path:
    """Write :func:`explorer_page` to ``path`` atomically (folders created); returns the path."""
    from attnlab.results import atomic_write_text

    return atomic_write_text(Path(path), explorer_page(tokens, attentions, **kwargs))
