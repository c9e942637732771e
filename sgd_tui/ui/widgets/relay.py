"""An invisible widget that takes the main view's steady traffic in the screen's place: the run driver's
messages (:class:`~sgd_tui.ui.jobs.worker.Progress`, :class:`~sgd_tui.ui.jobs.worker.DriverIdle`, ~15 a
second while runs play) and the 5 Hz redraw timer.

Why: Textual (8.2) repaints a screen that lies under another one (help, a question, the palette) after each
message the screen itself handles, and the screen on top with it, in full: with the driver posting to the
screen, the help over a running race sent ~14 whole frames a second to the terminal (230-280 KB/s, against
12 KB/s for the race alone; measured on a pty at 120x40). A widget's messages do not trigger that repaint, so
the traffic lands here and is handed to the screen's handlers by a plain call.
"""

from __future__ import annotations

from typing import Callable

from textual.widget import Widget

from sgd_tui.ui.jobs.worker import DriverIdle, Progress

__all__ = ["Relay"]


class Relay(Widget):
    """Hands the driver's messages to ``on_progress`` / ``on_driver_idle`` of the screen it is in."""

    DEFAULT_CSS = "Relay { display: none; }"

    def __init__(self, on_progress: Callable[[Progress], None], on_driver_idle: Callable[[DriverIdle], None]) -> None:
        super().__init__(id="relay")
        self._progress, self._idle = on_progress, on_driver_idle

    def on_progress(self, m: Progress) -> None:
        m.stop()  # handled here: it must not bubble up to the screen's own queue
        self._progress(m)

    def on_driver_idle(self, m: DriverIdle) -> None:
        m.stop()
        self._idle(m)
