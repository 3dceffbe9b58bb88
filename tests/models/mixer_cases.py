"""Plain references shared by the mixer tests: RoPE and RMSNorm written out, a causal mask, a small LM."""

from __future__ import annotations

import math

import torch

from attnlab.models import TransformerLM


def rope(x: torch.Tensor, start: int = 0, base: float = 10000.0) -> torch.Tensor:
    """Rotate-half RoPE of x (..., T, d) at positions start.., from the formula."""
    t, d = x.shape[-2], x.shape[-1]
    theta = base ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)
    angles = torch.arange(start, start + t, dtype=torch.float64)[:, None] * theta  # (T, d/2)
    cos, sin = angles.cos().to(x.dtype), angles.sin().to(x.dtype)
    x1, x2 = x[..., : d // 2], x[..., d // 2:]
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps) * weight


def causal_softmax(scores: torch.Tensor) -> torch.Tensor:
    t = scores.shape[-1]
    keep = torch.ones(t, t, dtype=torch.bool).tril()
    return torch.softmax(scores.masked_fill(~keep, float("-inf")), dim=-1)


def heads(x: torch.Tensor, d: int) -> torch.Tensor:
    """(B, T, H d) -> (B, H, T, d)."""
    b, t, _ = x.shape
    return x.view(b, t, -1, d).transpose(1, 2)


def merge(x: torch.Tensor) -> torch.Tensor:
    """(B, H, T, d) -> (B, T, H d)."""
    b, h, t, d = x.shape
    return x.transpose(1, 2).reshape(b, t, h * d)


def small_lm(seed: int = 0, **kw) -> TransformerLM:
    torch.manual_seed(seed)
    fields = dict(vocab_size=40, d_model=32, n_heads=4, n_layers=2, max_len=64)
    fields.update(kw)
    return TransformerLM(**fields).eval()


def sharpen(model: torch.nn.Module, std: float = 0.3, seed: int = 1) -> None:
    """Redraw every matrix with a larger std, so that logits (and greedy choices) are far from ties."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if p.dim() == 2:
                p.copy_(torch.randn(p.shape, generator=g) * std / math.sqrt(max(1, p.shape[1] / 32)))
