"""``attnlab inspect TEXT``: look at the attention of a real pretrained model.

:func:`run_inspect` tokenizes a text, runs all-MiniLM-L6-v2 (or another checkpoint) with per-head
weights, prints for every layer and head the most attended token of each token (a rich table per
layer), and writes into ``out_dir``:

- ``attention_grid.png`` / ``.svg``: one heatmap per selected head;
- ``attention_mean.png`` / ``.svg``: the mean over the selected heads, sized so that token labels stay
  legible up to the model's 256 tokens;
- ``index.html``: the attention explorer (:mod:`attnlab.report.explorer`) on all layers and heads: a
  head view, a model view, the weights behind them, head roles and PNG export, in one self-contained
  page whose Content-Security-Policy forbids network access. ``layer`` and ``head`` choose what it
  opens on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from attnlab.report.figures.attention import draw_attention_grid, draw_attention_mean

__all__ = ["InspectResult", "run_inspect"]


@dataclass
class InspectResult:
    """What :func:`run_inspect` computed and wrote.

    Attributes:
        tokens: the T token strings (with [CLS] and [SEP]).
        heads: the (layer, head) pairs shown.
        weights: (L, H, T, T) attention weights of all heads.
        most_attended: (layer, head) -> for each query token, the index of its most attended key.
        files: paths written, relative to ``out_dir``.
        out_dir: where the files are.
    """

    tokens: list[str]
    heads: list[tuple[int, int]]
    weights: torch.Tensor
    most_attended: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    out_dir: Path = Path("attnlab-inspect")


def _select(n_layers: int, n_heads: int, layer: int | None, head: int | None) -> list[tuple[int, int]]:
    for name, value, n in (("layer", layer, n_layers), ("head", head, n_heads)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < n):
            raise ValueError(f"{name}: expected an int in [0, {n - 1}], got {value!r}")
    layers = range(n_layers) if layer is None else [layer]
    heads = range(n_heads) if head is None else [head]
    return [(l, h) for l in layers for h in heads]


def run_inspect(
    text: str,
    layer: int | None = None,
    head: int | None = None,
    out_dir: Path = Path("attnlab-inspect"),
    *,
    model: Any = "all-MiniLM-L6-v2",
    console: Any = None,
    show_table: bool = True,
) -> InspectResult:
    """Print and draw the attention of a pretrained encoder on ``text``.

    Args:
        text: the input (truncated at the model's max_seq_length, 256 tokens for all-MiniLM-L6-v2).
        layer: only this layer (0-based); None for all.
        head: only this head (0-based); None for all.
        out_dir: directory for the figures and the HTML view (created if needed).
        model: a model name / checkpoint directory for :func:`attnlab.pretrained.load`, or an
            already loaded :class:`~attnlab.pretrained.BertEncoder`.
        console: a ``rich.console.Console`` to print to (default: a new one on stdout).
        show_table: print the per-layer tables.

    Returns:
        :class:`InspectResult`.

    Raises:
        PretrainedUnavailable: the model's weights package is not installed.
        ValueError / TypeError: bad ``text``, ``layer`` or ``head``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected str, got {type(text).__name__}")
    from attnlab.pretrained import load

    encoder = load(model) if isinstance(model, (str, Path)) else model
    selected = _select(encoder.n_layers, encoder.n_heads, layer, head)
    tokens, maps = encoder.attentions(text)
    weights = torch.stack(maps)  # (L, H, T, T)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = InspectResult(tokens=tokens, heads=selected, weights=weights, out_dir=out_dir)
    for l, h in selected:
        result.most_attended[(l, h)] = weights[l, h].argmax(-1).tolist()
    if show_table:
        _print_tables(result, console)
    result.files += draw_attention_grid(result.weights, result.tokens, result.heads, out_dir)
    result.files += draw_attention_mean(result.weights, result.tokens, result.heads, out_dir)
    result.files.append(_write_explorer(text, result, model, layer, head, out_dir))
    if show_table:
        from rich.console import Console

        (console or Console()).print(f"wrote {', '.join(result.files)} to {out_dir}")
    return result


def _short(token: str, n: int = 12) -> str:
    return token if len(token) <= n else token[: n - 1] + "…"


def _print_tables(result: InspectResult, console: Any) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = console or Console()
    tokens = result.tokens
    layers = sorted({l for l, _ in result.heads})
    for l in layers:
        table = Table(title=Text(f"layer {l}: each token -> its most attended token (weight)"),
                      header_style="bold", expand=False)
        table.add_column("head", justify="right", no_wrap=True)
        table.add_column("entropy", justify="right", no_wrap=True)
        table.add_column("token -> most attended")
        for ll, h in result.heads:
            if ll != l:
                continue
            w = result.weights[l, h]  # (T, T)
            entropy = float(-(w * w.clamp_min(1e-30).log()).sum(-1).mean())
            pairs = []
            for i, j in enumerate(result.most_attended[(l, h)]):
                pairs.append(f"{_short(tokens[i])}->{_short(tokens[j])} {float(w[i, j]):.2f}")
            table.add_row(Text(str(h)), Text(f"{entropy:.2f}"), Text("  ".join(pairs)))
        console.print(table)


def _write_explorer(text: str, result: InspectResult, model: Any, layer: int | None, head: int | None,
                    out_dir: Path) -> str:
    """``index.html``: the explorer on every layer and head, opening on the selected layer / head."""
    from attnlab.report.explorer import write_explorer

    short = text if len(text) <= 200 else text[:199] + "…"
    name = model if isinstance(model, str) else Path(model).name if isinstance(model, Path) else None  # else loaded
    write_explorer(out_dir / "index.html", result.tokens, result.weights, title=f"{name}: {short}" if name else short,
                   element_id="explorer", layer=layer or 0, heads=None if head is None else [head])
    return "index.html"
