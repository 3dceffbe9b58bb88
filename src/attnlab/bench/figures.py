"""The figures of ``docs/benchmarks.md``, drawn from a run's rows (never from numbers typed in).

* ``decode.svg``: decoding speed against Hugging Face, one bar per case, with the target;
* ``mixers_decode.svg``: the time of one decoding step as the context grows, softmax attention's KV cache
  against the fixed-size states of linear attention and the delta rules (where they cross);
* ``mla.svg``: bytes per token of each attention kind's cache, and its greedy decoding speed.

A figure whose rows are missing from the run (or failed) is left out.
"""

from __future__ import annotations

from pathlib import Path

from attnlab.bench.spec import CaseResult

__all__ = ["FIGURES_DIR", "draw_figures"]

FIGURES_DIR = "benchmarks"  # next to the Markdown page

_DECODE_CASES = {  # case -> short label
    "generate.speed": "B=1, V=50257",
    "generate.speed_v8192": "B=1, V=8192",
    "generate.batch8": "B=8, V=50257",
    "generate.batch8_v8192": "B=8, V=8192",
    "generate.beam3": "3 beams, V=8192",
}
_MIXER_LABELS = {"peer": "softmax (KV cache)", "attnlab": "linear attention", "delta rule": "delta rule",
                 "gated delta rule": "gated delta rule"}
_COLOURS = {"softmax (KV cache)": "#4c72b0", "linear attention": "#dd8452", "delta rule": "#55a868",
            "gated delta rule": "#c44e52"}


def _ok(results: dict[str, CaseResult], name: str) -> CaseResult | None:
    r = results.get(name)
    return r if r is not None and r.error is None and r.ratio is not None else None


def _figure(width: float, height: float, ncols: int = 1):
    from matplotlib.figure import Figure  # the object API: no pyplot state, no backend switch

    fig = Figure(figsize=(width, height))
    return fig, fig.subplots(1, ncols)


