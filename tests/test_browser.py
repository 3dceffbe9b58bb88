"""The report as a person sees it: opened offline in the system Chromium through Playwright."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from attnlab.experiments.base import Evidence, Result, write_result
from attnlab.report import write_report

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("ATTNLAB_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def _small_report(out: Path) -> Path:
    """A report with a result and two figures (PNG and SVG) for every question."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    from attnlab.experiments.base import RunContext
    from attnlab.report.plots import new_figure

    verdicts = ["confirmed", "qualified", "refuted", "inconclusive"]
    for i in range(1, 9):
        qid = f"q{i}"
        ctx = RunContext("tiny", [0, 1], out / qid)
        fig, ax = new_figure()
        ax.plot([1, 2, 3], [i, i + 1, i * 2], marker="o", label=qid)
        ax.legend()
        ctx.save_figure(fig, "curve")
        fig, ax = new_figure()
        ax.bar(["a", "b"], [i, 2])
        ctx.save_figure(fig, "bars")
        write_result(Result(qid=qid, question=f"question {i}", claim="claim", verdict=verdicts[i % 4],
                            rule=f"{verdicts[i % 4]}: x = {i}.00 ± 0.01; rule: <b>not bold</b>",
                            summary="summary with <script>window.__pwned = 1</script> inside",
                            evidence=[Evidence("x", float(i), (i - 0.01, i + 0.01), "unit", "Paper 2017: 1.0")],
                            figures=ctx.figures, seeds=[0, 1], profile="tiny", seconds=1.0 + i), out)
    return write_report(out)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        pytest.skip(f"Chromium not found at {CHROMIUM} (install Debian's chromium package)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    with sync_api.sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        except Exception as exc:  # noqa: BLE001 - a browser that cannot start is an environment problem
            pytest.skip(f"Chromium at {CHROMIUM} did not start: {exc}")
        yield b
        b.close()


def test_report_renders_offline_in_chromium(browser, tmp_path):
    index = _small_report(tmp_path / "report")
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            outside.append(r.request.url)
            r.abort()

    page.route("**/*", route)
    page.goto(index.as_uri(), wait_until="load")

    assert page.title().startswith("attnlab report")
    assert page.locator("#summary tbody tr").count() == 8
    for i in range(1, 9):
        section = page.locator(f"section#q{i}")
        assert section.count() == 1
        assert section.is_visible()
        assert "x" in section.locator("table.evidence").inner_text()
        imgs = section.locator("img")
        assert imgs.count() == 2, f"q{i}: expected 2 figures"
        for j in range(imgs.count()):
            img = imgs.nth(j)
            img.scroll_into_view_if_needed()
            assert img.evaluate("e => e.complete && e.naturalWidth > 0 && e.naturalHeight > 0"), f"q{i} img {j}"
    assert page.evaluate("window.__pwned === undefined")  # escaped, not executed
    assert "<script>window.__pwned" in page.locator("section#q1").inner_text()
    assert not errors, errors
    assert not outside, outside
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    page.close()
