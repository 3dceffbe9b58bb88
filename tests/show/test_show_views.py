"""attnlab.show: views of any model's attention weights for notebooks (inline HTML, saved files)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

import attnlab
import attnlab.results
from attnlab import show
from attnlab.report.explorer import read_explorer

SHIPPED = Path(attnlab.__file__).parent / "shipped_report"
TOKENS = ["I", "hate", "this", "movie", "."]


def _weights(layers: int = 2, batch: int = 2, heads: int = 3, t: int = 5, seed: int = 0) -> list[torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return [torch.softmax(torch.randn(batch, heads, t, t, generator=g), -1) for _ in range(layers)]


def test_every_source_of_weights_gives_the_same_layers():
    w = _weights()
    expected = torch.stack([x[1] for x in w]).double().numpy()  # (L, H, T, T) of sequence 1
    sources = [w, tuple(w), [x.numpy() for x in w], torch.stack(w), {f"blocks.{i}.attn.pattern": x for i, x in
                                                                      enumerate(w)}]

    class Output:  # Hugging Face's ModelOutput and attnlab's outputs carry .attentions
        attentions = tuple(w)

    for source in [*sources, Output()]:
        np.testing.assert_allclose(show.as_layers(source, batch=1), expected)
    np.testing.assert_allclose(show.as_layers(w[0][1]), w[0][1:2].double().numpy())  # (H, T, T): one layer


def test_a_view_renders_inline_self_contained_with_a_fresh_id_each_time():
    v = show.heads(_weights(), TOKENS, layer=1, heads=[0, 2], title="<b>x</b>")
    a, b = v._repr_html_(), v._repr_html_()
    ids = [re.search(r'class="attnlab-explorer" id="([^"]+)"', h).group(1) for h in (a, b)]
    assert ids[0] != ids[1]
    assert "<script>" in a and "<style>" in a and "&lt;b&gt;x" in a
    assert not re.search(r"(src|href)=\"?(https?:)?//", a)  # nothing fetched
    data = read_explorer(a)[0]
    assert data.tokens == TOKENS and data.weights.shape == (2, 3, 5, 5)
    assert data.raw["initial"] == {"layer": 1, "heads": [0, 2], "token": None}


def test_model_and_tokens_views_open_on_their_view():
    raw = read_explorer(show.model(_weights(), TOKENS)._repr_html_())[0].raw
    assert raw["initial"]["view"] == "model"
    v = show.tokens(_weights(), TOKENS, query="movie", layer=1)
    assert v.query == 3 and read_explorer(v.to_html())[0].raw["initial"] == {"layer": 1, "heads": None, "token": 3}
    assert show.tokens(_weights(), TOKENS, query=-1).query == 4
    assert show.heads(_weights()).tokens == ["1", "2", "3", "4", "5"]  # no tokens: positions


@pytest.mark.parametrize(("call", "message"), [
    (lambda: show.heads(_weights(), TOKENS[:4]), r"tokens: expected 5 tokens"),
    (lambda: show.heads(_weights(), TOKENS, batch=2), r"batch: expected an int in \[0, 1\]"),
    (lambda: show.heads([torch.rand(5, 5)], TOKENS), r"weights\[0\]: expected one layer's weights"),
    (lambda: show.heads(torch.rand(1, 1, 1, 1, 5, 5), TOKENS), r"weights: expected a list of per-layer"),
    (lambda: show.heads([x * 2 for x in _weights()], TOKENS), r"weights: expected every row .* to sum to 1"),
    (lambda: show.heads([_weights(t=5)[0], _weights(t=4)[0]], TOKENS), r"weights\[1\]: expected \(H, T, T\)"),
    (lambda: show.heads("weights", TOKENS), r"weights: expected"),
    (lambda: show.heads(_weights(), TOKENS, layer=2), r"layer: expected an int in \[0, 1\]"),
    (lambda: show.tokens(_weights(), TOKENS, query="film"), r"query: expected one of the tokens"),
    (lambda: show.heads(_weights(), TOKENS).save("x.jpg"), r"path: expected a name ending in .html"),
    (lambda: show.heads({"blocks.0.attn.q": 1}, TOKENS), r"weights: a mapping must hold"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()


def test_save_writes_html_svg_and_png(tmp_path):
    v = show.tokens(_weights(), TOKENS, query=1)
    page = v.save(tmp_path / "v.html").read_text(encoding="utf-8")
    assert "Content-Security-Policy" in page and "default-src 'none'" in page and len(read_explorer(page)) == 1
    assert v.save(tmp_path / "v.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "<svg" in v.save(tmp_path / "v.svg").read_text(encoding="utf-8")[:2000]
    assert "<svg" in show.model(_weights(), TOKENS).save(tmp_path / "m.svg").read_text(encoding="utf-8")[:2000]


def test_text_runs_an_attnlab_model_with_a_tokenizer():
    from attnlab.data import WordTokenizer
    from attnlab.models import TransformerLM

    tok = WordTokenizer.fit(["the cat sat on the mat"])
    lm = TransformerLM(vocab_size=16, d_model=16, n_heads=2, n_layers=2, max_len=16)
    lm.train()
    v = show.text(lm, "the cat sat", tokenizer=tok, view="heads", layer=1)
    assert v.kind == "heads" and v.tokens == ["the", "cat", "sat"] and v.weights.shape == (2, 2, 3, 3)
    assert np.allclose(np.triu(v.weights[0, 0], 1), 0)  # causal
    assert lm.training  # restored
    with pytest.raises(ValueError, match="tokenizer: TransformerLM has no tokenizer"):
        show.text(lm, "the cat")


@pytest.mark.real_model
def test_text_runs_minilm():
    from attnlab import pretrained

    v = show.text(pretrained.load("all-MiniLM-L6-v2"), "I hate this movie.")
    assert v.kind == "model" and v.tokens[0] == "[CLS]" and v.weights.shape[:2] == (6, 12)


@pytest.mark.slow  # draws q7's five figures: about 4 s
def test_load_result_shows_verdict_figures_and_explorers(tmp_path):
    r = attnlab.load_result(SHIPPED / "q7")
    assert r.qid == "q7" and r.verdict == r.result.verdict
    shown = r.show()
    html = shown._repr_html_()
    assert html.count("data:image/svg+xml;base64,") == len(r.plots) and f"verdict: {r.verdict}" in html
    assert len(read_explorer(html)) == len(r.attention_maps) >= 1
    assert shown.save(tmp_path / "q7.html").is_file()
    with pytest.raises(FileNotFoundError, match="path: expected a result.json"):
        attnlab.load_result(tmp_path / "nothing")
    (tmp_path / "result.json").write_text(json.dumps({"qid": "q1"}))
    with pytest.raises(attnlab.results.ResultError):
        attnlab.load_result(tmp_path)
