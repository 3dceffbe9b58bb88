"""Every benchmark case of ``attnlab bench``, in one place.

A case measures attnlab against a peer in the same run and returns a :class:`CaseResult` whose ``ratio``
is always ``attnlab / peer`` in the case's unit (time: lower is better; tokens/s, FLOP/s: higher is
better). Its :class:`Target` says which side of the threshold passes. Memory cases run their workloads in
fresh processes (:data:`MEMORY_WORKLOADS`, :func:`attnlab.bench.harness.measure_memory`).

Shape legend: B batch, H heads, T sequence length, D head dim, C model dim.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from attnlab.bench.harness import GIB, MIB, measure_memory
from attnlab.timing import compare, time_call

# ----------------------------------------------------------------------------------------------------
# result and target types


@dataclass(frozen=True)
class Target:
    """Pass condition of a case: ``subject op value``."""

    op: str  # "<=", ">=" or "=="
    value: float  # threshold
    subject: str = "ratio"  # "ratio" (attnlab / peer) or "attnlab" (the attnlab value itself)
    unit: str = ""  # unit of the threshold when subject is "attnlab"
    aim: bool = False  # an aim to report rather than a hard target

    def __post_init__(self) -> None:
        if self.op not in ("<=", ">=", "=="):
            raise ValueError(f"op: expected '<=', '>=' or '==', got {self.op!r}")
        if self.subject not in ("ratio", "attnlab"):
            raise ValueError(f"subject: expected 'ratio' or 'attnlab', got {self.subject!r}")

    def check(self, result: CaseResult) -> bool | None:
        x = result.ratio if self.subject == "ratio" else result.attnlab
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return None
        if self.op == "<=":
            return x <= self.value
        if self.op == ">=":
            return x >= self.value
        return x == self.value

    def describe(self) -> str:
        sym = {"<=": "≤", ">=": "≥", "==": "="}[self.op]
        what = "" if self.subject == "ratio" else "attnlab "
        unit = f" {self.unit}" if self.unit else ""
        text = f"{what}{sym} {self.value:g}{unit}"
        return f"{text} (aim)" if self.aim else text


@dataclass
class CaseResult:
    """One row of the benchmark table."""

    name: str  # case id, e.g. "mha.fwd_bwd"
    title: str  # what is measured, with shapes
    peer_name: str  # what attnlab is compared against
    unit: str  # unit of `attnlab` and `peer`
    attnlab: float | None = None  # attnlab's value in `unit`
    peer: float | None = None  # the peer's value in `unit`
    ratio: float | None = None  # attnlab / peer
    target: str | None = None  # the target, human-readable
    met: bool | None = None  # None: not evaluated (quick run, failure, or no target)
    notes: str = ""  # one line for the docs
    details: dict = field(default_factory=dict)  # raw timings, shapes, checks
    seconds: float = 0.0  # wall time the case took
    error: str | None = None  # set when the case failed

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class CaseContext:
    """What a case needs to know about the run."""

    quick: bool = False  # tiny shapes, a smoke run
    device: str = "cpu"  # "cpu" or "cuda"
    results: dict[str, CaseResult] = field(default_factory=dict)  # earlier results of this run
    store: dict = field(default_factory=dict)  # objects shared between cases (built models)

    def pick(self, full, quick):
        """``quick`` in a quick run, else ``full``."""
        return quick if self.quick else full

    @property
    def warmup(self) -> int:
        return 1 if self.quick else 2

    @property
    def repeats(self) -> int:
        return 3 if self.quick else 7


@dataclass(frozen=True)
class Case:
    """A registered benchmark case."""

    name: str
    title: str
    fn: Callable[[CaseContext], CaseResult]
    target: Target | None
    quick: bool  # part of the quick run


CASES: dict[str, Case] = {}
MEMORY_WORKLOADS: dict[str, Callable[[CaseContext], Callable[[], dict | None]]] = {}


def case(name: str, title: str, *, target: Target | None = None, quick: bool = True):
    """Register a benchmark case (decorator)."""

    def deco(fn: Callable[[CaseContext], CaseResult]) -> Callable[[CaseContext], CaseResult]:
        if name in CASES:
            raise ValueError(f"case {name!r} is registered twice")
        CASES[name] = Case(name=name, title=title, fn=fn, target=target, quick=quick)
        return fn

    return deco


def memory_workload(name: str):
    """Register a memory workload: ``setup(ctx) -> op``; setup allocates inputs, op runs the measured work."""

    def deco(fn):
        MEMORY_WORKLOADS[name] = fn
        return fn

    return deco


def _time_ratio(timings, a: str = "attnlab", b: str = "peer") -> tuple[float, float, float]:
    ta, tb = timings[a].median, timings[b].median
    return ta, tb, ta / tb


def _timing_details(timings) -> dict:
    return {name: t.to_dict() for name, t in timings.items()}


def _timed_ms_result(name: str, title: str, peer_name: str, timings, **details) -> CaseResult:
    """A case whose figure is the median time of attnlab vs its peer, in ms (ratio < 1: attnlab faster)."""
    ta, tp, ratio = _time_ratio(timings)
    return CaseResult(
        name=name, title=title, peer_name=peer_name, unit="ms", attnlab=ta * 1e3, peer=tp * 1e3, ratio=ratio,
        details={**details, "timings": _timing_details(timings)},
    )


def _clear_grads(*modules_or_tensors) -> None:
    for m in modules_or_tensors:
        params = m.parameters() if isinstance(m, nn.Module) else [m]
        for p in params:
            p.grad = None


# ----------------------------------------------------------------------------------------------------
# 1-2. multi-head attention vs torch.nn.MultiheadAttention


def _mha_shapes(ctx: CaseContext) -> dict:
    return ctx.pick(dict(B=8, T=512, C=512, H=8), dict(B=2, T=64, C=64, H=4))


def _mha_pair(ctx: CaseContext, s: dict):
    from attnlab.attention import MultiHeadAttention

    torch.manual_seed(0)
    peer = nn.MultiheadAttention(s["C"], s["H"], batch_first=True, dropout=0.0).to(ctx.device)
    ours = MultiHeadAttention.from_torch(peer).to(ctx.device)
    x = torch.randn(s["B"], s["T"], s["C"], device=ctx.device)  # (B, T, C)
    return ours, peer, x


@case(
    "mha.fwd_bwd",
    "MultiHeadAttention forward+backward",
    target=Target("<=", 1.0),
)
def mha_fwd_bwd(ctx: CaseContext) -> CaseResult:
    s = _mha_shapes(ctx)
    ours, peer, x0 = _mha_pair(ctx, s)
    ours.train()
    peer.train()
    x = x0.clone().requires_grad_()

    def run_ours():
        _clear_grads(ours, x)
        out, _ = ours(x)
        out.sum().backward()

    def run_peer():
        _clear_grads(peer, x)
        out, _ = peer(x, x, x, need_weights=False)
        out.sum().backward()

    timings = compare({"attnlab": run_ours, "peer": run_peer}, warmup=ctx.warmup, repeats=ctx.repeats,
                      device=ctx.device)
    return _timed_ms_result(
        "mha.fwd_bwd",
        f"MHA fwd+bwd B={s['B']} T={s['T']} C={s['C']} H={s['H']}",
        "torch.nn.MultiheadAttention (need_weights=False)",
        timings,
        shapes=s,
        aim="<= 0.9",
    )


@case(
    "mha.inference",
    "MultiHeadAttention inference (eval, no_grad)",
    target=Target("<=", 1.0),
)
def mha_inference(ctx: CaseContext) -> CaseResult:
    s = _mha_shapes(ctx)
    ours, peer, x = _mha_pair(ctx, s)
    ours.eval()
    peer.eval()

    def run_ours():
        with torch.no_grad():
            ours(x)

    def run_peer():
        with torch.no_grad():
            peer(x, x, x, need_weights=False)  # self-attention, eval, no grad: torch's fast path

    with torch.no_grad():
        diff = (ours(x)[0] - peer(x, x, x, need_weights=False)[0]).abs().max().item()
    timings = compare({"attnlab": run_ours, "peer": run_peer}, warmup=ctx.warmup, repeats=ctx.repeats,
                      device=ctx.device)
    fast = getattr(torch.backends, "mha", None)
    return _timed_ms_result(
        "mha.inference",
        f"MHA inference B={s['B']} T={s['T']} C={s['C']} H={s['H']}",
        "torch.nn.MultiheadAttention fast path",
        timings,
        shapes=s,
        max_abs_diff=diff,
        torch_fastpath_enabled=bool(fast.get_fastpath_enabled()) if fast is not None else None,
    )


@case(
    "mha.need_weights",
    "MultiHeadAttention with per-head weights (forward, no_grad)",
    target=Target("<=", 1.0),
)
def mha_need_weights(ctx: CaseContext) -> CaseResult:
    s = _mha_shapes(ctx)
    ours, peer, x = _mha_pair(ctx, s)
    ours.eval()
    peer.eval()

    def run_ours():
        with torch.no_grad():
            ours(x, need_weights=True)

    def run_peer():
        with torch.no_grad():
            peer(x, x, x, need_weights=True, average_attn_weights=False)

    with torch.no_grad():
        wa = ours(x, need_weights=True)[1]
        wp = peer(x, x, x, need_weights=True, average_attn_weights=False)[1]
        diff = (wa - wp).abs().max().item()
    timings = compare({"attnlab": run_ours, "peer": run_peer}, warmup=ctx.warmup, repeats=ctx.repeats,
                      device=ctx.device)
    return _timed_ms_result(
        "mha.need_weights",
        f"MHA need_weights (B,H,T,T) B={s['B']} T={s['T']} C={s['C']} H={s['H']}",
        "nn.MultiheadAttention(need_weights=True, average_attn_weights=False)",
        timings,
        shapes=s,
        weights_max_abs_diff=diff,
    )


# ----------------------------------------------------------------------------------------------------
# 3. score functions


def _mha_fwd_bwd_vs(ctx: CaseContext, name: str, label: str, peer_name: str, switches: dict, peer_switches: dict,
                    is_causal: bool = False) -> CaseResult:
    """MultiHeadAttention fwd+bwd with ``switches`` vs the same module with ``peer_switches``, same shapes."""
    from attnlab.attention import MultiHeadAttention

    s = _mha_shapes(ctx)
    torch.manual_seed(0)
    ours = MultiHeadAttention(s["C"], s["H"], **switches).to(ctx.device).train()
    base = MultiHeadAttention(s["C"], s["H"], **peer_switches).to(ctx.device).train()
    x = torch.randn(s["B"], s["T"], s["C"], device=ctx.device).requires_grad_()  # (B, T, C)

    def step(m):
        def run():
            _clear_grads(m, x)
            out, _ = m(x, is_causal=is_causal)
            out.sum().backward()

        return run

    timings = compare({"attnlab": step(ours), "peer": step(base)}, warmup=ctx.warmup, repeats=ctx.repeats,
                      device=ctx.device)
    causal = " causal" if is_causal else ""
    return _timed_ms_result(
        name,
        f"{label} MHA{causal} fwd+bwd B={s['B']} T={s['T']} C={s['C']} H={s['H']}",
        peer_name,
        timings,
        shapes=s,
    )


def _score_vs_scaled_dot(ctx: CaseContext, score: str) -> CaseResult:
    return _mha_fwd_bwd_vs(ctx, f"scores.{score}", f"score={score}", "attnlab score=scaled_dot (fused SDPA)",
                           dict(score=score), dict(score="scaled_dot"))


@case("scores.general", "general (bilinear) score vs scaled_dot", target=Target("<=", 1.15))
def scores_general(ctx: CaseContext) -> CaseResult:
    return _score_vs_scaled_dot(ctx, "general")


@case("scores.cosine", "cosine score vs scaled_dot", target=Target("<=", 1.15))
def scores_cosine(ctx: CaseContext) -> CaseResult:
    return _score_vs_scaled_dot(ctx, "cosine")


def _additive_shapes(ctx: CaseContext, long: bool = False) -> dict:
    if long:
        return ctx.pick(dict(B=1, H=8, T=8192, D=64), dict(B=1, H=2, T=512, D=16))
    return ctx.pick(dict(B=1, H=8, T=1024, D=64), dict(B=1, H=2, T=128, D=16))


def _additive_inputs(ctx: CaseContext, s: dict, requires_grad: bool = True):
    from attnlab.attention import make_score

    torch.manual_seed(0)
    score = make_score("additive", head_dim=s["D"], n_heads=s["H"]).to(ctx.device)
    q, k, v = (
        torch.randn(s["B"], s["H"], s["T"], s["D"], device=ctx.device, requires_grad=requires_grad)
        for _ in range(3)
    )  # each (B, H, T, D)
    return score, q, k, v


def _additive_step(score, q, k, v, impl: str) -> Callable[[], None]:
    from attnlab.attention import attention

    def run():
        _clear_grads(score, q, k, v)
        out = attention(q, k, v, score=score, impl=impl)
        out.sum().backward()

    return run


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


@case(
    "scores.additive.time",
    "additive score fwd+bwd: chunked kernel vs materialized",
    target=Target("<=", 1.0),
)
def scores_additive_time(ctx: CaseContext) -> CaseResult:
    s = _additive_shapes(ctx)
    score, q, k, v = _additive_inputs(ctx, s)
    timings = compare(
        {"attnlab": _additive_step(score, q, k, v, "chunked"), "peer": _additive_step(score, q, k, v, "reference")},
        warmup=1,
        repeats=ctx.pick(3, 3),
        device=ctx.device,
    )
    return _timed_ms_result(
        "scores.additive.time",
        f"additive fwd+bwd time B={s['B']} H={s['H']} T={s['T']} D={s['D']}",
        'additive materialized (impl="reference")',
        timings,
        shapes=s,
    )


def _additive_memory_op(impl: str, long: bool = False):
    def setup(ctx: CaseContext):
        s = _additive_shapes(ctx, long=long)
        score, q, k, v = _additive_inputs(ctx, s)
        step = _additive_step(score, q, k, v, impl)

        def op():
            step()
            return {"shapes": s}

        return op

    return setup


memory_workload("additive_chunked")(_additive_memory_op("chunked"))
memory_workload("additive_reference")(_additive_memory_op("reference"))
memory_workload("additive_chunked_long")(_additive_memory_op("chunked", long=True))


@memory_workload("alloc_256mib")
def _alloc_256mib(ctx: CaseContext):
    """Calibration workload: allocates and touches 256 MiB (used by the tests)."""

    def op():
        x = torch.ones(256 * MIB // 4, device=ctx.device)
        return {"checksum": float(x[:8].sum().item())}

    return op


@case(
    "scores.additive.memory",
    "additive score fwd+bwd peak memory: chunked vs materialized",
    target=Target("<=", 0.25),
)
def scores_additive_memory(ctx: CaseContext) -> CaseResult:
    s = _additive_shapes(ctx)
    ours = measure_memory("additive_chunked", device=ctx.device, quick=ctx.quick)
    peer = measure_memory("additive_reference", device=ctx.device, quick=ctx.quick)
    ctx.store["additive_reference_memory"] = (s, peer)
    return CaseResult(
        name="scores.additive.memory",
        title=f"additive fwd+bwd peak memory B={s['B']} H={s['H']} T={s['T']} D={s['D']}",
        peer_name='additive materialized (impl="reference")',
        unit="MiB",
        attnlab=ours.peak_bytes / MIB,
        peer=peer.peak_bytes / MIB,
        ratio=ours.peak_bytes / peer.peak_bytes if peer.peak_bytes else None,
        notes="peak over baseline, each in a fresh process",
        details={"shapes": s, "attnlab": ours.to_dict(), "peer": peer.to_dict()},
    )


@case(
    "scores.additive.long",
    "additive score fwd+bwd at long T: peak memory",
    target=Target("<=", 2.0, subject="attnlab", unit="GiB"),
)
def scores_additive_long(ctx: CaseContext) -> CaseResult:
    from attnlab.attention import make_score

    s = _additive_shapes(ctx, long=True)
    ours = measure_memory("additive_chunked_long", device=ctx.device, quick=ctx.quick)
    hidden = _additive_hidden(make_score("additive", head_dim=s["D"], n_heads=s["H"]), s["D"])
    # The materialized form holds at least one fp32 (B, H, Tq, Tk, hidden) tensor (tanh's input/output).
    one_tensor = s["B"] * s["H"] * s["T"] * s["T"] * hidden * 4
    details = {
        "shapes": s,
        "attnlab": ours.to_dict(),
        "materialized_one_tensor_gib": one_tensor / GIB,
        "additive_hidden": hidden,
    }
    peer_gib = one_tensor / GIB
    notes = f"materialized: one (B,H,T,T,{hidden}) fp32 tensor = {peer_gib:,.0f} GiB (computed, not run)"
    ref = ctx.store.get("additive_reference_memory")
    if ref is not None:
        s_ref, mem_ref = ref
        scale = (s["B"] * s["H"] * s["T"] ** 2) / (s_ref["B"] * s_ref["H"] * s_ref["T"] ** 2)
        extrapolated = mem_ref.peak_bytes * scale / GIB
        details["materialized_extrapolated_gib"] = extrapolated
        details["extrapolated_from"] = {"shapes": s_ref, "peak_bytes": mem_ref.peak_bytes}
        peer_gib = max(peer_gib, extrapolated)
        notes += f"; measured T={s_ref['T']} materialized peak scaled by T² = {extrapolated:,.0f} GiB"
    return CaseResult(
        name="scores.additive.long",
        title=f"additive fwd+bwd peak memory B={s['B']} H={s['H']} T={s['T']} D={s['D']} (chunked)",
        peer_name="materialized form, computed",
        unit="GiB",
        attnlab=ours.peak_gib,
        peer=peer_gib,
        ratio=ours.peak_gib / peer_gib,
        notes=notes + f"; chunked run took {ours.seconds:.1f} s",
        details=details,
    )


# ----------------------------------------------------------------------------------------------------
# 3b. positions inside attention and the sliding window


def _positions_vs_none(ctx: CaseContext, positions: str) -> CaseResult:
    return _mha_fwd_bwd_vs(ctx, f"positions.{positions}", f"positions={positions}",
                           "the same MultiHeadAttention without positions", dict(positions=positions), {},
                           is_causal=True)


@case("positions.rope", "RoPE vs no positions, MHA fwd+bwd", target=Target("<=", 1.15))
def positions_rope(ctx: CaseContext) -> CaseResult:
    return _positions_vs_none(ctx, "rope")


@case("positions.alibi", "ALiBi vs no positions, MHA fwd+bwd", target=Target("<=", 1.3))
def positions_alibi(ctx: CaseContext) -> CaseResult:
    return _positions_vs_none(ctx, "alibi")


@case("positions.t5", "T5 relative bias vs no positions, MHA fwd+bwd")
def positions_t5(ctx: CaseContext) -> CaseResult:
    result = _positions_vs_none(ctx, "t5")
    result.notes = "the learned bias needs its gradient, so SDPA receives a float mask that requires grad"
    return result


def _window_shapes(ctx: CaseContext, double: bool = False) -> dict:
    s = ctx.pick(dict(B=1, H=8, T=8192, D=64, W=256), dict(B=1, H=2, T=512, D=16, W=32))
    return {**s, "T": 2 * s["T"]} if double else s


def _window_step(ctx: CaseContext, s: dict, window: int | None) -> Callable[[], None]:
    """One causal fwd+bwd of ``attnlab.attention`` with the given window (None: full causal attention)."""
    from attnlab.attention import attention

    torch.manual_seed(0)
    q, k, v = (
        torch.randn(s["B"], s["H"], s["T"], s["D"], device=ctx.device, requires_grad=True) for _ in range(3)
    )  # each (B, H, T, D)

    def run():
        _clear_grads(q, k, v)
        attention(q, k, v, is_causal=True, window=window).sum().backward()

    return run


@case(
    "window.time",
    "sliding-window attention fwd+bwd vs full causal attention",
    target=Target("<=", 0.2),
)
def window_time(ctx: CaseContext) -> CaseResult:
    s = _window_shapes(ctx)
    timings = compare(
        {"attnlab": _window_step(ctx, s, s["W"]), "peer": _window_step(ctx, s, None)},
        warmup=1,
        repeats=3,
        device=ctx.device,
    )
    return _timed_ms_result(
        "window.time",
        f"attention() causal fwd+bwd window={s['W']} B={s['B']} H={s['H']} T={s['T']} D={s['D']}",
        "attnlab full causal attention (fused SDPA, is_causal)",
        timings,
        shapes=s,
    )


def _window_memory_op(double: bool):
    def setup(ctx: CaseContext):
        s = _window_shapes(ctx, double)
        step = _window_step(ctx, s, s["W"])

        def op():
            step()
            return {"shapes": s}

        return op

    return setup


memory_workload("window_T")(_window_memory_op(False))
memory_workload("window_2T")(_window_memory_op(True))


@case(
    "window.memory",
    "sliding-window fwd+bwd peak memory at 2T vs at T (linear in T: 2; quadratic: 4)",
    target=Target("<=", 2.2),
)
def window_memory(ctx: CaseContext) -> CaseResult:
    s, s2 = _window_shapes(ctx), _window_shapes(ctx, double=True)
    ours = measure_memory("window_2T", device=ctx.device, quick=ctx.quick)
    peer = measure_memory("window_T", device=ctx.device, quick=ctx.quick)
    return CaseResult(
        name="window.memory",
        title=f"window={s['W']} causal fwd+bwd peak memory at T={s2['T']} vs T={s['T']} (B={s['B']} H={s['H']} "
        f"D={s['D']})",
        peer_name=f"the same at T={s['T']}",
        unit="MiB",
        attnlab=ours.peak_bytes / MIB,
        peer=peer.peak_bytes / MIB,
        ratio=ours.peak_bytes / peer.peak_bytes if peer.peak_bytes else None,
        notes="peak over baseline, each in a fresh process",
        details={"shapes": s, "shapes_2t": s2, "attnlab": ours.to_dict(), "peer": peer.to_dict()},
    )


# ----------------------------------------------------------------------------------------------------
# 4-5. the language model vs Hugging Face GPT-2


def _gpt2_setup(ctx: CaseContext):
    """A random Hugging Face GPT2LMHeadModel and attnlab's LM built from it (shared by the cases)."""
    if "gpt2" in ctx.store:
        return ctx.store["gpt2"]
    from transformers import GPT2Config, GPT2LMHeadModel

    from attnlab.pretrained import from_hf_gpt2

    cfg_kw = ctx.pick(
        dict(n_layer=6, n_embd=512, n_head=8),
        dict(n_layer=2, n_embd=64, n_head=4, vocab_size=512, n_positions=256),
    )
    torch.manual_seed(0)
    hf_cfg = GPT2Config(**cfg_kw, resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    hf = GPT2LMHeadModel(hf_cfg).to(ctx.device).eval()
    hf.generation_config.eos_token_id = None  # decode the full length, as attnlab does with eos_token_id=None
    hf.generation_config.pad_token_id = 0
    ours = from_hf_gpt2(hf).to(ctx.device).eval()
    ctx.store["gpt2"] = (hf, ours, cfg_kw)
    return ctx.store["gpt2"]


def _prompt(ctx: CaseContext, vocab: int, batch: int = 1, length: int = 32) -> torch.Tensor:
    g = torch.Generator().manual_seed(1234)
    return torch.randint(0, vocab, (batch, length), generator=g).to(ctx.device)  # (B, T)


def _hf_generate(hf, ids: torch.Tensor, n: int) -> torch.Tensor:
    with torch.no_grad():
        return hf.generate(
            ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=n,
            min_new_tokens=n,
            do_sample=False,
            use_cache=True,
            num_beams=1,
        )


def _our_generate(lm, ids: torch.Tensor, n: int, use_cache: bool = True) -> torch.Tensor:
    with torch.no_grad():
        return lm.generate(ids, n, use_cache=use_cache)


@case(
    "generate.tokens",
    "greedy generation: tokens identical to Hugging Face",
    target=Target("==", 1.0),
)
def generate_tokens(ctx: CaseContext) -> CaseResult:
    hf, ours, cfg = _gpt2_setup(ctx)
    n = ctx.pick(256, 16)
    ids = _prompt(ctx, hf.config.vocab_size)
    a = _our_generate(ours, ids, n)
    b = _hf_generate(hf, ids, n)
    new_a, new_b = a[:, ids.shape[1] :], b[:, ids.shape[1] :]
    same = new_a.shape == new_b.shape and bool(torch.equal(new_a, new_b))
    if new_a.shape == new_b.shape:
        eq = (new_a == new_b).all(dim=0)
        first_diff = None if bool(eq.all()) else int((~eq).nonzero()[0, 0])
        matching = int(eq.cumprod(0).sum())  # identical prefix length
    else:
        first_diff, matching = 0, 0
    return CaseResult(
        name="generate.tokens",
        title=f"greedy {n} new tokens, GPT-2 {cfg['n_layer']}x{cfg['n_embd']}: identical prefix",
        peer_name="transformers GPT2LMHeadModel.generate(do_sample=False)",
        unit="tokens",
        attnlab=float(matching),
        peer=float(n),
        ratio=matching / n,
        notes="identical" if same else f"first difference at new token {first_diff}",
        details={"config": cfg, "prompt_len": ids.shape[1], "first_difference": first_diff,
                 "shapes": {"ours": list(a.shape), "hf": list(b.shape)}},
    )


@case(
    "generate.speed",
    "greedy generation tokens/s vs Hugging Face (both cached)",
    target=Target(">=", 1.5),
)
def generate_speed(ctx: CaseContext) -> CaseResult:
    hf, ours, cfg = _gpt2_setup(ctx)
    n = ctx.pick(256, 16)
    ids = _prompt(ctx, hf.config.vocab_size)
    timings = compare(
        {"attnlab": lambda: _our_generate(ours, ids, n), "peer": lambda: _hf_generate(hf, ids, n)},
        warmup=1,
        repeats=ctx.pick(3, 2),
        device=ctx.device,
    )
    ta, tp, _ = _time_ratio(timings)
    return CaseResult(
        name="generate.speed",
        title=f"greedy {n} new tokens, B=1, prompt {ids.shape[1]}, GPT-2 {cfg['n_layer']}x{cfg['n_embd']}",
        peer_name="transformers generate (use_cache=True)",
        unit="tok/s",
        attnlab=n / ta,
        peer=n / tp,
        ratio=tp / ta,
        details={"config": cfg, "timings": _timing_details(timings)},
    )


@case(
    "generate.cache",
    "attnlab generation with KV cache vs without",
    target=Target(">=", 5.0),
)
def generate_cache(ctx: CaseContext) -> CaseResult:
    hf, ours, cfg = _gpt2_setup(ctx)
    n = ctx.pick(512, 32)
    ids = _prompt(ctx, hf.config.vocab_size)
    _our_generate(ours, ids, 8)  # warm-up
    cached = [time_call(lambda: _our_generate(ours, ids, n), ctx.device) for _ in range(ctx.pick(3, 2))]
    uncached_out: list[torch.Tensor] = []
    uncached = [
        time_call(lambda: uncached_out.append(_our_generate(ours, ids, n, use_cache=False)), ctx.device)
        for _ in range(1)  # the uncached run is quadratic in length: once is enough to see it
    ]
    same = bool(torch.equal(uncached_out[0], _our_generate(ours, ids, n)))
    tc, tu = sorted(cached)[len(cached) // 2], uncached[0]
    return CaseResult(
        name="generate.cache",
        title=f"attnlab greedy {n} new tokens, cached vs uncached, GPT-2 {cfg['n_layer']}x{cfg['n_embd']}",
        peer_name="attnlab generate(use_cache=False)",
        unit="tok/s",
        attnlab=n / tc,
        peer=n / tu,
        ratio=tu / tc,
        notes="same tokens" if same else "cached and uncached tokens differ",
        details={"config": cfg, "cached_s": cached, "uncached_s": uncached, "same_tokens": same},
    )


@case(
    "train.vs_hf",
    "LM training step tokens/s vs Hugging Face GPT-2",
    target=Target(">=", 1.0),
)
def train_vs_hf(ctx: CaseContext) -> CaseResult:
    hf0, ours0, cfg = _gpt2_setup(ctx)
    import copy

    hf, ours = copy.deepcopy(hf0).train(), copy.deepcopy(ours0).train()
    B, T = ctx.pick((8, 128), (2, 32))
    ids = _prompt(ctx, hf.config.vocab_size, batch=B, length=T)
    opt_ours = torch.optim.AdamW(ours.parameters(), lr=1e-4)
    opt_hf = torch.optim.AdamW(hf.parameters(), lr=1e-4)

    def lm_loss(logits: torch.Tensor) -> torch.Tensor:
        # next-token loss, the same code for both models: (B, T-1, V) vs (B, T-1)
        return F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))

    def step_ours():
        opt_ours.zero_grad(set_to_none=True)
        lm_loss(ours(ids).logits).backward()
        opt_ours.step()

    def step_hf():
        opt_hf.zero_grad(set_to_none=True)
        lm_loss(hf(input_ids=ids, use_cache=False).logits).backward()
        opt_hf.step()

    timings = compare({"attnlab": step_ours, "peer": step_hf}, warmup=1, repeats=ctx.pick(5, 2),
                      device=ctx.device)
    ta, tp, _ = _time_ratio(timings)
    return CaseResult(
        name="train.vs_hf",
        title=f"LM train step (fwd+bwd+AdamW) B={B} T={T}, GPT-2 {cfg['n_layer']}x{cfg['n_embd']}",
        peer_name="transformers GPT2LMHeadModel (sdpa)",
        unit="tok/s",
        attnlab=B * T / ta,
        peer=B * T / tp,
        ratio=tp / ta,
        details={"config": cfg, "batch": B, "seq_len": T, "timings": _timing_details(timings)},
    )


