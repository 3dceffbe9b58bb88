"""The report as a person sees it: the committed quick report, opened offline in the system Chromium.

Every question shows its short answer in both languages (the switch shows one at a time), its verdict and
a rendered headline figure; the attention explorers respond; nothing is requested from a network and the
console stays clean. Screenshots go to ``<tmp_path>/screenshots`` and, when ``ATTNLAB_SCREENSHOTS`` names a
folder, there too.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

QUICK = Path(__file__).resolve().parents[2] / "docs" / "report-quick" / "index.html"


def _shots(tmp_path: Path, name: str) -> list[Path]:
    dirs = [tmp_path / "screenshots"]
    if os.environ.get("ATTNLAB_SCREENSHOTS"):
        dirs.append(Path(os.environ["ATTNLAB_SCREENSHOTS"]) / name)
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    return dirs


def _shot(page, dirs: list[Path], name: str, full: bool = False) -> None:
    page.screenshot(path=str(dirs[0] / name), full_page=full)
    for d in dirs[1:]:
        shutil.copy(dirs[0] / name, d / name)


def _open(browser, path: Path, locale: str = "en-US"):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = context.new_page()
    errors: list[str] = []
    urls: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: urls.append(r.url))
    page.goto(path.as_uri(), wait_until="load")
    return context, page, errors, urls


@pytest.mark.slow  # about 5 s on 2 cores
def test_the_quick_report_answers_every_question_in_both_languages(browser, tmp_path):
    assert QUICK.is_file(), "docs/report-quick/index.html is missing: regenerate it with attnlab report"
    assert QUICK.stat().st_size < 5_000_000
    dirs = _shots(tmp_path, "quick_report")
    context, page, errors, urls = _open(browser, QUICK)
    sections = page.locator("section.q")
    qids = [sections.nth(i).get_attribute("id") for i in range(sections.count())]
    assert {f"q{i}" for i in range(1, 9)} <= set(qids), qids
    assert page.evaluate("document.documentElement.getAttribute('data-lang')") == "en"
    _shot(page, dirs, "top_en.png")
    for qid in qids:
        sec = page.locator(f"section#{qid}")
        en, zh = sec.locator(".answer[lang=en]"), sec.locator(".answer[lang='zh-CN']")
        assert en.count() == 1 and zh.count() == 1, qid
        assert en.is_visible() and not zh.is_visible(), qid
        assert len(en.inner_text().strip()) > 40 and len(zh.text_content().strip()) > 20, qid
        assert sec.locator(".badge").first.is_visible(), qid
        img = sec.locator("figure.headline img")
        assert img.count() == 1, qid
        img.scroll_into_view_if_needed()
        assert page.evaluate("(el) => el.complete && el.naturalWidth > 100", img.element_handle()), qid
    page.locator("section#q2 figure.headline").scroll_into_view_if_needed()
    _shot(page, dirs, "q2_headline_en.png")
    page.click("button[data-set-lang='zh-CN']")
    assert page.evaluate("document.documentElement.getAttribute('lang')") == "zh-CN"
    for qid in qids:
        sec = page.locator(f"section#{qid}")
        assert sec.locator(".answer[lang='zh-CN']").is_visible() and not sec.locator(".answer[lang=en]").is_visible()
    page.locator("section#q1").scroll_into_view_if_needed()
    _shot(page, dirs, "q1_zh.png")
    # the explorers in the report respond: hover a token, and the readout names it
    explorers = page.locator(".attnlab-explorer")
    if explorers.count():
        page.wait_for_function("[...document.querySelectorAll('.attnlab-explorer')].every("
                               "r => r.getAttribute('data-ax-ready') === '1')", timeout=30_000)
        first = explorers.first
        first.scroll_into_view_if_needed()
        first.locator(".ax-left .ax-tok[data-i='1']").hover()
        assert first.locator(".ax-readout").inner_text().strip()
        assert first.locator(".ax-right .ax-bar[data-w]").count() > 0
        _shot(page, dirs, "explorer_hover.png")
    assert not errors, errors
    assert not [u for u in urls if not u.startswith(("file:", "data:", "blob:"))], urls
    context.close()


def test_the_language_follows_the_browser_and_is_remembered(browser, tmp_path):
    context, page, errors, _ = _open(browser, QUICK, locale="zh-CN")
    assert page.evaluate("document.documentElement.getAttribute('data-lang')") == "zh-CN"
    assert page.locator("section#q1 .answer[lang='zh-CN']").is_visible()
    page.click("button[data-set-lang='en']")
    page.reload()
    assert page.evaluate("document.documentElement.getAttribute('data-lang')") == "en"  # the reader's choice wins
    assert not errors, errors
    context.close()


def test_the_report_prints(browser, tmp_path):
    context, page, errors, _ = _open(browser, QUICK)
    pdf = page.pdf(path=str(tmp_path / "report.pdf"))
    assert pdf[:4] == b"%PDF" and len(pdf) > 50_000
    assert not errors, errors
    context.close()
