"""The base of the plots that draw one line per run (:class:`RunsPlot`), the run data they draw
(:class:`PlotRun`) and the names of the loss plot's x axes (``X_NAMES``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sgd_tui.core.text import safe_text
from sgd_tui.plotting.palette import RUN_COLORS, run_marker
from sgd_tui.plotting.series import RunSeries
from sgd_tui.ui.widgets.plotgrid import LegendItem, PlotGrid, rgb_of

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
    ends: dict | None = None  # where the budget ends on each x axis (plotting.budget.budget_ends)


class RunsPlot(PlotGrid):
    """Shared bookkeeping: the run list, per-run colours and markers, and the change key."""

    BOLD_LINES = False  # lines two braille dots thick (raster.braille_cells' bold): the trajectory plot's paths

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

    def budget_end(self, x_key: str) -> float | None:
        """Where the visible runs' budgets end on this x axis (the latest of them); None when one is not
        known (the time axis, a run without a resolvable spec) or no run is visible."""
        ends = [(r.ends or {}).get(x_key) for _, r in self._visible()]
        if not ends or any(e is None or not e > 0 for e in ends):
            return None
        return float(max(ends))

    def run_rgb(self, index: int, run: PlotRun) -> tuple[int, int, int]:
        return self.style.color(rgb_of(run.color) or RUN_COLORS[index % len(RUN_COLORS)])

    def run_marker(self, index: int, hd: str = "braille") -> str:
        return run_marker(index) if self.monochrome else hd

    def plot_color(self, index: int, run: PlotRun):
        return "default" if self.monochrome else self.run_rgb(index, run)

    def state_key(self) -> tuple:
        return tuple((r.run_id, r.label, r.color, r.visible, r.series.version, r.f_star, r.diverged,
                      tuple(sorted((r.ends or {}).items())))
                     for r in self._runs)

    def plot_line(self, fig, index: int, run: PlotRun, xs, ys, xlim, ylim, canvas, yside: str = "left"):
        """Draw a run's line as one marker per canvas cell: braille patterns (presenter mode: quadrant blocks,
        :mod:`sgd_tui.plotting.style`), or in monochrome the run's marker character (see :mod:`.braille`). Returns the centres (xs, ys) of the cells it took."""
        self.line_canvas = canvas  # what the markers were laid out for (tests compare it with self.canvas)
        cx, cy, chars = self.style.cells(xs, ys, xlim, ylim, *canvas, bold=self.BOLD_LINES)
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
