"""Matplotlib figures for the analyses (Agg backend; each figure saved as PNG and SVG)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

__all__ = ["attention_heatmap", "save_figure"]


def save_figure(fig: Any, out_dir: Path, name: str, *, dpi: float = 110, tight: bool = True) -> list[str]:
    """Save ``fig`` as ``name.png`` and ``name.svg`` in ``out_dir``; return the paths relative to it.

    ``tight=False`` keeps the figure's own margins (much faster for figures with hundreds of labels).
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # SVG text stays text (smaller, faster)
        for ext in ("png", "svg"):
            fig.savefig(out_dir / f"{name}.{ext}", dpi=dpi, bbox_inches="tight" if tight else None)
            paths.append(f"{name}.{ext}")
    plt.close(fig)
    return paths


def attention_heatmap(ax: Any, weights: torch.Tensor, tokens: Sequence[str] | None = None, *,
                      title: str = "", label_limit: int = 48, fontsize: float | None = None) -> None:
    """Draw one (Tq, Tk) attention map; token labels are shown when T <= ``label_limit``."""
    w = weights.detach().float().cpu().numpy()
    ax.imshow(w, cmap="viridis", vmin=0.0, vmax=max(float(w.max()), 1e-6), aspect="equal",
              interpolation="nearest")
    T = w.shape[-1]
    if tokens is not None and label_limit >= T:
        size = fontsize if fontsize is not None else max(4.0, min(9.0, 260.0 / max(T, 1)))
        ax.set_xticks(range(T))
        ax.set_yticks(range(T))
        ax.set_xticklabels(tokens, rotation=90, fontsize=size)
        ax.set_yticklabels(tokens, fontsize=size)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=8)
