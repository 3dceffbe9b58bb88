"""The pieces one decoded token is made of, shared by every attention step of the decode plan
(:mod:`attnlab.models.decode_plan`): a matmul for a few rows in the faster weight layout, RoPE's rotation of
the decoded position as one matrix, and the softmax over one query's scores with the switches that act
on them (soft-cap, position bias, sink)."""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["RowLinear", "Rotary", "attend_with_sink", "rotation_matrices", "score_weights"]


class RowLinear:
    """``x W^T + b`` for a few rows x (B, K), with W read in the layout that is fastest for that.

    Measured on CPU (MKL, 2 threads, the matrices of GPT-2 6x512 plus an 8192-row head, one pass each):
    for 1 row the two layouts tie (468 vs 473 us); for 2 or 3 rows ``F.linear`` on the (N, K) layout of
    ``nn.Linear`` is faster (471 vs 591 us at 2 rows, 510 vs 590 at 3); from 4 rows on the (K, N) row-major
    copy wins by far (741 vs 1,318 us at 8 rows). The plan keeps a transposed copy when the model's weights
    are small enough to hold twice (``transpose``) and reads the (N, K) matrix for 2 or 3 rows; without a
    copy it reads the module's own weight.
    """

    #: row counts that read the (N, K) layout even where a (K, N) copy exists
    ROWS_FIRST = (2, 3)

    def __init__(self, weight: Tensor, bias: Tensor | None, transpose: bool) -> None:
        self.transposed = transpose
        self.rows = weight.detach()  # (N, K): the module's own weight, or the plan's fused copy
        self.weight = self.rows.t().contiguous() if transpose else self.rows  # (K, N) or (N, K)
        self.bias = None if bias is None else bias.detach()

    def _kn(self, x: Tensor) -> Tensor:
        """W as a (K, N) operand: the copy, or a transposed view of the (N, K) matrix."""
        return self.weight if self.transposed and x.shape[0] not in self.ROWS_FIRST else self.rows.t()

    def __call__(self, x: Tensor) -> Tensor:
        w = self._kn(x)
        if self.bias is None:
            return x @ w
        return torch.addmm(self.bias, x, w)

    def add_to(self, residual: Tensor, x: Tensor) -> Tensor:
        """``residual + x W^T + b`` in one matmul that accumulates into the residual (which it overwrites:
        the plan's own tensor, read by nothing else)."""
        if self.bias is not None:
            residual = residual.add_(self.bias)
        return torch.addmm(residual, x, self._kn(x))


def rotation_matrices(cos: Tensor, sin: Tensor, head_dim: int) -> Tensor:
    """RoPE at every position as a matrix: ``x @ M[p]`` equals :func:`~attnlab.attention.rotary.rotate` of a
    row x (D,) at position p. cos, sin (L, r) as :func:`~attnlab.attention.rotary.rotary_cos_sin` gives them
    (both halves equal), r <= D; returns M (L, D, D): on the first r features, pair (i, i + r/2) turns by its
    angle, ``y_i = x_i cos - x_{i+r/2} sin`` and ``y_{i+r/2} = x_{i+r/2} cos + x_i sin``; the rest pass."""
    length, r = cos.shape
    half = r // 2
    m = torch.zeros(length, head_dim, head_dim, dtype=cos.dtype, device=cos.device)
    i = torch.arange(half, device=cos.device)
    c, s = cos[:, :half], sin[:, :half]  # (L, r/2)
    m[:, i, i] = c
    m[:, i + half, i + half] = c
    m[:, i + half, i] = -s
    m[:, i, i + half] = s
    rest = torch.arange(r, head_dim, device=cos.device)
    m[:, rest, rest] = 1.0
    return m


class Rotary:
    """RoPE's angles at every position, cos and sin (L, r), and the rotation matrix of the position being
    decoded, written once per token into one (D, D) buffer for all the layers that share it (a table of one
    matrix per position would take L x D x D)."""

    def __init__(self, cos: Tensor, sin: Tensor, head_dim: int) -> None:
        half = cos.shape[1] // 2
        c, s = cos[:, :half], sin[:, :half]  # (L, r/2): both halves of a pair share their angle
        self._matrix = rotation_matrices(cos[:1], sin[:1], head_dim)[0]  # position 0: the identity's pattern
        i = torch.arange(half, device=cos.device)
        # the four entries of each turning pair, in the order rotation_matrices writes them (cos, cos, -sin,
        # sin), as flat indices into the matrix and their values at every position (L, 2r): a token writes
        # its row of values with one index_copy_
        rows, cols = torch.cat((i, i + half, i + half, i)), torch.cat((i, i + half, i, i + half))
        self._flat = rows * head_dim + cols
        self._entries = torch.cat((c, c, -s, s), dim=1)
        self._position = 0

    def matrix(self, p: int) -> Tensor:
        if p != self._position:
            self._matrix.view(-1).index_copy_(0, self._flat, self._entries[p])
            self._position = p
        return self._matrix


