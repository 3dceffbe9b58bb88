"""The ``attnlab`` command line (also ``python -m attnlab``).

Commands::

    attnlab list                                   the eight questions
    attnlab run q3 [--profile quick] [--seeds 3] [--out DIR]
    attnlab report [--profile quick] [--out DIR] [--only q1,q3]
    attnlab ask q3 [--out DIR]                     question, claim, verdict and key numbers of the last run
    attnlab inspect "some text" [--layer L] [--head H] [--out DIR]
    attnlab bench [--quick] [--json FILE] [--device cpu|cuda]
    attnlab train CONFIG

Heavy modules (torch models, experiments, the pretrained loader) are imported inside the commands, so
``attnlab list`` stays fast. Bad input is reported as one line on stderr, without a traceback, and the
command exits with status 1.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from attnlab.experiments.base import ExperimentError, get_info, list_experiments, read_result

__all__ = ["app", "main"]

DEFAULT_OUT = Path("attnlab-report")

app = typer.Typer(
    name="attnlab",
    help="attnlab: attention and the Transformer, with the seed's eight questions measured.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


class Profile(str, Enum):
    tiny = "tiny"
    quick = "quick"
    full = "full"


class Device(str, Enum):
    cpu = "cpu"
    cuda = "cuda"


def _user_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [ValueError, TypeError, FileNotFoundError, ExperimentError]
    try:
        from attnlab.pretrained import PretrainedUnavailable

        errors.append(PretrainedUnavailable)
    except ImportError:
        pass
    return tuple(errors)


def _handle_errors(fn: F) -> F:
    """Print user errors as one line (no traceback) and exit with status 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except _user_errors() as exc:
            err_console.print(f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False, markup=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _parse_only(only: str | None) -> list[str] | None:
    if only is None:
        return None
    known = {i.qid for i in list_experiments()}
    qids = [q.strip().lower() for q in only.split(",") if q.strip()]
    bad = [q for q in qids if q not in known]
    if bad or not qids:
        raise ValueError(f"--only: expected a comma-separated list of {sorted(known)}, got {only!r}")
    order = [i.qid for i in list_experiments()]
    return [q for q in order if q in qids]


def _check_qid(qid: str) -> str:
    qid = qid.strip().lower()
    get_info(qid)  # raises ValueError naming the known ids
    return qid


@app.command("list")
def list_cmd() -> None:
    """List the eight questions."""
    table = Table(title="attnlab questions")
    table.add_column("id")
    table.add_column("question")
    table.add_column("title")
    for info in list_experiments():
        table.add_row(info.qid, info.question_zh, info.title)
    console.print(table)


@app.command("run")
@_handle_errors
def run_cmd(
    qid: Annotated[str, typer.Argument(help="question id, q1 ... q8")],
    profile: Annotated[Profile, typer.Option(help="run size")] = Profile.quick,
    seeds: Annotated[int | None, typer.Option(min=1, help="number of seeds (default: per experiment)")] = None,
    out: Annotated[Path, typer.Option(help="output folder")] = DEFAULT_OUT,
    progress: Annotated[bool, typer.Option(help="show progress bars")] = True,
) -> None:
    """Run one question's experiment and write OUT/<qid>/result.json."""
    from attnlab.experiments.base import run_experiment

    qid = _check_qid(qid)
    result = run_experiment(qid, profile=profile.value, seeds=seeds, out=out, progress=progress)
    _print_result(result)
    console.print(f"wrote {out / qid / 'result.json'} in {result.seconds:.1f} s")


@app.command("report")
@_handle_errors
def report_cmd(
    profile: Annotated[Profile, typer.Option(help="run size")] = Profile.quick,
    out: Annotated[Path, typer.Option(help="output folder")] = DEFAULT_OUT,
    only: Annotated[str | None, typer.Option(help="comma-separated question ids, e.g. q1,q3")] = None,
    seeds: Annotated[int | None, typer.Option(min=1, help="number of seeds (default: per experiment)")] = None,
    progress: Annotated[bool, typer.Option(help="show progress bars")] = True,
) -> None:
    """Run what is missing (resuming a half-done run), then write OUT/index.html."""
    from attnlab.experiments.base import run_experiment
    from attnlab.report.html import write_report

    qids = _parse_only(only) or [i.qid for i in list_experiments()]
    status: dict[str, str] = {}
    errors: dict[str, str] = {}
    seconds: dict[str, float] = {}
    verdicts: dict[str, str] = {}
    for qid in qids:
        try:
            existing = read_result(out, qid)
        except ExperimentError:
            existing = None  # unreadable: run again
        if existing is not None and existing.profile == profile.value and (
            seeds is None or len(existing.seeds) == seeds
        ):
            status[qid], seconds[qid], verdicts[qid] = "resumed", existing.seconds, existing.verdict
            continue
        console.print(f"[bold]{qid}[/bold] {get_info(qid).title} ({profile.value})")
        try:
            result = run_experiment(qid, profile=profile.value, seeds=seeds, out=out, progress=progress)
        except KeyboardInterrupt:
            raise
        except Exception as exc:  # noqa: BLE001 - one failing question must not lose the others
            errors[qid] = f"{type(exc).__name__}: {exc}"
            status[qid], seconds[qid], verdicts[qid] = "failed", 0.0, "failed"
            err_console.print(f"[red]{qid} failed:[/red] {errors[qid]}", highlight=False)
            continue
        status[qid], seconds[qid], verdicts[qid] = "ran", result.seconds, result.verdict
    path = write_report(out, only=_parse_only(only), errors=errors, command_out=str(out))

    table = Table(title=f"attnlab report ({profile.value})")
    for col in ("id", "status", "verdict", "wall time (s)"):
        table.add_column(col, justify="right" if col.startswith("wall") else "left")
    for qid in qids:
        table.add_row(qid, status[qid], verdicts[qid], f"{seconds[qid]:.1f}")
    ran = sum(s for q, s in seconds.items() if status[q] == "ran")
    table.add_row("total", "", "", f"{sum(seconds.values()):.1f}", end_section=True)
    console.print(table)
    console.print(f"ran now: {ran:.1f} s · report: {path}")
    if errors:
        raise typer.Exit(1)


@app.command("ask")
@_handle_errors
def ask_cmd(
    qid: Annotated[str, typer.Argument(help="question id, q1 ... q8")],
    out: Annotated[Path, typer.Option(help="output folder of the run")] = DEFAULT_OUT,
) -> None:
    """Show the question, the seed's claim, the verdict and the key numbers of the last run."""
    qid = _check_qid(qid)
    result = read_result(out, qid)
    if result is None:
        raise FileNotFoundError(
            f"no result for {qid} in {out}; run `attnlab run {qid} --out {out}` first"
        )
    _print_result(result)


def _print_result(result: Any) -> None:
    from attnlab.report.html import format_value

    info = get_info(result.qid)
    console.print(f"[bold]{result.qid}[/bold] {result.question_zh or info.question_zh}", highlight=False)
    console.print(result.question or info.question_en, highlight=False, markup=False)
    console.print(f"[dim]claim:[/dim] {result.claim}", highlight=False)
    console.print(f"[bold]verdict: {result.verdict}[/bold]", highlight=False)
    console.print(result.rule, highlight=False, markup=False)
    console.print(result.summary, highlight=False, markup=False)
    table = Table(show_lines=False)
    table.add_column("evidence", overflow="fold")
    table.add_column("value [95% CI]")
    table.add_column("unit")
    table.add_column("published")
    for e in result.evidence:
        table.add_row(e.name, format_value(e.value, e.ci, max_items=6), e.unit, e.anchor or "")
    console.print(table)


@app.command("inspect")
@_handle_errors
def inspect_cmd(
    text: Annotated[str, typer.Argument(help="text to run through the pretrained model")],
    layer: Annotated[int | None, typer.Option(help="layer to show (default: all)")] = None,
    head: Annotated[int | None, typer.Option(help="head to show (default: all)")] = None,
    out: Annotated[Path, typer.Option(
        help="output folder: index.html (the attention explorer) and the figures")] = Path("attnlab-inspect"),
) -> None:
    """Attention maps of a real pretrained model on TEXT."""
    from attnlab.pretrained.inspect import run_inspect

    run_inspect(text, layer=layer, head=head, out_dir=out)  # prints its table and writes the figures


@app.command("bench")
@_handle_errors
def bench_cmd(
    quick: Annotated[bool, typer.Option("--quick", help="short run")] = False,
    json_path: Annotated[Path | None, typer.Option("--json", help="write the results as JSON here")] = None,
    device: Annotated[Device, typer.Option(help="device to benchmark on")] = Device.cpu,
) -> None:
    """The performance suite (attention kernels, models, generation)."""
    from attnlab.bench import run_bench

    run_bench(quick=quick, json_path=json_path, device=device.value)  # prints its own table


@app.command("train")
@_handle_errors
def train_cmd(
    config: Annotated[Path, typer.Argument(help="training config file")],
) -> None:
    """Train a model from a config file (also under torchrun)."""
    if not config.is_file():
        raise FileNotFoundError(f"CONFIG: no such file: {config}")
    from attnlab.train import main as train_main

    train_main(config)  # prints the final metrics


def main() -> None:
    """Entry point for ``python -m attnlab``."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
