"""q2's models: one attention layer read linearly (where the symmetry bound applies) and a full Transformer
block, each with separate, shared or no W_Q/W_K, and attention to oneself masked out."""

from __future__ import annotations

import torch
from torch import nn

from attnlab.questions.q2_qk.settings import READOUTS, VARIANTS

__all__ = ["AttentionReadout", "BlockNoSelf", "build_model"]


class AttentionReadout(nn.Module):
    """One attention layer read by a linear layer: logits_i = W_out · attn(x)_i (no residual, no FFN).

    The answer can only come from the values attention points at, which is where the symmetry bound
    applies. Attention to oneself is masked out.
    """

    def __init__(self, vocab_size: int, d_model: int, n_classes: int, *, shared_qk: bool) -> None:
        super().__init__()
        from attnlab.attention import MultiHeadAttention

        self.embed = nn.Embedding(vocab_size, d_model)
        self.attn = MultiHeadAttention(d_model, 1, shared_qk=shared_qk)
        self.head = nn.Linear(d_model, n_classes)

    def forward(self, input_ids: torch.Tensor, need_weights: bool = False):
        t = input_ids.shape[1]
        x = self.embed(input_ids)  # (B, T, C)
        out, w = self.attn(x, attn_mask=~torch.eye(t, dtype=torch.bool), need_weights=need_weights)
        return self.head(out), w


class BlockNoSelf(nn.Module):
    """A one-block Transformer encoder (no positions) with attention to oneself masked out."""

    def __init__(self, vocab_size: int, d_model: int, n_classes: int, max_len: int, *, shared_qk: bool) -> None:
        super().__init__()
        from attnlab.models import TransformerEncoder

        self.encoder = TransformerEncoder(vocab_size=vocab_size, d_model=d_model, n_heads=1, n_layers=1,
                                          max_len=max_len, n_outputs=n_classes, positions="none",
                                          shared_qk=shared_qk)
        self.attn = self.encoder.layers[0].attn

    def forward(self, input_ids: torch.Tensor, need_weights: bool = False):
        t = input_ids.shape[1]
        out = self.encoder(input_ids, attn_mask=~torch.eye(t, dtype=torch.bool), need_weights=need_weights)
        return out.logits, (out.attentions[0] if need_weights else None)


def build_model(readout: str, variant: str, *, vocab_size: int, n_classes: int, max_len: int,
                d_model: int) -> nn.Module:
    """The q2 model for ``readout`` ("attention" or "block") and ``variant`` ("separate", "shared", "none").

    "none" is the shared module with W_Q frozen to the identity and a zero bias: q = k = the input.
    """
    if readout not in READOUTS or variant not in VARIANTS:
        raise ValueError(f"readout, variant: expected one of {READOUTS} and {VARIANTS}, got {readout!r}, {variant!r}")
    shared = variant != "separate"
    if readout == "attention":
        model: nn.Module = AttentionReadout(vocab_size, d_model, n_classes, shared_qk=shared)
    else:
        model = BlockNoSelf(vocab_size, d_model, n_classes, max_len, shared_qk=shared)
    if variant == "none":
        proj = model.attn.q_proj
        with torch.no_grad():
            proj.weight.copy_(torch.eye(d_model))
            proj.bias.zero_()
        proj.weight.requires_grad_(False)
        proj.bias.requires_grad_(False)
    return model