# ----------------------------------------------------------------------------------------------------
# 6. attention throughput against the machine's matmul rate


@case(
    "attention.matmul_fraction",
    "attention FLOP rate as a fraction of fp32 matmul",
    target=Target(">=", 0.8, aim=True),
)
def attention_matmul_fraction(ctx: CaseContext) -> CaseResult:
    from attnlab.attention import attention

    B, H, T, D = ctx.pick((2, 8, 2048, 64), (1, 2, 256, 32))
    N = ctx.pick(2048, 256)
    torch.manual_seed(0)
    q, k, v = (torch.randn(B, H, T, D, device=ctx.device) for _ in range(3))  # each (B, H, T, D)
    a, b = torch.randn(N, N, device=ctx.device), torch.randn(N, N, device=ctx.device)
    attn_flops = 4 * B * H * T * T * D  # QK^T and PV, 2 FLOPs per multiply-add, no causal mask
    mm_flops = 2 * N**3

    def run_ours():
        with torch.no_grad():
            attention(q, k, v)

    def run_sdpa():
        with torch.no_grad():
            F.scaled_dot_product_attention(q, k, v)

    timings = compare({"attnlab": run_ours, "peer": lambda: a @ b, "sdpa": run_sdpa},
                      warmup=ctx.warmup, repeats=ctx.repeats, device=ctx.device)
    ours_rate = attn_flops / timings["attnlab"].median / 1e9
    mm_rate = mm_flops / timings["peer"].median / 1e9
    sdpa_rate = attn_flops / timings["sdpa"].median / 1e9
    return CaseResult(
        name="attention.matmul_fraction",
        title=f"attention() fwd B={B} H={H} T={T} D={D} vs {N}x{N} matmul",
        peer_name="torch fp32 matmul (same run)",
        unit="GFLOP/s",
        attnlab=ours_rate,
        peer=mm_rate,
        ratio=ours_rate / mm_rate,
        notes=f"torch SDPA itself: {sdpa_rate / mm_rate:.2f} of matmul",
        details={"shapes": dict(B=B, H=H, T=T, D=D, N=N), "attn_flops": attn_flops, "mm_flops": mm_flops,
                 "sdpa_gflops": sdpa_rate, "timings": _timing_details(timings)},
    )


