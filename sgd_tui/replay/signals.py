"""Ctrl+C and SIGTERM during a headless replay (:class:`Signals`, :func:`stop_on_sigint`): the first stops
the runs within a step and the results are still written whole; a second interrupts the step."""

from __future__ import annotations

import signal
import threading
from contextlib import contextmanager
from typing import Any

from sgd_tui.core.run.control import Control


class Signals:
    """Ctrl+C (SIGINT) and SIGTERM during a replay: the first asks the runner to stop within one step (the
    results are written with the unfinished runs ``stopped``, so a ``nohup`` run killed on a server ends
    with complete files); a second one while a run steps interrupts the step at once; while the results
    are being written (``finishing``) further signals are ignored, so the files are whole."""

    def __init__(self, control: Control):
        self.control = control
        self.finishing = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> "Signals":
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handler)
        return self

    def _handler(self, signum, frame) -> None:
        if self.finishing:
            return
        if self.control.stopped:
            raise KeyboardInterrupt
        self.control.stop()

    def __exit__(self, *exc) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


@contextmanager
def stop_on_sigint(control: Control):
    """The replay's signal rule (:class:`Signals`: SIGINT and SIGTERM) for loops that write as they go."""
    with Signals(control):
        yield
