"""Attention-logit statistics of a trained model: why divide by √d_k?

For every attnlab ``MultiHeadAttention`` of a model, while the model runs on real data, this
records the raw dot products z_ij = q_i · k_j (before any scaling) over real (query, key) pairs and
reports, per layer and head:

- the standard deviation of z next to √d_k — the std z would have if the d_k components of q and
  k were independent with unit variance (Vaswani et al. 2017, footnote 4);
- the mean attention entropy with the model's scaling, softmax(z / √d_k), and the entropy the same
  logits would give without it, softmax(z): how saturated softmax would be if the factor were
  dropped from this model as trained;
- the mean maximum attention weight in both cases.

Biases of the projections are included (they are part of q and k). Only self-attention calls are
recorded, and the statistics assume the scaled dot-product score (1/√d_k).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from attnlab.analysis.geometry import find_attention_modules

__all__ = ["LogitStats", "logit_statistics", "softmax_entropy"]


@dataclass
class LogitStats:
    """Per-head (L, H) and per-layer (L,) statistics of raw attention logits.

    Attributes:
        head_dim: d_k. sqrt_dk: √d_k.
        logit_std, logit_mean: (L, H) std and mean of z = q·k over real pairs.
        layer_logit_std: (L,) std of z pooled over the heads of a layer.
        q_std, k_std: (L,) std of the components of q and of k.
        entropy_scaled, entropy_unscaled: (L, H) mean entropy (nats) of softmax(z/√d_k) and softmax(z).
        max_weight_scaled, max_weight_unscaled: (L, H) mean of the largest attention weight.
        uniform_entropy: mean log(number of keys), the entropy of uniform attention.
        n_pairs: number of (query, key) pairs per head.
        independent_std: (L, H) the std z would have if q and k were independent vectors with
            independent components of the measured means and variances,
            sqrt(sum_i Var q_i Var k_i + Var q_i (E k_i)² + (E q_i)² Var k_i): the premise of the
            1/√d_k argument, with the scale of q and k taken from the data.
    """

    head_dim: int
    sqrt_dk: float
    logit_std: torch.Tensor
    logit_mean: torch.Tensor
    layer_logit_std: torch.Tensor
    q_std: torch.Tensor
    k_std: torch.Tensor
    entropy_scaled: torch.Tensor
    entropy_unscaled: torch.Tensor
    max_weight_scaled: torch.Tensor
    max_weight_unscaled: torch.Tensor
    uniform_entropy: float
    n_pairs: int
    independent_std: torch.Tensor

    def to_dict(self) -> dict[str, Any]:
        return {k: (v.tolist() if isinstance(v, torch.Tensor) else v) for k, v in self.__dict__.items()}


def softmax_entropy(logits: torch.Tensor, valid: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Entropy (nats) and max weight of softmax over the last dim, restricted to ``valid`` keys.

    Args:
        logits: (..., Tk). valid: bool, broadcastable to logits, True = real key.
    Returns:
        entropy (...), max weight (...).
    """
    z = logits.masked_fill(~valid, float("-inf"))
    logp = F.log_softmax(z, dim=-1)
    p = logp.exp()
    ent = -(p * logp.masked_fill(~valid, 0.0)).sum(-1)
    return ent, p.max(-1).values


class _Accumulator:
    def __init__(self, n_heads: int) -> None:
        z = torch.zeros(n_heads, dtype=torch.float64)
        self.s, self.s2, self.n = z.clone(), z.clone(), z.clone()
        self.ent_s, self.ent_u, self.max_s, self.max_u, self.rows = z.clone(), z.clone(), z.clone(), z.clone(), 0.0
        self.log_keys = 0.0
        self.q_s = self.q_s2 = self.q_n = 0.0
        self.k_s = self.k_s2 = self.k_n = 0.0
        self.qc_s = self.qc_s2 = self.kc_s = self.kc_s2 = None  # per head and component: (H, D) sums
        self.c_n = 0.0


