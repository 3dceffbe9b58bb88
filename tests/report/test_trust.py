"""Trust on the page: a number near its bound shows the digits that tell it from the bound, a check with no
margin is not ticked, every ratio says how it was computed, and the figures are the SVGs, zoomable, in one
self-contained file."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest

from attnlab.report import write_report
from attnlab.report.figures import draw_result
from attnlab.report.html import check_mark, format_number, format_value, ratio_method
from attnlab.results import Check, Claim, Evidence, Panel, Plot, Result, Series, read_result, write_result

QUICK = Path(__file__).resolve().parents[2] / "docs" / "report-quick"


@pytest.mark.parametrize(("x", "bounds", "shown"), [
    (0.9995413380353421, (0, 1), "0.99954"),  # the seed's softmax([1, 2, 10]): not 1.000
    (0.9991536458333334, (0, 1), "0.99915"),  # within 0.001 of 1
    (0.99996, (0, 1), "0.999960"),
    (0.5, (0, 1), "0.500"),  # far from both ends: as before
    (0.998, (0, 1), "0.998"),
    (0.000301, (0, 1), "0.000301"),  # already tells itself from 0
    (1.0, (0, 1), "1"),  # at the bound: the bound
    (99.9996, (0, 100), "99.99960"),  # rounds to the bound at the display precision
    (0.9995413380353421, None, "1.000"),  # no bounds, no rule
])
def test_a_number_near_its_bound_gets_the_digits_to_differ(x, bounds, shown):
    assert format_number(x, bounds) == shown


def test_interval_ends_follow_the_same_rule():
    assert format_value(0.9995442748069763, (0.9982789788254903, 1.0), bounds=(0, 1)) == "0.99954 [0.998, 1]"


def _check(detail: str, passed: bool = True) -> Check:
    return Check("c", passed, detail)


def test_a_check_with_no_margin_is_not_ticked():
    assert check_mark(_check("needle T=48 LSTM: max needs 1.00 [0.78, 1.29]x attention's steps (no margin)")) == "edge"
    assert check_mark(_check("contrast: last needs 1.41 [1.01, 1.95]x attention's steps (unclear)")) == "edge"
    assert check_mark(_check("fewest timing repeats behind these ratios: 7 (need 7; a busy machine ...)")) == "edge"
    assert check_mark(_check("steps to 0.95, h=4 (width 8): 4 of 5 seeds reached the threshold (need 4)")) == "edge"
    assert check_mark(_check("other processes kept 0.25 cores busy on average (allowed 0.25 of 2 CPUs)")) == "edge"
    assert check_mark(_check("steps to 0.95, h=4 (width 8): 5 of 5 seeds reached the threshold (need 4)")) == "pass"
    assert check_mark(_check("fewest timing repeats behind these ratios: 9 (need 7; a busy machine ...)")) == "pass"
    assert check_mark(_check("max |logit difference| 4.2e-07 (tolerance 1.0e-04)")) == "pass"
    assert check_mark(_check("anything", passed=False)) == "fail"


def test_every_ratio_says_how_it_was_computed():
    paired = Evidence("r", 1.35, (1.1, 1.6), "x",
                      ci_method="geometric mean, 95% t interval over 5 seeds on the log scale")
    assert ratio_method(paired)[0] == "paired: geometric mean of the per-seed ratios"
    medians = Evidence("m", 1.5, None, "x", ci_method="ratio of medians over 5 seeds")
    assert ratio_method(medians)[0] == "ratio of medians"
    exact = Evidence("f", 0.5625, None, "x")
    assert ratio_method(exact)[0] == "exact (no interval)"
    assert ratio_method(Evidence("a", 0.9, (0.8, 1.0), "accuracy", ci_method="95% t interval")) == ("", "")


def _result(tmp_path: Path) -> Result:
    checks = (Check("learned", True, "5 of 5 seeds reached the threshold (need 4)"),
              Check("compared", True, "max needs 1.00 [0.78, 1.29]x attention's steps (no margin)",
                    "所需步数是 1.00 倍（差距不足）"))
    r = Result(qid="q3", question="Why scale?", claim="c", verdict="inconclusive", rule="r", summary="s",
               answer={"en": "An answer long enough to be one.", "zh": "一个答案。"},
               claims=[Claim("beats", "Attention beats pooling.", "inconclusive", "rule", checks,
                             ("speedup", "softmax"))],
               evidence=[Evidence("speedup", 1.35, (1.1, 1.6), "x", label="steps, max / attention",
                                  ci_method="geometric mean, 95% t interval over 5 seeds on the log scale"),
                         Evidence("softmax", 0.9995413380353421, None, "weight", label="softmax([1, 2, 10])",
                                  ci_method="exact")],
               plots=[Plot("curve", "A curve", [Panel(series=[Series("a", [1, 2, 3], [1, 2, 3])])], headline=True),
                      Plot("more", "More", [Panel(series=[Series("b", [1, 2, 3], [3, 2, 1])])])])
    write_result(r, tmp_path)
    draw_result(r, tmp_path)
    return r


def test_the_page_shows_the_digits_the_neutral_mark_and_the_ratio_kind(tmp_path):
    _result(tmp_path)
    html = write_report(tmp_path).read_text(encoding="utf-8")
    assert ">0.99954<" in html and ">1.000<" not in html
    item = re.search(r'<li class="(\w+)">(?:(?!</li>).)*no margin', html, re.S)
    assert item and item.group(1) == "edge"
    assert 'title="Passed, but with no margin' in item.group(0) and "○" in item.group(0)
    assert html.count('<li class="pass">') == 1  # the other check keeps its tick
    assert "paired: geometric mean of the per-seed ratios" in html and "How the ratios are computed" in html


def test_figures_are_the_svgs_one_per_row_and_zoom_without_a_network(tmp_path):
    _result(tmp_path)
    html = write_report(tmp_path).read_text(encoding="utf-8")
    assert html.count("data:image/svg+xml;base64,") == 2 and "data:image/png" not in html
    assert html.count("data-zoom") >= 2 and 'id="zoom"' in html
    assert "grid-template-columns: repeat(auto-fit" not in html  # no two figures squeezed side by side
    assert "Figures drawn with DejaVu Sans" in html  # the page says which font drew the figures


def test_the_quick_report_stays_one_small_self_contained_file(tmp_path):
    """The committed quick report's results and figures, written again: one file under 5 MB."""
    if not (QUICK / "q1" / "result.json").is_file():
        pytest.skip("docs/report-quick is missing")
    for q in QUICK.glob("q*/"):
        (tmp_path / q.name).mkdir()
        for f in q.iterdir():
            if f.is_file():
                shutil.copy(f, tmp_path / q.name / f.name)
    start = time.perf_counter()
    page = write_report(tmp_path)
    assert time.perf_counter() - start < 5
    html = page.read_text(encoding="utf-8")
    assert page.stat().st_size < 5_000_000, page.stat().st_size
    assert not re.search(r'(src|href)="(https?:)?//', html.replace('href="https://', 'href="LINK'))
    assert "<link" not in html and "@import" not in html and "default-src 'none'" in html
    assert html.count("<figure") == sum(len(read_result(tmp_path, q.name).plots) for q in tmp_path.glob("q*/"))


@pytest.mark.slow
def test_the_quick_report_redrawn_stays_under_5_mb(tmp_path):
    """Every figure of the quick report redrawn with this code, then the page: still under 5 MB."""
    if not (QUICK / "q1" / "result.json").is_file():
        pytest.skip("docs/report-quick is missing")
    for q in QUICK.glob("q*/"):
        (tmp_path / q.name).mkdir()
        shutil.copy(q / "result.json", tmp_path / q.name / "result.json")
        draw_result(read_result(tmp_path, q.name), tmp_path)
    page = write_report(tmp_path)
    assert page.stat().st_size < 5_000_000, page.stat().st_size
