"""The runner: plan every question's trials, reuse what is cached, run the rest, and write the results.

:func:`run_questions` is what ``attnlab run`` and ``attnlab report`` call. For each question it asks the
experiment for its trials, looks each one up in the trial cache (``OUT/<qid>/trials``), runs the missing
ones on the chosen executor (trials that measure wall time run afterwards, alone), stores each as soon as
it finishes, and, once a question's trials are all there, aggregates them, decides the verdict and writes
``OUT/<qid>/result.json``. A rich progress bar counts trials across all questions. The result's evidence
depends only on the trials' outcomes, in the order the experiment declared them, so it is the same with
any executor and any number of workers.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from attnlab.lab.cache import TrialCache
from attnlab.lab.context import ensure_writable, versions
from attnlab.lab.execute import TrialError
from attnlab.lab.executors import InProcessExecutor, Job, make_executor, usable_cores
from attnlab.lab.registry import get_experiment
from attnlab.lab.spec import Experiment, Outcomes, Trial, TrialOutcome
from attnlab.lab.tuning import Sweep, apply_rates, build_sweep, extension, summarise
from attnlab.results import Result, write_result

__all__ = ["RunReport", "build_result", "decide", "run_questions"]


def decide(qid: str, evidence: Sequence[Any]):
    """The pure rule of question ``qid`` applied to ``evidence`` (e.g. a stored result's own evidence)."""
    return get_experiment(qid).decide(list(evidence))


def build_result(exp: Experiment, outcomes: Sequence[TrialOutcome], *, profile: str, seeds: list[int],
                 sweep: Sweep | None = None, sweep_outcomes: Sequence[TrialOutcome] = ()) -> Result:
    """Aggregate a question's outcomes (and its learning-rate sweep), decide and explain, and assemble its
    :class:`Result`."""
    agg = exp.aggregate(Outcomes(outcomes, tuning=sweep))
    if sweep is not None:
        agg.config = {**agg.config, "lr_sweep": sweep.to_dict()}
    outcomes = [*sweep_outcomes, *outcomes]
    decision, text = exp.judge(agg.evidence)
    q = exp.question
    return Result(
        qid=q.qid, title=q.title, question=q.question, question_zh=q.question_zh, claim=q.claim,
        claim_zh=q.claim_zh, verdict=decision.verdict, rule=decision.rule, summary=text.summary,
        answer={"en": text.answer_en, "zh": text.answer_zh}, oneline={"en": text.oneline_en, "zh": text.oneline_zh},
        checks=list(decision.checks),
        claims=list(decision.claims), evidence=agg.evidence, literature=agg.literature, plots=agg.plots,
        figures=[f for p in agg.plots for f in p.files()], config=agg.config, seeds=list(seeds),
        versions=versions(), seconds=round(sum(o.seconds for o in outcomes), 3), profile=profile,
        trials={"total": len(outcomes), "run": sum(not o.reused for o in outcomes),
                "reused": sum(o.reused for o in outcomes)},
        attention_maps=agg.attention_maps, group=q.group,
    )


@dataclass
class RunReport(Mapping[str, Result]):
    """What :func:`run_questions` did: the results by question id, errors, trial counts and wall time."""

    results: dict[str, Result] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    trials_total: int = 0
    trials_run: int = 0
    trials_reused: int = 0
    wall_seconds: float = 0.0
    executor: str = ""

    def __getitem__(self, qid: str) -> Result:
        return self.results[qid]

    def __iter__(self) -> Iterator[str]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)


