"""Where a sweep's trials run: in this process, in a pool of worker processes, or as Ray tasks.

Each executor is a generator of :class:`~sgd_tui.core.sweep.trials.TrialOutcome` in the order trials finish;
the caller (the headless sweep replay) writes them. All take a :class:`~sgd_tui.core.run.engine.Control`
whose ``stop()`` (the first Ctrl+C) cancels the trials not yet started and stops the running ones
within a chunk (they come back ``stopped`` with what they did).

- ``serial``: one trial after another here, with the sweep's thread count.
- ``pool``: N worker processes, each with a pipe, forked from a fork server that has imported torch
  once (``spawn`` where there is no fork server). A worker's start-up (torch, the engine, torch.optim's
  first-use imports: :func:`~sgd_tui.core.sweep.trials.warm_process`; its thread count) is paid once, then
  it takes trial after trial. Workers ignore SIGINT: the parent sets a shared event. The parent knows
  which trial each worker runs, so a worker that dies (SIGKILL, out of memory) fails that trial alone
  (status ``error``, with how it died) and a new worker takes its place; ``trial_timeout`` is kept
  there too (a trial that does not stop itself is killed with its worker). :func:`start_early` starts the fork server before the pool is made, so that its imports
  (about 2 CPU-seconds, the bulk of a pool's start-up) overlap whatever this process does meanwhile.
- ``ray``: one Ray task per trial (``num_cpus`` = the trial's threads), on a new local Ray instance
  (no dashboard) or on the cluster at ADDRESS / ``$RAY_ADDRESS``. Tasks get the RunSpec; data sets are
  read from ``data_dir`` on the node that trains. Cancelling cancels the tasks (running ones are
  interrupted; they come back with no outcome, i.e. ``stopped``). A Ray worker that dies fails its
  trial (status ``error``); ``trial_timeout`` is kept by the task itself, between chunks.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import signal
import time
from collections import deque
from multiprocessing import forkserver
from multiprocessing.connection import wait as mp_wait
from typing import Callable, Iterator

from sgd_tui.core.run.control import Control
from sgd_tui.core.run.devices import set_training_threads
from sgd_tui.core.run.records import RunResult
from sgd_tui.core.sweep.grid import Trial
from sgd_tui.core.sweep.trials import TrialOutcome, default_workers, run_trial, timed_out, warm_process, worker_main

__all__ = ["serial", "pool", "pool_size", "start_early", "ray_tasks", "RayUnavailable", "death", "KILL_GRACE"]

KILL_GRACE = 5.0  # seconds past trial_timeout after which a worker process whose trial has not stopped is killed


class RayUnavailable(RuntimeError):
    """Ray is not installed or cannot start/connect; the message says what to do."""


def _stopped(t: Trial, why: str = "not started") -> TrialOutcome:
    return TrialOutcome(t.index, RunResult(t.label, status="stopped", message=why))


def serial(trials: list[Trial], control: Control, threads: int, timeout: float | None = None) -> Iterator[TrialOutcome]:
    """The trials one after another in this process; ``timeout`` is checked between chunks."""
    warm_process()
    set_training_threads(threads)
    for t in trials:
        if control.stopped:
            yield _stopped(t)
            continue
        yield run_trial(t.index, t.spec, lambda: control.stopped, timeout=timeout)


def _context():
    methods = mp.get_all_start_methods()
    if "forkserver" in methods:
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["sgd_tui.core.sweep.warm"])
        return ctx
    return mp.get_context("spawn")


def pool_size(workers: int | None, trials: int, threads: int) -> int:
    """Worker processes for a sweep of ``trials`` trials: ``workers`` (default: the cores / the threads per
    trial), never more than the trials; 1 = the trials run in this process (:func:`serial`)."""
    return max(1, min(workers or default_workers(threads), trials))


def start_early() -> None:
    """Start the fork server that :func:`pool` forks its workers from, without waiting for it: it imports
    torch and the engine (:mod:`sgd_tui.core.sweep.warm`) while this process goes on. Nothing happens where
    there is no fork server (``spawn`` workers start when the pool does); calling it twice is harmless."""
    ctx = _context()
    if ctx.get_start_method() == "forkserver":

        forkserver.ensure_running()


class _Worker:
    """One worker process of :func:`pool`, the pipe to it, and the trial it runs (None: idle)."""

    def __init__(self, ctx, threads: int, stop) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=worker_main, args=(child, threads, stop), daemon=True)
        self.proc.start()
        child.close()
        self.trial: Trial | None = None
        self.started = 0.0

    def give(self, t: Trial, timeout: float | None) -> bool:
        try:
            self.conn.send((t.index, t.spec, timeout))
        except (OSError, ValueError):  # it died while idle: the trial goes to another worker
            return False
        self.trial, self.started = t, time.monotonic()
        return True

    def take(self) -> TrialOutcome | None:
        """The outcome it sent, or None when it died before sending one whole."""
        try:
            if self.conn.poll():
                return self.conn.recv()
        except (EOFError, OSError, pickle.UnpicklingError, ValueError):
            pass
        return None

    def end(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()


def death(proc) -> str:
    """How a worker process ended: ``killed by SIGKILL`` or ``exit code 3``."""
    code = proc.exitcode
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


def pool(trials: list[Trial], control: Control, workers: int, threads: int, timeout: float | None = None,
         on_start: Callable[[int, int], None] | None = None, kill_grace: float = KILL_GRACE) -> Iterator[TrialOutcome]:
    """Run the trials on ``workers`` processes. A worker that dies (killed, out of memory) fails only the
    trial it ran (status ``error``, saying how it died); a new worker takes its place. A trial past
    ``timeout`` stops itself within a chunk (status ``timeout``); one still running ``kill_grace`` seconds
    later (a step that never ends) has its worker killed. ``on_start(index, pid)``: a trial was handed to
    worker process ``pid``."""
    if control.stopped:  # Ctrl+C before the pool exists: no worker to start
        for t in trials:
            yield _stopped(t)
        return
    ctx = _context()
    stop = ctx.Event()
    queue = deque(trials)
    crew: list[_Worker] = []
    try:
        while True:
            if control.stopped and not stop.is_set():
                stop.set()  # running trials stop within a chunk; queued ones are not started
            while stop.is_set() and queue:
                yield _stopped(queue.popleft())
            crew = [w for w in crew if w.trial is not None or w.proc.is_alive()]
            busy = sum(w.trial is not None for w in crew)
            while len(crew) < min(workers, busy + len(queue)):
                crew.append(_Worker(ctx, threads, stop))  # at the start, and in place of one that died
            for w in crew:
                if w.trial is None and queue and not stop.is_set():
                    t = queue.popleft()
                    if not w.give(t, timeout):
                        queue.appendleft(t)  # it died while idle: the next round replaces it
                    elif on_start is not None:
                        on_start(t.index, w.proc.pid)
            busy_workers = [w for w in crew if w.trial is not None]
            if not busy_workers:
                if not queue:
                    return
                continue
            ready = set(mp_wait([w.conn for w in busy_workers] + [w.proc.sentinel for w in busy_workers],
                                timeout=0.2))
            now = time.monotonic()
            for w in busy_workers:
                t = w.trial
                if w.conn in ready or w.proc.sentinel in ready:
                    outcome = w.take()
                    if outcome is None and w.proc.is_alive():
                        continue  # not all of it yet
                    w.trial = None
                    if outcome is not None:
                        yield outcome
                        continue
                    w.kill()
                    seconds = now - w.started
                    yield TrialOutcome(t.index, RunResult(
                        t.label, status="error", time_s=seconds,
                        message=f"its worker process (pid {w.proc.pid}) died ({death(w.proc)}) after {seconds:.1f} s "
                                "(out of memory, or killed); the trial has no results, the other trials went on"))
                elif timeout is not None and now - w.started > timeout + kill_grace:
                    w.trial = None  # its step never ends: the worker goes, the trial is recorded
                    w.kill()
                    yield TrialOutcome(t.index, timed_out(RunResult(t.label, time_s=now - w.started), timeout))
    finally:
        stop.set()
        for w in crew:
            w.end()
        deadline = time.monotonic() + 2.0
        for w in crew:
            w.proc.join(max(0.0, deadline - time.monotonic()))
        for w in crew:
            w.kill()


def _ray():
    try:
        import ray  # lazy: ray
    except ImportError:
        raise RayUnavailable("--ray needs Ray: pip install 'sgd-tui[ray]'") from None
    return ray


def ray_tasks(trials: list[Trial], control: Control, address: str | None, threads: int,
              local_cpus: int | None = None, timeout: float | None = None) -> Iterator[TrialOutcome]:
    """Run the trials as Ray tasks. ``address``: None or "" = $RAY_ADDRESS if set, else a new local
    instance with ``local_cpus`` CPUs (default: all); anything else = that cluster."""
    ray = _ray()
    address = address or os.environ.get("RAY_ADDRESS") or None
    started = not ray.is_initialized()
    if started:
        kwargs = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
        try:
            if address:
                ray.init(address=address, **kwargs)
            else:
                ray.init(num_cpus=local_cpus or os.cpu_count() or 1, **kwargs)
        except Exception as e:
            where = f"the Ray cluster at {address}" if address else "a local Ray instance"
            raise RayUnavailable(f"cannot start or reach {where}: {type(e).__name__}: {e}") from None
    try:
        task = ray.remote(num_cpus=threads, max_retries=0)(_ray_trial)
        refs = {task.remote(t.index, t.spec, threads, timeout): t for t in trials}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1, timeout=0.2)
            for ref in done:
                t = refs[ref]
                try:
                    outcome = ray.get(ref)
                except ray.exceptions.TaskCancelledError:
                    outcome = _stopped(t, "cancelled")
                except ray.exceptions.RayError as e:  # its worker died (WorkerCrashedError), the node went, ...
                    why = str(e).strip().splitlines()[0] if str(e).strip() else ""
                    what = ("the Ray worker running it died" if isinstance(e, ray.exceptions.WorkerCrashedError)
                            else "its Ray task failed")
                    outcome = TrialOutcome(t.index, RunResult(
                        t.label, status="error",
                        message=f"{what} ({type(e).__name__}: {why}); the trial has no results, the other "
                                "trials went on"))
                yield outcome
            if control.stopped and pending:
                for ref in pending:
                    ray.cancel(ref, force=False)
                for ref in pending:
                    yield _stopped(refs[ref], "cancelled")
                pending = []
    finally:
        if started:
            ray.shutdown()


def _ray_trial(index: int, spec, threads: int, timeout: float | None = None) -> TrialOutcome:
    """A Ray task: the trial with the sweep's thread count, in whatever Ray worker runs it."""

    set_training_threads(threads)
    return run_trial(index, spec, timeout=timeout)
