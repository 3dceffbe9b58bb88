"""The ``attnlab`` command line (also ``python -m attnlab``).

Commands::

    attnlab list                                   the questions
    attnlab run q3 [q4 ...] [--profile quick] [--seeds 5] [--out DIR] [--jobs N] [--executor local|ray]
    attnlab report [--profile quick] [--out DIR] [--only q1,q3] [--jobs N] [--executor ...] [--redraw]
    attnlab ask q3 [--lang zh] [--out DIR]         the answer and its numbers: your run in OUT, else the shipped one
    attnlab inspect "some text" [--model PATH] [--out DIR]   attention of a real pretrained model
    attnlab --version
    attnlab bench [--quick] [--cases generate,mha] [--json FILE] [--docs FILE] [--merge FILE]   the benchmarks
    attnlab train CONFIG                           train from a JSON/TOML config (also under torchrun)

Runs resume: every finished trial is cached in ``OUT/<qid>/trials/`` and reused by the next run with the
same settings. Heavy modules are imported inside the commands. Bad input is reported as one line on
stderr, without a traceback, and the command exits with status 1; an interrupted run exits with 130.
"""

from __future__ import annotations

import functools
import re
import signal
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = ["app", "main"]

DEFAULT_OUT = Path("attnlab-report")

app = typer.Typer(
    name="attnlab",
    help="attnlab: attention and the Transformer, with the questions of the interview notes measured.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])


def _print_version(value: bool) -> None:
    if value:
        from attnlab import __version__

        console.print(f"attnlab {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="print the version and exit")] = False,
) -> None:
    pass


class Profile(str, Enum):
    tiny = "tiny"
    quick = "quick"
    standard = "standard"
    full = "full"


class ExecutorName(str, Enum):
    local = "local"
    ray = "ray"


class Device(str, Enum):
    cpu = "cpu"
    cuda = "cuda"


class Lang(str, Enum):
    en = "en"
    zh = "zh"


JobsOpt = Annotated[int | None, typer.Option(
    min=1, help="trials run at once (default: the usable cores); 1 runs them in this process")]
ExecutorOpt = Annotated[ExecutorName, typer.Option(
    help="local: a process pool on this machine; ray: Ray tasks (pip install 'attnlab\\[ray]')")]
AddressOpt = Annotated[str | None, typer.Option(
    help="Ray cluster address (with --executor ray; default: start a local Ray instance)")]
PruneOpt = Annotated[bool, typer.Option(
    help="delete cached trials the run did not use (a committed trial cache then holds exactly what the report "
         "stands on)")]
SeedsOpt = Annotated[int | None, typer.Option(min=1, help="number of random seeds (default: per question)")]
OutOpt = Annotated[Path, typer.Option(help="output folder (results, trial cache, figures, index.html)")]
ProgressOpt = Annotated[bool, typer.Option(help="show the progress bar")]


def _user_errors() -> tuple[type[BaseException], ...]:
    from attnlab.pretrained.errors import PretrainedUnavailable
    from attnlab.results import ResultError

    return (ValueError, TypeError, FileNotFoundError, ResultError, PretrainedUnavailable)


def _handle_errors(fn: F) -> F:
    """Print user errors as one line (no traceback) and exit 1; an interruption exits 130."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # SIGTERM (e.g. a scheduler stopping the job) ends a run like Ctrl-C: finished trials stay cached.
        previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
        try:
            return fn(*args, **kwargs)
        except KeyboardInterrupt:
            err_console.print("[yellow]interrupted[/yellow]: finished trials are cached; run the same command "
                              "again to resume", highlight=False)
            raise typer.Exit(130) from None
        except _user_errors() as exc:
            # soft_wrap: one line however narrow the terminal (a pipe is 80 columns)
            err_console.print(f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False, soft_wrap=True)
            raise typer.Exit(1) from None
        finally:
            signal.signal(signal.SIGTERM, previous)

    return wrapper  # type: ignore[return-value]


def _questions() -> list[Any]:
    from attnlab.lab import list_questions

    return list_questions()


def _parse_qids(text: str | None, what: str) -> list[str] | None:
    if text is None:
        return None
    known = [q.qid for q in _questions()]
    qids = [q.strip().lower() for q in text.split(",") if q.strip()]
    bad = [q for q in qids if q not in known]
    if bad or not qids:
        raise ValueError(f"{what}: expected a comma-separated list of {known}, got {text!r}")
    return [q for q in known if q in qids]


@app.command("list")
def list_cmd() -> None:
    """List the questions."""
    table = Table(title="attnlab questions")
    for col in ("id", "question", "title"):
        table.add_column(col)
    for q in _questions():
        table.add_row(q.qid, q.question_zh, q.title)
    console.print(table)


def _run(qids: list[str], profile: Profile, seeds: int | None, out: Path, jobs: int | None,
         executor: ExecutorName, address: str | None, progress: bool, prune: bool = False) -> Any:
    from attnlab.lab import run_questions
    from attnlab.lab.context import ensure_writable
    from attnlab.report.figures import draw_result

    ensure_writable(out)  # fail in well under a second, before loading any experiment
    # each question's figures are drawn as soon as its result is written, beside the other trials
    return run_questions(qids, profile=profile.value, seeds=seeds, out=out, jobs=jobs, executor=executor.value,
                         address=address, progress=progress, console=err_console,
                         on_result=lambda result: draw_result(result, out), prune=prune)


@app.command("run")
@_handle_errors
def run_cmd(
    qids: Annotated[list[str], typer.Argument(help="question ids, e.g. q1 q4")],
    profile: Annotated[Profile, typer.Option(help="run size")] = Profile.quick,
    seeds: SeedsOpt = None,
    out: OutOpt = DEFAULT_OUT,
    jobs: JobsOpt = None,
    executor: ExecutorOpt = ExecutorName.local,
    address: AddressOpt = None,
    progress: ProgressOpt = True,
    prune: PruneOpt = False,
) -> None:
    """Run questions (reusing cached trials) and write OUT/<qid>/result.json and its figures."""
    wanted = _parse_qids(",".join(qids), "QIDS") or []
    report = _run(wanted, profile, seeds, out, jobs, executor, address, progress, prune)
    for qid in wanted:
        if qid in report.results:
            _print_result(report.results[qid])
    console.print(f"{report.trials_run} trials run, {report.trials_reused} reused, "
                  f"{report.wall_seconds:.1f} s ({report.executor})", highlight=False)
    if report.errors:
        raise typer.Exit(1)


@app.command("report")
@_handle_errors
def report_cmd(
    profile: Annotated[Profile, typer.Option(help="run size")] = Profile.quick,
    out: OutOpt = DEFAULT_OUT,
    only: Annotated[str | None, typer.Option(
        help="comma-separated question ids, e.g. q1,q3 (default: the eight of the interview notes; q9 to q14 "
             "run on request)")] = None,
    seeds: SeedsOpt = None,
    jobs: JobsOpt = None,
    executor: ExecutorOpt = ExecutorName.local,
    address: AddressOpt = None,
    redraw: Annotated[bool, typer.Option(help="only redraw figures and HTML from the results in OUT")] = False,
    pdf: Annotated[bool, typer.Option(help="also print the report to OUT/report.pdf with the system Chromium")] = False,
    progress: ProgressOpt = True,
    prune: PruneOpt = False,
) -> None:
    """Run what is missing (resuming trial by trial), draw the figures and write OUT/index.html."""
    from attnlab.report.figures import draw_result
    from attnlab.report.html import write_report
    from attnlab.results import ResultError, read_result

    questions = _questions()  # the page shows every question: its result from OUT, or how to run it
    # The interview notes' questions run by default; those beyond it cost more than the quick budget allows, so they
    # run on request (--only q9,q10,...,q14).
    qids = _parse_qids(only, "--only") if only is not None else [q.qid for q in questions if q.group == "seed"]
    errors: dict[str, str] = {}
    wall = None
    if redraw:
        for qid in qids if only is not None else [q.qid for q in questions]:
            try:
                result = read_result(out, qid)
            except ResultError as exc:
                errors[qid] = str(exc)
                continue
            if result is not None:
                draw_result(result, out)
    else:
        run = _run(qids, profile, seeds, out, jobs, executor, address, progress, prune)
        # the page's wall time is that of a run that computed everything; a resumed run's would mislead
        errors, wall = run.errors, (run.wall_seconds if run.trials_reused == 0 else None)
    path = write_report(out, questions=questions, errors=errors, command_out=str(out), wall_seconds=wall)
    _print_summary(out, [q.qid for q in questions if q.qid in qids or (out / q.qid / "result.json").is_file()])
    console.print(f"report: {path}" + (f" · {wall:.1f} s" if wall is not None else ""), highlight=False)
    if pdf:
        from attnlab.report.pdf import print_pdf

        console.print(f"pdf: {print_pdf(path, out / 'report.pdf')}", highlight=False)
    if errors:
        raise typer.Exit(1)


def _print_summary(out: Path, qids: list[str]) -> None:
    from attnlab.results import ResultError, read_result

    table = Table(title="attnlab report")
    for col in ("id", "verdict", "trials (reused)", "compute (s)"):
        table.add_column(col)
    for qid in qids:
        try:
            r = read_result(out, qid)
        except ResultError:
            r = None
        if r is None:
            table.add_row(qid, "missing", "", "")
        else:
            table.add_row(qid, r.verdict, f"{r.trials.get('total', 0)} ({r.trials.get('reused', 0)})",
                          f"{r.seconds:.1f}")
    console.print(table)


@app.command("ask")
@_handle_errors
def ask_cmd(
    qid: Annotated[str, typer.Argument(help="question id, e.g. q3")],
    out: Annotated[Path | None, typer.Option(
        help=f"output folder of your run (default: {DEFAULT_OUT} if it holds the question, else the quick "
             "report shipped with attnlab)", show_default=False)] = None,
    lang: Annotated[Lang, typer.Option(help="language of the answer: en or zh")] = Lang.en,
) -> None:
    """The answer, the verdict and the deciding numbers: from your run, else from the report shipped with attnlab."""
    known = [q.qid for q in _questions()]
    if qid.strip().lower() not in known:
        raise ValueError(f"QID: expected one of {', '.join(known)}, got {qid!r}")
    from attnlab.shipped import find_answer

    result, source = find_answer(qid.strip().lower(), out, default_out=DEFAULT_OUT, lang=lang.value)
    _print_result(result, lang.value, source=source)


def _print_result(result: Any, lang: str = "en", *, source: str | None = None) -> None:
    from attnlab.report.html import format_value
    from attnlab.report.i18n import VERDICT_WORDS

    zh = lang == "zh"

    def pick(en: str, zh_text: str) -> str:
        return zh_text or en if zh else en

    word = VERDICT_WORDS.get(result.verdict, (result.verdict, result.verdict))[1 if zh else 0]
    console.print(f"[bold]{result.qid}[/bold] {escape(pick(result.question, result.question_zh))}", highlight=False)
    if source:
        console.print(source, style="dim", highlight=False, markup=False)
    key = "zh" if zh else "en"
    answer = result.answer.get(key) or result.answer.get("en") or result.summary
    console.print(f"[bold]{'结论：' if zh else 'verdict: '}{word}[/bold]", highlight=False)
    oneline = (getattr(result, "oneline", None) or {}).get(key)
    if oneline:
        console.print(oneline, style="bold", highlight=False, markup=False)
    console.print(answer, highlight=False, markup=False)
    for c in result.claims:
        cw = VERDICT_WORDS.get(c.verdict, (c.verdict, c.verdict))[1 if zh else 0]
        console.print(f"  • [bold]{escape(cw)}[/bold] {escape(pick(c.statement, c.statement_zh))}", highlight=False)
        if c.because:
            console.print(f"    {escape(pick(c.because, c.because_zh))}", highlight=False, style="dim")
    failed = [c for c in result.checks if not c.passed]
    for c in failed:
        console.print(f"[red]✗[/red] {escape(pick(c.detail, c.detail_zh))}", highlight=False)
    deciding = {n for c in result.claims for n in c.evidence}
    table = Table(show_lines=False, title="关键数字" if zh else "deciding numbers")
    table.add_column("测量项" if zh else "measurement", overflow="fold")
    table.add_column("数值 [区间]" if zh else "value [interval]")
    for e in result.evidence:
        if e.name in deciding and not isinstance(e.value, list):
            table.add_row(pick(e.label or e.name, e.label_zh), format_value(e.value, e.ci))
    console.print(table)


@app.command("inspect")
@_handle_errors
def inspect_cmd(
    text: Annotated[str, typer.Argument(help="text for the model (all-MiniLM-L6-v2's vocabulary is English, uncased)")],
    model: Annotated[str, typer.Option(
        help="all-MiniLM-L6-v2, or a local Hugging Face folder (config.json, safetensors weights, tokenizer.json) "
             "of BERT, RoBERTa, DistilBERT, GPT-2 or Llama")] = "all-MiniLM-L6-v2",
    layer: Annotated[int | None, typer.Option(help="layer to show, numbered from 1 (default: all)")] = None,
    head: Annotated[int | None, typer.Option(help="head to show, numbered from 1 (default: all)")] = None,
    out: Annotated[Path, typer.Option(
        help="output folder: index.html (the attention explorer) and the figures")] = Path("attnlab-inspect"),
) -> None:
    """Attention maps of a real pretrained model on TEXT."""
    if not text.strip():
        raise ValueError(f"TEXT: expected some text to inspect, got {'an empty' if not text else 'a whitespace-only'} "
                         "string")
    from attnlab.lab.context import ensure_writable
    from attnlab.report.inspect import run_inspect

    ensure_writable(out)  # a file in the way is one line, before the model loads
    for name, value in (("layer", layer), ("head", head)):
        if value is not None and value < 1:
            raise ValueError(f"--{name}: expected a {name} number from 1 ({name}s are numbered from 1, as in the "
                             f"figures and the explorer), got {value}")
    try:  # the library counts from 0, the command line from 1
        run_inspect(text, layer=None if layer is None else layer - 1, head=None if head is None else head - 1,
                    out_dir=out, model=model)  # prints its table and writes the figures
    except ValueError as exc:
        if str(exc).startswith("model: "):  # a folder without a tokenizer: named as the option is
            raise ValueError(f"--{exc}") from None
        m = re.match(r"(layer|head): expected an int in \[0, (\d+)\], got (-?\d+)$", str(exc))
        if m is None:
            raise
        name, last, got = m[1], int(m[2]), int(m[3])
        raise ValueError(f"--{name}: expected a {name} number from 1 to {last + 1}, got {got + 1}") from None


@app.command("bench")
@_handle_errors
def bench_cmd(
    quick: Annotated[bool, typer.Option("--quick", help="short run")] = False,
    json_path: Annotated[Path | None, typer.Option("--json", help="write the results as JSON here")] = None,
    device: Annotated[Device, typer.Option(help="device to benchmark on")] = Device.cpu,
    cases: Annotated[str | None, typer.Option(help="case names or prefixes, comma-separated (default: all)")] = None,
    docs: Annotated[Path | None, typer.Option(help="write the Markdown page and its figures here")] = None,
    merge: Annotated[Path | None, typer.Option(help="keep rows of cases not run from this earlier JSON")] = None,
) -> None:
    """The performance suite (attention kernels, models, generation, the runner)."""
    from attnlab.bench import run_bench

    run_bench(quick=quick, json_path=json_path, device=device.value, docs_path=docs, merge=merge,
              cases=cases.split(",") if cases else None)  # prints its own table


@app.command("train")
@_handle_errors
def train_cmd(
    config: Annotated[Path, typer.Argument(help="training config file (.json or .toml)")],
) -> None:
    """Train a model from a config file (also under torchrun)."""
    if not config.is_file():
        raise FileNotFoundError(f"CONFIG: no such file: {config}")
    from attnlab.run_config import main as train_main

    train_main(config)  # prints the final metrics


def main() -> None:
    """Entry point for ``python -m attnlab``."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
