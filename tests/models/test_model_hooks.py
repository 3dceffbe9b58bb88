"""Hook points of the Transformer models: names, the residual stream, head_mask and patching through hooks,
the LM with and without a KV cache, and the real MiniLM."""

from __future__ import annotations

import pytest
import torch

from attnlab.models import EncoderDecoder, SequenceClassifier, TransformerEncoder, TransformerLM


def _encoder(norm_first: bool = True) -> TransformerEncoder:
    torch.manual_seed(0)
    return TransformerEncoder(vocab_size=30, d_model=16, n_heads=4, n_layers=2, max_len=16,
                              norm_first=norm_first).eval()


def _lm() -> TransformerLM:
    torch.manual_seed(0)
    return TransformerLM(vocab_size=30, d_model=16, n_heads=4, n_layers=2, max_len=16).eval()


IDS = torch.tensor([[1, 5, 7, 2, 9, 4], [3, 3, 8, 1, 0, 6]])


def _drop_head(h: int):
    """A z hook that zeroes head ``h``."""
    def hook(z, name):
        z = z.clone()
        z[:, h] = 0.0
        return z
    return hook


@pytest.mark.parametrize("norm_first", [True, False])
def test_the_residual_stream_in_the_cache_is_the_blocks_arithmetic(norm_first):
    m = _encoder(norm_first)
    out, cache = m.run_with_cache(IDS)
    torch.testing.assert_close(cache["blocks.0.resid_pre"], m.embed(IDS))
    for i, block in enumerate(m.layers):
        pre, mid, post = (cache[f"blocks.{i}.{p}"] for p in ("resid_pre", "resid_mid", "resid_post"))
        attn_out = cache[f"blocks.{i}.attn.out"]
        if norm_first:
            torch.testing.assert_close(mid, pre + attn_out)
            torch.testing.assert_close(post, mid + block.ff(block.norm2(mid)))
        else:
            torch.testing.assert_close(mid, block.norm1(pre + attn_out))
            torch.testing.assert_close(post, block.norm2(mid + block.ff(mid)))
    torch.testing.assert_close(cache["blocks.1.resid_pre"], cache["blocks.0.resid_post"])
    final = m.norm(cache["blocks.1.resid_post"]) if m.norm is not None else cache["blocks.1.resid_post"]
    torch.testing.assert_close(out.hidden, final)
    weights = m(IDS, need_weights=True).attentions
    torch.testing.assert_close(cache["blocks.1.attn.pattern"], weights[1])


def test_an_empty_context_is_bitwise_free_for_forward_and_generation():
    m = _lm()
    base, gen = m(IDS).logits, m.generate(IDS[:, :3], 5)
    with m.hooks({}):
        assert torch.equal(m(IDS).logits, base)
        assert torch.equal(m.generate(IDS[:, :3], 5), gen)
    with m.hooks({"blocks.0.resid_mid": lambda t, n: t, "blocks.1.attn.z": lambda t, n: None}):
        assert torch.equal(m(IDS).logits, base)


def test_zeroing_a_heads_z_equals_head_mask():
    m = _encoder()
    mask = torch.ones(2, 4)
    mask[1, 2] = 0.0
    with m.hooks({"blocks.1.attn.z": _drop_head(2)}):
        hooked = m(IDS).hidden
    torch.testing.assert_close(hooked, m(IDS, head_mask=mask).hidden, rtol=0, atol=0)


def test_patching_every_head_with_its_clean_z_recovers_the_clean_logits_exactly():
    m = _lm()
    clean, corrupt = IDS[:1], IDS[1:]
    clean_out, cache = m.run_with_cache(clean, names=lambda n: n.endswith("attn.z") or n == "blocks.0.resid_pre")
    heads = {name: (lambda t, n: cache[n]) for name in cache if name.endswith("attn.z")}
    with m.hooks(heads):
        assert torch.equal(m(clean).logits, clean_out.logits)
        # the heads alone do not carry the token embeddings to the logits: the corrupted run still differs
        assert not torch.allclose(m(corrupt).logits, clean_out.logits)
    with m.hooks({"blocks.0.resid_pre": lambda t, n: cache[n]}):
        assert torch.equal(m(corrupt).logits, clean_out.logits)


