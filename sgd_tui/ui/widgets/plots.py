"""The plot widgets of the app: loss curves, 2-D trajectories over a heat map, test metrics per epoch.

Every widget owns its data (a list of :class:`PlotRun`, each pointing at a :class:`RunSeries`) and draws
from it on ``refresh_if_changed()``, which the app calls from one timer (~5 Hz); nothing is drawn when no
series version, option or size changed. Each build is idempotent (see :mod:`.plotgrid`) and never raises.

What a plot shows is decided by the plotting layer (:mod:`sgd_tui.plotting`): data reaching plotext is
sanitised (NaN/inf dropped, values <= 0 dropped on a log axis, everything clipped to ±1e300), thinned to
at most two points per canvas column, rasterised to braille cells and plotted against axis limits snapped
to 1-2-5 values or decades with short tick labels; the heat map's bands, colours and contour marks come
from there too. The widgets here hold the runs and options and hand the results to plotext and
:mod:`.plotgrid`, which turns them into Strips.

Monochrome mode draws no colour at all: runs are told apart by their marker characters, the heat map
becomes dotted contour lines between its bands.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from sgd_tui.core.text import safe_text
from sgd_tui.plotting.basinpaint import basin_legend, basin_overlay
from sgd_tui.plotting.marks import change_ticks, mark_positions
from sgd_tui.plotting.heat import band_colors, contour_fill, heat_bands, sample_grid, sample_pixels
from sgd_tui.plotting.raster import half_block_cells
from sgd_tui.plotting.palette import CURRENT_MARK, MIN_MARK, RUN_COLORS, START_MARK, run_marker
from sgd_tui.plotting.prepare import clamp_path, ema, sanitize, thin, thin_path
from sgd_tui.plotting.raster import braille_cells
from sgd_tui.plotting.scales import linear_limits, linear_ticks, tick_labels, value_axis, x_limits
from sgd_tui.plotting.series import X_KEYS, RunSeries
from sgd_tui.ui.widgets.plot_mouse import StartClick, WheelZoom
from sgd_tui.ui.widgets.plotgrid import CanvasOverlay, LegendItem, PlotGrid, rgb_of

__all__ = ["PlotRun", "LossPlot", "TrajectoryPlot", "EvalPlot"]

X_NAMES = {"step": "step", "samples": "samples", "epoch": "epoch", "time": "time (s)"}


@dataclass
class PlotRun:
    """One run as the plots see it; ``color`` is an (r, g, b) tuple or a colour string ("#56b4e9", "red")."""

    run_id: str
    label: str
    color: str | tuple
    series: RunSeries
    visible: bool = True
    start: tuple | None = None  # 2-D runs: the run's own starting point (None = the objective's)
    f_star: float | None = None  # the minimum value of the run's objective, where known
    diverged: bool = False  # the run ended "diverged" (its curve ends with a mark, its values leave the axis)


class _RunsPlot(PlotGrid):
    """Shared bookkeeping: the run list, per-run colours and markers, and the change key."""

    def __init__(self, *, monochrome: bool = False, name=None, id=None, classes=None) -> None:  # noqa: A002
        super().__init__(monochrome=monochrome, name=name, id=id, classes=classes)
        self._runs: list[PlotRun] = []
        self.own_legend = True
        self.line_canvas: tuple[int, int] | None = None

    def set_runs(self, runs: Sequence[PlotRun]) -> None:
        """Replace the run list (the order is the drawing order: later runs are drawn on top)."""
        self._runs = list(runs)

    def _visible(self) -> list[tuple[int, PlotRun]]:
        return [(i, r) for i, r in enumerate(self._runs) if r.visible]

    def run_rgb(self, index: int, run: PlotRun) -> tuple[int, int, int]:
        return rgb_of(run.color) or RUN_COLORS[index % len(RUN_COLORS)]

    def run_marker(self, index: int, hd: str = "braille") -> str:
        return run_marker(index) if self.monochrome else hd

    def plot_color(self, index: int, run: PlotRun):
        return "default" if self.monochrome else self.run_rgb(index, run)

    def state_key(self) -> tuple:
        return tuple((r.run_id, r.label, r.color, r.visible, r.series.version, r.f_star, r.diverged)
                     for r in self._runs)

    def plot_line(self, fig, index: int, run: PlotRun, xs, ys, xlim, ylim, canvas, yside: str = "left"):
        """Draw a run's line as one marker per canvas cell: braille patterns, or in monochrome the run's
        marker character (see :mod:`.braille`). Returns the centres (xs, ys) of the cells it took."""
        self.line_canvas = canvas  # what the markers were laid out for (tests compare it with self.canvas)
        cx, cy, chars = braille_cells(xs, ys, xlim, ylim, *canvas)
        if cx:
            marker = self.run_marker(index) if self.monochrome else chars
            fig.scatter(cx, cy, marker=marker, color=self.plot_color(index, run), yside=yside)
        return cx, cy

    def run_legend(self) -> list[LegendItem]:
        """The runs' swatches and labels, unless the app shows one legend for every plot (``own_legend``
        False): then each plot's top line says only what its axes are."""
        items: list[LegendItem] = []
        if not self.own_legend:
            return items
        for i, run in self._visible():
            mark = run_marker(i) if self.monochrome else "━━"
            items.append((f"{mark} {safe_text(run.label, newlines=False)}", self.run_rgb(i, run)))
        return items


