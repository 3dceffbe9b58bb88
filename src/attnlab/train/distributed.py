"""Data parallelism under ``torchrun``: the process group, this rank's place in it, and the device.

When ``WORLD_SIZE > 1`` (as set by ``torchrun --nproc_per_node=N``) :func:`setup_distributed` joins the
process group (gloo on CPU, NCCL on CUDA). Every rank draws the same global batch from the seed and
keeps its slice; the loop normalises each rank's loss by the global number of targets, so the averaged
gradient equals the single-process gradient of the same global batch.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
from torch import Tensor

__all__ = ["Dist", "resolve_device", "setup_distributed"]


@dataclass
class Dist:
    """This process's rank in the group (``world`` 1 outside ``torchrun``) and the collectives it needs."""

    rank: int = 0
    world: int = 1
    owns_group: bool = False

    @property
    def enabled(self) -> bool:
        return self.world > 1

    def barrier(self) -> None:
        if self.enabled:
            import torch.distributed as dist

            dist.barrier()

    def all_reduce(self, t: Tensor) -> Tensor:
        if self.enabled:
            import torch.distributed as dist

            dist.all_reduce(t)
        return t


def resolve_device(pref: str, local_rank: int) -> torch.device:
    """The device for ``pref`` ("auto", "cpu", "cuda", "cuda:N"); plain "cuda" picks this rank's GPU."""
    if pref == "auto":
        pref = "cuda" if torch.cuda.is_available() else "cpu"
    if pref.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(f"device: {pref!r} requested but CUDA is not available")
        if pref == "cuda":
            return torch.device("cuda", local_rank % torch.cuda.device_count())
    return torch.device(pref)


def setup_distributed(device: torch.device) -> Dist:
    """Join the process group when ``WORLD_SIZE > 1`` (gloo on CPU, NCCL on CUDA); else a single-process Dist."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist()
    import torch.distributed as dist

    if not dist.is_available():
        raise RuntimeError("WORLD_SIZE > 1 but torch.distributed is not available in this build")
    owns = False
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
        owns = True
    return Dist(rank=dist.get_rank(), world=dist.get_world_size(), owns_group=owns)
