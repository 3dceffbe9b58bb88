"""The explorer's step-through: one head on the real sentence, for one query token, stage by stage.

x → q, k (the query, first 8 of its d_k numbers, and its norm) → q·k (each key's raw score) → ÷√d_k → mask
(which keys the token may see) → softmax (a bar and the weight per key) → ·v (the head's output z, first 8
numbers). :func:`steps_panel` writes every stage as static HTML, in English and Chinese (a page whose root
has ``data-lang="zh-CN"`` shows the Chinese); ``steps.js`` shows one stage at a time with previous / next
buttons and a row of stage tabs. Without script every stage shows, in order; printed, the stage on screen.
Layers, heads and token positions are numbered from 1. The bars are SVG, so a page whose policy forbids
inline styles draws them too.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

from attnlab.report.softmax import format_weight

__all__ = ["SHOWN", "steps_panel", "weight_text"]

SHOWN = 8  # numbers of q and z written out


def weight_text(p: float) -> str:
    """A softmax weight as the step-through writes it: 3 decimals, and five or more where it lies within 0.01
    of 0 or 1 (0.00432, 0.99954, 0.9999998), as the softmax panel does."""
    return f"{p:.3f}" if 0.01 <= p <= 0.99 else format_weight(p)


def _num(x: float) -> str:
    """4 significant digits, with a real minus sign."""
    return f"{x:.4g}".replace("-", "\u2212")


def _bi(en: str, zh: str) -> str:
    return f'<span lang="en">{html.escape(en)}</span><span lang="zh-CN">{html.escape(zh)}</span>'


def _names(tokens: Sequence[str]) -> list[str]:
    """Each token as the explorer names it: a token that occurs more than once carries its position."""
    return [f"{t}#{i + 1}" if list(tokens).count(t) > 1 else t for i, t in enumerate(tokens)]


def _vector(xs: Sequence[float], cls: str) -> str:
    cells = "".join(f'<span class="ax-num">{_num(x)}</span>' for x in xs[:SHOWN])
    more = '<span class="ax-num ax-more">…</span>' if len(xs) > SHOWN else ""
    return f'<div class="ax-vec {cls}">{cells}{more}</div>'


def _norm(xs: Sequence[float]) -> str:
    return _num(math.sqrt(sum(x * x for x in xs)))


def _table(head: list[tuple[str, str]], rows: list[list[str]], names: list[str], token: int, cls: str,
           keys: Sequence[int] | None = None) -> str:
    """One row per key token (``keys``: their indices, default all; the query's own row marked), the cells
    already HTML."""
    th = "".join(f"<th>{_bi(en, zh)}</th>" for en, zh in head)
    body = []
    for j, cells in zip(range(len(rows)) if keys is None else keys, rows, strict=True):
        mark = ' class="ax-self"' if j == token else ""
        tds = "".join(f"<td>{c}</td>" for c in cells)
        body.append(f'<tr data-j="{j}"{mark}><td class="ax-key"><span>{html.escape(names[j])}</span></td>{tds}</tr>')
    return f'<table class="ax-stable {cls}"><thead><tr>{th}</tr></thead><tbody>{"".join(body)}</tbody></table>'


def _bar(p: float) -> str:
    width = f"{100 * max(0.0, min(1.0, p)):.2f}"
    return (f'<svg class="ax-sbar" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">'
            f'<rect class="ax-sbarbg" width="100" height="10"/><rect width="{width}" height="10"/></svg>')


def _stages(s: Mapping[str, Any], names: list[str]) -> list[tuple[str, str, str, str, str]]:
    """(tab label en, tab label zh, title en, title zh, body HTML) of each stage."""
    i, D, T = s["token"], len(s["q"]), len(s["scores"])
    me = f"'{names[i]}'"
    me_zh = f"“{names[i]}”"
    scaled = [x * s["scale"] for x in s["scores"]]
    root_d = _num(math.sqrt(D))
    hidden = T - sum(s["mask"])
    stages = []
    stages.append(("x → q, k", "x → q, k", f"the query of {me}", f"{me_zh}的查询向量", (
        "<p>" + _bi(f"The layer's input for {me}, x, times W_Q plus b_Q gives its query q; every token j gives a key "
                    f"k_j = x_j W_K + b_K and a value v_j = x_j W_V + b_V the same way. q has d_k = {D} numbers; "
                    f"the first {min(SHOWN, D)}:",
                    f"该层对{me_zh}的输入 x 乘以 W_Q 再加 b_Q，得到它的查询向量 q；每个词元 j 以同样方式得到键 "
                    f"k_j = x_j W_K + b_K 和值 v_j = x_j W_V + b_V。q 有 d_k = {D} 个数，前 {min(SHOWN, D)} 个：")
        + "</p>" + _vector(s["q"], "ax-q") + f'<p class="ax-norm">‖q‖ = {_norm(s["q"])}</p>')))
    stages.append(("q·k", "q·k", "raw scores q·k", "原始分数 q·k", (
        "<p>" + _bi(f"Each key's raw score is the dot product of {me}'s query with its key: s_j = q·k_j "
                    f"({D} products summed).",
                    f"每个键的原始分数是{me_zh}的查询向量与该键的点积：s_j = q·k_j（{D} 个乘积之和）。") + "</p>"
        + _table([("key", "键"), ("q·k", "q·k")], [[_num(x)] for x in s["scores"]], names, i, "ax-scores"))))
    stages.append(("÷√d_k", "÷√d_k", "divided by √d_k", "除以 √d_k", (
        "<p>" + _bi(f"Divided by √d_k = √{D} = {root_d}, that is times {_num(s['scale'])}, so that the scores do not "
                    "grow with the width of the head and saturate the softmax.",
                    f"除以 √d_k = √{D} = {root_d}，即乘以 {_num(s['scale'])}，使分数不随每头维度变大，"
                    "不让 softmax 饱和。") + "</p>"
        + _table([("key", "键"), ("q·k", "q·k"), ("÷√d_k", "÷√d_k")],
                 [[_num(a), _num(b)] for a, b in zip(s["scores"], scaled, strict=True)], names, i, "ax-scaled"))))
    seen = ["✓ " + _bi("seen", "可见") if m else "✗ " + _bi("hidden", "屏蔽") for m in s["mask"]]
    masked = [_num(x) if m else "−∞" for x, m in zip(scaled, s["mask"], strict=True)]
    stages.append(("mask", "掩码", "the mask", "掩码", (
        "<p>" + _bi(f"The mask says which keys {me} may see: here {T - hidden} of {T}"
                    + (" (an encoder sees the whole sentence; padding would be hidden)" if not hidden else "")
                    + ". A hidden key's score becomes −∞, so it gets weight 0.",
                    f"掩码决定{me_zh}能看到哪些键：这里 {T} 个中有 {T - hidden} 个"
                    + ("（编码器看得到整句话，只有填充会被屏蔽）" if not hidden else "")
                    + "。被屏蔽的键分数变成 −∞，权重为 0。") + "</p>"
        + _table([("key", "键"), ("seen", "可见"), ("score", "分数")],
                 [[a, b] for a, b in zip(seen, masked, strict=True)], names, i, "ax-mask"))))
    rows = [[f'<span class="ax-wt" data-w="{w!r}">{weight_text(w)}</span>', _bar(w)] for w in s["weights"]]
    stages.append(("softmax", "softmax", "softmax", "softmax", (
        "<p>" + _bi("The weights: a_j = exp(s_j/√d_k) / Σ exp(s_i/√d_k) over the keys it sees; they sum to 1.",
                    "权重：a_j = exp(s_j/√d_k) / Σ exp(s_i/√d_k)，只对可见的键求和；它们的和为 1。") + "</p>"
        + _table([("key", "键"), ("weight", "权重"), ("", "")], rows, names, i, "ax-weights"))))
    body = ("<p>" + _bi(f"The head's output for {me}: the values mixed by the weights, z = Σ_j a_j v_j ({D} numbers; "
                        f"the first {min(SHOWN, D)}):",
                        f"这个头对{me_zh}的输出：用权重混合各个值，z = Σ_j a_j v_j"
                        f"（{D} 个数，前 {min(SHOWN, D)} 个）：")
            + "</p>" + _vector(s["z"], "ax-z") + f'<p class="ax-norm">‖z‖ = {_norm(s["z"])}</p>')
    if s.get("v") is not None:
        top = sorted(range(T), key=lambda j: -s["weights"][j])[:3]
        body += ("<p>" + _bi("The keys with the three largest weights a_j, and their values v_j (first 4 numbers):",
                             "权重 a_j 最大的三个键，以及它们的值 v_j（前 4 个数）：") + "</p>"
                 + _table([("key", "键"), ("a_j", "a_j"), ("v_j", "v_j")],
                          [[weight_text(s["weights"][j]), " ".join(_num(x) for x in s["v"][j][:4]) + " …"]
                           for j in top], names, i, "ax-terms", keys=top))
    stages.append(("·v → z", "·v → z", "the head's output z", "这个头的输出 z", body))
    return stages


def steps_panel(steps: Any, tokens: Sequence[str]) -> str:
    """The step-through of ``steps`` (a :class:`~attnlab.results.HeadSteps` or its dict) over ``tokens``."""
    s = steps.to_dict() if hasattr(steps, "to_dict") else dict(steps)
    names = _names(tokens)
    if len(s["scores"]) != len(tokens):
        raise ValueError(f"steps: expected scores for the {len(tokens)} tokens, got {len(s['scores'])}")
    layer, head, me = s["layer"] + 1, s["head"] + 1, names[s["token"]]
    stages = _stages(s, names)
    n = len(stages)
    tabs = "".join(f'<button type="button" role="tab" class="ax-stagetab" data-s="{k}" aria-selected="'
                   f'{"true" if k == 0 else "false"}" tabindex="{0 if k == 0 else -1}">{k + 1} · {_bi(en, zh)}'
                   "</button>" for k, (en, zh, _, _, _) in enumerate(stages))
    panels = "".join(f'<div class="ax-stage" data-s="{k}" role="tabpanel"><div class="ax-stagetitle">'
                     + _bi(f"Step {k + 1} of {n}: {en}", f"第 {k + 1} 步（共 {n} 步）：{zh}")
                     + f"</div>{body}</div>" for k, (_, _, en, zh, body) in enumerate(stages))
    return (f'<section class="ax-steps" data-layer="{s["layer"]}" data-head="{s["head"]}" data-token="{s["token"]}">'
            '<div class="ax-steps-title">'
            + _bi(f"Step-through: layer {layer}, head {head}, query '{me}', from q to the head's output",
                  f"逐步计算：第 {layer} 层第 {head} 个头，查询词元“{me}”，从 q 到这个头的输出")
            + '</div><div class="ax-stagetabs" role="tablist" aria-label="stages" hidden>' + tabs + "</div>"
            + panels + '<div class="ax-stepnav" hidden><button type="button" class="ax-btn ax-sprev">◀ '
            + _bi("previous step", "上一步") + '</button><button type="button" class="ax-btn ax-snext">'
            + _bi("next step", "下一步") + " ▶</button></div></section>")
