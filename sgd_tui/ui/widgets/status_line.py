"""The line over the plots: the comparison, whether it runs, the animation speed and the loss plot's view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

from ...core.text import safe_text

if TYPE_CHECKING:
    from ..session import RunEntry, Session

__all__ = ["StatusLine"]


class StatusLine(Static):
    """Redrawn only when its text changes (the redraw timer asks five times a second)."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._text = ""

    def show(self, session: Session, selected: RunEntry | None, playing: bool, speed: float | None, loss) -> None:
        """speed: the 2-D animation's steps per second (None = flat out); loss: the loss plot (its x key,
        log y and smoothing)."""
        sh = session.shared
        state = "▶ running" if playing else "⏸ paused"
        if not session.runnable() and session.runs:
            state = "■ done (r resets)"
        speed_text = "flat out" if speed is None or not sh.is_2d else f"{speed:g} steps/s"
        own = session.objective_of(selected)[0]
        objective = sh.objective if own == sh.objective else f"{sh.objective} (selected run: {own})"
        synthetic = "SYNTHETIC DATA (not FashionMNIST) · " if session.synthetic_data() else ""
        text = (f"{synthetic}{sh.title} · {objective} · {len(session.runs)} runs · {state} · speed {speed_text} · "
                f"x={loss.x_key}{' · log y' if loss.log_y else ''}"
                f"{f' · smoothing {loss.smoothing:g}' if loss.smoothing else ''}")
        if text != self._text:
            self._text = text
            self.update(Content(safe_text(text, newlines=False)))  # a title from a file: never markup
