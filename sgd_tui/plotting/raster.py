"""Drawing at sub-cell resolution: braille lines (2 x 4 dots per cell) and half blocks (2 pixels per cell).

Braille: lines and point sets rasterised to braille cells in NumPy, handed to plotext as one marker per
cell.

plotext draws a line by interpolating every segment in Python (``get_lines``) and grouping sub-cell dots
(``hd_group``); that is most of its cost. Here the same picture is computed with array operations:

* data -> dot coordinates with plotext's own mapping ``floor(0.5 + (bins - 1) (v - lo) / (hi - lo))``
  on a grid of ``2 * cols`` x ``4 * rows`` dots (a braille cell is 2 dots wide and 4 high);
* each segment between consecutive points becomes ``max(|dx|, |dy|) + 1`` dots (like plotext's line);
* dots are OR-ed into one 8-bit braille pattern per cell, and each touched cell is returned once, with the
  data coordinates of its centre, so plotext places exactly one marker (``chr(0x2800 + bits)``) per cell.

One marker per cell and series also makes the picture independent of Python's hash order (plotext
deduplicates points through a ``set``).

Half blocks: :func:`half_block_cells` turns a grid of pixel colours, two pixel rows per terminal row, into
one upper-half-block character per cell whose foreground is the upper pixel and background the lower one.
"""

from __future__ import annotations

import numpy as np

__all__ = ["braille_cells", "quadrant_cells", "half_block_cells", "UPPER_HALF", "QUADRANTS"]

UPPER_HALF = "\u2580"  # ▀

# bit of the dot at (sub-column, sub-row counted from the top) in a braille character
_DOT_BITS = np.array([[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]], dtype=np.int64)


def _to_dots(v: np.ndarray, lo: float, hi: float, bins: int) -> np.ndarray:
    return np.floor(np.round(0.5 + (bins - 1) * (v - lo) / (hi - lo), 8)).astype(np.int64)


