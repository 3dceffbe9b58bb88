"""The explorer's coloured tokens and head step-through, as a person uses them in Chromium (both languages,
desktop and phone widths)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from test_explorer_browser import Shots, _focus_map, _report_like_page, open_page

pytestmark = pytest.mark.browser

QUANT = 0.0005 + 1e-6  # weights are stored to 3 decimals


def _shaded(page, root: str) -> list[tuple[int, float]]:
    return [tuple(x) for x in page.eval_on_selector_all(
        f"{root} .ax-ctok[data-w]", "els => els.map(e => [+e.dataset.i, +e.dataset.w])")]


def _pressed(page, root: str) -> list[int]:
    return [h for h, p in enumerate(page.eval_on_selector_all(
        f"{root} .ax-headbtn", "es => es.map(e => e.getAttribute('aria-pressed'))")) if p == "true"]


@pytest.mark.parametrize("width", [1280, 390])
def test_coloured_tokens_and_head_step_through(browser, tmp_path, width):
    from attnlab.report.view import _explorers

    shots = Shots(tmp_path, f"steps-{width}")
    m, W = _focus_map()
    L, H, T, _ = W.shape
    fl, fh, ft = m.focus_layer, m.focus_head, m.focus_token
    (frag,) = _explorers(SimpleNamespace(attention_maps=[m]), "q2")
    page, watch = open_page(browser, _report_like_page(tmp_path, frag, "steps.html"), width=width)
    root = "#q2-explorer-0"

    # the sentence shaded by the pinned token's attention, from the one head shown, on the map's weights
    shaded = _shaded(page, root)
    assert [i for i, _ in shaded] == list(range(T))
    assert all(abs(w - W[fl, fh, ft, j]) <= QUANT for j, w in shaded)
    assert page.get_attribute(f"{root} .ax-ctok.ax-csrc", "data-i") == str(ft)
    assert page.inner_text(f"{root} .ax-stitle") == "Coloured tokens: where 'it' attends (layer 3, head 2)"
    assert page.inner_text(f"{root} .ax-steplabel") == "layer 3, head 2 of 4"
    shots.take(page, "coloured-en.png")

    # next / previous head, by button and by arrow key; the tokens follow the head
    page.click(f"{root} .ax-next")
    assert _pressed(page, root) == [fh + 1] and page.inner_text(f"{root} .ax-steplabel") == "layer 3, head 3 of 4"
    assert all(abs(w - W[fl, fh + 1, ft, j]) <= QUANT for j, w in _shaded(page, root))
    page.keyboard.press("ArrowLeft")  # the focus stays on the button: arrows step too
    page.keyboard.press("ArrowLeft")
    assert _pressed(page, root) == [0]
    page.keyboard.press("ArrowLeft")  # wraps to the last head
    assert _pressed(page, root) == [H - 1] and "head 4 of 4" in page.inner_text(f"{root} .ax-steplabel")
    page.click(f"{root} .ax-next")
    assert _pressed(page, root) == [0]

    # mean over several heads shown; nothing shaded with no token selected
    page.click(f"{root} .ax-heads .ax-btn >> text=all")
    assert all(abs(w - W[fl, :, ft, j].mean()) <= QUANT for j, w in _shaded(page, root))
    assert "4 heads, mean" in page.inner_text(f"{root} .ax-stitle")
    page.focus(f"{root} .ax-left .ax-tok[data-i='{ft}']")
    page.keyboard.press("Escape")  # clears the selection
    page.evaluate("document.activeElement.blur()")
    page.mouse.move(0, 0)
    assert _shaded(page, root) == [] and page.inner_text(f"{root} .ax-stitle").startswith("Coloured tokens: hover")

    # the labels in Chinese on a Chinese page
    page.evaluate("document.documentElement.setAttribute('data-lang', 'zh-CN')")
    assert page.inner_text(f"{root} .ax-prev").strip() == "◀ 上一个头"
    assert page.inner_text(f"{root} .ax-next").strip() == "下一个头 ▶"
    page.click(f"{root} .ax-prev")
    assert page.inner_text(f"{root} .ax-steplabel") == "第 3 层，第 4 个头（共 4 个）"
    page.click(f"{root} .ax-left .ax-tok[data-i='{ft}']")
    assert page.inner_text(f"{root} .ax-stitle") == "着色词元：'it' 看向哪里（第 3 层，第 4 个头）"
    shots.take(page, "coloured-zh.png")

    # no horizontal scrolling of the page, even on a phone
    assert page.evaluate("document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth + 1")
    watch.assert_clean()
    page.close()
