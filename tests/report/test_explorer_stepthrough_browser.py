"""The explorer's step-through of one head of all-MiniLM-L6-v2 on the real sentence, as a person uses it in
Chromium: every stage in turn at desktop and phone widths, in both languages, offline, and on paper."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
from test_explorer_browser import Shots, _report_like_page, open_page

pytestmark = [pytest.mark.browser, pytest.mark.real_model]

QUANT = 0.0005 + 1e-6  # the explorer's weights are stored to 3 decimals


@pytest.fixture(scope="module")
def q2_map():
    """q2's map as its aggregate builds it: MiniLM on the sentence, opening on its focus, with its steps."""
    import torch

    from attnlab.analysis.head_steps import focus_steps
    from attnlab.pretrained import DISABLE_ENV, load
    from attnlab.questions.q2_qk.explorer import explorer_focus
    from attnlab.questions.q2_qk.settings import EXAMPLE
    from attnlab.results import AttentionMap

    with pytest.MonkeyPatch.context() as mp:  # module-scoped: it runs before the per-test switch does
        mp.delenv(DISABLE_ENV, raising=False)
        model = load("all-MiniLM-L6-v2").eval()
    tokens, maps = model.attentions(EXAMPLE)
    weights = torch.stack(maps).round(decimals=4).tolist()
    focus = explorer_focus(tokens, weights)
    m = AttentionMap("all-MiniLM-L6-v2", tokens, weights, steps=focus_steps(model, EXAMPLE, focus), **focus)
    return AttentionMap.from_dict(m.to_dict()), weights  # as a report reads it back


def _visible(page, root: str) -> list[int]:
    return page.eval_on_selector_all(f"{root} .ax-stage", "ss => ss.flatMap((s, k) => s.hidden ? [] : [k])")


def _no_side_scroll(page) -> bool:
    return page.evaluate("document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth + 1")


@pytest.mark.parametrize("width", [1280, 390])
def test_step_through_every_stage_of_the_focus_head(browser, tmp_path, width, q2_map):
    from attnlab.report.explorer.steps import weight_text
    from attnlab.report.view import explorer_fragments

    m, raw = q2_map
    s = m.steps
    shots = Shots(tmp_path, f"stepthrough-{width}")
    (frag,) = explorer_fragments(SimpleNamespace(attention_maps=[m]), "q2")
    page, watch = open_page(browser, _report_like_page(tmp_path, frag, "steps.html"), width=width)
    root, panel = "#q2-explorer-0", "#q2-explorer-0 .ax-steps"
    page.wait_for_selector(f"{panel}[data-steps-ready='1']")

    # below the views, on the explorer's own focus: layer, head and query numbered from 1
    assert page.evaluate(f"document.querySelector('{root}').lastElementChild.matches('.ax-steps')")
    name = m.tokens[s.token]
    assert page.inner_text(f"{panel} .ax-steps-title") == (
        f"Step-through: layer {s.layer + 1}, head {s.head + 1}, query '{name}', from q to the head's output")
    assert page.input_value(f"{root} .ax-layer") == str(s.layer + 1)

    # stage 1: q, its first 8 numbers and its norm
    assert _visible(page, root) == [0] and page.is_disabled(f"{panel} .ax-sprev")
    q = [float(t.replace("\u2212", "-")) for t in page.eval_on_selector_all(
        f"{panel} .ax-q .ax-num:not(.ax-more)", "es => es.map(e => e.textContent)")]
    assert q == pytest.approx(s.q[:8], rel=1e-3) and len(s.q) == 32
    assert page.inner_text(f"{panel} .ax-stage[data-s='0'] .ax-norm") == f"‖q‖ = {math.hypot(*s.q):.4g}"
    shots.take(page, "stage-1.png", panel)

    titles = []
    for k in range(1, 6):  # next, next, ...: one stage at a time, in order
        page.click(f"{panel} .ax-snext")
        assert _visible(page, root) == [k]
        titles.append(page.inner_text(f"{panel} .ax-stage[data-s='{k}'] .ax-stagetitle"))
        assert _no_side_scroll(page)
        if k == 4:  # the softmax: a bar per key, and the weights are the stored ones and the map's
            shown = page.eval_on_selector_all(f"{panel} .ax-weights .ax-wt",
                                              "es => es.map(e => [e.textContent, +e.dataset.w])")
            assert [t for t, _ in shown] == [weight_text(p) for p in s.weights]
            row = raw[s.layer][s.head][s.token]
            assert all(abs(float(t) - r) <= 1e-4 + 0.5 * 10 ** -len(t.split(".")[1]) for (t, _), r in zip(
                shown, row, strict=True))
            assert all(abs(w - r) <= 1e-4 for (_, w), r in zip(shown, row, strict=True))
            assert page.locator(f"{panel} .ax-weights svg.ax-sbar").count() == len(m.tokens)
            shots.take(page, "stage-5-softmax.png", panel)
    assert titles == ["Step 2 of 6: raw scores q·k", "Step 3 of 6: divided by √d_k", "Step 4 of 6: the mask",
                      "Step 5 of 6: softmax", "Step 6 of 6: the head's output z"]
    assert page.is_disabled(f"{panel} .ax-snext")
    z = [float(t.replace("\u2212", "-")) for t in page.eval_on_selector_all(
        f"{panel} .ax-z .ax-num:not(.ax-more)", "es => es.map(e => e.textContent)")]
    assert z == pytest.approx(s.z[:8], rel=1e-3)
    shots.take(page, "stage-6-output.png", panel)

    # back with previous; straight to a stage with its tab; arrow keys on the tabs
    page.click(f"{panel} .ax-sprev")
    assert _visible(page, root) == [4]
    page.click(f"{panel} .ax-stagetab[data-s='1']")
    assert _visible(page, root) == [1]
    page.keyboard.press("ArrowRight")
    assert _visible(page, root) == [2] and page.evaluate("document.activeElement.dataset.s") == "2"
    page.keyboard.press("End")
    assert _visible(page, root) == [5]
    page.keyboard.press("Home")
    assert _visible(page, root) == [0]

    # in Chinese
    page.evaluate("document.documentElement.setAttribute('data-lang', 'zh-CN')")
    assert page.inner_text(f"{panel} .ax-snext").strip() == "下一步 ▶"
    assert page.inner_text(f"{panel} .ax-stagetab[data-s='3']") == "4 · 掩码"
    assert page.inner_text(f"{panel} .ax-stage[data-s='0'] .ax-stagetitle").startswith("第 1 步（共 6 步）")
    page.click(f"{panel} .ax-snext")
    shots.take(page, "stage-2-zh.png", panel)

    # on paper: the step-through is a thing to click, left off the page (the report prints in 30 A4 pages)
    page.emulate_media(media="print")
    assert not page.is_visible(panel) and not page.is_visible(f"{panel} .ax-snext")
    page.emulate_media(media="screen")
    assert page.is_visible(f"{panel} .ax-stage[data-s='1'] .ax-scores")

    assert _no_side_scroll(page)
    watch.assert_clean()
    page.close()
