"""attnlab.report.explorer: input checks, the compact data round trip, escaping, roles, the page."""

from __future__ import annotations

import base64
import hashlib
import re

import numpy as np
import pytest
import torch

from attnlab.report.explorer import (
    explorer_assets,
    explorer_fragment,
    explorer_page,
    head_roles_labels,
    read_explorer,
    validate_inputs,
    write_explorer,
)
from attnlab.report.explorer.data import decode_weights, encode_weights

QUANT = 0.0005 + 1e-9  # weights are stored to 3 decimals


def softmax_weights(L: int, H: int, T: int, seed: int = 0, sharp: float = 3.0) -> np.ndarray:
    """(L, H, T, T) rows that sum to 1."""
    logits = np.random.default_rng(seed).normal(size=(L, H, T, T)) * sharp
    w = np.exp(logits - logits.max(-1, keepdims=True))
    return w / w.sum(-1, keepdims=True)


def tokens_for(T: int) -> list[str]:
    return ["[CLS]"] + [f"w{i}" for i in range(T - 2)] + ["[SEP]"]


# ---------------------------------------------------------------- input checks


def test_accepts_layer_lists_tensors_and_batch_of_one():
    w = softmax_weights(2, 3, 5)
    toks = tokens_for(5)
    for given in (w, torch.from_numpy(w), [torch.from_numpy(a) for a in w], [a[None] for a in w],
                  torch.from_numpy(w).half(), [a.tolist() for a in w]):
        out_tokens, out = validate_inputs(toks, given)
        assert out_tokens == toks and out.shape == (2, 3, 5, 5)
        assert np.abs(out - w).max() < 1e-3


@pytest.mark.parametrize(("tokens", "attentions", "error", "match"), [
    ("abc", softmax_weights(1, 1, 3), TypeError, r"tokens: expected a sequence of str, got str"),
    (["a", 2, "c"], softmax_weights(1, 1, 3), TypeError, r"tokens\[1\]: expected str, got int"),
    ([], np.zeros((1, 1, 0, 0)), ValueError, r"tokens: expected at least one token"),
    (tokens_for(5), softmax_weights(1, 1, 5)[0], ValueError,
     r"attentions: expected an \(L, H, T, T\) array .* got shape \(1, 5, 5\)"),
    (tokens_for(5), [softmax_weights(1, 2, 5)[0], softmax_weights(1, 3, 5)[0]], ValueError,
     r"attentions\[1\]: expected shape \(2, 5, 5\) like attentions\[0\], got \(3, 5, 5\)"),
    (tokens_for(5), [softmax_weights(2, 2, 5)], ValueError, r"attentions\[0\]: .* got \(2, 2, 5, 5\) \(a batch"),
    (tokens_for(4), softmax_weights(1, 2, 5), ValueError,
     r"attentions: expected maps of size \(4, 4\) for len\(tokens\) = 4, got shape \(1, 2, 5, 5\)"),
    (tokens_for(5), softmax_weights(1, 2, 5)[..., :4], ValueError, r"attentions: expected square"),
    (tokens_for(3), np.ones((1, 1, 3, 3), dtype=bool), TypeError, r"attentions: expected real floating-point"),
    (tokens_for(3), [], ValueError, r"attentions: expected at least one layer"),
])
def test_bad_inputs_name_the_argument(tokens, attentions, error, match):
    with pytest.raises(error, match=match):
        validate_inputs(tokens, attentions)
    with pytest.raises(error, match=match):  # every entry point runs the same checks
        explorer_fragment(tokens, attentions)


def test_nan_negative_and_row_sums_say_where():
    toks = tokens_for(5)
    w = softmax_weights(2, 3, 5)
    bad = w.copy()
    bad[1, 2, 3, 4] = np.nan
    # numbered from 1, as the explorer shows them, then the array's index
    with pytest.raises(ValueError, match=r"expected finite weights, got nan at layer 2 head 3 query 4 key 5 "
                                         r"\(index \[1, 2, 3, 4\]\)"):
        explorer_fragment(toks, bad)
    bad = w.copy()
    bad[0, 1, 2, 0] = -0.5
    with pytest.raises(ValueError, match=r"expected weights >= 0 .* at layer 1 head 2 query 3 key 1 \(index"):
        explorer_fragment(toks, bad)
    bad = w.copy()
    bad[0, 1, 3] *= 0.5
    with pytest.raises(ValueError, match=r"every row \(query\) to sum to 1 within 0.01, got 0.5 at layer 1 head 2 "
                                         r"query 4 \(index \[0, 1, 3\]\)"):
        explorer_fragment(toks, bad)
    with pytest.raises(ValueError, match="to sum to 1"):  # scores instead of probabilities
        explorer_fragment(toks, np.random.default_rng(0).normal(size=(1, 2, 5, 5)) ** 2)
    bad = w.copy()
    bad[0, 0, 0, 0] += 0.004  # within the tolerance
    explorer_fragment(toks, bad)


