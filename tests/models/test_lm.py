"""TransformerLM: causal, cached positions, post-LN and untied heads."""

from __future__ import annotations

import torch
from model_cases import one_thread  # noqa: F401 (autouse)

from attnlab.models import TransformerLM


def test_lm_is_causal_and_cache_positions():
    torch.manual_seed(0)
    lm = TransformerLM(vocab_size=13, d_model=16, n_heads=2, n_layers=2, max_len=32).eval()
    x = torch.randint(0, 13, (2, 10))
    full = lm(x).logits
    y = x.clone()
    y[:, 6:] = (y[:, 6:] + 3) % 13
    torch.testing.assert_close(lm(y).logits[:, :6], full[:, :6])  # future tokens do not leak
    caches = lm.make_caches(2)
    parts = [lm(x[:, :4], caches=caches).logits, lm(x[:, 4:5], caches=caches).logits,
             lm(x[:, 5:], caches=caches).logits]
    torch.testing.assert_close(torch.cat(parts, 1), full, atol=1e-5, rtol=0)
    out = lm(x, need_weights=True)
    assert out.logits.shape == (2, 10, 13) and out.attentions[1].shape == (2, 2, 10, 10)


def test_post_ln_and_sinusoidal_lm_run():
    lm = TransformerLM(vocab_size=13, d_model=16, n_heads=2, n_layers=2, max_len=32, norm_first=False,
                       positions="sinusoidal", tie_embeddings=False)
    assert lm.norm is None and lm.lm_head.weight is not lm.embed.tok.weight
    assert lm(torch.randint(0, 13, (1, 5))).logits.shape == (1, 5, 13)
