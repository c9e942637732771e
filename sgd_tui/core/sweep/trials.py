"""One sweep trial, run to its end in whatever process runs it (this one, a worker process, a Ray task).

:func:`run_trial` builds the trial's :class:`~sgd_tui.core.run.engine.Runner` from its RunSpec (data sets
are read from the spec's ``data_dir`` in the process that trains, never pickled), advances it in
chunks of ``chunk_seconds`` and checks ``should_stop`` between chunks, so a cancelled sweep stops a
running trial within a chunk and still returns what it did (status ``stopped``). Everything it returns
is plain picklable data: the logged records, the evaluations and the RunResult.

Threads: a trial's numbers depend on its RunSpec and on torch's intra-op thread count (the order of
float reductions), never on which process runs it or when. So every trial of a sweep runs with the same
count, :func:`trial_threads` (``SGD_TUI_THREADS``, else 1: a sweep's parallelism is its trials, one
per core), whatever the number of workers.
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Callable

from sgd_tui.core.errors import SetupError
from sgd_tui.core.run.control import Control
from sgd_tui.core.run.devices import THREADS_ENV_VAR, set_training_threads
from sgd_tui.core.run.drive import drive, warm_up
from sgd_tui.core.run.engine import Runner
from sgd_tui.core.run.records import EvalRecord, Record, RunResult
from sgd_tui.core.run.spec import RunSpec

__all__ = ["TrialOutcome", "run_trial", "trial_threads", "default_workers", "warm_process", "init_worker",
           "run_in_worker", "worker_main", "FAILED_STATUSES", "timed_out"]

#: a trial with one of these statuses failed (exit status 3 of a headless sweep): ``error`` (it could not
#: run to its end: an exception, its worker process died) and ``timeout`` (it ran past ``trial_timeout``)
FAILED_STATUSES = ("error", "timeout")

@dataclass
class TrialOutcome:
    """What a trial returns: its index in the sweep, records, evaluations and result."""

    index: int
    result: RunResult
    records: list[Record] = field(default_factory=list)
    evals: list[EvalRecord] = field(default_factory=list)
    device: str = ""
    setup_error: str | None = None  # the trial could not start (bad device, missing data): bad input
    worker: int = 0  # the process id that ran it


def trial_threads() -> int:
    """torch threads per trial: ``SGD_TUI_THREADS`` if set to N >= 1, else 1."""
    env = os.environ.get(THREADS_ENV_VAR, "").strip()
    return int(env) if env.isdigit() and int(env) > 0 else 1


def default_workers(threads: int | None = None, cores: int | None = None) -> int:
    """Worker processes that fill the machine without oversubscribing it: cores // threads per trial."""
    cores = cores or os.cpu_count() or 1
    return max(1, cores // (threads or trial_threads()))


def warm_process() -> None:
    """The start-up of a process that trains trials (the fork server the workers are forked from, a spawned
    worker, this process for ``--workers 1``): torch and torch.optim's first-use imports
    (:func:`~sgd_tui.core.run.drive.warm_up`). In a process that has not imported torch yet, they are made
    with the cyclic garbage collector paused, then ``gc.freeze()`` moves everything to the collector's
    permanent generation; in one that has (the app, a test session, a forked worker) this only warms up.

    The imports create about half a million objects that live as long as the process. Collecting while
    they are created costs about 15% of the import (2.6 -> 2.2 CPU-s measured), and every full collection
    after it walks them all again, the interpreter's exit included (1.0 -> 0.2 CPU-s); frozen, they are
    never walked, and a worker forked from the server does not copy the pages a collection would touch.
    What is frozen is never freed: about 9,000 objects of garbage from the imports (5 MB of 670 MB)."""

    from_scratch = "torch" not in sys.modules
    enabled = gc.isenabled()
    if from_scratch:
        gc.disable()
    try:

        warm_up()
    finally:
        if from_scratch:
            gc.freeze()
            if enabled:
                gc.enable()


def timed_out(result: RunResult, timeout: float) -> RunResult:
    """``result`` (what a trial did until it was stopped, or nothing) marked ``timeout``, with the reason."""
    result.status = "timeout"
    result.message = (f"ran past trial_timeout = {timeout:g} s and was stopped after {result.steps} steps"
                      + (f"; {result.message}" if result.message and result.message != "stopped" else ""))
    return result


def run_trial(index: int, spec: RunSpec, should_stop: Callable[[], bool] | None = None,
              chunk_seconds: float = 0.25, timeout: float | None = None) -> TrialOutcome:
    """Run one trial to its end (or until ``should_stop()``); exceptions become status ``error``. A trial
    still running ``timeout`` seconds after it began stops at the end of its chunk, status ``timeout``."""

    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        runner = Runner(spec)
    except SetupError as e:
        return TrialOutcome(index, RunResult(spec.label, status="error", message=str(e)), setup_error=str(e),
                            worker=os.getpid())
    except Exception as e:  # a bug while building: the trial's result, not the sweep's end
        return TrialOutcome(index, RunResult(spec.label, status="error", message=f"{type(e).__name__}: {e}"),
                            worker=os.getpid())
    out = TrialOutcome(index, RunResult(spec.label), device=str(runner.device), worker=os.getpid())
    if runner.initial_record is not None:
        out.records.append(runner.initial_record)
    control = Control()
    late = [False]

    def check() -> None:
        if should_stop is not None and should_stop():
            control.stop()
        elif deadline is not None and time.monotonic() > deadline:
            late[0] = True
            control.stop()

    def keep(_runner, records, evals) -> None:
        out.records.extend(records)
        out.evals.extend(evals)
        check()

    check()
    out.result = drive(runner, control, keep, chunk_seconds)
    if late[0] and out.result.status == "stopped":
        timed_out(out.result, timeout)
    if runner.noise_meter is not None and runner.noise_meter.last is not None:  # budget noise_every
        out.result.extra["noise_scale"] = runner.noise_meter.summary()
    return out


# ============================================================================ worker processes
_STOP = None  # the sweep's multiprocessing.Event, set by init_worker


def init_worker(threads: int, stop_event) -> None:
    """Start-up of a worker process, paid once for all the trials it runs: ignore Ctrl+C (the parent
    handles it and sets ``stop_event``), set torch's thread count, import torch and the engine (done
    already when the worker is forked from the fork server, which preloads :mod:`sgd_tui.core.sweep.warm`)."""
    global _STOP
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _STOP = stop_event

    warm_process()  # torch and torch.optim's first-use imports: paid here, not in the first trial
    set_training_threads(threads)


def run_in_worker(index: int, spec: RunSpec, timeout: float | None = None) -> TrialOutcome:
    """The task a worker process runs: one trial, stopping when the sweep's stop event is set."""
    stop = _STOP
    if stop is not None and stop.is_set():
        return TrialOutcome(index, RunResult(spec.label, status="stopped", message="not started"),
                            worker=os.getpid())
    return run_trial(index, spec, None if stop is None else stop.is_set, timeout=timeout)


def worker_main(conn, threads: int, stop_event) -> None:
    """A sweep's worker process (:func:`sgd_tui.core.sweep.executors.pool`): start up once, then take
    ``(index, spec, timeout)`` from ``conn`` and send back each trial's TrialOutcome, until ``None`` or
    the pipe closes."""
    init_worker(threads, stop_event)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        outcome = run_in_worker(*task)
        try:
            conn.send(outcome)
        except (OSError, ValueError):  # the sweep has gone
            return