def test_bad_options_name_the_argument():
    toks, w = tokens_for(4), softmax_weights(2, 3, 4)
    with pytest.raises(ValueError, match=r"layer: expected an int in \[0, 1\], got 2"):
        explorer_fragment(toks, w, layer=2)
    with pytest.raises(ValueError, match=r"heads\[1\]: expected an int in \[0, 2\], got 3"):
        explorer_fragment(toks, w, heads=[0, 3])
    with pytest.raises(ValueError, match=r"token: expected an int in \[0, 3\], got -1"):
        explorer_fragment(toks, w, token=-1)
    with pytest.raises(ValueError, match="element_id"):
        explorer_fragment(toks, w, element_id='x" onload="alert(1)')
    with pytest.raises(ValueError, match=r"roles: expected 2 lists"):
        explorer_fragment(toks, w, roles=[["a", "b", "c"]])
    with pytest.raises(ValueError, match=r"roles\[1\]: expected 3 labels"):
        explorer_fragment(toks, w, roles=[["a", "b", "c"], ["a"]])
    with pytest.raises(TypeError, match="title"):
        explorer_fragment(toks, w, title=3)


# ---------------------------------------------------------------- data round trip and size


@pytest.mark.parametrize("compress", [False, True])
def test_embedded_weights_round_trip(compress):
    toks, w = tokens_for(9), softmax_weights(3, 4, 9, seed=1)
    w[0, 0] = np.eye(9)  # exact 0 and 1
    html = explorer_fragment(toks, w, title="round trip", compress=compress)
    (data,) = read_explorer(html)
    assert data.raw["codec"] == ("q1000+zlib" if compress else "q1000")
    assert data.tokens == toks and data.title == "round trip"
    assert data.weights.shape == (3, 4, 9, 9)
    assert np.abs(data.weights - w).max() <= QUANT
    assert np.array_equal(data.weights[0, 0], np.eye(9))


def test_codec_covers_every_value():
    q = np.arange(1001) / 1000.0
    codec, text = encode_weights(q.reshape(1, 1, 1, -1))
    assert np.array_equal(decode_weights(codec, text, (1, 1, 1, 1001)), q.reshape(1, 1, 1, -1))
    assert len(base64.b64decode(text)) == 128 + 2 * (1001 - 128)  # one byte below 128, two above


def test_small_explorer_is_small_and_large_one_compressed():
    frag = explorer_fragment(tokens_for(16), softmax_weights(6, 12, 16, sharp=2.0), include_assets=False)
    assert len(frag.encode()) < 40_000  # 18,432 weights at about one byte each, in base64
    big = explorer_fragment(tokens_for(128), softmax_weights(1, 12, 128, sharp=2.0), include_assets=False)
    assert '"codec":"q1000+zlib"' in big


# ---------------------------------------------------------------- escaping


EVIL = "</script><script>window.__pwned=1</script>"


def test_tokens_and_title_are_escaped():
    toks = ["[CLS]", EVIL, "<img src=x onerror=alert(1)>", "a&b", "\u2028", "[SEP]"]
    page = explorer_page(toks, softmax_weights(1, 2, 6), title="<b>title</b> " + EVIL)
    assert "<script>window.__pwned" not in page and "<img src=x" not in page and "<b>title" not in page
    assert page.count("<script") == 2 and page.count("</script>") == 2  # the data block and the code
    assert "&lt;b&gt;title&lt;/b&gt;" in page
    (data,) = read_explorer(page)
    assert data.tokens == toks and data.title.startswith("<b>title</b>")


def test_page_is_offline_and_its_policy_admits_only_its_own_code():
    page = explorer_page(tokens_for(4), softmax_weights(1, 2, 4))
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp and "http" not in csp
    blocks = re.findall(r"<(script|style)>(.*?)</\1>", page, re.S)
    assert len(blocks) == 3  # page style, explorer style, explorer script
    for _, body in blocks:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    # the SVG export's namespace names and its image attribute (a data: URL made on the page) fetch nothing
    code = page.replace("http-equiv", "")
    for name in ('xmlns="http://www.w3.org/2000/svg"', 'xmlns:xlink="http://www.w3.org/1999/xlink"',
                 """' xlink:href="' + img.toDataURL('image/png')"""):
        assert code.count(name) == 1, name
        code = code.replace(name, "")
    for needle in ("src=", "href=", "@import", "url(", "http://", "https://"):
        assert needle not in code


