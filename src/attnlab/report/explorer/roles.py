"""Head roles of one input, computed from its attention weights, as short labels for the explorer.

For every head, averaged over the query tokens of this one input:

- ``prev`` / ``next`` / ``self`` (positional): the mean weight on the key one position before / after
  / at the query (queries without such a key are left out) is at least ``threshold`` (0.5: the head
  attends *mostly* there);
- ``[CLS]``, ``[SEP]`` (any special token present, see ``special_tokens``): the mean mass on the keys
  holding that token is at least ``threshold``; when no single special token reaches it but all of
  them together do, the label joins them, e.g. ``[CLS]+[SEP]`` (Clark et al., 2019, "What does BERT
  look at?", read such heads as a no-op "parking" of attention);
- ``broad``: the mean normalised entropy, ``-Σ_j a_ij log a_ij / log n_i`` with n_i the number of keys
  the query may attend to (weight > 0), is at least ``broad_threshold`` (0.8; 1 is uniform). A broad
  head gets no other label: on a short input a near-uniform head puts much of its mass on [CLS] and
  [SEP] (2 of 7 tokens) without preferring them.

One sentence is little evidence: these labels describe what the explorer shows, not what the head
does in general. :func:`attnlab.analysis.roles.head_roles` measures roles over a corpus (with
argmax-based positional heads after Voita et al., 2019); pass its labels as ``roles=`` to
:func:`~attnlab.report.explorer.explorer_fragment` to show those instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from attnlab.report.explorer.data import validate_inputs

__all__ = ["SPECIAL_TOKENS", "head_role_stats", "head_roles_labels", "labels_from_stats", "role_notes"]

SPECIAL_TOKENS = ("[CLS]", "[SEP]", "[PAD]", "<s>", "</s>", "<pad>", "<cls>", "<sep>", "<bos>", "<eos>",
                  "<|endoftext|>")


def head_role_stats(tokens: Any, attentions: Any, *, special_tokens: Iterable[str] = SPECIAL_TOKENS,
                    ) -> dict[str, np.ndarray]:
    """The numbers behind :func:`head_roles_labels`, each an (L, H) array.

    Args:
        tokens, attentions: as for :func:`~attnlab.report.explorer.data.validate_inputs`: T strings
            and (L, H, T, T) weights (or a list of L (H, T, T)).
        special_tokens: token strings counted as special (default: BERT, RoBERTa, GPT-2 markers).

    Returns:
        ``{"prev", "next", "self", "entropy", <each special token present>: (L, H) array}``: mean
        weights at offsets -1, +1, 0, the mean normalised entropy, and the mean mass on each special
        token found in ``tokens``.
    """
    tokens, w = validate_inputs(tokens, attentions)
    T = w.shape[-1]
    stats: dict[str, np.ndarray] = {}
    for name, d in (("prev", -1), ("next", 1), ("self", 0)):
        diag = np.diagonal(w, offset=d, axis1=-2, axis2=-1)  # (L, H, T - |d|): a[i, i + d]
        stats[name] = diag.mean(-1) if diag.shape[-1] else np.zeros(w.shape[:2])
    allowed = (w > 0).sum(-1)  # (L, H, T): keys each query may attend to
    ent = -(w * np.log(np.where(w > 0, w, 1.0))).sum(-1)  # (L, H, T) nats
    norm = np.where(allowed > 1, ent / np.log(np.maximum(allowed, 2)), np.nan)
    counted = np.isfinite(norm).sum(-1)
    stats["entropy"] = np.where(counted > 0, np.nansum(norm, -1) / np.maximum(counted, 1), 0.0)
    specials = [s for s in dict.fromkeys(special_tokens) if s in tokens]
    for s in specials:
        cols = [j for j in range(T) if tokens[j] == s]
        stats[s] = w[..., cols].sum(-1).mean(-1)
    return stats


def head_roles_labels(
    tokens: Any,
    attentions: Any,
    *,
    threshold: float = 0.5,
    broad_threshold: float = 0.8,
    special_tokens: Iterable[str] = SPECIAL_TOKENS,
) -> list[list[str]]:
    """One short role label per head (``""`` where no role applies), from this input's weights.

    The rules and thresholds are in the module docstring: ``prev`` / ``next`` / ``self`` when the
    mean weight at that offset is >= ``threshold``; a special token's name when its mean mass is >=
    ``threshold`` (``[CLS]+[SEP]`` when only their sum is); ``broad`` (alone) when the mean
    normalised entropy is >= ``broad_threshold``. Several roles are joined with ", ".

    Args:
        tokens: T token strings.
        attentions: (L, H, T, T) weights, or a list of L (H, T, T) (see ``validate_inputs``).
        threshold: mean weight that makes a positional or special-token head, in (0, 1].
        broad_threshold: mean normalised entropy that makes a broad head, in (0, 1].
        special_tokens: which token strings are special.

    Returns:
        A list of L lists of H labels.

    Raises:
        ValueError: invalid inputs (see ``validate_inputs``) or a threshold outside (0, 1].
    """
    for name, value in (("threshold", threshold), ("broad_threshold", broad_threshold)):
        if not 0.0 < value <= 1.0:
            raise ValueError(f"{name}: expected a value in (0, 1], got {value}")
    return labels_from_stats(head_role_stats(tokens, attentions, special_tokens=special_tokens),
                             threshold=threshold, broad_threshold=broad_threshold)


def labels_from_stats(stats: dict[str, np.ndarray], *, threshold: float = 0.5, broad_threshold: float = 0.8,
                      ) -> list[list[str]]:
    """:func:`head_roles_labels` from :func:`head_role_stats`' numbers (L lists of H labels)."""
    specials = [k for k in stats if k not in ("prev", "next", "self", "entropy")]
    L, H = stats["prev"].shape
    labels: list[list[str]] = []
    for l in range(L):
        row = []
        for h in range(H):
            if stats["entropy"][l, h] >= broad_threshold:
                row.append("broad")
                continue
            found = [k for k in ("prev", "next", "self") if stats[k][l, h] >= threshold]
            single = [s for s in specials if stats[s][l, h] >= threshold]
            if single:
                found += single
            elif specials and sum(stats[s][l, h] for s in specials) >= threshold:
                found.append("+".join(specials))
            row.append(", ".join(found))
        labels.append(row)
    return labels


def role_notes(stats: dict[str, np.ndarray]) -> list[list[str]]:
    """Per head, the statistics in words, e.g. ``"prev 0.12 · next 0.03 · self 0.20 · [CLS] 0.85 · entropy 0.31"``."""
    L, H = stats["prev"].shape
    keys = [k for k in stats if k != "entropy"] + ["entropy"]
    return [[" · ".join(f"{k} {stats[k][l, h]:.2f}" for k in keys) for h in range(H)] for l in range(L)]
