"""Attention kernels: the additive score's chunked kernel against the materialized form (time and peak
memory), the sliding window against full causal attention, and attention's FLOP rate against a matmul.

Shape legend: B batch, H heads, T sequence length, D head dim, W window.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from attnlab.bench.cases.common import backward_step, random_qkv
from attnlab.bench.memory import GIB, MIB, measure_memory
from attnlab.bench.spec import Case, CaseContext, CaseResult, MemoryCase, Target, Timed, TimedCase, Workload

__all__ = ["ADDITIVE", "MATMUL", "WINDOW", "WORKLOADS"]


def _bhtd(s: dict) -> str:
    return f"B={s['B']} H={s['H']} T={s['T']} D={s['D']}"


# ----------------------------------------------------------------------------------------------------
# the additive score: chunked online-softmax kernel vs the materialized (B, H, Tq, Tk, hidden) form


def _additive_shapes(ctx: CaseContext, long: bool = False) -> dict:
    if long:
        return ctx.pick(dict(B=1, H=8, T=8192, D=64), dict(B=1, H=2, T=512, D=16))
    return ctx.pick(dict(B=1, H=8, T=1024, D=64), dict(B=1, H=2, T=128, D=16))


def _additive_inputs(ctx: CaseContext, s: dict):
    from attnlab.attention import make_score

    torch.manual_seed(0)
    score = make_score("additive", head_dim=s["D"], n_heads=s["H"]).to(ctx.device)
    return (score, *random_qkv(s, ctx.device))  # q, k, v each (B, H, T, D)


def _additive_step(score, q, k, v, impl: str) -> Callable[[], None]:
    from attnlab.attention import attention

    return backward_step(lambda: attention(q, k, v, score=score, impl=impl), score, q, k, v)


def _additive_hidden(score, default: int) -> int:
    """Width of the additive score's tanh layer (the last dim of the materialized (B,H,Tq,Tk,·) tensor)."""
    for attr in ("hidden_dim", "attn_dim", "d_attn", "hidden"):
        val = getattr(score, attr, None)
        if isinstance(val, int):
            return val
    w = getattr(score, "v", None)
    if isinstance(w, torch.Tensor):
        return int(w.shape[-1])
    return default


def _additive_time(ctx: CaseContext) -> Timed:
    s = _additive_shapes(ctx)
    score, q, k, v = _additive_inputs(ctx, s)
    return Timed(
        attnlab=_additive_step(score, q, k, v, "chunked"),
        peer=_additive_step(score, q, k, v, "reference"),
        title=f"additive fwd+bwd time {_bhtd(s)}",
        modules=(score,),
        details={"shapes": s},
    )


def _additive_workload(name: str, impl: str, long: bool = False) -> Workload:
    def setup(ctx: CaseContext):
        s = _additive_shapes(ctx, long=long)
        step = _additive_step(*_additive_inputs(ctx, s), impl)

        def op():
            step()
            return {"shapes": s}

        return op

    return Workload(name, setup)


ADDITIVE_CHUNKED = _additive_workload("additive_chunked", "chunked")
ADDITIVE_REFERENCE = _additive_workload("additive_reference", "reference")
ADDITIVE_CHUNKED_LONG = _additive_workload("additive_chunked_long", "chunked", long=True)


