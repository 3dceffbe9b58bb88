"""The delta rule and its gated variant: the recurrent reference against the update written with
matrices, and the chunked form against the recurrent one (forward, gradients, gradcheck in float64)."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from attnlab.attention.delta_rule import delta_rule_chunked, delta_rule_recurrent


def _inputs(seed=0, b=2, h=2, t=11, dk=4, dv=3, gated=True, requires_grad=False):
    g = torch.Generator().manual_seed(seed)

    def draw(*shape):
        return torch.randn(*shape, generator=g, dtype=torch.float64)

    q, k, v = draw(b, h, t, dk), F.normalize(draw(b, h, t, dk), dim=-1), draw(b, h, t, dv)
    beta = torch.sigmoid(draw(b, h, t))
    log_decay = -F.softplus(draw(b, h, t)) if gated else None
    state = draw(b, h, dk, dv)
    xs = [q, k, v, beta, log_decay, state]
    if requires_grad:
        for x in xs:
            if x is not None:
                x.requires_grad_(True)
    return xs


@pytest.mark.parametrize("gated", [False, True])
def test_recurrent_reference_is_the_update_written_with_matrices(gated):
    q, k, v, beta, log_decay, state = _inputs(gated=gated)
    out, s_last = delta_rule_recurrent(q, k, v, beta, log_decay, state)
    eye = torch.eye(4, dtype=torch.float64)
    for b in range(2):
        for h in range(2):
            s = state[b, h]
            for t in range(11):
                kt = k[b, h, t][:, None]  # (Dk, 1)
                alpha = log_decay[b, h, t].exp() if gated else 1.0
                s = alpha * (eye - beta[b, h, t] * kt @ kt.T) @ s + beta[b, h, t] * kt @ v[b, h, t][None, :]
                torch.testing.assert_close(out[b, h, t], s.T @ q[b, h, t])
            torch.testing.assert_close(s_last[b, h], s)


@pytest.mark.parametrize("gated", [False, True])
@pytest.mark.parametrize("chunk_size", [1, 4, 16])
def test_chunked_equals_recurrent_forward_and_gradients(gated, chunk_size):
    xs = _inputs(gated=gated, requires_grad=True)
    out_r, s_r = delta_rule_recurrent(*xs)
    out_c, s_c = delta_rule_chunked(*xs, chunk_size=chunk_size)  # 11 tokens: a partial last chunk
    torch.testing.assert_close(out_c, out_r)
    torch.testing.assert_close(s_c, s_r)
    leaves = [x for x in xs if x is not None]
    w_out, w_s = torch.randn_like(out_r), torch.randn_like(s_r)
    grads_r = torch.autograd.grad((out_r * w_out).sum() + (s_r * w_s).sum(), leaves)
    grads_c = torch.autograd.grad((out_c * w_out).sum() + (s_c * w_s).sum(), leaves)
    for gr, gc in zip(grads_r, grads_c, strict=True):
        torch.testing.assert_close(gc, gr)


@pytest.mark.parametrize("gated", [False, True])
def test_chunked_passes_gradcheck(gated):
    xs = _inputs(b=1, h=1, t=5, dk=3, dv=2, gated=gated, requires_grad=True)

    def f(*args):
        return delta_rule_chunked(*args, chunk_size=2)

    assert torch.autograd.gradcheck(f, tuple(xs), eps=1e-6, atol=1e-6, fast_mode=True)


def test_chunked_continues_from_a_state():
    q, k, v, beta, log_decay, _ = _inputs()
    out, _ = delta_rule_chunked(q, k, v, beta, log_decay, chunk_size=4)
    first, s = delta_rule_chunked(q[:, :, :6], k[:, :, :6], v[:, :, :6], beta[:, :, :6], log_decay[:, :, :6])
    second, _ = delta_rule_chunked(q[:, :, 6:], k[:, :, 6:], v[:, :, 6:], beta[:, :, 6:], log_decay[:, :, 6:], s)
    torch.testing.assert_close(torch.cat((first, second), dim=2), out)


def test_bad_chunk_size_is_refused():
    q, k, v, beta, _, _ = _inputs()
    with pytest.raises(ValueError, match="^chunk_size:"):
        delta_rule_chunked(q, k, v, beta, chunk_size=0)
