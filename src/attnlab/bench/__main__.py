"""``python -m attnlab.bench [--quick] [--json FILE] [--device cpu|cuda] [--docs docs/benchmarks.md]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m attnlab.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny shapes, a smoke run (targets not evaluated)")
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="write the results as JSON")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--docs", type=Path, default=None, metavar="FILE",
                        help="write the Markdown page (docs/benchmarks.md)")
    parser.add_argument("--cases", default=None,
                        help="comma-separated case names or prefixes (default: all); see --list")
    parser.add_argument("--merge", type=Path, default=None, metavar="FILE",
                        help="a previous run's JSON: rows of the cases not run now are kept from it, with their date")
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args(argv)

    from attnlab.bench import CASES, run_bench

    if args.list:
        for c in CASES.values():
            target = c.target.describe() if c.target else "-"
            print(f"{c.name:28s} {target:18s} {c.title}")
        return 0
    try:
        results = run_bench(
            args.quick,
            args.json,
            args.device,
            cases=args.cases.split(",") if args.cases else None,
            docs_path=args.docs,
            merge=args.merge,
            command=" ".join(["python -m attnlab.bench", *(argv if argv is not None else sys.argv[1:])]),
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 1 if any(r.error for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
