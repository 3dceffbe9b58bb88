"""``MultiHeadAttention.from_torch``: the same outputs, per-head weights and gradients as
``torch.nn.MultiheadAttention``."""

from __future__ import annotations

import pytest
import torch
from attention_cases import B, C, H, module_input, one_thread  # noqa: F401 (one_thread: autouse)
from torch import nn

from attnlab import MultiHeadAttention


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kv_dims", [(None, None), (12, 10)])
@pytest.mark.parametrize("mask", ["none", "padding", "bool", "float", "causal", "padding+bool"])
def test_from_torch_matches_outputs_and_per_head_weights(bias, kv_dims, mask):
    torch.manual_seed(0)
    kdim, vdim = kv_dims
    ref = nn.MultiheadAttention(C, H, bias=bias, batch_first=True, kdim=kdim, vdim=vdim).eval()
    ours = MultiHeadAttention.from_torch(ref).eval()
    tq, tk = 5, 6
    query = module_input(t=tq)
    key = module_input(t=tk, c=kdim or C, seed=1)
    value = module_input(t=tk, c=vdim or C, seed=2)
    pad = torch.zeros(B, tk, dtype=torch.bool)  # torch polarity: True = ignore
    pad[1, 4:] = True
    blocked = torch.rand(tq, tk, generator=torch.Generator().manual_seed(5)) > 0.7  # torch: True = blocked
    blocked[:, 0] = False
    float_mask = torch.randn(tq, tk, generator=torch.Generator().manual_seed(6))
    torch_kw, our_kw = {}, {}
    if "padding" in mask:
        torch_kw["key_padding_mask"], our_kw["key_mask"] = pad, ~pad
    if "bool" in mask:
        torch_kw["attn_mask"], our_kw["attn_mask"] = blocked, ~blocked
    if mask == "float":
        torch_kw["attn_mask"] = our_kw["attn_mask"] = float_mask
    if mask == "causal":
        if (kdim, vdim) != (None, None):
            pytest.skip("causal needs Tq == Tk in torch")
        key = value = query
        tk = tq
        torch_kw["attn_mask"] = nn.Transformer.generate_square_subsequent_mask(tq)
        torch_kw["is_causal"] = True
        our_kw["is_causal"] = True
    expected, expected_w = ref(query, key, value, need_weights=True, average_attn_weights=False, **torch_kw)
    out, w = ours(query, key, value, need_weights=True, **our_kw)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=0)
    torch.testing.assert_close(w, expected_w, atol=1e-5, rtol=0)
    fast, none = ours(query, key, value, **our_kw)  # the fused path gives the same output
    assert none is None
    torch.testing.assert_close(fast, expected, atol=1e-5, rtol=0)


def test_from_torch_matches_in_training_mode_gradients():
    torch.manual_seed(0)
    ref = nn.MultiheadAttention(C, H, batch_first=True)
    ours = MultiHeadAttention.from_torch(ref)
    x = module_input().requires_grad_(True)
    ref(x, x, x)[0].square().sum().backward()
    g_ref = x.grad.clone()
    x.grad = None
    ours(x)[0].square().sum().backward()
    torch.testing.assert_close(x.grad, g_ref, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(ours.q_proj.weight.grad, ref.in_proj_weight.grad[:C], atol=1e-5, rtol=1e-5)
