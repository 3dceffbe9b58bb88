"""Circuits: which heads play known roles, which activations carry a behaviour, what each layer predicts.

- :mod:`.detectors`: previous-token, duplicate-token and induction scores per head (:func:`detect_heads`);
- :mod:`.patching`: activation patching per head and per position (:func:`patch_heads`,
  :func:`patch_positions`), the share of a metric such as a logit difference recovered;
- :mod:`.lens`: the :func:`logit_lens` of a language model.

All read the hook points of :mod:`attnlab.attention.hooks`.
"""

from attnlab.analysis.circuits.detectors import (
    DETECTORS,
    detect_heads,
    duplicate_token_scores,
    induction_scores,
    previous_token_scores,
    role_mask,
    role_scores,
)
from attnlab.analysis.circuits.lens import logit_lens
from attnlab.analysis.circuits.patching import logit_difference, patch_heads, patch_positions

__all__ = [
    "DETECTORS",
    "detect_heads",
    "duplicate_token_scores",
    "induction_scores",
    "logit_difference",
    "logit_lens",
    "patch_heads",
    "patch_positions",
    "previous_token_scores",
    "role_mask",
    "role_scores",
]
