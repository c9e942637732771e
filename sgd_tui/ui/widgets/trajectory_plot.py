"""The 2-D view: each run's path over a heat map of the surface (:class:`TrajectoryPlot`), with start,
current and minimum marks, the basin map in place of the heat map, and a click to move a start."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from sgd_tui.plotting.basinpaint import basin_legend, basin_overlay
from sgd_tui.plotting.heat import band_colors, contour_fill, heat_bands, sample_grid, sample_pixels
from sgd_tui.plotting.palette import CURRENT_MARK, MIN_MARK, START_MARK
from sgd_tui.plotting.prepare import clamp_path, thin_path
from sgd_tui.plotting.raster import half_block_cells
from sgd_tui.plotting.scales import linear_ticks, tick_labels
from sgd_tui.ui.widgets.plot_mouse import StartClick
from sgd_tui.ui.widgets.plotgrid import CanvasOverlay, LegendItem
from sgd_tui.ui.widgets.runs_plot import RunsPlot


class TrajectoryPlot(StartClick, RunsPlot):
    """Paths of 2-D runs over a heat map of the surface, with start (o), current (@) and minima (*) marks.

    The heat map (bands of log1p(f - min f)) is drawn at two pixels per canvas cell, upper half block
    ``▀`` with foreground = upper and background = lower pixel, where no path or marker is drawn (those
    cells keep the upper pixel as background); monochrome draws its contour marks instead (log-spaced
    levels, since the bands are). Computed once per canvas size; the paths are braille lines clamped to the surface's bounds, which are also the fixed
    axis limits (so the axes never move and a diverging run sticks to the edge instead of rescaling).
    """

    MAX_PATH_POINTS = 2000
    BOLD_LINES = True  # paths two dots thick over the heat map: readable from the back of a room

    def __init__(self, *, monochrome: bool = False, name=None, id=None, classes=None) -> None:  # noqa: A002
        super().__init__(monochrome=monochrome, name=name, id=id, classes=classes)
        self._grid_fn: Callable | None = None
        self._bounds = ((0.0, 1.0), (0.0, 1.0))
        self._minima: list[tuple[float, float]] = []
        self._start: tuple[float, float] | None = None
        self._surface_version = 0
        self._heat_key: tuple | None = None
        self._heat: np.ndarray | None = None
        self.basins = None  # a core.basins.BasinMap drawn in place of the heat map (the b key), or None
        self._drawn_limits = None  # the axis limits of the last build with a surface (see data_limits)

    def set_basins(self, bmap) -> None:
        """Draw ``bmap`` (None: the heat map again) under the paths."""
        self.basins = bmap
        self._surface_version += 1

    def set_surface(self, grid_fn: Callable, bounds, minima: Sequence[tuple[float, float]] = (),
                    start=None) -> None:
        """grid_fn(xs, ys) -> array (len(ys), len(xs)) of f (the problem's ``grid``); bounds ((x0, x1), (y0, y1));
        start: the objective's default starting point, marked for runs that have not stepped yet."""
        self._start = None if start is None else (float(start[0]), float(start[1]))
        (x0, x1), (y0, y1) = bounds
        if not (x1 > x0 and y1 > y0):
            raise ValueError(f"surface bounds must be increasing, got {bounds}")
        self._grid_fn = grid_fn
        self._bounds = ((float(x0), float(x1)), (float(y0), float(y1)))
        self._minima = [(float(x), float(y)) for x, y in minima]
        self._surface_version += 1
        self._heat_key = None

    def state_key(self) -> tuple:
        return (self._surface_version, super().state_key())

    def data_limits(self):
        """The axis limits (xlim, ylim) of the frame on screen (the surface's bounds when it was last drawn;
        None before a surface was drawn): a click maps through the same build as ``canvas_box``, so a new
        surface that has not been drawn yet cannot shift it."""
        return self._drawn_limits

    def legend(self) -> list[LegendItem]:
        """The runs (when this plot names them), then the basins' colours and shares when the map is shown,
        then the marks; said shorter, step by step, until the line fits the plot's width (the basins before
        the marks: the map cannot be read without them)."""
        runs = self.run_legend()
        width = self.size.width

        def fits(items) -> bool:
            return sum(len(t) + 2 for t, _ in items) <= width

        marks = [f"[{START_MARK} start  {CURRENT_MARK} now  {MIN_MARK} minimum]",
                 f"[{START_MARK} start {CURRENT_MARK} now {MIN_MARK} min]"]
        if self.basins is None:
            return runs + [(marks[0] if fits(runs + [(marks[0], None)]) else marks[1], None)]
        b = self.basins
        forms = [[(f"basins of {b.optimizer}:", None), *basin_legend(b, self.monochrome, form)]
                 for form in ("full", "compact")]
        forms.append([(f"{b.optimizer} basins:", None), *basin_legend(b, self.monochrome, "shares")])
        forms.append(forms[-1][1:])
        for items in ([*f, *runs, (m, None)] for f in forms for m in marks):
            if fits(items):
                return items
        for basins in forms:  # no room for the marks (the map shows them anyway)
            if fits([*basins, *runs]):
                return [*basins, *runs]
        return [*forms[-1], *runs]

    def _bands(self, cols: int, rows: int) -> np.ndarray | None:
        """Heat-map bands for a canvas of cols x rows cells (top row first), cached per size and surface."""
        if self._grid_fn is None:
            return None
        key = (cols, rows, self._surface_version, self.monochrome)
        if key != self._heat_key:  # colour: 2 pixel rows per cell row; monochrome: one sample per cell
            sample = sample_grid if self.monochrome else sample_pixels
            self._heat = heat_bands(sample(self._grid_fn, self._bounds, cols, rows))
            self._heat_key = key
        return self._heat

    def _overlay(self, cols: int, rows: int):
        if self.basins is not None:
            return basin_overlay(self.basins, self._bounds, cols, rows, self.monochrome)
        bands = self._bands(cols, rows)
        if bands is None:
            return [[None] * cols for _ in range(rows)], None
        if self.monochrome:
            return [[None] * cols for _ in range(rows)], contour_fill(bands)
        _, upper, lower = half_block_cells(band_colors(bands))
        return upper, None, lower

    def draw(self, fig, width: int, height: int) -> CanvasOverlay:
        (x0, x1), (y0, y1) = self._bounds
        n_rows = max(height - 3, 1)
        y_ticks = linear_ticks(y0, y1, max(2, n_rows // 3))
        y_labels = tick_labels(y_ticks)
        paths = [(i, run, *clamp_path(*run.series.path(), self._bounds)) for i, run in self._visible()]
        waiting = [(i, run, run.start or self._start) for i, run, xs, _ in paths if not len(xs)]
        paths = [p for p in paths if len(p[2])]
        canvas = self.canvas_size(width, height, y_labels if paths or waiting or self._minima else ())
        x_ticks = linear_ticks(x0, x1, max(2, canvas[0] // 10))
        for i, run, xs, ys in paths:
            color = self.plot_color(i, run)
            px, py = thin_path(xs, ys, self._bounds, 2 * canvas[0], 4 * canvas[1], self.MAX_PATH_POINTS)
            self.plot_line(fig, i, run, px, py, (x0, x1), (y0, y1), canvas)
            fig.scatter([float(xs[0])], [float(ys[0])], marker=START_MARK, color=color)
            fig.scatter([float(xs[-1])], [float(ys[-1])], marker=CURRENT_MARK, color=color, style="bold")
        for i, run, start in waiting:  # where a run will set off, before its first step
            if start is not None and x0 <= start[0] <= x1 and y0 <= start[1] <= y1:
                fig.scatter([float(start[0])], [float(start[1])], marker=START_MARK, color=self.plot_color(i, run))
        if self._minima:
            mx, my = zip(*self._minima)
            fig.scatter(list(mx), list(my), marker=MIN_MARK, color="default" if self.monochrome else (255, 255, 255))
        fig.xlim(x0, x1)
        fig.ylim(y0, y1)
        fig.xticks(x_ticks, tick_labels(x_ticks))
        fig.yticks(y_ticks, y_labels)
        self._drawn_limits = self._bounds if self._grid_fn is not None else None
        return CanvasOverlay(self._overlay)
