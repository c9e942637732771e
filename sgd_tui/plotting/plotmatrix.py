"""plotext's cell matrix of a figure (characters, colours and styles per cell), for a widget that draws it itself.

The app's plot widgets (``sgd_tui.ui.widgets.plotgrid``) turn plotext's matrix straight into Textual strips.
plotext makes it in two private steps, ``_set_sizes()`` then ``_build_matrix()``; its public ``build()`` makes
the same two calls and then also renders the matrix into an ANSI string (a few milliseconds more on a large
plot), after which the matrix is at ``fig.monitor.matrix`` all the same. So :func:`build_matrix` takes the
private steps when they work and ``build()`` otherwise: the same matrix either way.

Whether they work is checked once, at import: a small figure (title, labels, a coloured line, a scatter,
a text with a background, a canvas colour) is built both ways and the matrices compared cell by cell. When
the private methods are missing, raise or give another matrix, or the environment sets
``SGD_TUI_PUBLIC_ONLY=1``, every build goes through ``build()``. :func:`matrix_path` says which path runs
(a replay's summary.json and ``--bench`` report it).
"""

from __future__ import annotations

import os
from typing import Any

import plotext as plt

__all__ = ["build_matrix", "matrix_path", "matrix_cells", "FAST_PATH", "PUBLIC_PATH"]

FAST_PATH = "plotext._build_matrix"
PUBLIC_PATH = "plotext.build"
_PUBLIC_ONLY_ENV = "SGD_TUI_PUBLIC_ONLY"  # the same switch as core.fused_step's (no torch import here)


def _fast(fig) -> Any:
    fig._set_sizes()
    fig._build_matrix()
    return fig.monitor.matrix


def _public(fig) -> Any:
    fig.build()
    return fig.monitor.matrix


def matrix_cells(m) -> tuple:
    """Everything a drawer reads from a matrix: its size, the canvas area and the four per-cell grids."""
    return (m.rows, m.cols, tuple(m.Cols_canvas), tuple(m.Rows_canvas), m.marker, m.fullground, m.background,
            m.style)


def _probe_figure(figure_class, width: int = 34, height: int = 9):
    fig = figure_class()
    fig.theme("clear")
    fig.plotsize(width, height)
    fig.title("probe")
    fig.xlabel("x")
    fig.ylabel("y")
    fig.xlim(0, 4)
    fig.ylim(-1, 4)
    fig.canvas_color((10, 20, 30))
    fig.plot([0, 1, 2, 3, 4], [3, 1, 2, 0, 3.5], color=(200, 10, 10), marker="braille")
    fig.scatter([0.5, 2.5], [2.0, -0.5], color="green", marker="x")
    fig.text("t", 3.0, 1.0, color="white", background=(90, 90, 0))
    fig.xticks([0, 2, 4], ["0", "2", "4"])
    return fig


def _private_build_works() -> bool:
    """Whether ``_set_sizes()`` + ``_build_matrix()`` give the matrix ``build()`` gives, on a small figure."""
    figure_class = type(plt.active())
    try:
        return matrix_cells(_fast(_probe_figure(figure_class))) == matrix_cells(_public(_probe_figure(figure_class)))
    except Exception:  # noqa: BLE001 - renamed, removed or changed: the public path
        return False


_FAST = os.environ.get(_PUBLIC_ONLY_ENV, "") != "1" and _private_build_works()


def matrix_path() -> str:
    """Which way :func:`build_matrix` builds: ``"plotext._build_matrix"`` or ``"plotext.build"``."""
    return FAST_PATH if _FAST else PUBLIC_PATH


def build_matrix(fig) -> Any:
    """Lay out the configured figure (its size set) and build its cell matrix; returns ``fig.monitor.matrix``
    (``marker``, ``fullground``, ``background``, ``style`` rows, bottom row first; ``Cols_canvas`` and
    ``Rows_canvas`` the data area)."""
    return _fast(fig) if _FAST else _public(fig)