@dataclass
class _Plan:
    exp: Experiment
    seeds: list[int]
    trials: list[Trial]
    cache: TrialCache
    outcomes: list[TrialOutcome | None]
    sweep: Sweep | None = None
    sweep_outcomes: list[TrialOutcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    pending: int = 0  # trials submitted and not yet returned

    @property
    def qid(self) -> str:
        return self.exp.qid


class _Progress:
    """Counts trials across the run: done (run now) / cached / running / failed / total."""

    def __init__(self, enabled: bool, console: Any, total: int, cached: int, workers: int,
                 what: str = "trials") -> None:
        self.total, self.cached, self.done, self.failed, self.outstanding = total, cached, 0, 0, total - cached
        self.workers = workers
        self.console = console
        self._bar = None
        if enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[detail]}"), TimeElapsedColumn(), console=console,
                                 transient=False)
            self._task = self._bar.add_task("trials", total=total, completed=cached, detail=self._detail())

    def _detail(self) -> str:
        running = min(self.workers, self.outstanding)
        text = f"done {self.done} · cached {self.cached} · running {running} · total {self.total}"
        return text + (f" · failed {self.failed}" if self.failed else "")

    def __enter__(self) -> _Progress:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._bar is not None:
            self._bar.stop()

    def advance(self, ok: bool) -> None:
        self.outstanding -= 1
        if ok:
            self.done += 1
        else:
            self.failed += 1
        if self._bar is not None:
            self._bar.update(self._task, advance=1, detail=self._detail())

    def print(self, message: str) -> None:
        if self.console is not None:
            self.console.print(message, highlight=False)


