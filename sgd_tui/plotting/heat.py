"""Heat maps of a 2-D surface: where to sample it, colour bands, contour marks.

* :func:`cell_centres` gives the data coordinates at which a canvas of cols x rows cells samples the
  surface (the centre of each cell, with plotext's mapping of 2 x 4 braille dots per cell);
  :func:`sample_grid` evaluates a surface there. :func:`pixel_centres` / :func:`sample_pixels` do the same
  at two pixels per cell (the upper and the lower half, dots 2.5 and 0.5 of the cell's four counted from
  its bottom), for a half-block picture (``▀``: foreground = upper pixel, background = lower pixel).
* :func:`heat_bands` cuts ``z = log1p(f - min f)`` into equal steps: a loss surface such as Rosenbrock
  spans 0..2500, so equal steps of f itself would show one colour; the log keeps the valley visible.
* :func:`heat_colors` is the palette of the bands, :func:`band_colors` paints a band grid with it.
* :func:`contour_marks` / :func:`contour_fill` are the monochrome (and plain-text) heat map: dotted
  contour lines between coarse bands.

Grids are NumPy arrays with the top row first (row 0 = highest y), as a terminal draws them.
"""

from __future__ import annotations

import numpy as np

__all__ = ["HEAT_BANDS", "BOUNDARY_RTOL", "cell_centres", "pixel_centres", "sample_grid", "sample_pixels", "heat_bands", "heat_colors",
           "band_colors", "contour_marks",
           "contour_fill"]

HEAT_BANDS = 8  # colour bands of the heat map; contour lines are drawn between pairs of bands


