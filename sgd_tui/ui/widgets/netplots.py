"""The network views: λmax against the stability limit, and a loss-landscape slice with the runs' paths.

:class:`SharpnessPlot` draws each run's λmax (the largest eigenvalue of the training loss's Hessian,
measured every ``budget.sharpness_every`` steps by :mod:`sgd_tui.core.theory.sharpness`) against the loss plot's
x axis, and the selected run's stability limit as a dashed horizontal line in its colour: on a quadratic with curvature
λ, GD is stable iff α·λ < 2, so the limit is 2/α (GD, SGD), 2(1+β)/α (heavy ball, torch SGD momentum) or
(2+2β)/((1+2β)α) (Nesterov); the value is the one the engine recorded with each measurement (from
:func:`sgd_tui.core.theory.quadratic.lambda_limit` at the step's α, so a schedule bends the line). An
adaptive run (Adam, RMSprop, ...) draws its preconditioned sharpness, the top eigenvalue of P⁻¹H, as its
line and its raw λmax as dots, and its limit is the one on P⁻¹H ((2+2β1)/((1−β1)α) for Adam,
:mod:`sgd_tui.core.theory.preconditioned`); curves spanning more than 30x get a log axis.

:class:`LandscapePlot` is the trajectory plot with a slice for its surface: the heat map is the training
loss R(θ(a, b)) on the slice's grid (bilinear between grid nodes, drawn by the same heat-map code as the
2-D surfaces), the paths are the runs' projected paths (a, b), the ``*`` marks the plane's anchors (the
start at (0, 0), the two runs' weights at (1, 0) and (0, 1)), and the legend gives each run's distance
off the plane at its last point (a path far off the plane is drawn at its shadow).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sgd_tui.core.text import safe_text
from sgd_tui.plotting.budget import ticks_to_end
from sgd_tui.plotting.netseries import PathSeries, SharpnessSeries, limit_formula
from sgd_tui.plotting.palette import run_marker
from sgd_tui.plotting.prepare import sanitize, thin
from sgd_tui.plotting.scales import linear_ticks, tick_labels, value_axis, x_limits
from sgd_tui.ui.widgets.plotgrid import LegendItem
from sgd_tui.ui.widgets.runs_plot import X_NAMES, PlotRun, RunsPlot
from sgd_tui.ui.widgets.trajectory_plot import TrajectoryPlot

__all__ = ["SharpRun", "SharpnessPlot", "LandscapePlot", "LandscapeView", "bilinear"]

LIMIT_MARK = "╌"
RAW_MARK = "·"  # an adaptive run's raw λmax (its line is the preconditioned sharpness)
LOG_SPAN = 30.0  # curves spanning more than this factor get a log axis


@dataclass
class SharpRun(PlotRun):
    """A run as the sharpness plot sees it: ``series`` is its SharpnessSeries; ``n_train`` for epochs."""

    n_train: int | None = None
    optimizer: str = ""
    hyper: dict | None = None


class SharpnessPlot(RunsPlot):
    """λmax of every run over the loss plot's x axis, with the selected run's stability limit."""

    def __init__(self, *, monochrome: bool = False, name=None, id=None, classes=None) -> None:  # noqa: A002
        super().__init__(monochrome=monochrome, name=name, id=id, classes=classes)
        self.x_key = "step"
        self.selected: str | None = None  # run_id whose limit is drawn
        self.ratio = False  # [view] curvature = "ratio": each run's λ over its own limit, the edge at 1

    def state_key(self) -> tuple:
        return (self.x_key, self.selected, self.ratio, super().state_key())

    def limit_line(self) -> tuple[str, float, SharpRun] | None:
        """(formula, value, run) of the selected run's latest stability limit (the first run with one when
        none is selected); None when no shown run has a limit yet (Adam has none)."""
        runs = [r for _, r in self._visible() if isinstance(r.series, SharpnessSeries)]
        runs.sort(key=lambda r: r.run_id != self.selected)
        if self.ratio and runs:  # every run against its own limit: the edge is 1
            return "λ/limit: the edge", 1.0, runs[0]
        for r in runs:
            last = r.series.last
            if last is None:
                continue
            limit, hyper = r.series.changed or (last.limit, r.hyper or {})  # a change mid-run: its limit
            if limit is not None:
                return limit_formula(r.optimizer, hyper) or "limit", float(limit), r
        return None

    def legend(self) -> list[LegendItem]:
        """The limit first (the plot's point, and the legend may be cut at the right), then the runs."""
        items = self.run_legend()
        if not items:
            return [("no runs yet", None)]
        line = self.limit_line()
        if line is not None:
            formula, value, run = line
            i = next(k for k, r in self._visible() if r is run)
            items.insert(0, (f"{LIMIT_MARK * 2} limit {formula} = {value:.3g}", self.run_rgb(i, run)))
        elif not any(len(r.series) for _, r in self._visible()):
            return items + [("[λmax: none measured yet]", None)]
        what = "λmax"
        if self.ratio:
            what = "λ/limit (η·λ/2 for GD)"
        elif any(r.series.preconditioned for _, r in self._visible()):
            what = "λmax ·, P⁻¹H ━"
        return items + [(f"[{X_NAMES.get(self.x_key, self.x_key)}, {what}]", None)]

    def log_axis(self, values: list[float]) -> bool:
        """A log10 axis when the curves span more than LOG_SPAN (an adaptive run's P⁻¹H beside λmax)."""
        return bool(values) and min(values) > 0 and max(values) > LOG_SPAN * min(values)

    def draw(self, fig, width: int, height: int) -> None:
        """Each run's λmax; an adaptive run's preconditioned sharpness (P⁻¹H, which its limit bounds) as
        its line and its raw λmax as dots ``·`` in its colour; the selected run's limit dashed."""
        data = []  # (index, run, xs, ys, raw: dots)
        for i, run in self._visible():
            if self.ratio:  # one curve per run: its measured quantity over its own limit
                xs, ys = sanitize(*run.series.xy(self.x_key, run.n_train, ratio=True))
                if len(xs):
                    data.append((i, run, xs, ys, False))
                continue
            pre = run.series.preconditioned
            xs, ys = sanitize(*run.series.xy(self.x_key, run.n_train))
            if len(xs):
                data.append((i, run, xs, ys, pre))
            if pre:
                xs, ys = sanitize(*run.series.xy(self.x_key, run.n_train, preconditioned=True))
                if len(xs):
                    data.append((i, run, xs, ys, False))
        line = self.limit_line()
        end = self.budget_end(self.x_key)
        if data:
            x_lo, x_hi = x_limits(min(float(d[2][0]) for d in data), max(float(d[2][-1]) for d in data))
            if end is not None:  # the axis ends at the budget, as the loss plot's does
                x_hi = max(end, max(float(d[2][-1]) for d in data))
            lo = min(float(d[3].min()) for d in data)
            hi = max(float(d[3].max()) for d in data)
            if line is not None and line[1] <= 10 * max(hi, 1e-300):  # the limit in view unless far above
                lo, hi = min(lo, line[1]), max(hi, line[1])
        else:
            x_lo, x_hi, lo, hi = 0.0, 1.0, 0.0, 1.0
        log = data and self.log_axis([lo, hi])
        f = np.log10 if log else (lambda v: v)
        n_rows = max(height - 3, 1)
        y = value_axis(f(lo) if data else None, f(hi) if data else None, max(2, n_rows // 3), bool(log))
        canvas = self.canvas_size(width, height, y.labels if data else ())
        if data and line is not None and y.lo <= f(line[1]) <= y.hi:
            at = f(line[1])
            cx, cy, _ = self.style.cells([x_lo, x_hi], [at, at], (x_lo, x_hi), (y.lo, y.hi), *canvas)
            i = next(k for k, r in self._visible() if r is line[2])  # in the selected run's colour
            fig.scatter(cx, cy, marker=LIMIT_MARK, color=self.plot_color(i, line[2]))
        for i, run, xs, ys, dots in data:
            xs, ys = thin(xs, f(ys), canvas[0], x_lo, x_hi)
            if dots:  # an adaptive run's raw λmax
                cx, cy, _ = self.style.cells(xs, ys, (x_lo, x_hi), (y.lo, y.hi), *canvas, lines=False)
                if cx:
                    fig.scatter(cx, cy, marker=RAW_MARK, color=self.plot_color(i, run))
            else:
                self.plot_line(fig, i, run, xs, ys, (x_lo, x_hi), (y.lo, y.hi), canvas)
        x_ticks = linear_ticks(x_lo, x_hi, max(2, canvas[0] // 10))
        if end is not None and x_hi == end:
            x_ticks = ticks_to_end(x_ticks, x_lo, x_hi)
        fig.xlim(x_lo, x_hi)
        fig.ylim(y.lo, y.hi)
        fig.xticks(x_ticks, tick_labels(x_ticks))
        fig.yticks(y.ticks, y.labels)


def bilinear(a_values: Sequence[float], b_values: Sequence[float], loss) -> callable:
    """grid_fn(xs, ys) -> (len(ys), len(xs)) array: ``loss[j][i]`` (at a_i, b_j) interpolated bilinearly;
    a non-finite node makes the cells around it non-finite (the heat map's top band)."""
    av, bv = np.asarray(a_values, float), np.asarray(b_values, float)
    z = np.asarray(loss, float)

    def locate(grid, v):
        k = np.clip(np.searchsorted(grid, v) - 1, 0, len(grid) - 2)
        t = np.clip((v - grid[k]) / (grid[k + 1] - grid[k]), 0.0, 1.0)
        return k, t

    def grid_fn(xs, ys):
        i, s = locate(av, np.asarray(xs, float))
        j, t = locate(bv, np.asarray(ys, float))
        J, I = j[:, None], i[None, :]  # noqa: E741 (row, column as in the formula)
        T, S = t[:, None], s[None, :]
        with np.errstate(invalid="ignore"):
            return ((1 - T) * ((1 - S) * z[J, I] + S * z[J, I + 1]) + T * ((1 - S) * z[J + 1, I] + S * z[J + 1, I + 1]))

    return grid_fn


@dataclass
class LandscapeView:
    """What the landscape plot shows: the slice (``loss[j][i]`` at a_values[i], b_values[j]), the plane's
    anchors [(name, a, b)], each run's projected path [(step, a, b, off_plane)] by label, and a note."""

    a_values: list[float]
    b_values: list[float]
    loss: list[list[float]]
    anchors: list[tuple[str, float, float]]
    paths: dict[str, list[tuple[int, float, float, float]]]
    kind: str = "three_points"
    note: str = ""


class LandscapePlot(TrajectoryPlot):
    """A loss-landscape slice as a heat map (the surfaces' drawing) with the runs' projected paths. Its axes
    are the plane's coordinates (α, β), not a start point: a click on it does nothing."""

    picks_start = False

    def __init__(self, *, monochrome: bool = False, name=None, id=None, classes=None) -> None:  # noqa: A002
        super().__init__(monochrome=monochrome, name=name, id=id, classes=classes)
        self.view: LandscapeView | None = None
        self.status = "press L: the loss landscape through the start and two runs"
        self._colors: list[PlotRun] = []
        self._view_version = 0

    def set_runs(self, runs: Sequence[PlotRun]) -> None:
        """The app's runs (colours, labels, visibility); their paths come from the view."""
        self._colors = list(runs)
        self._sync()

    def set_view(self, view: LandscapeView | None, status: str = "") -> None:
        self.view = view
        self.status = status
        self._view_version += 1
        if view is not None:
            bounds = ((view.a_values[0], view.a_values[-1]), (view.b_values[0], view.b_values[-1]))
            self.set_surface(bilinear(view.a_values, view.b_values, view.loss), bounds,
                             [(a, b) for _, a, b in view.anchors])
        self._sync()

    def set_status(self, status: str) -> None:
        self.status = status
        self._view_version += 1

    def _sync(self) -> None:
        paths = self.view.paths if self.view is not None else {}
        runs = []
        for r in self._colors:
            pts = paths.get(r.label)
            if pts:
                path = PathSeries([p[1] for p in pts], [p[2] for p in pts], self._view_version)
                runs.append(PlotRun(r.run_id, r.label, r.color, path, r.visible))
        super().set_runs(runs)

    def state_key(self) -> tuple:
        return (self._view_version, self.status, super().state_key())

    def off_plane(self) -> dict[str, float]:
        """Each run's distance off the plane at its last projected point."""
        return {k: float(v[-1][3]) for k, v in (self.view.paths.items() if self.view else ()) if v}

    def plane_text(self) -> str:
        """What the axes are: ``a→SGD b→Adam`` (the plane through the start and two runs) or ``random
        around SGD`` (Li et al.'s directions), from the view's anchors."""
        names = [_short(safe_text(n, newlines=False)) for n, _, _ in self.view.anchors]
        if self.view.kind == "three_points" and len(names) == 3:
            return f"a→{names[1]} b→{names[2]}"
        return f"random dirs around {names[0]}" if names else "random dirs"

    def legend(self) -> list[LegendItem]:
        """The plane first (the axes), then the runs off it with their distance ⟂ (a run in the plane,
        such as an anchor, has none to tell), then the loss range and the status (seconds, notes)."""
        if self.view is None:
            return [(self.status, None)]
        off = self.off_plane()
        items: list[LegendItem] = [(self.plane_text(), None)]
        busy = self.status.startswith("computing")
        if busy:
            items.append(("(computing…)", None))
        for i, run in self._visible():
            dist = off.get(run.label, float("nan"))
            if _distance(dist) == "0":
                continue
            mark = "━━" if not self.monochrome else run_marker_text(i)
            items.append((f"{mark}⟂{_distance(dist)} {safe_text(run.label, newlines=False)}", self.run_rgb(i, run)))
        finite = [v for row in self.view.loss for v in row if np.isfinite(v)]
        span = f"loss {min(finite):.3g}–{max(finite):.3g}" if finite else "loss not finite"
        status = "" if busy or not self.status else f"; {self.status}"
        return items + [(f"[{span}{status}]", None)]

    def draw(self, fig, width: int, height: int):
        """The trajectory plot's drawing, with at least two ticks on each axis (the anchors' 0 and 1 on a
        narrow plot, where one 1-2-5 step of a 2-unit range would leave only 0)."""
        overlay = super().draw(fig, width, height)
        if self.view is not None:
            (x0, x1), (y0, y1) = self._bounds
            xt = _two_ticks(x0, x1, max(2, (width - 6) // 10))
            yt = _two_ticks(y0, y1, max(2, (height - 3) // 3))
            fig.xticks(xt, tick_labels(xt))
            fig.yticks(yt, tick_labels(yt))
        return overlay


def _short(label: str, n: int = 12) -> str:
    """A run's label cut to ``n`` characters (the plane's axes must both fit on the legend line)."""
    return label if len(label) <= n else label[: n - 1] + "…"


def _two_ticks(lo: float, hi: float, n: int) -> list[float]:
    """linear_ticks with at least two ticks where a finer 1-2-5 step gives them."""
    ticks = linear_ticks(lo, hi, n)
    k = n
    while len(ticks) < 2 and k < n + 8:
        k += 1
        ticks = linear_ticks(lo, hi, k)
    return ticks


def _distance(d: float) -> str:
    """An off-plane distance, short: rounding error (a run whose end spans the plane) reads 0."""
    return "0" if abs(d) < 1e-6 else f"{d:.2g}"


def run_marker_text(i: int) -> str:

    return run_marker(i)
