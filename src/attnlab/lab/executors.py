"""Where trials run: in this process, in a local process pool, or as Ray tasks.

Every executor runs the same :func:`~attnlab.lab.execute.execute_trial` with one torch thread, so
the same trials give the same measurements whichever executor runs them. ``run(jobs)`` yields
``(index, result)`` pairs as trials finish, where ``result`` is ``execute_trial``'s dict or the
exception the trial raised.

- :class:`InProcessExecutor` (``--jobs 1``): one after the other in this process (debuggable);
- :class:`LocalPoolExecutor` (``--executor local``, the default): a pool of worker processes started with
  ``spawn`` (no fork of a process that already runs torch threads), one thread each; a worker exits on
  its own if the run that started it is killed;
- :class:`RayExecutor` (``--executor ray``, extra ``attnlab[ray]``): Ray tasks on a running cluster
  (``address``) or on a local Ray instance started for the run and stopped after it.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

from attnlab.lab.execute import execute_trial

__all__ = ["EXECUTORS", "Executor", "InProcessExecutor", "Job", "LocalPoolExecutor", "RayExecutor",
           "make_executor", "usable_cores"]

EXECUTORS: tuple[str, ...] = ("local", "ray")


def usable_cores() -> int:
    """CPU cores this process may use (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # macOS, Windows
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Job:
    """A trial to run: its position in the run, the function and its ``"module:qualname"``, its config."""

    index: int
    fn: Any
    ref: str
    config: dict[str, Any]
    threads: int = 1


class Executor:
    """Base class: ``run(jobs)`` yields ``(index, result or exception)`` as trials finish."""

    name = "base"
    workers = 1

    def run(self, jobs: Sequence[Job]) -> Iterator[tuple[int, Any]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:
        return f"{self.name}, {self.workers} worker{'s' if self.workers != 1 else ''}"


class InProcessExecutor(Executor):
    """Run the trials one after the other in this process."""

    name = "in-process"

    def run(self, jobs: Sequence[Job]) -> Iterator[tuple[int, Any]]:
        for job in jobs:
            try:
                yield job.index, execute_trial(job.fn, job.config, job.threads)
            except Exception as exc:  # noqa: BLE001 - reported per trial by the runner
                yield job.index, exc


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:  # the run was killed: do not finish its trials for nobody
            os._exit(1)


def _init_worker(parent: int) -> None:
    import torch

    torch.set_num_threads(1)
    with contextlib.suppress(RuntimeError):  # already set in this process
        torch.set_num_interop_threads(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


class LocalPoolExecutor(Executor):
    """A pool of ``workers`` spawned processes on this machine, one torch thread each."""

    name = "local"

    def __init__(self, workers: int) -> None:
        if not isinstance(workers, int) or workers < 1:
            raise ValueError(f"jobs: expected an int >= 1, got {workers!r}")
        self.workers = workers

    def run(self, jobs: Sequence[Job]) -> Iterator[tuple[int, Any]]:
        if not jobs:
            return
        pool = ProcessPoolExecutor(max_workers=min(self.workers, len(jobs)),
                                   mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_init_worker, initargs=(os.getpid(),))
        pending: dict[Future, int] = {}
        try:
            for job in jobs:
                pending[pool.submit(execute_trial, job.ref, job.config, job.threads)] = job.index
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    index = pending.pop(fut)
                    exc = fut.exception()
                    yield index, exc if exc is not None else fut.result()
        finally:
            if pending:
                # An interruption: drop what has not started and stop the workers now (their trials are lost,
                # the finished ones are already in the cache).
                procs = list(getattr(pool, "_processes", {}).values())
                pool.shutdown(wait=False, cancel_futures=True)
                for p in procs:
                    if p.is_alive():
                        p.terminate()
            else:
                # Wait until the workers have exited: their teardown would otherwise steal the cores from the
                # timing trials that run next.
                pool.shutdown(wait=True)


class RayExecutor(Executor):
    """Trials as Ray tasks (one CPU each) on the cluster at ``address``, or on a local Ray instance.

    Args:
        workers: CPUs of the local instance started when ``address`` is None.
        address: a running cluster (``"auto"``, ``"ray://host:10001"``, ``"host:6379"``); every node must
            have attnlab installed at the same version.
    """

    name = "ray"

    def __init__(self, workers: int, address: str | None = None) -> None:
        try:
            import ray  # noqa: F401
        except ImportError:
            raise ValueError("--executor ray: Ray is not installed; install the extra: "
                             "pip install 'attnlab[ray]'") from None
        self.workers = workers
        self.address = address

    def describe(self) -> str:
        where = self.address or f"a local instance with {self.workers} CPUs"
        return f"ray on {where}"

    def run(self, jobs: Sequence[Job]) -> Iterator[tuple[int, Any]]:
        import ray

        if not jobs:
            return
        started = not ray.is_initialized()
        if started:
            # no usage report: on a machine without internet access it waits for a time-out at start-up
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            if self.address:
                ray.init(address=self.address, logging_level=logging.ERROR, log_to_driver=False)
            else:
                # a local instance: its workers import trials by name, as this process does
                path = os.pathsep.join(p for p in sys.path if p)
                ray.init(num_cpus=self.workers, include_dashboard=False, logging_level=logging.ERROR,
                         log_to_driver=False, runtime_env={"env_vars": {"PYTHONPATH": path}})
        remote = ray.remote(max_retries=0)(execute_trial)
        refs: dict[Any, int] = {}
        try:
            for job in jobs:
                refs[remote.options(num_cpus=job.threads).remote(job.ref, job.config, job.threads)] = job.index
            while refs:
                done, _ = ray.wait(list(refs), num_returns=1)
                for ref in done:
                    index = refs.pop(ref)
                    try:
                        yield index, ray.get(ref)
                    except Exception as exc:  # noqa: BLE001 - a RayTaskError wraps the trial's own error
                        yield index, getattr(exc, "cause", None) or exc
        finally:
            for ref in refs:
                ray.cancel(ref, force=True)
            if started:
                ray.shutdown()


def make_executor(name: str, jobs: int, address: str | None = None) -> Executor:
    """The executor for ``--executor name --jobs jobs [--address ...]`` (``jobs == 1`` with local: in-process)."""
    if name not in EXECUTORS:
        raise ValueError(f"--executor: expected one of {EXECUTORS}, got {name!r}")
    if not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"--jobs: expected an int >= 1, got {jobs!r}")
    if address is not None and name != "ray":
        raise ValueError(f"--address: only used with --executor ray, got --executor {name}")
    if name == "ray":
        return RayExecutor(jobs, address)
    return InProcessExecutor() if jobs == 1 else LocalPoolExecutor(jobs)
