"""``attnlab inspect TEXT``: look at the attention of a real pretrained model.

:func:`run_inspect` tokenizes a text, runs all-MiniLM-L6-v2 (or any model :func:`attnlab.pretrained.load`
reads: a local Hugging Face folder of BERT, RoBERTa, DistilBERT, GPT-2 or Llama, with its ``tokenizer.json``)
with per-head weights, prints what it found, and writes into ``out_dir``:

- ``attention_grid.png`` / ``.svg``: one heatmap per selected head;
- ``attention_mean.png`` / ``.svg``: the mean over the selected heads, sized so that token labels stay
  legible up to the model's 256 tokens;
- ``index.html``: the attention explorer (:mod:`attnlab.report.explorer`) on all layers and heads: a
  head view, a model view, the weights behind them, head roles and PNG export, in one self-contained
  page whose Content-Security-Policy forbids network access. ``layer`` and ``head`` choose what it
  opens on. For a text of at most :data:`ATTRIBUTION_MAX_TOKENS` tokens it also has the attribution view
  (each attribution method's token scores beside erasure, with its agreement;
  :func:`attnlab.analysis.attribution.sentence_attributions`).

The figures use the explorer's colour scale and carry a colour bar (:mod:`attnlab.report.figures.attention`).
A language model's maps are causal (each token attends to itself and the tokens before it), and its text
carries the special tokens its tokenizer adds (<s> for Llama, none for GPT-2) where an encoder's carries
[CLS] and [SEP] (or <s> and </s>).

What it prints: for a short text, per layer, each token's most attended token in every head; for a text
longer than :data:`LONG_INPUT` tokens, a summary (each head's most attended tokens), since the explorer
holds the rest. It warns when the text was truncated (saying how many tokens were cut), when most of it
is unknown to the model's vocabulary ([UNK] or the tokenizer's own unknown token, which byte-level BPE
never needs: the model reads another language, named from its model card), and says which font draws CJK
tokens (or that none was found).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from attnlab.report.figures.attention import draw_attention_grid, draw_attention_mean, has_cjk
from attnlab.report.figures.fonts import cjk_font

__all__ = ["LONG_INPUT", "UNK_WARNING", "InspectResult", "model_language", "run_inspect"]

LONG_INPUT = 24  # above this many tokens the printout is a summary, not one line per token
ATTRIBUTION_MAX_TOKENS = 64  # the explorer's attribution view runs erasure, one forward pass per token
UNK_WARNING = 0.25  # warn when at least this share of the text's tokens are [UNK]
_LANGUAGES = {"en": "English", "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "de": "German", "fr": "French",
              "es": "Spanish", "ru": "Russian", "ar": "Arabic", "multilingual": "many languages"}


@dataclass
class InspectResult:
    """What :func:`run_inspect` computed and wrote.

    Attributes:
        tokens: the T token strings (with the special tokens the tokenizer adds: [CLS] and [SEP], <s>...).
        heads: the (layer, head) pairs shown.
        weights: (L, H, T, T) attention weights of all heads.
        most_attended: (layer, head) -> for each query token, the index of its most attended key.
        files: paths written, relative to ``out_dir``.
        out_dir: where the files are.
        n_text_tokens: tokens of the whole text before truncation (with the special tokens).
        n_cut: tokens cut by truncation (0 when the text fits).
        unk_share: share of the text's tokens (without the special tokens) that are the unknown token ([UNK]).
        language: the model's language as its model card states it ("" when unknown).
        cjk_font: the font that draws CJK tokens in the figures (None: none installed).
        warnings: the warnings printed (truncation, [UNK], a missing CJK font), one line each.
    """

    tokens: list[str]
    heads: list[tuple[int, int]]
    weights: torch.Tensor
    most_attended: dict[tuple[int, int], list[int]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    out_dir: Path = Path("attnlab-inspect")
    n_text_tokens: int = 0
    n_cut: int = 0
    unk_share: float = 0.0
    language: str = ""
    cjk_font: str | None = None
    warnings: list[str] = field(default_factory=list)


def _select(n_layers: int, n_heads: int, layer: int | None, head: int | None) -> list[tuple[int, int]]:
    for name, value, n in (("layer", layer, n_layers), ("head", head, n_heads)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < n):
            raise ValueError(f"{name}: expected an int in [0, {n - 1}], got {value!r}")
    layers = range(n_layers) if layer is None else [layer]
    heads = range(n_heads) if head is None else [head]
    return [(l, h) for l in layers for h in heads]


def _check_inputs(text: Any, out_dir: Path) -> None:
    if not isinstance(text, str):
        raise TypeError(f"text: expected str, got {type(text).__name__}")
    if not text.strip():
        raise ValueError(f"text: expected some text to inspect, got {'an empty' if not text else 'a whitespace-only'} "
                         "string")
    if out_dir.exists() and not out_dir.is_dir():
        raise ValueError(f"out_dir: {out_dir} exists and is not a folder")
    blocker = next((p for p in out_dir.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise ValueError(f"out_dir: cannot create {out_dir}: {blocker} is a file")


def model_language(encoder: Any) -> str:
    """The language the encoder's tokenizer was built for, from the ``language`` of its model card
    (README.md front matter) and ``do_lower_case`` of its tokenizer config: e.g. "English, uncased";
    "" when the checkpoint does not say."""
    path = getattr(getattr(encoder, "tokenizer", None), "path", None)
    return _folder_language(str(Path(path).parent)) if path is not None else ""


@functools.cache
def _folder_language(folder: str) -> str:
    card = Path(folder) / "README.md"
    codes: list[str] = []
    if card.is_file():
        front = re.match(r"---\n(.*?)\n---", card.read_text(encoding="utf-8", errors="replace"), re.S)
        pattern = r"^language:[ \t]*(.*)\n((?:[ \t]*-[ \t].*\n)*)"  # "language: en" or a YAML list under it
        block = re.search(pattern, front.group(1) + "\n", re.M) if front else None
        if block:
            codes = [c.strip(" '\"[]") for c in block.group(1).split(",") if c.strip(" '\"[]")]
            codes += [line.strip()[1:].strip(" '\"") for line in block.group(2).splitlines() if line.strip()]
    if not codes:
        return ""
    names = ", ".join(_LANGUAGES.get(c.lower(), c) for c in codes)
    config = Path(folder) / "tokenizer_config.json"
    lower = json.loads(config.read_text(encoding="utf-8")).get("do_lower_case") if config.is_file() else None
    return names + {True: ", uncased", False: ", cased"}.get(lower, "")


@functools.cache
def _untruncated_tokenizer(path: str) -> Any:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(path)
    tok.no_truncation()
    tok.no_padding()
    return tok


def _text_tokens(encoder: Any, text: str, kept: list[str]) -> list[str]:
    """All tokens of ``text`` (with the special tokens), as the model's tokenizer makes them without truncation."""
    path = getattr(getattr(encoder, "tokenizer", None), "path", None)
    if path is None:
        return kept
    return list(_untruncated_tokenizer(str(path)).encode(text.strip()).tokens)


