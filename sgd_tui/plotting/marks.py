"""Where the loss plot's change marks go: a run's hyperparameter changes (``lr 0.01→0.1`` after step 400)
as a vertical tick at the change's x and a label beside it, laid out on the canvas's cells.

A change is made at a step; on an x axis other than the step (samples, epoch, time) it sits at the x the
run had at that step (linear interpolation in the run's own records). A tick is one canvas column; its
label starts one column right of it (or ends one column left of it when it would leave the canvas). A
label is never cut inside a number: when the whole text fits on neither side, its numbers are shortened
(to 3, then 2 significant digits); when even that does not fit, the tick has no label and the plot lists
the change on its legend line. Labels never overlap one another nor other text (a diverged run's word),
with one blank column between; among the rows where that holds, a label takes the one whose cells the
curves and the other ticks touch least (the longer form first when both are clear), the top one on a
tie, so it stays legible over the data.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from sgd_tui.plotting.raster import cell_to_data

__all__ = ["ChangeTick", "mark_positions", "data_column", "layout_ticks", "label_forms", "cells_of",
           "text_cells", "change_ticks"]


@dataclass(frozen=True)
class ChangeTick:
    """A laid-out change: ``owner`` (the caller's key, e.g. a run index), the tick's canvas column, and its
    label's first column, row (0 = the top row) and text (possibly cut)."""

    owner: int
    col: int
    label_col: int
    label_row: int
    text: str


def mark_positions(marks: Iterable[tuple[int, str]], steps, xs, xlim: tuple[float, float]) -> list[tuple[float, str]]:
    """(x, text) of each change reached so far (its step <= the run's last recorded step) inside ``xlim``;
    ``steps``/``xs`` are the run's records (step and the plot's x), x interpolated at the change's step."""
    steps, xs = np.asarray(steps, dtype=float), np.asarray(xs, dtype=float)
    ok = np.isfinite(steps) & np.isfinite(xs)
    steps, xs = steps[ok], xs[ok]
    out = []
    if not len(steps):
        return out
    for step, text in marks:
        if step > steps[-1]:
            continue  # not reached yet
        x = float(np.interp(step, steps, xs))
        if xlim[0] <= x <= xlim[1]:
            out.append((x, text))
    return out


def data_column(x: float, lo: float, hi: float, cols: int) -> int:
    """The canvas column of ``x`` as plotext maps a single-character marker or a text: the nearest cell
    centre, ``floor(½ + (cols - 1)(x - lo)/(hi - lo))`` after rounding to 8 decimals (plotext's own
    rounding, half up), so halfway between two centres is the right one (Python's round would take the
    even one)."""
    if cols <= 1 or not hi > lo:
        return 0
    n = (0.5 + (cols - 1) * (x - lo) / (hi - lo)) * 1e8
    whole = math.floor(n)
    n = (whole if n - whole < 0.5 else math.ceil(n)) * 1e-8
    return int(min(max(math.floor(n), 0), cols - 1))


def cells_of(xs: Sequence[float], ys: Sequence[float], xlim, ylim, cols: int, rows: int) -> set[tuple[int, int]]:
    """(column, row from the top) of cell centres given in data coordinates (what the curves drew)."""
    grid = np.zeros((rows, cols), dtype=bool)
    _mark_cells(grid, xs, ys, xlim, ylim)
    r, c = np.nonzero(grid)
    return set(zip(c.tolist(), r.tolist()))


def _mark_cells(grid: np.ndarray, xs, ys, xlim, ylim) -> None:
    """Set the cells of ``grid`` (rows from the top x columns) holding cell centres (xs, ys)."""
    rows, cols = grid.shape
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    if not len(xs) or not (xlim[1] > xlim[0] and ylim[1] > ylim[0]):
        return
    c = np.clip(np.rint((xs - xlim[0]) / (xlim[1] - xlim[0]) * (cols - 1)), 0, cols - 1).astype(int)
    r = np.clip(np.rint((ys - ylim[0]) / (ylim[1] - ylim[0]) * (rows - 1)), 0, rows - 1).astype(int)
    grid[rows - 1 - r, c] = True


_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?(?![\w.])")


def label_forms(text: str) -> list[str]:
    """``text`` and shorter forms of it, longest first, each number whole: its numbers to 3, then 2
    significant digits (``lr 0.001→0.0017783`` -> ``lr 0.001→0.00178`` -> ``lr 0.001→0.0018``). A label
    is never cut inside a number: when no form fits, the tick goes without one (the plot lists it)."""
    forms = [text]
    for digits in (3, 2):
        short = _NUMBER.sub(lambda m: f"{float(m.group(0)):.{digits}g}", text)
        if len(short) < len(forms[-1]):
            forms.append(short)
    return forms


def _spans(col: int, n: int, cols: int) -> list[tuple[int, int]]:
    """Candidate (first column, length) of a label of n characters beside a tick at ``col``: right of it,
    then left of it (none when neither side has room)."""
    right, left = cols - col - 1, col
    fits = [(col + 1, n)] if n <= right else []
    fits += [(col - n, n)] if n <= left else []
    return fits


def layout_ticks(ticks: Sequence[tuple[int, int, str]], cols: int, rows: int,
                 occupied: set[tuple[int, int]] | np.ndarray = frozenset(),
                 blocked: np.ndarray | None = None) -> list[ChangeTick]:
    """Lay out ``ticks`` = [(owner, column, text)] on a cols x rows canvas whose ``occupied`` cells hold the
    curves (a set of (column, row from the top), or a rows x cols boolean grid) and whose ``blocked`` cells
    (rows x cols) hold other text, which a label never touches (nor the column beside it). Returns one
    ChangeTick per tick, in the order of their columns; a label takes the longest of :func:`label_forms`
    that fits on a row clear of the curves, else the one over the fewest curve cells; a tick whose label
    fits nowhere has label_row -1 and no text."""
    if isinstance(occupied, np.ndarray):
        busy = occupied.astype(np.int64)
    else:
        busy = np.zeros((rows, cols), dtype=np.int64)
        for c, r in occupied:
            busy[r, c] = 1
    labels = np.zeros((rows, cols), dtype=bool)  # cells the labels placed so far cover
    if blocked is not None:
        labels |= blocked.astype(bool)
    ticked = np.zeros(cols, dtype=np.int64)
    ticked[[c for _, c, _ in ticks]] = 1
    out = []
    for owner, col, text in sorted(ticks, key=lambda t: (t[1], t[0])):
        best = None
        for k, form in enumerate(label_forms(text)):
            for first, n in _spans(col, len(form), cols):
                last = first + n - 1
                # a row is open when no label or text is within one column of the span
                open_rows = ~labels[:, max(first - 1, 0):last + 2].any(axis=1)
                hits = busy[:, first:last + 1].sum(axis=1) + ticked[first:last + 1].sum()
                for row in np.flatnonzero(open_rows):
                    key = (int(hits[row]) > 0, k, int(hits[row]), int(row))
                    if best is None or key < best[0]:
                        best = (key, first, form, int(row))
        if best is None:
            out.append(ChangeTick(owner, col, col, -1, ""))
            continue
        _, first, form, row = best
        labels[row, first:first + len(form)] = True
        out.append(ChangeTick(owner, col, first, row, form))
    return out


def text_cells(x: float, y: float, text: str, alignment: str, xlim, ylim, cols: int, rows: int):
    """The cells (column, row from the top) plotext writes ``text`` to at (x, y), aligned "left" (it
    starts there) or "right" (it ends there)."""
    col = data_column(x, *xlim, cols)
    first = col if alignment == "left" else col - len(text) + 1
    row = rows - 1 - data_column(y, ylim[0], ylim[1], rows)
    return {(c, row) for c in range(first, first + len(text))}


def change_ticks(marks: Sequence[tuple[int, float, str]], xlim, ylim, cols: int, rows: int,
                 drawn: Sequence[tuple[Sequence[float], Sequence[float]]] = (),
                 texts: Sequence[tuple[float, float, str, str]] = ()):
    """What to draw for ``marks`` = [(owner, x, text)] on a cols x rows canvas spanning xlim x ylim, where
    the curves ``drawn`` = [(xs, ys) of the cell centres they took] and other ``texts`` = [(x, y, text,
    alignment)] are: per tick (owner, xs, ys of its cells the curves and texts left free, text, x, y of
    the label's first cell) in data coordinates; text '' when there was no room for a label."""
    grid = np.zeros((rows, cols), dtype=bool)
    for xs, ys in drawn:
        _mark_cells(grid, xs, ys, xlim, ylim)
    blocked = np.zeros((rows, cols), dtype=bool)
    for x, y, text, alignment in texts:
        for c, r in text_cells(x, y, text, alignment, xlim, ylim, cols, rows):
            if 0 <= c < cols and 0 <= r < rows:
                blocked[r, c] = True
    grid |= blocked
    wanted = [(owner, data_column(x, *xlim, cols), text) for owner, x, text in marks]
    out = []
    for t in layout_ticks(wanted, cols, rows, grid, blocked):
        free = np.flatnonzero(~grid[:, t.col]).tolist()
        centres = [cell_to_data(t.col, r, xlim, ylim, cols, rows) for r in free]
        label_x, label_y = cell_to_data(t.label_col, t.label_row, xlim, ylim, cols, rows)
        out.append((t.owner, [x for x, _ in centres], [y for _, y in centres], t.text, label_x, label_y))
    return out
