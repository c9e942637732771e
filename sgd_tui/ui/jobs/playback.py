"""Play, pause, single steps and the animation speed of a comparison, and the driver thread behind them.

The main screen owns one :class:`Playback` and calls it on the keys (space, n, +, -, f) and after every
change to the runs. ``playing`` is what the user asked for; each run's own
:class:`~sgd_tui.core.run.engine.Control` is what the :class:`~sgd_tui.ui.jobs.worker.Driver` obeys, so pause
and single steps reach every run at once. The driver runs in a Textual thread worker only while a run can
move: it ends when none can (``DriverIdle``) and starts again on the next key or run that needs it.

2-D objectives animate at ``speed`` steps per second per run (None = flat out); data sets always train
flat out.
"""

from __future__ import annotations

from typing import Any, Callable

from textual.worker import Worker

from sgd_tui.ui.jobs.worker import Driver
from sgd_tui.ui.session import Session

__all__ = ["Playback", "SPEEDS", "DEFAULT_SPEED", "next_speed"]

SPEEDS: tuple[float | None, ...] = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, None)  # steps/s; None = flat out
DEFAULT_SPEED = 50


def next_speed(speed: float | None, direction: int) -> float | None:
    """The animation speed one notch faster (direction 1) or slower (-1), flat out being the fastest."""
    i = SPEEDS.index(speed) if speed in SPEEDS else SPEEDS.index(DEFAULT_SPEED)
    return SPEEDS[max(0, min(len(SPEEDS) - 1, i + direction))]


class Playback:
    """post: the screen's ``post_message`` (the driver's messages go there); run_worker: the screen's."""

    def __init__(self, post: Callable[[Any], Any], run_worker: Callable[..., Worker]) -> None:
        self.driver = Driver(post)
        self.playing = False
        self.speed: float | None = DEFAULT_SPEED
        self._run_worker = run_worker
        self._worker: Worker | None = None

    def follow(self, session: Session) -> None:
        """After any change to the runs or the objective: the driver steps the valid runs at this
        objective's pace, and while playing every run plays (a new or reset one too)."""
        self.driver.slots = [r.slot for r in session.runs if not r.invalid]
        self._set_rate(session)
        if self.playing:
            for r in session.runs:
                r.slot.control.resume()
            self._ensure_driver()
        elif any(s.requests for s in self.driver.slots):
            self._ensure_driver()  # a hyperparameter change for a paused run: the driver sets it

    def play(self, session: Session) -> bool:
        """Every run that can move plays (from the next :meth:`follow`); False when none can."""
        runnable = session.runnable()
        self.playing = bool(runnable)
        for r in runnable:
            r.slot.control.resume()
        return self.playing

    def pause(self, session: Session) -> None:
        self.playing = False
        for r in session.runs:
            if r.slot is not None:
                r.slot.control.pause()

    def step(self, session: Session) -> None:
        """One step of every run that can move (paused afterwards)."""
        self.playing = False
        for r in session.runnable():
            r.slot.control.step(1)
        self._ensure_driver()

    def change_speed(self, session: Session, direction: int) -> None:
        self.speed = next_speed(self.speed, direction)
        self._set_rate(session)

    def toggle_flat_out(self, session: Session) -> None:
        """Flat out, or back to the default animation speed."""
        self.speed = DEFAULT_SPEED if self.speed is None else None
        self._set_rate(session)

    def idle(self, session: Session) -> None:
        """The driver ran out of work: play on if a run was added just then, else stop playing."""
        if self.playing and session.runnable():
            self._ensure_driver()
        else:
            self.playing = False

    def stop(self) -> None:
        """The driver thread ends at once (the app is closing): cancel, and every run's control stops its
        step loop (a round does not finish its quota)."""
        self.driver.cancel.set()
        for slot in list(self.driver.slots):
            slot.control.stop()

    def _set_rate(self, session: Session) -> None:
        self.driver.rate = self.speed if session.shared.is_2d else None

    @property
    def driver_running(self) -> bool:
        """The driver thread is running (it then owns the runners' weights between its rounds)."""
        return self._worker is not None and not self._worker.is_finished

    def _ensure_driver(self) -> None:
        if self._worker is None or self._worker.is_finished:
            self.driver.cancel.clear()
            self._worker = self._run_worker(self.driver.run, thread=True, exit_on_error=False, group="driver",
                                            name="driver")
