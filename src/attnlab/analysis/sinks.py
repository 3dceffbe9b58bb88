"""Attention sinks: how much attention heads park on the first token or on [CLS]/[SEP], and what it carries.

- **First-token share** (causal models): head h's mean weight on key 0 over queries i >= ``start``,
  :math:`\\frac{1}{N(T - s)} \\sum_{n, i \\ge s} a^h_{i0}`, beside the share a uniform causal head would give,
  the mean of :math:`1 / (i + 1)` over the same queries. A head whose weights do not sum to one (a sink key
  or an off-by-one softmax took the rest) has ``sink_mass`` :math:`1 - \\sum_j a_{ij}`.
- **Special-token share** (BERT-family encoders, Clark et al. 2019): the mean weight a head puts on [CLS]
  and [SEP], against ``2 / T`` for uniform attention over a sentence's T tokens.
- **Norm-based share** (Kobayashi et al. 2020): what reaches the output is :math:`a_{ij} f_h(x_j)` with
  :math:`f_h(x) = (x W^V_h + b^V_h) W^O_h`, so the same share measured with :math:`a_{ij} \\lVert f_h(x_j)
  \\rVert` in place of :math:`a_{ij}`. Attention parked on a token whose transformed value is small moves
  little.

Every function returns numbers; no question ids, no figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from einops import rearrange

__all__ = ["SpecialShares", "first_token_share", "sink_mass", "special_token_shares", "uniform_first_share"]


def _check_weights(weights: Sequence[torch.Tensor]) -> None:
    if not weights or any(w.dim() != 4 or w.shape[-1] != w.shape[-2] for w in weights):
        raise ValueError(f"weights: expected a non-empty list of (B, H, T, T) tensors, got "
                         f"{[tuple(w.shape) for w in weights]}")


def first_token_share(weights: Sequence[torch.Tensor], start: int = 1) -> torch.Tensor:
    """Mean weight on key 0 per layer and head, over the batch and the queries ``i >= start``.

    Args:
        weights: per layer, causal attention weights (B, H, T, T).
        start: first query counted (query 0 can only see key 0).

    Returns:
        (L, H) float tensor.
    """
    _check_weights(weights)
    t = weights[0].shape[-1]
    if not 0 <= start < t:
        raise ValueError(f"start: expected 0 <= start < T = {t}, got {start}")
    return torch.stack([w[:, :, start:, 0].double().mean((0, 2)) for w in weights]).float()


def uniform_first_share(seq_len: int, start: int = 1) -> float:
    """The first-token share of uniform causal attention: the mean of 1 / (i + 1) over queries i >= start."""
    if not 0 <= start < seq_len:
        raise ValueError(f"start, seq_len: expected 0 <= start < seq_len, got {start}, {seq_len}")
    return sum(1.0 / (i + 1) for i in range(start, seq_len)) / (seq_len - start)


def sink_mass(weights: Sequence[torch.Tensor], start: int = 1) -> torch.Tensor:
    """Mean weight no key received (1 - row sum: what a sink took) per layer and head, queries >= start: (L, H)."""
    _check_weights(weights)
    return torch.stack([(1.0 - w[:, :, start:].double().sum(-1)).mean((0, 2)) for w in weights]).float()


@dataclass
class SpecialShares:
    """Per sentence, layer and head: weight and norm-based shares on [CLS] + [SEP].

    Attributes:
        weight: (N, L, H) mean over the sentence's queries of the weight on [CLS] and [SEP].
        norm: (N, L, H) the same with each weight multiplied by the norm of its transformed value.
        uniform: (N,) 2 / T, the share of uniform attention over the sentence's T tokens.
        n_tokens: (N,) T per sentence.
    """

    weight: torch.Tensor
    norm: torch.Tensor
    uniform: torch.Tensor
    n_tokens: torch.Tensor

    def to_dict(self) -> dict[str, Any]:
        return {k: v.tolist() for k, v in self.__dict__.items()}


@torch.no_grad()
def special_token_shares(encoder: Any, texts: Sequence[str], *, batch_size: int = 16) -> SpecialShares:
    """Weight and norm-based (Kobayashi et al. 2020) shares on [CLS]/[SEP] of a BERT-family encoder.

    Args:
        encoder: a :class:`~attnlab.pretrained.BertEncoder` (blocks with ``attn``: ``v_proj``, ``out_proj``).
        texts: sentences; each is encoded alone as ``[CLS] ... [SEP]``.
        batch_size: sentences per forward pass.

    Returns:
        :class:`SpecialShares` over the sentences' real tokens.
    """
    if not texts:
        raise ValueError("texts: expected at least one sentence, got none")
    tok = encoder.tokenizer
    special = [i for i in (tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")) if i is not None]
    inputs: list[torch.Tensor] = []
    hooks = [b.attn.register_forward_pre_hook(lambda _m, args: inputs.append(args[0])) for b in encoder.blocks]
    weight, norm, uniform, n_tokens = [], [], [], []
    try:
        for start in range(0, len(texts), batch_size):
            inputs.clear()
            batch = encoder.encode(list(texts[start:start + batch_size]))
            out = encoder(batch.input_ids, key_mask=batch.key_mask, token_type_ids=batch.token_type_ids,
                          need_weights=True)
            is_special = torch.isin(batch.input_ids, torch.tensor(special))  # (B, T)
            real = batch.key_mask  # (B, T)
            per_layer_w, per_layer_n = [], []
            for block, x, a in zip(encoder.blocks, inputs, out.attentions, strict=True):
                attn = block.attn
                h, d = attn.n_heads, attn.head_dim
                v = rearrange(attn.v_proj(x), "b t (h d) -> b t h d", h=h)  # (B, T, H, D)
                w_o = rearrange(attn.out_proj.weight, "c (h d) -> h d c", h=h, d=d)  # (H, D, C)
                fx = torch.einsum("bthd,hdc->bhtc", v, w_o).norm(dim=-1)  # (B, H, T): ||f_h(x_j)||
                an = a * fx[:, :, None, :]  # (B, H, T, T): a_ij ||f_h(x_j)||
                keys = is_special[:, None, None, :]
                w_share = (a * keys).sum(-1)  # (B, H, T) per query
                n_share = (an * keys).sum(-1) / an.sum(-1).clamp_min(1e-12)
                q = real[:, None, :].to(a.dtype)  # average over real queries only
                count = q.sum(-1).clamp_min(1)
                per_layer_w.append((w_share * q).sum(-1) / count)  # (B, H)
                per_layer_n.append((n_share * q).sum(-1) / count)
            weight.append(torch.stack(per_layer_w, 1))  # (B, L, H)
            norm.append(torch.stack(per_layer_n, 1))
            t = real.sum(1)
            n_tokens.append(t)
            uniform.append(torch.minimum(is_special.sum(1), t).to(torch.float32) / t)
    finally:
        for hk in hooks:
            hk.remove()
    return SpecialShares(torch.cat(weight).float(), torch.cat(norm).float(), torch.cat(uniform),
                         torch.cat(n_tokens))