# ----------------------------------------------------------------------------------------------------
# 7. the experiment runner: the quick report with --jobs 2 against --jobs 1, and a finished quick report


@case("runner.jobs", "`attnlab report --profile quick`: wall time with --jobs 2 vs --jobs 1 (serial)",
      target=Target("<=", 0.6))
def runner_jobs(ctx: CaseContext) -> CaseResult:
    """The command as a user runs it, in a fresh process and a fresh folder each time (nothing cached).

    The wall time covers everything the user waits for: start-up, every trial (those that time
    themselves run alone in both), the figures and the HTML page.
    """
    import subprocess
    import sys
    import tempfile

    from attnlab.results import read_result

    profile = "tiny" if ctx.quick else "quick"
    walls, evidence, qids = {}, {}, []
    with tempfile.TemporaryDirectory() as tmp:
        for jobs in (1, 2):
            out = Path(tmp) / f"jobs{jobs}"
            cmd = [sys.executable, "-m", "attnlab", "report", "--profile", profile, "--jobs", str(jobs),
                   "--out", str(out), "--no-progress"]
            start = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            walls[jobs] = time.perf_counter() - start
            qids = sorted(p.parent.name for p in out.glob("*/result.json"))
            evidence[jobs] = {q: [e.to_dict() for e in read_result(out, q).evidence if not e.timing] for q in qids}
    same = evidence[1] == evidence[2]
    return CaseResult(
        name="runner.jobs",
        title=f"`attnlab report --profile {profile}` ({len(qids)} questions): --jobs 2 vs --jobs 1",
        peer_name="the serial runner (--jobs 1)",
        unit="s",
        attnlab=walls[2],
        peer=walls[1],
        ratio=walls[2] / walls[1],
        notes=f"{len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()} usable "
              f"cores; the same evidence (timings aside) with both: {'yes' if same else 'NO'}",
        details={"profile": profile, "questions": qids, "same_evidence": same, "walls_s": walls},
    )


