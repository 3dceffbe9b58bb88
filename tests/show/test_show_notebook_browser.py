"""A real notebook with two inline views, executed from a clean kernel and exported to HTML by nbconvert,
opened offline in Chromium: both explorers work, no console error, no request leaves the page."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

CELLS = [
    "import torch\nfrom attnlab import show\ng = torch.Generator().manual_seed(0)\n"
    "w = [torch.softmax(torch.randn(1, 4, 5, 5, generator=g), -1) for _ in range(2)]\n"
    "tokens = ['I', 'hate', 'this', 'movie', '.']",
    "show.heads(w, tokens, title='head view')",
    "show.model(w, tokens, title='model view')",
]


def _exported(tmp_path) -> str:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nbconvert = pytest.importorskip("nbconvert")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    # the lab template as Jupyter exports it, with its own CDN scripts (MathJax, require.js) left out: this
    # test is about attnlab's views, which must need nothing from the network
    exporter = nbconvert.HTMLExporter(template_name="lab", mathjax_url="", require_js_url="", jquery_url="",
                                      mermaid_js_url="", widget_renderer_url="", jupyter_widgets_base_url="")
    body, _ = exporter.from_notebook_node(nb)
    path = tmp_path / "notebook.html"
    path.write_text(body, encoding="utf-8")
    return path.as_uri()


@pytest.mark.slow  # a kernel and Chromium: about 15 s
def test_a_notebook_exported_to_html_shows_both_views_working_offline(browser, tmp_path):
    url = _exported(tmp_path)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    urls: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: urls.append(r.url))
    page.goto(url, wait_until="load")
    page.wait_for_function("[...document.querySelectorAll('.attnlab-explorer')].every("
                           "r => r.getAttribute('data-ax-ready') === '1')", timeout=30_000)
    roots = page.eval_on_selector_all(".attnlab-explorer", "els => els.map(e => e.id)")
    assert len(roots) == 2 and len(set(roots)) == 2
    heads, model = (f"#{r}" for r in roots)
    page.hover(f"{heads} .ax-left .ax-tok[data-i='1']")
    assert "'hate' attends to" in page.inner_text(f"{heads} .ax-readout")
    cells = page.locator(f"{model} .ax-grid .ax-cell")
    assert cells.count() == 8  # 2 layers x 4 heads
    cells.nth(5).click()
    assert "layer 2 head 2" in page.inner_text(f"{model} .ax-detail")
    assert not errors, errors
    outside = [u for u in urls if not u.startswith(("file:", "data:", "blob:", "about:"))]
    assert not outside, outside
