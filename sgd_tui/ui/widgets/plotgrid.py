"""A Textual widget that draws a plotext figure by converting plotext's cell grid straight into Strips.

The stock ``PlotextPlot`` asks plotext for an ANSI string and has Rich parse it back, then repaints the
whole widget. Here plotext only builds its character/colour matrix (``plotting.plotmatrix.build_matrix``:
plotext's private ``_build_matrix`` where a probe at import finds it works, else its public ``build()``,
which makes the same matrix); each row becomes a
:class:`~textual.strip.Strip` with cached Rich styles, and only the rows that differ from the previous
frame are refreshed, so a plot that moves a little sends little to the terminal.

Layout of the widget: one legend line on top (``legend()``), the plotext figure below it. A subclass
implements ``draw(fig, width, height)``: it receives a *cleared* figure and configures it completely
(limits, ticks, data), which makes every build idempotent (no state survives from the previous frame, so
resizes and theme changes cannot break a log axis as in upstream textual-plotext #209). It may return a
``CanvasOverlay`` (a background colour and a fill character per canvas cell, e.g. a heat map).

Rendering never raises: any error becomes a one-line message in the plot.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from plotext._dict import color_codes
from rich.color import Color as RichColor
from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual_plotext.plot import Plot

from sgd_tui.plotting.plotmatrix import build_matrix
from sgd_tui.plotting.raster import UPPER_HALF
from sgd_tui.plotting.style import NORMAL, PlotStyle

__all__ = ["PlotGrid", "CanvasOverlay", "LegendItem", "rgb_of"]

LegendItem = tuple[str, tuple[int, int, int] | None]  # text, colour (None = the widget's foreground)


@dataclass
class CanvasOverlay:
    """Per canvas cell (rows top to bottom, columns left to right, canvas size of the built figure):
    ``background[r][c]`` an RGB tuple or None, ``fill[r][c]`` a character drawn where plotext left a blank
    (None = keep the blank). ``build(width, height)`` is called with the canvas size once it is known.

    Half blocks: ``build`` may return a third grid ``lower`` (the colour of each cell's lower half; then
    ``background`` is the upper half's). A cell where plotext drew nothing and no fill is set becomes
    ``▀`` with foreground = upper and background = lower colour: two pixels per cell. A cell with a path or
    a marker keeps its glyph on one background, the upper pixel's."""

    build: Callable[[int, int], tuple]


@functools.lru_cache(maxsize=256)
def rgb_of(color) -> tuple[int, int, int] | None:
    """An (r, g, b) tuple from a tuple, a plotext colour name/number or a Textual colour string; None if unknown."""
    if isinstance(color, tuple) and len(color) == 3:
        return tuple(int(c) for c in color)
    if isinstance(color, str):
        from textual.color import Color  # lazy: textual

        try:
            return Color.parse(color).rgb
        except Exception:  # noqa: BLE001 - any unparsable colour falls back to the foreground
            return None
    return None


class _StyleCache:
    """Rich styles for plotext's (foreground, background, style) cell triples, built once each."""

    def __init__(self) -> None:
        self._cache: dict[tuple, Style] = {}

    def get(self, fg, bg, st, monochrome: bool) -> Style:
        key = (fg, bg, st, monochrome)
        style = self._cache.get(key)
        if style is None:
            style = self._cache[key] = Style(
                color=None if monochrome else _rich_color(fg),
                bgcolor=None if monochrome else _rich_color(bg),
                bold="bold" in st if isinstance(st, str) else None,
            )
        return style


def _rich_color(c) -> RichColor | None:
    if isinstance(c, tuple):
        return RichColor.from_rgb(*c)
    if isinstance(c, int) and 0 <= c <= 255:
        return RichColor.from_ansi(c)
    if isinstance(c, str) and c != "default" and c in color_codes:
        return RichColor.from_ansi(color_codes[c])
    return None


class PlotGrid(Widget):
    """Base class of the plot widgets: a legend line plus a plotext figure rendered as Strips."""

    DEFAULT_CSS = """
    PlotGrid {
        width: 1fr;
        height: 1fr;
        min-height: 6;
    }
    """

    MIN_SIZE = (16, 5)  # below this only a short message is shown

    def __init__(self, *, monochrome: bool = False, name=None, id=None, classes=None) -> None:  # noqa: A002
        super().__init__(name=name, id=id, classes=classes)
        self.monochrome = monochrome
        self.style: PlotStyle = NORMAL  # braille and the normal palette, or presenter mode's (plotting.style)
        self._fig = Plot()
        self._styles = _StyleCache()
        self._lines: list[list[Segment]] = []
        self._built_for: tuple | None = None
        self.error: str | None = None  # the last render error, for tests and the status line
        self.canvas: tuple[int, int] | None = None  # plotext's data area (cols, rows) in the last build
        self.canvas_box: tuple[int, int, int, int] | None = None  # (x, y, cols, rows) of it in the widget

    # ------------------------------------------------------------------ subclass hooks
    def draw(self, fig: Plot, width: int, height: int) -> CanvasOverlay | None:
        """Configure the cleared figure of size (width, height); optionally return a canvas overlay."""
        raise NotImplementedError

    def legend(self) -> Sequence[LegendItem]:
        return ()

    @staticmethod
    def canvas_size(width: int, height: int, left_labels: Sequence[str] = (), right_labels: Sequence[str] = ()):
        """(cols, rows) of plotext's data area for a figure of width x height with the "clear" theme: a
        frame on all four sides, one row of x tick labels, and y tick labels as wide as the widest."""
        label_w = max(map(len, left_labels), default=0) + max(map(len, right_labels), default=0)
        return max(width - label_w - 2, 1), max(height - 3, 1)

    def state_key(self) -> tuple:
        """Everything the picture depends on besides the size; a change triggers a rebuild."""
        return ()

    # ------------------------------------------------------------------ public API
    def refresh_if_changed(self) -> bool:
        """Rebuild and repaint (changed lines only) if the data, the options or the size changed."""
        key = (self.size, self.monochrome, self.style, self.state_key())
        if key == self._built_for:
            return False
        self.replot()
        return True

    def replot(self) -> None:
        """Rebuild the picture now and refresh the lines that changed."""
        width, height = self.size
        try:
            key = (self.size, self.monochrome, self.style, self.state_key())
            lines = self._build(width, height)
            self.error = None
        except Exception as exc:  # noqa: BLE001 - a plot must never take the app down
            key = None
            self.error = f"{type(exc).__name__}: {exc}"
            lines = self._message_lines(f"plot error: {self.error}", width, height)
        self._built_for = key
        self._update_lines(lines, width)

    def text_lines(self) -> list[str]:
        """The current picture as plain text, one string per line (for tests and text export)."""
        return ["".join(seg.text for seg in line) for line in self._lines]

    # ------------------------------------------------------------------ Textual
    def on_resize(self) -> None:
        self.replot()

    def on_mount(self) -> None:
        self.replot()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        try:
            base = self.rich_style
            if y < len(self._lines):
                # no cell length given to Strip: it must measure, so a shorter line is padded to the width
                # (a Strip told it is `width` long keeps the previous frame's text after its end)
                return Strip(Segment.apply_style(self._lines[y], base)).adjust_cell_length(width, base)
            return Strip.blank(width, base)
        except Exception:  # noqa: BLE001 - never raise from rendering
            return Strip.blank(width)

    # ------------------------------------------------------------------ building
    def _update_lines(self, lines: list[list[Segment]], width: int) -> None:
        old = self._lines
        self._lines = lines
        if not self.is_mounted:
            return
        if len(old) != len(lines):
            self.refresh()
            return
        for y, (a, b) in enumerate(zip(old, lines)):
            if a != b:
                self.refresh(Region(0, y, width, 1))

    def _message_lines(self, message: str, width: int, height: int) -> list[list[Segment]]:
        lines = [[Segment(message[: max(width, 0)])]]
        return lines + [[] for _ in range(max(height - 1, 0))]

    def _legend_line(self, width: int) -> list[Segment]:
        segs: list[Segment] = []
        used = 0
        for text, color in self.legend():
            if used:
                text = "  " + text
            if used + len(text) > width:
                text = text[: max(width - used - 1, 0)] + "…"
            style = Style(color=None if self.monochrome or color is None else RichColor.from_rgb(*color))
            segs.append(Segment(text, style))
            used += len(text)
            if used >= width:
                break
        return segs

    def _build(self, width: int, height: int) -> list[list[Segment]]:
        min_w, min_h = self.MIN_SIZE
        if width < min_w or height < min_h:
            return self._message_lines("(too small)", width, height)
        fig = self._fig
        fig.clear_figure()  # clears data, limits, ticks, scales and colours: nothing survives a frame
        fig.theme("clear")
        plot_h = height - 1
        fig.plotsize(width, plot_h)
        fig._set_size(width, plot_h)
        overlay = self.draw(fig, width, plot_h)
        matrix = build_matrix(fig)
        bg_grid = fill_grid = lower_grid = None
        cols, rows = matrix.Cols_canvas, matrix.Rows_canvas
        self.canvas = (len(cols), len(rows))
        # the canvas in widget cells (the legend is line 0, the matrix's top row line 1): for the mouse
        self.canvas_box = (cols.start, 1 + matrix.rows - rows.stop, len(cols), len(rows))
        if overlay is not None and len(cols) > 0 and len(rows) > 0:
            bg_grid, fill_grid, *rest = overlay.build(len(cols), len(rows))
            lower_grid = rest[0] if rest and not self.monochrome else None
        return [self._legend_line(width)] + self._matrix_lines(matrix, bg_grid, fill_grid, lower_grid)

    def _matrix_lines(self, m, bg_grid, fill_grid, lower_grid=None) -> list[list[Segment]]:
        """Plotext's matrix (row 0 at the bottom) as Segment lists (top line first); with ``lower_grid``
        blank canvas cells become half blocks (see :class:`CanvasOverlay`)."""
        c0, r_top = m.Cols_canvas.start, m.Rows_canvas.stop - 1
        in_cols, in_rows = m.Cols_canvas, m.Rows_canvas
        mono = self.monochrome
        get_style = self._styles.get
        out = []
        for row in range(m.rows - 1, -1, -1):
            markers, fgs, bgs, sts = m.marker[row], m.fullground[row], m.background[row], m.style[row]
            overlay_row = bg_grid is not None and row in in_rows
            if overlay_row:
                r = r_top - row
                bg_row = bg_grid[r]
                fill_row = fill_grid[r] if fill_grid is not None else None
                lower_row = lower_grid[r] if lower_grid is not None else None
            segs: list[Segment] = []
            run_text: list[str] = []
            run_key = None
            for col in range(m.cols):
                ch, fg, bg = markers[col], fgs[col], bgs[col]
                if overlay_row and col in in_cols:
                    c = col - c0
                    if bg == "default" and bg_row[c] is not None:
                        if (ch == " " and lower_row is not None and lower_row[c] is not None
                                and (fill_row is None or fill_row[c] is None)):
                            ch, fg, bg = UPPER_HALF, bg_row[c], lower_row[c]
                        else:
                            bg = bg_row[c]
                    if fill_row is not None and ch == " " and fill_row[c] is not None:
                        ch = fill_row[c]
                key = (fg, bg, sts[col])
                if key != run_key:
                    if run_text:
                        segs.append(Segment("".join(run_text), get_style(*run_key, mono)))
                    run_text, run_key = [], key
                run_text.append(ch)
            if run_text:
                segs.append(Segment("".join(run_text), get_style(*run_key, mono)))
            out.append(segs)
        return out