def run_questions(
    qids: Sequence[str],
    *,
    profile: str = "quick",
    seeds: int | Sequence[int] | None = None,
    out: str | Path = "attnlab-report",
    jobs: int | None = None,
    executor: str = "local",
    address: str | None = None,
    progress: bool = True,
    console: Any = None,
    on_result: Callable[[Result], None] | None = None,
    prune: bool = False,
) -> RunReport:
    """Run the questions ``qids`` (resuming from the trial cache) and write their results.

    Args:
        qids: question ids, e.g. ``["q1", "q4"]``.
        profile: ``"tiny"``, ``"quick"`` or ``"full"``.
        seeds: a number of seeds (``0 .. n-1``), an explicit list, or ``None`` for each question's default.
        out: output root; question ``q`` writes ``out/q/result.json`` and caches trials in ``out/q/trials``.
        jobs: worker processes (default: the usable cores); ``1`` runs in this process.
        executor: ``"local"`` (process pool) or ``"ray"``.
        address: the Ray cluster's address (``--executor ray`` only; default: a local instance).
        progress: show the progress bar and one line per finished question.
        console: a ``rich.console.Console`` (default: a new one on stderr).
        on_result: called with each question's result as soon as it is written (e.g. to draw its
            figures while the workers go on with the other questions' trials); an exception it raises
            is reported as that question's error.
        prune: once a question's result is written, delete the cached trials this run did not use, so a
            committed trial cache holds exactly what its report stands on.

    Returns:
        :class:`RunReport`; a question whose trials or aggregation failed is in ``errors``, not ``results``.
    """
    start = time.perf_counter()
    out = ensure_writable(out)
    jobs = usable_cores() if jobs is None else jobs
    pool = make_executor(executor, jobs, address)
    if console is None and progress:
        from rich.console import Console

        console = Console(stderr=True)
    say = (lambda m: console.print(m, highlight=False)) if console is not None else (lambda m: None)

    report = RunReport(executor=pool.describe())
    exps = [get_experiment(qid) for qid in qids]
    caches = {e.qid: TrialCache(out, e.qid, warn=lambda m: say(f"[yellow]warning:[/yellow] {m}")) for e in exps}
    sweeps = _tune([e for e in exps if e.tuning is not None], caches, profile, pool, report, progress, console, jobs)
    plans = []
    for exp in exps:
        if exp.qid in report.errors:
            continue
        seed_list = exp.seeds(profile, seeds) if seeds is None or isinstance(seeds, int) else [int(s) for s in seeds]
        sweep, sweep_outcomes = sweeps.get(exp.qid, (None, []))
        trials = apply_rates(exp.trials(profile, seed_list), exp.tuning, sweep)
        cache = caches[exp.qid]
        plans.append(_Plan(exp, seed_list, trials, cache, [cache.load(t) for t in trials], sweep, sweep_outcomes))

    parallel: list[Job] = []
    exclusive: list[Job] = []
    where: dict[int, tuple[_Plan, int]] = {}
    for plan in plans:
        for i, (trial, outcome) in enumerate(zip(plan.trials, plan.outcomes, strict=True)):
            report.trials_total += 1
            if outcome is not None:
                report.trials_reused += 1
                continue
            job = Job(len(where), trial.fn, trial.ref, trial.config, trial.threads if trial.exclusive else 1)
            where[job.index] = (plan, i)
            plan.pending += 1
            (exclusive if trial.exclusive else parallel).append(job)

    def finish(plan: _Plan) -> None:
        if plan.errors:
            report.errors[plan.qid] = plan.errors[0] + (f" (and {len(plan.errors) - 1} more failed trials)"
                                                       if len(plan.errors) > 1 else "")
            say(f"[red]{plan.qid} failed:[/red] {report.errors[plan.qid]}")
            return
        try:
            result = build_result(plan.exp, plan.outcomes, profile=profile, seeds=plan.seeds,  # type: ignore[arg-type]
                                  sweep=plan.sweep, sweep_outcomes=plan.sweep_outcomes)
        except Exception as exc:  # noqa: BLE001 - one broken question must not lose the others
            report.errors[plan.qid] = f"aggregating the trials failed: {type(exc).__name__}: {exc}"
            say(f"[red]{plan.qid} failed:[/red] {report.errors[plan.qid]}")
            return
        write_result(result, out)
        if prune:
            plan.cache.prune()
        report.results[plan.qid] = result
        if on_result is not None:
            try:
                on_result(result)
            except Exception as exc:  # noqa: BLE001 - e.g. a figure that cannot be drawn
                report.errors[plan.qid] = f"after the result was written: {type(exc).__name__}: {exc}"
                say(f"[red]{plan.qid} failed:[/red] {report.errors[plan.qid]}")
                return
        t = result.trials
        say(f"{plan.qid} [bold]{result.verdict}[/bold] · {t['run']} trials run, {t['reused']} reused · "
            f"{out / plan.qid / 'result.json'}")

    for plan in plans:  # everything cached: finish at once
        if plan.pending == 0:
            finish(plan)

    bar = _Progress(progress and console is not None, console, report.trials_total, report.trials_reused, jobs)
    with bar:
        for executor_, batch in ((pool, parallel), (InProcessExecutor(), exclusive)):
            for index, outcome in executor_.run(batch):
                plan, i = where[index]
                trial = plan.trials[i]
                if isinstance(outcome, BaseException):
                    if not isinstance(outcome, TrialError):  # e.g. a worker process that died
                        outcome = TrialError(f"trial {trial.ref} failed: {type(outcome).__name__}: {outcome}")
                    plan.errors.append(str(outcome))
                    bar.advance(ok=False)
                else:
                    m = outcome["measurements"]
                    if "unavailable" not in m and m.get("cache", True):  # else measure again next run
                        plan.cache.store(trial, m, outcome["seconds"])
                    plan.outcomes[i] = TrialOutcome(trial.config, outcome["measurements"], outcome["seconds"])
                    report.trials_run += 1
                    bar.advance(ok=True)
                plan.pending -= 1
                if plan.pending == 0:
                    finish(plan)
    report.wall_seconds = time.perf_counter() - start
    return report


