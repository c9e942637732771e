"""The sweep view's two plots, drawn by the plotting layer (:mod:`sgd_tui.plotting.sweepplot`, the same
pictures as the headless ``loss.txt`` and ``sensitivity.txt``) at the widget's size.

``show(key, make)`` hands the widget a picture maker ``make(width, height) -> str`` and a key naming
everything it depends on; the picture is rebuilt only when the key or the size changes. The band (p10 and
p90, drawn with ``·``) and the spread of seeds are dimmed so the medians stand out; diverged trials
(``X``) are drawn in the error colour unless the app is monochrome.
"""

from __future__ import annotations

from typing import Callable

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from sgd_tui.core.text import safe_text

__all__ = ["SweepTextPlot"]

Maker = Callable[[int, int], str]


class SweepTextPlot(Widget):
    """A text plot of the sweep, rebuilt when its key or size changes."""

    DEFAULT_CSS = """
    SweepTextPlot {
        width: 1fr;
        height: 1fr;
        min-height: 6;
    }
    """

    MIN_SIZE = (30, 8)

    def __init__(self, *, monochrome: bool = False, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.monochrome = monochrome
        self._make: Maker | None = None
        self._key: object = None
        self._cache: tuple[object, Text] | None = None
        self.error: str | None = None
        self.text: str = ""  # the last picture as plain text (tests, screenshots)

    def show(self, key: object, make: Maker) -> None:
        if key != self._key:
            self._key, self._make = key, make
            self.refresh()

    def picture(self, width: int, height: int) -> str:
        """The plain text drawn at ``width`` x ``height`` (no styles); never raises."""
        if self._make is None:
            return "(no finished trials yet)"
        if width < self.MIN_SIZE[0] or height < self.MIN_SIZE[1]:
            return "(too small)"
        try:
            self.error = None
            lines = self._make(width, height).rstrip("\n").split("\n")
        except Exception as e:  # noqa: BLE001 - a plot must never take the app down
            self.error = f"{type(e).__name__}: {e}"
            return f"plot error: {self.error}"
        return "\n".join(line[:width] for line in lines[:height])

    def render(self) -> Text:
        width, height = self.size
        key = (self._key, width, height, self.monochrome)
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        self.text = self.picture(width, height)  # titles and legends hold the scenario's (untrusted) labels
        text = Text(safe_text(self.text), no_wrap=True, overflow="crop")
        text.highlight_regex("·+", Style(dim=True))
        if not self.monochrome:
            text.highlight_regex("X", Style(color="red", bold=True))
        self._cache = (key, text)
        return text
