"""The line over the plots: the comparison, whether it runs, the animation speed and the loss plot's view."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

from sgd_tui.core.objectives.data import is_synthetic
from sgd_tui.core.objectives.registry import get_objective
from sgd_tui.core.text import safe_text

if TYPE_CHECKING:
    from sgd_tui.ui.run_entry import RunEntry
    from sgd_tui.ui.session import Session

__all__ = ["StatusLine"]


class StatusLine(Static):
    """Redrawn only when its text changes (the redraw timer asks five times a second)."""

    def __init__(self, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._text = ""
        self._synthetic: dict = {}  # data_dir option -> holds a synthetic set (looked up once each)

    def synthetic_data(self, session: Session) -> bool:
        """Whether a run trains on a synthetic data set (``sgd-tui --synthetic-data`` left its marker there)."""

        found = False
        for r in session.runs:
            name, options = session.objective_of(r)
            if get_objective(name).has_data:
                where = options.get("data_dir")
                if where not in self._synthetic:
                    self._synthetic[where] = is_synthetic(where)
                found = found or self._synthetic[where]
        return found

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
        synthetic = "SYNTHETIC DATA (not FashionMNIST) · " if self.synthetic_data(session) else ""
        text = (f"{synthetic}{sh.title} · {objective} · {len(session.runs)} runs · {state} · speed {speed_text} · "
                f"x={loss.x_key}{' · log y' if loss.log_y else ''}"
                f"{f' · smoothing {loss.smoothing:g}' if loss.smoothing else ''}")
        if text != self._text:
            self._text = text
            self.update(Content(safe_text(text, newlines=False)))  # a title from a file: never markup