def _specials(encoder: Any) -> tuple[frozenset[str], str | None]:
    """The tokenizer's special tokens other than its unknown token (not words of the text), and that token."""
    tokenizer = getattr(encoder, "tokenizer", None)
    unk = getattr(tokenizer, "unk_token", "[UNK]")
    special = frozenset(getattr(tokenizer, "special_tokens", ("[CLS]", "[SEP]"))) - {unk}
    return special, unk


def _warnings(result: InspectResult, name: str, all_tokens: list[str], max_length: int | None,
              special: frozenset[str], unk: str | None) -> list[str]:
    out = []
    words = [t for t in all_tokens if t not in special]
    if result.n_cut:
        added = list(dict.fromkeys(t for t in result.tokens if t in special))  # [CLS] and [SEP], <s>, or none
        with_added = f" (with {' and '.join(added)})" if added else ""
        kept = sum(t not in special for t in result.tokens)
        out.append(f"truncated: the text has {len(words):,} tokens and {name} reads at most "
                   f"{max_length or len(result.tokens)}{with_added}, so the last {result.n_cut:,} were cut; "
                   f"the maps show the first {kept:,}")
    n_unk = sum(t == unk for t in words)
    if words and result.unk_share >= UNK_WARNING:
        reads = (f"{name} is a model of {result.language} text" if result.language
                 else f"{name}'s vocabulary does not cover this text (its model card names no language)")
        out.append(f"{n_unk:,} of {len(words):,} tokens ({result.unk_share:.0%}) are {unk}, unknown to the model: "
                   f"{reads}, so these maps say little about this text")
    if any(has_cjk(t) for t in result.tokens) and result.cjk_font is None:
        out.append("no CJK font found (install fonts-wqy-microhei or fonts-noto-cjk): CJK tokens draw as boxes in "
                   "the PNG and SVG figures")
    return out


