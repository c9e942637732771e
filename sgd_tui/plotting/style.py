"""How the plots draw runs: :data:`NORMAL` (braille lines one dot thin, the normal palette) or
:data:`PRESENTER` (``sgd-tui --present``: quadrant blocks, lines half a cell thick, the bright palette).

One :class:`PlotStyle` is threaded through the app's plots (``PlotArea.set_style``); a plot asks it for
the cells of a line (:meth:`PlotStyle.cells`) and the colour of a run (:meth:`PlotStyle.color`), so no plot
tests for presenter mode itself.

Why quadrants: plotext offers ``braille`` (2 x 4 dots), ``fhd`` (sextants, 2 x 3) and ``hd`` (quadrants,
2 x 2) markers and ``sd`` (one full block). Braille's dots are thin strokes a projector washes out;
sextants are Unicode 13's "Symbols for Legacy Computing", missing from many fonts (a lecture laptop's, the
SVG screenshots' in a browser: they show as boxes); a full block per cell hides the heat map under the
paths. Quadrants (Block Elements, in every monospace font) keep half the resolution of braille across and
draw a stroke as wide as half a character.
"""

from __future__ import annotations

from dataclasses import dataclass

from sgd_tui.plotting.palette import presenter_color
from sgd_tui.plotting.raster import braille_cells, quadrant_cells

__all__ = ["PlotStyle", "NORMAL", "PRESENTER"]


@dataclass(frozen=True)
class PlotStyle:
    """``name``: "normal" or "presenter"; ``marker``: plotext's name of the cell characters ("braille",
    "hd"); ``bright``: run colours through the presenter palette."""

    name: str
    marker: str
    bright: bool

    def cells(self, xs, ys, xlim, ylim, cols: int, rows: int, lines: bool = True, bold: bool = False):
        """The touched cells of a line (or, without ``lines``, a point set): see raster.braille_cells."""
        fn = quadrant_cells if self.marker == "hd" else braille_cells
        return fn(xs, ys, xlim, ylim, cols, rows, lines=lines, bold=bold and self.marker != "hd")

    def color(self, rgb):
        """A run's colour as drawn (an RGB tuple; other values pass through)."""
        if self.bright and isinstance(rgb, tuple) and len(rgb) == 3:
            return presenter_color(rgb)
        return rgb


NORMAL = PlotStyle("normal", "braille", False)
PRESENTER = PlotStyle("presenter", "hd", True)