# SDPA's CPU kernel that also returns each row's log-sum-exp (a private op: where it is missing, or off the
# CPU, the sink takes the plain math path)
_FLASH_LSE = getattr(torch.ops.aten, "_scaled_dot_product_flash_attention_for_cpu", None)


def attend_with_sink(q: Tensor, keys: Tensor, values: Tensor, scale: float, sink: Tensor,
                     bias: Tensor | None = None) -> Tensor | None:
    """Softmax attention with a sink (one more key of logit σ and value 0) in SDPA's fused kernel, or None
    where that kernel is not available.

    With L the log-sum-exp of a row's scores, the sink only rescales the output:
    :math:`\\sum_j e^{s_j} v_j / (e^L + e^σ) = o \\cdot \\mathrm{sigmoid}(L - σ)`, o being SDPA's output
    without it. q (B, H, G, D); keys, values (B, H, T, D); sink broadcast to (B, H, G, 1); bias (H, G, T)
    added to the scores or None. Returns (B, H, G, D).
    """
    if _FLASH_LSE is None or q.device.type != "cpu" or q.dtype != torch.float32:
        return None
    mask = None if bias is None else bias.unsqueeze(0)
    out, lse = _FLASH_LSE(q, keys, values, 0.0, False, attn_mask=mask, scale=scale)  # (B, H, G, D), (B, H, G)
    return out.mul_(lse.unsqueeze(-1).sub_(sink).sigmoid_())  # in place: both are this call's own


def score_weights(s: Tensor, scale: float, softcap: float | None, bias: Tensor | None,
                  sink: Tensor | None) -> Tensor:
    """The attention weights of one query per row from its raw scores ``s`` (..., T), in the order the
    general kernel applies the switches: times ``scale``, the soft-cap ``cap · tanh(s / cap)``, plus the
    position ``bias`` (broadcast to s), then a softmax with the ``sink`` logit (broadcast to s's shape
    with a last dimension of 1) as one more key whose value is 0."""
    if scale != 1.0:
        s = s * scale
    if softcap is not None:
        s = torch.tanh(s / softcap) * softcap
    if bias is not None:
        s = s + bias
    if sink is None:
        return torch.softmax(s, dim=-1)
    return torch.softmax(torch.cat((sink.expand(*s.shape[:-1], 1), s), dim=-1), dim=-1)[..., 1:]


def rotary_table(attn, rotary_dim: int, width: int, max_len: int, rotaries: dict) -> Rotary:
    """The :class:`Rotary` of ``attn``'s RoPE setting turning rows of ``width`` features, one per distinct
    setting: the layers that share it share its per-token matrix (``rotaries`` maps settings to them)."""
    c = attn.config
    key = (rotary_dim, c.rotary_base, c.rotary_scaling, c.rotary_factor, c.rotary_original_len, width)
    if key not in rotaries:
        from attnlab.attention.rotary import rotary_cos_sin

        weight = attn.q_proj.weight
        cos, sin = rotary_cos_sin(torch.arange(max_len, device=weight.device), rotary_dim, c.rotary_base,
                                  c.rope_scaling())  # (L, r)
        rotaries[key] = Rotary(cos.to(weight.dtype), sin.to(weight.dtype), width)
    return rotaries[key]


def bias_table(attn, max_len: int) -> Tensor | None:
    """``attn``'s ALiBi or T5 bias of every distance a query can have to a key, (H, L): column ``L - 1 - d``
    is distance d (rel = j - p from -(L-1) to 0); None without one."""
    if attn.position_bias is None:
        return None
    rel = torch.arange(-(max_len - 1), 1, device=attn.q_proj.weight.device)
    return attn.position_bias(rel).detach().to(attn.q_proj.weight.dtype)


def sink_logits(attn) -> Tensor | None:
    """The sink's logit per head, (H,): learned, 0 (off-by-one softmax), or None without a sink."""
    sink = attn.config.sink
    if sink == "learned":
        return attn.sink_logits.detach()
    if sink == "zero":
        return attn.q_proj.weight.new_zeros(attn.config.n_heads)
    return None