def _sizes(model: Any) -> tuple[int, int]:
    """(layers, heads per layer) of a pretrained encoder or a ``TransformerLM``."""
    if hasattr(model, "n_layers"):
        return model.n_layers, model.n_heads
    return model.config.n_layers, model.config.n_heads


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
        model: a model name / Hugging Face folder for :func:`attnlab.pretrained.load`, or an already loaded
            model with a tokenizer (a :class:`~attnlab.pretrained.BertEncoder`, or a
            :class:`~attnlab.models.TransformerLM` loaded from a folder with a ``tokenizer.json``).
        console: a ``rich.console.Console`` to print to (default: a new one on stdout).
        show_table: print the tables, the warnings and the files written (``InspectResult.warnings`` has
            the warnings either way).

    Returns:
        :class:`InspectResult`.

    Raises:
        PretrainedUnavailable: the model's weights package is not installed.
        CheckpointError: a folder that cannot be read, or of an architecture attnlab does not load.
        ValueError / TypeError: bad ``text`` (not a string, empty or only whitespace), ``layer``, ``head``,
            an ``out_dir`` that is a file, or a model without a tokenizer.
    """
    out_dir = Path(out_dir)
    _check_inputs(text, out_dir)
    from attnlab.pretrained import load
    from attnlab.show.run_model import model_attentions

    encoder = load(model) if isinstance(model, (str, Path)) else model
    name = _model_name(model)
    if getattr(encoder, "tokenizer", None) is None:
        raise ValueError(f"model: {name} has no tokenizer (its folder has no tokenizer.json), so there is no text "
                         "to inspect; add the tokenizer.json the model was trained with")
    selected = _select(*_sizes(encoder), layer, head)
    tokens, maps = model_attentions(encoder, text)
    weights = torch.stack(maps)  # (L, H, T, T)
    out_dir.mkdir(parents=True, exist_ok=True)
    all_tokens = _text_tokens(encoder, text, tokens)
    special, unk = _specials(encoder)
    words = [t for t in all_tokens if t not in special]
    result = InspectResult(tokens=tokens, heads=selected, weights=weights, out_dir=out_dir,
                           n_text_tokens=len(all_tokens), n_cut=max(0, len(all_tokens) - len(tokens)),
                           unk_share=sum(t == unk for t in words) / max(len(words), 1) if unk else 0.0,
                           language=model_language(encoder), cjk_font=cjk_font())
    max_length = getattr(getattr(encoder, "tokenizer", None), "max_length", None)
    result.warnings = _warnings(result, name, all_tokens, max_length, special, unk)
    for l, h in selected:
        result.most_attended[(l, h)] = weights[l, h].argmax(-1).tolist()
    if show_table:
        from rich.console import Console

        console = console or Console()
        for line in result.warnings:
            console.print(f"[yellow]warning:[/yellow] {_escape(line)}", highlight=False, soft_wrap=True)
        if len(tokens) > LONG_INPUT or result.n_cut:
            _print_summary(result, console)
        else:
            _print_tables(result, console)
    result.files += draw_attention_grid(result.weights, result.tokens, result.heads, out_dir)
    result.files += draw_attention_mean(result.weights, result.tokens, result.heads, out_dir)
    result.files.append(_write_explorer(text, result, encoder, model, layer, head, out_dir))
    if show_table:
        if any(has_cjk(t) for t in tokens) and result.cjk_font:
            console.print(f"CJK tokens drawn with the font {result.cjk_font}", highlight=False)
        console.print(f"wrote {', '.join(result.files)} to {out_dir}", highlight=False)
    return result


def _model_name(model: Any) -> str:
    """A known name as given, a folder by its own name (not its whole path), else "the model"."""
    if isinstance(model, str) and not Path(model).expanduser().is_dir():
        return model
    if isinstance(model, (str, Path)):
        return Path(model).expanduser().resolve().name
    return "the model"


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _short(token: str, n: int = 12) -> str:
    return token if len(token) <= n else token[: n - 1] + "…"


def _entropy(w: torch.Tensor) -> float:
    """Mean entropy (nats) of the rows of a (T, T) attention map."""
    return float(-(w * w.clamp_min(1e-30).log()).sum(-1).mean())


def _print_tables(result: InspectResult, console: Any) -> None:
    """Short texts: per layer, every head's most attended token for each token."""
    from rich.table import Table
    from rich.text import Text

    tokens = result.tokens
    layers = sorted({l for l, _ in result.heads})
    for l in layers:
        table = Table(title=Text(f"layer {l + 1}: each token -> its most attended token (weight)"),
                      header_style="bold", expand=False)
        table.add_column("head", justify="right", no_wrap=True)
        table.add_column("entropy", justify="right", no_wrap=True)
        table.add_column("token -> most attended")
        for ll, h in result.heads:
            if ll != l:
                continue
            w = result.weights[l, h]  # (T, T)
            pairs = []
            for i, j in enumerate(result.most_attended[(l, h)]):
                pairs.append(f"{_short(tokens[i])}->{_short(tokens[j])} {float(w[i, j]):.2f}")
            table.add_row(Text(str(h + 1)), Text(f"{_entropy(w):.2f}"), Text("  ".join(pairs)))
        console.print(table)


