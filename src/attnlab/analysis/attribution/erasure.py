"""Leave-one-out erasure: the reference every attribution is checked against (Li et al. 2016,
"Understanding Neural Networks through Representation Erasure"; Jain & Wallace 2019 and Serrano & Smith
2019 use it to test attention).

The importance of token t is what removing it does to the model's output:
:math:`e_t = y(x) - y(x_{\\setminus t})`.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from attnlab.analysis.attribution.points import Target
from attnlab.validation import check_int

__all__ = ["erasure"]


def _without(x: Any, t: int, length: int, batch: int) -> Any:
    """``x`` with column t deleted when it is a per-token tensor (B, T, ...), else ``x``."""
    if isinstance(x, Tensor) and x.dim() >= 2 and tuple(x.shape[:2]) == (batch, length):
        return torch.cat([x[:, :t], x[:, t + 1:]], dim=1)
    return x


@torch.no_grad()
def erasure(model: Any, input_ids: Tensor, *, target: Target, replace: int | None = None, **kw: Any) -> Tensor:
    """Leave-one-out erasure: ``y(x) - y(x without token t)`` for every token t.

    Args:
        model: any callable model (``model(input_ids, **kw)``).
        input_ids: (B, T) long.
        target: output -> (B,) the number to explain.
        replace: None deletes token t (and column t of every per-token (B, T, ...) keyword such as
            ``key_mask``); a token id (e.g. [MASK] or [UNK]) replaces it instead, keeping positions.

    Returns:
        (B, T): positive where removing the token lowers y.
    """
    if not isinstance(input_ids, Tensor) or input_ids.dim() != 2 or input_ids.dtype != torch.long:
        got = (f"{tuple(input_ids.shape)} {input_ids.dtype}" if isinstance(input_ids, Tensor)
               else type(input_ids).__name__)
        raise ValueError(f"input_ids: expected a (B, T) long tensor, got {got}")
    if not callable(target):
        raise TypeError(f"target: expected a callable output -> (B,) tensor, got {type(target).__name__}")
    check_int("replace", replace, 0, optional=True)
    batch, length = input_ids.shape
    full = target(model(input_ids, **kw))
    scores = []
    for t in range(length):
        if replace is None:
            ids = _without(input_ids, t, length, batch)
            extra = {k: _without(v, t, length, batch) for k, v in kw.items()}
        else:
            ids, extra = input_ids.clone(), kw
            ids[:, t] = replace
        scores.append(full - target(model(ids, **extra)))
    return torch.stack(scores, dim=1)  # (B, T)