def cell_centres(bounds, cols: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(xs, ys): the centre of each column (left to right) and each row (top to bottom) of a canvas of
    cols x rows cells spanning ``bounds = ((x0, x1), (y0, y1))``, matching plotext's mapping onto 2x4
    braille dots per cell; ``f = grid(xs, ys)`` then has shape (rows, cols), top row first."""
    (x0, x1), (y0, y1) = bounds
    xs = x0 + (2 * np.arange(cols) + 0.5) * (x1 - x0) / max(2 * cols - 1, 1)
    ys = y0 + (4 * np.arange(rows)[::-1] + 1.5) * (y1 - y0) / max(4 * rows - 1, 1)
    return xs, ys


def pixel_centres(bounds, cols: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """(xs, ys) of the half-cell pixels of a cols x rows canvas: xs as :func:`cell_centres`, ys the
    2 * rows pixel rows top to bottom (upper then lower half of each cell row). On plotext's grid of
    4 * rows dots a cell counted from the bottom spans dots 4r .. 4r+3: its lower pixel is centred at
    dot 4r + 0.5, its upper one at 4r + 2.5 (the cell centre 4r + 1.5 lies between them)."""
    (y0, y1) = bounds[1]
    xs, _ = cell_centres(bounds, cols, rows)
    r = np.arange(rows)[::-1]
    dots = np.stack([4 * r + 2.5, 4 * r + 0.5], axis=1).reshape(-1)  # upper, lower per row, top row first
    ys = y0 + dots * (y1 - y0) / max(4 * rows - 1, 1)
    return xs, ys


def _sample(grid_fn, xs, ys) -> np.ndarray:
    with np.errstate(all="ignore"):
        f = np.asarray(grid_fn(xs, ys), dtype=float)
    if f.shape != (len(ys), len(xs)):
        raise ValueError(f"surface grid has shape {f.shape}, expected {(len(ys), len(xs))}")
    return f


def sample_pixels(grid_fn, bounds, cols: int, rows: int) -> np.ndarray:
    """f at the :func:`pixel_centres` of a cols x rows canvas: shape (2 * rows, cols), top pixel row
    first (rows 2i and 2i + 1 are the upper and lower halves of cell row i); errors as :func:`sample_grid`."""
    return _sample(grid_fn, *pixel_centres(bounds, cols, rows))


def sample_grid(grid_fn, bounds, cols: int, rows: int) -> np.ndarray:
    """f at the :func:`cell_centres` of a cols x rows canvas, shape (rows, cols), top row first.

    ``grid_fn(xs, ys)`` returns f on the grid xs x ys with shape (len(ys), len(xs)) (a problem's
    ``grid``); floating-point warnings are silenced (overflow is a value, see :func:`heat_bands`), and a
    result of another shape is a ValueError.
    """
    return _sample(grid_fn, *cell_centres(bounds, cols, rows))


#: relative tolerance of a band boundary: log1p, the division and the product each round, and libm's
#: log1p differs by an ulp between CPUs, so a value on a boundary lands a few ulps either side of it
BOUNDARY_RTOL = 16 * np.finfo(float).eps


def heat_bands(f: np.ndarray, n_bands: int = HEAT_BANDS) -> np.ndarray:
    """Band index 0..n_bands-1 of each value: equal steps of log1p(f - min f) (Rosenbrock spans 0..2500,
    so equal steps of f itself would show one colour); non-finite values go to the top band.

    Band k holds k ≤ u < k + 1 for u = n_bands · z / max z; a value within ``BOUNDARY_RTOL`` (relative) of a
    boundary goes to the upper band, so a value on a boundary gets the same band on every CPU."""
    f = np.asarray(f, dtype=float)
    finite = np.isfinite(f)
    bands = np.full(f.shape, n_bands - 1, dtype=np.int64)
    if finite.any():
        z = np.log1p(np.clip(f[finite] - f[finite].min(), 0.0, 1e300))
        top = float(z.max())
        if top > 0:
            u = z / top * n_bands
            edge = np.rint(u)
            u = np.where(np.abs(u - edge) <= BOUNDARY_RTOL * np.maximum(edge, 1.0), edge, u)
            bands[finite] = np.minimum(u.astype(np.int64), n_bands - 1)
        else:
            bands[finite] = 0
    return bands


def heat_colors(n: int) -> list[tuple[int, int, int]]:
    """n dark colours from deep blue (low) through teal, green and olive to brown and red (high).

    Dark enough that every run colour drawn on top keeps a contrast ratio of 4.5:1 (WCAG AA; relative
    luminance from 0.006 up to at most palette.BACKGROUND_MAX_LUMINANCE, tests/test_contrast.py), a hue
    and a luminance step apart so bands read as contours.
    """
    stops = [(11, 14, 47), (10, 27, 48), (10, 38, 38), (14, 45, 24), (37, 48, 15), (58, 47, 16), (81, 41, 20),
             (98, 31, 31)]
    out = []
    for i in range(n):
        t = i / max(n - 1, 1) * (len(stops) - 1)
        j = min(int(t), len(stops) - 2)
        f = t - j
        out.append(tuple(round(stops[j][c] + f * (stops[j + 1][c] - stops[j][c])) for c in range(3)))
    return out


def band_colors(bands: np.ndarray, n_bands: int = HEAT_BANDS) -> list[list[tuple[int, int, int]]]:
    """The heat-map colour (r, g, b) of every cell of a band grid (rows as in ``bands``)."""
    palette = heat_colors(n_bands)
    return [[palette[b] for b in row] for row in np.asarray(bands).tolist()]


def contour_marks(bands: np.ndarray, every: int = 2) -> np.ndarray:
    """Contour lines as a mask: True on every cell whose coarse band (``band // every``) is lower than one
    of its four neighbours' (the line runs on the low side of each edge, whichever way the surface
    rises); coarse bands keep the marks sparse where the surface is steep."""
    coarse = np.asarray(bands) // every
    edge = np.zeros(coarse.shape, dtype=bool)
    edge[:, :-1] |= coarse[:, :-1] < coarse[:, 1:]
    edge[:, 1:] |= coarse[:, 1:] < coarse[:, :-1]
    edge[:-1, :] |= coarse[:-1, :] < coarse[1:, :]
    edge[1:, :] |= coarse[1:, :] < coarse[:-1, :]
    return edge


def contour_fill(bands: np.ndarray, mark: str = "·") -> list[list[str | None]]:
    """Monochrome heat map: ``mark`` on the cells of :func:`contour_marks`, None elsewhere."""
    return [[mark if e else None for e in row] for row in contour_marks(bands).tolist()]
