"""Two inline views on one page, as a notebook exported to HTML holds them, opened offline in Chromium."""

from __future__ import annotations

import pytest
import torch

from attnlab import show

pytestmark = pytest.mark.browser

TOKENS = ["I", "hate", "this", "movie", "."]


def _page(tmp_path) -> str:
    g = torch.Generator().manual_seed(0)
    w = [torch.softmax(torch.randn(1, 4, 5, 5, generator=g), -1) for _ in range(2)]
    heads, model = show.heads(w, TOKENS, title="head view"), show.model(w, TOKENS, title="model view")
    # each output cell as Jupyter writes it: the view's HTML (with its script and style) in its own div,
    # and the same view shown a second time
    cells = [f'<div class="output_html">{v._repr_html_()}</div>' for v in (heads, model, heads)]
    path = tmp_path / "notebook.html"
    path.write_text("<!DOCTYPE html><html><head><meta charset='utf-8'><title>notebook</title></head><body>"
                    + "\n".join(cells) + "</body></html>", encoding="utf-8")
    return path.as_uri()


@pytest.mark.slow  # starts Chromium: about 10 s
def test_two_views_on_one_page_both_work_offline(browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    urls: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: urls.append(r.url))
    page.goto(_page(tmp_path), wait_until="load")
    page.wait_for_function("[...document.querySelectorAll('.attnlab-explorer')].every("
                           "r => r.getAttribute('data-ax-ready') === '1')", timeout=30_000)
    roots = page.eval_on_selector_all(".attnlab-explorer", "els => els.map(e => e.id)")
    assert len(roots) == 3 and len(set(roots)) == 3
    first, second, third = (f"#{r}" for r in roots)

    # the head view: hovering a token fills that explorer's readout, and only that one
    page.hover(f"{first} .ax-left .ax-tok[data-i='1']")
    assert "'hate' attends to" in page.inner_text(f"{first} .ax-readout")
    assert "'hate' attends to" not in page.inner_text(f"{third} .ax-readout")
    page.hover(f"{third} .ax-left .ax-tok[data-i='3']")
    assert "'movie' attends to" in page.inner_text(f"{third} .ax-readout")

    # the model view opens on its grid; a map opens large
    assert page.locator(f"{second} .ax-modelarea").is_visible()
    assert not page.locator(f"{second} .ax-modelarea").is_hidden()
    cells = page.locator(f"{second} .ax-grid .ax-cell")
    assert cells.count() == 8  # 2 layers x 4 heads
    cells.nth(5).click()
    assert "layer 2 head 2" in page.inner_text(f"{second} .ax-detail")
    assert page.locator(f"{first} .ax-modelarea").is_hidden()  # the head views stayed on their view
    assert not errors, errors
    outside = [u for u in urls if not u.startswith(("file:", "data:", "blob:"))]
    assert not outside, outside
