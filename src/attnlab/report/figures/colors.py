"""One colour per condition across the whole report: a colour map keyed by a series' label.

A condition keeps its colour in every panel and every figure: the LSTM is red wherever an LSTM is
compared, self-attention blue, a convolution gold, scaled dot products blue and unscaled ones red in q3
and q8 alike. Labels name conditions in several ways ("LSTM", "LSTM layer", "vs LSTM (FLOPs)"), so a
label is matched against patterns, not looked up verbatim. A label no pattern knows gets a colour from
a hash of its text: stable from run to run and from panel to panel, never from its position.

Within one figure, two different labels drawn in the same line style never share a colour:
:func:`figure_colors` gives the later one the next free colour of :data:`PALETTE`.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence

__all__ = ["NEUTRAL", "PALETTE", "REFERENCE", "color_for", "figure_colors", "known_color"]

BLUE, RED, GREEN, GOLD, PURPLE, TEAL, BROWN, PINK, OLIVE, SLATE = (
    "#1f63c6", "#d1495b", "#2a9d5c", "#e09f1f", "#7a4fbf", "#00798c", "#8c564b", "#c2549d", "#7f8a1f", "#5f6b7a")
PALETTE = (BLUE, RED, GREEN, GOLD, PURPLE, TEAL, BROWN, PINK, OLIVE, SLATE)
NEUTRAL = SLATE  # a baseline drawn as a series ("random order")
REFERENCE = "#6e7781"  # reference lines: trivial baselines, thresholds, published figures

# (pattern on the normalised label, colour). First match wins, so the specific comes before the general.
_CONDITIONS: tuple[tuple[str, str], ...] = (
    # architectures (q5, q6, q7): attention blue, LSTM red, convolution gold
    (r"lstm \(torch's default init\)", BROWN),
    (r"^transformer block\b", TEAL),
    (r"causal (mask|block)|teacher-forced", PURPLE),
    (r"^self-attention\b|^transformer encoder\b|^encoder block\b|^attention$", BLUE),
    (r"\blstm\b", RED),
    (r"\bconv\b|\bconvolution\b|\bcnn\b", GOLD),
    # q5's decoder: one causal pass (the causal block of q5's first figure), token by token, generation
    (r"fed one at a time", PINK),
    (r"with the kv cache|^kv cache speed-up", GREEN),
    (r"without the cache", GOLD),
    # q7's pooling
    (r"^last$", RED),
    (r"^mean$", GREEN),
    (r"^max$", GOLD),
    # the logit scale (q3) and the score functions (q8): scaled blue, unscaled red
    (r"^× ?1/sqrt\(d_k\)$|^× ?1/√d_k$|^scaled_dot$", BLUE),
    (r"^× ?1$|^dot$", RED),
    (r"^× ?1/d_k$", GREEN),
    (r"^general$", PURPLE),
    (r"^additive$", GOLD),
    (r"^cosine$", TEAL),
    # q2's W_Q / W_K
    (r"^separate$", BLUE),
    (r"^shared$", RED),
    (r"^none$", GREEN),
    # q9's position encodings
    (r"^sinusoidal$", BLUE),
    (r"^learned$", RED),
    (r"^rope$", GREEN),
    (r"^alibi$", GOLD),
    (r"^t5$", PURPLE),
    # q1's pruning orders, q10's two views of attention, q4's stages
    (r"^importance order\b", BLUE),
    (r"^random order\b", NEUTRAL),
    (r"^attention weight$", BLUE),
    (r"‖value‖", GOLD),
    (r"^at initiali[sz]ation$", NEUTRAL),
    (r"^after training, one head\b", TEAL),
    (r"^after training$", BLUE),
    (r"minilm", PURPLE),
    (r"^q·k, n\(0, ?1\)$", BLUE),
    (r"^q·k, ±1$", GOLD),
    (r"^q·k/√d_k$", GREEN),
    (r"\(theory\)$", NEUTRAL),
    # the only series of a panel: what it measures, in the accent colour
    (r"^(median|mean)\b|^accuracy$|^ms$|^weight$|^trained lms$|^deciding word$", BLUE),
    (r"^other polar word$", RED),
)
_COMPILED = tuple((re.compile(p), c) for p, c in _CONDITIONS)


def _normalise(label: str) -> str:
    s = " ".join(str(label).lower().split())
    s = re.sub(r"^(logits|vs\.?) ", "", s)  # "logits × 1" is "× 1"; "vs LSTM (FLOPs)" is the LSTM
    return s


def known_color(label: str) -> str | None:
    """The colour of the condition ``label`` names, or ``None`` when no pattern knows it."""
    s = _normalise(label)
    for pattern, color in _COMPILED:
        if pattern.search(s):
            return color
    return None


def color_for(label: str) -> str:
    """The colour of ``label``: its condition's, else one picked by a hash of its text (stable)."""
    known = known_color(label)
    if known is not None:
        return known
    return PALETTE[zlib.crc32(_normalise(label).encode("utf-8")) % len(PALETTE)]


def figure_colors(panels: Iterable[Sequence[tuple[str, str]]]) -> dict[str, str]:
    """Colours for every series label of one figure; ``panels`` gives each panel's (label, style) pairs.

    A condition gets its colour (:func:`known_color`). A label no pattern knows gets its hashed colour
    unless another label of the figure has it, else the first colour of :data:`PALETTE` the figure does not
    use (its keys share one legend). Where two different labels of one panel would still be drawn alike
    (same colour, same style), the later one takes the first colour unused in that panel. A label keeps
    its colour in every panel of the figure.
    """
    panels = [list(p) for p in panels]
    used = {c for p in panels for label, _ in p if (c := known_color(label)) is not None}
    colors: dict[str, str] = {}
    for series in panels:
        taken: dict[tuple[str, str], str] = {}  # (colour, style) -> label
        in_panel: set[str] = set()
        for label, style in series:
            color = colors.get(label)
            if color is None:
                color = known_color(label)
                if color is None:
                    color = color_for(label)
                    if color in used:
                        color = next((c for c in PALETTE if c not in used), color)
                if (color, style) in taken and taken[(color, style)] != label:
                    color = next((c for c in PALETTE if c not in in_panel), color)
                colors[label] = color
                used.add(color)
            taken.setdefault((color, style), label)
            in_panel.add(color)
    return colors
