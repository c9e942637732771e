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

import numpy as np

from sgd_tui.core.text import safe_text
from sgd_tui.plotting.budget import ticks_to_end
from sgd_tui.plotting.marks import change_ticks, label_forms, mark_positions
from sgd_tui.plotting.prepare import ema, sanitize, thin
from sgd_tui.plotting.scales import linear_limits, linear_ticks, short_label, tick_labels, value_axis, x_limits
from sgd_tui.plotting.series import X_KEYS
from sgd_tui.ui.widgets.plot_mouse import WheelZoom
from sgd_tui.ui.widgets.plotgrid import LegendItem
from sgd_tui.ui.widgets.runs_plot import X_NAMES, PlotRun, RunsPlot

__all__ = ["LossPlot", "EvalPlot"]


class LossPlot(WheelZoom, RunsPlot):
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
    FLOOR_MARK = "▼"  # where a run goes below the y floor (drawn on the floor from there)

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
        self.y_floor = 0.0  # a log axis stops here (0: at the data); runs below it are drawn on it, marked
        self.floored = False  # the last build drew a run at the floor
        self._y_span = (0.0, 1.0)
        self.unlabelled: list = []  # (index, run, text) of the changes drawn without a label (listed instead)
        self.clipped = False  # the last build left a diverged run's values off the y axis
        self._prepared: dict[str, tuple[tuple, np.ndarray, np.ndarray]] = {}
        self.x_zoom: tuple[float, float] | None = None  # the wheel's x window (None: all the data)
        self.x_full = self.x_shown = None  # the data's x range and the drawn limits, in the last build

    def state_key(self) -> tuple:
        return (self.x_key, bool(self.log_y), float(self.smoothing), self.loss_mode, self.x_zoom,
                float(self.y_floor), super().state_key())

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
        if self.floored:
            axis += f", {self.FLOOR_MARK} < {short_label(self.y_floor)}"
        items = self.run_legend()
        dropped = [(f"{self.TICK_MARK} {text}", None if self.monochrome else self.run_rgb(i, run))
                   for i, run, text in self.unlabelled]  # changes whose label fits nowhere on the canvas
        return items + [(f"[{axis}]", None)] + dropped if self._visible() else [("no runs yet", None)]

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
        x_key = self.x_key if self.x_key in X_KEYS else "step"
        data = [(i, run, *self._series_xy(run)) for i, run in self._visible()]
        self._prepared = {k: v for k, v in self._prepared.items() if any(k == r.run_id for r in self._runs)}
        data = [d for d in data if len(d[2])]
        # the y range of the runs that did not diverge (all runs when every one diverged)
        calm = [d for d in data if not d[1].diverged] or data
        end = self.budget_end(x_key)
        if data:
            x_lo, x_hi = x_limits(min(float(d[2][0]) for d in data), max(float(d[2][-1]) for d in data))
            if end is not None:  # the axis ends at the budget (data past it, if any, still show)
                x_hi = max(end, max(float(d[2][-1]) for d in data))
            self.x_full = (x_lo, x_hi)
            if self.x_zoom is not None:  # the y axis fits what the window shows
                x_lo, x_hi = max(self.x_zoom[0], x_lo), min(self.x_zoom[1], x_hi)
                data = [(i, r, xs[m], ys[m]) for i, r, xs, ys in data
                        for m in [(xs >= x_lo) & (xs <= x_hi)] if m.any()] or data
                calm = [d for d in data if not d[1].diverged] or data
            y_min = min(float(d[3].min()) for d in calm)
            y_max = max(float(d[3].max()) for d in calm)
        else:
            x_lo, x_hi, y_min, y_max = 0.0, end or 1.0, 0.0, 1.0
        floor = self.floor_exponent()
        self.floored = floor is not None and bool(data) and y_min < floor
        if self.floored:  # runs below the floor are drawn at it (marked): the rest keep the height
            y_min, y_max = floor, max(y_max, floor + 1.0)
        n_rows = max(height - 3, 1)
        y = value_axis(y_min if data else None, y_max if data else None, max(2, n_rows // 3), self.log_axis())
        if self.floored:
            y = value_axis(floor, y.hi, max(2, n_rows // 3), True, snap=False)
        self._y_span = (y.lo, y.hi)
        self.clipped = any(d[1].diverged and (d[3].max() > y.hi or d[3].min() < y.lo) for d in data)
        canvas = self.canvas_size(width, height, y.labels if data else ())
        ends, drawn, below = [], [], []
        for i, run, xs, ys in data:
            if self.floored and ys.min() < y.lo:
                k = int(np.argmax(ys < y.lo))
                below.append((i, run, float(xs[k])))
                ys = np.maximum(ys, y.lo)
            if run.diverged:
                ys = np.clip(ys, y.lo, y.hi)
                ends.append((i, run, float(xs[-1]), float(ys[-1])))
            xs, ys = thin(xs, ys, canvas[0], x_lo, x_hi)
            drawn.append(self.plot_line(fig, i, run, xs, ys, (x_lo, x_hi), (y.lo, y.hi), canvas))
        texts = []
        for i, run, x in below:  # where a run goes under the floor: a mark on the floor row
            right = x > (x_lo + x_hi) / 2
            texts.append((x, y.lo, self.FLOOR_MARK, "right" if right else "left"))
            fig.text(self.FLOOR_MARK, x, y.lo, color=self.plot_color(i, run), style="bold", alignment=texts[-1][3])
        for i, run, x, yv in ends:  # the end of a diverged curve: a mark and the word, inside the frame
            right = x > (x_lo + x_hi) / 2
            mark = f"diverged {self.DIVERGED_MARK}" if right else f"{self.DIVERGED_MARK} diverged"
            texts.append((x, yv, mark, "right" if right else "left"))
            fig.text(mark, x, yv, color=self.plot_color(i, run), style="bold", alignment=texts[-1][3])
        self._marks(fig, data, drawn, texts, (x_lo, x_hi), (y.lo, y.hi), canvas)
        canvas_w = canvas[0]
        x_ticks = linear_ticks(x_lo, x_hi, max(2, canvas_w // 10))
        if end is not None and x_hi == end:
            x_ticks = ticks_to_end(x_ticks, x_lo, x_hi)
        self.x_shown = (x_lo, x_hi)
        fig.xlim(x_lo, x_hi)
        fig.ylim(y.lo, y.hi)
        fig.xticks(x_ticks, tick_labels(x_ticks))
        fig.yticks(y.ticks, y.labels)
        return None

    def y_axis_span(self) -> tuple[float, float]:
        """The y limits of the last build (log10 values on a log axis)."""
        return self._y_span

    def floor_exponent(self) -> float | None:
        """log10 of the y floor (``y_floor`` > 0 on a log axis), else None."""
        if not (self.y_floor and self.y_floor > 0 and self.log_axis()):
            return None
        return float(np.log10(self.y_floor))

    def _marks(self, fig, data, drawn, texts, xlim, ylim, canvas) -> None:
        """The runs' hyperparameter changes (:mod:`sgd_tui.plotting.marks`): a dotted vertical tick at each
        change's x in the run's colour, where the curves (``drawn``: their cells) and ``texts`` leave room,
        and its label ``lr 0.01→0.1`` beside it, in a row where they and the other labels leave it legible."""
        x_key = self.x_key if self.x_key in X_KEYS else "step"
        wanted = [(i, x, safe_text(text, newlines=False)) for i, run, _, _ in data if run.series.marks
                  for x, text in mark_positions(run.series.marks, run.series.xy("step")[0], run.series.xy(x_key)[0],
                                                xlim)]
        runs = {i: (run, [], []) for i, run, _, _ in data}
        placed = []
        for i, xs, ys, text, tx, ty in change_ticks(wanted, xlim, ylim, *canvas, drawn, texts):
            runs[i][1].extend(xs)  # one scatter per run: plotext's cost is per call
            runs[i][2].extend(ys)
            if text:
                placed.append((i, text))
                fig.text(text, tx, ty, color=self.plot_color(i, runs[i][0]), alignment="left")
        # a label that fits nowhere (not even with shorter numbers) goes to the legend line, whole
        self.unlabelled = [(i, runs[i][0], text) for i, _, text in wanted
                           if not any(o == i and t in label_forms(text) for o, t in placed)]
        for i, (run, xs, ys) in runs.items():
            if xs:
                fig.scatter(xs, ys, marker=self.TICK_MARK, color=self.plot_color(i, run))


class EvalPlot(RunsPlot):
    """Test loss (left axis, braille line) and test accuracy in % (right axis, dotted line) per epoch."""

    ACC_MARK = "·"

    def legend(self) -> list[LegendItem]:
        items = self.run_legend()
        if not self._visible():
            return [("no runs yet", None)]
        loss_mark = "run marker:" if self.monochrome else "━━"
        long = f"[{loss_mark} test loss (left)  {self.ACC_MARK} accuracy % (right)]"
        short = f"[{loss_mark} test loss  {self.ACC_MARK} acc % (right)]"  # a narrow plot: said shorter, not cut
        used = sum(len(t) + 2 for t, _ in items)
        return items + [(long if used + len(long) <= self.size.width else short, None)]

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
        end = self.budget_end("epoch")  # the test plot's epochs end at the budget too
        if end is not None:
            x_hi = max([end, *all_e])
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
                cx, cy, _ = self.style.cells(ae, aa, (x_lo, x_hi), (a_lo, a_hi), *canvas)
                fig.scatter(cx, cy, marker=self.ACC_MARK, color=color, yside="right")
                if self.monochrome:  # the run's marker on each evaluated epoch
                    cx, cy, _ = self.style.cells(ae, aa, (x_lo, x_hi), (a_lo, a_hi), *canvas, lines=False)
                    fig.scatter(cx, cy, marker=self.run_marker(i), yside="right")
        x_ticks = linear_ticks(x_lo, x_hi, max(2, canvas_w // 10))
        if end is not None and x_hi == end:
            x_ticks = ticks_to_end(x_ticks, x_lo, x_hi)
        fig.xlim(x_lo, x_hi)
        fig.ylim(l_lo, l_hi, yside="left")
        fig.ylim(a_lo, a_hi, yside="right")
        fig.xticks(x_ticks, tick_labels(x_ticks))
        fig.yticks(l_ticks, l_labels, yside="left")
        fig.yticks(a_ticks, a_labels, yside="right")
        return None
