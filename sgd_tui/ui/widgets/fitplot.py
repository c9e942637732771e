"""The fit plot of a 1-D regression network (``mlp_regression``): the training points it fits and each
run's curve f_θ(x) at its latest weights, live (the driver sends the curve at most every 0.2 s while a
run moves; :mod:`sgd_tui.core.run.fit`). It takes the place of the test-metrics plot, which such an
objective leaves empty (it has no test set).

The y axis spans the training points (padded); a curve that leaves it (a diverging network) is clipped
to its edge, so the data stay readable. The points are dim dots, the curves the runs' colours (their
markers in monochrome).
"""

from __future__ import annotations

import numpy as np

from sgd_tui.plotting.prepare import sanitize
from sgd_tui.plotting.scales import linear_ticks, tick_labels, value_axis
from sgd_tui.ui.widgets.plotgrid import LegendItem
from sgd_tui.ui.widgets.runs_plot import RunsPlot

__all__ = ["FitPlot"]


class FitPlot(RunsPlot):
    """Training points and every visible run's fitted curve."""

    DATA_MARK = "·"
    DATA_COLOR = (150, 150, 150)

    def __init__(self, *, monochrome: bool = False, name=None, id=None, classes=None) -> None:  # noqa: A002
        super().__init__(monochrome=monochrome, name=name, id=id, classes=classes)
        self.fits: dict[str, object] = {}  # run_id -> core.run.fit.Fit

    def set_fits(self, fits: dict[str, object]) -> None:
        self.fits = {k: v for k, v in fits.items() if v is not None}

    def state_key(self) -> tuple:
        return (tuple((k, id(v)) for k, v in sorted(self.fits.items())), super().state_key())

    def _shown(self):
        return [(i, r, self.fits[r.run_id]) for i, r in self._visible() if r.run_id in self.fits]

    def legend(self) -> list[LegendItem]:
        items = self.run_legend()
        if not self._shown():
            return items + [("the network's fit f(x) shows once a run starts", None)]
        line = "run marker" if self.monochrome else "━━"
        return items + [(f"[{self.DATA_MARK} training points  {line} network f(x)]", None)]

    def draw(self, fig, width: int, height: int) -> None:
        shown = self._shown()
        data = next((f for _, _, f in shown), None)
        if data is None:
            fig.xlim(-1.0, 1.0)
            fig.ylim(-1.0, 1.0)
            return None
        dx, dy = sanitize(data.data_x, data.data_y)
        x_lo, x_hi = (float(dx.min()), float(dx.max())) if len(dx) else (-1.0, 1.0)
        if not x_hi > x_lo:
            x_lo, x_hi = x_lo - 1.0, x_hi + 1.0
        y_lo, y_hi = (float(dy.min()), float(dy.max())) if len(dy) else (-1.0, 1.0)
        pad = 0.15 * max(y_hi - y_lo, 1e-9)
        n_rows = max(height - 3, 1)
        y = value_axis(y_lo - pad, y_hi + pad, max(2, n_rows // 3), snap=False)  # the points set it: no jumps
        canvas = self.canvas_size(width, height, y.labels)
        if len(dx):
            cx, cy, _ = self.style.cells(dx, dy, (x_lo, x_hi), (y.lo, y.hi), *canvas, lines=False)
            fig.scatter(cx, cy, marker=self.DATA_MARK, color="default" if self.monochrome else self.DATA_COLOR)
        for i, run, fit in shown:
            xs, ys = sanitize(fit.xs, fit.ys)
            if len(xs):
                self.plot_line(fig, i, run, xs, np.clip(ys, y.lo, y.hi), (x_lo, x_hi), (y.lo, y.hi), canvas)
        x_ticks = linear_ticks(x_lo, x_hi, max(2, canvas[0] // 10))
        fig.xlim(x_lo, x_hi)
        fig.ylim(y.lo, y.hi)
        fig.xticks(x_ticks, tick_labels(x_ticks))
        fig.yticks(y.ticks, y.labels)
        return None