def logit_statistics(model: nn.Module, run: Callable[[], Any]) -> LogitStats:
    """Record raw attention-logit statistics while ``run()`` drives ``model``.

    Args:
        model: any module containing attnlab ``MultiHeadAttention`` modules (same head count each).
        run: a callable that runs the model on representative data (e.g. ``lambda: enc.embed(texts)``).

    Returns:
        :class:`LogitStats`; layer order is the modules' registration order.
    """
    modules = find_attention_modules(model)
    if not modules:
        raise ValueError("model: expected at least one attnlab MultiHeadAttention module, found none")
    H = modules[0].n_heads
    D = modules[0].head_dim
    if any(m.n_heads != H or m.head_dim != D for m in modules):
        raise ValueError("model: expected the same n_heads and head_dim in every attention module")
    accs = [_Accumulator(H) for _ in modules]
    handles = []

    def make_hook(m: nn.Module, acc: _Accumulator) -> Callable[..., None]:
        def hook(module: nn.Module, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
            query = args[0] if args else kwargs.get("query")
            key = args[1] if len(args) > 1 else kwargs.get("key")
            if query is None or (key is not None and key is not query):
                return  # cross-attention: not recorded
            key_mask = kwargs.get("key_mask")
            is_causal = bool(kwargs.get("is_causal", False))
            if kwargs.get("cache") is not None:
                return  # incremental decoding: keys live in the cache
            with torch.no_grad():
                _accumulate(module, query, key_mask, is_causal, acc)
        return hook

    for m, acc in zip(modules, accs, strict=False):
        handles.append(m.register_forward_pre_hook(make_hook(m, acc), with_kwargs=True))
    try:
        with torch.no_grad():
            run()
    finally:
        for h in handles:
            h.remove()
    if accs[0].rows == 0:
        raise ValueError("run: expected it to run the model's self-attention at least once, it did not")

    def stack(f: Callable[[_Accumulator], torch.Tensor]) -> torch.Tensor:
        return torch.stack([f(a) for a in accs]).float()

    mean = stack(lambda a: a.s / a.n)
    std = stack(lambda a: (a.s2 / a.n - (a.s / a.n) ** 2).clamp_min(0).sqrt())
    layer_std = torch.tensor([
        math.sqrt(max(float(a.s2.sum() / a.n.sum() - (a.s.sum() / a.n.sum()) ** 2), 0.0)) for a in accs
    ])
    def independent(a: _Accumulator) -> torch.Tensor:
        mq, mk = a.qc_s / a.c_n, a.kc_s / a.c_n  # (H, D) component means
        vq, vk = (a.qc_s2 / a.c_n - mq**2).clamp_min(0), (a.kc_s2 / a.c_n - mk**2).clamp_min(0)
        return (vq * vk + vq * mk**2 + mq**2 * vk).sum(-1).sqrt()  # (H,)

    q_std = torch.tensor([math.sqrt(max(a.q_s2 / a.q_n - (a.q_s / a.q_n) ** 2, 0.0)) for a in accs])
    k_std = torch.tensor([math.sqrt(max(a.k_s2 / a.k_n - (a.k_s / a.k_n) ** 2, 0.0)) for a in accs])
    return LogitStats(
        head_dim=D,
        sqrt_dk=math.sqrt(D),
        logit_std=std,
        logit_mean=mean,
        layer_logit_std=layer_std,
        q_std=q_std,
        k_std=k_std,
        entropy_scaled=stack(lambda a: a.ent_s / a.rows),
        entropy_unscaled=stack(lambda a: a.ent_u / a.rows),
        max_weight_scaled=stack(lambda a: a.max_s / a.rows),
        max_weight_unscaled=stack(lambda a: a.max_u / a.rows),
        uniform_entropy=accs[0].log_keys / accs[0].rows,
        n_pairs=int(accs[0].n[0]),
        independent_std=stack(independent),
    )


def _accumulate(m: nn.Module, x: torch.Tensor, key_mask: torch.Tensor | None, is_causal: bool,
                acc: _Accumulator) -> None:
    B, T, _ = x.shape
    H, D = m.n_heads, m.head_dim
    n_kv = getattr(m, "n_kv_heads", None) or H
    k_proj = m.k_proj if getattr(m, "k_proj", None) is not None else m.q_proj
    q = m.q_proj(x).reshape(B, T, H, D).transpose(1, 2).double()  # (B, H, T, D)
    k = k_proj(x).reshape(B, T, n_kv, D).transpose(1, 2).double()  # (B, Hkv, T, D)
    if n_kv != H:
        k = k.repeat_interleave(H // n_kv, dim=1)  # (B, H, T, D)
    real = torch.ones(B, T, dtype=torch.bool, device=x.device) if key_mask is None else key_mask.bool()
    valid = real[:, None, :, None] & real[:, None, None, :]  # (B, 1, T, T)
    if is_causal:
        valid = valid & torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
    z = q @ k.transpose(-1, -2)  # (B, H, T, T)
    vz = valid.expand_as(z)
    zf = torch.where(vz, z, torch.zeros((), dtype=z.dtype, device=z.device))
    acc.s += zf.sum((0, 2, 3)).cpu()
    acc.s2 += (zf * zf).sum((0, 2, 3)).cpu()
    acc.n += vz.sum((0, 2, 3)).double().cpu()
    rows = real[:, None, :].expand(B, H, T)  # real query rows (B, H, T)
    ent_s, max_s = softmax_entropy(z / math.sqrt(D), vz)
    ent_u, max_u = softmax_entropy(z, vz)
    acc.ent_s += torch.where(rows, ent_s, 0.0).sum((0, 2)).cpu()
    acc.ent_u += torch.where(rows, ent_u, 0.0).sum((0, 2)).cpu()
    acc.max_s += torch.where(rows, max_s, 0.0).sum((0, 2)).cpu()
    acc.max_u += torch.where(rows, max_u, 0.0).sum((0, 2)).cpu()
    n_rows = float(real.sum())
    acc.rows += n_rows
    acc.log_keys += float((valid[:, 0].sum(-1).clamp_min(1).double().log() * real).sum())
    rq = q.transpose(1, 2)[real]  # (N_real, H, D)
    rk = k.transpose(1, 2)[real]
    acc.q_s += float(rq.sum())
    acc.q_s2 += float((rq * rq).sum())
    acc.q_n += rq.numel()
    acc.k_s += float(rk.sum())
    acc.k_s2 += float((rk * rk).sum())
    acc.k_n += rk.numel()
    sums = (rq.sum(0).cpu(), (rq * rq).sum(0).cpu(), rk.sum(0).cpu(), (rk * rk).sum(0).cpu())  # (H, D) each
    if acc.qc_s is None:
        acc.qc_s, acc.qc_s2, acc.kc_s, acc.kc_s2 = sums
    else:
        acc.qc_s, acc.qc_s2, acc.kc_s, acc.kc_s2 = (a + b for a, b in zip(
            (acc.qc_s, acc.qc_s2, acc.kc_s, acc.kc_s2), sums, strict=True))
    acc.c_n += rq.shape[0]
