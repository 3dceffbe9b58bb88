"""Named random streams: every seed a trial derives from its run's seed, in one table.

A trial draws its data, held-out sets and probes from streams derived from the run's ``seed`` by name, so
that two streams never collide by accident and a reader can see every one in one place::

    gen = torch.Generator().manual_seed(seeds.stream(config["seed"], "q3.probe_batch"))

A stream's number is ``base + stride * seed + index``. The bases are fixed: changing one changes every
result that reads the stream.
"""

from __future__ import annotations

import torch

__all__ = ["STREAMS", "generator", "stream"]

STREAMS: dict[str, tuple[int, int]] = {
    # name: (base, stride)
    "q1.importance_batches": (50_000, 1),  # q1: batches on which head importance is estimated
    "q1.heldout": (90_000, 1),  # q1: held-out batches for accuracy after pruning
    "q1.probe_batch": (70_000, 1),  # q1: the batch on which head roles are read
    "q1.prune_order": (0, 1000),  # q1: random pruning orders (index: the order's number)
    "q2.probe_batch": (777_000, 1),  # q2: the batch on which score symmetry is measured
    "q2.text_eval": (3_000_017, 1),  # q2: held-out text for the character LM
    "q3.probe_batch": (555_000, 1),  # q3: the batch on which saturation and gradients are measured
    "q4.probe_batch": (444_000, 1),  # q4: the inputs whose trained logits are measured
    "q6.heldout": (555_000, 1),  # q6: held-out sequences per distance
    "q7.analysis_batch": (707_000, 1),  # q7: the batch on which attention on the deciding words is read
    "q7.permutation": (707_001, 1),  # q7: the permutation test's shuffles
    "q9.extrapolation_eval": (909_000, 10),  # q9: test sets per length factor (index: the factor's position)
    "q10.probe_batch": (10_000, 1),  # q10: the learning curve's batch
    "q10.heldout": (20_000, 1),  # q10: held-out sequences
    "q10.stream": (40_000, 1),  # q10: the held-out stream of the streaming arm (first tokens evicted or kept)
    "q11.analysis_batch": (1_100_000, 1),  # q11: the held-out texts every attribution is read on
    "q12.probe_batch": (1_200_000, 1),  # q12: the learning curve's batch
    "q12.heldout": (1_210_000, 1),  # q12: held-out sequences (detectors, patching, ablation)
    "q12.corrupt": (1_220_000, 1),  # q12: the symbols that replace the segment's first copy in the corrupted run
    "q13.heldout": (1_300_013, 1),  # q13: held-out text windows and recall sequences
}


def stream(seed: int, name: str, index: int = 0) -> int:
    """The seed of stream ``name`` for the run's ``seed``: ``base + stride * seed + index``."""
    if name not in STREAMS:
        raise KeyError(f"stream: expected one of {sorted(STREAMS)}, got {name!r} (add it to attnlab.seeds.STREAMS)")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise TypeError(f"seed: expected an int, got {type(seed).__name__}")
    base, stride = STREAMS[name]
    return base + stride * seed + index


def generator(seed: int, name: str, index: int = 0) -> torch.Generator:
    """A CPU generator seeded with :func:`stream`."""
    return torch.Generator().manual_seed(stream(seed, name, index))
