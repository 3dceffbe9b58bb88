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
    result.files += _draw_grid(result, out_dir)
    result.files += _draw_mean(result, out_dir)
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


def _mosaic(result: InspectResult, max_cell: int = 64) -> tuple[torch.Tensor, int, int]:
    """All selected heads tiled into one image (rows: layers, columns: heads), NaN gaps between.

    Maps longer than ``max_cell`` tokens are average-pooled to ``max_cell`` x ``max_cell`` (an overview;
    the per-token view is ``attention_mean`` and the HTML head view). Returns (image, cell, gap).
    """
    layers = sorted({l for l, _ in result.heads})
    heads = sorted({h for _, h in result.heads})
    T = len(result.tokens)
    cell = min(T, max_cell)
    gap = max(1, cell // 8)
    img = torch.full((len(layers) * (cell + gap) - gap, len(heads) * (cell + gap) - gap), float("nan"))
    for r, l in enumerate(layers):
        for c, h in enumerate(heads):
            w = result.weights[l, h]  # (T, T)
            if cell < T:
                w = torch.nn.functional.adaptive_avg_pool2d(w[None, None], cell)[0, 0]  # (cell, cell)
            img[r * (cell + gap): r * (cell + gap) + cell, c * (cell + gap): c * (cell + gap) + cell] = (
                w / w.max().clamp_min(1e-9))
    return img, cell, gap


def _dpi(width_in: float, height_in: float, max_pixels: int = 2400) -> float:
    return max(40.0, min(110.0, max_pixels / max(width_in, height_in)))


def _draw_grid(result: InspectResult, out_dir: Path) -> list[str]:
    import matplotlib.pyplot as plt

    from attnlab.analysis.plots import attention_heatmap, save_figure

    T = len(result.tokens)
    if len(result.heads) == 1:
        l, h = result.heads[0]
        fig, ax = _big_axes(result.tokens)
        attention_heatmap(ax, result.weights[l, h], result.tokens, title=f"layer {l} head {h}", label_limit=256,
                          fontsize=_label_size(T))
        return save_figure(fig, out_dir, "attention_grid", dpi=_dpi(*fig.get_size_inches()), tight=False)
    img, cell, gap = _mosaic(result)
    layers = sorted({l for l, _ in result.heads})
    heads = sorted({h for _, h in result.heads})
    width = min(1.1 * len(heads) + 1.0, 20.0)
    height = max(width * img.shape[0] / img.shape[1], 1.5)
    fig, ax = plt.subplots(figsize=(width, height + 0.6))
    cmap = plt.get_cmap("viridis").with_extremes(bad="white")
    ax.imshow(img.numpy(), cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest", aspect="equal")
    ax.set_xticks([c * (cell + gap) + (cell - 1) / 2 for c in range(len(heads))])
    ax.set_xticklabels([f"H{h}" for h in heads], fontsize=8)
    ax.set_yticks([r * (cell + gap) + (cell - 1) / 2 for r in range(len(layers))])
    ax.set_yticklabels([f"L{l}" for l in layers], fontsize=8)
    pooled = f", pooled to {cell}x{cell}" if cell < T else ""
    ax.set_title(f"attention per head ({T} tokens{pooled}; rows: queries, columns: keys; each head scaled to "
                 "its max)", fontsize=9)
    return save_figure(fig, out_dir, "attention_grid", dpi=_dpi(width, height))


def _draw_mean(result: InspectResult, out_dir: Path) -> list[str]:
    from attnlab.analysis.plots import attention_heatmap, save_figure

    T = len(result.tokens)
    idx_l = torch.tensor([l for l, _ in result.heads])
    idx_h = torch.tensor([h for _, h in result.heads])
    mean = result.weights[idx_l, idx_h].mean(0)  # (T, T)
    fig, ax = _big_axes(result.tokens)
    attention_heatmap(ax, mean, result.tokens, label_limit=256, fontsize=_label_size(T))
    what = "all heads" if len(result.heads) > 1 else f"layer {result.heads[0][0]} head {result.heads[0][1]}"
    ax.set_title(f"mean attention, {what}", fontsize=10)
    return save_figure(fig, out_dir, "attention_mean", dpi=_dpi(*fig.get_size_inches()), tight=False)


def _label_size(T: int) -> float:
    return max(3.5, min(9.0, 260.0 / max(T, 1)))


def _big_axes(tokens: list[str]) -> tuple[Any, Any]:
    """A square heatmap axes sized for T token labels, with margins computed from the longest label
    (no tight-bbox pass: laying out hundreds of labels twice is slow)."""
    import matplotlib.pyplot as plt

    T = len(tokens)
    side = min(3.0 + 0.11 * T, 30.0)
    margin = 0.4 + max((len(t) for t in tokens), default=1) * _label_size(T) * 0.62 / 72  # inches
    fig = plt.figure(figsize=(side + margin + 0.3, side + margin + 0.6))
    w, h = fig.get_size_inches()
    ax = fig.add_axes((margin / w, margin / h, side / w, side / h))
    return fig, ax


def _write_explorer(text: str, result: InspectResult, model: Any, layer: int | None, head: int | None,
                    out_dir: Path) -> str:
    """``index.html``: the explorer on every layer and head, opening on the selected layer / head."""
    from attnlab.report.explorer import write_explorer

    short = text if len(text) <= 200 else text[:199] + "…"
    name = model if isinstance(model, str) else Path(model).name if isinstance(model, Path) else None  # else loaded
    write_explorer(out_dir / "index.html", result.tokens, result.weights, title=f"{name}: {short}" if name else short,
                   element_id="explorer", layer=layer or 0, heads=None if head is None else [head])
    return "index.html"
