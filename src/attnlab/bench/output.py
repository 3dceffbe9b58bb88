"""How a benchmark run is shown: table cells, the rich table, and the JSON file."""

from __future__ import annotations

import json
from pathlib import Path

from attnlab.bench.spec import CaseResult
from attnlab.results import atomic_write_text

__all__ = ["COLUMNS", "format_ratio", "format_value", "print_table", "table_rows", "write_json"]


def format_value(x: float | None, unit: str) -> str:
    """A table cell: ``x`` with 3-4 significant digits and its unit, or "-"."""
    if x is None:
        return "-"
    if unit == "tokens":
        return f"{x:.0f}"
    ax = abs(x)
    text = f"{x:,.0f}" if ax >= 100 else f"{x:.3g}" if ax >= 0.01 or ax == 0 else f"{x:.2e}"
    return f"{text} {unit}"


def format_ratio(r: float | None) -> str:
    if r is None:
        return "-"
    return f"{r:.3f}" if abs(r) >= 0.01 or r == 0 else f"{r:.1e}"


def format_met(result: CaseResult, quick: bool) -> str:
    if result.error:
        return "error"
    if result.target is None:
        return "-"
    if quick:
        return "n/a (quick)"
    return {True: "yes", False: "no", None: "-"}[result.met]


def table_rows(results: list[CaseResult], quick: bool) -> list[list[str]]:
    """Rows of (case, attnlab, peer, ratio, target, met?) as strings."""
    rows = []
    for r in results:
        rows.append([
            r.title,
            "error" if r.error else format_value(r.attnlab, r.unit),
            format_value(r.peer, r.unit),
            format_ratio(r.ratio),
            r.target or "-",
            format_met(r, quick),
        ])
    return rows


COLUMNS = ["case", "attnlab", "peer", "ratio", "target", "met?"]


def print_table(results: list[CaseResult], quick: bool = False, console=None) -> None:
    """Print the results as a rich table, peers and errors underneath."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    table = Table(title="attnlab bench" + (" (quick: smoke run, targets not evaluated)" if quick else ""))
    for col in COLUMNS:
        table.add_column(col, justify="left" if col in ("case", "target") else "right")
    for row in table_rows(results, quick):
        table.add_row(*row)
    console.print(table)
    for r in results:
        if r.error:
            console.print(f"[red]{r.name}[/red]: {r.error}")
        elif r.notes:
            console.print(f"[dim]{r.name}: peer = {r.peer_name}; {r.notes}[/dim]")


def write_json(payload: dict, path: Path) -> None:
    """Write ``payload`` as JSON atomically (temporary file in the same directory, then rename)."""
    atomic_write_text(path, json.dumps(payload, indent=2, default=str) + "\n")
