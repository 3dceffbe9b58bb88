"""The explorer's step-through: its data on an AttentionMap (stored, read back, absent from old results) and
the panel it draws (every stage, its numbers, both languages)."""

from __future__ import annotations

import html
import math
import re

import numpy as np
import pytest

from attnlab.report.explorer import explorer_fragment, explorer_page
from attnlab.report.explorer.steps import steps_panel, weight_text
from attnlab.results import AttentionMap, HeadSteps

TOKENS = ["[CLS]", "the", "dog", "saw", "the", "cat", "[SEP]"]
L, H, D = 2, 3, 32


def toy_map(focus=(1, 2, 3), hide: tuple[int, ...] = ()) -> AttentionMap:
    """A map whose focus row is the softmax of a toy head's scaled scores, with that head's steps."""
    rng = np.random.default_rng(3)
    T = len(TOKENS)
    x = rng.normal(size=(T, 16))
    q, k, v = (x @ rng.normal(size=(16, D)) * 0.5 for _ in range(3))
    l, h, i = focus
    scores = k @ q[i]
    mask = np.array([j not in hide for j in range(T)])
    logits = np.where(mask, scores / math.sqrt(D), -np.inf)
    a = np.exp(logits - logits.max())
    a /= a.sum()
    w = rng.dirichlet(np.ones(T), size=(L, H, T))
    w[l, h, i] = a
    steps = HeadSteps(layer=l, head=h, token=i, q=q[i], scores=scores, scale=1 / math.sqrt(D), mask=mask, weights=a,
                      z=a @ v, v=v)
    return AttentionMap("toy", TOKENS, w.tolist(), focus_layer=l, focus_head=h, focus_token=i, steps=steps)


def test_steps_round_trip_rounded_and_match_the_map():
    m = toy_map()
    d = m.to_dict()
    back = AttentionMap.from_dict(d)
    s, b = m.steps, back.steps
    assert isinstance(b, HeadSteps) and (b.layer, b.head, b.token) == (1, 2, 3)
    assert np.allclose(b.q, s.q, rtol=1e-3) and np.allclose(b.z, s.z, rtol=1e-3) and np.allclose(b.v, s.v, rtol=1e-3)
    assert np.allclose(b.scores, s.scores, rtol=1e-5) and b.mask == s.mask and b.scale == pytest.approx(s.scale)
    assert np.allclose(b.weights, s.weights, atol=1e-9)
    assert all(len(re.sub(r"[-.]|e.*", "", f"{x!r}").lstrip("0")) <= 4 for x in d["steps"]["q"] + d["steps"]["z"])
    # the softmax of the stored scaled scores is the map's row
    z = np.array(b.scores) * b.scale
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    assert np.abs(p - np.array(m.weights)[1, 2, 3]).max() < 1e-4
    assert AttentionMap.from_dict(back.to_dict()).to_dict() == back.to_dict()


def test_maps_without_steps_store_and_read_as_before():
    m = toy_map()
    old = {k: v for k, v in m.to_dict().items() if k != "steps"}
    back = AttentionMap.from_dict(old)
    assert back.steps is None and back.to_dict() == old and "steps" not in back.to_dict()
    frag = explorer_fragment(back.tokens, back.weights, element_id="e")
    assert '<section class="ax-steps"' not in frag
    assert frag == explorer_fragment(back.tokens, back.weights, element_id="e", steps=None)


def test_steps_must_be_the_focus_ones():
    m = toy_map()
    with pytest.raises(ValueError, match="focus"):
        AttentionMap("t", TOKENS, m.weights, focus_layer=0, focus_head=2, focus_token=3, steps=m.steps)
    with pytest.raises(ValueError, match="focus"):
        AttentionMap("t", TOKENS, m.weights, steps=m.steps)
    with pytest.raises(ValueError, match="T > token"):
        HeadSteps(layer=0, head=0, token=5, q=[1.0], scores=[1.0, 2.0], scale=1, mask=[True, True],
                  weights=[0.5, 0.5], z=[1.0])
    with pytest.raises(TypeError, match="steps"):
        AttentionMap("t", TOKENS, m.weights, steps="no")


@pytest.mark.parametrize(("p", "text"), [(0.5, "0.500"), (0.0123, "0.012"), (0.00432, "0.00432"),
                                         (0.99954, "0.99954"), (0.9999998, "0.99999980"), (0.0, "0.00000"),
                                         (1.0, "1.00000"), (0.995, "0.99500")])
def test_weights_show_five_digits_near_0_and_1(p, text):
    assert weight_text(p) == text


def _zh_text(panel: str) -> list[str]:
    return [html.unescape(re.sub(r"<[^>]+>", "", t)) for t in re.findall(r'<span lang="zh-CN">(.*?)</span>', panel)]


def test_the_panel_shows_every_stage_with_its_numbers_in_both_languages():
    from attnlab.lab.words.lint import zh_problems

    m = toy_map(hide=(6,))
    s = m.steps.to_dict()
    panel = steps_panel(m.steps, TOKENS)
    text = html.unescape(panel)
    stages = re.findall(r'<div class="ax-stage" data-s="(\d)"', panel)
    assert stages == [str(k) for k in range(6)]
    tabs = re.findall(r'<button type="button" role="tab" class="ax-stagetab"[^>]*>(\d) · ', panel)
    assert tabs == [str(k + 1) for k in range(6)]
    assert "Step-through: layer 2, head 3, query 'saw'" in text and "第 2 层第 3 个头" in text  # from 1
    assert ">the#2<" in panel and ">the#5<" in panel  # a repeated token carries its position
    # q and z: the first 8 numbers and the norm
    q_shown = re.search(r'<div class="ax-vec ax-q">(.*?)</div>', panel).group(1)
    nums = [float(t.replace("\u2212", "-")) for t in re.findall(r'<span class="ax-num">([^<]*)</span>', q_shown)]
    assert nums == pytest.approx(s["q"][:8], rel=1e-3)
    assert f"‖q‖ = {math.hypot(*s['q']):.4g}".replace("-", "\u2212") in panel
    # the mask hides [SEP]: its score is -inf and its weight 0
    assert panel.count("✗ ") == 1 and "6 of 7" in panel
    shown = [float(w) for w in re.findall(r'<span class="ax-wt" data-w="([^"]*)">', panel)]
    texts = re.findall(r'<span class="ax-wt" data-w="[^"]*">([^<]*)</span>', panel)
    assert shown == s["weights"] and texts == [weight_text(p) for p in s["weights"]] and texts[6] == "0.00000"
    assert panel.count('<svg class="ax-sbar"') == len(TOKENS)
    # the Chinese, token names aside, is Chinese
    for text in _zh_text(panel):
        text = re.sub(r"“[^”]*”", "“词”", text)
        assert not zh_problems(text), (text, zh_problems(text))
    # in a fragment and a page: the panel after the data, its script inside the page's hashed script
    frag = explorer_fragment(m.tokens, m.weights, element_id="e", steps=m.steps.to_dict())
    assert frag.index("ax-data") < frag.index('<section class="ax-steps"') < frag.index("</div>\n<style>")
    page = explorer_page(m.tokens, m.weights, steps=m.steps)
    assert "data-steps-ready" in page and "style=" not in page.split("<body>")[1].split("<script>")[0]