REPORT_DIRS_ENV = "ATTNLAB_REPORT_DIR"


def _report_dirs() -> list[Path]:
    dirs = []
    if os.environ.get(REPORT_DIRS_ENV):
        dirs.append(Path(os.environ[REPORT_DIRS_ENV]))
    cwd = Path.cwd()
    dirs += [cwd / "attnlab-report", cwd / "docs" / "report-quick"]
    return dirs


def read_report_seconds(dirs: list[Path] | None = None) -> tuple[float, list[str], Path] | None:
    """Summed trial seconds of the quick-profile results in the first directory that has any.

    Only results whose ``profile`` is "quick" count (a full or tiny run beside them is skipped). Returns
    (total seconds, qids, directory) or None when no quick result is found.
    """
    from attnlab.results import ResultError, read_result

    for d in dirs if dirs is not None else _report_dirs():
        total, qids = 0.0, []
        for path in sorted(d.glob("*/result.json")) if d.is_dir() else []:
            try:
                result = read_result(d, path.parent.name)
            except ResultError:
                continue
            if result is None or result.profile != "quick":
                continue
            total += result.seconds
            qids.append(result.qid)
        if qids:
            return total, qids, d
    return None


@case("report.quick_compute", "`attnlab report --profile quick`: trial compute time (recorded)")
def report_quick_compute(ctx: CaseContext) -> CaseResult:
    found = read_report_seconds()
    title = "attnlab report --profile quick, sum of trial seconds over the results"
    if found is None:
        return CaseResult(name="report.quick_compute", title=title, peer_name="-", unit="s",
                          notes="no quick-profile result found (looked in "
                          + ", ".join(str(d) for d in _report_dirs()) + f"; set {REPORT_DIRS_ENV})")
    total, qids, d = found
    return CaseResult(name="report.quick_compute", title=title, peer_name="-", unit="s", attnlab=total,
                      notes=f"{len(qids)} questions ({', '.join(qids)}) from {d}",
                      details={"qids": qids, "dir": str(d)})


