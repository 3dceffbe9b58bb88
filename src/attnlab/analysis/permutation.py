"""Does the decision depend on where an attention-pooling model puts its weight? (Jain & Wallace 2019)

For a classifier that pools encoder states with attention, :math:`\\hat y = \\mathrm{softmax}(W \\sum_t a_t h_t)`,
the weights ``a`` are kept as a set but moved to other positions: for a random permutation :math:`\\pi` of a
text's real positions the output becomes :math:`\\mathrm{softmax}(W \\sum_t a_{\\pi(t)} h_t)`, with the states
``h`` and the classifier unchanged. If the output hardly moves, the weights' placement did not decide it.
The uniform weighting :math:`a_t = 1/T` (mean pooling of the same states) is reported beside it.

Jain & Wallace measure the change as the total variation distance (TVD) between the two output
distributions, :math:`\\tfrac12 \\sum_c |p_c - p'_c|`, and take the median over permutations per example.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["PermutationResult", "permutation_test"]


@dataclass(frozen=True)
class PermutationResult:
    """What :func:`permutation_test` measured on a batch of texts.

    Attributes:
        median_tvd: median over texts of the per-text median TVD over permutations.
        flip_rate: fraction of (text, permutation) pairs whose predicted class changes.
        accuracy: accuracy with the model's own weights (``nan`` without targets).
        permuted_accuracy: mean accuracy over permutations.
        uniform_accuracy: accuracy with uniform weights over the real positions.
    """

    median_tvd: float
    flip_rate: float
    accuracy: float
    permuted_accuracy: float
    uniform_accuracy: float

    def to_dict(self) -> dict[str, float]:
        return {"median_tvd": self.median_tvd, "flip_rate": self.flip_rate, "accuracy": self.accuracy,
                "permuted_accuracy": self.permuted_accuracy, "uniform_accuracy": self.uniform_accuracy}


@torch.no_grad()
def permutation_test(model: torch.nn.Module, inputs: torch.Tensor, *, targets: torch.Tensor | None = None,
                     key_mask: torch.Tensor | None = None, n_perm: int = 20,
                     generator: torch.Generator | None = None) -> PermutationResult:
    """Permute an attention-pooling :class:`~attnlab.models.RNNClassifier`'s weights within each text.

    Args:
        model: an ``RNNClassifier`` built with ``pooling="attention"`` (in eval mode for a clean test).
        inputs: (B, T) token ids.
        targets: (B,) class ids, for the accuracies (optional).
        key_mask: (B, T) bool, True on real tokens (right padding); padding keeps weight 0.
        n_perm: random permutations per text.
        generator: the permutations' random source (seed it for reproducible numbers).

    Returns:
        :class:`PermutationResult`.
    """
    if getattr(getattr(model, "config", None), "pooling", None) != "attention" or model.pool is None:
        raise ValueError("model: expected an RNNClassifier built with pooling='attention'")
    if not isinstance(n_perm, int) or n_perm < 1:
        raise ValueError(f"n_perm: expected an int >= 1, got {n_perm!r}")
    h, _ = model.encoder.encode(inputs, key_mask=key_mask)  # (B, T, C)
    pooled, a = model.pool(h, key_mask)  # (B, C), (B, T)
    p0 = model.classifier(pooled).softmax(-1)  # (B, K)
    b, t = a.shape
    lengths = key_mask.sum(1) if key_mask is not None else torch.full((b,), t)
    # One random permutation of the real positions per text and draw: sort random keys, padding last.
    real = torch.arange(t)[None, :] < lengths[:, None]  # (B, T)
    tvds, flips, perm_acc = [], [], []
    for _ in range(n_perm):
        keys = torch.rand(b, t, generator=generator).masked_fill(~real, float("inf"))
        order = keys.argsort(dim=1)  # (B, T): real positions in random order, then padding
        perm_a = a.gather(1, order)  # weight of position order[t] moved to position t
        p1 = model.classifier(torch.einsum("bt,btc->bc", perm_a, h)).softmax(-1)  # (B, K)
        tvds.append(0.5 * (p0 - p1).abs().sum(-1))  # (B,)
        flips.append((p0.argmax(-1) != p1.argmax(-1)).float().mean())
        if targets is not None:
            perm_acc.append((p1.argmax(-1) == targets).float().mean())
    uniform = real.float() / lengths[:, None].clamp_min(1)  # (B, T)
    p_uni = model.classifier(torch.einsum("bt,btc->bc", uniform, h)).softmax(-1)
    tvd = torch.stack(tvds).median(0).values  # (B,): median over permutations
    nan = float("nan")
    return PermutationResult(
        median_tvd=float(tvd.median()),
        flip_rate=float(torch.stack(flips).mean()),
        accuracy=float((p0.argmax(-1) == targets).float().mean()) if targets is not None else nan,
        permuted_accuracy=float(torch.stack(perm_acc).mean()) if targets is not None else nan,
        uniform_accuracy=float((p_uni.argmax(-1) == targets).float().mean()) if targets is not None else nan,
    )
