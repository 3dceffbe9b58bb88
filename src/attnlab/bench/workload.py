"""The fresh process behind :func:`attnlab.bench.memory.measure_memory`: ``NAME --device DEV [--quick]``.

Builds workload ``NAME`` of :data:`attnlab.bench.cases.MEMORY_WORKLOADS`, runs it once, measures its peak
memory (:func:`attnlab.bench.memory.run_workload`) and prints one line: the marker, then the result as JSON.
"""

from __future__ import annotations

import argparse
import json

import torch

from attnlab.bench.cases import MEMORY_WORKLOADS
from attnlab.bench.memory import MEMORY_MARK, run_workload
from attnlab.bench.spec import CaseContext

__all__ = ["main"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="attnlab-bench-memory")
    parser.add_argument("name", choices=sorted(MEMORY_WORKLOADS))
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)

    ctx = CaseContext(quick=args.quick, device=args.device)
    torch.manual_seed(0)
    op = MEMORY_WORKLOADS[args.name].setup(ctx)  # imports and input allocation happen here
    result = run_workload(args.name, op, args.device)
    print(MEMORY_MARK + json.dumps(result.to_dict()), flush=True)
    return 0