def _run_cached(pool: Any, todo: Sequence[tuple[str, Trial]], caches: Mapping[str, TrialCache], report: RunReport,
                make_bar: Callable[[int, int], _Progress]) -> dict[int, TrialOutcome | str]:
    """Run ``todo`` (question id, trial) on ``pool``, reusing and filling the trial cache; per index the outcome
    or the error message."""
    done: dict[int, TrialOutcome | str] = {}
    jobs = []
    for i, (qid, trial) in enumerate(todo):
        report.trials_total += 1
        cached = caches[qid].load(trial)
        if cached is not None:
            report.trials_reused += 1
            done[i] = cached
        else:
            jobs.append(Job(i, trial.fn, trial.ref, trial.config, 1))
    bar = make_bar(len(todo), len(todo) - len(jobs))
    with bar:
        for index, outcome in pool.run(jobs):
            qid, trial = todo[index]
            if isinstance(outcome, BaseException):
                done[index] = str(outcome) if isinstance(outcome, TrialError) else (
                    f"trial {trial.ref} failed: {type(outcome).__name__}: {outcome}")
                bar.advance(ok=False)
                continue
            m = outcome["measurements"]
            if "unavailable" not in m and m.get("cache", True):
                caches[qid].store(trial, m, outcome["seconds"])
            done[index] = TrialOutcome(trial.config, m, outcome["seconds"])
            report.trials_run += 1
            bar.advance(ok=True)
    return done


def _tune(exps: Sequence[Experiment], caches: Mapping[str, TrialCache], profile: str, pool: Any, report: RunReport,
          progress: bool, console: Any, jobs: int) -> dict[str, tuple[Sweep, list[TrialOutcome]]]:
    """The learning-rate sweeps of ``exps`` (:mod:`attnlab.lab.tuning`), all questions' rounds run together; a
    question whose sweep failed is recorded in ``report.errors``."""
    reused = {e.qid: s for e in exps if (s := stored_sweep(e, profile)) is not None}
    exps = [e for e in exps if e.qid not in reused]
    grids = {e.qid: e.tuning.first_grid(profile) for e in exps}
    new = dict(grids)
    outcomes: dict[str, list[TrialOutcome]] = {e.qid: [] for e in exps}
    for _round in range(1 + max((e.tuning.max_extend for e in exps), default=0)):
        todo = [(e.qid, t) for e in exps if e.qid in new and e.qid not in report.errors
                for t in e.tuning.trials(profile, new[e.qid])]
        if not todo:
            break
        done = _run_cached(pool, todo, caches, report, lambda total, cached: _Progress(
            progress and console is not None, console, total, cached, jobs, what="learning-rate sweep"))
        for i, (qid, _) in enumerate(todo):
            if isinstance(done[i], str):
                report.errors.setdefault(qid, f"learning-rate sweep: {done[i]}")
            else:
                outcomes[qid].append(done[i])  # type: ignore[arg-type]
        new = {}
        for e in exps:
            if e.qid in report.errors:
                continue
            grow = extension(e.tuning, profile, grids[e.qid], summarise(e.tuning, outcomes[e.qid]))
            if grow:
                new[e.qid] = {k: grow.get(k, []) for k in grids[e.qid]}
                for k, extra in grow.items():
                    grids[e.qid][k] = sorted(grids[e.qid][k] + extra)
    swept = {e.qid: (build_sweep(e.tuning, outcomes[e.qid]), outcomes[e.qid]) for e in exps
             if e.qid not in report.errors}
    return {**{qid: (s, []) for qid, s in reused.items()}, **swept}


REUSE_SWEEP_FROM = {"quick": "standard"}  # a profile that reuses the rates another profile's sweep chose


def stored_sweep(exp: Experiment, profile: str) -> Sweep | None:
    """The sweep of the result attnlab ships for ``exp`` (the committed standard report) when ``profile``
    reuses it and it chose rates for exactly these conditions and settings; else None (sweep here)."""
    source = REUSE_SWEEP_FROM.get(profile)
    if source is None:
        return None
    from attnlab.shipped import read_shipped

    try:
        shipped = read_shipped(exp.qid)
    except Exception:  # noqa: BLE001 - a broken shipped file: sweep here instead
        return None
    if shipped is None or shipped.profile != source or "lr_sweep" not in shipped.config:
        return None
    sweep = Sweep.from_dict(shipped.config["lr_sweep"], source=source)
    return sweep if sweep.matches(exp.tuning, profile) else None
