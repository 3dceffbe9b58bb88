"""attnlab.report.inspect.run_inspect: table, heatmaps and the self-contained attention explorer.

Tests that load the packaged all-MiniLM-L6-v2 are marked ``real_model`` (skipped without its weights package);
the input checks, the colour scale and the CJK font need no model.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from rich.console import Console

from attnlab.pretrained import load
from attnlab.report.explorer import read_explorer
from attnlab.report.figures.attention import EXPLORER_RAMP, explorer_cmap, explorer_norm
from attnlab.report.figures.fonts import cjk_font
from attnlab.report.inspect import LONG_INPUT, model_language, run_inspect

EXPLORER_JS = Path(__file__).parents[2] / "src" / "attnlab" / "report" / "explorer" / "explorer.js"


@pytest.fixture(scope="module")
def encoder():
    return load("all-MiniLM-L6-v2")


def _run(text, tmp_path, encoder, **kw):
    buf = io.StringIO()
    r = run_inspect(text, out_dir=tmp_path, model=encoder, console=Console(file=buf, width=200), **kw)
    return r, buf.getvalue()


@pytest.mark.real_model
def test_inspect_all_heads(encoder, tmp_path):
    r, text = _run("I hate this movie.", tmp_path, encoder)
    assert r.tokens == ["[CLS]", "i", "hate", "this", "movie", ".", "[SEP]"]
    assert len(r.heads) == 72 and len(r.most_attended[(0, 0)]) == 7
    for name in ("attention_grid.png", "attention_grid.svg", "attention_mean.png", "attention_mean.svg",
                 "index.html"):
        assert name in r.files and (tmp_path / name).stat().st_size > 0
    assert "layer 5" in text and "hate->" in text
    assert r.warnings == [] and "warning" not in text and r.n_cut == 0 and r.unk_share == 0
    for name in ("attention_mean.svg", "attention_grid.svg"):  # a colour bar on the explorer's √weight scale
        svg = (tmp_path / name).read_text(encoding="utf-8")
        assert "colour: √weight" in svg and ">0.05<" in svg and ">0.25<" in svg


@pytest.mark.real_model
def test_inspect_escapes_and_is_offline(encoder, tmp_path):
    text = 'a <script>alert("x")</script> & </script><b>bold</b>'
    r = run_inspect(text, layer=1, head=2, out_dir=tmp_path, model=encoder, show_table=False)
    assert r.heads == [(1, 2)]
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<b>bold" not in page
    assert page.count("</script>") == 2  # the data block and the code block only
    # the explorer's SVG export writes its embedded image as a data: URL made on the page: not a request
    code = page.replace("""' xlink:href="' + img.toDataURL('image/png')""", "", 1)
    assert "src=" not in code and "href=" not in code and "@import" not in code
    assert "default-src 'none'" in page  # the Content-Security-Policy forbids network access
    (explorer,) = read_explorer(tmp_path / "index.html")
    assert explorer.tokens == r.tokens
    assert explorer.raw["initial"] == {"layer": 1, "heads": [2], "token": None}
    assert float((torch.from_numpy(explorer.weights) - r.weights.double()).abs().max()) <= 5e-4 + 1e-6


@pytest.mark.real_model
def test_inspect_bad_arguments(encoder, tmp_path):
    with pytest.raises(ValueError, match="layer"):
        run_inspect("x", layer=6, out_dir=tmp_path, model=encoder, show_table=False)
    with pytest.raises(ValueError, match="head"):
        run_inspect("x", head=-1, out_dir=tmp_path, model=encoder, show_table=False)
    with pytest.raises(TypeError, match="text"):
        run_inspect(None, out_dir=tmp_path, model=encoder)


def test_empty_text_and_a_file_as_out_dir_fail_before_the_model_loads(tmp_path):
    for text, what in (("", "empty"), (" \n\t ", "whitespace-only")):
        with pytest.raises(ValueError, match=f"text: .*{what}"):
            run_inspect(text, out_dir=tmp_path)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="out_dir: .* exists and is not a folder"):
        run_inspect("hello", out_dir=tmp_path / "file")
    with pytest.raises(ValueError, match="out_dir: cannot create .* is a file"):
        run_inspect("hello", out_dir=tmp_path / "file" / "sub")


@pytest.mark.real_model
def test_text_the_model_cannot_read_warns_and_names_its_language(encoder, tmp_path):
    assert model_language(encoder) == "English, uncased"  # from the model card and the tokenizer config
    r, text = _run("注意力机制为什么要缩放", tmp_path, encoder, layer=0, head=0)
    assert r.unk_share > 0.5 and len(r.warnings) == 1
    assert re.search(r"warning: \d+ of \d+ tokens \(\d+%\) are \[UNK\].*English, uncased", text)
    if cjk_font():  # the surviving CJK tokens (力) are drawn with it, and it is named
        assert r.cjk_font == cjk_font() and f"CJK tokens drawn with the font {cjk_font()}" in text
    _, text = _run("The cat sat on the mat.", tmp_path, encoder, layer=0, head=0)
    assert "warning" not in text and "CJK" not in text


@pytest.mark.real_model
def test_a_longer_text_prints_a_summary(encoder, tmp_path):
    sentence = "The animal did not cross the street because it was too tired, said the old man slowly, and then he " \
               "went home."
    r, text = _run(sentence, tmp_path, encoder)
    assert len(r.tokens) > LONG_INPUT and r.n_cut == 0
    assert "most attended tokens" in text and "->" not in text  # one row per head, not one entry per token
    assert len(text.splitlines()) < 72 + 15


@pytest.mark.slow
@pytest.mark.real_model
def test_inspect_long_input_says_how_many_tokens_were_cut(encoder, tmp_path):
    r, text = _run("word " * 5000, tmp_path, encoder)
    assert len(r.tokens) == 256 and r.n_text_tokens == 5002 and r.n_cut == 4746
    assert "the text has 5,000 tokens and the model reads at most 256 (with [CLS] and [SEP]), so the last 4,746 " \
           "were cut" in text
    assert len(text.splitlines()) < 100  # a summary, not 3,776 lines
    assert (tmp_path / "attention_mean.svg").is_file()


def test_the_figures_use_the_explorers_colour_scale():
    js = EXPLORER_JS.read_text(encoding="utf-8")
    ramp = re.search(r"var RAMP = (\[\[.*?\]\]);", js, re.S)
    assert ramp and tuple(map(tuple, json.loads(ramp.group(1)))) == EXPLORER_RAMP
    assert "rampRGB(Math.sqrt(" in js  # the explorer indexes its ramp by sqrt(weight), as explorer_norm does
    cmap, norm = explorer_cmap(), explorer_norm()
    for w in (0.0, 0.01, 0.2, 0.25, 0.7, 1.0):
        x = np.sqrt(w) * (len(EXPLORER_RAMP) - 1)  # the explorer's rampRGB(sqrt(w))
        k = min(len(EXPLORER_RAMP) - 2, int(x))
        want = [(a + (b - a) * (x - k)) / 255 for a, b in zip(EXPLORER_RAMP[k], EXPLORER_RAMP[k + 1], strict=True)]
        assert np.allclose(cmap(float(norm(w)))[:3], want, atol=2 / 255), w


def test_cjk_glyphs_are_drawn_with_the_cjk_font():
    """Rendering 注意 with the figures' fonts gives the CJK font's pixels, not DejaVu Sans' boxes."""
    font = cjk_font()
    if font is None:
        pytest.skip("no CJK font installed (fonts-wqy-microhei or fonts-noto-cjk)")
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from attnlab.report.figures.attention import _fonts

    def pixels(family=None):
        with _fonts() if family is None else matplotlib.rc_context({"font.family": family}):
            fig = Figure(figsize=(1, 0.5))
            fig.text(0.1, 0.2, "注意", fontsize=20)
            canvas = FigureCanvasAgg(fig)
            canvas.draw()
            return np.asarray(canvas.buffer_rgba()).copy()

    assert np.array_equal(pixels(), pixels([font]))
    with pytest.warns(UserWarning, match="missing from font"):  # DejaVu Sans alone: boxes
        boxes = pixels(["DejaVu Sans"])
    assert not np.array_equal(pixels(), boxes)


@pytest.mark.real_model
def test_the_command_numbers_layers_and_heads_from_1(tmp_path, monkeypatch, encoder):
    from typer.testing import CliRunner

    import attnlab.pretrained
    from attnlab.cli import app

    monkeypatch.setattr(attnlab.pretrained, "load", lambda *a, **k: encoder)  # loaded once for the module
    runner = CliRunner()
    res = runner.invoke(app, ["inspect", "I hate this movie.", "--layer", "6", "--head", "12", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert "layer 6:" in res.output and "layer 0" not in res.output
    assert json.loads((tmp_path / "index.html").read_text(encoding="utf-8").split('class="ax-data"')[1]
                      .split(">", 1)[1].split("</script>")[0])["initial"]["layer"] == 5  # 0-based inside
    res = runner.invoke(app, ["inspect", "hi", "--layer", "7", "--out", str(tmp_path / "o")])
    assert res.exit_code != 0 and "--layer: expected a layer number from 1 to 6, got 7" in res.output
