"""Run control shared by the UI and a worker thread: pause, single step, stop.

The runner asks :meth:`Control.may_step` before each step (no lock on the fast path), so a pause, a single
step or a stop takes effect within one step. No torch import.
"""

from __future__ import annotations

import threading

__all__ = ["Control"]


class Control:
    """Thread-safe run control shared by the UI and a worker: pause, single step, stop."""

    def __init__(self, paused: bool = False):
        self._cond = threading.Condition()
        self._paused = paused
        self._stop = False
        self._tokens = 0  # single steps allowed while paused

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def stopped(self) -> bool:
        return self._stop

    def pause(self) -> None:
        with self._cond:
            self._paused = True
            self._tokens = 0

    def resume(self) -> None:
        with self._cond:
            self._paused = False
            self._cond.notify_all()

    def step(self, n: int = 1) -> None:
        """Allow ``n`` more steps while paused."""
        with self._cond:
            self._paused = True
            self._tokens += n
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stop = True
            self._cond.notify_all()

    def may_step(self) -> bool:
        """Called by the runner before each step (cheap: no lock on the fast path)."""
        if self._stop:
            return False
        if not self._paused:
            return True
        with self._cond:
            if self._tokens > 0:
                self._tokens -= 1
                return True
            return False

    def wait(self, timeout: float) -> None:
        """Block until resumed, stepped or stopped (or ``timeout``)."""
        with self._cond:
            if self._paused and not self._tokens and not self._stop:
                self._cond.wait(timeout)
