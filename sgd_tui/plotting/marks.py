"""Where the loss plot's change marks go: a run's hyperparameter changes (``lr 0.01→0.1`` after step 400)
as a vertical tick at the change's x and a label beside it, laid out on the canvas's cells.

A change is made at a step; on an x axis other than the step (samples, epoch, time) it sits at the x the
run had at that step (linear interpolation in the run's own records). A tick is one canvas column; its
label starts one column right of it (or ends one column left of it when it would leave the canvas, or is
cut with ``…`` when neither side has room). Labels never overlap one another (one blank column between
two on a row); among the rows where that holds, a label takes the one whose cells the curves and the
other ticks touch least, the top one on a tie, so it stays legible over the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["ChangeTick", "mark_positions", "data_column", "column_x", "row_y", "layout_ticks", "cells_of",
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
    """The canvas column of ``x`` (plotext's mapping of a single-character marker: the nearest cell centre)."""
    if cols <= 1 or not hi > lo:
        return 0
    return int(min(max(round((x - lo) / (hi - lo) * (cols - 1)), 0), cols - 1))


def column_x(col: int, lo: float, hi: float, cols: int) -> float:
    """The data x of a column's centre (the inverse of :func:`data_column`)."""
    return lo + col * (hi - lo) / max(cols - 1, 1)


def row_y(row: int, lo: float, hi: float, rows: int) -> float:
    """The data y of a row's centre, row 0 at the top."""
    return hi - row * (hi - lo) / max(rows - 1, 1)


def cells_of(xs: Sequence[float], ys: Sequence[float], xlim, ylim, cols: int, rows: int) -> set[tuple[int, int]]:
    """(column, row from the top) of cell centres given in data coordinates (what the curves drew)."""
    out = set()
    for x, y in zip(xs, ys):
        out.add((data_column(x, xlim[0], xlim[1], cols), rows - 1 - data_column(y, ylim[0], ylim[1], rows)))
    return out


def _spans(col: int, n: int, cols: int) -> list[tuple[int, int]]:
    """Candidate (first column, length) of a label of n characters beside a tick at ``col``: right of it,
    then left of it; when neither fits, cut to the wider side."""
    right, left = cols - col - 1, col
    fits = [(col + 1, n)] if n <= right else []
    fits += [(col - n, n)] if n <= left else []
    if fits:
        return fits
    if max(right, left) < 2:
        return []
    return [(col + 1, right)] if right >= left else [(0, left)]


def layout_ticks(ticks: Sequence[tuple[int, int, str]], cols: int, rows: int,
                 occupied: set[tuple[int, int]] = frozenset()) -> list[ChangeTick]:
    """Lay out ``ticks`` = [(owner, column, text)] on a cols x rows canvas whose ``occupied`` cells (column,
    row from the top) hold the curves. Returns one ChangeTick per tick, in the order of their columns (a
    tick without room for a label has label_row -1 and no text)."""
    taken: dict[int, list[tuple[int, int]]] = {}  # row -> [(first, last)] of the labels placed
    tick_cols = {c for _, c, _ in ticks}
    out = []
    for owner, col, text in sorted(ticks, key=lambda t: (t[1], t[0])):
        best = None
        for first, n in _spans(col, len(text), cols):
            last = first + n - 1
            others = sum(1 for c in tick_cols if first <= c <= last)
            for row in range(rows):
                if any(first <= b + 1 and a <= last + 1 for a, b in taken.get(row, ())):
                    continue  # another label is there
                hits = others + sum(1 for c in range(first, last + 1) if (c, row) in occupied)
                if best is None or (hits, row) < best[0]:
                    best = ((hits, row), first, n, row)
                if hits == 0:
                    break
        if best is None:
            out.append(ChangeTick(owner, col, col, -1, ""))
            continue
        _, first, n, row = best
        label = text if n >= len(text) else text[: n - 1] + "…"
        taken.setdefault(row, []).append((first, first + n - 1))
        out.append(ChangeTick(owner, col, first, row, label))
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
    occupied: set[tuple[int, int]] = set()
    for xs, ys in drawn:
        occupied |= cells_of(xs, ys, xlim, ylim, cols, rows)
    for x, y, text, alignment in texts:
        occupied |= text_cells(x, y, text, alignment, xlim, ylim, cols, rows)
    wanted = [(owner, data_column(x, *xlim, cols), text) for owner, x, text in marks]
    out = []
    for t in layout_ticks(wanted, cols, rows, occupied):
        free = [r for r in range(rows) if (t.col, r) not in occupied]
        x = column_x(t.col, *xlim, cols)
        out.append((t.owner, [x] * len(free), [row_y(r, *ylim, rows) for r in free], t.text,
                    column_x(t.label_col, *xlim, cols), row_y(t.label_row, *ylim, rows)))
    return out
