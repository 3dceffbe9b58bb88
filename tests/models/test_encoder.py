"""TransformerEncoder: outputs, masks, head masks, given embeddings."""

from __future__ import annotations

import pytest
import torch
from model_cases import one_thread  # noqa: F401 (autouse)

from attnlab.models import EncoderOutput, TransformerEncoder


def test_encoder_outputs_masks_and_head_mask():
    torch.manual_seed(0)
    enc = TransformerEncoder(vocab_size=12, d_model=16, n_heads=2, n_layers=2, max_len=16, n_outputs=5).eval()
    x = torch.randint(0, 12, (2, 6))
    mask = torch.tensor([[True] * 6, [True] * 4 + [False] * 2])
    out = enc(x, key_mask=mask, need_weights=True)
    assert isinstance(out, EncoderOutput)
    assert out.hidden.shape == (2, 6, 16) and out.logits.shape == (2, 6, 5) and len(out.attentions) == 2
    assert out.attentions[0][1, :, :, 4:].abs().max().item() == 0.0  # padding gets no weight
    # changing padded tokens does not change real positions
    x2 = x.clone()
    x2[1, 4:] = (x2[1, 4:] + 1) % 12
    out2 = enc(x2, key_mask=mask)
    torch.testing.assert_close(out2.hidden[1, :4], out.hidden[1, :4])
    # a (n_layers, H) head mask reaches the layers; a wrong shape is rejected
    hm = torch.ones(2, 2)
    hm[0] = 0.0
    masked = enc(x, head_mask=hm).hidden
    assert not torch.allclose(masked, enc(x).hidden)
    with pytest.raises(ValueError, match="head_mask"):
        enc(x, head_mask=torch.ones(3, 2))
    with pytest.raises(ValueError, match="key_mask"):
        enc(x, key_mask=mask[:, :5])
    with pytest.raises(TypeError, match="key_mask"):
        enc(x, key_mask=mask.float())
    emb = torch.randn(2, 6, 16)
    assert enc(inputs_embeds=emb).hidden.shape == (2, 6, 16)
    with pytest.raises(ValueError, match="input_ids"):
        enc(x, inputs_embeds=emb)