def _decode(results: dict[str, CaseResult]):
    rows = [(label, _ok(results, name)) for name, label in _DECODE_CASES.items()]
    rows = [(label, r) for label, r in rows if r is not None]
    if not rows:
        return None
    fig, ax = _figure(7.5, 0.6 * len(rows) + 1.4)
    labels = [label for label, _ in rows][::-1]
    ratios = [r.ratio for _, r in rows][::-1]
    ax.barh(labels, ratios, color="#4c72b0")
    for y, (ratio, (_, r)) in enumerate(zip(ratios, rows[::-1], strict=True)):
        ax.text(ratio, y, f"  {ratio:.2f}x  ({r.attnlab:,.0f} vs {r.peer:,.0f} tok/s)", va="center", fontsize=9)
    ax.axvline(1.0, color="#888", lw=1)
    ax.axvline(1.5, color="#c44e52", lw=1, ls="--")
    ax.text(1.5, -0.75, " target 1.5x", color="#c44e52", fontsize=9, va="center")
    ax.set_ylim(-1.0, len(rows) - 0.5)
    ax.set_xlim(0, max(max(ratios) * 1.6, 2.0))
    ax.set_xlabel("attnlab tokens/s ÷ Hugging Face tokens/s (same weights, same run)")
    ax.set_title("Greedy and beam decoding, GPT-2 6x512: attnlab against Hugging Face", fontsize=11)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def _mixers(results: dict[str, CaseResult]):
    rows = sorted((r.details["shapes"]["T"], r) for name, r in results.items()
                  if name.startswith("mixers.decode_step.") and _ok(results, name) is not None)
    if len(rows) < 2:
        return None
    fig, ax = _figure(7.5, 4.2)
    ts = [t for t, _ in rows]
    ends = {}
    for key, label in _MIXER_LABELS.items():
        ms = [r.details["timings"][key]["median_s"] * 1e3 for _, r in rows if key in r.details["timings"]]
        if len(ms) != len(ts):
            continue
        ax.plot(ts, ms, marker="o", color=_COLOURS[label])
        ends[label] = ms[-1]
    gap = 0.06 * max(ends.values(), default=1.0)  # labels at the lines' ends, pushed apart where they would touch
    placed: list[float] = []
    for label, y in sorted(ends.items(), key=lambda item: item[1]):
        y_text = max([y, *(p + gap for p in placed[-1:])])
        placed.append(y_text)
        ax.annotate(label, (ts[-1], ends[label]), xytext=(ts[-1] * 1.12, y_text), textcoords="data", va="center",
                    color=_COLOURS[label], fontsize=9)
    ax.set_xscale("log", base=2)
    ax.set_xticks(ts, [f"{t:,}" for t in ts])
    ax.set_xlim(ts[0] / 1.3, ts[-1] * 3.5)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("context already decoded T (tokens)")
    ax.set_ylabel("one decoding step (ms)")
    s = rows[0][1].details["shapes"]
    ax.set_title(f"A fixed-size state costs the same at every T; a KV cache grows (B={s['B']}, "
                 f"{s['L']}x{s['C']})", fontsize=11)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def _mla(results: dict[str, CaseResult]):
    r = _ok(results, "mixers.mla_decode")
    if r is None:
        return None
    cache = r.details["cache_bytes_per_token"]
    speeds = {name: r.details["shapes"]["B"] * r.details["shapes"]["N"] / t["median_s"]
              for name, t in r.details["timings"].items()}
    names = {"mha": "MHA", "gqa": "GQA", "mla": "MLA"}
    fig, (left, right) = _figure(9, 3.6, ncols=2)
    kinds = [names[k] for k in cache]
    left.bar(kinds, [cache[k] / 1024 for k in cache], color=["#4c72b0", "#55a868", "#dd8452"])
    for x, k in enumerate(cache):
        left.text(x, cache[k] / 1024, f"{cache[k] / 1024:.1f}", ha="center", va="bottom", fontsize=9)
    left.set_ylabel("KV cache per token (KiB, all layers)")
    left.set_title("What each token leaves in the cache", fontsize=10)
    order = [("peer", "MHA"), (next((k for k in speeds if k.startswith("GQA")), None), "GQA"),
             ("attnlab", "MLA absorbed"), ("MLA naive decode", "MLA naive")]
    order = [(k, label) for k, label in order if k in speeds]
    right.bar([label for _, label in order], [speeds[k] for k, _ in order],
              color=["#4c72b0", "#55a868", "#dd8452", "#f2b48a"][: len(order)])
    for x, (k, _) in enumerate(order):
        right.text(x, speeds[k], f"{speeds[k]:,.0f}", ha="center", va="bottom", fontsize=9)
    right.set_ylabel("greedy decoding (tokens/s)")
    right.set_title("and how fast it decodes", fontsize=10)
    for ax in (left, right):
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    fig.suptitle("Latent KV (MLA) against MHA and grouped-query heads", fontsize=11)
    fig.tight_layout()
    return fig


_DRAW = {"decode.svg": ("Decoding speed against Hugging Face", _decode),
         "mixers_decode.svg": ("One decoding step as the context grows", _mixers),
         "mla.svg": ("Latent KV cache: bytes and speed", _mla)}


def draw_figures(results: list[CaseResult], out_dir: Path) -> list[tuple[str, str]]:
    """Draw every figure the rows allow into ``out_dir``; returns (caption, file name) of each drawn."""
    import matplotlib

    by_name = {r.name: r for r in results}
    out_dir.mkdir(parents=True, exist_ok=True)
    drawn = []
    with matplotlib.rc_context({"svg.hashsalt": "attnlab-bench", "svg.fonttype": "none"}):
        for file, (caption, draw) in _DRAW.items():
            fig = draw(by_name)
            if fig is None:
                continue
            fig.savefig(out_dir / file, bbox_inches="tight", metadata={"Date": None})
            drawn.append((caption, file))
    return drawn
