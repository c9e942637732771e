"""The plot widgets of the app: loss curves, 2-D trajectories over a heat map, test metrics per epoch.

Every widget owns its data (a list of :class:`PlotRun`, each pointing at a :class:`RunSeries`) and draws
from it on ``refresh_if_changed()``, which the app calls from one timer (~5 Hz); nothing is drawn when no
series version, option or size changed. Each build is idempotent (see :mod:`.plotgrid`) and never raises.

Data reaching plotext is sanitised (NaN/inf dropped, values <= 0 dropped on a log axis, everything
clipped to ±1e300), thinned to at most two points per canvas column, and plotted against axis limits
snapped to 1-2-5 values or decades with short tick labels formatted here.

Monochrome mode draws no colour at all: runs are told apart by their marker characters, the heat map
becomes dotted contour lines between its bands.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from ..series import RunSeries, X_KEYS, clamp_path, ema, sanitize, thin
from .plotgrid import CanvasOverlay, LegendItem, PlotGrid, rgb_of
from .scales import heat_colors, linear_limits, linear_ticks, log_limits, log_ticks, short_label, x_limits

__all__ = ["PlotRun", "LossPlot", "TrajectoryPlot", "EvalPlot", "RUN_COLORS", "MONO_MARKERS"]

RUN_COLORS = [(86, 180, 233), (230, 159, 0), (0, 200, 140), (240, 100, 170), (240, 228, 66), (180, 130, 255)]
MONO_MARKERS = ["x", "o", "+", "#", "%", "=", "~", "$"]
MIN_MARK, START_MARK, CURRENT_MARK = "*", "o", "@"
HEAT_BANDS = 8
X_NAMES = {"step": "step", "samples": "samples", "epoch": "epoch", "time": "time (s)"}


@dataclass
class PlotRun:
    """One run as the plots see it; ``color`` is an (r, g, b) tuple or a colour string ("#56b4e9", "red")."""

    run_id: str
    label: str
    color: str | tuple
    series: RunSeries
    visible: bool = True


def _tick_labels(ticks: Sequence[float], log: bool = False) -> list[str]:
    return [short_label(10.0**t if log else t) for t in ticks]


def _y_label_width(labels: Sequence[str]) -> int:
    return max((len(s) for s in labels), default=1)


class _RunsPlot(PlotGrid):
    """Shared bookkeeping: the run list, per-run colours and markers, and the change key."""

    def __init__(self, *, monochrome: bool = False, name=None, id=None, classes=None) -> None:  # noqa: A002
        super().__init__(monochrome=monochrome, name=name, id=id, classes=classes)
        self._runs: list[PlotRun] = []

    def set_runs(self, runs: Sequence[PlotRun]) -> None:
        """Replace the run list (the order is the drawing order: later runs are drawn on top)."""
        self._runs = list(runs)

    def _visible(self) -> list[tuple[int, PlotRun]]:
        return [(i, r) for i, r in enumerate(self._runs) if r.visible]

    def run_rgb(self, index: int, run: PlotRun) -> tuple[int, int, int]:
        return rgb_of(run.color) or RUN_COLORS[index % len(RUN_COLORS)]

    def run_marker(self, index: int, hd: str = "braille") -> str:
        return MONO_MARKERS[index % len(MONO_MARKERS)] if self.monochrome else hd

    def plot_color(self, index: int, run: PlotRun):
        return "default" if self.monochrome else self.run_rgb(index, run)

    def state_key(self) -> tuple:
        return tuple((r.run_id, r.label, r.color, r.visible, r.series.version) for r in self._runs)

    def run_legend(self) -> list[LegendItem]:
        items: list[LegendItem] = []
        for i, run in self._visible():
            mark = MONO_MARKERS[i % len(MONO_MARKERS)] if self.monochrome else "━━"
            items.append((f"{mark} {run.label}", self.run_rgb(i, run)))
        return items


class LossPlot(_RunsPlot):
    """Training loss of all runs on shared axes.

    Options (plain attributes; the next ``refresh_if_changed()`` picks a change up):
    ``x_key`` step | samples | epoch | time; ``log_y``; ``smoothing`` the EMA weight in [0, 0.99]
    (on a log axis the EMA runs on log10(loss), i.e. a geometric average).
    """

    def __init__(
        self,
        *,
        x_key: str = "step",
        log_y: bool = True,
        smoothing: float = 0.0,
        monochrome: bool = False,
        name=None,
        id=None,  # noqa: A002
        classes=None,
    ) -> None:
        super().__init__(monochrome=monochrome, name=name, id=id, classes=classes)
        self.x_key = x_key
        self.log_y = log_y
        self.smoothing = smoothing
        self._prepared: dict[str, tuple[tuple, np.ndarray, np.ndarray]] = {}

    def state_key(self) -> tuple:
        return (self.x_key, bool(self.log_y), float(self.smoothing), super().state_key())

    def legend(self) -> list[LegendItem]:
        axis = X_NAMES.get(self.x_key, self.x_key) + (", log loss" if self.log_y else ", loss")
        if self.smoothing:
            axis += f", EMA {self.smoothing:g}"
        items = self.run_legend()
        return items + [(f"[{axis}]", None)] if items else [("no runs yet", None)]

    def _series_xy(self, run: PlotRun) -> tuple[np.ndarray, np.ndarray]:
        """Sanitised (and log10 / smoothed) data of one run, cached by series version and options."""
        x_key = self.x_key if self.x_key in X_KEYS else "step"
        smoothing = min(max(float(self.smoothing), 0.0), 0.99)
        key = (run.series.version, x_key, bool(self.log_y), smoothing)
        hit = self._prepared.get(run.run_id)
        if hit is not None and hit[0] == key:
            return hit[1], hit[2]
        xs, ys = sanitize(*run.series.xy(x_key), log=self.log_y)
        if self.log_y:
            ys = np.log10(ys)
        if smoothing > 0:
            ys = ema(ys, smoothing)
        self._prepared[run.run_id] = (key, xs, ys)
        return xs, ys

    def draw(self, fig, width: int, height: int) -> None:
        data = [(i, run, *self._series_xy(run)) for i, run in self._visible()]
        self._prepared = {k: v for k, v in self._prepared.items() if any(k == r.run_id for r in self._runs)}
        data = [d for d in data if len(d[2])]
        if data:
            x_lo, x_hi = x_limits(min(float(d[2][0]) for d in data), max(float(d[2][-1]) for d in data))
            y_min = min(float(d[3].min()) for d in data)
            y_max = max(float(d[3].max()) for d in data)
        else:
            x_lo, x_hi, y_min, y_max = 0.0, 1.0, 0.0, 1.0
        n_rows = max(height - 3, 1)
        if self.log_y:
            y_lo, y_hi = log_limits(y_min, y_max) if data else (-1.0, 1.0)
            y_ticks = log_ticks(y_lo, y_hi, max(2, n_rows // 3))
        else:
            y_lo, y_hi = linear_limits(y_min, y_max)
            y_ticks = linear_ticks(y_lo, y_hi, max(2, n_rows // 3))
        y_labels = _tick_labels(y_ticks, self.log_y)
        canvas_w = max(width - _y_label_width(y_labels) - 2, 4)
        for i, run, xs, ys in data:
            xs, ys = thin(xs, ys, canvas_w, x_lo, x_hi)
            fig.plot(xs.tolist(), ys.tolist(), marker=self.run_marker(i), color=self.plot_color(i, run))
        x_ticks = linear_ticks(x_lo, x_hi, max(2, canvas_w // 10))
        fig.xlim(x_lo, x_hi)
        fig.ylim(y_lo, y_hi)
        fig.xticks(x_ticks, _tick_labels(x_ticks))
        fig.yticks(y_ticks, y_labels)
        return None
