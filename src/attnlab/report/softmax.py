"""The softmax panel of q3 and q4: softmax([1, 2, 10]) as the reader moves the scale of the logits.

The seed's example: softmax([1, 2, 10]) gives the largest logit 0.99954 of the weight, and the gradient of
that weight with respect to its own logit, p(1 - p), is 0.00046: the softmax is saturated. Scaling the logits
by 1/√d_k (1/8 at d_k = 64) gives 0.591 and 0.24. :func:`softmax_panel` writes a table of the named scales
(readable without script and on paper) and a slider over the scale from 1/d_k to 2, worked out in the page by
``softmax.js`` (inlined once, with :func:`softmax_assets`). Labels are in English and Chinese.
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Sequence
from functools import cache
from importlib import resources

__all__ = ["format_weight", "softmax", "softmax_assets", "softmax_panel"]


def softmax(logits: Sequence[float], scale: float = 1.0) -> list[float]:
    """softmax(scale · logits), computed stably."""
    z = [scale * x for x in logits]
    top = max(z)
    e = [math.exp(v - top) for v in z]
    total = sum(e)
    return [v / total for v in e]


def format_weight(p: float) -> str:
    """A weight with at least 5 decimals, and more where it lies so close to 0 or 1 that the gap would vanish
    (two significant digits of the gap): 0.99954, 0.9999998 (not 1.00000)."""
    gap = min(p, 1 - p)
    digits = 5 if gap <= 0 else max(5, min(12, 1 - math.floor(math.log10(gap))))
    return f"{p:.{digits}f}"


def _gradient(p: float) -> str:
    """∂p/∂z of a weight with respect to its own logit, p (1 - p), to two significant digits."""
    g = p * (1 - p)
    return f"{g:.2g}" if g >= 1e-4 else f"{g:.1e}"


def _bi(en: str, zh: str) -> str:
    return f'<span lang="en">{html.escape(en)}</span><span lang="zh-CN">{html.escape(zh)}</span>'


def softmax_panel(logits: Sequence[float] = (1, 2, 10), d_k: int = 64, *, element_id: str = "softmax") -> str:
    """The panel's HTML: the logits, a table of softmax(scale · logits) at the scales 1, 1/√d_k and 1/d_k with
    the gradient p(1 - p) of the largest weight, and a slider over the scale (the page's script fills it in)."""
    logits = [float(x) for x in logits]
    root = math.sqrt(d_k)
    scales = [(1.0, "1", "1"), (1 / root, f"1/√d_k = 1/{root:g}", f"1/√d_k = 1/{root:g}"),
              (1 / d_k, f"1/d_k = 1/{d_k}", f"1/d_k = 1/{d_k}")]
    top = max(range(len(logits)), key=lambda i: logits[i])
    shown = ", ".join(f"{x:g}" for x in logits)
    rows = []
    for s, label, _ in scales:
        p = softmax(logits, s)
        rows.append(f'<tr data-scale="{s:.6g}"><td>{html.escape(label)}</td>'
                    + "".join(f'<td class="num">{format_weight(v)}</td>' for v in p)
                    + f'<td class="num">{_gradient(p[top])}</td></tr>')
    heads = "".join(f"<th>p{i + 1}</th>" for i in range(len(logits)))
    data = json.dumps({"logits": logits, "d_k": d_k}, separators=(",", ":"))
    lo, hi = -math.log2(d_k), 1.0
    return f"""<div class="softmax-panel" id="{html.escape(element_id)}" data-softmax='{html.escape(data)}'>
<p>{_bi(f"Logits z = [{shown}], multiplied by a scale s; the weights p = softmax(s·z) and how fast the largest "
        "weight still moves with its own logit, ∂p/∂z = p(1 − p) (the gradient that vanishes when softmax "
        "saturates).",
        f"logits z = [{shown}]，乘以缩放系数 s；权重 p = softmax(s·z)，以及最大的权重随自己的 logit 变化有多快："
        "∂p/∂z = p(1 − p)（softmax 饱和时消失的就是这个梯度）。")}</p>
<div class="table-wrap"><table class="softmax-table">
<thead><tr><th>{_bi("scale s", "缩放系数 s")}</th>{heads}<th>∂p{top + 1}/∂z{top + 1}</th></tr></thead>
<tbody>{"".join(rows)}</tbody></table></div>
<div class="softmax-live no-print" hidden>
<label>{_bi("scale s", "缩放系数 s")} <input type="range" class="softmax-scale" min="{lo:g}" max="{hi:g}" step="0.25"
 value="0" aria-label="scale s = 2^x (缩放系数)"></label>
<output class="softmax-out" aria-live="polite"></output>
</div>
</div>"""


@cache
def softmax_assets() -> str:
    """The panel's script (include once per page holding panels; it starts every panel)."""
    script = resources.files("attnlab.report.explorer").joinpath("softmax.js").read_text(encoding="utf-8")
    return f"<script>{script}</script>\n"
