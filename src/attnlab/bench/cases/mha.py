"""Multi-head attention: attnlab's module against ``torch.nn.MultiheadAttention``, and each score or
position switch against the same module without it (forward+backward).

Shape legend: B batch, T sequence length, C model dim, H heads.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from attnlab.bench.cases.common import backward_step
from attnlab.bench.spec import CaseContext, Target, Timed, TimedCase

__all__ = ["MHA", "POSITIONS", "SCORES"]


def _shapes(ctx: CaseContext) -> dict:
    return ctx.pick(dict(B=8, T=512, C=512, H=8), dict(B=2, T=64, C=64, H=4))


def _shape_text(s: dict) -> str:
    return f"B={s['B']} T={s['T']} C={s['C']} H={s['H']}"


def _vs_torch(ctx: CaseContext):
    """torch's module, attnlab's built from it (same weights), and an input x (B, T, C)."""
    from attnlab.attention import MultiHeadAttention

    s = _shapes(ctx)
    torch.manual_seed(0)
    peer = nn.MultiheadAttention(s["C"], s["H"], batch_first=True, dropout=0.0).to(ctx.device)
    ours = MultiHeadAttention.from_torch(peer).to(ctx.device)
    x = torch.randn(s["B"], s["T"], s["C"], device=ctx.device)  # (B, T, C)
    return s, ours, peer, x


def _fwd_bwd(ctx: CaseContext) -> Timed:
    s, ours, peer, x0 = _vs_torch(ctx)
    x = x0.clone().requires_grad_()
    return Timed(
        attnlab=backward_step(lambda: ours(x)[0], ours, x),
        peer=backward_step(lambda: peer(x, x, x, need_weights=False)[0], peer, x),
        title=f"MHA fwd+bwd {_shape_text(s)}",
        modules=(ours, peer),
        details={"shapes": s, "aim": "<= 0.9"},
    )


def _inference(ctx: CaseContext) -> Timed:
    s, ours, peer, x = _vs_torch(ctx)
    fast = getattr(torch.backends, "mha", None)

    def check() -> dict:
        return {"max_abs_diff": (ours(x)[0] - peer(x, x, x, need_weights=False)[0]).abs().max().item()}

    return Timed(
        attnlab=lambda: ours(x),
        peer=lambda: peer(x, x, x, need_weights=False),  # self-attention, eval, no grad: torch's fast path
        title=f"MHA inference {_shape_text(s)}",
        modules=(ours, peer),
        details={"shapes": s,
                 "torch_fastpath_enabled": bool(fast.get_fastpath_enabled()) if fast is not None else None},
        check=check,
    )


def _need_weights(ctx: CaseContext) -> Timed:
    s, ours, peer, x = _vs_torch(ctx)

    def check() -> dict:
        wa = ours(x, need_weights=True)[1]
        wp = peer(x, x, x, need_weights=True, average_attn_weights=False)[1]
        return {"weights_max_abs_diff": (wa - wp).abs().max().item()}

    return Timed(
        attnlab=lambda: ours(x, need_weights=True),
        peer=lambda: peer(x, x, x, need_weights=True, average_attn_weights=False),
        title=f"MHA need_weights (B,H,T,T) {_shape_text(s)}",
        modules=(ours, peer),
        details={"shapes": s},
        check=check,
    )


def _switch_vs(label: str, switches: dict, peer_switches: dict, is_causal: bool = False) -> Callable:
    """Builder: MultiHeadAttention fwd+bwd with ``switches`` vs the same module with ``peer_switches``."""

    def build(ctx: CaseContext) -> Timed:
        from attnlab.attention import MultiHeadAttention

        s = _shapes(ctx)
        torch.manual_seed(0)
        ours = MultiHeadAttention(s["C"], s["H"], **switches).to(ctx.device)
        base = MultiHeadAttention(s["C"], s["H"], **peer_switches).to(ctx.device)
        x = torch.randn(s["B"], s["T"], s["C"], device=ctx.device).requires_grad_()  # (B, T, C)
        causal = " causal" if is_causal else ""
        return Timed(
            attnlab=backward_step(lambda: ours(x, is_causal=is_causal)[0], ours, x),
            peer=backward_step(lambda: base(x, is_causal=is_causal)[0], base, x),
            title=f"{label} MHA{causal} fwd+bwd {_shape_text(s)}",
            modules=(ours, base),
            details={"shapes": s},
        )

    return build


def _score(score: str, title: str, target: float) -> TimedCase:
    return TimedCase(f"scores.{score}", title, "attnlab score=scaled_dot (fused SDPA)",
                     _switch_vs(f"score={score}", dict(score=score), dict(score="scaled_dot")),
                     target=Target("<=", target), grad=True)


def _positions(positions: str, title: str, target: float | None, notes: str = "") -> TimedCase:
    return TimedCase(f"positions.{positions}", title, "the same MultiHeadAttention without positions",
                     _switch_vs(f"positions={positions}", dict(positions=positions), {}, is_causal=True),
                     target=None if target is None else Target("<=", target), grad=True, notes=notes)


MHA = [
    TimedCase("mha.fwd_bwd", "MultiHeadAttention forward+backward",
              "torch.nn.MultiheadAttention (need_weights=False)", _fwd_bwd, target=Target("<=", 1.0), grad=True),
    TimedCase("mha.inference", "MultiHeadAttention inference (eval, no_grad)",
              "torch.nn.MultiheadAttention fast path", _inference, target=Target("<=", 1.0)),
    TimedCase("mha.need_weights", "MultiHeadAttention with per-head weights (forward, no_grad)",
              "nn.MultiheadAttention(need_weights=True, average_attn_weights=False)", _need_weights,
              target=Target("<=", 1.0)),
]

SCORES = [
    _score("general", "general (bilinear) score vs scaled_dot", 1.15),
    _score("cosine", "cosine score vs scaled_dot", 1.15),
]

POSITIONS = [
    _positions("rope", "RoPE vs no positions, MHA fwd+bwd", 1.15),
    _positions("alibi", "ALiBi vs no positions, MHA fwd+bwd", 1.3),
    _positions("t5", "T5 relative bias vs no positions, MHA fwd+bwd", 1.3,
               notes="the learned bias needs its gradient, which SDPA's fused kernels do not give: the logits are "
                     "materialised in blocks of 128 queries against the keys each can see (10/16 of (B, H, T, T) at "
                     "T = 512), against the fused causal kernel without positions"),
]