def _rasterise(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All dots on the straight segments between consecutive points (endpoints included)."""
    if len(px) < 2:
        return px, py
    dx, dy = np.diff(px), np.diff(py)
    steps = np.maximum(np.abs(dx), np.abs(dy))
    counts = np.maximum(steps, 1)
    seg = np.repeat(np.arange(len(dx)), counts)
    k = np.arange(len(seg)) - np.repeat(np.cumsum(counts) - counts, counts)
    t = k / counts[seg]
    lx = np.rint(px[:-1][seg] + t * dx[seg]).astype(np.int64)
    ly = np.rint(py[:-1][seg] + t * dy[seg]).astype(np.int64)
    return np.r_[lx, px[-1]], np.r_[ly, py[-1]]


def braille_cells(xs, ys, xlim, ylim, cols: int, rows: int, lines: bool = True, bold: bool = False):
    """Cells touched by the points (and, with ``lines``, the segments between them) on a canvas of
    cols x rows cells spanning xlim x ylim; ``bold`` draws each dot as the 2x2 block of dots of its cell
    it lies in (a line two dots thick, readable on a projector), touching the same cells (no more bytes).

    Returns (x, y, chars): per touched cell the data coordinates of its centre (as plotext maps a
    single-character marker back into that cell) and its braille character. Dots outside the canvas are
    dropped. ``xs``/``ys`` must be finite.
    """
    dots = _sub_dots(xs, ys, xlim, ylim, cols, rows, 4, lines)
    if dots is None:
        return [], [], []
    px, py = dots
    if bold:  # x ^ 1 and y ^ 1 stay in the dot's own cell (dot columns 0-1, dot rows 0-1 and 2-3)
        px, py = np.concatenate([px, px ^ 1, px, px ^ 1]), np.concatenate([py, py, py ^ 1, py ^ 1])
    cx, cy = px // 2, py // 4
    bits = _DOT_BITS[px % 2, 3 - py % 4]
    acc, xc, yc = _cells(cx, cy, bits, xlim, ylim, cols, rows)
    return xc, yc, [chr(0x2800 + int(b)) for b in acc]


def _sub_dots(xs, ys, xlim, ylim, cols: int, rows: int, per_row: int, lines: bool):
    """The sub-cell dots (2 per cell across, ``per_row`` down) of the points (and, with ``lines``, of the
    segments between them) inside the canvas, as integer arrays (px, py); None when there are none."""
    xs = np.asarray(xs, dtype=float)
    ys = np.asarray(ys, dtype=float)
    (x0, x1), (y0, y1) = xlim, ylim
    if len(xs) == 0 or cols < 1 or rows < 1 or not (x1 > x0 and y1 > y0):
        return None
    # clip far-away points to a band around the canvas first, so rasterising cannot explode
    px = _to_dots(np.clip(xs, x0 - (x1 - x0), x1 + (x1 - x0)), x0, x1, 2 * cols)
    py = _to_dots(np.clip(ys, y0 - (y1 - y0), y1 + (y1 - y0)), y0, y1, per_row * rows)
    if lines:
        px, py = _rasterise(px, py)
    inside = (px >= 0) & (px < 2 * cols) & (py >= 0) & (py < per_row * rows)
    return (px[inside], py[inside]) if inside.any() else None


def _cells(cx, cy, bits, xlim, ylim, cols: int, rows: int):
    """The bits OR-ed per cell, for the touched cells only, with the data coordinates of their centres (as
    plotext maps a single-character marker back into its cell): (bits, x, y)."""
    (x0, x1), (y0, y1) = xlim, ylim
    acc = np.zeros(cols * rows, dtype=np.int64)
    np.bitwise_or.at(acc, cy * cols + cx, bits)
    cells = np.flatnonzero(acc)
    ccx, ccy = cells % cols, cells // cols
    xc = x0 + ccx * (x1 - x0) / max(cols - 1, 1)
    yc = y0 + ccy * (y1 - y0) / max(rows - 1, 1)
    return acc[cells].tolist(), xc.tolist(), yc.tolist()


# quadrant blocks (plotext's "hd" marker): bit 1 upper left, 2 upper right, 4 lower left, 8 lower right
QUADRANTS = " ▘▝▀▖▌▞▛▗▚▐▜▄▙▟█"
_QUAD_BITS = np.array([[1, 4], [2, 8]], dtype=np.int64)  # [sub-column][sub-row from the top]


def quadrant_cells(xs, ys, xlim, ylim, cols: int, rows: int, lines: bool = True, bold: bool = False):
    """As :func:`braille_cells`, on a grid of 2 x 2 sub-cells per cell drawn as quadrant blocks (``▘▝▖▗``
    and their unions, plotext's ``hd`` marker, in every monospace font's Block Elements): a line half a
    cell thick, readable from the back of a room. ``bold`` fills each touched cell (``█``)."""
    dots = _sub_dots(xs, ys, xlim, ylim, cols, rows, 2, lines)
    if dots is None:
        return [], [], []
    px, py = dots
    bits = np.full(len(px), 15, dtype=np.int64) if bold else _QUAD_BITS[px % 2, 1 - py % 2]
    acc, xc, yc = _cells(px // 2, py // 2, bits, xlim, ylim, cols, rows)
    return xc, yc, [QUADRANTS[b] for b in acc]


def half_block_cells(pixels: list[list]) -> tuple[list[list[str]], list[list], list[list]]:
    """Cells of a half-block picture from ``pixels[r][c]`` (colours, None = none; top pixel row first).

    Terminal row ``i`` shows pixel rows ``2i`` (upper half) and ``2i + 1`` (lower half) as ``▀`` with
    foreground ``pixels[2i][c]`` and background ``pixels[2i + 1][c]``; an odd last pixel row gets a None
    background. Returns (chars, foregrounds, backgrounds), each ``ceil(len(pixels) / 2)`` rows.
    """
    chars, fgs, bgs = [], [], []
    for i in range(0, len(pixels), 2):
        upper = list(pixels[i])
        lower = list(pixels[i + 1]) if i + 1 < len(pixels) else [None] * len(upper)
        chars.append([UPPER_HALF] * len(upper))
        fgs.append(upper)
        bgs.append(lower)
    return chars, fgs, bgs


def cell_to_data(col: int, row_from_top: int, xlim, ylim, cols: int, rows: int) -> tuple[float, float]:
    """The data point at the centre of canvas cell (col, row_from_top): the inverse of plotext's mapping
    of a value to a cell, ``c = floor(0.5 + (cols - 1)(v - lo)/(hi - lo))``, so cell c is centred on
    ``lo + c (hi - lo)/(cols - 1)`` (rows count from the bottom in plotext, from the top here)."""
    (x0, x1), (y0, y1) = xlim, ylim
    row = rows - 1 - row_from_top
    return x0 + col * (x1 - x0) / max(cols - 1, 1), y0 + row * (y1 - y0) / max(rows - 1, 1)


def zoom_window(lo: float, hi: float, anchor: float, factor: float, full_lo: float, full_hi: float):
    """The x window [lo, hi] scaled by ``factor`` (< 1 zooms in) about ``anchor``, kept inside the data's
    full range [full_lo, full_hi]; None when it covers the full range (no zoom)."""
    anchor = min(max(anchor, lo), hi)
    new_lo, new_hi = anchor - (anchor - lo) * factor, anchor + (hi - anchor) * factor
    span = full_hi - full_lo
    if span <= 0 or new_hi - new_lo >= span:
        return None
    if new_hi - new_lo < span * 1e-6:
        return lo, hi  # as far as it goes
    if new_lo < full_lo:
        new_lo, new_hi = full_lo, full_lo + (new_hi - new_lo)
    if new_hi > full_hi:
        new_lo, new_hi = full_hi - (new_hi - new_lo), full_hi
    return new_lo, new_hi