def test_a_replacement_in_the_residual_stream_changes_the_logits():
    m = _lm()
    with m.hooks({"blocks.0.resid_post": lambda t, n: torch.zeros_like(t)}):
        changed = m(IDS).logits
    assert not torch.allclose(changed, m(IDS).logits)


def test_the_lm_with_a_kv_cache_caches_the_new_tokens_only():
    m = _lm()
    _, full = m.run_with_cache(IDS, names=["blocks.1.attn.q", "blocks.1.attn.z", "blocks.1.attn.pattern"])
    caches = m.make_caches(2)
    m(IDS[:, :4], caches=caches)
    out, step = m.run_with_cache(IDS[:, 4:], caches=caches,
                                 names=["blocks.1.attn.q", "blocks.1.attn.z", "blocks.1.attn.pattern"])
    assert step["blocks.1.attn.pattern"].shape == (2, 4, 2, 6)
    for name in step:
        torch.testing.assert_close(step[name], full[name][:, :, 4:], msg=name)
    torch.testing.assert_close(out.logits, m(IDS).logits[:, 4:])


def test_unknown_names_list_the_models_points():
    m = _lm()
    with pytest.raises(ValueError, match=r"unknown hook point 'blocks\.2\.attn\.q'.*blocks\.\{i\}\.attn\.q\|k\|v\|"
                                         r"scores\|pattern\|z\|out \(i in 0\.\.1\)"):
        m.run_with_cache(IDS, names=["blocks.2.attn.q"])
    with pytest.raises(ValueError, match="did you mean 'blocks.0.attn.pattern'"), \
            m.hooks({"blocks.0.attn.patterns": lambda t, n: None}):
        pass


def test_the_classifier_and_the_encoder_decoder_name_their_points():
    torch.manual_seed(0)
    clf = SequenceClassifier(vocab_size=30, d_model=16, n_heads=4, n_layers=2, max_len=16, n_classes=3).eval()
    assert clf.hook_names() == clf.encoder.hook_names()
    out, cache = clf.run_with_cache(IDS, names=["blocks.1.resid_post"])
    assert cache["blocks.1.resid_post"].shape == (2, 6, 16)
    ed = EncoderDecoder(src_vocab_size=30, tgt_vocab_size=30, d_model=16, n_heads=4, n_layers=1,
                        max_len=16).eval()
    names = ed.hook_names()
    assert {"encoder.blocks.0.attn.q", "decoder.blocks.0.cross_attn.pattern",
            "decoder.blocks.0.resid_cross"} <= set(names)
    _, cache = ed.run_with_cache(IDS, IDS[:, :4], names=["decoder.blocks.0.cross_attn.pattern",
                                                          "encoder.blocks.0.resid_post"])
    assert cache["decoder.blocks.0.cross_attn.pattern"].shape == (2, 4, 4, 6)
    torch.testing.assert_close(ed.encoder.norm(cache["encoder.blocks.0.resid_post"]), ed.encode(IDS))


@pytest.mark.real_model
def test_minilm_loaded_via_pretrained_has_the_same_hook_points():
    from attnlab.pretrained import load

    model = load("all-MiniLM-L6-v2")
    tokens, weights = model.attentions("The cat sat on the mat.")
    batch = model.encode("The cat sat on the mat.")
    out, cache = model.run_with_cache(batch.input_ids, names=lambda n: n.endswith(".attn.pattern") or n.endswith(".z"))
    assert len([n for n in cache if n.endswith("pattern")]) == model.n_layers
    torch.testing.assert_close(cache["blocks.3.attn.pattern"][0], weights[3])
    mask = torch.ones(model.n_layers, model.n_heads)
    mask[0, 5] = 0.0
    with model.hooks({"blocks.0.attn.z": _drop_head(5)}):
        hooked = model(batch.input_ids).hidden
    torch.testing.assert_close(hooked, model(batch.input_ids, head_mask=mask).hidden)
