"""T5's relative position bias (Raffel et al. 2020, section 2.1; Shaw et al. 2018 before it).

Each head learns one scalar per *bucket* of relative position and adds it to its logits:

.. math::  s_h(i, j) \\mathrel{+}= b_h[\\mathrm{bucket}(j - i)]

Small distances get a bucket each; larger ones share logarithmically wider buckets up to ``max_distance``,
beyond which everything falls in the last bucket. Bidirectional attention (the encoder) splits the buckets
between keys before and after the query; causal attention (the decoder) only has keys at or before it.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

__all__ = ["RelativePositionBias", "relative_position_bucket"]


def relative_position_bucket(
    relative_position: Tensor, *, bidirectional: bool = True, num_buckets: int = 32, max_distance: int = 128
) -> Tensor:
    r"""T5's bucket of each relative position ``j - i`` (key position minus query position).

    With ``n = num_buckets`` (halved when bidirectional, the upper half for keys after the query) and a
    distance :math:`d = |j - i|` (bidirectional) or :math:`d = \max(i - j, 0)` (causal):

    .. math::
        \mathrm{bucket}(d) = \begin{cases} d & d < n/2 \\
        \min\!\Big(n - 1,\; n/2 + \Big\lfloor \frac{\log(d / (n/2))}{\log(\mathrm{max\_distance} / (n/2))}
        (n - n/2) \Big\rfloor\Big) & \text{otherwise} \end{cases}

    Args:
        relative_position: integer tensor of any shape, ``j - i``.
        bidirectional: False for causal attention (keys after the query share bucket 0).
        num_buckets: buckets in all (32 in T5).
        max_distance: distances from here on share the last bucket (128 in T5).

    Returns:
        Long tensor of buckets in ``[0, num_buckets)``, the shape of ``relative_position``.
    """
    if not isinstance(relative_position, Tensor) or relative_position.is_floating_point():
        got = relative_position.dtype if isinstance(relative_position, Tensor) else type(relative_position).__name__
        raise TypeError(f"relative_position: expected an integer tensor, got {got}")
    check_buckets(num_buckets, max_distance, bidirectional)
    rel = relative_position.long()
    buckets = torch.zeros_like(rel)
    if bidirectional:
        num_buckets //= 2
        buckets = buckets + (rel > 0).long() * num_buckets  # keys after the query use the upper half
        distance = rel.abs()
    else:
        distance = (-rel).clamp_min(0)  # keys after the query all fall in bucket 0
    max_exact = num_buckets // 2
    is_small = distance < max_exact
    # log-spaced buckets from max_exact to max_distance (clamp_min: log(0) is never selected, keep it finite)
    log_ratio = torch.log(distance.clamp_min(1).float() / max_exact) / math.log(max_distance / max_exact)
    # truncate before adding max_exact, as T5 does: adding first can round up across an integer in float32
    large = (max_exact + (log_ratio * (num_buckets - max_exact)).long()).clamp_max(num_buckets - 1)
    return buckets + torch.where(is_small, distance, large)


def check_buckets(num_buckets: int, max_distance: int, bidirectional: bool) -> None:
    """Raise unless the bucket settings describe T5's buckets (an exact half and a log half per direction)."""
    if not isinstance(bidirectional, bool):
        raise TypeError(f"bidirectional: expected a bool, got {type(bidirectional).__name__}")
    least = 4 if bidirectional else 2  # each direction needs an exact half and a log half
    if isinstance(num_buckets, bool) or not isinstance(num_buckets, int) or num_buckets < least:
        raise ValueError(
            f"num_buckets: expected an int >= {least} (bidirectional={bidirectional}), got {num_buckets!r}"
        )
    max_exact = (num_buckets // 2 if bidirectional else num_buckets) // 2
    if isinstance(max_distance, bool) or not isinstance(max_distance, int) or max_distance <= max_exact:
        raise ValueError(
            f"max_distance: expected an int > {max_exact} (the last exact distance for num_buckets={num_buckets}), "
            f"got {max_distance!r}"
        )


class RelativePositionBias(nn.Module):
    """A learned logit bias per head and relative-position bucket (T5).

    Args:
        n_heads: H.
        num_buckets: buckets of relative position (32 in T5).
        max_distance: distances from here on share the last bucket (128 in T5).
        bidirectional: True for an encoder, False for causal self-attention.
        init_std: std of the normal initialisation of the table.

    Attributes:
        weight: (num_buckets, H), the layout of Hugging Face T5's ``relative_attention_bias.weight``.

    Shape:
        forward(rel) with rel = j - i, an integer tensor of any shape (...) -> bias (H, ...).

    Unlike T5, which shares one table across the layers of a stack, every attention layer here owns its
    table: layers stay independent modules and prune their heads on their own.
    """

    def __init__(
        self, n_heads: int, num_buckets: int = 32, max_distance: int = 128, bidirectional: bool = True,
        init_std: float = 0.02,
    ) -> None:
        super().__init__()
        check_buckets(num_buckets, max_distance, bidirectional)
        self.num_buckets = num_buckets
        self.max_distance = max_distance
        self.bidirectional = bidirectional
        self.weight = nn.Parameter(torch.randn(num_buckets, n_heads) * init_std)

    def forward(self, rel: Tensor) -> Tensor:
        buckets = relative_position_bucket(
            rel, bidirectional=self.bidirectional, num_buckets=self.num_buckets, max_distance=self.max_distance
        )
        bias = self.weight[buckets]  # (..., H)
        return bias.movedim(-1, 0)  # (H, ...)

    def prune_heads(self, keep: Tensor) -> None:
        """Keep the table columns of the heads in ``keep``."""
        self.weight = nn.Parameter(self.weight.data.index_select(1, keep.to(self.weight.device)).clone())

    def extra_repr(self) -> str:
        return (f"n_heads={self.weight.shape[1]}, num_buckets={self.num_buckets}, "
                f"max_distance={self.max_distance}, bidirectional={self.bidirectional}")