def test_fragments_embed_several_times(tmp_path):
    a = explorer_fragment(tokens_for(4), softmax_weights(1, 2, 4, seed=1), title="first")
    b = explorer_fragment(tokens_for(5), softmax_weights(2, 2, 5, seed=2), title="second", include_assets=False)
    ids = re.findall(r'class="attnlab-explorer" id="([^"]+)"', a + b)
    assert len(ids) == 2 and ids[0] != ids[1]
    assert explorer_assets() in a and explorer_assets() not in b
    found = read_explorer(a + b)
    assert [f.title for f in found] == ["first", "second"] and [f.element_id for f in found] == ids
    path = write_explorer(tmp_path / "sub" / "e.html", tokens_for(4), softmax_weights(1, 2, 4), element_id="mine")
    assert path.is_file() and read_explorer(path)[0].element_id == "mine"


# ---------------------------------------------------------------- roles


def test_head_roles_labels():
    T = 8
    toks = tokens_for(T)
    w = np.zeros((1, 5, T, T))
    w[0, 0] = np.eye(T, k=-1)
    w[0, 0, 0, 0] = 1.0  # the first query has no previous token
    w[0, 1] = np.eye(T, k=1)
    w[0, 1, -1, -1] = 1.0
    w[0, 2, :, 0] = 1.0  # everything to [CLS]
    w[0, 3] = 1.0 / T  # uniform
    w[0, 4, :, 0] = 0.3
    w[0, 4, :, -1] = 0.3
    w[0, 4, :, 1:-1] = 0.03 / (T - 3)
    w[0, 4, :, 2] = 0.37
    assert head_roles_labels(toks, w) == [["prev", "next", "[CLS]", "broad", "[CLS]+[SEP]"]]
    assert head_roles_labels(toks, w, threshold=1.0)[0][:3] == ["prev", "next", "[CLS]"]
    assert head_roles_labels(["a"] * T, w)[0][2] == ""  # no special tokens in these tokens
    with pytest.raises(ValueError, match="broad_threshold"):
        head_roles_labels(toks, w, broad_threshold=0)
    # given labels replace the computed ones
    (data,) = read_explorer(explorer_fragment(toks, w, roles=[["a", ["b", "c"], "", "d", "e"]]))
    assert data.roles == [["a", "b, c", "", "d", "e"]]
    (data,) = read_explorer(explorer_fragment(toks, w))
    assert data.roles[0][0] == "prev"
    assert data.raw["notes"][0][0].startswith("prev 1.00 · next 0.00 · self 0.12 · [CLS] 0.25")


# ---------------------------------------------------------------- the view that answers the caption


def test_answer_lines_opening_view_and_export_title_are_embedded():
    toks, w = tokens_for(6), softmax_weights(2, 3, 6)
    html = explorer_fragment(toks, w, layer=1, heads=[2], token=3, answer="Layer 2, head 3: <'w2'> 0.5.",
                             answer_zh="第 2 层第 3 个头：“w2”0.5。", export_title="model on 'text'")
    assert '<p class="ax-answer" lang="en">Layer 2, head 3: &lt;&#x27;w2&#x27;&gt; 0.5.</p>' in html
    assert '<p class="ax-answer" lang="zh-CN">第 2 层第 3 个头：“w2”0.5。</p>' in html
    (data,) = read_explorer(html)
    assert data.raw["initial"] == {"layer": 1, "heads": [2], "token": 3}
    assert data.raw["answer"] == {"en": "Layer 2, head 3: <'w2'> 0.5.", "zh": "第 2 层第 3 个头：“w2”0.5。"}
    assert data.raw["export_title"] == "model on 'text'"
    plain = explorer_fragment(toks, w, title="a title")  # no answer: no line; exports take the title
    assert "ax-answer" not in plain.split("<script")[0] and read_explorer(plain)[0].raw["export_title"] == "a title"
    only_en = explorer_fragment(toks, w, answer="only English")  # Chinese falls back to it
    assert '<p class="ax-answer" lang="zh-CN">only English</p>' in only_en
    with pytest.raises(TypeError, match="answer_zh"):
        explorer_fragment(toks, w, answer_zh=3)


def test_attention_map_focus_round_trips_and_old_results_load():
    from attnlab.results import AttentionMap

    w = softmax_weights(2, 3, 4).tolist()
    m = AttentionMap("t", tokens_for(4), w, "题", focus_layer=1, focus_head=2, focus_token=3, answer="a",
                     answer_zh="答")
    d = m.to_dict()
    back = AttentionMap.from_dict(d)
    assert (back.focus_layer, back.focus_head, back.focus_token, back.answer, back.answer_zh) == (1, 2, 3, "a", "答")
    old = {k: v for k, v in d.items() if not k.startswith("focus_") and not k.startswith("answer")}
    back = AttentionMap.from_dict(old)
    assert (back.focus_layer, back.focus_head, back.focus_token, back.answer, back.answer_zh) == (None, None, None,
                                                                                                  "", "")


