"""The noise-scale plot (data sets, budget ``noise_every``): each run's B_simple = tr(Σ)/|G|² (the gradient
noise scale of McCandlish et al. 2018, measured by :mod:`sgd_tui.core.theory.noise_scale`) on a log axis over
the loss plot's x axis, and the selected run's batch size B as a dashed line in its colour: while B is well
below B_simple a bigger batch buys nearly proportionally fewer steps; above it, little."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sgd_tui.plotting.prepare import sanitize, thin
from sgd_tui.plotting.scales import linear_ticks, tick_labels, value_axis, x_limits
from sgd_tui.ui.widgets.plotgrid import LegendItem
from sgd_tui.ui.widgets.runs_plot import X_NAMES, PlotRun, RunsPlot

__all__ = ["NoiseRun", "NoisePlot"]

BATCH_MARK = "╌"


@dataclass
class NoiseRun(PlotRun):
    """A run as the noise plot sees it: ``series`` is its NoiseSeries; ``batch`` its batch size (an int, or
    None for full batch); ``n_train`` for epochs."""

    n_train: int | None = None
    batch: int | None = None


class NoisePlot(RunsPlot):
    """B_simple of every run (log axis) over the loss plot's x axis, with the selected run's batch size."""

    def __init__(self, *, monochrome: bool = False, name=None, id=None, classes=None) -> None:  # noqa: A002
        super().__init__(monochrome=monochrome, name=name, id=id, classes=classes)
        self.x_key = "step"
        self.selected: str | None = None

    def state_key(self) -> tuple:
        return (self.x_key, self.selected, super().state_key())

    def batch_line(self) -> tuple[float, int, NoiseRun] | None:
        """(B, index, run) of the selected run (else the first shown run with a batch size), or None."""
        runs = [(i, r) for i, r in self._visible() if isinstance(r, NoiseRun) and r.batch]
        runs.sort(key=lambda ir: ir[1].run_id != self.selected)
        return (float(runs[0][1].batch), runs[0][0], runs[0][1]) if runs else None

    def legend(self) -> list[LegendItem]:
        items = self.run_legend()
        line = self.batch_line()
        if line is not None:
            items.insert(0, (f"{BATCH_MARK * 2} batch B = {line[0]:g}", self.run_rgb(line[1], line[2])))
        if not any(len(r.series) for _, r in self._visible()):
            return items + [("[B_simple: none measured yet]", None)]
        return items + [(f"[{X_NAMES.get(self.x_key, self.x_key)}, B_simple = tr Σ/|G|², log]", None)]

    def draw(self, fig, width: int, height: int) -> None:
        data = []
        for i, run in self._visible():
            xs, ys = run.series.xy(self.x_key, getattr(run, "n_train", None))
            keep = np.isfinite(ys) & (ys > 0)  # NaN = |G|² not resolved on the subset: a gap
            xs, ys = sanitize(xs[keep], np.log10(ys[keep]))
            if len(xs):
                data.append((i, run, xs, ys))
        line = self.batch_line()
        if data:
            x_lo, x_hi = x_limits(min(float(d[2][0]) for d in data), max(float(d[2][-1]) for d in data))
            lo = min(float(d[3].min()) for d in data)
            hi = max(float(d[3].max()) for d in data)
            if line is not None:
                lo, hi = min(lo, np.log10(line[0])), max(hi, np.log10(line[0]))
        else:
            x_lo, x_hi, lo, hi = 0.0, 1.0, 0.0, 1.0
        n_rows = max(height - 3, 1)
        y = value_axis(lo if data else None, hi if data else None, max(2, n_rows // 3), True)
        canvas = self.canvas_size(width, height, y.labels)
        if data and line is not None:
            b = float(np.log10(line[0]))
            cx, cy, _ = self.style.cells([x_lo, x_hi], [b, b], (x_lo, x_hi), (y.lo, y.hi), *canvas)
            fig.scatter(cx, cy, marker=BATCH_MARK, color=self.plot_color(line[1], line[2]))
        for i, run, xs, ys in data:
            xs, ys = thin(xs, ys, canvas[0], x_lo, x_hi)
            self.plot_line(fig, i, run, xs, ys, (x_lo, x_hi), (y.lo, y.hi), canvas)
        x_ticks = linear_ticks(x_lo, x_hi, max(2, canvas[0] // 10))
        fig.xlim(x_lo, x_hi)
        fig.ylim(y.lo, y.hi)
        fig.xticks(x_ticks, tick_labels(x_ticks))
        fig.yticks(y.ticks, y.labels)


