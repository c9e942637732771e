"""The (α, β) map of a momentum method as a picture: ρ(α, β) in colour bands, two β rows per terminal row.

The data is :func:`sgd_tui.core.theory.rate_map.rate_map_grid` (ρ = the largest root modulus over the model's
eigenvalues, columns α, rows β ascending). Here it becomes cells of ``▀`` whose foreground is the upper
pixel (the larger β) and background the lower one (:func:`~sgd_tui.plotting.raster.half_block_cells`),
top row = the largest β, as a plot reads. Colours: the heat palette in equal steps of ρ on [0, 1)
(dark blue = fast, brown = slow), ``UNSTABLE`` (a dull red) where ρ ≥ 1. Without colour every cell is a
character: a shade per band of ρ (``█`` fast … ``░`` slow) and a blank where the method diverges.
The run's (α, β) is ``CURRENT`` and the optimum ``OPTIMUM``, drawn over whatever is under them.
"""

from __future__ import annotations

import numpy as np

from sgd_tui.plotting.heat import heat_colors
from sgd_tui.plotting.raster import half_block_cells

__all__ = ["rate_cells", "RATE_BANDS", "UNSTABLE", "CURRENT", "OPTIMUM", "MONO_SHADES"]

RATE_BANDS = 8
UNSTABLE = (96, 32, 36)
CURRENT, OPTIMUM = "●", "★"
MONO_SHADES = "██▓▓▒▒░░"  # band 0 (ρ near 0: fast) … band 7 (ρ near 1: slow); unstable = " "


def _index(values: np.ndarray, v: float) -> int:
    """The grid index nearest to ``v`` (values ascending; a tie goes to the larger value)."""
    i = int(np.clip(np.searchsorted(values, v), 0, len(values) - 1))
    if i > 0 and v - values[i - 1] < values[i] - v:
        i -= 1
    return i


def rate_cells(rmap, monochrome: bool = False):
    """(chars, fgs, bgs) of the map, ``len(rmap.betas) // 2`` rows (rmap computed with 2 β rows per
    terminal row) of ``len(rmap.alphas)`` cells; colours (r, g, b) or None. In monochrome the
    characters carry the picture and the colours are None."""
    rho = np.asarray(rmap.rho, dtype=float)[::-1]  # top row = largest β
    stable = np.isfinite(rho) & (rho < 1.0)
    bands = np.where(stable, np.minimum((np.clip(rho, 0.0, 1.0) * RATE_BANDS).astype(np.int64), RATE_BANDS - 1), -1)
    rows, cols = bands.shape[0] // 2, bands.shape[1]
    if monochrome:
        coarse = bands[0:2 * rows:2]  # the upper pixel of each cell decides
        chars = [[MONO_SHADES[b] if b >= 0 else " " for b in row] for row in coarse.tolist()]
        fgs = [[None] * cols for _ in range(rows)]
        bgs = [[None] * cols for _ in range(rows)]
    else:
        palette = heat_colors(RATE_BANDS)
        pixels = [[palette[b] if b >= 0 else UNSTABLE for b in row] for row in bands[:2 * rows].tolist()]
        chars, fgs, bgs = half_block_cells(pixels)
    n_beta = 2 * rows
    for mark, where in ((OPTIMUM, rmap.optimum), (CURRENT, rmap.current)):
        if where is None or where[0] is None or not np.isfinite(where[0]) or where[0] <= 0:
            continue
        c = _index(rmap.alphas, where[0])
        b = _index(rmap.betas[:n_beta], where[1] or 0.0)
        r = (n_beta - 1 - b) // 2
        chars[r][c] = mark
        if not monochrome:
            fgs[r][c] = (255, 255, 255)
            bgs[r][c] = pixels[n_beta - 1 - b][c]
    return chars, fgs, bgs
