"""A sweep's trials, run off the UI thread for the sweep view (:mod:`sgd_tui.ui.screens.sweep`).

A Textual thread worker consumes one of :mod:`sgd_tui.core.sweep.executors`'s generators: ``pool`` (worker processes
forked from a warm fork server: the trials' training never runs in the UI process) or, with
``workers=0``, ``serial`` in this thread (the tests' small sweeps). The thread never touches widgets:
it appends finished trials to a :class:`Mailbox` and posts one :class:`TrialsFinished` message only when
the previous one was collected, so however fast trials finish the UI gets at most one message per
collection, each holding every trial finished since (batched, never one per record or per trial).
Stopping is the sweep's :class:`~sgd_tui.core.run.engine.Control`: the pool sets its stop event, queued trials
are cancelled, running ones stop within a chunk (a quarter second) and come back ``stopped``.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from textual.message import Message

from sgd_tui.core.errors import SetupError
from sgd_tui.core.run.control import Control
from sgd_tui.core.sweep import executors as sweep_run
from sgd_tui.core.sweep.grid import Trial
from sgd_tui.core.sweep.preflight import check_data
from sgd_tui.core.sweep.trials import TrialOutcome

__all__ = ["Mailbox", "TrialsFinished", "SweepEnded", "run_sweep"]


class TrialsFinished(Message):
    """Some trials finished: collect them with :meth:`Mailbox.take`."""


class SweepEnded(Message):
    """The generator is done (every trial finished or stopped); ``error``: why it failed, if it did;
    ``setup``: it never started (the data its trials read is missing: ``error`` says where and what to do)."""

    def __init__(self, error: str = "", setup: bool = False) -> None:
        super().__init__()
        self.error = error
        self.setup = setup


class Mailbox:
    """Finished trials handed from the sweep's thread to the UI thread, with at most one message in flight."""

    def __init__(self, post: Callable[[Message], Any]) -> None:
        self._post = post
        self._lock = threading.Lock()
        self._items: list[TrialOutcome] = []
        self._told = False

    def put(self, outcome: TrialOutcome) -> None:
        with self._lock:
            self._items.append(outcome)
            tell = not self._told
            self._told = True
        if tell:
            self._post(TrialsFinished())

    def take(self) -> list[TrialOutcome]:
        with self._lock:
            items, self._items, self._told = self._items, [], False
        return items


def run_sweep(box: Mailbox, post: Callable[[Message], Any], trials: list[Trial], control: Control,
              workers: int, threads: int, timeout: float | None = None) -> None:
    """Run ``trials`` (workers: processes, 0 = this thread) until done or ``control.stop()``; first check
    the data they read (downloaded here once if missing and the network is there): without it no trial
    starts and :class:`SweepEnded` says why."""

    try:
        check_data(trials)
    except SetupError as e:
        post(SweepEnded(str(e), setup=True))
        return
    try:
        runs = (sweep_run.serial(trials, control, threads, timeout=timeout) if workers == 0
                else sweep_run.pool(trials, control, workers, threads, timeout=timeout))
        for o in runs:
            box.put(o)
    except Exception as e:  # noqa: BLE001 - shown in the sweep view, the app goes on
        post(SweepEnded(f"{type(e).__name__}: {e}"))
        return
    post(SweepEnded())