def test_report_explorer_opens_on_the_focus():
    from types import SimpleNamespace

    from attnlab.report.view import _explorers
    from attnlab.results import AttentionMap

    toks, w = tokens_for(5), softmax_weights(2, 3, 5)
    maps = [AttentionMap("m on 'x'", toks, w.tolist(), focus_layer=1, focus_head=0, focus_token=2, answer="en",
                         answer_zh="中"), AttentionMap("old", toks, w.tolist())]
    a, b = (read_explorer(f)[0].raw for f in _explorers(SimpleNamespace(attention_maps=maps), "q9"))
    assert a["initial"] == {"layer": 1, "heads": [0], "token": 2} and a["answer"] == {"en": "en", "zh": "中"}
    assert a["export_title"] == "m on 'x'"
    assert b["initial"] == {"layer": 0, "heads": None, "token": None} and b["answer"] == {"en": "", "zh": ""}


def test_focus_words_number_from_one_and_mark_repeated_tokens():
    from attnlab.lab.words import focus

    toks = ["[CLS]", "the", "cat", "sat", "on", "the", "mat", "[SEP]"]
    assert focus.head(2, 6, "en") == "Layer 3, head 7" and focus.head(2, 6, "zh") == "第 3 层第 7 个头"
    assert focus.token(toks, 2, "en") == "'cat'" and focus.token(toks, 2, "zh") == "“cat”"
    assert focus.token(toks, 5, "en") == "'the#6'" and focus.token(toks, 0, "zh") == "[CLS]"
    assert focus.find(toks, "CAT") == 2 and focus.find(toks, "dog") is None
    assert focus.strongest(np.array([[0.1, 0.3], [0.3, 0.2]])) == (0, 1)  # the first on a tie


@pytest.mark.parametrize("qid", ["q1", "q2", "q7", "q10"])
def test_questions_choose_the_focus_from_the_weights(qid):
    from attnlab.lab.words import num
    from attnlab.lab.words.lint import zh_problems
    from attnlab.questions.q1_heads.explorer import explorer_focus as q1
    from attnlab.questions.q2_qk.explorer import explorer_focus as q2
    from attnlab.questions.q7_why.explorer import explorer_focus as q7
    from attnlab.questions.q10_sinks.explorer import explorer_focus as q10

    toks = ["[CLS]", "the", "dog", "and", "the", "animal", "hate", "it", "[SEP]"]
    T = len(toks)
    w = softmax_weights(3, 4, T, seed=5, sharp=1.0)
    shown = np.round(w, 3)
    it, dog, animal, hate = 7, 2, 5, 6
    if qid == "q1":
        f = q1(toks, w.tolist())
        l, h = np.unravel_index(shown[:, :, it, animal].argmax(), (3, 4))
        value, token = shown[l, h, it, animal], it
    elif qid == "q2":
        f = q2(toks, w.tolist())
        l, h = np.unravel_index(shown[:, :, it, dog].argmax(), (3, 4))
        value, token = shown[l, h, it, dog], it
        assert f"'dog' puts {shown[l, h, dog, it]:.3f} on 'it'" in f["answer"]
    elif qid == "q7":
        f = q7(toks, w.tolist(), "hate")
        l, h = np.unravel_index(shown[:, :, 0, hate].argmax(), (3, 4))
        value, token = shown[l, h, 0, hate], 0
    else:
        f = q10(toks, w.tolist())
        mass = shown[..., [0, T - 1]].sum(-1)
        l, h = np.unravel_index(mass.mean(-1).argmax(), (3, 4))
        value, token = mass[l, h].mean(), f["focus_token"]
        assert toks[token] not in ("[CLS]", "[SEP]") and f"puts {mass[l, h, token]:.3f}." in f["answer"]
    assert (f["focus_layer"], f["focus_head"], f["focus_token"]) == (l, h, token)
    where = f"Layer {l + 1}, head {h + 1}: "
    assert f["answer"].startswith(where) and num(value) in f["answer"]
    assert f["answer_zh"].startswith(f"第 {l + 1} 层第 {h + 1} 个头：") and num(value) in f["answer_zh"]
    # Chinese: full-width punctuation, no English but the quoted tokens; a repeated token carries its position
    assert not zh_problems(re.sub(r"“[^”]*”", "", f["answer_zh"])), f["answer_zh"]
    assert "the#" not in f["answer"] or re.search(r"the#[25]\b", f["answer"])
    assert q2(["[CLS]", "no", "pronoun", "[SEP]"], softmax_weights(1, 1, 4).tolist()) == {}
