"""An invisible widget that takes a view's steady traffic in the screen's place: the run driver's messages
(:class:`~sgd_tui.ui.jobs.worker.Progress`, :class:`~sgd_tui.ui.jobs.worker.DriverIdle`, ~15 a second while
runs play), a sweep's or race's (:class:`~sgd_tui.ui.jobs.sweep.TrialsFinished`,
:class:`~sgd_tui.ui.jobs.sweep.SweepEnded`) and the view's redraw timer.

Why: Textual (8.2) repaints a screen that lies under another one (help, a question, the palette) after each
message the screen itself handles, and the screen on top with it, in full: with the driver posting to the
screen, the help over a running race sent ~14 whole frames a second to the terminal (230-280 KB/s, against
12 KB/s for the race alone; over a running sweep 55 KB/s against 1.3; measured on a pty at 120x40). A
widget's messages do not trigger that repaint, so the traffic lands here and is handed to the screen's
handlers by a plain call; and the views skip their redraw while another screen is on top
(:func:`covered`).
"""

from __future__ import annotations

from typing import Any, Callable

from textual.screen import Screen
from textual.widget import Widget

from sgd_tui.ui.jobs.sweep import SweepEnded, TrialsFinished
from sgd_tui.ui.jobs.worker import DriverIdle, Progress

__all__ = ["Relay", "covered"]


def covered(screen: Screen) -> bool:
    """Whether another screen (a dialog, the palette, a view) is on top of ``screen``."""
    return screen.app.screen is not screen


class Relay(Widget):
    """Hands the messages it is given to the handlers named for them: ``progress``, ``driver_idle``,
    ``trials_finished``, ``sweep_ended`` (each called with the message)."""

    DEFAULT_CSS = "Relay { display: none; }"

    def __init__(self, **handlers: Callable[[Any], None]) -> None:
        super().__init__(id="relay")
        self._handlers = handlers

    def _hand(self, name: str, m) -> None:
        m.stop()  # handled here: it must not bubble up to the screen's own queue
        self._handlers[name](m)

    def on_progress(self, m: Progress) -> None:
        self._hand("progress", m)

    def on_driver_idle(self, m: DriverIdle) -> None:
        self._hand("driver_idle", m)

    def on_trials_finished(self, m: TrialsFinished) -> None:
        self._hand("trials_finished", m)

    def on_sweep_ended(self, m: SweepEnded) -> None:
        self._hand("sweep_ended", m)