class LossPlot(WheelZoom, _RunsPlot):
    """Training loss of all runs on shared axes.

    Options (plain attributes; the next ``refresh_if_changed()`` picks a change up):
    ``x_key`` step | samples | epoch | time; ``log_y``; ``smoothing`` the EMA weight in [0, 0.99]
    (on a log axis the EMA runs on log10(loss), i.e. a geometric average); ``loss_mode`` value | gap | auto:
    the gap f − f* to the objective's minimum value (runs whose f* is known), "auto" = the gap on a log
    axis. On a log axis the gap shows convergence even where f* < 0, and a fast method's drop to 1e-30.

    A diverged run's curve ends with a mark and the word ``diverged``; the y axis spans the runs that did
    not diverge (their values, clipped to it, no longer squash the others), and the title says so.
    """

    DIVERGED_MARK = "✕"
    TICK_MARK = "╎"  # a hyperparameter change (its label beside it: lr 0.01→0.1)

    def __init__(
        self,
        *,
        x_key: str = "step",
        log_y: bool = True,
        smoothing: float = 0.0,
        loss_mode: str = "auto",
        monochrome: bool = False,
        name=None,
        id=None,  # noqa: A002
        classes=None,
    ) -> None:
        super().__init__(monochrome=monochrome, name=name, id=id, classes=classes)
        self.x_key = x_key
        self.log_y = log_y
        self.smoothing = smoothing
        self.loss_mode = loss_mode
        self.clipped = False  # the last build left a diverged run's values off the y axis
        self._prepared: dict[str, tuple[tuple, np.ndarray, np.ndarray]] = {}
        self.x_zoom: tuple[float, float] | None = None  # the wheel's x window (None: all the data)
        self.x_full = self.x_shown = None  # the data's x range and the drawn limits, in the last build

    def state_key(self) -> tuple:
        return (self.x_key, bool(self.log_y), float(self.smoothing), self.loss_mode, self.x_zoom,
                super().state_key())

    def uses_gap(self) -> bool:
        """Whether the plot shows f − f*: asked for (or "auto" on a log axis) and f* known for a shown run."""
        if self.loss_mode == "value" or (self.loss_mode == "auto" and not self.log_y):
            return False
        return any(r.f_star is not None for _, r in self._visible())

    def log_axis(self) -> bool:
        """The y axis is logarithmic when asked for, unless a shown run's loss is negative (a surface whose
        minimum is below zero, such as the saddle's -1/4) and the plot shows f, not the gap f − f* (which is
        never negative): a log axis would hide exactly the best part. (An exact 0, Newton landing on a
        minimum, is just left off the log axis.)"""
        if not self.log_y:
            return False
        if self.uses_gap():
            return True
        return not any(r.series.best_loss is not None and r.series.best_loss < 0 for _, r in self._visible())

    def y_name(self) -> str:
        what = "f − f*" if self.uses_gap() else "loss"
        if self.log_axis():
            return f"log {what}"
        return f"{what} (< 0: linear)" if self.log_y else what

    def legend(self) -> list[LegendItem]:
        axis = X_NAMES.get(self.x_key, self.x_key) + ", " + self.y_name()
        if self.smoothing:
            axis += f", EMA {self.smoothing:g}"
        if self.clipped:
            axis += f", y clipped ({self.DIVERGED_MARK} diverged)"
        items = self.run_legend()
        return items + [(f"[{axis}]", None)] if self._visible() else [("no runs yet", None)]

    def _series_xy(self, run: PlotRun) -> tuple[np.ndarray, np.ndarray]:
        """Sanitised (gap, log10, smoothed) data of one run, cached by series version and options."""
        x_key = self.x_key if self.x_key in X_KEYS else "step"
        smoothing = min(max(float(self.smoothing), 0.0), 0.99)
        log = self.log_axis()
        shift = run.f_star if self.uses_gap() and run.f_star is not None else 0.0
        key = (run.series.version, x_key, log, smoothing, shift)
        hit = self._prepared.get(run.run_id)
        if hit is not None and hit[0] == key:
            return hit[1], hit[2]
        xs, ys = run.series.xy(x_key)
        xs, ys = sanitize(xs, np.asarray(ys, dtype=float) - shift, log=log)
        if log:
            ys = np.log10(ys)
        if smoothing > 0:
            ys = ema(ys, smoothing)
        self._prepared[run.run_id] = (key, xs, ys)
        return xs, ys

    def draw(self, fig, width: int, height: int) -> None:
        data = [(i, run, *self._series_xy(run)) for i, run in self._visible()]
        self._prepared = {k: v for k, v in self._prepared.items() if any(k == r.run_id for r in self._runs)}
        data = [d for d in data if len(d[2])]
        # the y range of the runs that did not diverge (all runs when every one diverged)
        calm = [d for d in data if not d[1].diverged] or data
        if data:
            x_lo, x_hi = x_limits(min(float(d[2][0]) for d in data), max(float(d[2][-1]) for d in data))
            self.x_full = (x_lo, x_hi)
            if self.x_zoom is not None:  # the y axis fits what the window shows
                x_lo, x_hi = max(self.x_zoom[0], x_lo), min(self.x_zoom[1], x_hi)
                data = [(i, r, xs[m], ys[m]) for i, r, xs, ys in data
                        for m in [(xs >= x_lo) & (xs <= x_hi)] if m.any()] or data
                calm = [d for d in data if not d[1].diverged] or data
            y_min = min(float(d[3].min()) for d in calm)
            y_max = max(float(d[3].max()) for d in calm)
        else:
            x_lo, x_hi, y_min, y_max = 0.0, 1.0, 0.0, 1.0
        n_rows = max(height - 3, 1)
        y = value_axis(y_min if data else None, y_max if data else None, max(2, n_rows // 3), self.log_axis())
        self.clipped = any(d[1].diverged and (d[3].max() > y.hi or d[3].min() < y.lo) for d in data)
        canvas = self.canvas_size(width, height, y.labels if data else ())
        ends, drawn = [], []
        for i, run, xs, ys in data:
            if run.diverged:
                ys = np.clip(ys, y.lo, y.hi)
                ends.append((i, run, float(xs[-1]), float(ys[-1])))
            xs, ys = thin(xs, ys, canvas[0], x_lo, x_hi)
            drawn.append(self.plot_line(fig, i, run, xs, ys, (x_lo, x_hi), (y.lo, y.hi), canvas))
        texts = []
        for i, run, x, yv in ends:  # the end of a diverged curve: a mark and the word, inside the frame
            right = x > (x_lo + x_hi) / 2
            mark = f"diverged {self.DIVERGED_MARK}" if right else f"{self.DIVERGED_MARK} diverged"
            texts.append((x, yv, mark, "right" if right else "left"))
            fig.text(mark, x, yv, color=self.plot_color(i, run), style="bold", alignment=texts[-1][3])
        self._marks(fig, data, drawn, texts, (x_lo, x_hi), (y.lo, y.hi), canvas)
        canvas_w = canvas[0]
        x_ticks = linear_ticks(x_lo, x_hi, max(2, canvas_w // 10))
        self.x_shown = (x_lo, x_hi)
        fig.xlim(x_lo, x_hi)
        fig.ylim(y.lo, y.hi)
        fig.xticks(x_ticks, tick_labels(x_ticks))
        fig.yticks(y.ticks, y.labels)
        return None

    def _marks(self, fig, data, drawn, texts, xlim, ylim, canvas) -> None:
        """The runs' hyperparameter changes (:mod:`sgd_tui.plotting.marks`): a dotted vertical tick at each
        change's x in the run's colour, where the curves (``drawn``: their cells) and ``texts`` leave room,
        and its label ``lr 0.01→0.1`` beside it, in a row where they and the other labels leave it legible."""
        x_key = self.x_key if self.x_key in X_KEYS else "step"
        wanted = [(i, x, safe_text(text, newlines=False)) for i, run, _, _ in data if run.series.marks
                  for x, text in mark_positions(run.series.marks, run.series.xy("step")[0], run.series.xy(x_key)[0],
                                                xlim)]
        runs = {i: (run, [], []) for i, run, _, _ in data}
        for i, xs, ys, text, tx, ty in change_ticks(wanted, xlim, ylim, *canvas, drawn, texts):
            runs[i][1].extend(xs)  # one scatter per run: plotext's cost is per call
            runs[i][2].extend(ys)
            if text:
                fig.text(text, tx, ty, color=self.plot_color(i, runs[i][0]), alignment="left")
        for i, (run, xs, ys) in runs.items():
            if xs:
                fig.scatter(xs, ys, marker=self.TICK_MARK, color=self.plot_color(i, run))


class TrajectoryPlot(StartClick, _RunsPlot):
    """Paths of 2-D runs over a heat map of the surface, with start (o), current (@) and minima (*) marks.

    The heat map (bands of log1p(f - min f)) is drawn at two pixels per canvas cell, upper half block
    ``▀`` with foreground = upper and background = lower pixel, where no path or marker is drawn (those
    cells keep the upper pixel as background); monochrome draws its contour marks instead (log-spaced
    levels, since the bands are). Computed once per canvas size; the paths are braille lines clamped to the surface's bounds, which are also the fixed
    axis limits (so the axes never move and a diverging run sticks to the edge instead of rescaling).
    """

    MAX_PATH_POINTS = 2000

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
        items = self.run_legend()
        if self.basins is not None:  # first: the runs are named on the loss plot too
            items = [(f"basins of {self.basins.optimizer}:", None), *basin_legend(self.basins, self.monochrome), *items]
        marks = f"[{START_MARK} start  {CURRENT_MARK} now  {MIN_MARK} minimum]"
        if sum(len(t) + 2 for t, _ in items) + len(marks) > self.size.width:  # a narrow plot: say it shorter
            marks = f"[{START_MARK} start {CURRENT_MARK} now {MIN_MARK} min]"
        return items + [(marks, None)]

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


class EvalPlot(_RunsPlot):
    """Test loss (left axis, braille line) and test accuracy in % (right axis, dotted line) per epoch."""

    ACC_MARK = "·"

    def legend(self) -> list[LegendItem]:
        items = self.run_legend()
        if not self._visible():
            return [("no runs yet", None)]
        loss_mark = "run marker:" if self.monochrome else "━━"
        return items + [(f"[{loss_mark} test loss (left)  {self.ACC_MARK} accuracy % (right)]", None)]

    def draw(self, fig, width: int, height: int) -> None:
        data = []
        for i, run in self._visible():
            epochs, loss, acc = run.series.evals()
            le, ll = sanitize(epochs, loss)
            ae, aa = sanitize(epochs, 100.0 * acc)
            if len(le) or len(ae):
                data.append((i, run, le, ll, ae, aa))
        n_rows = max(height - 3, 1)
        n_ticks = max(2, n_rows // 3)
        all_e = [float(v) for d in data for v in (*d[2][-1:], *d[4][-1:])]
        x_lo, x_hi = x_limits(0.0, max(all_e)) if all_e else (0.0, 1.0)
        losses = [d[3] for d in data if len(d[3])]
        accs = [d[5] for d in data if len(d[5])]
        loss_axis = value_axis(min(map(np.min, losses)) if losses else None,
                               max(map(np.max, losses)) if losses else None, n_ticks)
        l_lo, l_hi, l_ticks, l_labels = loss_axis.lo, loss_axis.hi, loss_axis.ticks, loss_axis.labels
        a_lo, a_hi = linear_limits(min(map(np.min, accs)), max(map(np.max, accs))) if accs else (0.0, 100.0)
        a_lo, a_hi = max(a_lo, 0.0), min(a_hi, 100.0) if a_hi > max(a_lo, 0.0) else a_hi
        a_ticks = linear_ticks(a_lo, a_hi, n_ticks)
        a_labels = tick_labels(a_ticks)
        has_l, has_a = any(len(d[2]) for d in data), any(len(d[4]) for d in data)
        canvas = self.canvas_size(width, height, l_labels if has_l else (), a_labels if has_a else ())
        canvas_w = canvas[0]
        for i, run, le, ll, ae, aa in data:
            color = self.plot_color(i, run)
            if len(le):
                self.plot_line(fig, i, run, le, ll, (x_lo, x_hi), (l_lo, l_hi), canvas)
            if len(ae):
                cx, cy, _ = braille_cells(ae, aa, (x_lo, x_hi), (a_lo, a_hi), *canvas)
                fig.scatter(cx, cy, marker=self.ACC_MARK, color=color, yside="right")
                if self.monochrome:  # the run's marker on each evaluated epoch
                    cx, cy, _ = braille_cells(ae, aa, (x_lo, x_hi), (a_lo, a_hi), *canvas, lines=False)
                    fig.scatter(cx, cy, marker=self.run_marker(i), yside="right")
        x_ticks = linear_ticks(x_lo, x_hi, max(2, canvas_w // 10))
        fig.xlim(x_lo, x_hi)
        fig.ylim(l_lo, l_hi, yside="left")
        fig.ylim(a_lo, a_hi, yside="right")
        fig.xticks(x_ticks, tick_labels(x_ticks))
        fig.yticks(l_ticks, l_labels, yside="left")
        fig.yticks(a_ticks, a_labels, yside="right")
        return None