def _print_summary(result: InspectResult, console: Any, top: int = 3) -> None:
    """Long texts: one row per head with the tokens it attends to most (mean weight they receive)."""
    from rich.table import Table
    from rich.text import Text

    tokens = result.tokens
    table = Table(title=Text(f"{len(tokens)} tokens: each head's {top} most attended tokens (#position, mean weight "
                             "they receive); every token's own view is in index.html"), header_style="bold")
    for col in ("layer", "head", "entropy"):
        table.add_column(col, justify="right", no_wrap=True)
    table.add_column("most attended")
    for l, h in result.heads:
        w = result.weights[l, h]  # (T, T)
        received = w.mean(0)  # (T,): mean over the queries of the weight each key receives
        idx = received.topk(min(top, len(tokens))).indices.tolist()
        cells = "  ".join(f"{_short(tokens[j])}#{j + 1} {float(received[j]):.2f}" for j in idx)
        table.add_row(str(l + 1), str(h + 1), f"{_entropy(w):.2f}", Text(cells))
    console.print(table)


def _is_lm(model: Any) -> bool:
    from attnlab.models import TransformerLM

    return isinstance(model, TransformerLM)


def _write_explorer(text: str, result: InspectResult, encoder: Any, model: Any, layer: int | None,
                    head: int | None, out_dir: Path) -> str:
    """``index.html``: the explorer on every layer and head, opening on the selected layer / head, with the
    attribution view for inputs of at most :data:`ATTRIBUTION_MAX_TOKENS` tokens."""
    from attnlab.report.explorer import write_explorer

    short = text if len(text) <= 200 else text[:199] + "…"
    name = _model_name(model) if isinstance(model, (str, Path)) else None  # a loaded model has no name to show
    attribution = None
    # the attribution view explains an encoder's sentence embedding; a language model has none to explain
    if not result.n_cut and len(result.tokens) <= ATTRIBUTION_MAX_TOKENS and not _is_lm(encoder):
        from attnlab.analysis.attribution import sentence_attributions

        attribution = sentence_attributions(encoder, text)  # erasure: one forward pass per token
    write_explorer(out_dir / "index.html", result.tokens, result.weights, title=f"{name}: {short}" if name else short,
                   element_id="explorer", layer=layer or 0, heads=None if head is None else [head],
                   attribution=attribution)
    return "index.html"
