"""The mouse on the plots (each action has a key too):

* a click on the trajectory plot (the surface / basin map) picks a start point: the cell clicked is
  mapped to data coordinates with the plot's own axis limits and canvas (:func:`cell_to_data`, the
  inverse of the mapping that drew the paths), and :class:`StartPicked` tells the screen, which resets the
  selected run there (shift-click: every run on that objective); the keyboard way is the run's ``start``
  field in the setup panel;
* the wheel over a plot zooms its x range about the pointer (up: in, down: out); ``z`` resets it.
"""

from __future__ import annotations

from textual import events
from textual.message import Message

from sgd_tui.plotting.raster import cell_to_data, zoom_window

__all__ = ["StartPicked", "StartClick", "WheelZoom", "ZOOM_STEP"]

ZOOM_STEP = 0.8  # one wheel notch shows 80 % of the x range (out: 1/0.8)


class StartPicked(Message):
    """A point of the surface was clicked: (x, y) in data coordinates; ``every`` = shift was held."""

    def __init__(self, x: float, y: float, every: bool) -> None:
        super().__init__()
        self.x, self.y, self.every = x, y, every


def canvas_cell(widget, x: int, y: int) -> tuple[int, int] | None:
    """(column, row from the top) of the canvas cell at widget offset (x, y); None outside the canvas."""
    box = getattr(widget, "canvas_box", None)
    if box is None:
        return None
    bx, by, cols, rows = box
    col, row = x - bx, y - by
    if 0 <= col < cols and 0 <= row < rows:
        return col, row
    return None


class StartClick:
    """Mixin for the trajectory plot: a click on the canvas posts :class:`StartPicked`. The plot provides
    ``data_limits()`` -> (xlim, ylim), the axis limits of its last build (None: nothing to pick on). A
    subclass whose axes are not start points (the loss-landscape slice: plane coordinates) sets
    ``picks_start = False``."""

    picks_start = True

    def point_at(self, x: int, y: int) -> tuple[float, float] | None:
        cell, limits = canvas_cell(self, x, y), self.data_limits()
        if cell is None or limits is None:  # outside the canvas, or no surface drawn yet
            return None
        xlim, ylim = limits
        _, _, cols, rows = self.canvas_box
        return cell_to_data(*cell, xlim, ylim, cols, rows)

    def on_click(self, event: events.Click) -> None:
        point = self.point_at(event.x, event.y) if self.picks_start else None
        if point is not None:
            event.stop()
            self.post_message(StartPicked(*point, every=event.shift))


class WheelZoom:
    """Mixin for the loss plot: the wheel zooms the x range about the pointer. The plot provides
    ``x_zoom`` (None or (lo, hi)), ``x_full`` (the data's (lo, hi) in the last build) and ``x_shown``
    (the limits drawn)."""

    def _zoom(self, event: events.MouseEvent, factor: float) -> None:
        full, shown = getattr(self, "x_full", None), getattr(self, "x_shown", None)
        cell = canvas_cell(self, event.x, event.y)
        if full is None or shown is None or cell is None:
            return
        event.stop()
        _, _, cols, rows = self.canvas_box
        anchor, _ = cell_to_data(cell[0], 0, shown, (0.0, 1.0), cols, rows)
        self.x_zoom = zoom_window(*shown, anchor, factor, *full)
        self.refresh_if_changed()

    def on_mouse_scroll_up(self, event: events.MouseScrollUp) -> None:
        self._zoom(event, ZOOM_STEP)

    def on_mouse_scroll_down(self, event: events.MouseScrollDown) -> None:
        self._zoom(event, 1 / ZOOM_STEP)
