"""A basin-of-attraction map (core.basins.BasinMap) as the trajectory plot's background.

In colour each canvas cell shows two pixels (a half block ``▀``, foreground = upper, background = lower
pixel), each taking the code of the start nearest its centre (``BasinMap.codes_at`` at
:func:`~sgd_tui.plotting.heat.pixel_centres`): its own dark colour per minimum (``BASIN_COLORS``, dark
enough that run paths keep 4.5:1 contrast), two neutral greys for ``diverged`` and ``not converged``. Without
colour a fill character per minimum (``BASIN_MARKS``) where plotext leaves a blank, ``?`` for not
converged and a blank for diverged. The legend gives each minimum's share of the starts.
"""

from __future__ import annotations

from sgd_tui.plotting.heat import cell_centres, pixel_centres
from sgd_tui.plotting.palette import lightened
from sgd_tui.plotting.raster import half_block_cells

__all__ = ["BASIN_COLORS", "BASIN_MARKS", "DIVERGED", "NOT_CONVERGED", "legend_color", "basin_overlay", "basin_legend"]

# one hue per minimum at one relative luminance (0.034): every run colour keeps 4.5:1 over each of them
BASIN_COLORS = [(27, 46, 113), (13, 59, 34), (69, 47, 13), (83, 30, 83), (13, 57, 65), (55, 53, 17),
                (87, 36, 28), (56, 38, 112)]
DIVERGED, NOT_CONVERGED = (48, 48, 48), (22, 22, 22)
BASIN_MARKS = "·:-=+~^'"


def legend_color(color: tuple[int, int, int]) -> tuple[int, int, int]:
    """A basin colour as the legend writes it: the same hue, light enough to read on the app's background
    (the map's own colours are too dark for text)."""
    return lightened(color)


def basin_overlay(bmap, bounds, cols: int, rows: int, monochrome: bool = False):
    """Grids of cols x rows cells (top row first) for a CanvasOverlay: in colour (upper, None, lower)
    pixel colours of the half blocks, in monochrome (None colours, fill marks) at one sample per cell."""
    if monochrome:
        xs, ys = cell_centres(bounds, cols, rows)
        codes = bmap.codes_at(xs, ys).tolist()  # ys from cell_centres run top to bottom: row 0 on top
        fill = [[BASIN_MARKS[c % len(BASIN_MARKS)] if c >= 0 else (" " if c == -1 else "?") for c in row]
                for row in codes]
        return [[None] * cols for _ in range(rows)], fill
    xs, ys = pixel_centres(bounds, cols, rows)
    codes = bmap.codes_at(xs, ys).tolist()  # 2 * rows pixel rows, top first
    pixels = [[BASIN_COLORS[c % len(BASIN_COLORS)] if c >= 0 else (DIVERGED if c == -1 else NOT_CONVERGED)
               for c in row] for row in codes]
    _, upper, lower = half_block_cells(pixels)
    return upper, None, lower


def basin_legend(bmap, monochrome: bool = False, form: str = "full") -> list[tuple[str, tuple[int, int, int] | None]]:
    """Legend items: ``█(3, 2) 31%`` per minimum (its mark in monochrome), then diverged / not converged.

    ``form`` makes it shorter for a narrow plot: "compact" writes ``█3,2 31%`` and ``█div 5%``/``█?? 1%``;
    "shares" only the swatch and the share, ``█31%`` (each basin's colour surrounds its minimum's ``*`` on the
    map, so the colours still say which minimum is which)."""
    shares = bmap.shares()
    items = []
    for i, m in enumerate(bmap.minima):
        mark = BASIN_MARKS[i % len(BASIN_MARKS)] if monochrome else "█"
        color = None if monochrome else legend_color(BASIN_COLORS[i % len(BASIN_COLORS)])
        where = {"full": f"({m.x:.2g}, {m.y:.2g}) ", "compact": f"{m.x:.2g},{m.y:.2g} "}.get(form, "")
        items.append((f"{mark}{where}{shares[m.label]:.0%}", color))
    for name, short, color, mark in (("diverged", "div", DIVERGED, "blank"), ("not converged", "??", NOT_CONVERGED, "?")):
        if shares[name] > 0:
            word = name if form == "full" else short
            items.append((f"{mark if monochrome else '█'}{word} {shares[name]:.0%}", None if monochrome else legend_color(color)))
    return items