def _alloc_256mib(ctx: CaseContext):
    """Calibration workload: allocates and touches 256 MiB (used by the tests)."""

    def op():
        x = torch.ones(256 * MIB // 4, device=ctx.device)
        return {"checksum": float(x[:8].sum().item())}

    return op


def _additive_long(ctx: CaseContext) -> CaseResult:
    """The chunked kernel at long T, against the materialized form's size (computed, and extrapolated from
    the materialized peak that ``scores.additive.memory`` measured at short T, when it ran before)."""
    from attnlab.attention import make_score

    s = _additive_shapes(ctx, long=True)
    ours = measure_memory(ADDITIVE_CHUNKED_LONG.name, device=ctx.device, quick=ctx.quick)
    hidden = _additive_hidden(make_score("additive", head_dim=s["D"], n_heads=s["H"]), s["D"])
    # The materialized form holds at least one fp32 (B, H, Tq, Tk, hidden) tensor (tanh's input/output).
    one_tensor = s["B"] * s["H"] * s["T"] * s["T"] * hidden * 4
    details = {"shapes": s, "attnlab": ours.to_dict(), "materialized_one_tensor_gib": one_tensor / GIB,
               "additive_hidden": hidden}
    peer_gib = one_tensor / GIB
    notes = f"materialized: one (B,H,T,T,{hidden}) fp32 tensor = {peer_gib:,.0f} GiB (computed, not run)"
    mem_ref = ctx.store.get(f"memory.{ADDITIVE_REFERENCE.name}")
    if mem_ref is not None:
        s_ref = _additive_shapes(ctx)
        scale = (s["B"] * s["H"] * s["T"] ** 2) / (s_ref["B"] * s_ref["H"] * s_ref["T"] ** 2)
        extrapolated = mem_ref.peak_bytes * scale / GIB
        details["materialized_extrapolated_gib"] = extrapolated
        details["extrapolated_from"] = {"shapes": s_ref, "peak_bytes": mem_ref.peak_bytes}
        peer_gib = max(peer_gib, extrapolated)
        notes += f"; measured T={s_ref['T']} materialized peak scaled by T² = {extrapolated:,.0f} GiB"
    return CaseResult(
        name="scores.additive.long",
        title=f"additive fwd+bwd peak memory {_bhtd(s)} (chunked)",
        peer_name="materialized form, computed",
        unit="GiB",
        attnlab=ours.peak_gib,
        peer=peer_gib,
        ratio=ours.peak_gib / peer_gib,
        notes=notes + f"; chunked run took {ours.seconds:.1f} s",
        details=details,
    )


_MATERIALIZED = 'additive materialized (impl="reference")'

ADDITIVE = [
    TimedCase("scores.additive.time", "additive score fwd+bwd: chunked kernel vs materialized", _MATERIALIZED,
              _additive_time, target=Target("<=", 1.0), grad=True, warmup=1, repeats=(3, 3)),
    MemoryCase("scores.additive.memory", "additive score fwd+bwd peak memory: chunked vs materialized",
               _MATERIALIZED, ADDITIVE_CHUNKED, ADDITIVE_REFERENCE, target=Target("<=", 0.25),
               describe=lambda ctx: {"title": f"additive fwd+bwd peak memory {_bhtd(_additive_shapes(ctx))}",
                                     "details": {"shapes": _additive_shapes(ctx)}}),
    Case("scores.additive.long", "additive score fwd+bwd at long T: peak memory", _additive_long,
         Target("<=", 2.0, subject="attnlab", unit="GiB")),
]


# ----------------------------------------------------------------------------------------------------
# the sliding window: time against full causal attention, memory at 2T against T


def _window_shapes(ctx: CaseContext, double: bool = False) -> dict:
    s = ctx.pick(dict(B=1, H=8, T=8192, D=64, W=256), dict(B=1, H=2, T=512, D=16, W=32))
    return {**s, "T": 2 * s["T"]} if double else s


def _window_step(ctx: CaseContext, s: dict, window: int | None) -> Callable[[], None]:
    """One causal fwd+bwd of ``attnlab.attention`` with the given window (None: full causal attention)."""
    from attnlab.attention import attention

    torch.manual_seed(0)
    q, k, v = random_qkv(s, ctx.device)  # each (B, H, T, D)
    return backward_step(lambda: attention(q, k, v, is_causal=True, window=window), q, k, v)


def _window_time(ctx: CaseContext) -> Timed:
    s = _window_shapes(ctx)
    return Timed(
        attnlab=_window_step(ctx, s, s["W"]),
        peer=_window_step(ctx, s, None),
        title=f"attention() causal fwd+bwd window={s['W']} {_bhtd(s)}",
        details={"shapes": s},
    )


def _window_workload(name: str, double: bool) -> Workload:
    def setup(ctx: CaseContext):
        s = _window_shapes(ctx, double)
        step = _window_step(ctx, s, s["W"])

        def op():
            step()
            return {"shapes": s}

        return op

    return Workload(name, setup)


WINDOW_T = _window_workload("window_T", False)
WINDOW_2T = _window_workload("window_2T", True)


def _window_memory_row(ctx: CaseContext) -> dict:
    s, s2 = _window_shapes(ctx), _window_shapes(ctx, double=True)
    return {"title": f"window={s['W']} causal fwd+bwd peak memory at T={s2['T']} vs T={s['T']} (B={s['B']} "
                     f"H={s['H']} D={s['D']})",
            "peer_name": f"the same at T={s['T']}",
            "details": {"shapes": s, "shapes_2t": s2}}


WINDOW = [
    TimedCase("window.time", "sliding-window attention fwd+bwd vs full causal attention",
              "attnlab full causal attention (fused SDPA, is_causal)", _window_time, target=Target("<=", 0.2),
              grad=True, warmup=1, repeats=(3, 3)),
    MemoryCase("window.memory", "sliding-window fwd+bwd peak memory at 2T vs at T (linear in T: 2; quadratic: 4)",
               "the same at T", WINDOW_2T, WINDOW_T, describe=_window_memory_row, target=Target("<=", 2.2)),
]


# ----------------------------------------------------------------------------------------------------
# attention throughput against the machine's matmul rate


def _matmul_fraction(ctx: CaseContext) -> Timed:
    from attnlab.attention import attention

    B, H, T, D = ctx.pick((2, 8, 2048, 64), (1, 2, 256, 32))
    N = ctx.pick(2048, 256)
    torch.manual_seed(0)
    q, k, v = random_qkv(dict(B=B, H=H, T=T, D=D), ctx.device, requires_grad=False)  # each (B, H, T, D)
    a, b = torch.randn(N, N, device=ctx.device), torch.randn(N, N, device=ctx.device)
    attn_flops = 4 * B * H * T * T * D  # QK^T and PV, 2 FLOPs per multiply-add, no causal mask
    mm_flops = 2 * N**3

    def after(timings) -> dict:
        sdpa_rate = attn_flops / timings["sdpa"].median / 1e9
        mm_rate = mm_flops / timings["peer"].median / 1e9
        return {"notes": f"torch SDPA itself: {sdpa_rate / mm_rate:.2f} of matmul",
                "details": {"sdpa_gflops": sdpa_rate}}

    return Timed(
        attnlab=lambda: attention(q, k, v),
        peer=lambda: a @ b,
        others={"sdpa": lambda: F.scaled_dot_product_attention(q, k, v)},
        title=f"attention() fwd B={B} H={H} T={T} D={D} vs {N}x{N} matmul",
        details={"shapes": dict(B=B, H=H, T=T, D=D, N=N), "attn_flops": attn_flops, "mm_flops": mm_flops},
        work=(attn_flops / 1e9, mm_flops / 1e9),
        after=after,
    )


MATMUL = TimedCase("attention.matmul_fraction", "attention FLOP rate as a fraction of fp32 matmul",
                   "torch fp32 matmul (same run)", _matmul_fraction, target=Target(">=", 0.8, aim=True),
                   unit="GFLOP/s")

WORKLOADS = [ADDITIVE_CHUNKED, ADDITIVE_REFERENCE, ADDITIVE_CHUNKED_LONG, Workload("alloc_256mib", _alloc_256mib),
             WINDOW_T, WINDOW_2T]