# ----------------------------------------------------------------------------------------------------


def select_cases(quick: bool, names: list[str] | None = None) -> list[Case]:
    """Cases to run: the ``names`` given (exact or prefix, e.g. "mha"), else all (quick: the quick ones)."""
    if names:
        chosen = []
        for n in names:
            hits = [c for c in CASES.values() if c.name == n or c.name.startswith(n.rstrip(".") + ".")]
            if not hits:
                raise ValueError(f"cases: expected names or prefixes of {sorted(CASES)}, got {n!r}")
            chosen += [c for c in hits if c not in chosen]
        return chosen
    return [c for c in CASES.values() if c.quick or not quick]


def run_case(c: Case, ctx: CaseContext) -> CaseResult:
    """Run one case; a failure becomes a row with ``error`` set instead of stopping the suite."""
    start = time.perf_counter()
    try:
        result = c.fn(ctx)
    except Exception as exc:  # a broken case must not hide the others
        result = CaseResult(name=c.name, title=c.title, peer_name="-", unit="-",
                            error=f"{type(exc).__name__}: {exc}"[:500])
    result.seconds = time.perf_counter() - start
    if c.target is not None:
        result.target = c.target.describe()
        result.met = None if (ctx.quick or result.error) else c.target.check(result)
    ctx.results[c.name] = result
    return result
