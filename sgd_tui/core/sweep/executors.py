"""Where a sweep's trials run: in this process, in a pool of worker processes, or as Ray tasks.

Each executor is a generator of :class:`~sgd_tui.core.sweep.trials.TrialOutcome` in the order trials finish;
the caller (the headless sweep replay) writes them. All take a :class:`~sgd_tui.core.run.engine.Control`
whose ``stop()`` (the first Ctrl+C) cancels the trials not yet started and stops the running ones
within a chunk (they come back ``stopped`` with what they did).

- ``serial``: one trial after another here, with the sweep's thread count.
- ``pool``: a :class:`concurrent.futures.ProcessPoolExecutor` of N processes, forked from a fork
  server that has imported torch once (``spawn`` where there is no fork server). A worker's start-up
  (torch, the engine, torch.optim's first-use imports: :func:`~sgd_tui.core.sweep.trials.warm_process`; its
  thread count) is paid once, then it takes trial after trial. Workers ignore SIGINT: the parent sets a
  shared event. :func:`start_early` starts the fork server before the pool is made, so that its imports
  (about 2 CPU-seconds, the bulk of a pool's start-up) overlap whatever this process does meanwhile.
- ``ray``: one Ray task per trial (``num_cpus`` = the trial's threads), on a new local Ray instance
  (no dashboard) or on the cluster at ADDRESS / ``$RAY_ADDRESS``. Tasks get the RunSpec; data sets are
  read from ``data_dir`` on the node that trains. Cancelling cancels the tasks (running ones are
  interrupted; they come back with no outcome, i.e. ``stopped``).
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import FIRST_COMPLETED, CancelledError, ProcessPoolExecutor, wait
from multiprocessing import forkserver
from typing import Iterator

from sgd_tui.core.run.control import Control
from sgd_tui.core.run.devices import set_training_threads
from sgd_tui.core.run.records import RunResult
from sgd_tui.core.sweep.grid import Trial
from sgd_tui.core.sweep.trials import TrialOutcome, default_workers, init_worker, run_in_worker, run_trial, warm_process

__all__ = ["serial", "pool", "pool_size", "start_early", "ray_tasks", "RayUnavailable"]


class RayUnavailable(RuntimeError):
    """Ray is not installed or cannot start/connect; the message says what to do."""


def _stopped(t: Trial, why: str = "not started") -> TrialOutcome:
    return TrialOutcome(t.index, RunResult(t.label, status="stopped", message=why))


def serial(trials: list[Trial], control: Control, threads: int) -> Iterator[TrialOutcome]:

    warm_process()
    set_training_threads(threads)
    for t in trials:
        if control.stopped:
            yield _stopped(t)
            continue
        yield run_trial(t.index, t.spec, lambda: control.stopped)


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


def pool(trials: list[Trial], control: Control, workers: int, threads: int) -> Iterator[TrialOutcome]:
    if control.stopped:  # Ctrl+C before the pool exists: no worker to start
        for t in trials:
            yield _stopped(t)
        return
    ctx = _context()
    stop = ctx.Event()
    ex = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=init_worker,
                             initargs=(threads, stop))
    try:
        futures = {ex.submit(run_in_worker, t.index, t.spec): t for t in trials}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for f in done:
                t = futures[f]
                try:
                    yield f.result()
                except CancelledError:
                    yield _stopped(t)
                except Exception as e:  # a worker died (out of memory, killed): this trial's result
                    yield TrialOutcome(t.index, RunResult(t.label, status="error",
                                                          message=f"worker failed: {type(e).__name__}: {e}"))
            if control.stopped and not stop.is_set():
                stop.set()  # running trials stop within a chunk; queued ones are cancelled
                for f in pending:
                    f.cancel()
    finally:
        stop.set()
        ex.shutdown(wait=True, cancel_futures=True)


def _ray():
    try:
        import ray  # lazy: ray
    except ImportError:
        raise RayUnavailable("--ray needs Ray: pip install 'sgd-tui[ray]'") from None
    return ray


def ray_tasks(trials: list[Trial], control: Control, address: str | None, threads: int,
              local_cpus: int | None = None) -> Iterator[TrialOutcome]:
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
        refs = {task.remote(t.index, t.spec, threads): t for t in trials}
        pending = list(refs)
        while pending:
            done, pending = ray.wait(pending, num_returns=1, timeout=0.2)
            for ref in done:
                t = refs[ref]
                try:
                    yield ray.get(ref)
                except (ray.exceptions.TaskCancelledError, ray.exceptions.WorkerCrashedError):
                    yield _stopped(t, "cancelled")
                except ray.exceptions.RayError as e:
                    yield TrialOutcome(t.index, RunResult(t.label, status="error",
                                                          message=f"Ray task failed: {type(e).__name__}: {e}"))
            if control.stopped and pending:
                for ref in pending:
                    ray.cancel(ref, force=False)
                for ref in pending:
                    yield _stopped(refs[ref], "cancelled")
                pending = []
    finally:
        if started:
            ray.shutdown()


def _ray_trial(index: int, spec, threads: int) -> TrialOutcome:
    """A Ray task: the trial with the sweep's thread count, in whatever Ray worker runs it."""

    set_training_threads(threads)
    return run_trial(index, spec)
